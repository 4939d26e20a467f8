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
