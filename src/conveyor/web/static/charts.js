// Draws the overview's charts from the JSON the server put in #chart-data (no inline script: CSP).
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("chart-data");
    if (!node || !window.Chart) return;
    var data = JSON.parse(node.textContent);
    var palette = ["#0b5cad", "#d1495b", "#2a9d8f", "#e9c46a", "#6d597a", "#8d99ae"];
    var codes = Object.keys(data.channels);
    function datasets(field) {
      return codes.map(function (code, i) {
        return { label: code, data: data.channels[code][field], backgroundColor: palette[i % palette.length] };
      });
    }
    var stacked = { responsive: true, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } };
    new Chart(document.getElementById("orders-chart"), { type: "bar", data: { labels: data.days, datasets: datasets("orders") }, options: stacked });
    new Chart(document.getElementById("revenue-chart"), { type: "bar", data: { labels: data.days, datasets: datasets("revenue") }, options: stacked });
    new Chart(document.getElementById("ship-chart"), {
      type: "line",
      data: { labels: data.days, datasets: [
        { label: "median", data: data.ship_p50, borderColor: "#0b5cad", spanGaps: true },
        { label: "90th percentile", data: data.ship_p90, borderColor: "#d1495b", spanGaps: true }] },
      options: { responsive: true, animation: false, scales: { y: { beginAtZero: true } } }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
