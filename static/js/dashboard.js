/* Dashboard charts: NPS trend with its 95 % margin as a band, and the 0–10 distribution.
   Charts are (re)drawn on page load and after every htmx swap of the dashboard body. */
(function () {
  "use strict";
  const charts = {};
  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => (css.getPropertyValue(name) || fallback).trim();

  function data(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return;
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(canvas, config);
  }

  function render() {
    const trend = data("trend-data") || [];
    const green = colour("--kl-green", "#0f766e");
    draw("trend-chart", {
      type: "line",
      data: {
        labels: trend.map((p) => p.label),
        datasets: [
          { label: "upper", data: trend.map((p) => p.nps === null ? null : Math.min(100, p.nps + p.margin)),
            borderWidth: 0, pointRadius: 0, fill: false },
          { label: "95 % margin", data: trend.map((p) => p.nps === null ? null : Math.max(-100, p.nps - p.margin)),
            borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: "rgba(15,118,110,0.15)" },
          { label: "NPS", data: trend.map((p) => p.nps), borderColor: green, backgroundColor: green,
            tension: 0.25, pointRadius: 3 },
        ],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { y: { suggestedMin: -20, suggestedMax: 60, title: { display: true, text: "NPS" } } },
        plugins: {
          legend: { labels: { filter: (item) => item.text !== "upper" } },
          tooltip: { callbacks: { afterLabel: (ctx) => ctx.dataset.label === "NPS" ? `n = ${trend[ctx.dataIndex].n}, ±${Math.round(trend[ctx.dataIndex].margin)}` : "" } },
        },
      },
    });
    const distribution = data("distribution-data") || [];
    const barColour = (score) => score >= 9 ? colour("--kl-promoter", "#15803d") : score >= 7 ? colour("--kl-passive", "#a16207") : colour("--kl-detractor", "#b91c1c");
    draw("distribution-chart", {
      type: "bar",
      data: { labels: distribution.map((_, i) => String(i)),
              datasets: [{ label: "Answers", data: distribution, backgroundColor: distribution.map((_, i) => barColour(i)) }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
                 scales: { x: { title: { display: true, text: "Score" } }, y: { beginAtZero: true } } },
    });
  }

  document.addEventListener("DOMContentLoaded", render);
  document.body.addEventListener("htmx:afterSettle", render);
})();
