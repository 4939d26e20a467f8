// smm's small page behaviours. Loaded as a file, never inline, so CSP needs no exceptions.
"use strict";

// <form data-confirm="Really?">: ask before submitting a destructive action.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// <select data-autosubmit>: with htmx the form posts itself on change; without htmx, a
// visible "Save" button (hidden by the .js-hide class only when htmx runs) does it.
document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) document.documentElement.classList.add("has-htmx");
});
