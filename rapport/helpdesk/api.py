"""REST endpoints for conversations, their messages, and the telephony webhook."""

import re
from contextlib import contextmanager
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Reply

from rapport.accounts.api_idempotency import run_idempotent
from rapport.accounts.models import HELPDESK_ROLES, Team
from rapport.accounts.queries import staff_users
from rapport.api import (
    ApiError,
    IdempotencyKeyHeader,
    InputSchema,
    Limit,
    Page,
    Timestamp,
    page_response,
)
from rapport.customers.actions import ContactInput, create_customer
from rapport.customers.queries import identify_customer, visible_customers
from rapport.customers.validators import format_phone, normalize_phone
from rapport.helpdesk import actions
from rapport.helpdesk.actions import HelpdeskError
from rapport.helpdesk.models import (
    ACTIVE_STATUSES,
    CallDirection,
    Channel,
    Conversation,
    Message,
    Status,
)
from rapport.helpdesk.queries import thread_messages, visible_conversations

router = Router(tags=["conversations"])

#: HelpdeskError codes that mean "the conversation's state does not allow this" (409).
CONFLICT_CODES = frozenset({"merged", "wrong_customer", "same_conversation", "nothing_left"})
Body = Field(max_length=100_000, description="Plain text")

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
ChannelName = Literal["email", "chat", "phone", "social", "web", "portal", "api"]


# --- Schemas --------------------------------------------------------------------------------


class ConversationOut(Schema):
    id: int
    number: str
    subject: str
    status: str
    priority: str
    channel: str
    language: str
    customer_id: int
    team_id: int | None
    assignee_id: int | None
    tags: list[str]
    merged_into_id: int | None
    created_at: Timestamp
    updated_at: Timestamp
    last_message_at: Timestamp
    first_response_at: Timestamp | None
    solved_at: Timestamp | None
    first_response_due_at: Timestamp | None
    resolution_due_at: Timestamp | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    rejected_reason: str


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: str = Field(description="inbound, outbound or note")
    kind: str
    channel: str
    author_id: int | None
    sender_name: str
    sender_address: str
    subject: str
    body_text: str
    body_html: str
    delivery_status: str
    external_id: str
    attachments: list[AttachmentOut]
    created_at: Timestamp


class ConversationIn(InputSchema):
    customer_id: int
    subject: str = Field(max_length=255)
    text: str = Body
    channel: ChannelName = Field("api", description="The channel the request came in on.")
    priority: PriorityName | None = None
    external_id: str = Field(
        "", max_length=200, description="Your id for the first message; a repeat returns it."
    )


class ConversationPatch(InputSchema):
    status: StatusName | None = None
    priority: PriorityName | None = None
    assignee_id: int | None = Field(None, description="null unassigns")
    team_id: int | None = Field(None, description="null removes the team")
    tags: list[str] | None = Field(None, max_length=50, description="Replaces all tags")
    subject: str | None = Field(None, max_length=255)


class MessageIn(InputSchema):
    type: Literal["reply", "note"] = Field(
        "reply", description="reply: sent to the customer; note: internal, staff only"
    )
    text: str = Body
    channel: ChannelName | None = Field(
        None, description="Reply channel; default: where the customer last wrote"
    )
    status: StatusName | None = Field(None, description="Set the status with the reply")


class CallIn(InputSchema):
    call_id: str = Field(min_length=1, max_length=200, description="Your id; repeats are ignored")
    direction: Literal["inbound", "outbound"]
    from_: str = Field(alias="from", max_length=64)
    to: str = Field(max_length=64)
    started_at: Timestamp
    duration_seconds: int = Field(ge=0, le=86_400)
    outcome: Literal["answered", "missed", "voicemail", "callback", "resolved", "no_answer"] = (
        "answered"
    )
    agent_email: str | None = Field(None, max_length=254)
    notes: str = Field("", max_length=20_000)
    conversation_number: str | None = Field(None, max_length=32)


class CallOut(Schema):
    created: bool
    message_id: int
    conversation_id: int
    conversation_number: str
    conversation_created: bool
    customer_id: int
    customer_created: bool


# --- Helpers --------------------------------------------------------------------------------


def conversation_out(conversation: Conversation) -> ConversationOut:
    return ConversationOut(
        id=conversation.pk,
        number=conversation.number,
        subject=conversation.subject,
        status=conversation.status,
        priority=conversation.priority,
        channel=conversation.channel,
        language=conversation.language,
        customer_id=conversation.customer_id,
        team_id=conversation.team_id,
        assignee_id=conversation.assignee_id,
        tags=sorted(t.name for t in conversation.tags.all()),
        merged_into_id=conversation.merged_into_id,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        last_message_at=conversation.last_message_at,
        first_response_at=conversation.first_response_at,
        solved_at=conversation.solved_at,
        first_response_due_at=conversation.first_response_due_at,
        resolution_due_at=conversation.resolution_due_at,
    )


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.pk,
        conversation_id=message.conversation_id,
        direction=message.direction,
        kind=message.kind,
        channel=message.channel,
        author_id=message.author_id,
        sender_name=message.sender_name,
        sender_address=message.sender_address,
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        delivery_status=message.delivery_status,
        external_id=message.external_id,
        attachments=[
            AttachmentOut.model_validate(a, from_attributes=True) for a in message.attachments.all()
        ],
        created_at=message.created_at,
    )


@contextmanager
def helpdesk_errors():
    """Report the helpdesk's refusals with their stable code: 409 for state conflicts, else 400."""
    try:
        yield
    except ValidationError as exc:
        # The actions call the message text "body"; the API calls it "text".
        if hasattr(exc, "error_dict") and "body" in exc.error_dict:
            errors = dict(exc.error_dict)
            errors["text"] = errors.pop("body")
            raise ValidationError(errors) from exc
        raise
    except HelpdeskError as exc:
        status = 409 if exc.code in CONFLICT_CODES else 400
        raise ApiError(status, exc.code, exc.message) from exc


def require_helpdesk_role(user) -> None:
    if user.role not in HELPDESK_ROLES:
        raise ApiError(403, "forbidden", _("Only helpdesk staff may do this."))


def load_conversation(request, conversation_id: int) -> Conversation:
    conversation = (
        visible_conversations(request.auth)
        .select_related("customer")
        .prefetch_related("tags")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def _field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


# --- Conversations --------------------------------------------------------------------------


@router.get("/conversations", response=Page[ConversationOut])
def list_conversations(
    request,
    status: StatusName | None = None,
    assignee: str | None = Query(
        None, max_length=20, description="A user id, or 'none' for unassigned"
    ),
    team: int | None = None,
    channel: ChannelName | None = None,
    customer: int | None = None,
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
):
    """List conversations you may see, most recent activity first; pass ``next_cursor`` as ``cursor``."""
    qs = visible_conversations(request.auth)
    if status:
        qs = qs.filter(status=status)
    if assignee:
        if assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif assignee.isdigit():
            qs = qs.filter(assignee_id=int(assignee))
        else:
            raise _field_error("assignee", _("Give a user id or “none”."))
    if team is not None:
        qs = qs.filter(team_id=team)
    if channel:
        qs = qs.filter(channel=channel)
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    return page_response(
        qs.prefetch_related("tags"),
        ("-last_message_at", "-id"),
        cursor=cursor,
        limit=limit,
        serialize=conversation_out,
    )


@router.post("/conversations", response={200: ConversationOut, 201: ConversationOut})
def create_conversation(
    request, payload: ConversationIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Open a conversation for a customer with its first inbound message (the customer's words)."""
    require_helpdesk_role(request.auth)
    customer = visible_customers(request.auth).filter(pk=payload.customer_id).first()
    if customer is None:
        raise _field_error("customer_id", _("No such record."), "does_not_exist")
    if not payload.text.strip():
        raise _field_error("text", _("The message cannot be empty."), "required")

    def run():
        with helpdesk_errors(), transaction.atomic():
            received = actions.receive_message(
                customer=customer,
                channel=payload.channel,
                subject=payload.subject,
                body_text=payload.text,
                external_id=f"api:{payload.external_id}" if payload.external_id else "",
                data={"created_via": "api", "created_by": request.auth.pk},
            )
            conversation = received.message.conversation
            if not received.created and not (
                visible_conversations(request.auth).filter(pk=conversation.pk).exists()
            ):
                raise ApiError(
                    409, "duplicate_external_id", _("This external_id was already used.")
                )
            if payload.priority and received.created:
                actions.set_priority(
                    conversation=conversation, actor=request.auth, priority=payload.priority
                )
        # Read back without the scope: routing may have given it to a team the caller is not in.
        conversation = Conversation.objects.prefetch_related("tags").get(pk=conversation.pk)
        return (201 if received.created else 200), conversation_out(conversation)

    return run_idempotent(request, idempotency_key, run)


@router.get("/conversations/{conversation_id}", response=ConversationOut)
def get_conversation(request, conversation_id: int):
    return conversation_out(load_conversation(request, conversation_id))


@router.patch("/conversations/{conversation_id}", response=ConversationOut)
def update_conversation(request, conversation_id: int, payload: ConversationPatch):
    """Change status, priority, assignee, team, tags or subject; fields left out stay as they are."""
    require_helpdesk_role(request.auth)
    conversation = load_conversation(request, conversation_id)
    data = payload.model_dump(exclude_unset=True)
    for name in ("status", "priority", "tags", "subject"):
        if name in data and data[name] is None:
            raise _field_error(name, _("This field cannot be null."), "null")
    assignee = team = None
    if data.get("assignee_id") is not None:
        assignee = staff_users().filter(pk=data["assignee_id"]).first()
        if assignee is None:
            raise _field_error("assignee_id", _("No such record."), "does_not_exist")
    if data.get("team_id") is not None:
        team = Team.objects.filter(pk=data["team_id"]).first()
        if team is None:
            raise _field_error("team_id", _("No such record."), "does_not_exist")
    user = request.auth
    with helpdesk_errors(), transaction.atomic():
        if "subject" in data:
            actions.set_subject(conversation=conversation, actor=user, subject=data["subject"])
        if "priority" in data:
            actions.set_priority(conversation=conversation, actor=user, priority=data["priority"])
        if "team_id" in data:
            actions.set_team(conversation=conversation, actor=user, team=team)
        if "assignee_id" in data:
            actions.assign_conversation(conversation=conversation, actor=user, assignee=assignee)
        if "tags" in data:
            actions.set_tags(conversation=conversation, actor=user, names=data["tags"])
        if "status" in data:
            actions.change_status(conversation=conversation, actor=user, status=data["status"])
    # Re-read through the scope: after a team change the caller may no longer see it.
    refreshed = Conversation.objects.prefetch_related("tags").filter(pk=conversation.pk).get()
    return conversation_out(refreshed)


# --- Messages -------------------------------------------------------------------------------


@router.get("/conversations/{conversation_id}/messages", response=Page[MessageOut])
def list_messages(
    request,
    conversation_id: int,
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 50,
):
    """The conversation's messages from every channel, oldest first, internal notes included."""
    conversation = load_conversation(request, conversation_id)
    qs = thread_messages(conversation)
    return page_response(
        qs, ("created_at", "id"), cursor=cursor, limit=limit, serialize=message_out
    )


@router.post("/conversations/{conversation_id}/messages", response={201: MessageOut})
def add_message(
    request, conversation_id: int, payload: MessageIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Reply to the customer (sent on ``channel``) or add an internal note."""
    require_helpdesk_role(request.auth)
    conversation = load_conversation(request, conversation_id)
    if payload.type == "note" and (payload.channel or payload.status):
        field = "channel" if payload.channel else "status"
        raise _field_error(field, _("Notes have no channel or status."), "not_allowed")

    def run():
        with helpdesk_errors():
            if payload.type == "note":
                message = actions.add_internal_note(
                    conversation=conversation, author=request.auth, body_text=payload.text
                )
            else:
                message = actions.send_reply(
                    conversation=conversation,
                    author=request.auth,
                    body_text=payload.text,
                    channel=payload.channel,
                    status=payload.status,
                )
        return 201, message_out(Message.objects.prefetch_related("attachments").get(pk=message.pk))

    return run_idempotent(request, idempotency_key, run)


# --- Telephony ------------------------------------------------------------------------------

NUMBER_RE = re.compile(r"^\s*(?:[A-Za-z]+-)?(\d{1,18})\s*$")


@router.post("/telephony/calls", response={200: CallOut, 201: CallOut}, tags=["telephony"])
def record_call(request, payload: CallIn):
    """Record a call from the telephone system: find or create the customer, continue their open
    conversation (or the one named), else open a phone conversation. Repeats of ``call_id`` are
    answered with the first result (200)."""
    user = request.auth
    require_helpdesk_role(user)
    existing = (
        Message.objects.with_external_id(Channel.PHONE, f"call:{payload.call_id}")
        .select_related("conversation")
        .first()
    )
    if existing is not None:
        if not visible_conversations(user).filter(pk=existing.conversation_id).exists():
            raise ApiError(409, "duplicate_call_id", _("This call_id was already recorded."))
        return Reply(
            200,
            _call_out(existing, created=False, conversation_created=False, customer_created=False),
        )

    if timezone.is_naive(payload.started_at):
        raise _field_error("started_at", _("Give the time with a time zone."), "naive_datetime")
    field = "from" if payload.direction == CallDirection.INBOUND else "to"
    number = payload.from_ if payload.direction == CallDirection.INBOUND else payload.to
    agent = None
    if payload.agent_email:
        agent = staff_users().filter(email__iexact=payload.agent_email.strip()).first()
        if agent is None:
            raise _field_error(
                "agent_email", _("No staff member has this email address."), "does_not_exist"
            )
    customer = identify_customer(phone=number)
    conversation = None
    if payload.conversation_number:
        match = NUMBER_RE.match(payload.conversation_number)
        conversation = (
            visible_conversations(user).filter(pk=int(match.group(1))).first() if match else None
        )
        if conversation is None:
            raise _field_error("conversation_number", _("No such conversation."), "does_not_exist")
        customer = conversation.customer  # a caller may phone from another number
    with helpdesk_errors(), transaction.atomic():
        return _record_call(user, payload, customer, conversation, agent, number, field)


def _record_call(user, payload, customer, conversation, agent, number, field):
    customer_created = False
    if customer is None:
        try:
            e164 = normalize_phone(number)
        except ValidationError as exc:
            raise _field_error(field, " ".join(exc.messages), "invalid_phone") from None
        customer = create_customer(
            actor=user,
            profile={"family_name": format_phone(e164)},
            contacts=ContactInput(phones=[e164]),
            source="phone",
        )
        customer_created = True
    if conversation is None:
        conversation = (
            visible_conversations(user)
            .filter(customer=customer, merged_into__isnull=True)
            .filter(Q(status__in=ACTIVE_STATUSES) | Q(status=Status.PENDING))
            .order_by("-last_message_at", "-id")
            .first()
        )
    received = actions.log_call(
        customer=customer,
        agent=agent,
        direction=payload.direction,
        duration_seconds=payload.duration_seconds,
        outcome=payload.outcome,
        notes=payload.notes,
        conversation=conversation,
        phone_number=number,
        external_id=f"call:{payload.call_id}",
        started_at=payload.started_at,
    )
    return Reply(
        201 if received.created else 200,
        _call_out(
            received.message,
            created=received.created,
            conversation_created=received.conversation_created,
            customer_created=customer_created,
        ),
    )


def _call_out(message: Message, *, created, conversation_created, customer_created) -> CallOut:
    conversation = message.conversation
    return CallOut(
        created=created,
        message_id=message.pk,
        conversation_id=conversation.pk,
        conversation_number=conversation.number,
        conversation_created=conversation_created,
        customer_id=conversation.customer_id,
        customer_created=customer_created,
    )
