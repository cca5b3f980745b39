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
