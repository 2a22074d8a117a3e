// Behaviour the templates ask for with data- attributes, since the Content-Security-Policy allows
// no inline script or on… handler:
//   <select data-autosubmit>          submits its form when changed
//   <button data-confirm="问题？">     asks before submitting (cancel: nothing sent)
//   <form data-busy="ID">             shows the element ID (a progress bar) when submitted
//   <button data-print>               prints the page
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
})();
