/* POPS statistics: draw each chart from the data embedded in the page. */
(function () {
  "use strict";
  var node = document.getElementById("charts-data");
  if (!node || typeof Chart === "undefined") return;
  var palette = ["#0b5394", "#c8550d", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#455a64", "#9e7c00", "#283593"];
  Chart.defaults.font.family = "'Titillium Web', system-ui, sans-serif";
  Chart.defaults.color = "#1a1a1a";
  // On a phone bars lie down, and a long label is shortened on the axis (the
  // table under each chart, and the tooltip, keep it whole): labels are never
  // cut off at the canvas's edge.
  var narrow = window.matchMedia("(max-width: 575.98px)").matches;
  var longest = narrow ? 22 : 45;
  function shorten(label) {
    label = String(label);
    return label.length > longest ? label.slice(0, longest - 1).trimEnd() + "…" : label;
  }
  function categoryTicks() {
    return { autoSkip: false, callback: function (value) { return shorten(this.getLabelForValue(value)); } };
  }
  JSON.parse(node.textContent).forEach(function (chart) {
    var canvas = document.getElementById("canvas-" + chart.key);
    if (!canvas || !chart.rows.length) return;
    var colors = chart.colors && chart.colors.length ? chart.colors : chart.rows.map(function (_r, i) {
      return chart.kind === "doughnut" ? palette[i % palette.length] : palette[0];
    });
    var horizontal = chart.kind === "bar" && (chart.rows.length > 6 || narrow);
    new Chart(canvas, {
      type: chart.kind,
      data: {
        labels: chart.rows.map(function (r) { return r[0]; }),
        datasets: [{ label: chart.title, data: chart.rows.map(function (r) { return r[1]; }), backgroundColor: colors }]
      },
      options: {
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: chart.kind === "doughnut", position: "bottom" } },
        scales: chart.kind === "bar"
          ? horizontal
            ? { x: { ticks: { precision: 0 } }, y: { ticks: categoryTicks() } }
            : { x: { ticks: categoryTicks() }, y: { ticks: { precision: 0 } } }
          : {}
      }
    });
  });
})();
