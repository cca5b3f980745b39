// Draw the three bar charts from the JSON above, as the KPI dashboard does (labels formatted by the server).
(function () {
  "use strict";
  var node = document.getElementById("value-charts");
  if (!node || typeof Chart === "undefined") { return; }
  var charts = JSON.parse(node.textContent);
  var lang = document.documentElement.lang || undefined;
  [["histogram", "value-histogram-chart", "x"], ["segments", "value-segments-chart", "y"], ["cohorts", "value-cohorts-chart", "x"]].forEach(function (spec) {
    var series = charts[spec[0]];
    var canvas = document.getElementById(spec[1]);
    if (!series || !canvas) { return; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: series.label, data: series.values, backgroundColor: "#2458c6" }] },
      options: { maintainAspectRatio: false, animation: false, locale: lang, indexAxis: spec[2], plugins: { legend: { display: false } } }
    });
  });
})();
