/* Dashboard charts: NPS trend with its 95 % margin as a band, and the 0–10 distribution.
   Charts are (re)drawn on page load and after every htmx swap of the dashboard body. */
(function () {
  "use strict";
  const charts = {};
  const css = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => (css.getPropertyValue(name) || fallback).trim();
  const signed = (value) => (value > 0 ? "+" : value < 0 ? "−" : "") + Math.abs(Math.round(value));

  function data(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // The page's language: dates and numbers on the charts follow it, not the browser's.
  const locale = document.documentElement.lang || undefined;
  // Words on the charts, translated by the page (json_script "chart-labels").
  const words = Object.assign({ nps: "NPS", margin: "95 % margin", too_few: "too few answers", answers: "Answers",
                                score: "Score" }, data("chart-labels") || {});

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (charts[id]) {
      charts[id].destroy();
      delete charts[id];
    }
    if (!canvas || typeof Chart === "undefined") return;
    charts[id] = new Chart(canvas, config);
  }

  function label(iso, count) {
    // Short dates in the page's language: "3 Mar" for days and weeks, "Mar 2026" for months.
    const date = new Date(iso + "T00:00:00");
    const monthly = count > 1 && trendStep() >= 28;
    return date.toLocaleDateString(locale, monthly ? { month: "short", year: "numeric" } : { day: "numeric", month: "short" });
  }

  function trendStep() {
    const trend = data("trend-data") || [];
    if (trend.length < 2) return 1;
    return (new Date(trend[1].label) - new Date(trend[0].label)) / 86400000;
  }

  function render() {
    const trend = data("trend-data") || [];
    const green = colour("--kl-green", "#0f766e");
    const band = "rgba(15,118,110,0.15)";
    const values = trend.filter((p) => p.nps !== null);
    const low = values.length ? Math.min(...values.map((p) => p.nps - p.margin)) : -20;
    const high = values.length ? Math.max(...values.map((p) => p.nps + p.margin)) : 60;
    draw("trend-chart", {
      type: "line",
      data: {
        labels: trend.map((p) => label(p.label, trend.length)),
        datasets: [
          { label: "upper", data: trend.map((p) => (p.nps === null ? null : Math.min(100, p.nps + p.margin))),
            borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: false },
          { label: words.margin, data: trend.map((p) => (p.nps === null ? null : Math.max(-100, p.nps - p.margin))),
            borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: "-1", backgroundColor: band },
          { label: words.nps, data: trend.map((p) => p.nps), borderColor: green, borderWidth: 2.5, tension: 0.3,
            spanGaps: true, pointBorderColor: green, pointBorderWidth: 2,
            // A hollow point: too few answers in that bucket to read much into it.
            pointBackgroundColor: trend.map((p) => (p.too_few ? "#fff" : green)),
            pointRadius: trend.map((p) => (trend.length > 60 && !p.too_few ? 0 : 3.5)) },
        ],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { suggestedMin: Math.max(-100, Math.floor((low - 5) / 10) * 10),
               suggestedMax: Math.min(100, Math.ceil((high + 5) / 10) * 10),
               title: { display: true, text: words.nps },
               grid: { color: (ctx) => (ctx.tick.value === 0 ? "rgba(0,0,0,0.35)" : "rgba(0,0,0,0.06)") } },
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
        },
        plugins: {
          legend: { labels: { filter: (item) => item.text !== "upper", boxWidth: 14 } },
          tooltip: {
            filter: (item) => item.dataset.label === words.nps,
            callbacks: {
              title: (items) => new Date(trend[items[0].dataIndex].label + "T00:00:00").toLocaleDateString(locale, { dateStyle: "medium" }),
              label: (ctx) => `${words.nps} ${signed(ctx.parsed.y)} ± ${Math.round(trend[ctx.dataIndex].margin)}`,
              afterLabel: (ctx) => `n = ${trend[ctx.dataIndex].n}${trend[ctx.dataIndex].too_few ? ` (${words.too_few})` : ""}`,
            },
          },
        },
      },
    });
    const distribution = data("distribution-data") || [];
    const barColour = (score) => (score >= 9 ? colour("--kl-promoter", "#15803d")
      : score >= 7 ? colour("--kl-passive", "#a16207") : colour("--kl-detractor", "#b91c1c"));
    draw("distribution-chart", {
      type: "bar",
      data: { labels: distribution.map((_, i) => String(i)),
              datasets: [{ label: words.answers, data: distribution, backgroundColor: distribution.map((_, i) => barColour(i)) }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
                 scales: { x: { title: { display: true, text: words.score }, grid: { display: false } },
                           y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  // Typing a date means a custom period.
  document.addEventListener("change", (event) => {
    if (event.target.id === "f-start" || event.target.id === "f-end") {
      const period = document.getElementById("f-period");
      if (period) period.value = "custom";
    }
  }, true);
  document.addEventListener("DOMContentLoaded", render);
  document.body.addEventListener("htmx:afterSettle", render);
})();
