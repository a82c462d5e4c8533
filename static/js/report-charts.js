// Draws the Chart.js charts of the bank-tracking pages: <canvas data-chart="ID"> with its configuration in
// <script type="application/json" id="ID">. The tables beside each chart carry the same figures.
(function () {
  if (typeof Chart === "undefined") return;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  const charts = [];
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const config = JSON.parse(source.textContent);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
    charts.push(new Chart(canvas, config));
  });
  // Re-fit the charts to the printed page width, and back after printing.
  const resize = () => charts.forEach((c) => c.resize());
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
  if (window.matchMedia) window.matchMedia("print").addEventListener("change", resize);
})();
