// The month-by-month completion against the plan, drawn where a page has #chart-monthly (the
// dashboard, a project's page): the figures from the page's "chart-data" JSON, the labels from
// the chart element's data- attributes (translated by the template).
(function () {
  "use strict";
  var box = document.getElementById("chart-monthly");
  if (!box) { return; }
  var data = JSON.parse(document.getElementById("chart-data").textContent);
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
  window.addEventListener("resize", function () { monthly.resize(); });
})();
