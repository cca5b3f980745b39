"""Reads of conversations, always scoped by who asks."""

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Lookup, Q, QuerySet
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.customers.models import Tag
from rapport.helpdesk.models import (
    OPEN_STATUSES,
    Conversation,
    ConversationEvent,
    ConversationLink,
    Direction,
    Message,
    MessageKind,
    Status,
)


def visible_conversations(user) -> QuerySet[Conversation]:
    """Return the conversations ``user`` may see.

    Administrators and managers see all; an agent sees their teams' conversations, those
    without a team, and those assigned to them; a portal customer sees only their own;
    marketers see none.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Conversation.objects.none()
    if user.role in (Role.ADMIN, Role.MANAGER):
        return Conversation.objects.all()
    if user.role == Role.AGENT:
        return Conversation.objects.filter(
            Q(team__isnull=True) | Q(team__in=user.teams.all()) | Q(assignee=user)
        )
    if user.role == Role.CUSTOMER:
        return Conversation.objects.filter(customer__portal_user=user)
    return Conversation.objects.none()


def get_conversation(user, conversation_id) -> Conversation:
    """Return the conversation if ``user`` may see it, else raise ``Conversation.DoesNotExist``."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise Conversation.DoesNotExist from None
    return (
        visible_conversations(user)
        .select_related("customer", "team", "assignee")
        .get(pk=conversation_id)
    )


def thread_messages(conversation: Conversation, *, include_notes: bool = True) -> QuerySet[Message]:
    """Return the conversation's messages in order, from every channel."""
    qs = Message.objects.filter(conversation=conversation)
    if not include_notes:
        qs = qs.exclude(direction=Direction.NOTE)
    return qs.select_related("author").prefetch_related("attachments").order_by("created_at", "id")


def conversation_events(conversation: Conversation) -> QuerySet[ConversationEvent]:
    return (
        ConversationEvent.objects.filter(conversation=conversation)
        .select_related("actor")
        .order_by("created_at", "id")
    )


# --- The agent inbox: views, filters, search, keyset pagination ---------------------------

INBOX_VIEWS = ("mine", "unassigned", "breaching", "team", "channel", "all", "solved")
INBOX_PAGE_SIZE = 25
# Counts stop here ("500+"): counting every row of a big queue costs more than it tells.
INBOX_COUNT_CAP = 500
# A search is not counted (``count_cap=0``: the page tells only whether more follow).
SEARCH_COUNT_CAP = 0
# A word search reads at most this many of the newest matching conversations from the index
# (each is a row read to order them by recency).
SEARCH_HITS = 300
# A name search reads the conversations of at most this many matching customers.
SEARCH_CUSTOMERS = 200
# "Breaching soon": the next due time lies within this many hours (or has passed).
BREACHING_HOURS = 4
RECENT = ("-last_message_at", "-id")
DUE_FIRST = ("sla_due_at", "id")
# What an inbox row shows (and its keyset needs): fewer columns, less to read and build.
INBOX_COLUMNS = (
    "subject",
    "channel",
    "status",
    "priority",
    "last_message_at",
    "sla_due_at",
    "customer__given_name",
    "customer__family_name",
    "customer__is_vip",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "team__name",
)
NUMBER_QUERY = re.compile(r"^\s*(?:[A-Za-z]+-|#)?(\d{1,18})\s*$")


class LiteralIn(Lookup):
    """``field IN ('a', 'b')`` with the values written into the SQL instead of bound.

    SQLite uses a partial index only when the query repeats the index's condition literally
    (a bound ``IN (?, ?)`` never matches ``IN ('new', 'open')``), so the inbox's "open"
    condition is spelled out. Only for our own constant choices, never for user input.
    """

    lookup_name = "literal_in"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if not all(isinstance(v, str) and v.replace("_", "").isalnum() for v in self.rhs):
            raise ValueError("literal_in takes plain identifiers only")
        values = ", ".join(f"'{v}'" for v in self.rhs)
        return f"{lhs} IN ({values})", params

    def get_prep_lookup(self):
        return [str(v) for v in self.rhs]


def is_open():
    """Return the condition "status is open", matching the inbox's partial indexes."""
    return LiteralIn(F("status"), [s.value for s in OPEN_STATUSES])


@dataclass
class InboxPage:
    conversations: list[Conversation]
    next_cursor: str | None
    prev_cursor: str | None
    total: int
    total_capped: bool


def inbox_queryset(
    user,
    *,
    view: str = "mine",
    team_id: int | None = None,
    channel: str = "",
    filters: dict[str, Any] | None = None,
    query: str = "",
    now: datetime | None = None,
) -> tuple[QuerySet[Conversation], tuple[str, ...]]:
    """Return the conversations of inbox ``view`` for ``user`` (filtered, searched) and their order.

    Every view starts from ``visible_conversations(user)`` and reads one of the partial
    "open" indexes of ``Conversation`` in its order. A status filter replaces the view's
    "open" condition (the status indexes serve it).
    """
    filters = filters or {}
    qs = visible_conversations(user)
    order = RECENT
    status = filters.get("status") or ""
    if view == "solved":
        qs = qs.filter(status=status or Status.SOLVED)
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(is_open())
    if view == "mine":
        qs = qs.filter(assignee=user)
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif view == "breaching":
        horizon = (now or timezone.now()) + timedelta(hours=BREACHING_HOURS)
        qs = qs.filter(sla_due_at__isnull=False, sla_due_at__lte=horizon)
        order = DUE_FIRST
    elif view == "team":
        qs = qs.filter(team_id=team_id) if team_id else qs.filter(team__isnull=False)
    elif view == "channel" and channel:
        qs = qs.filter(channel=channel)
    if filters.get("priority"):
        qs = qs.filter(priority=filters["priority"])
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    assignee = filters.get("assignee")
    if assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=assignee)
    if filters.get("tag"):
        tag_ids = Tag.objects.filter(name=filters["tag"]).values("id")[:1]
        qs = qs.filter(
            pk__in=Conversation.tags.through.objects.filter(tag_id__in=tag_ids).values(
                "conversation_id"
            )
        )
    return search_conversations(qs, query), order


def search_conversations(qs: QuerySet[Conversation], query: str) -> QuerySet[Conversation]:
    """Narrow ``qs`` by a conversation number ("RAP-123", "#123", "123"), an email address, or
    words.

    A number is looked up by primary key and an address through the customers' contact
    points. Words are looked up in the search index (subject, number, tags, customer name and
    the messages' text, in any form the stemmers know), newest conversations first, up to
    ``SEARCH_HITS`` of them; when the index has none, the customers' name search (which
    also matches the start of a name) finds their conversations.
    """
    query = " ".join((query or "").split())[:200]
    if not query:
        return qs
    number = NUMBER_QUERY.match(query)
    if number:
        return qs.filter(pk=int(number.group(1)))
    from rapport.customers.models import Customer
    from rapport.customers.queries import search_customers
    from rapport.helpdesk.search import INDEX
    from rapport.search.queries import search

    def customer_ids():
        return list(
            search_customers(Customer.objects.all(), query).values_list("id", flat=True)[
                :SEARCH_CUSTOMERS
            ]
        )

    if "@" in query:
        return qs.filter(customer_id__in=customer_ids())
    hits = [hit.id for hit in search(INDEX, query, limit=SEARCH_HITS, order="id")]
    if hits:
        return qs.filter(pk__in=hits)
    # Nothing in the index (a partial name, say): the customers' name search.
    return qs.filter(customer_id__in=customer_ids())


def _cursor(values: list[Any], direction: str) -> str:
    raw = json.dumps({"v": values, "d": direction}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _uncursor(cursor: str, size: int) -> tuple[list[Any], str] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values, direction = data["v"], data["d"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != size or direction not in ("next", "prev"):
        return None
    if any(v is None for v in values):
        return None
    return values, direction


def _after(fields: tuple[str, ...], values: list[Any]) -> Q:
    """Return the condition "row comes after ``values``" in the order ``fields``."""
    condition = Q()
    for i, name in enumerate(fields):
        op = "lt" if name.startswith("-") else "gt"
        clause = Q(**{f"{name.lstrip('-')}__{op}": values[i]})
        for j in range(i):
            clause &= Q(**{fields[j].lstrip("-"): values[j]})
        condition |= clause
    return condition


def _key(conversation: Conversation, name: str) -> Any:
    value = getattr(conversation, name.lstrip("-"))
    return value.isoformat() if hasattr(value, "isoformat") else value


def inbox_page(
    qs: QuerySet[Conversation],
    *,
    order: tuple[str, ...] = RECENT,
    cursor: str | None = None,
    page_size: int = INBOX_PAGE_SIZE,
    count_cap: int = INBOX_COUNT_CAP,
) -> InboxPage:
    """Return one page of ``qs`` in ``order`` with cursors before and after (keyset pagination).

    A page costs the same at any depth; the total is counted up to ``count_cap``.
    """
    decoded = _uncursor(cursor, len(order)) if cursor else None
    direction = "next"
    base = qs
    reverse = tuple(f[1:] if f.startswith("-") else "-" + f for f in order)
    if decoded:
        values, direction = decoded
        try:
            qs = qs.filter(_after(order if direction == "next" else reverse, values))
        except (ValueError, ValidationError):
            decoded, direction = None, "next"
    rows = list(
        qs.order_by(*(order if direction == "next" else reverse))
        .select_related("customer", "assignee", "team")
        .only(*INBOX_COLUMNS)
        .prefetch_related("tags")[: page_size + 1]
    )
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if direction == "prev":
        rows.reverse()
    next_cursor = prev_cursor = None
    if rows:
        first = [_key(rows[0], f) for f in order]
        last = [_key(rows[-1], f) for f in order]
        if direction == "next":
            next_cursor = _cursor(last, "next") if has_more else None
            prev_cursor = _cursor(first, "prev") if decoded else None
        else:
            prev_cursor = _cursor(first, "prev") if has_more else None
            next_cursor = _cursor(last, "next")
    if count_cap <= 0:
        return InboxPage(rows, next_cursor, prev_cursor, len(rows), has_more)
    total = base.order_by()[: count_cap + 1].count()
    return InboxPage(rows, next_cursor, prev_cursor, min(total, count_cap), total > count_cap)


# --- The conversation page -------------------------------------------------------------------


def newest_outbound_id(conversation: Conversation) -> int:
    """Return the id of the newest message sent to the customer (0 if none): the collision mark."""
    return (
        Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
        .first()
    ) or 0


def replies_since(conversation: Conversation, message_id: int) -> list[Message]:
    """Return the replies people sent after ``message_id`` (automatic messages aside)."""
    return list(
        Message.objects.filter(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            kind=MessageKind.NORMAL,
            pk__gt=message_id,
        )
        .select_related("author")
        .order_by("created_at", "id")
    )


def other_conversations(user, conversation: Conversation, *, limit: int = 5) -> list[Conversation]:
    """Return the customer's other conversations that ``user`` may see, newest first."""
    return list(
        visible_conversations(user)
        .filter(customer_id=conversation.customer_id)
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at", "-id")[:limit]
    )


def customer_conversations(user, customer, *, limit: int = 10) -> list[Conversation]:
    """Return ``customer``'s conversations that ``user`` may see, newest first."""
    return list(
        visible_conversations(user)
        .filter(customer_id=customer.pk)
        .select_related("assignee")
        .order_by("-last_message_at", "-id")[:limit]
    )


def linked_conversations(user, conversation: Conversation) -> list[Conversation]:
    """Return the conversations linked to ``conversation`` that ``user`` may see."""
    ids = set(
        ConversationLink.objects.filter(source=conversation).values_list("target_id", flat=True)
    ) | set(
        ConversationLink.objects.filter(target=conversation).values_list("source_id", flat=True)
    )
    if not ids:
        return []
    return list(visible_conversations(user).filter(pk__in=ids).order_by("-last_message_at"))


MENTION_CANDIDATES = 8


def mention_candidates(prefix: str, *, limit: int = MENTION_CANDIDATES) -> list:
    """Return active colleagues whose username, first or last name starts with ``prefix``."""
    from rapport.accounts.models import HELPDESK_ROLES, User

    prefix = prefix.strip().lstrip("@")[:50]
    qs = User.objects.filter(is_active=True, role__in=HELPDESK_ROLES)
    if prefix:
        qs = qs.filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
    return list(qs.order_by("username").only("username", "first_name", "last_name")[:limit])
