// Draw the dashboards' charts from the JSON the server put into the page (labels already
// formatted for the reader's language by the server).
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
  var lang = document.documentElement.lang || undefined;

  // Bars of a count on the left axis, CSAT % as a line on the right.
  function trendChart(canvas, series, countKey, countLabel) {
    if (!series || !canvas) { return; }
    new Chart(canvas, {
      data: {
        labels: series.labels,
        datasets: [
          { type: "bar", label: countLabel, data: series[countKey], yAxisID: "y", backgroundColor: "#9db5e6" },
          { type: "line", label: text.csat, data: series.csat, yAxisID: "csat", borderColor: "#1b7a43", backgroundColor: "#1b7a43", spanGaps: true, pointRadius: 3 }
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
  trendChart(document.getElementById("trend-chart"), data("trend-data"), "volume", text.volume);
  trendChart(document.getElementById("mine-trend-chart"), data("mine-trend-data"), "solved", text.solved);

  var breakdown = data("breakdown-data");
  var barCanvas = document.getElementById("breakdown-chart");
  if (breakdown && barCanvas) {
    new Chart(barCanvas, {
      type: "bar",
      data: { labels: breakdown.labels, datasets: [{ label: breakdown.label, data: breakdown.values, backgroundColor: "#2458c6" }] },
      options: { maintainAspectRatio: false, animation: false, locale: lang, indexAxis: "y", scales: { x: { beginAtZero: true } } }
    });
  }

  var distributions = data("distribution-data") || {};
  Object.keys(distributions).forEach(function (kind) {
    var canvas = document.getElementById(kind + "-distribution-chart");
    var series = distributions[kind];
    if (!canvas || !series) { return; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: text.answers, data: series.counts, backgroundColor: "#2458c6" }] },
      options: {
        maintainAspectRatio: false,
        animation: false,
        locale: lang,
        plugins: { legend: { display: false } },
        scales: {
          x: { title: { display: true, text: text.score } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  });
})();
