// CSV import: size progress bars from their data-progress value. CSP forbids inline style
// attributes, but styles set through the DOM are allowed.
"use strict";

function sizeProgressBars() {
  document.querySelectorAll(".progress-bar[data-progress]").forEach((bar) => {
    const value = Number(bar.dataset.progress);
    if (Number.isFinite(value)) bar.style.width = `${Math.min(100, Math.max(0, value))}%`;
  });
}
document.addEventListener("DOMContentLoaded", sizeProgressBars);
// The status block polls itself and is replaced (outerHTML) every second while checking.
document.addEventListener("htmx:afterSettle", sizeProgressBars);
