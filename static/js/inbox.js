// The inbox: keyboard shortcuts on the list and the conversation page, saved replies, the reply's
// character count, and telling the others that someone is typing. No inline code (CSP).
"use strict";

(() => {
  const typing = () => document.activeElement && ["TEXTAREA", "INPUT", "SELECT"].includes(document.activeElement.tagName);

  // The list: j / k move, Enter opens, a / c act on the open conversation's page.
  function rows() {
    return Array.from(document.querySelectorAll(".inbox-row"));
  }
  let current = -1;
  function select(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((row, n) => row.classList.toggle("active", n === current));
    all[current].focus();
    all[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing()) return;
    const list = rows();
    if (list.length) {
      if (event.key === "j") { select(current + 1); event.preventDefault(); }
      else if (event.key === "k") { select(current - 1); event.preventDefault(); }
      else if (event.key === "Enter" && current >= 0) { window.location.href = list[current].dataset.href; }
      return;
    }
    if (event.key === "a") document.getElementById("assign-me-form")?.submit();
    else if (event.key === "c") document.getElementById("close-form")?.submit();
    else if (event.key === "r") { document.getElementById("id_text")?.focus(); event.preventDefault(); }
  });

  // Saved replies: fill in the text with {author_name}, {handle} and {account}.
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement) || select.id !== "saved-reply" || !select.value) return;
    const text = document.getElementById("id_text");
    if (!text) return;
    text.value = select.value
      .replaceAll("{author_name}", select.dataset.authorName || "")
      .replaceAll("{handle}", select.dataset.handle || "")
      .replaceAll("{account}", select.dataset.account || "");
    text.dispatchEvent(new Event("input", { bubbles: true }));
    text.focus();
  });

  // The character count (an estimate; the server counts the network's way before sending).
  let idle;
  document.addEventListener("input", (event) => {
    const text = event.target;
    if (!(text instanceof HTMLTextAreaElement) || text.id !== "id_text") return;
    const count = document.getElementById("reply-count");
    const limit = Number(text.dataset.limit || 0);
    if (count && limit) {
      const used = [...new Intl.Segmenter().segment(text.value)].length;
      count.textContent = `${used} / ${limit}`;
      count.classList.toggle("text-danger", used > limit);
    }
    // Tell the others (the presence box asks the server with typing=1), then stop after a pause.
    const flag = document.getElementById("typing-flag");
    if (flag && flag.value !== "1") {
      flag.value = "1";
      document.body.dispatchEvent(new Event("smm:typing"));
    }
    clearTimeout(idle);
    idle = setTimeout(() => { if (flag) flag.value = "0"; }, 5000);
  });
})();
