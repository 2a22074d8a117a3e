/* The monthly filing screen (reporting/fill.html).
 * - Typing this month's figure updates the cumulative ones from last month's (the filer can still
 *   overwrite them).
 * - The action bar says how many rows were changed or ticked 已核对: only those are saved.
 * - Leaving the page (the next page, any link, closing the tab) with unsaved edits asks first.
 * A static file, not an inline script, so the pages can run under a strict Content-Security-Policy. */
(function () {
  "use strict";
  var form = document.getElementById("fill-form");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr.fill-edit"));
  var status = document.getElementById("fill-status");
  // a page shown again after a refused save holds edits the server did not keep
  var unsavedFromServer = form.hasAttribute("data-unsaved");
  var leaving = false;

  rows.forEach(function (row) {
    var month = row.querySelector("input[name$='-completed_month']");
    if (!month) return;
    month.addEventListener("input", function () {
      var m = parseFloat(month.value || "0");
      if (isNaN(m)) return;
      var ytd = row.querySelector("input[name$='-completed_ytd']");
      var since = row.querySelector("input[name$='-completed_since_start']");
      ytd.value = +(parseFloat(row.dataset.prevYtd) + m).toFixed(4);
      since.value = +(parseFloat(row.dataset.prevSince) + m).toFixed(4);
    });
  });

  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.type === "hidden") return false;
    return field.value !== field.defaultValue;
  }

  function rowChanged(row) {
    var fields = row.querySelectorAll("input:not(.fill-confirm), textarea, select");
    for (var i = 0; i < fields.length; i++) if (changed(fields[i])) return true;
    return false;
  }

  function counts() {
    var result = {changed: 0, confirmed: 0, saved: 0, ticks: false};
    rows.forEach(function (row) {
      var tick = row.querySelector(".fill-confirm");
      var edited = rowChanged(row);
      row.classList.toggle("fill-changed", edited);
      if (tick && changed(tick)) result.ticks = true;
      if (edited) result.changed += 1;
      else if (tick && tick.checked) result.confirmed += 1;
      else if (row.hasAttribute("data-saved-draft")) result.saved += 1;
    });
    return result;
  }

  function unsaved() {
    var c = counts();
    return unsavedFromServer || c.changed > 0 || c.ticks;
  }

  function update() {
    if (!status) return;
    var c = counts();
    var template = (c.changed || c.confirmed) ? status.dataset.template : status.dataset.empty;
    status.textContent = (template || "")
      .replace("{changed}", c.changed).replace("{confirmed}", c.confirmed)
      .replace("{save}", c.changed + c.confirmed).replace("{submit}", c.changed + c.confirmed + c.saved);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  var all = form.querySelector("[data-fill-check-all]");
  if (all) all.addEventListener("click", function () {
    form.querySelectorAll(".fill-confirm").forEach(function (tick) { tick.checked = true; });
    update();
  });
  // the rows changed here are named to the server (a row saved meanwhile elsewhere is not one)
  form.addEventListener("submit", function () {
    leaving = true;
    form.querySelectorAll("input[data-fill-mark]").forEach(function (mark) { mark.remove(); });
    mark("tracked");
    rows.forEach(function (row) { if (rowChanged(row)) mark("r" + row.dataset.report + "-edited"); });
  });

  function mark(name) {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = "1"; input.setAttribute("data-fill-mark", "");
    form.appendChild(input);
  }

  // A link (the next page above all) asks in the page, with a message of our own ...
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || leaving || !unsaved()) return;
    var href = link.getAttribute("href");
    if (href.charAt(0) === "#" || link.target === "_blank" || link.hasAttribute("download")) return;
    if (window.confirm(form.dataset.leaveMessage)) leaving = true;
    else event.preventDefault();
  });
  // ... and any other way out (another form, the address bar, closing the tab) gets the browser's.
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });
  // back from the browser's page cache: the page's state is as it was left
  window.addEventListener("pageshow", function () { leaving = false; update(); });
  update();
})();
