// The dashboard's projects by batch (a slice opens its list); its monthly chart is js/charts.js.
// The figures come from the page's "chart-data" JSON.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var batches = echarts.init(document.getElementById("chart-batches"));
  batches.setOption({
    tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
    legend: {bottom: 0},
    series: [{type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"], data: data.batches, label: {show: true, position: "inside", formatter: "{c}"}}]
  });
  batches.on("click", function (p) { if (p.data && p.data.url) { window.location = p.data.url; } });
  window.addEventListener("resize", function () { batches.resize(); });
})();
