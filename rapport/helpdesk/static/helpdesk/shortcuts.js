// Keyboard shortcuts of the inbox and the conversation page (the help dialog lists them).
(function () {
  "use strict";
  function typing(event) {
    var el = event.target;
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.inbox-row")); }
  var current = -1;
  function select(index) {
    var list = rows();
    if (!list.length) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = list[current].querySelector("a.conv-link");
    if (link) link.focus();
  }
  document.addEventListener("htmx:afterSwap", function () { current = -1; });
  function openHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (dialog && !dialog.open) dialog.showModal();
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcut-help]")) openHelp();
  });
  function submit(id) {
    var form = document.getElementById(id);
    if (form) form.requestSubmit();
  }
  function showPane(name) {
    var tab = document.querySelector('[data-tab="' + name + '"]');
    if (tab) tab.click();
    var area = document.querySelector("#pane-" + name + " textarea");
    if (area) area.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    var key = event.key;
    var inbox = rows().length > 0;
    if (key === "?") { event.preventDefault(); openHelp(); return; }
    if (inbox && key === "j") { event.preventDefault(); select(current + 1); return; }
    if (inbox && key === "k") { event.preventDefault(); select(current < 0 ? 0 : current - 1); return; }
    if (inbox && (key === "o" || key === "Enter") && current >= 0) {
      event.preventDefault();
      window.location.href = rows()[current].dataset.href;
      return;
    }
    if (inbox && key === "x" && current >= 0) {
      var box = rows()[current].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
      return;
    }
    if (key === "r") { event.preventDefault(); showPane("reply"); return; }
    if (key === "n") { event.preventDefault(); showPane("note"); return; }
    if (key === "a") { event.preventDefault(); submit("assign-me-form"); return; }
    if (key === "s") { event.preventDefault(); submit("solve-form"); return; }
    if (key === "u") {
      var back = document.querySelector("[data-inbox-link]");
      if (back) window.location.href = back.href;
    }
  });
})();
