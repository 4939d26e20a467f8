// The guidelines' policy editor: Trix (static/vendor/trix) over a plain <textarea data-rich-text>,
// which stays the form field when JavaScript is off. Trix adds its own <style> element with the
// page's CSP nonce (meta csp-nonce), so the CSP needs no exception. The server keeps only what
// sanitize_policy allows, so the editor offers no more: headings are <h2> (Trix's <h1> would be
// removed), the toolbar comes from a <template> on the page (translated, no code or strike-through
// buttons), and files cannot be attached.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const textarea = document.querySelector("textarea[data-rich-text]");
  const toolbarTemplate = textarea && document.getElementById(textarea.dataset.richText);
  if (!toolbarTemplate || !window.Trix || !window.customElements) return;
  window.Trix.config.blockAttributes.heading1.tagName = "h2";

  const input = document.createElement("input");
  input.type = "hidden";
  input.name = textarea.name;
  input.id = `${textarea.id}-value`;
  input.value = textarea.value;

  const toolbar = document.createElement("trix-toolbar");
  toolbar.id = `${textarea.id}-toolbar`;
  toolbar.append(toolbarTemplate.content.cloneNode(true));

  const editor = document.createElement("trix-editor");
  editor.id = textarea.id; // the field's <label for> now names the editor
  editor.className = "trix-content form-control";
  editor.setAttribute("input", input.id);
  editor.setAttribute("toolbar", toolbar.id);
  // Name the editor by the field's label for every browser and screen reader (Trix labels only some).
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  if (label) {
    label.id ||= `${textarea.id}-label`;
    editor.setAttribute("aria-labelledby", label.id);
  }
  for (const name of ["aria-describedby", "aria-invalid"]) {
    if (textarea.hasAttribute(name)) editor.setAttribute(name, textarea.getAttribute(name));
  }
  if (textarea.classList.contains("is-invalid")) editor.classList.add("is-invalid");
  editor.addEventListener("trix-file-accept", (event) => event.preventDefault());
  // The hidden input first: the editor reads its value when it connects.
  textarea.replaceWith(input, toolbar, editor);
});
