"""The assistant's JSON API for the chat widget and its page in the customer portal.

The API answers under the chat API's origin rules, CORS headers and per-address limits; a
visitor is known by the session token ``/assistant/api/start`` returns (only its hash is
stored). The portal page keeps its token in the Django session and works without JavaScript.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.assistant import actions, queries
from rapport.assistant.forms import FeedbackForm, HandoverForm, QuestionForm
from rapport.assistant.models import AssistantSession, SessionChannel, SessionStatus
from rapport.chat import views as chat_api
from rapport.helpdesk.actions import HelpdeskError
from rapport.portal.queries import portal_customer
from rapport.portal.throttle import hit

# HTTP status of each refusal code of ``actions.AssistantError``.
ERROR_STATUS = {
    "handed_over": 409,
    "session_closed": 409,
    "too_many_questions": 429,
    "unknown_answer": 404,
    "invalid_mode": 400,
    "invalid_channel": 400,
    "nothing_to_hand_over": 400,
}
# Questions per address and window, as a multiple of the chat's start limit.
ASK_FACTOR = 5


# --- The widget's API -------------------------------------------------------------------------


def _answer_payload(request, turn) -> dict:
    article = turn.explanation.get("article") or None
    if article:
        article = {
            "title": article["title"],
            "language": article["language"],
            "url": request.build_absolute_uri(article["url"]),
        }
    return {
        "id": turn.pk,
        "text": turn.text,
        "handoff": bool(turn.explanation.get("handoff")) or article is None,
        "reason": turn.explanation.get("reason", ""),
        "article": article,
        "helpful": turn.helpful,
    }


def _posted_session(request, scope: str, factor: int | None = None):
    """Read a guarded POST and the session its token names: (data, session, refusal).

    A refusal (rate limit, bad body, unknown token) is worded in the language posted."""
    args = (request, scope) if factor is None else (request, scope, factor)
    data, refusal = chat_api.api_guarded_post(*args)
    if refusal:
        return data, None, refusal
    with translation.override(_post_language(request, data)):
        session = queries.session_for_token(data.get("token"), channel=SessionChannel.CHAT)
        if session is None:
            return (
                data,
                None,
                chat_api.api_refusal(
                    request,
                    "invalid_token",
                    _("This conversation with the assistant has ended. Please ask again."),
                    404,
                ),
            )
    return data, session, None


def _refuse(request, exc: actions.AssistantError) -> HttpResponse:
    return chat_api.api_refusal(request, exc.code, exc.message, ERROR_STATUS.get(exc.code, 400))


def _post_language(request, data) -> str:
    return actions.clean_language(str(data.get("lang", "")) or chat_api.api_language(request))


@csrf_exempt  # no cookies: the visitor is known by the token this returns
@require_http_methods(["POST", "OPTIONS"])
def api_start(request):
    """Start an exchange; a visitor who gives a known email address is greeted by name."""
    data, refusal = chat_api.api_guarded_post(request, "assistant_start")
    if refusal:
        return refusal
    language = _post_language(request, data)
    with translation.override(language):
        try:
            started = actions.start_session(
                channel=SessionChannel.CHAT,
                language=language,
                name=data.get("name", ""),
                email=data.get("email", ""),
            )
        except ValidationError as exc:
            return chat_api.api_validation_refusal(request, exc)
    return chat_api.api_json(
        request,
        {
            "token": started.token,
            "language": started.session.language,
            "greeting": queries.welcome(started.session),
            "recognised": queries.greets_by_name(started.session),
        },
        status=201,
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def api_ask(request):
    """Answer a question: the passage and article, or the offer of a person."""
    data, session, refusal = _posted_session(request, "assistant_ask", ASK_FACTOR)
    if refusal:
        return refusal
    with translation.override(session.language or settings.LANGUAGE_CODE):
        try:
            asked = actions.ask_question(session=session, question=data.get("question"))
        except ValidationError as exc:
            return chat_api.api_validation_refusal(request, exc)
        except actions.AssistantError as exc:
            return _refuse(request, exc)
    return chat_api.api_json(
        request,
        {
            "question": {"id": asked.question.pk, "text": asked.question.text},
            "answer": _answer_payload(request, asked.reply),
        },
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def api_feedback(request):
    """Take "Did this help?" for an answer; "no" offers a person."""
    data, session, refusal = _posted_session(request, "assistant_ask", ASK_FACTOR)
    if refusal:
        return refusal
    helpful = data.get("helpful")
    with translation.override(session.language or settings.LANGUAGE_CODE):
        if not isinstance(helpful, bool):
            return chat_api.api_refusal(
                request, "bad_request", _("Say whether the answer helped (true or false)."), 400
            )
        try:
            turn = actions.rate_answer(session=session, turn_id=data.get("turn"), helpful=helpful)
        except actions.AssistantError as exc:
            return _refuse(request, exc)
    return chat_api.api_json(
        request, {"helpful": turn.helpful, "offer_person": turn.helpful is False}
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def api_handover(request):
    """Hand the exchange to a person: the live chat ("chat") or an email answer ("email")."""
    data, session, refusal = _posted_session(request, "start")
    if refusal:
        return refusal
    mode = data.get("mode")
    with translation.override(session.language or settings.LANGUAGE_CODE):
        if mode not in (actions.HandoverMode.CHAT, actions.HandoverMode.EMAIL):
            return chat_api.api_refusal(
                request, "invalid_mode", _("Unknown way to reach a person."), 400
            )
        try:
            result = actions.hand_over(
                session=session,
                mode=mode,
                name=data.get("name", ""),
                email=data.get("email", ""),
                message=data.get("message", ""),
                page_url=data.get("page_url", ""),
            )
        except ValidationError as exc:
            return chat_api.api_validation_refusal(request, exc)
        except actions.AssistantError as exc:
            return _refuse(request, exc)
        except HelpdeskError as exc:
            return chat_api.api_refusal(request, exc.code, exc.message, 400)
    body = {"number": result.conversation.number, "already": not result.created}
    if result.chat_token:
        body["chat_token"] = result.chat_token
    return chat_api.api_json(request, body, status=201 if result.created else 200)


# --- The portal page --------------------------------------------------------------------------

TOKEN_KEY = "assistant_token"
OWNER_KEY = "assistant_owner"


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _portal_session(request) -> AssistantSession | None:
    """Return this browser's exchange, never one begun by somebody else (another sign-in)."""
    request.customer = portal_customer(request.user)
    owner = request.customer.pk if request.customer else 0
    if request.session.get(OWNER_KEY, 0) != owner:
        return None
    return queries.session_for_token(request.session.get(TOKEN_KEY), channel=SessionChannel.PORTAL)


def _render_portal(request, session, *, form=None, handover_form=None, status=200):
    customer = request.customer
    language = translation.get_language() or settings.LANGUAGE_CODE
    shown = session or AssistantSession(
        channel=SessionChannel.PORTAL,
        language=actions.clean_language(language),
        customer=customer,
    )
    handed_over = session is not None and session.status == SessionStatus.HANDED_OVER
    conversation_link = ""
    if handed_over and customer is not None and session.conversation_id:
        conversation_link = reverse("portal:conversation", args=[session.conversation_id])
    return render(
        request,
        "assistant/portal.html",
        {
            "session": session,
            "turns": queries.exchange(session) if session else [],
            "welcome": queries.welcome(shown),
            "assistant": queries.assistant_name(),
            "form": form or QuestionForm(),
            "handover_form": handover_form or HandoverForm(email_required=customer is None),
            "handed_over": handed_over,
            "conversation_link": conversation_link,
            "customer": customer,
            "nav": "assistant",
        },
        status=status,
    )


def _back():
    return redirect(reverse("assistant:portal") + "#latest")


@require_GET
def portal(request):
    """The assistant on a page of the portal, for signed-in customers and visitors alike."""
    return _render_portal(request, _portal_session(request))


@require_POST
def portal_ask(request):
    session = _portal_session(request)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _render_portal(request, session, form=form, status=400)
    if not hit("assistant", _client_ip(request), limit=settings.PORTAL_CONTACT_RATE_LIMIT * 20):
        form.add_error(None, _("Too many questions. Please try again in an hour."))
        return _render_portal(request, session, form=form, status=429)
    if session is None:
        started = actions.start_session(
            channel=SessionChannel.PORTAL,
            language=translation.get_language() or "",
            customer=request.customer,
        )
        session = started.session
        request.session[TOKEN_KEY] = started.token
        request.session[OWNER_KEY] = request.customer.pk if request.customer else 0
    try:
        actions.ask_question(session=session, question=form.cleaned_data["question"])
    except actions.AssistantError as exc:
        form.add_error(None, exc.message)
        return _render_portal(request, session, form=form, status=ERROR_STATUS.get(exc.code, 400))
    return _back()


@require_POST
def portal_feedback(request, turn_id: int):
    session = _portal_session(request)
    form = FeedbackForm(request.POST)
    if session is None or not form.is_valid():
        return _render_portal(request, session, status=400)
    try:
        actions.rate_answer(session=session, turn_id=turn_id, helpful=form.cleaned_data["helpful"])
    except actions.AssistantError:
        return _render_portal(request, session, status=404)
    return redirect(reverse("assistant:portal") + f"#turn-{turn_id}")


@require_POST
def portal_handover(request):
    session = _portal_session(request)
    customer = request.customer
    form = HandoverForm(request.POST, email_required=customer is None)
    if not form.is_valid():
        return _render_portal(request, session, handover_form=form, status=400)
    if session is None:
        # Straight to a person without a question first: the message is the request.
        if not form.cleaned_data["message"].strip():
            form.add_error("message", _("Please write your question."))
            return _render_portal(request, session, handover_form=form, status=400)
        started = actions.start_session(
            channel=SessionChannel.PORTAL,
            language=translation.get_language() or "",
            customer=customer,
        )
        session = started.session
        request.session[TOKEN_KEY] = started.token
        request.session[OWNER_KEY] = customer.pk if customer else 0
    try:
        result = actions.hand_over(
            session=session,
            mode=actions.HandoverMode.PORTAL,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            message=form.cleaned_data["message"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _render_portal(request, session, handover_form=form, status=400)
    except (actions.AssistantError, HelpdeskError) as exc:
        form.add_error(None, exc.message)
        return _render_portal(request, session, handover_form=form, status=400)
    if customer is not None:
        return redirect("portal:conversation", conversation_id=result.conversation.pk)
    return _back()


@require_POST
def portal_restart(request):
    session = _portal_session(request)
    if session is not None:
        actions.close_session(session=session)
    request.session.pop(TOKEN_KEY, None)
    request.session.pop(OWNER_KEY, None)
    return redirect("assistant:portal")
