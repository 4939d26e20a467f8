// smm's small page behaviours. Loaded as a file, never inline, so CSP needs no exceptions.
"use strict";

// <form data-confirm="Really?">: ask before submitting a destructive action.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// An htmx request that failed (403, 500, network) changes nothing on the page: say so.
document.addEventListener("htmx:responseError", showRequestError);
document.addEventListener("htmx:sendError", showRequestError);
function showRequestError() {
  const box = document.getElementById("request-error");
  if (!box) return;
  box.textContent = document.body.dataset.errorMessage;
  box.classList.remove("d-none");
  box.scrollIntoView({ block: "nearest" });
}

// <select data-autosubmit>: with htmx the form posts itself on change; without htmx, a
// visible "Save" button (hidden by the .js-hide class only when htmx runs) does it.
document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) document.documentElement.classList.add("has-htmx");
});

// <button data-confirm-button="Really?">: ask before this one submit button sends its form.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-confirm-button]") : null;
  if (button && !window.confirm(button.dataset.confirmButton)) {
    event.preventDefault();
  }
});

// <span data-color="#0d6efd">: a colour swatch (colours come from data, never inline styles).
function paintSwatches(root) {
  root.querySelectorAll("[data-color]").forEach((element) => {
    if (/^#[0-9a-fA-F]{6}$/.test(element.dataset.color)) element.style.backgroundColor = element.dataset.color;
  });
}
document.addEventListener("DOMContentLoaded", () => paintSwatches(document));
document.addEventListener("htmx:afterSwap", (event) => paintSwatches(event.target));
