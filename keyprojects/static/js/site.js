// Behaviour the templates ask for with data- attributes, since the Content-Security-Policy allows
// no inline script or on… handler:
//   <select data-autosubmit>          submits its form when changed
//   <button data-confirm="问题？">     asks before submitting (cancel: nothing sent)
//   <form data-busy="ID">             shows the element ID (a progress bar) when submitted
//   <button data-print>               prints the page
//   <select data-searchable>          a long list (400 units) becomes a text box whose typing
//                                     narrows a <datalist>; the chosen name sets the select,
//                                     which stays in the form (hidden), so the server checks
//                                     the same field; without JavaScript the select is shown
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest ? event.target.closest("[data-autosubmit]") : null;
    if (field && field.form) { field.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var asking = event.target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (event.target.closest("[data-print]")) { window.print(); }
  }, true);
  document.addEventListener("submit", function (event) {
    var busy = event.target.getAttribute && event.target.getAttribute("data-busy");
    var shown = busy ? document.getElementById(busy) : null;
    if (shown) { shown.classList.remove("d-none"); }
  });

  function searchable(select) {
    var byLabel = {}, input = document.createElement("input"), list = document.createElement("datalist");
    list.id = select.id + "-options";
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var label = option.text.trim();
      if (Object.prototype.hasOwnProperty.call(byLabel, label)) { label += "（" + option.value + "）"; }
      byLabel[label] = option.value;
      var item = document.createElement("option");
      item.value = label;
      list.appendChild(item);
      if (option.selected) { input.value = label; }
    });
    input.type = "text";
    input.className = select.className.replace("form-select", "form-control");
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.placeholder = select.getAttribute("data-searchable") || "";
    ["aria-describedby", "aria-invalid"].forEach(function (name) {
      if (select.hasAttribute(name)) { input.setAttribute(name, select.getAttribute(name)); }
    });
    input.required = select.required;
    select.required = false;  // (a hidden required field cannot be focused to be told so)
    input.id = select.id;  // the field's <label for> now names the text box
    select.id = select.id + "-select";
    select.hidden = true;
    select.tabIndex = -1;
    var refused = select.getAttribute("data-searchable-refused") || "";
    function pick() {
      var typed = input.value.trim(), value = byLabel[typed];
      select.value = value || "";
      input.setCustomValidity(typed && value === undefined ? refused : "");
    }
    input.addEventListener("input", pick);
    input.addEventListener("change", function () { pick(); input.reportValidity(); });
    select.parentNode.insertBefore(input, select.nextSibling);
    select.parentNode.insertBefore(list, input.nextSibling);
  }
  document.querySelectorAll("select[data-searchable]").forEach(searchable);
})();
