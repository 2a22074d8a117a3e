// The dashboard's two charts: the month-by-month completion against the plan, and the projects by
// batch (a slice opens its list). The figures come from the page's "chart-data" JSON, the labels
// from the chart element's data- attributes (translated by the template).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var box = document.getElementById("chart-monthly");
  var label = box.dataset;
  var monthly = echarts.init(box);
  monthly.setOption({
    tooltip: {trigger: "axis"},
    legend: {bottom: 0, data: [label.labelMonth, label.labelCumulative, label.labelPlanned]},
    grid: {left: 50, right: 20, top: 30, bottom: 55},
    xAxis: {type: "category", data: data.months},
    yAxis: {type: "value", name: label.labelUnit},
    series: [
      {name: label.labelMonth, type: "bar", data: data.completed, itemStyle: {color: "#74b9ff"}},
      {name: label.labelCumulative, type: "line", data: data.cumulative, itemStyle: {color: "#0054a6"}},
      {name: label.labelPlanned, type: "line", data: data.planned, lineStyle: {type: "dashed"}, itemStyle: {color: "#d63939"}}
    ]
  });
  var batches = echarts.init(document.getElementById("chart-batches"));
  batches.setOption({
    tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
    legend: {bottom: 0},
    series: [{type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"], data: data.batches, label: {show: true, position: "inside", formatter: "{c}"}}]
  });
  batches.on("click", function (p) { if (p.data && p.data.url) { window.location = p.data.url; } });
  window.addEventListener("resize", function () { monthly.resize(); batches.resize(); });
})();
