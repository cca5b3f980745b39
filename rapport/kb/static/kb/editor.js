// The article editor: a live preview of the Markdown (rendered and sanitised by the server)
// and buttons that insert an uploaded image's Markdown at the cursor.
(function () {
  "use strict";
  var form = document.querySelector("form.kb-editor");
  if (!form) return;
  var area = form.querySelector("textarea[name=body]");
  var pane = document.getElementById("kb-preview");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null, asked = 0;

  function refresh() {
    var mine = ++asked;
    if (!area.value.trim()) {
      pane.innerHTML = "";
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = pane.dataset.empty;
      pane.appendChild(p);
      return;
    }
    var body = new FormData();
    body.append("body", area.value);
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
    })
      .then(function (response) {
        if (!response.ok) return response.text().then(function (text) { throw new Error(text); });
        return response.text();
      })
      .then(function (html) { if (mine === asked) pane.innerHTML = html; })  // sanitised by the server (nh3)
      .catch(function (error) {
        if (mine !== asked) return;
        pane.innerHTML = "";
        var p = document.createElement("p");
        p.className = "errors";
        p.setAttribute("role", "alert");
        p.textContent = (error && error.message && error.message.length < 300) ? error.message : pane.dataset.error;
        pane.appendChild(p);
      });
  }

  if (area && pane) {
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    refresh();
  }

  form.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.dataset.insert;
      var start = area.selectionStart || 0, end = area.selectionEnd || 0;
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
      area.focus();
      area.selectionStart = area.selectionEnd = start + text.length;
      area.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
