// The idea page: the message to the contributor follows the chosen status until someone edits it.
// No inline code (CSP).
"use strict";

(() => {
  const select = document.getElementById("id_status");
  const message = document.getElementById("id_message");
  if (!select || !message) return;
  let edited = message.value.trim() !== "";
  const fill = () => {
    if (edited) return;
    const option = select.options[select.selectedIndex];
    message.value = option ? option.dataset.message || "" : "";
  };
  message.addEventListener("input", () => { edited = message.value.trim() !== ""; });
  select.addEventListener("change", fill);
  fill();
})();
