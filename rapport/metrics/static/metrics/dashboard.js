// Draw the dashboard's charts from the JSON the server put into the page.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  // Choosing a date means a custom period.
  ["id_from", "id_to"].forEach(function (id) {
    var input = document.getElementById(id);
    var period = document.getElementById("id_period");
    if (input && period) {
      input.addEventListener("change", function () { period.value = "custom"; });
    }
  });
  if (typeof Chart === "undefined") { return; }
  var text = data("chart-text") || {};
  var trend = data("trend-data");
  var trendCanvas = document.getElementById("trend-chart");
  var lang = document.documentElement.lang || undefined;
  if (trend && trendCanvas) {
    new Chart(trendCanvas, {
      data: {
        labels: trend.labels,
        datasets: [
          { type: "bar", label: text.volume, data: trend.volume, yAxisID: "y", backgroundColor: "#9db5e6" },
          { type: "line", label: text.csat, data: trend.csat, yAxisID: "csat", borderColor: "#1b7a43", backgroundColor: "#1b7a43", spanGaps: true, pointRadius: 3 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        locale: lang,
        scales: {
          y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
          csat: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } }
        }
      }
    });
  }
  var breakdown = data("breakdown-data");
  var barCanvas = document.getElementById("breakdown-chart");
  if (breakdown && barCanvas) {
    new Chart(barCanvas, {
      type: "bar",
      data: { labels: breakdown.labels, datasets: [{ label: breakdown.label, data: breakdown.values, backgroundColor: "#2458c6" }] },
      options: { maintainAspectRatio: false, animation: false, locale: lang, indexAxis: "y", scales: { x: { beginAtZero: true } } }
    });
  }
})();
