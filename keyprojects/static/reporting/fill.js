// Typing this month's figure updates the cumulative ones from last month's (the filer can still overwrite them).
document.querySelectorAll("tr[data-prev-ytd]").forEach(function (row) {
  var month = row.querySelector("input[name$='completed_month']");
  if (!month) return;
  month.addEventListener("input", function () {
    var m = parseFloat(month.value || "0");
    if (isNaN(m)) return;
    var ytd = row.querySelector("input[name$='completed_ytd']"), since = row.querySelector("input[name$='completed_since_start']");
    ytd.value = +(parseFloat(row.dataset.prevYtd) + m).toFixed(4);
    since.value = +(parseFloat(row.dataset.prevSince) + m).toFixed(4);
  });
});
