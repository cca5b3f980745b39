"""Pages and endpoints of the live chat: the widget script and its JSON API, the demo page,
and the agents' console."""

import json
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts.access import staff_required
from rapport.chat import actions, queries
from rapport.feedback.actions import SurveyError, answer_in_chat
from rapport.helpdesk.actions import HelpdeskError
from rapport.helpdesk.models import Conversation
from rapport.helpdesk.queries import get_conversation

START_WINDOW_SECONDS = 600


# --- The widget and its API (called from customers' web sites) -----------------------------


@lru_cache(maxsize=1)
def _widget_source() -> bytes:
    path = finders.find("chat/widget.js")
    if not path:
        raise Http404
    with open(path, "rb") as handle:
        return handle.read()


@require_GET
def widget_js(request):
    """Serve the embeddable widget script (one ``<script>`` tag on the customer's site)."""
    source = _widget_source() if not settings.DEBUG else _widget_source.__wrapped__()
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _origin(request) -> str:
    origin = request.headers.get("Origin", "").strip().lower()
    if not origin:
        return ""
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}"


def _origin_allowed(request) -> bool:
    allowed = {item.rstrip("/").lower() for item in settings.CHAT_ALLOWED_ORIGINS}
    if not allowed or "*" in allowed:
        return True
    origin = _origin(request)
    own = f"{request.scheme}://{request.get_host()}".lower()
    return origin in allowed or origin == own


def _cors(request, response):
    if settings.CHAT_ALLOWED_ORIGINS and "*" not in settings.CHAT_ALLOWED_ORIGINS:
        if _origin_allowed(request) and _origin(request):
            response["Access-Control-Allow-Origin"] = _origin(request)
            response["Vary"] = "Origin"
    else:
        response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    return response


def _json(request, data, status=200):
    return _cors(request, JsonResponse(data, status=status))


def _refusal(request, code: str, message: str, status: int, **extra):
    return _json(request, {"error": {"code": code, "message": message, **extra}}, status)


def _language(request) -> str:
    return actions.visitor_language(request.GET.get("lang", "")) or actions.visitor_language(
        request.headers.get("Accept-Language", "")
    )


def widget_strings() -> dict[str, str]:
    """Return the widget's texts in the active language."""
    return {
        "launcher": _("Chat with us"),
        "close": _("Close chat"),
        "title": _("Chat with our support"),
        "intro": _("Ask us anything – we usually answer within a few minutes."),
        "name": _("Your name"),
        "email": _("Email (optional)"),
        "email_required": _("Email"),
        "question": _("Your question"),
        "start": _("Start chat"),
        "message": _("Message"),
        "send": _("Send"),
        "end": _("End chat"),
        "typing": _("%(name)s is typing…"),
        "agent": _("Support"),
        "you": _("You"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost – reconnecting…"),
        "offline_title": _("Leave us a message"),
        "offline_intro": _(
            "Nobody is available in the chat right now. Write to us and we will answer by email."
        ),
        "offline_send": _("Send message"),
        "offline_thanks": _("Thank you! We have received your message and will answer by email."),
        "ended": _("The chat has ended. Thank you!"),
        "new_chat": _("Start a new chat"),
        "error": _("Something went wrong. Please try again."),
        "not_sent": _("Not sent"),
        # The assistant step (before a person is needed).
        "assistant_intro": _(
            "Ask a question: our assistant answers at once from our help centre. Or chat with a "
            "person."
        ),
        "assistant_intro_offline": _(
            "Ask a question: our assistant answers at once from our help centre. Or leave us a "
            "message."
        ),
        "ask": _("Ask the assistant"),
        "assistant": _("Assistant"),
        "read_article": _("Read the article: %(title)s"),
        "did_it_help": _("Did this help?"),
        "yes": _("Yes"),
        "no": _("No"),
        "glad": _("Glad I could help!"),
        "sorry": _("Sorry about that. A person from our team can help you."),
        "talk_to_person": _("Talk to a person"),
        "write_to_us": _("Write to us"),
        "handover_title": _("Talk to a person"),
        "handover_intro": _(
            "We pass on your questions and the answers, so you need not repeat anything."
        ),
        "anything_to_add": _("Anything to add? (optional)"),
    }


@csrf_exempt
@require_http_methods(["GET", "OPTIONS"])
def api_config(request):
    """Tell the widget whether an agent is online, and its texts in the visitor's language."""
    if request.method == "OPTIONS":
        return _cors(request, HttpResponse(status=204))
    language = _language(request) or settings.LANGUAGE_CODE
    with translation.override(language):
        return _json(
            request,
            {
                "online": queries.agents_online(),
                "language": language,
                "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
                "assistant": True,
                "strings": widget_strings(),
            },
        )


def _client_address(request) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:  # behind our own proxy: it sets X-Forwarded-For
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _over_limit(request, kind: str, factor: int = 1) -> bool:
    key = f"chat:{kind}:{_client_address(request)}"
    cache.add(key, 0, START_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, START_WINDOW_SECONDS)
        count = 1
    return count > settings.CHAT_STARTS_PER_ADDRESS * factor


def _read_json(request) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _guarded_post(request, kind: str, factor: int = 1):
    """Return ``(data, None)`` for an acceptable API POST, else ``(None, refusal response)``.

    ``factor`` multiplies the per-address limit of ``kind`` (the assistant's questions).
    """
    if request.method == "OPTIONS":
        return None, _cors(request, HttpResponse(status=204))
    with translation.override(_language(request) or settings.LANGUAGE_CODE):
        if not _origin_allowed(request):
            return None, _refusal(
                request,
                "origin_not_allowed",
                _("The chat is not available on this web site."),
                403,
            )
        data = _read_json(request)
        if data is None:
            return None, _refusal(request, "bad_request", _("Send a JSON object."), 400)
        if _over_limit(request, kind, factor):
            return None, _refusal(
                request,
                "rate_limited",
                _("Too many requests from your address. Please try again later."),
                429,
            )
    return data, None


def _validation_refusal(request, exc: ValidationError):
    errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    first = next(iter(errors.values()))[0]
    return _json(
        request, {"error": {"code": "invalid", "message": first, "fields": errors}}, status=400
    )


# The widget's assistant step (``rapport.assistant.views``) answers under the same origin
# rules, CORS headers and per-address limits as the chat's API.
api_cors = _cors
api_json = _json
api_refusal = _refusal
api_guarded_post = _guarded_post
api_validation_refusal = _validation_refusal
api_language = _language


@csrf_exempt  # no cookies are involved: the visitor is known by the token this returns
@require_http_methods(["POST", "OPTIONS"])
def api_start(request):
    """Start a chat from the pre-chat form; return the visitor's token."""
    data, refusal = _guarded_post(request, "start")
    if refusal:
        return refusal
    language = actions.visitor_language(str(data.get("lang", ""))) or _language(request)
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            started = actions.start_chat(
                name=data.get("name", ""),
                email=data.get("email", ""),
                question=data.get("question", ""),
                page_url=data.get("page_url", ""),
                language=language,
            )
        except ValidationError as exc:
            return _validation_refusal(request, exc)
    return _json(
        request,
        {"token": started.token, "number": started.session.conversation.number},
        status=201,
    )


@csrf_exempt  # anonymous, cookie-less form post from the customer's site
@require_http_methods(["POST", "OPTIONS"])
def api_offline(request):
    """Take the offline form: the message becomes an email conversation."""
    data, refusal = _guarded_post(request, "offline")
    if refusal:
        return refusal
    if data.get("website"):  # the honeypot field people never see
        return _json(request, {"ok": True}, status=201)
    language = actions.visitor_language(str(data.get("lang", ""))) or _language(request)
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            actions.leave_offline_message(
                name=data.get("name", ""),
                email=data.get("email", ""),
                message=data.get("message", ""),
                page_url=data.get("page_url", ""),
                language=language,
            )
        except ValidationError as exc:
            return _validation_refusal(request, exc)
    return _json(request, {"ok": True}, status=201)


# How each refusal of a survey answer is sent (the code says which it is).
SURVEY_STATUS = {"gone": 404, "not_sent": 404, "expired": 410}


@csrf_exempt  # cookie-less like the rest of the API: the signed survey token is the key
@require_http_methods(["POST", "OPTIONS"])
def api_survey(request):
    """Record the score or comment given in the widget at the end of a chat.

    ``{"token": ..., "score": 4}`` answers (a later score changes the answer);
    ``{"token": ..., "comment": "..."}`` adds the reason. The token comes with the survey in
    the chat's ``ended`` frame and answers that one survey only.
    """
    data, refusal = _guarded_post(request, "survey", factor=5)
    if refusal:
        return refusal
    language = actions.visitor_language(str(data.get("lang", ""))) or _language(request)
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            response = answer_in_chat(
                token=data.get("token"), score=data.get("score"), comment=data.get("comment")
            )
        except SurveyError as problem:
            return _refusal(
                request, problem.code, problem.message, SURVEY_STATUS.get(problem.code, 400)
            )
    return _json(
        request,
        {"score": response.score, "changed": response.changes > 0, "comment": response.comment},
    )


@require_GET
def demo(request):
    """A stand-in for a customer's web site that embeds the widget with one script tag."""
    language = (
        actions.visitor_language(request.GET.get("lang", ""))
        or (translation.get_language() or "en")[:2]
    )
    return render(request, "chat/demo.html", {"demo_language": language})


# --- The agents' side -------------------------------------------------------------------------


def conversation_url(conversation_id: int) -> str:
    """Return the inbox page of a conversation, or the chat console while that does not exist."""
    try:
        return reverse("helpdesk:conversation", args=[conversation_id])
    except NoReverseMatch:
        return reverse("chat:conversation_console", args=[conversation_id])


@staff_required
@require_GET
def console(request):
    """List the active chats the agent may see, with links to their conversations."""
    sessions = list(queries.active_sessions(request.user)[:200])
    for session in sessions:
        session.conversation_url = conversation_url(session.conversation_id)
    return render(
        request,
        "chat/console.html",
        {"sessions": sessions, "online": queries.agents_online(), "nav": "chat"},
    )


def _visible(request, conversation_id) -> Conversation:
    try:
        return get_conversation(request.user, conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None


@staff_required
@require_GET
def conversation_console(request, conversation_id: int):
    """The chat console of one conversation on a page of its own."""
    conversation = _visible(request, conversation_id)
    return render(
        request,
        "chat/conversation_console.html",
        {"conversation": conversation, "nav": "chat"},
    )


@staff_required
@require_POST
def end(request, conversation_id: int):
    """End the conversation's live chat; the visitor is asked the survey in the widget."""
    conversation = _visible(request, conversation_id)
    if actions.close_conversation_chat(conversation=conversation, by="agent") is not None:
        messages.success(request, _("The chat has ended; the visitor was asked to rate it."))
    else:
        messages.success(request, _("The chat has ended."))
    return redirect(_next(request, conversation))


@staff_required
@require_POST
def reply(request, conversation_id: int):
    """Send a chat reply without JavaScript (the console's form falls back to this)."""
    conversation = _visible(request, conversation_id)
    try:
        actions.post_agent_reply(
            conversation=conversation, author=request.user, body=request.POST.get("body", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (actions.ChatError, HelpdeskError) as exc:
        messages.error(request, exc.message)
    return redirect(_next(request, conversation))


def _next(request, conversation) -> str:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("chat:conversation_console", args=[conversation.pk])
    return target
