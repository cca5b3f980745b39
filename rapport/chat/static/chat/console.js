/* Rapport live chat: the agent console (live messages, typing, replies) and agent presence. */
(function () {
  "use strict";

  function socketUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function connect(path, handlers) {
    var socket = null;
    var delay = 1000;
    var pingTimer = null;
    var closedForGood = false;
    function open() {
      socket = new WebSocket(socketUrl(path));
      socket.onopen = function () {
        delay = 1000;
        if (handlers.open) handlers.open(socket);
        pingTimer = setInterval(function () { send({ type: "ping" }); }, 30000);
      };
      socket.onmessage = function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        if (handlers.frame) handlers.frame(frame);
      };
      socket.onclose = function (event) {
        clearInterval(pingTimer);
        if (handlers.close) handlers.close(event);
        if (closedForGood || event.code === 4403) return;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }
    function send(frame) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }
    open();
    return { send: send, stop: function () { closedForGood = true; socket.close(); } };
  }

  function initConsole(root) {
    var log = root.querySelector("[data-chat-log]");
    var typingLine = root.querySelector("[data-chat-typing]");
    var errorLine = root.querySelector("[data-chat-error]");
    var form = root.querySelector("[data-chat-form]");
    var textarea = form.querySelector("textarea");
    var state = root.querySelector("[data-chat-state]");
    var lastId = 0;
    var typingTimer = null;
    var lastTypingSent = 0;
    var seen = {};
    Array.prototype.forEach.call(log.querySelectorAll("[data-id]"), function (item) {
      var id = parseInt(item.getAttribute("data-id"), 10);
      seen[id] = true;
      lastId = Math.max(lastId, id);
    });
    log.scrollTop = log.scrollHeight;

    function showError(text) {
      errorLine.textContent = text || "";
      errorLine.hidden = !text;
    }

    function addMessage(frame) {
      if (seen[frame.id]) return;
      seen[frame.id] = true;
      lastId = Math.max(lastId, frame.id);
      var item = document.createElement("li");
      item.className = "chat-msg from-" + frame.from;
      item.setAttribute("data-id", frame.id);
      var who = document.createElement("span");
      who.className = "chat-who";
      who.textContent = frame.name || (frame.from === "visitor" ? "Visitor" : "Support");
      var when = document.createElement("time");
      when.className = "muted small";
      when.setAttribute("datetime", frame.at);
      var at = new Date(frame.at);
      when.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      var body = document.createElement("p");
      body.className = "chat-body";
      body.textContent = frame.body;
      item.appendChild(who);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(when);
      item.appendChild(body);
      log.appendChild(item);
      log.scrollTop = log.scrollHeight;
      if (frame.from === "visitor") showTyping(null);
    }

    function showTyping(frame) {
      clearTimeout(typingTimer);
      if (!frame || !frame.typing) {
        typingLine.hidden = true;
        typingLine.textContent = "";
        return;
      }
      var template = root.getAttribute("data-typing-text") || "%(name)s is typing…";
      typingLine.textContent = template.replace("%(name)s", frame.name || "Visitor");
      typingLine.hidden = false;
      typingTimer = setTimeout(function () { showTyping(null); }, 6000);
    }

    function chatEnded() {
      if (state) {
        state.textContent = root.getAttribute("data-ended-text") || state.textContent;
        state.classList.remove("ok");
      }
      var endForm = root.querySelector("[data-chat-end]");
      if (endForm) endForm.hidden = true;
    }

    var link = connect(root.getAttribute("data-socket"), {
      open: function (socket) {
        root.setAttribute("data-connected", "true");
        socket.send(JSON.stringify({ type: "hello", last_id: lastId }));
      },
      close: function () { root.setAttribute("data-connected", "false"); },
      frame: function (frame) {
        if (frame.type === "message") addMessage(frame);
        else if (frame.type === "typing" && frame.from === "visitor") showTyping(frame);
        else if (frame.type === "ended") chatEnded();
        else if (frame.type === "error") showError(frame.message);
      },
    });

    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSent > 2000 && textarea.value.trim()) {
        lastTypingSent = now;
        link.send({ type: "typing", typing: true });
      }
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
    form.addEventListener("submit", function (event) {
      var body = textarea.value.trim();
      if (!body) { event.preventDefault(); return; }
      // Without an open socket the form posts normally (the page reloads with the reply).
      if (link.send({ type: "message", body: body })) {
        event.preventDefault();
        textarea.value = "";
        lastTypingSent = 0;
        link.send({ type: "typing", typing: false });
        showError("");
      }
    });
  }

  function init() {
    var consoles = document.querySelectorAll("[data-chat-console]");
    Array.prototype.forEach.call(consoles, initConsole);
    var presence = document.querySelector("[data-chat-presence]");
    if (presence && !consoles.length) connect(presence.getAttribute("data-socket"), {});
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
