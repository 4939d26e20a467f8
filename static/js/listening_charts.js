// A listening topic's dashboard: mentions over time (bars), the share of positive of the non-neutral
// mentions with the tone goal as a dashed line, and the share of voice. The numbers come from a
// json_script element (no inline code: CSP); the page's tables carry the same numbers.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("listening-chart-data");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const style = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const primary = colour("--bs-primary", "#0d6efd");
  const success = colour("--bs-success", "#198754");
  const danger = colour("--bs-danger", "#dc3545");
  const secondary = colour("--bs-secondary", "#6c757d");
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined;

  const volume = document.getElementById("volume-chart");
  if (volume) {
    new window.Chart(volume, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.sentimentLabels.positive, data: data.sentiment.positive, backgroundColor: success, stack: "s" },
          { label: data.sentimentLabels.neutral, data: data.sentiment.neutral, backgroundColor: secondary, stack: "s" },
          { label: data.sentimentLabels.negative, data: data.sentiment.negative, backgroundColor: danger, stack: "s" },
        ],
      },
      options: {
        animation: still,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: data.volumeLabel } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  const tone = document.getElementById("tone-chart");
  if (tone) {
    const datasets = [
      { type: "line", label: data.shareLabel, data: data.positiveShare, borderColor: primary, spanGaps: true, fill: false },
    ];
    if (data.goal !== null) {
      datasets.push({
        type: "line",
        label: data.goalLabel,
        data: data.labels.map(() => data.goal),
        borderColor: danger,
        borderDash: [6, 4],
        pointRadius: 0,
        fill: false,
      });
    }
    new window.Chart(tone, {
      data: { labels: data.labels, datasets },
      options: {
        animation: still,
        scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  const voice = document.getElementById("voice-chart");
  if (voice && data.voice.counts.some((count) => count > 0)) {
    new window.Chart(voice, {
      type: "doughnut",
      data: { labels: data.voice.labels, datasets: [{ data: data.voice.counts }] },
      options: { animation: still, plugins: { legend: { position: "bottom" } } },
    });
  }
});
