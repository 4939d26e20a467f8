// The sharing page: "Copy the text" copies the (edited) text to the clipboard and records the copy
// in the background. Without scripts, or where the browser refuses the clipboard, the button is a
// plain form submit: the server records the copy and shows the text on a page of its own.
"use strict";

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-share-copy]") : null;
  if (!button || !button.form || !navigator.clipboard || !window.fetch) return;
  const form = button.form;
  const status = form.querySelector("[data-copy-status]");
  event.preventDefault();
  try {
    await navigator.clipboard.writeText(form.elements.namedItem("text").value);
  } catch {
    form.requestSubmit(button); // the clipboard was refused: fall back to the plain form
    return;
  }
  if (status) status.textContent = button.dataset.copied;
  try {
    // The form's own fields carry the CSRF token; the header asks for an empty 204 answer.
    await fetch(button.formAction, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
  } catch {
    // The copy happened; only its count is lost. Nothing for the person to do.
  }
});

// The no-script copy page: select the text at once, ready for Ctrl+C.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-select-on-load]").forEach((area) => {
    area.focus();
    area.select();
  });
});
