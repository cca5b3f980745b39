"""The conversation page: the whole cross-channel thread, the customer, the composer, controls.

Every form posts to its own URL and redirects back (post/redirect/get); errors come back as
messages, and the actions are atomic, so nothing is ever half-saved.
"""

import time

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rapport.accounts.models import Team
from rapport.commerce.queries import visible_orders
from rapport.customers.greetings import greeting
from rapport.customers.queries import visible_customers
from rapport.helpdesk import actions, macros, queries
from rapport.helpdesk.actions import HelpdeskError
from rapport.helpdesk.forms import (
    MAX_PAGE_SECONDS,
    CallForm,
    ConversationUpdateForm,
    NoteForm,
    ReplyForm,
    SplitForm,
    TargetForm,
    assignable_users,
)
from rapport.helpdesk.models import Attachment, Conversation, EventKind, Status
from rapport.helpdesk.views.access import helpdesk_required, load_conversation

ORDERS_SHOWN = 5
# Presence: a viewer counts as "on the page" this long after their last poll.
PRESENCE_SECONDS = 45


def _handling_seconds(loaded_at: int | None) -> int:
    if not loaded_at:
        return 0
    return max(0, min(int(time.time()) - int(loaded_at), MAX_PAGE_SECONDS))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, HelpdeskError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _back(conversation: Conversation, anchor: str = ""):
    url = reverse("helpdesk:conversation", kwargs={"conversation_id": conversation.pk})
    return redirect(url + (f"#{anchor}" if anchor else ""))


# --- Presence: who else has the page open -----------------------------------------------------


def _presence_key(conversation_id: int) -> str:
    return f"helpdesk:presence:{conversation_id}"


def record_presence(conversation: Conversation, user) -> list[str]:
    """Note that ``user`` looks at the conversation now; return the others looking at it."""
    key = _presence_key(conversation.pk)
    now = time.time()
    viewers = {
        uid: entry
        for uid, entry in (cache.get(key) or {}).items()
        if now - entry[1] < PRESENCE_SECONDS
    }
    viewers[user.pk] = (user.get_full_name() or user.username, now)
    cache.set(key, viewers, PRESENCE_SECONDS)
    return sorted(name for uid, (name, _at) in viewers.items() if uid != user.pk)


def _collision_context(conversation, user, since: int) -> dict:
    replies = [m for m in queries.replies_since(conversation, since) if m.author_id != user.pk]
    return {"viewers": record_presence(conversation, user), "new_replies": replies}


# --- The page ----------------------------------------------------------------------------------


def _page_context(request, conversation, *, reply_form=None, collision=None) -> dict:
    user = request.user
    customer = (
        visible_customers(user)
        .select_related("account_manager", "organization")
        .prefetch_related("tags")
        .get(pk=conversation.customer_id)
    )
    last_outbound = queries.newest_outbound_id(conversation)
    loaded_at = int(time.time())
    if reply_form is None:
        reply_form = ReplyForm(
            initial={
                "channel": actions.reply_channel(conversation),
                "loaded_at": loaded_at,
                "last_outbound": last_outbound,
            }
        )
    users = list(assignable_users())
    teams = list(Team.objects.order_by("name"))
    update_form = ConversationUpdateForm(
        initial={
            "status": conversation.status,
            "priority": conversation.priority,
            "assignee": conversation.assignee_id or "",
            "team": conversation.team_id or "",
            "tags": ", ".join(t.name for t in conversation.tags.all()),
        },
        users=users,
        teams=teams,
    )
    thread = list(queries.thread_messages(conversation))
    events = list(queries.conversation_events(conversation))
    local_time = customer.local_time()
    return {
        "conversation": conversation,
        "customer": customer,
        "greeting": greeting(customer),
        "local_time": local_time,
        "thread": thread,
        "events": events,
        "threaded": {e.message_id: e for e in events if e.kind == EventKind.THREADED},
        "orders": list(
            visible_orders(user)
            .filter(customer=customer)
            .order_by("-ordered_at", "-id")[:ORDERS_SHOWN]
        ),
        "other_conversations": queries.other_conversations(user, conversation),
        "linked": queries.linked_conversations(user, conversation),
        "reply_form": reply_form,
        "note_form": NoteForm(initial={"loaded_at": loaded_at}),
        "call_form": CallForm(initial={"minutes": 0, "seconds": 0}),
        "update_form": update_form,
        "target_form": TargetForm(),
        "templates": list(macros.usable_templates(user).only("id", "name", "owner_id")),
        "collision": collision,
        "viewers": record_presence(conversation, user),
        "last_outbound": last_outbound,
        "nav": "inbox",
    }


@require_GET
@helpdesk_required
def conversation_detail(request, conversation_id):
    conversation = load_conversation(request, conversation_id)
    return render(request, "helpdesk/conversation.html", _page_context(request, conversation))


@require_GET
@helpdesk_required
def presence(request, conversation_id):
    """Return who else is on the page and who replied since it loaded (htmx polls this)."""
    conversation = load_conversation(request, conversation_id)
    try:
        since = max(0, int(request.GET.get("since", "0")))
    except ValueError:
        since = 0
    context = {
        "conversation": conversation,
        **_collision_context(conversation, request.user, since),
    }
    return render(request, "helpdesk/_presence.html", context)


# --- Composer ----------------------------------------------------------------------------------


@require_POST
@helpdesk_required
def reply(request, conversation_id):
    """Send a reply; if a colleague replied since the page loaded, ask before sending."""
    conversation = load_conversation(request, conversation_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        context = _page_context(request, conversation, reply_form=form)
        return render(request, "helpdesk/conversation.html", context, status=400)
    data = form.cleaned_data
    seen = data.get("last_outbound") or 0
    newer = [m for m in queries.replies_since(conversation, seen) if m.author_id != request.user.pk]
    if newer and not data.get("confirm"):
        # Show what was sent meanwhile; the draft stays, and sending again needs a click.
        bound = ReplyForm(
            {
                **request.POST.dict(),
                "confirm": "on",
                "last_outbound": queries.newest_outbound_id(conversation),
            }
        )
        bound.is_valid()
        context = _page_context(request, conversation, reply_form=bound, collision=newer)
        return render(request, "helpdesk/conversation.html", context, status=409)
    template = None
    if data.get("template"):
        template = macros.usable_templates(request.user).filter(pk=data["template"]).first()
    try:
        message = actions.send_reply(
            conversation=conversation,
            author=request.user,
            body_text=data["body"],
            channel=data["channel"],
            status=data["status"] or None,
            handling_seconds=_handling_seconds(data.get("loaded_at")),
        )
        if template is not None:
            _apply_template_actions(
                template, conversation, request.user, status_set=bool(data["status"])
            )
    except (HelpdeskError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        context = _page_context(request, conversation, reply_form=form)
        return render(request, "helpdesk/conversation.html", context, status=400)
    messages.success(request, _("Your reply was sent."))
    return _back(conversation, f"message-{message.pk}")


def _apply_template_actions(template, conversation, user, *, status_set: bool) -> None:
    if template.set_priority:
        actions.set_priority(conversation=conversation, actor=user, priority=template.set_priority)
    if template.tag_list():
        actions.add_tags(conversation=conversation, actor=user, names=template.tag_list())
    if template.set_status and not status_set:
        actions.change_status(conversation=conversation, actor=user, status=template.set_status)


@require_POST
@helpdesk_required
def note(request, conversation_id):
    conversation = load_conversation(request, conversation_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A note cannot be empty."))
        return _back(conversation, "composer")
    message = actions.add_internal_note(
        conversation=conversation,
        author=request.user,
        body_text=form.cleaned_data["body"],
        handling_seconds=_handling_seconds(form.cleaned_data.get("loaded_at")),
    )
    messages.success(request, _("The note was added."))
    return _back(conversation, f"message-{message.pk}")


@require_POST
@helpdesk_required
def call(request, conversation_id):
    conversation = load_conversation(request, conversation_id)
    form = CallForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return _back(conversation, "composer")
    try:
        received = actions.log_call(
            customer=conversation.customer,
            agent=request.user,
            conversation=conversation,
            direction=form.cleaned_data["direction"],
            duration_seconds=form.duration_seconds(),
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
        )
    except (HelpdeskError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return _back(conversation, "composer")
    messages.success(request, _("The call was logged."))
    return _back(conversation, f"message-{received.message.pk}")


# --- Controls ----------------------------------------------------------------------------------


@require_POST
@helpdesk_required
def update(request, conversation_id):
    """Change status, priority, assignee, team and tags: one event per field that changed."""
    conversation = load_conversation(request, conversation_id)
    users = list(assignable_users())
    teams = list(Team.objects.order_by("name"))
    form = ConversationUpdateForm(request.POST, users=users, teams=teams)
    if not form.is_valid():
        messages.error(request, _("Please correct the highlighted values."))
        return _back(conversation)
    data = form.cleaned_data
    user = request.user
    try:
        if data["priority"] != conversation.priority:
            actions.set_priority(conversation=conversation, actor=user, priority=data["priority"])
        assignee = next((u for u in users if str(u.pk) == data["assignee"]), None)
        if (assignee.pk if assignee else None) != conversation.assignee_id:
            actions.assign_conversation(conversation=conversation, actor=user, assignee=assignee)
        team = next((t for t in teams if str(t.pk) == data["team"]), None)
        if (team.pk if team else None) != conversation.team_id:
            actions.set_team(conversation=conversation, actor=user, team=team)
        actions.set_tags(conversation=conversation, actor=user, names=form.tag_names())
        if data["status"] != conversation.status:
            actions.change_status(conversation=conversation, actor=user, status=data["status"])
    except (HelpdeskError, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return _back(conversation)
    messages.success(request, _("The conversation was updated."))
    return _back(conversation)


@require_POST
@helpdesk_required
def assign_me(request, conversation_id):
    conversation = load_conversation(request, conversation_id)
    actions.assign_conversation(
        conversation=conversation, actor=request.user, assignee=request.user
    )
    messages.success(request, _("The conversation is now yours."))
    return _back(conversation)


@require_POST
@helpdesk_required
def solve(request, conversation_id):
    conversation = load_conversation(request, conversation_id)
    try:
        actions.change_status(conversation=conversation, actor=request.user, status=Status.SOLVED)
    except HelpdeskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The conversation was solved."))
    return _back(conversation)


def _target(request, conversation) -> Conversation | None:
    form = TargetForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("target", [])))
        return None
    target = (
        queries.visible_conversations(request.user).filter(pk=form.cleaned_data["target"]).first()
    )
    if target is None:
        messages.error(request, _("There is no such conversation you can see."))
    return target


@require_POST
@helpdesk_required
def merge(request, conversation_id):
    """Merge this conversation into the one named by number; continue on the target."""
    conversation = load_conversation(request, conversation_id)
    target = _target(request, conversation)
    if target is None:
        return _back(conversation)
    try:
        actions.merge_conversations(source=conversation, target=target, actor=request.user)
    except HelpdeskError as exc:
        messages.error(request, exc.message)
        return _back(conversation)
    messages.success(
        request,
        _("%(number)s was merged into this conversation.") % {"number": conversation.number},
    )
    return _back(target)


@require_POST
@helpdesk_required
def link(request, conversation_id):
    conversation = load_conversation(request, conversation_id)
    target = _target(request, conversation)
    if target is None:
        return _back(conversation)
    try:
        actions.link_conversations(source=conversation, target=target, actor=request.user)
    except HelpdeskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The conversations are linked."))
    return _back(conversation)


@require_POST
@helpdesk_required
def split(request, conversation_id):
    """Move one message (and nothing else) into a new conversation: undo a threading decision."""
    conversation = load_conversation(request, conversation_id)
    form = SplitForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        new = actions.split_conversation(
            conversation=conversation,
            message_ids=[form.cleaned_data["message"]],
            actor=request.user,
        )
    except HelpdeskError as exc:
        messages.error(request, exc.message)
        return _back(conversation)
    messages.success(
        request, _("The message was split off into %(number)s.") % {"number": new.number}
    )
    return _back(new)


@require_GET
@helpdesk_required
def attachment(request, attachment_id):
    """Send an attachment of a conversation the user may see, always as a download."""
    found = (
        Attachment.objects.filter(
            pk=attachment_id,
            message__conversation__in=queries.visible_conversations(request.user),
            rejected_reason="",
        )
        .exclude(file="")
        .first()
    )
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    # Always a download with a neutral type: an HTML or SVG file must never render on our origin.
    response = FileResponse(
        handle, as_attachment=True, filename=found.filename, content_type="application/octet-stream"
    )
    response["Content-Security-Policy"] = "sandbox"
    return response


def now_seconds() -> int:
    return int(timezone.now().timestamp())


@require_GET
@helpdesk_required
def colleagues(request):
    """Colleagues to @mention in a note, for the composer's suggestions (JSON)."""
    people = queries.mention_candidates(request.GET.get("q", ""))
    return JsonResponse(
        {
            "colleagues": [
                {"username": user.username, "name": user.get_full_name() or user.username}
                for user in people
            ]
        }
    )
