// The composer: tabs (reply, note, call) and inserting a reply template at the cursor.
(function () {
  "use strict";
  var tabs = document.querySelectorAll(".composer-tabs [data-tab]");
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () {
      tabs.forEach(function (other) {
        var selected = other === tab;
        other.setAttribute("aria-selected", selected ? "true" : "false");
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      });
    });
  });
  var form = document.getElementById("reply-form");
  var picker = document.getElementById("template-picker");
  if (!form || !picker) return;
  picker.addEventListener("change", function () {
    if (!picker.value) return;
    var url = form.dataset.templateUrl.replace(/\/0\/$/, "/" + encodeURIComponent(picker.value) + "/");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (data) {
        var area = form.querySelector("textarea[name=body]");
        var start = area.selectionStart || 0, end = area.selectionEnd || 0;
        area.value = area.value.slice(0, start) + data.body + area.value.slice(end);
        area.focus();
        area.selectionStart = area.selectionEnd = start + data.body.length;
        form.querySelector("input[name=template]").value = data.id;
        if (data.status) form.querySelector("select[name=status]").value = data.status;
        var note = document.getElementById("template-actions");
        var parts = [];
        if (data.priority) parts.push(note.dataset.priority || "priority: " + data.priority);
        if (data.tags.length) parts.push("+ " + data.tags.join(", "));
        note.textContent = parts.join(" · ");
        note.hidden = parts.length === 0;
        picker.value = "";
      })
      .catch(function () { picker.value = ""; });
  });
})();


// @mentions in internal notes: typing "@" and a few letters suggests colleagues;
// arrow keys choose, Enter or Tab inserts, Escape closes.
(function () {
  "use strict";
  var form = document.getElementById("note-form");
  var list = document.getElementById("mention-list");
  if (!form || !list) return;
  var area = form.querySelector("textarea[name=body]");
  var items = [], active = -1, pending = null, token = null;
  area.setAttribute("aria-autocomplete", "list");
  area.setAttribute("aria-controls", "mention-list");

  function currentToken() {
    var upto = area.value.slice(0, area.selectionStart || 0);
    var match = /(^|[^\w@])@([\w.+-]*)$/.exec(upto);
    return match ? { start: upto.length - match[2].length, text: match[2] } : null;
  }
  function close() {
    list.hidden = true; list.innerHTML = ""; items = []; active = -1;
    area.removeAttribute("aria-activedescendant");
  }
  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (li, i) {
      li.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) area.setAttribute("aria-activedescendant", "mention-" + index);
  }
  function choose(index) {
    var person = items[index];
    if (!person || !token) return;
    var end = token.start + token.text.length;
    var insert = person.username + " ";
    area.value = area.value.slice(0, token.start) + insert + area.value.slice(end);
    area.selectionStart = area.selectionEnd = token.start + insert.length;
    close();
    area.focus();
  }
  function show(people) {
    list.innerHTML = "";
    items = people;
    people.forEach(function (person, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.textContent = person.name + " (@" + person.username + ")";
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = people.length === 0;
    highlight(people.length ? 0 : -1);
  }
  area.addEventListener("input", function () {
    token = currentToken();
    if (!token) { close(); return; }
    var url = form.dataset.colleaguesUrl + "?q=" + encodeURIComponent(token.text);
    var asked = pending = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (data) { if (asked === pending) show(data.colleagues || []); })
      .catch(close);
  });
  area.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + items.length) % items.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      event.stopPropagation();
      choose(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  area.addEventListener("blur", function () { setTimeout(close, 150); });
})();


// The knowledge-base panel: "Insert link" and "Insert text" put an article into the reply
// at the cursor (the results come from /kb/agent/search/ through htmx).
(function () {
  "use strict";
  var results = document.getElementById("kb-agent-results");
  var form = document.getElementById("reply-form");
  if (!results || !form) return;
  var area = form.querySelector("textarea[name=body]");
  function insert(text) {
    var start = area.selectionStart || 0, end = area.selectionEnd || 0;
    var before = area.value.slice(0, start), after = area.value.slice(end);
    if (before && !/\s$/.test(before)) text = (/\n$/.test(text) ? "\n" : " ") + text;
    area.value = before + text + after;
    area.focus();
    area.selectionStart = area.selectionEnd = before.length + text.length;
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  results.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-insert-link], [data-kb-insert-text]");
    if (!button) return;
    event.preventDefault();
    if (button.hasAttribute("data-kb-insert-link")) {
      insert(button.dataset.kbTitle + ": " + button.dataset.kbInsertLink);
    } else {
      insert(button.dataset.kbInsertText + "\n");
    }
  });
})();
