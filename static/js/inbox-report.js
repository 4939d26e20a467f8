// The response-time report's chart: the median first response per ISO week as bars, the target as a
// line. The numbers come from a json_script element (no inline code: CSP); the tables carry the same.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("report-chart-data");
  const canvas = document.getElementById("report-chart");
  if (!source || !canvas || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const style = getComputedStyle(document.documentElement);
  const primary = style.getPropertyValue("--bs-primary").trim() || "#0d6efd";
  const danger = style.getPropertyValue("--bs-danger").trim() || "#dc3545";
  new window.Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: data.label, data: data.medians, backgroundColor: primary },
        {
          type: "line",
          label: data.targetLabel,
          data: data.labels.map(() => data.target),
          borderColor: danger,
          borderDash: [6, 4],
          pointRadius: 0,
          fill: false,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
      scales: { y: { beginAtZero: true, title: { display: true, text: data.label } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
});
