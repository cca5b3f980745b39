"""Helpdesk demo data: conversations with their messages, notes and calls, in two ways.

``plan_conversation`` decides one conversation (channel, topic, status, priority, team,
assignee and its messages with their times) from a seeded random generator. Two writers use
the plans:

- ``HelpdeskActionsLoader`` replays them through the real actions (``receive_message``,
  ``send_reply``, ``add_internal_note``, ``log_call``, ``change_status`` ...) with the clock
  set to each step's historic time, so routing, SLA, events and timeline behave as in
  production. Outbound messages are marked as sent in the same transaction: nothing is mailed.
  For ``make run`` (a few hundred conversations).
- ``HelpdeskBulkLoader`` writes the rows in bulk (multi-row INSERTs, large transactions, the
  slow indexes built after the load) with the metrics fields computed from the plan: for the
  benchmark's million conversations. It writes one "created" event per conversation and one
  status event per done conversation; no timeline events for the messages.

Only ``rapport.demo.actions`` calls this module.
"""

import json
import math
import random
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.core.management.color import no_style
from django.db import connections, transaction
from django.utils import timezone

from rapport.accounts.models import Role, Team, User
from rapport.demo.generator import BulkWriter
from rapport.demo.helpdesk_texts import (
    CALL_NOTES,
    CLOSINGS,
    CONVERSATIONS,
    GREETINGS,
    HELPDESK_NOTES,
    HELPDESK_TEAMS,
    TOPIC_TEAM,
    TOPICS,
)
from rapport.helpdesk.models import Conversation, ConversationEvent, Message

#: Days of helpdesk history.
HISTORY_DAYS = 90
#: Channels of origin with their weights.
CHANNEL_WEIGHTS = (
    ("email", 45),
    ("chat", 20),
    ("phone", 10),
    ("social", 8),
    ("web", 10),
    ("portal", 7),
)
PRIORITY_WEIGHTS = (("low", 15), ("normal", 60), ("high", 20), ("urgent", 5))
#: SLA targets of the bulk data in hours: (first response, resolution), by priority.
SLA_HOURS = {"urgent": (1, 8), "high": (4, 24), "normal": (8, 72), "low": (24, 120)}
#: Statuses by the conversation's age: (age in days below, weights).
STATUS_BY_AGE = (
    (2, (("new", 30), ("open", 30), ("pending", 20), ("on_hold", 5), ("solved", 15))),
    (10, (("new", 4), ("open", 20), ("pending", 20), ("on_hold", 6), ("solved", 50))),
    (math.inf, (("open", 4), ("pending", 4), ("on_hold", 2), ("solved", 30), ("closed", 60))),
)
CLOSE_AFTER = 4 * 86400  # solved conversations close after four days
#: Where replies go for each channel of origin (as helpdesk.actions.reply_channel decides).
REPLY_CHANNEL = {"phone": "email", "web": "email", "api": "email"}
CHUNK = 5_000

# Message kinds in a plan: (seconds, direction, kind, channel, author id, subject, body, call).
IN, OUT, NOTE = "inbound", "outbound", "note"


def _expand(weights, size: int = 1000) -> list:
    total = sum(w for _v, w in weights)
    table = []
    for value, weight in weights:
        table += [value] * round(weight * size / total)
    return table


@dataclass
class Agent:
    id: int
    first_name: str
    teams: tuple[int, ...]  # indexes into HELPDESK_TEAMS
    languages: tuple[str, ...]


@dataclass
class CustomerInfo:
    id: int
    language: str
    given_name: str
    family_name: str
    email: str


@dataclass
class Plan:
    """One conversation as it will be written; times are seconds since the epoch (UTC)."""

    customer: CustomerInfo
    channel: str
    topic: str
    language: str
    subject: str
    status: str
    priority: str
    team: int | None
    assignee: int | None
    created: int
    messages: list[tuple] = field(default_factory=list)
    solved: int | None = None
    closed: int | None = None


@dataclass
class HelpdeskStats:
    conversations: int = 0
    messages: int = 0
    notes: int = 0
    calls: int = 0
    events: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0
    search_seconds: float = 0.0
    path: str = ""
    statuses: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "conversations": self.conversations,
            "messages": self.messages,
            "notes": self.notes,
            "calls": self.calls,
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "index_seconds": round(self.index_seconds, 3),
            "search_seconds": round(self.search_seconds, 3),
            "conversations_per_second": round(self.conversations / self.seconds)
            if self.seconds
            else 0,
            "messages_per_second": round(self.messages / self.seconds) if self.seconds else 0,
            "statuses": dict(sorted(self.statuses.items())),
            "channels": dict(sorted(self.channels.items())),
        }


# --- Staff -----------------------------------------------------------------------------------


def ensure_helpdesk_staff(using: str = "default") -> list[Agent]:
    """Create the helpdesk teams and demo agents if missing; return every agent able to answer.

    Existing agents and managers without a helpdesk team join "First level", so that every
    conversation someone is assigned to is one their team can see.
    """
    from rapport.demo.actions import add_demo_colleagues
    from rapport.demo.helpdesk_texts import HELPDESK_AGENTS

    teams = [
        Team.objects.using(using).get_or_create(name=name, defaults={"description": text})[0]
        for name, text in HELPDESK_TEAMS
    ]
    if using == "default":
        add_demo_colleagues(HELPDESK_AGENTS, teams)
    team_index = {team.pk: i for i, team in enumerate(teams)}
    agents = []
    staff = (
        User.objects.using(using)
        .filter(is_active=True, role__in=(Role.AGENT, Role.MANAGER))
        .exclude(username="bench")
        .prefetch_related("teams")
        .order_by("id")
    )
    for user in staff:
        indexes = tuple(team_index[t.pk] for t in user.teams.all() if t.pk in team_index)
        if not indexes:
            user.teams.add(teams[0])
            indexes = (0,)
        languages = tuple(user.spoken_languages or ()) or ("en",)
        agents.append(Agent(user.pk, user.first_name or user.username, indexes, languages))
    return agents


# --- Planning --------------------------------------------------------------------------------


class Planner:
    """Plan conversations: one seeded random generator, the agents, and today's time."""

    def __init__(self, *, seed: int, agents: list[Agent], now: datetime, messages: int):
        self.rnd = random.Random(seed)
        self.agents = agents
        self.now = int(now.timestamp())
        self.mean_messages = max(1, messages)
        self.channels = _expand(CHANNEL_WEIGHTS)
        self.priorities = _expand(PRIORITY_WEIGHTS)
        self.statuses = [(limit, _expand(weights)) for limit, weights in STATUS_BY_AGE]
        # Message counts relative to the mean: heavy-tailed, mean 1.
        raw = [min(self.rnd.paretovariate(2.5), 6.0) for _i in range(4096)]
        mean = sum(raw) / len(raw)
        self.size_weights = [w / mean for w in raw]
        # Agents by (team, language), by team and by language.
        self.by_team_language: dict[tuple[int, str], list[int]] = {}
        self.by_team: dict[int, list[int]] = {}
        self.by_language: dict[str, list[int]] = {}
        for agent in agents:
            for team in agent.teams:
                self.by_team.setdefault(team, []).append(agent.id)
                for language in agent.languages:
                    self.by_team_language.setdefault((team, language), []).append(agent.id)
            for language in agent.languages:
                self.by_language.setdefault(language, []).append(agent.id)
        self.agent_names = {agent.id: agent.first_name for agent in agents}
        self.all_agents = [agent.id for agent in agents]

    def _agent_for(self, team: int, language: str) -> int | None:
        rnd = self.rnd.random
        for pool in (
            self.by_team_language.get((team, language)),
            self.by_team.get(team),
            self.by_language.get(language),
            self.all_agents,
        ):
            if pool:
                return pool[int(rnd() * len(pool))]
        return None

    def plan(self, customer: CustomerInfo) -> Plan:
        rnd = self.rnd.random
        now = self.now
        language = customer.language if customer.language in CONVERSATIONS else "en"
        texts = CONVERSATIONS[language]
        topic = TOPICS[int(rnd() * len(TOPICS))]
        subjects, openings, replies, followups = texts[topic]
        channel = self.channels[int(rnd() * len(self.channels))]
        # Newer conversations are more frequent (the shop grows; old ones got merged away).
        age = int(HISTORY_DAYS * 86400 * (rnd() ** 1.3))
        created = now - age - 60
        for limit, table in self.statuses:
            if age < limit * 86400:
                status = table[int(rnd() * len(table))]
                break
        priority = self.priorities[int(rnd() * len(self.priorities))]
        team: int | None = TOPIC_TEAM[topic]
        assignee = None
        if status == "new":
            if rnd() < 0.3:
                team = None
        elif rnd() < 0.92:
            assignee = self._agent_for(team, language)
        author = assignee or (self._agent_for(team, language) if team is not None else None)
        if status == "new":  # nobody has answered yet, not even the phone
            author = None
        plan = Plan(
            customer=customer,
            channel=channel,
            topic=topic,
            language=language,
            subject=subjects[int(rnd() * len(subjects))],
            status=status,
            priority=priority,
            team=team,
            assignee=assignee,
            created=created,
        )
        weights = self.size_weights
        count = max(1, int(self.mean_messages * weights[int(rnd() * len(weights))] + rnd()))
        if status == "new" or author is None:
            count = min(count, 3)
        self._messages(plan, count, author, openings, replies, followups)
        return plan

    def _messages(self, plan: Plan, count: int, author, openings, replies, followups) -> None:
        """Fill ``plan.messages`` with ``count`` messages in time order, ending as the status needs."""
        rnd = self.rnd.random
        status = plan.status
        language = plan.language
        customer = plan.customer
        greeting, signoff = GREETINGS[language]
        signature = f"\n\n{signoff}\n{self.agent_names.get(author, '')}"
        hello = f"{greeting} {customer.given_name},\n\n" if customer.given_name else ""
        reply_channel = REPLY_CHANNEL.get(plan.channel, plan.channel)
        inbound_channel = "email" if plan.channel == "phone" else plan.channel
        # Kinds: the customer opens; then replies and follow-ups alternate, with notes and calls.
        kinds = [IN]
        answered = status != "new" and author is not None
        while len(kinds) < count:
            u = rnd()
            if not answered:
                kinds.append(IN)
            elif u < 0.1:
                kinds.append(NOTE)
            elif u < 0.15:
                kinds.append("call")
            else:
                kinds.append(OUT if kinds[-1] in (IN, NOTE) else IN)
        if answered and status in ("pending", "solved", "closed") and kinds[-1] != OUT:
            if len(kinds) > 1:
                kinds[-1] = OUT
            else:
                kinds.append(OUT)
        if answered and status in ("open",) and kinds[-1] == OUT and len(kinds) > 1:
            kinds.append(IN)
        # Gaps before each message (log-uniform), then squeezed into the time there is.
        gaps = [0]
        for kind in kinds[1:]:
            if kind == OUT:
                gaps.append(int(600 * math.exp(rnd() * 4.5)))  # 10 minutes to about 15 hours
            elif kind == NOTE:
                gaps.append(60 + int(rnd() * 3000))
            elif kind == "call":
                gaps.append(int(1800 * math.exp(rnd() * 3)))
            else:
                gaps.append(int(1800 * math.exp(rnd() * 4.5)))  # 30 minutes to about 2 days
        span = self.now - plan.created - 120
        total = sum(gaps)
        tail = 0 if status not in ("solved", "closed") else 3600
        if total + tail > span:
            scale = max(0.0, (span - tail)) / total if total else 0.0
            gaps = [int(g * scale) for g in gaps]
        at = plan.created
        messages = plan.messages
        for index, kind in enumerate(kinds):
            at += gaps[index]
            if kind == IN:
                if index == 0 and plan.channel == "phone":
                    note = CALL_NOTES[language][int(rnd() * 2)]
                    duration = 60 + int(rnd() * 900)
                    call = {
                        "direction": "inbound",
                        "duration_seconds": duration,
                        "outcome": "answered" if author else "missed",
                    }
                    messages.append((at, IN, "call", "phone", author, plan.subject, note, call))
                    continue
                text = (
                    openings[int(rnd() * len(openings))]
                    if index == 0
                    else (followups[int(rnd() * len(followups))])
                )
                channel = plan.channel if index == 0 else inbound_channel
                subject = (
                    plan.subject
                    if channel == "email" and index == 0
                    else (f"Re: {plan.subject}" if channel == "email" else "")
                )
                messages.append((at, IN, "normal", channel, None, subject, text, None))
            elif kind == OUT:
                last = index == len(kinds) - 1 and status in ("solved", "closed")
                if last:
                    text = CLOSINGS[language][0]
                else:
                    text = replies[int(rnd() * len(replies))]
                body = hello + (text[:1].upper() + text[1:] if not hello else text) + signature
                subject = f"Re: {plan.subject}" if reply_channel == "email" else ""
                messages.append((at, OUT, "normal", reply_channel, author, subject, body, None))
            elif kind == NOTE:
                text = HELPDESK_NOTES[int(rnd() * len(HELPDESK_NOTES))]
                messages.append((at, NOTE, "normal", plan.channel, author, "", text, None))
            else:
                duration = 120 + int(rnd() * 900)
                call = {
                    "direction": "outbound",
                    "duration_seconds": duration,
                    "outcome": "answered" if rnd() < 0.8 else "no_answer",
                }
                note = CALL_NOTES[language][int(rnd() * 2)]
                messages.append((at, OUT, "call", "phone", author, "", note, call))
        if status in ("solved", "closed"):
            plan.solved = min(at + 300 + int(rnd() * 3000), self.now - 60)
            if status == "closed":
                if plan.solved + CLOSE_AFTER < self.now:
                    plan.closed = plan.solved + CLOSE_AFTER
                else:
                    plan.status = "solved"


# --- Customers -------------------------------------------------------------------------------


def _customers_between(cursor, low: int, high: int) -> dict[int, CustomerInfo]:
    """Return the customers with ids from ``low`` to ``high`` with their primary email."""
    cursor.execute(
        "SELECT id, language, given_name, family_name FROM customers_customer"
        " WHERE id BETWEEN %s AND %s",
        [low, high],
    )
    found = {row[0]: CustomerInfo(row[0], row[1] or "", row[2], row[3], "") for row in cursor}
    cursor.execute(
        "SELECT customer_id, normalized, is_primary FROM customers_contactpoint"
        " WHERE kind = 'email' AND customer_id BETWEEN %s AND %s",
        [low, high],
    )
    for customer_id, email, primary in cursor.fetchall():
        info = found.get(customer_id)
        if info is not None and (primary or not info.email):
            info.email = email
    return found


def _picked_customers(cursor, count: int, rnd: random.Random) -> array:
    """Return ``count`` customer ids drawn with repetition (some customers write often), sorted."""
    cursor.execute("SELECT id FROM customers_customer ORDER BY id")
    ids = array("q", (row[0] for row in cursor.fetchall()))
    if not ids:
        return array("q")
    draw = rnd.random
    n = len(ids)
    # A third of the draws go to a tenth of the customers: the frequent writers.
    frequent = max(1, n // 10)
    picked = array(
        "q",
        sorted(
            ids[int(draw() * frequent) * 10 % n] if draw() < 0.33 else ids[int(draw() * n)]
            for _i in range(count)
        ),
    )
    return picked


def _chunks(picked: array, cursor, size: int) -> Iterator[list[CustomerInfo]]:
    for start in range(0, len(picked), size):
        part = picked[start : start + size]
        found = _customers_between(cursor, part[0], part[-1])
        yield [found[pk] for pk in part if pk in found]


# --- The bulk path ---------------------------------------------------------------------------


CONVERSATION_COLUMNS = (
    "id, subject, customer_id, channel, status, priority, team_id, assignee_id, language,"
    " merged_into_id, created_at, updated_at, last_message_at, last_inbound_at,"
    " last_outbound_at, first_response_at, solved_at, closed_at, agent_reply_count,"
    " customer_message_count, reopen_count, first_response_business_seconds,"
    " resolution_business_seconds, handling_seconds, sla_policy_id, first_response_due_at,"
    " resolution_due_at, sla_due_at, sla_paused_at, sla_breached_at, estimated_resolution_at"
)
INSERT_MESSAGE = (
    "INSERT INTO helpdesk_message (conversation_id, direction, kind, channel, author_id,"
    " sender_name, sender_address, recipients, subject, body_text, body_html, display_text,"
    " external_id, delivery_status, delivery_error, data, created_at, sent_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, '[]', %s, %s, '', '', '', %s, '', %s, %s, %s)"
)
INSERT_EVENT = (
    "INSERT INTO helpdesk_conversationevent (conversation_id, kind, actor_id, message_id, data,"
    " created_at) VALUES (%s, %s, %s, NULL, %s, %s)"
)
#: Indexes kept during the bulk load: their entries arrive in key order (conversation ids
#: ascend, times ascend within a conversation) or they stay empty (external ids).
KEEP_INDEXES = ("message_thread", "conv_event_log", "message_external_id_unique_per_channel")


class HelpdeskBulkLoader:
    """Write planned conversations with raw multi-row INSERTs (see the module docstring)."""

    def __init__(
        self,
        *,
        conversations: int,
        messages_per_conversation: int,
        seed: int,
        using: str = "default",
        progress: Callable[[int, int], None] | None = None,
    ):
        self.total = conversations
        self.per_conversation = messages_per_conversation
        self.seed = seed
        self.using = using
        self.connection = connections[using]
        self.progress = progress
        self.stats = HelpdeskStats(path="bulk")
        self.suffix = "" if self.connection.vendor == "sqlite" else "+00:00"
        self.dropped: list[str] = []
        self._days: dict[int, str] = {}
        self._clock = [
            f"{h:02d}:{m:02d}:{sec:02d}{self.suffix}"
            for h in range(24)
            for m in range(60)
            for sec in range(60)
        ]

    def _stamp(self, seconds: int | None) -> str | None:
        """Return the database text of a UTC time in seconds: one day and one clock lookup."""
        if seconds is None:
            return None
        day, rest = divmod(seconds, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = datetime.fromtimestamp(day * 86400, tz=UTC).strftime(
                "%Y-%m-%d "
            )
        return prefix + self._clock[rest]

    def run(self) -> HelpdeskStats:
        started = time.perf_counter()
        connection = self.connection
        connection.ensure_connection()
        agents = ensure_helpdesk_staff(self.using)
        planner = Planner(
            seed=self.seed, agents=agents, now=timezone.now(), messages=self.per_conversation
        )
        team_ids = {
            i: pk
            for i, (name, _text) in enumerate(HELPDESK_TEAMS)
            for pk in Team.objects.using(self.using).filter(name=name).values_list("pk", flat=True)
        }
        sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            if sqlite:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-1000000")
                cursor.execute("PRAGMA foreign_keys=OFF")
            try:
                picked = _picked_customers(cursor, self.total, planner.rnd)
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM helpdesk_conversation")
                next_id = cursor.fetchone()[0] + 1
                first_id = next_id
                if connection.vendor == "sqlite":
                    self._drop_indexes(cursor)
                with BulkWriter(connection) as writer:
                    done = 0
                    for customers in _chunks(picked, cursor, CHUNK):
                        next_id = self._write_chunk(writer, planner, customers, next_id, team_ids)
                        done += len(customers)
                        if self.progress:
                            self.progress(done, self.total)
                indexing = time.perf_counter()
                self._create_indexes(cursor)
                self.stats.index_seconds = time.perf_counter() - indexing
            finally:
                self._create_indexes(cursor)
                if sqlite:
                    cursor.execute("PRAGMA foreign_keys=ON")
                    cursor.execute("PRAGMA synchronous=NORMAL")
                    cursor.execute("PRAGMA cache_size=-65536")
            if connection.vendor == "sqlite" and not connection.in_atomic_block:
                cursor.execute("ANALYZE helpdesk_conversation")
                cursor.execute("ANALYZE helpdesk_message")
                cursor.execute("ANALYZE helpdesk_conversationevent")
            elif connection.vendor == "postgresql":
                for sql in connection.ops.sequence_reset_sql(
                    no_style(), [Conversation, Message, ConversationEvent]
                ):
                    cursor.execute(sql)
                if not connection.in_atomic_block:
                    cursor.execute("ANALYZE helpdesk_conversation")
        self.stats.conversations = next_id - first_id
        if connection.alias == "default":
            from rapport.helpdesk.search import INDEX
            from rapport.search.actions import rebuild

            indexing = time.perf_counter()
            rebuild(INDEX, ids=range(first_id, next_id))
            self.stats.search_seconds = time.perf_counter() - indexing
        self.stats.seconds = time.perf_counter() - started
        return self.stats

    def _drop_indexes(self, cursor) -> None:
        for table in ("helpdesk_conversation", "helpdesk_message"):
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - our table names
            if cursor.fetchone():
                continue
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL",
                [table],
            )
            for name, sql in cursor.fetchall():
                if name not in KEEP_INDEXES:
                    cursor.execute(f'DROP INDEX "{name}"')
                    self.dropped.append(sql)

    def _create_indexes(self, cursor) -> None:
        while self.dropped:
            cursor.execute(self.dropped.pop(0))

    def _write_chunk(self, writer, planner: Planner, customers, next_id: int, team_ids) -> int:
        stamp = self._stamp
        stats = self.stats
        statuses = stats.statuses
        channels = stats.channels
        conversations = []
        messages = []
        events = []
        now = planner.now
        for customer in customers:
            plan = planner.plan(customer)
            conv_id = next_id
            next_id += 1
            name = f"{customer.given_name} {customer.family_name}".strip()
            first_response = last_in = last_out = None
            replies = inbound = handling = 0
            for at, direction, kind, channel, author, subject, body, call in plan.messages:
                ts = stamp(at)
                if direction == IN:
                    last_in = at
                    if kind == "normal" or call:
                        inbound += 1
                    sender = (name, customer.email if channel != "phone" else "")
                    status = ""
                elif direction == OUT:
                    last_out = at
                    sender = (planner.agent_names.get(author, ""), "")
                    status = "sent"
                else:
                    sender = (planner.agent_names.get(author, ""), "")
                    status = ""
                    handling += 180
                if call:
                    handling += call["duration_seconds"]
                    if author is not None and call["outcome"] not in ("missed", "no_answer"):
                        replies += 1
                        first_response = first_response or at
                    data = '{"call": %s}' % json.dumps(call)  # noqa: UP031
                    stats.calls += 1
                elif direction == OUT:
                    replies += 1
                    handling += 240
                    first_response = first_response or at
                    data = "{}"
                else:
                    data = "{}"
                    if direction == NOTE:
                        stats.notes += 1
                messages.append(
                    (conv_id, direction, kind, channel, author, sender[0], sender[1], subject)
                    + (body, status, data, ts, ts if status else None)
                )
            last = plan.messages[-1][0]
            last_message = max((m[0] for m in plan.messages if m[1] != NOTE), default=plan.created)
            fr_hours, res_hours = SLA_HOURS[plan.priority]
            fr_due = plan.created + fr_hours * 3600
            res_due = plan.created + res_hours * 3600
            active = plan.status in ("new", "open", "on_hold")
            sla_due = paused = breached = None
            if active:
                sla_due = fr_due if first_response is None else res_due
            elif plan.status == "pending":
                paused = last_out or last
            if (first_response or now) > fr_due and (first_response or active):
                breached = fr_due
            elif (plan.solved or (now if active else 0)) > res_due:
                breached = res_due
            conversations.append(
                (conv_id, plan.subject, customer.id, plan.channel, plan.status, plan.priority)
                + (team_ids.get(plan.team), plan.assignee, plan.language, None)
                + (stamp(plan.created), stamp(max(last, plan.solved or 0, plan.closed or 0)))
                + (stamp(last_message), stamp(last_in), stamp(last_out), stamp(first_response))
                + (stamp(plan.solved), stamp(plan.closed), replies, inbound, 0, None, None)
                + (handling, None, stamp(fr_due), stamp(res_due), stamp(sla_due), stamp(paused))
                + (stamp(breached), stamp(res_due))
            )
            events.append(
                (conv_id, "created", None, '{"channel": "%s"}' % plan.channel, stamp(plan.created))  # noqa: UP031
            )
            if plan.solved:
                events.append(
                    (conv_id, "status", plan.assignee)
                    + ('{"from": "open", "to": "solved"}', stamp(plan.solved))
                )
            statuses[plan.status] = statuses.get(plan.status, 0) + 1
            channels[plan.channel] = channels.get(plan.channel, 0) + 1
        placeholders = ", ".join(["%s"] * 31)
        writer.insert(
            f"INSERT INTO helpdesk_conversation ({CONVERSATION_COLUMNS})"  # noqa: S608
            f" VALUES ({placeholders})",
            conversations,
        )
        writer.insert(INSERT_MESSAGE, messages)
        writer.insert(INSERT_EVENT, events)
        stats.messages += len(messages)
        stats.events += len(events)
        return next_id


# --- The actions path ------------------------------------------------------------------------


@contextmanager
def demo_clock(at: datetime):
    """Let ``timezone.now()`` return ``at`` meanwhile, so that actions record historic times.

    Only for loading demo data in a single-threaded command: the actions read the time
    through ``django.utils.timezone.now``, which this swaps out and restores.
    """
    original = timezone.now
    timezone.now = lambda: at
    try:
        yield
    finally:
        timezone.now = original


class HelpdeskActionsLoader:
    """Replay planned conversations through the helpdesk actions (see the module docstring)."""

    def __init__(self, *, conversations: int, messages_per_conversation: int, seed: int):
        self.total = conversations
        self.per_conversation = messages_per_conversation
        self.seed = seed
        self.stats = HelpdeskStats(path="actions")

    def run(self) -> HelpdeskStats:
        from django.db import connection

        from rapport.customers.models import Customer

        started = time.perf_counter()
        agents = ensure_helpdesk_staff()
        planner = Planner(
            seed=self.seed, agents=agents, now=timezone.now(), messages=self.per_conversation
        )
        users = {u.pk: u for u in User.objects.filter(pk__in=[a.id for a in agents])}
        teams = {
            i: Team.objects.filter(name=name).first() for i, (name, _t) in enumerate(HELPDESK_TEAMS)
        }
        with connection.cursor() as cursor:
            picked = _picked_customers(cursor, self.total, planner.rnd)
            plans = [planner.plan(c) for c in next(iter(_chunks(picked, cursor, len(picked))), [])]
        customers = Customer.objects.in_bulk([p.customer.id for p in plans])
        for plan in plans:
            self._replay(plan, customers[plan.customer.id], users, teams)
        self.stats.seconds = time.perf_counter() - started
        return self.stats

    def _replay(self, plan: Plan, customer, users, teams) -> None:
        from rapport.helpdesk import actions
        from rapport.helpdesk.models import DeliveryStatus

        stats = self.stats
        with transaction.atomic():
            conversation = None
            for index, (when, direction, _kind, channel, author, subject, body, call) in enumerate(
                plan.messages
            ):
                moment = _utc(when)
                agent = users.get(author)
                with demo_clock(moment):
                    if call:
                        received = actions.log_call(
                            customer=customer,
                            agent=agent,
                            direction=call["direction"],
                            duration_seconds=call["duration_seconds"],
                            outcome=call["outcome"],
                            notes=body,
                            conversation=conversation,
                            started_at=moment,
                            subject=subject if conversation is None else "",
                        )
                        conversation = received.message.conversation
                        stats.calls += 1
                    elif direction == IN:
                        received = actions.receive_message(
                            customer=customer,
                            channel=channel,
                            conversation=conversation,
                            subject=subject or (plan.subject if conversation is None else ""),
                            body_text=body,
                            sender_name=f"{customer.given_name} {customer.family_name}".strip(),
                            sender_address=plan.customer.email if channel != "phone" else "",
                            received_at=moment,
                            language=plan.language,
                        )
                        conversation = received.message.conversation
                    elif direction == OUT:
                        last = index == len(plan.messages) - 1
                        actions.send_reply(
                            conversation=conversation,
                            author=agent,
                            body_text=body,
                            channel=channel,
                            subject=subject,
                            status="pending" if last and plan.status == "pending" else None,
                            handling_seconds=240,
                        )
                    else:
                        actions.add_internal_note(
                            conversation=conversation,
                            author=agent,
                            body_text=body,
                            handling_seconds=180,
                        )
                        stats.notes += 1
                    stats.messages += 1
                if index == 0:
                    self._settle(conversation, plan, users, teams, moment)
            if plan.solved:
                with demo_clock(_utc(plan.solved)):
                    actions.change_status(
                        conversation=conversation, actor=users.get(plan.assignee), status="solved"
                    )
            if plan.closed:
                with demo_clock(_utc(plan.closed)):
                    actions.change_status(conversation=conversation, actor=None, status="closed")
            if plan.status == "on_hold":
                with demo_clock(_utc(plan.messages[-1][0] + 60)):
                    actions.change_status(
                        conversation=conversation, actor=users.get(plan.assignee), status="on_hold"
                    )
            # Historic replies were sent long ago: nothing may go out now.
            Message.objects.filter(
                conversation__customer=customer, delivery_status=DeliveryStatus.QUEUED
            ).update(delivery_status=DeliveryStatus.SENT, sent_at=models_created_at())
        conversation.refresh_from_db()
        stats.conversations += 1
        stats.statuses[conversation.status] = stats.statuses.get(conversation.status, 0) + 1
        stats.channels[plan.channel] = stats.channels.get(plan.channel, 0) + 1

    def _settle(self, conversation, plan: Plan, users, teams, moment: datetime) -> None:
        """Set the planned priority, team and assignee right after the conversation opened."""
        from rapport.helpdesk import actions

        with demo_clock(moment + timedelta(seconds=30)):
            if plan.priority != conversation.priority:
                actions.set_priority(conversation=conversation, actor=None, priority=plan.priority)
            team = teams.get(plan.team) if plan.team is not None else None
            if team is not None and conversation.team_id != team.pk:
                actions.set_team(conversation=conversation, actor=None, team=team)
            assignee = users.get(plan.assignee)
            if assignee is not None and conversation.assignee_id != assignee.pk:
                actions.assign_conversation(
                    conversation=conversation, actor=None, assignee=assignee
                )


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def models_created_at():
    from django.db.models import F

    return F("created_at")
