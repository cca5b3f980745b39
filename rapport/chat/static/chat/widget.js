/*
 * Rapport live-chat widget. Embed with one tag on any page:
 *   <script src="https://rapport.example/chat/widget.js" data-lang="de" defer></script>
 * Optional attributes: data-lang ("de" or "en"; default: the page's <html lang>, then the
 * browser's), data-position ("right" or "left"), data-color (a hex colour such as "#2458c6").
 * No framework and no third-party requests: everything comes from the Rapport server the
 * script was loaded from. The widget lives in a shadow root, so the page's styles and ours
 * never mix.
 *
 * Before a person is needed, visitors can ask the assistant (answers from the help centre,
 * /assistant/api/...). "Talk to a person" hands the exchange over: the live chat starts with
 * it (or, with nobody online, it becomes an email request), so nobody repeats anything.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.RapportChat) return;

  var server = script.src.replace(/\/chat\/widget\.js(\?.*)?$/, "");
  var dataset = script.dataset || {};
  var lang = (dataset.lang || document.documentElement.lang || navigator.language || "en")
    .slice(0, 2).toLowerCase();
  if (lang !== "de" && lang !== "en") lang = "en";
  var position = dataset.position === "left" ? "left" : "right";
  var accent = /^#[0-9a-fA-F]{3,8}$/.test(dataset.color || "") ? dataset.color : "#2458c6";
  var storeKey = "rapport-chat-token:" + server;

  var strings = {};
  var maxChars = 2000;
  var token = null;
  try { token = window.localStorage.getItem(storeKey); } catch (e) { token = null; }

  function t(key) { return strings[key] || key; }

  function remember(value) {
    token = value;
    try {
      if (value) window.localStorage.setItem(storeKey, value);
      else window.localStorage.removeItem(storeKey);
    } catch (e) { /* private mode: the chat lasts as long as the page */ }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "hidden") node.hidden = !!attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function field(id, label, control) {
    control.id = id;
    return el("div", { class: "field" }, [el("label", { for: id, text: label }), control]);
  }

  function postJson(path, data) {
    return fetch(server + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(data),
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  var STYLE = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; }",
    ".wrap { position: fixed; bottom: 20px; " + position + ": 20px; z-index: 2147483000; font-size: 15px; line-height: 1.45; color: #1d2330; }",
    ".launcher { border: none; border-radius: 999px; padding: 12px 20px; background: " + accent + "; color: #fff; font-size: 15px; font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(20,30,60,.25); }",
    ".launcher:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }",
    ".panel { position: absolute; bottom: 60px; " + position + ": 0; width: 360px; max-width: calc(100vw - 40px); height: 520px; max-height: calc(100vh - 100px); background: #fff; border: 1px solid #dde1e7; border-radius: 12px; box-shadow: 0 10px 32px rgba(20,30,60,.22); display: flex; flex-direction: column; overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    ".head { display: flex; align-items: center; justify-content: space-between; padding: 12px 14px; background: " + accent + "; color: #fff; }",
    ".head h2 { font-size: 16px; margin: 0; }",
    ".icon { background: none; border: none; color: inherit; font-size: 22px; line-height: 1; cursor: pointer; padding: 2px 6px; border-radius: 6px; }",
    ".view { flex: 1; display: flex; flex-direction: column; min-height: 0; padding: 12px 14px; overflow-y: auto; }",
    ".view[hidden] { display: none; }",
    ".intro { margin: 0 0 10px; color: #5d6675; }",
    ".field { margin-bottom: 10px; }",
    "label { display: block; font-weight: 600; font-size: 14px; margin-bottom: 3px; }",
    "input, textarea { width: 100%; font: inherit; padding: 8px 9px; border: 1px solid #b9c0cb; border-radius: 8px; color: #1d2330; background: #fff; }",
    "textarea { resize: vertical; min-height: 64px; }",
    ".primary { border: none; border-radius: 8px; padding: 9px 16px; background: " + accent + "; color: #fff; font: inherit; font-weight: 600; cursor: pointer; }",
    ".secondary { border: 1px solid #b9c0cb; border-radius: 8px; padding: 6px 12px; background: #fff; color: #1d2330; font: inherit; font-size: 13px; cursor: pointer; }",
    ".error { color: #b42318; margin: 6px 0; font-size: 14px; }",
    ".error:empty { display: none; }",
    ".status { font-size: 13px; color: #5d6675; padding: 4px 14px; background: #f6f7f9; border-bottom: 1px solid #dde1e7; }",
    ".status:empty { display: none; }",
    ".log { list-style: none; margin: 0; padding: 0; flex: 1; overflow-y: auto; display: flex; flex-direction: column; gap: 8px; }",
    ".msg { max-width: 85%; padding: 7px 10px; border-radius: 12px; background: #f0f2f5; align-self: flex-start; }",
    ".msg.visitor { align-self: flex-end; background: " + accent + "; color: #fff; }",
    ".msg.system { font-style: italic; background: #f6f7f9; color: #3d4655; }",
    ".msg.assistant { background: #eef3fb; }",
    ".msg a { color: inherit; font-weight: 600; }",
    ".helped { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 6px; font-size: 14px; }",
    ".asklog { flex: 0 0 auto; min-height: 140px; max-height: 300px; margin-bottom: 10px; }",
    ".intro[hidden] { display: none; }",
    ".asklog[hidden] { display: none; }",
    ".actions { display: flex; flex-wrap: wrap; gap: 8px; }",
    ".msg.pending { opacity: .7; }",
    ".msg.failed { outline: 2px solid #b42318; }",
    ".who { display: block; font-size: 12px; font-weight: 600; opacity: .85; }",
    ".body { white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".typing { font-size: 13px; color: #5d6675; min-height: 18px; margin: 6px 0 2px; }",
    ".compose { display: flex; gap: 6px; align-items: flex-end; border-top: 1px solid #dde1e7; padding-top: 8px; }",
    ".compose textarea { min-height: 42px; height: 42px; flex: 1; }",
    ".foot { display: flex; justify-content: flex-end; padding-top: 6px; }",
    ".hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }",
    ".survey { flex: 0 0 auto; border-top: 1px solid #dde1e7; padding-top: 10px; margin-top: 8px; }",
    ".survey[hidden], .compose[hidden], .foot[hidden], .survey form[hidden] { display: none; }",
    ".survey .question { font-weight: 600; margin: 0 0 8px; }",
    ".scores { display: flex; gap: 6px; flex-wrap: wrap; }",
    ".score { min-width: 40px; min-height: 40px; border: 1px solid #b9c0cb; border-radius: 8px; background: #fff; color: #1d2330; font: inherit; font-weight: 600; cursor: pointer; }",
    ".score[aria-pressed=true] { background: " + accent + "; border-color: " + accent + "; color: #fff; }",
    ".small { font-size: 13px; color: #5d6675; margin: 6px 0; }",
    ".thanks { font-weight: 600; margin: 8px 0; }",
    ".thanks:empty { display: none; }",
    ".survey form { margin-top: 8px; }",
    ".survey .foot { justify-content: flex-start; }",
    "@media (prefers-reduced-motion: no-preference) { .panel { transition: opacity .15s; } }",
  ].join("\n");

  function render(config) {
    strings = config.strings || {};
    maxChars = config.max_chars || maxChars;
    var host = el("div", { id: "rapport-chat", "data-rapport-chat": "" });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("style", { text: STYLE }));

    var launcher = el("button", {
      type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "rc-panel",
      text: t("launcher"),
    });
    var closeButton = el("button", { type: "button", class: "icon", "aria-label": t("close"), text: "×" });
    var title = el("h2", { id: "rc-title", text: t("title") });
    var status = el("div", { class: "status", role: "status" });

    // Pre-chat form.
    var startName = el("input", { name: "name", autocomplete: "name", maxlength: "200" });
    var startEmail = el("input", { name: "email", type: "email", autocomplete: "email" });
    var startQuestion = el("textarea", { name: "question", required: "", maxlength: String(maxChars) });
    var startError = el("p", { class: "error", role: "alert" });
    var startIntro = el("p", { class: "intro", text: t("intro") });
    var askLog = el("ol", {
      class: "log asklog", role: "log", "aria-live": "polite", "aria-label": t("assistant"), hidden: true,
    });
    var askButton = el("button", { type: "button", class: "primary", text: t("ask") });
    var startButton = el("button", { type: "submit", class: "primary", text: t("start") });
    var startForm = el("form", { class: "view", novalidate: "" }, [
      startIntro,
      askLog,
      field("rc-name", t("name"), startName),
      field("rc-email", t("email"), startEmail),
      field("rc-question", t("question"), startQuestion),
      startError,
      el("div", { class: "actions" }, [config.assistant ? askButton : null, startButton]),
    ]);

    // The chat itself.
    var log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": t("title") });
    var typingLine = el("p", { class: "typing", "aria-live": "polite" });
    var chatError = el("p", { class: "error", role: "alert" });
    var input = el("textarea", { name: "message", maxlength: String(maxChars), rows: "1" });
    var compose = el("form", { class: "compose", novalidate: "" }, [
      el("label", { for: "rc-message", class: "hp", text: t("message") }),
      input,
      el("button", { type: "submit", class: "primary", text: t("send") }),
    ]);
    input.id = "rc-message";
    input.setAttribute("aria-label", t("message"));
    var endButton = el("button", { type: "button", class: "secondary", text: t("end") });
    var chatFoot = el("div", { class: "foot" }, [endButton]);
    // At the end of a chat: the survey, filled in by showSurvey().
    var surveyBox = el("section", { class: "survey", "aria-labelledby": "rc-survey-question", hidden: true });
    var chatView = el("div", { class: "view", hidden: true }, [
      log, typingLine, chatError, surveyBox, compose, chatFoot,
    ]);

    // Offline: leave a message that becomes an email conversation.
    var offName = el("input", { name: "name", autocomplete: "name", maxlength: "200" });
    var offEmail = el("input", { name: "email", type: "email", autocomplete: "email", required: "" });
    var offMessage = el("textarea", { name: "message", required: "", maxlength: String(maxChars) });
    var offTrap = el("input", { name: "website", tabindex: "-1", autocomplete: "off" });
    var offError = el("p", { class: "error", role: "alert" });
    var offlineForm = el("form", { class: "view", novalidate: "", hidden: true }, [
      el("p", { class: "intro", text: t("offline_intro") }),
      field("rc-off-name", t("name"), offName),
      field("rc-off-email", t("email_required"), offEmail),
      field("rc-off-message", t("message"), offMessage),
      el("div", { class: "hp", "aria-hidden": "true" }, [offTrap]),
      offError,
      el("button", { type: "submit", class: "primary", text: t("offline_send") }),
    ]);

    var doneText = el("p", { class: "intro", role: "status" });
    var newChat = el("button", { type: "button", class: "secondary", text: t("new_chat") });
    var doneView = el("div", { class: "view", hidden: true }, [doneText, newChat]);

    var panel = el("div", {
      id: "rc-panel", class: "panel", role: "dialog", "aria-labelledby": "rc-title", hidden: true,
    }, [el("div", { class: "head" }, [title, closeButton]), status, startForm, chatView, offlineForm, doneView]);

    root.appendChild(el("div", { class: "wrap", lang: lang }, [panel, launcher]));
    document.body.appendChild(host);

    var views = [startForm, chatView, offlineForm, doneView];
    function show(view, heading) {
      views.forEach(function (v) { v.hidden = v !== view; });
      title.textContent = heading || t("title");
    }

    // --- The socket: hello with the token, catch-up after the last seen id, reconnect. ---
    var socket = null;
    var ready = false;
    var stopped = true;
    var delay = 1000;
    var lastId = 0;
    var seen = {};
    var outbox = [];
    var pingTimer = null;
    var typingTimer = null;
    var typingSent = 0;
    var stopTypingTimer = null;

    function send(frame) {
      if (socket && ready && socket.readyState === 1) {
        socket.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }

    function connect() {
      if (!token) return;
      stopped = false;
      ready = false;
      status.textContent = t("connecting");
      socket = new WebSocket(server.replace(/^http/, "ws") + "/ws/chat/visitor/?lang=" + lang);
      socket.onopen = function () {
        socket.send(JSON.stringify({ type: "hello", token: token, last_id: lastId }));
      };
      socket.onmessage = function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        handle(frame);
      };
      socket.onclose = function (event) {
        ready = false;
        clearInterval(pingTimer);
        if (stopped || event.code === 4401 || event.code === 4403) return;
        status.textContent = t("reconnecting");
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }

    function disconnect() {
      stopped = true;
      ready = false;
      if (socket) socket.close();
    }

    function handle(frame) {
      if (frame.type === "ready") {
        ready = true;
        delay = 1000;
        status.textContent = "";
        clearInterval(pingTimer);
        pingTimer = setInterval(function () { send({ type: "ping" }); }, 30000);
        outbox.forEach(function (item) { send({ type: "message", body: item.body, client_id: item.id }); });
      } else if (frame.type === "message") {
        addMessage(frame);
      } else if (frame.type === "typing" && frame.from === "agent") {
        showTyping(frame);
      } else if (frame.type === "ended") {
        if (frame.survey) showSurvey(frame.survey);
        else finish(t("ended"));
      } else if (frame.type === "error") {
        if (frame.code === "invalid_token" || frame.code === "session_ended") {
          remember(null);
          disconnect();
          resetChat();
          openFresh();
          return;
        }
        if (frame.client_id) markFailed(frame.client_id);
        chatError.textContent = frame.message || t("error");
      }
    }

    function bubble(from, name, body) {
      var who = from === "visitor" ? t("you") : (name || t("agent"));
      return el("li", { class: "msg " + from }, [
        el("span", { class: "who", text: who }),
        el("span", { class: "body", text: body }),
      ]);
    }

    function addMessage(frame) {
      if (frame.client_id) {
        outbox = outbox.filter(function (item) {
          if (item.id !== frame.client_id) return true;
          if (item.node.parentNode) item.node.parentNode.removeChild(item.node);
          return false;
        });
      }
      if (seen[frame.id]) return;
      seen[frame.id] = true;
      lastId = Math.max(lastId, frame.id);
      var node = bubble(frame.from, frame.name, frame.body);
      node.setAttribute("data-id", frame.id);
      // Keep the log in id order (catch-up may arrive after pending bubbles).
      var before = null;
      Array.prototype.some.call(log.children, function (child) {
        var id = parseInt(child.getAttribute("data-id") || "0", 10);
        if (id > frame.id || child.classList.contains("pending")) { before = child; return true; }
        return false;
      });
      log.insertBefore(node, before);
      if (frame.from === "agent") showTyping(null);
      log.scrollTop = log.scrollHeight;
    }

    function markFailed(clientId) {
      outbox = outbox.filter(function (item) {
        if (item.id !== clientId) return true;
        item.node.classList.add("failed");
        item.node.classList.remove("pending");
        item.node.appendChild(el("span", { class: "who", text: t("not_sent") }));
        return false;
      });
    }

    function showTyping(frame) {
      clearTimeout(typingTimer);
      if (!frame || !frame.typing) { typingLine.textContent = ""; return; }
      typingLine.textContent = t("typing").replace("%(name)s", frame.name || t("agent"));
      typingTimer = setTimeout(function () { typingLine.textContent = ""; }, 6000);
    }

    function resetChat() {
      lastId = 0;
      seen = {};
      outbox = [];
      log.textContent = "";
      chatError.textContent = "";
      typingLine.textContent = "";
      surveying = false;
      surveyBox.textContent = "";
      surveyBox.hidden = true;
      compose.hidden = false;
      chatFoot.hidden = false;
    }

    // --- The survey at the end of the chat: one click per score, then an optional comment.
    // Answers go to /chat/api/survey with the survey's signed token (the chat's own token
    // stops working when the chat ends). ---
    var surveying = false;

    function showSurvey(survey) {
      if (surveying) return;  // told twice (the visitor's end and a solve): keep the first
      remember(null);
      disconnect();
      surveying = true;
      var words = survey.strings || {};
      var chosen = null;
      compose.hidden = true;
      chatFoot.hidden = true;
      typingLine.textContent = "";
      log.appendChild(el("li", { class: "msg system" }, [el("span", { class: "body", text: t("ended") })]));
      log.scrollTop = log.scrollHeight;

      var question = el("p", { class: "question", id: "rc-survey-question", text: survey.question });
      var scores = el("div", { class: "scores", role: "group", "aria-labelledby": "rc-survey-question" });
      var thanks = el("p", { class: "thanks", role: "status", "aria-live": "polite" });
      var error = el("p", { class: "error", role: "alert" });
      var comment = el("textarea", { name: "comment", maxlength: "4000", rows: "2" });
      var commentLabel = el("label", { for: "rc-survey-comment" }, [
        document.createTextNode(words.why + " "),
        el("span", { class: "small", text: words.optional }),
      ]);
      comment.id = "rc-survey-comment";
      var commentForm = el("form", { novalidate: "", hidden: true }, [
        commentLabel, comment,
        el("div", { class: "actions" }, [el("button", { type: "submit", class: "secondary", text: words.send_comment })]),
      ]);
      var again = el("button", { type: "button", class: "secondary", text: t("new_chat") });

      function post(data) {
        error.textContent = "";
        data.token = survey.token;
        data.lang = survey.language;
        return postJson("/chat/api/survey", data).then(function (result) {
          if (!result.ok) throw result;
          return result.body;
        }).catch(function (result) {
          error.textContent = ((result && result.body && result.body.error) || {}).message || words.error;
          throw result;
        });
      }

      survey.choices.forEach(function (choice) {
        var button = el("button", {
          type: "button", class: "score", "aria-pressed": "false", "aria-label": choice.aria,
          "data-score": String(choice.score), text: String(choice.score),
        });
        if (choice.label) button.setAttribute("title", choice.label);
        button.addEventListener("click", function () {
          if (chosen === choice.score) return;
          post({ score: choice.score }).then(function (body) {
            var first = chosen === null;
            chosen = body.score;
            Array.prototype.forEach.call(scores.children, function (other) {
              other.setAttribute("aria-pressed", other === button ? "true" : "false");
            });
            thanks.textContent = body.changed ? words.changed : words.thanks;
            commentForm.hidden = false;
            if (first) comment.focus();
          }).catch(function () { /* shown in the error line */ });
        });
        scores.appendChild(button);
      });

      commentForm.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!comment.value.trim()) { comment.focus(); return; }
        post({ comment: comment.value }).then(function () {
          commentForm.hidden = true;
          thanks.textContent = words.comment_thanks;
          again.focus();
        }).catch(function () { /* shown in the error line */ });
      });
      again.addEventListener("click", function () { resetChat(); resetAssistant(); openFresh(); });

      surveyBox.lang = survey.language || lang;
      surveyBox.appendChild(question);
      surveyBox.appendChild(scores);
      surveyBox.appendChild(el("p", { class: "small", text: survey.scale }));
      surveyBox.appendChild(el("p", { class: "small", text: survey.hint }));
      surveyBox.appendChild(thanks);
      surveyBox.appendChild(error);
      surveyBox.appendChild(commentForm);
      surveyBox.appendChild(el("div", { class: "foot" }, [again]));
      surveyBox.hidden = false;
      show(chatView);
      if (!panel.hidden) scores.firstChild.focus();
    }

    function finish(text) {
      remember(null);
      disconnect();
      doneText.textContent = text;
      show(doneView);
    }

    // Nobody online: the assistant still answers; "Write to us" leads to the offline form.
    var online = true;
    function openFresh() {
      fetch(server + "/chat/api/config?lang=" + lang, { credentials: "omit" })
        .then(function (response) { return response.json(); })
        .then(function (fresh) {
          online = !!fresh.online;
          if (!online && !config.assistant) { show(offlineForm, t("offline_title")); offName.focus(); return; }
          startButton.textContent = online ? t("start") : t("write_to_us");
          if (!askLog.children.length) {
            startIntro.textContent = online ? (config.assistant ? t("assistant_intro") : t("intro")) : t("assistant_intro_offline");
          }
          show(startForm);
          startName.focus();
        })
        .catch(function () { show(offlineForm, t("offline_title")); });
    }

    // --- The assistant: questions answered from the help centre, then a person if needed. ---
    var assistantToken = null;
    var asked = 0;

    function resetAssistant() {
      assistantToken = null;
      asked = 0;
      askLog.textContent = "";
      askLog.hidden = true;
      startIntro.hidden = false;
    }

    function assistantBubble(from, text) {
      var node = bubble(from === "visitor" ? "visitor" : "assistant", t("assistant"), text);
      askLog.hidden = false;
      askLog.appendChild(node);
      askLog.scrollTop = askLog.scrollHeight;
      return node;
    }

    function personButton() {
      var button = el("button", { type: "button", class: "secondary", text: t("talk_to_person") });
      button.addEventListener("click", talkToPerson);
      return button;
    }

    function ensureSession() {
      if (assistantToken) return Promise.resolve(assistantToken);
      return postJson("/assistant/api/start", {
        name: startName.value, email: startEmail.value, lang: lang,
      }).then(function (result) {
        if (!result.ok) throw result;
        assistantToken = result.body.token;
        if (result.body.greeting) assistantBubble("assistant", result.body.greeting);
        return assistantToken;
      });
    }

    function showAnswer(answer) {
      var node = assistantBubble("assistant", answer.text);
      if (answer.article) {
        var link = el("a", { href: answer.article.url, target: "_blank", rel: "noopener", lang: answer.article.language });
        link.textContent = t("read_article").replace("%(title)s", answer.article.title);
        node.appendChild(el("p", {}, [link]));
      }
      var row = el("div", { class: "helped" });
      if (answer.handoff || !answer.article) {
        row.appendChild(personButton());
      } else {
        var yes = el("button", { type: "button", class: "secondary", text: t("yes") });
        var no = el("button", { type: "button", class: "secondary", text: t("no") });
        row.appendChild(el("span", { text: t("did_it_help") }));
        row.appendChild(yes);
        row.appendChild(no);
        [[yes, true], [no, false]].forEach(function (pair) {
          pair[0].addEventListener("click", function () {
            row.textContent = "";
            postJson("/assistant/api/feedback", { token: assistantToken, turn: answer.id, helpful: pair[1], lang: lang })
              .catch(function () { /* the vote is a courtesy; the exchange goes on */ });
            if (pair[1]) { row.appendChild(el("span", { text: t("glad") })); return; }
            row.appendChild(el("span", { text: t("sorry") }));
            var button = personButton();
            row.appendChild(button);
            button.focus();
          });
        });
      }
      node.appendChild(row);
      askLog.scrollTop = askLog.scrollHeight;
    }

    function askAssistant(retried) {
      var question = startQuestion.value.trim();
      startError.textContent = "";
      if (!question) { startError.textContent = t("question"); startQuestion.focus(); return; }
      askButton.disabled = true;
      ensureSession().then(function () {
        return postJson("/assistant/api/ask", { token: assistantToken, question: question, lang: lang });
      }).then(function (result) {
        askButton.disabled = false;
        if (result.status === 404 && !retried) { resetAssistant(); askAssistant(true); return; }
        if (!result.ok) { startError.textContent = (result.body.error || {}).message || t("error"); return; }
        asked += 1;
        startIntro.hidden = true;  // room for the exchange
        assistantBubble("visitor", result.body.question.text);
        showAnswer(result.body.answer);
        startQuestion.value = "";
        startQuestion.focus();
      }).catch(function (result) {
        askButton.disabled = false;
        startError.textContent = ((result && result.body && result.body.error) || {}).message || t("error");
      });
    }
    askButton.addEventListener("click", function () { askAssistant(false); });

    function talkToPerson() {
      startError.textContent = "";
      if (!online) {
        offName.value = offName.value || startName.value;
        offEmail.value = offEmail.value || startEmail.value;
        offMessage.value = offMessage.value || startQuestion.value;
        show(offlineForm, t("offline_title"));
        offEmail.focus();
        return;
      }
      handOver("chat", startName.value, startEmail.value, startQuestion.value, startError);
    }

    function handOver(mode, name, email, message, errorNode) {
      return postJson("/assistant/api/handover", {
        token: assistantToken, mode: mode, name: name, email: email, message: message,
        page_url: location.href, lang: lang,
      }).then(function (result) {
        if (!result.ok) { errorNode.textContent = (result.body.error || {}).message || t("error"); return; }
        resetAssistant();
        startQuestion.value = "";
        offMessage.value = "";
        if (mode === "chat" && result.body.chat_token) {
          remember(result.body.chat_token);
          resetChat();
          show(chatView);
          connect();
          input.focus();
        } else {
          doneText.textContent = t("offline_thanks");
          show(doneView, t("offline_title"));
        }
      }).catch(function () { errorNode.textContent = t("error"); });
    }

    // --- Events ---
    function setOpen(open) {
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) { launcher.focus(); return; }
      if (surveying) {
        show(chatView);
      } else if (token) {
        show(chatView);
        if (stopped) connect();
        input.focus();
      } else {
        openFresh();
      }
    }
    launcher.addEventListener("click", function () { setOpen(panel.hidden); });
    closeButton.addEventListener("click", function () { setOpen(false); });
    panel.addEventListener("keydown", function (event) { if (event.key === "Escape") setOpen(false); });

    startForm.addEventListener("submit", function (event) {
      event.preventDefault();
      startError.textContent = "";
      if (assistantToken && asked) { talkToPerson(); return; }
      if (!online) { talkToPerson(); return; }
      if (!startQuestion.value.trim()) { startError.textContent = t("question"); startQuestion.focus(); return; }
      postJson("/chat/api/start", {
        name: startName.value, email: startEmail.value, question: startQuestion.value,
        page_url: location.href, lang: lang,
      }).then(function (result) {
        if (!result.ok) { startError.textContent = (result.body.error || {}).message || t("error"); return; }
        remember(result.body.token);
        resetChat();
        startQuestion.value = "";
        show(chatView);
        connect();
        input.focus();
      }).catch(function () { startError.textContent = t("error"); });
    });

    offlineForm.addEventListener("submit", function (event) {
      event.preventDefault();
      offError.textContent = "";
      if (assistantToken && asked) {
        if (offTrap.value) return;
        handOver("email", offName.value, offEmail.value, offMessage.value, offError);
        return;
      }
      postJson("/chat/api/offline", {
        name: offName.value, email: offEmail.value, message: offMessage.value,
        website: offTrap.value, page_url: location.href, lang: lang,
      }).then(function (result) {
        if (!result.ok) { offError.textContent = (result.body.error || {}).message || t("error"); return; }
        offMessage.value = "";
        doneText.textContent = t("offline_thanks");
        show(doneView, t("offline_title"));
      }).catch(function () { offError.textContent = t("error"); });
    });

    compose.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = input.value.trim();
      if (!body) return;
      if (body.length > maxChars) { chatError.textContent = t("error"); return; }
      chatError.textContent = "";
      var id = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      var node = bubble("visitor", "", body);
      node.classList.add("pending");
      log.appendChild(node);
      log.scrollTop = log.scrollHeight;
      outbox.push({ id: id, body: body, node: node });
      send({ type: "message", body: body, client_id: id });
      input.value = "";
      typingSent = 0;
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        compose.requestSubmit ? compose.requestSubmit() : compose.dispatchEvent(new Event("submit"));
      }
    });
    input.addEventListener("input", function () {
      var now = Date.now();
      if (now - typingSent > 2000 && input.value.trim()) {
        typingSent = now;
        send({ type: "typing", typing: true });
      }
      clearTimeout(stopTypingTimer);
      stopTypingTimer = setTimeout(function () {
        if (typingSent) { typingSent = 0; send({ type: "typing", typing: false }); }
      }, 4000);
    });
    endButton.addEventListener("click", function () {
      if (!send({ type: "end" })) finish(t("ended"));
    });
    newChat.addEventListener("click", function () { resetChat(); resetAssistant(); openFresh(); });

    window.RapportChat = { open: function () { setOpen(true); }, close: function () { setOpen(false); } };
    if (token) connect();  // resume a chat from an earlier page of the site
  }

  function start() {
    fetch(server + "/chat/api/config?lang=" + lang, { credentials: "omit" })
      .then(function (response) { return response.json(); })
      .then(render)
      .catch(function () { /* Rapport unreachable: show nothing rather than a broken button */ });
  }
  window.RapportChat = { loading: true };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
