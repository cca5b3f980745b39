"""The KPI facts of rows as numpy columns: what the fact packs store and the engine counts.

One function per source turns a queryset into columns, one entry per row, with the same
meaning the SQL sets of ``service``, ``surveys`` and ``customers`` give them: dates become
local day numbers (the site time zone, days since 2000-01-01), text dimensions become codes
into a vocabulary kept with the columns, missing values become ``NULL_DAY``, -1 or NaN.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from rapport.commerce.models import NON_REVENUE_STATUSES, Order
from rapport.customers.models import Customer
from rapport.feedback.models import SurveyKind, SurveyResponse
from rapport.helpdesk.models import DONE_STATUSES, Conversation
from rapport.metrics import customers as customer_kpis
from rapport.sla.models import SlaClock

EPOCH = date(2000, 1, 1).toordinal()
# A missing date: larger than any day, so "before the end" and "within the period" are false.
NULL_DAY = np.iinfo(np.int16).max
NO_ID = -1
DONE = {s.value for s in DONE_STATUSES}
KINDS = {kind: number for number, kind in enumerate(SurveyKind.values)}
# Conversation flags, one bit each.
F_DONE, F_FIRST_CONTACT, F_RESPONDED, F_FR_MISSED, F_RES_DONE, F_RES_MISSED = (
    1,
    2,
    4,
    8,
    16,
    32,
)
# The columns of each source that name a dimension, and whether the value is an id.
DIMENSION_COLUMNS = {
    "conversations": {
        "channel": "channel",
        "team": "team",
        "agent": "agent",
        "country": "country",
        "language": "language",
    },
    "responses": {
        "channel": "channel",
        "team": "team",
        "agent": "agent",
        "country": "country",
        "language": "language",
    },
    "customers": {"country": "country", "language": "language"},
}
TEXT_COLUMNS = ("channel", "country", "language")
# The column naming each row's customer, per source and family: a segment filters by it.
SEGMENT_COLUMNS = {
    "conversations": {"": "customer"},
    "responses": {"": "customer"},
    "customers": {"": "id", "spell_": "spell_customer", "order_": "order_customer"},
}


def day_number(moment: date) -> int:
    """Return the day number of a local date."""
    return moment.toordinal() - EPOCH


def local_day(moment: datetime | None, tz) -> int:
    """Return the local day number of an aware datetime (``NULL_DAY`` for None)."""
    if moment is None:
        return NULL_DAY
    return moment.astimezone(tz).date().toordinal() - EPOCH


def epoch(moment: datetime | None) -> float:
    """Return the POSIX time of ``moment`` (NaN for None)."""
    return float("nan") if moment is None else moment.timestamp()


def settings_key() -> dict[str, Any]:
    """Return the settings the facts depend on: packs built under others are stale."""
    return {
        "tz": str(timezone.get_default_timezone()),
        "inactive_days": customer_kpis.inactive_days(),
        "currency": customer_kpis.currency(),
        "version": 3,
    }


class Vocabulary:
    """Codes for the values of one text column, in the order first seen."""

    def __init__(self, values: list | None = None) -> None:
        self.values: list = list(values or [])
        self.codes = {value: code for code, value in enumerate(self.values)}

    def code(self, value) -> int:
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = len(self.values)
            self.values.append(value)
        return found


def _ids(values) -> np.ndarray:
    return np.array([NO_ID if v is None else v for v in values], dtype=np.int32)


def _seconds(values) -> np.ndarray:
    """Return whole seconds (-1 for None) as 32-bit integers: 68 years fit."""
    return np.array([-1 if v is None else v for v in values], dtype=np.int32)


def _text(values, vocabulary: Vocabulary) -> np.ndarray:
    return np.array([vocabulary.code(v) for v in values], dtype=np.int16)


def conversation_facts(
    conversations: QuerySet[Conversation], span: tuple[int, int] | None = None
) -> dict[str, Any]:
    """Return the facts of ``conversations`` (merged duplicates left out, as ``service.base``).

    ``span`` says the queryset is every row of an id range, so related rows are read by range.
    """
    tz = timezone.get_default_timezone()
    rows = list(
        conversations.filter(merged_into__isnull=True)
        .order_by("pk")
        .values_list(
            "id",
            "status",
            "channel",
            "team_id",
            "assignee_id",
            "language",
            "customer__country",
            "created_at",
            "first_response_at",
            "solved_at",
            "closed_at",
            "agent_reply_count",
            "reopen_count",
            "handling_seconds",
            "first_response_business_seconds",
            "resolution_business_seconds",
            "first_response_due_at",
            "resolution_due_at",
            "customer_id",
        )
    )
    ids = [row[0] for row in rows]
    clocks = (
        SlaClock.objects.filter(conversation_id__gte=span[0], conversation_id__lt=span[1])
        if span
        else SlaClock.objects.filter(conversation_id__in=ids)
    )
    breached = {
        conversation: (first, resolution)
        for conversation, first, resolution in clocks.exclude(
            first_response_breached_at__isnull=True, resolution_breached_at__isnull=True
        ).values_list("conversation_id", "first_response_breached_at", "resolution_breached_at")
    }
    vocab = {name: Vocabulary() for name in TEXT_COLUMNS}
    flags, created, solved, done_day, responded = [], [], [], [], []
    fr_due_day, res_due_day, fr_due, res_due, frt, resolution = [], [], [], [], [], []
    for (
        pk,
        status,
        _channel,
        _team,
        _agent,
        _language,
        _country,
        created_at,
        first_response_at,
        solved_at,
        closed_at,
        replies,
        reopens,
        _handling,
        _frt_business,
        _res_business,
        first_due,
        resolution_due,
        _customer,
    ) in rows:
        done = status in DONE
        clock = breached.get(pk, (None, None))
        flag = 0
        if done:
            flag |= F_DONE
            if replies == 1 and reopens == 0:
                flag |= F_FIRST_CONTACT
            if solved_at is not None:
                flag |= F_RES_DONE
        if first_response_at is not None:
            flag |= F_RESPONDED
        if clock[0] is not None or (
            first_response_at is not None
            and first_due is not None
            and first_response_at > first_due
        ):
            flag |= F_FR_MISSED
        if clock[1] is not None or (
            solved_at is not None and resolution_due is not None and solved_at > resolution_due
        ):
            flag |= F_RES_MISSED
        flags.append(flag)
        created.append(local_day(created_at, tz))
        solved.append(local_day(solved_at, tz) if done else NULL_DAY)
        ends = [moment for moment in (solved_at, closed_at) if moment is not None]
        done_day.append(local_day(min(ends), tz) if done and ends else NULL_DAY)
        responded.append(local_day(first_response_at, tz))
        fr_due_day.append(local_day(first_due, tz))
        res_due_day.append(local_day(resolution_due, tz))
        fr_due.append(epoch(first_due))
        res_due.append(epoch(resolution_due))
        frt.append(
            np.nan
            if first_response_at is None
            else (first_response_at - created_at).total_seconds()
        )
        resolution.append(np.nan if solved_at is None else (solved_at - created_at).total_seconds())
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(19)]
    return {
        "id": np.array(ids, dtype=np.int32),
        "flags": np.array(flags, dtype=np.uint8),
        "created_day": np.array(created, dtype=np.int16),
        "solved_day": np.array(solved, dtype=np.int16),
        "done_day": np.array(done_day, dtype=np.int16),
        "responded_day": np.array(responded, dtype=np.int16),
        "fr_due_day": np.array(fr_due_day, dtype=np.int16),
        "res_due_day": np.array(res_due_day, dtype=np.int16),
        "fr_due": np.array(fr_due, dtype=np.float64),
        "res_due": np.array(res_due, dtype=np.float64),
        "frt_calendar": np.array(frt, dtype=np.float64),
        "frt_business": _seconds(columns[14]),
        "resolution_calendar": np.array(resolution, dtype=np.float64),
        "resolution_business": _seconds(columns[15]),
        "handling": _seconds(columns[13]),
        "channel": _text(columns[2], vocab["channel"]),
        "team": _ids(columns[3]),
        "agent": _ids(columns[4]),
        "language": _text(columns[5], vocab["language"]),
        "country": _text(columns[6], vocab["country"]),
        "customer": np.array(columns[18], dtype=np.int32),
        "vocabulary": {name: v.values for name, v in vocab.items()},
    }


def response_facts(
    responses: QuerySet[SurveyResponse], span: tuple[int, int] | None = None
) -> dict[str, Any]:
    """Return the facts of survey answers: their day, kind, score and dimensions."""
    tz = timezone.get_default_timezone()
    rows = list(
        responses.order_by("pk").values_list(
            "id",
            "answered_at",
            "kind",
            "score",
            "conversation__channel",
            "conversation__team_id",
            "conversation__assignee_id",
            "customer__country",
            "language",
            "customer_id",
        )
    )
    vocab = {name: Vocabulary() for name in TEXT_COLUMNS}
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(10)]
    return {
        "id": np.array(columns[0], dtype=np.int32),
        "answered_day": np.array([local_day(v, tz) for v in columns[1]], dtype=np.int16),
        "kind": np.array([KINDS.get(v, -1) for v in columns[2]], dtype=np.int8),
        "score": np.array(columns[3], dtype=np.int16),
        "channel": _text(columns[4], vocab["channel"]),
        "team": _ids(columns[5]),
        "agent": _ids(columns[6]),
        "country": _text(columns[7], vocab["country"]),
        "language": _text(columns[8], vocab["language"]),
        "customer": np.array(columns[9], dtype=np.int32),
        "vocabulary": {name: v.values for name, v in vocab.items()},
    }


def customer_facts(
    customers: QuerySet[Customer], span: tuple[int, int] | None = None
) -> dict[str, Any]:
    """Return the facts of customers: creation, dimensions, activity spells, revenue orders.

    A customer counts as a customer at the start of day ``m`` (``customers.active_at``) when
    created before it and created, ordered or opened a conversation on one of the
    ``inactive_days`` days before it. Each activity on day ``a`` therefore covers the days
    ``a + 1`` to ``a + inactive_days``; a spell is a run of covered days, starting no earlier
    than the day after the customer was created.
    """
    tz = timezone.get_default_timezone()
    window = customer_kpis.inactive_days()
    money = customer_kpis.currency()
    people = list(customers.order_by("pk").values_list("id", "created_at", "country", "language"))
    ids = [row[0] for row in people]
    activity: dict[int, set[int]] = {pk: set() for pk in ids}
    known = activity.keys()
    spent_customer, spent_day, spent_cents = [], [], []
    orders = _related(Order, ids, span)
    non_revenue = {status.value for status in NON_REVENUE_STATUSES}
    for customer, ordered_at, currency, status, total in orders.order_by(
        "customer_id", "ordered_at", "pk"
    ).values_list("customer_id", "ordered_at", "currency", "status", "total"):
        if customer not in known:
            continue
        day = local_day(ordered_at, tz)
        activity[customer].add(day)
        if currency == money and status not in non_revenue:
            spent_customer.append(customer)
            spent_day.append(day)
            spent_cents.append(int((Decimal(total) * 100).to_integral_value()))
    conversations = _related(Conversation, ids, span)
    for customer, created_at in conversations.values_list("customer_id", "created_at"):
        if customer in known:
            activity[customer].add(local_day(created_at, tz))
    vocab = {name: Vocabulary() for name in ("country", "language")}
    created, spell_customer, spell_start, spell_end = [], [], [], []
    spell_born, spell_country, spell_language = [], [], []
    codes = {}
    for pk, created_at, country, language in people:
        codes[pk] = (vocab["country"].code(country), vocab["language"].code(language))
        born = local_day(created_at, tz)
        created.append(born)
        before = len(spell_customer)
        days = sorted(activity[pk] | {born})
        start = end = None
        for day in days:
            if start is not None and day + 1 <= end + 1:
                end = max(end, day + window)
                continue
            if start is not None:
                _add_spell(spell_customer, spell_start, spell_end, pk, start, end, born)
            start, end = day + 1, day + window
        if start is not None:
            _add_spell(spell_customer, spell_start, spell_end, pk, start, end, born)
        added = len(spell_customer) - before
        spell_born.extend([born] * added)
        spell_country.extend([codes[pk][0]] * added)
        spell_language.extend([codes[pk][1]] * added)
    return {
        "id": np.array(ids, dtype=np.int32),
        "created_day": np.array(created, dtype=np.int16),
        "country": np.array([codes[pk][0] for pk in ids], dtype=np.int16),
        "language": np.array([codes[pk][1] for pk in ids], dtype=np.int16),
        "spell_customer": np.array(spell_customer, dtype=np.int32),
        "spell_born": np.array(spell_born, dtype=np.int16),
        "spell_country": np.array(spell_country, dtype=np.int16),
        "spell_language": np.array(spell_language, dtype=np.int16),
        "spell_start": np.array(spell_start, dtype=np.int16),
        "spell_end": np.array(spell_end, dtype=np.int16),
        "order_customer": np.array(spent_customer, dtype=np.int32),
        "order_day": np.array(spent_day, dtype=np.int16),
        "order_cents": np.array(spent_cents, dtype=np.int64),
        "order_country": np.array([codes[pk][0] for pk in spent_customer], dtype=np.int16),
        "order_language": np.array([codes[pk][1] for pk in spent_customer], dtype=np.int16),
        "vocabulary": {name: v.values for name, v in vocab.items()},
    }


def _add_spell(customers, starts, ends, pk, start, end, born) -> None:
    start = max(start, born + 1)
    end = min(end, NULL_DAY - 1)
    if start <= end:
        customers.append(pk)
        starts.append(start)
        ends.append(end)


def _related(model, ids: list[int], span: tuple[int, int] | None) -> QuerySet:
    """Return the rows of ``model`` belonging to the customers ``ids`` (by range for a span)."""
    if span:
        return model.objects.filter(customer_id__gte=span[0], customer_id__lt=span[1])
    return model.objects.filter(customer_id__in=ids)
