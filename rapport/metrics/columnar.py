"""The KPIs counted from fact packs: the same sets as the SQL of ``service``, ``surveys`` and
``customers``, counted over numpy columns, and handed to the same ``_figures`` functions.

Each function mirrors its SQL twin condition by condition (the docstrings name them); the
tests compare both on the same data, figure by figure.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

from rapport.customers.models import Customer
from rapport.metrics import customers as customer_kpis
from rapport.metrics import service, surveys
from rapport.metrics.facts import (
    DIMENSION_COLUMNS,
    F_DONE,
    F_FIRST_CONTACT,
    F_FR_MISSED,
    F_RES_DONE,
    F_RES_MISSED,
    F_RESPONDED,
    KINDS,
    NO_ID,
    SEGMENT_COLUMNS,
    TEXT_COLUMNS,
    day_number,
)
from rapport.metrics.packs import Part, Source
from rapport.metrics.periods import Period

TOTAL = None


def days(period: Period) -> tuple[int, int] | None:
    """Return the period as day numbers ``[first, end)``, or None if it is not whole days."""
    found = period.local_dates()
    if found is None:
        return None
    return day_number(found[0]), day_number(found[1]) + 1


def resolved(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``filters`` with a segment (a tag name) replaced by its customers' sorted ids."""
    found = dict(filters)
    if "segment" in found:
        ids = Customer.tags.through.objects.filter(tag__name=found["segment"]).values_list(
            "customer_id", flat=True
        )
        found["segment"] = np.unique(np.fromiter(ids, dtype=np.int64))
    return found


def _filter(part: Part, source: Source, name: str, filters, prefix="") -> Any:
    """Return the mask of ``part``'s rows of source ``name`` matching ``filters`` (True: all)."""
    columns = DIMENSION_COLUMNS[name]
    mask: Any = True
    for dimension, value in filters.items():
        if dimension == "segment":
            owners = part.columns[SEGMENT_COLUMNS[name][prefix]]
            mask = mask & np.isin(owners, value)
            continue
        name = prefix + columns[dimension]
        column = part.columns[name]
        plain = columns[dimension]
        if plain in TEXT_COLUMNS:
            vocabulary = source.vocabulary.get(plain, [])
            accepted = [None] if value is None else ([None, ""] if value == "" else [value])
            codes = [code for code, known in enumerate(vocabulary) if known in accepted]
            mask = mask & np.isin(column, codes)
        else:
            mask = mask & (column == (NO_ID if value is None else int(value)))
    return mask


def _decode(source: Source, plain: str, codes: np.ndarray) -> list:
    """Return the dimension values of ``codes`` (None for a missing id)."""
    if plain in TEXT_COLUMNS:
        vocabulary = source.vocabulary.get(plain, [])
        return [vocabulary[int(code)] for code in codes]
    return [None if int(code) == NO_ID else int(code) for code in codes]


class Tally:
    """Counts, and values for means and medians, per group, gathered over parts."""

    def __init__(self) -> None:
        self.counts: dict[str, list[np.ndarray]] = {}
        self.values: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        # Plain counts, where no group is asked for: no array to hold the rows.
        self.tallied: dict[str, int] = {}

    def count(self, name: str, groups: np.ndarray) -> None:
        self.counts.setdefault(name, []).append(groups)

    def value(self, name: str, groups: np.ndarray, values: np.ndarray) -> None:
        self.values.setdefault(name, []).append((groups, values))

    def keys(self, names) -> list:
        """Return the groups with a row in any of the sets ``names``."""
        found = [np.unique(g) for name in names for g in self.counts.get(name, []) if len(g)]
        return np.unique(np.concatenate(found)).tolist() if found else []

    def total(self, name: str) -> int:
        return int(sum(len(g) for g in self.counts.get(name, [])))

    def counted(self, name: str) -> dict[Any, int]:
        """Return the size of set ``name`` per group."""
        groups = _joined(self.counts.get(name, []))
        keys, sizes = np.unique(groups, return_counts=True)
        return dict(zip(keys.tolist(), sizes.tolist(), strict=True))

    def gathered(self, name: str) -> np.ndarray:
        pieces = [values for _groups, values in self.values.get(name, [])]
        return np.concatenate(pieces) if pieces else np.array([], dtype=np.float64)

    def grouped(self, name: str) -> dict[Any, np.ndarray]:
        """Return the values of ``name`` per group."""
        pairs = self.values.get(name, [])
        groups = _joined([g for g, _v in pairs])
        values = np.concatenate([v for _g, v in pairs]) if pairs else np.array([], np.float64)
        order = np.argsort(groups, kind="stable")
        groups, values = groups[order], values[order]
        if not len(groups):
            return {}
        keys, first = np.unique(groups, return_index=True)
        return dict(zip(keys.tolist(), np.split(values, first[1:]), strict=True))


def _groups(part: Part, name: str | None, size: int) -> np.ndarray:
    if name is None:
        return np.zeros(size, dtype=np.int8)
    return part.columns[name]


def _kept(part: Part, column: str, mask: Any) -> np.ndarray:
    keep = part.kept(column)
    size = len(part.columns[column])
    full = np.broadcast_to(mask, (size,)) if not isinstance(mask, np.ndarray) else mask
    return full if keep is None else full & keep


def service_figures(
    source: Source, period: Period, *, group: str | None, filters, now: datetime, drill
) -> dict[Any, dict[str, Any]] | None:
    """Return what ``service.compute`` returns, counted from the conversations' packs."""
    filters = resolved(filters)
    span = days(period)
    if span is None:
        return None
    first, end = span
    moment = now.timestamp()
    tally = Tally()
    column = DIMENSION_COLUMNS["conversations"].get(group) if group else None
    by = Breakdown(source.parts, column) if column else None
    for part in source.parts:
        c = part.columns
        size = len(c["id"])
        if not size:
            continue
        base = _kept(part, "id", _filter(part, source, "conversations", filters))
        flags = c["flags"]
        done = (flags & F_DONE) != 0
        created = (c["created_day"] >= first) & (c["created_day"] < end)
        solved = done & (c["solved_day"] >= first) & (c["solved_day"] < end)
        first_contact = solved & ((flags & F_FIRST_CONTACT) != 0)
        handled = solved & (c["handling"] > 0)
        responded = (c["responded_day"] >= first) & (c["responded_day"] < end)
        backlog_open = ~done & (c["created_day"] < end)
        backlog_done_later = done & (c["created_day"] < end) & ~(c["done_day"] < end)
        # service.sets: a target counts once decided (met, or its due time has passed).
        fr_due = (c["fr_due_day"] >= first) & (c["fr_due_day"] < end)
        res_due = (c["res_due_day"] >= first) & (c["res_due_day"] < end)
        with np.errstate(invalid="ignore"):
            fr_passed = c["fr_due"] <= moment
            res_passed = c["res_due"] <= moment
        responded_ever = (flags & F_RESPONDED) != 0
        fr_decided = responded_ever | fr_passed
        res_decided = ((flags & F_RES_DONE) != 0) | res_passed
        fr_missed = ((flags & F_FR_MISSED) != 0) | (~responded_ever & fr_passed)
        res_missed = ((flags & F_RES_MISSED) != 0) | (~done & res_passed)
        sla_due = (fr_due & fr_decided) | (res_due & res_decided)
        sla_met = sla_due & ~(fr_due & fr_missed) & ~(res_due & res_missed)
        sets = {
            "created": created,
            "backlog_open": backlog_open,
            "backlog_done_later": backlog_done_later,
            "solved": solved,
            "first_contact": first_contact,
            "handled": handled,
            "responded": responded,
            "sla_due": sla_due,
            "sla_met": sla_met,
        }
        for name, mask in sets.items():
            if by is None:
                tally.tallied[name] = tally.tallied.get(name, 0) + np.count_nonzero(mask & base)
            else:
                by.count(part, name, mask & base)
        for key, subset, _expression, _unit, _per in service.TIMES:
            values = c[_TIME_COLUMNS[key]]
            # Calendar times are floats (NaN: none), business and handling whole seconds (-1).
            present = ~np.isnan(values) if values.dtype.kind == "f" else values >= 0
            mask = sets[subset] & base & present
            if by is None:
                tally.value(key, None, values[mask].astype(np.float64))
            else:
                by.value(part, key, mask, values)
    if by is None:
        rows = {TOTAL: {name: int(count) for name, count in tally.tallied.items()}}
        values = {key: {TOTAL: tally.gathered(key)} for key, *_rest in service.TIMES}
    else:
        rows, values = by.rows(service.QUERIES), by.values
    results: dict[Any, dict[str, Any]] = {}
    labels = _decode(source, column, np.array(list(rows), dtype=np.int64)) if column else [None]
    for (key, row), label in zip(rows.items(), labels, strict=True):
        middles = {}
        for time_key, *_rest in service.TIMES:
            found = values.get(time_key, {}).get(key, np.array([], dtype=np.float64))
            row[f"{time_key}_n"] = len(found)
            row[f"{time_key}_mean"] = float(found.mean()) if len(found) else None
            middles[time_key] = float(np.median(found)) if len(found) else None
        results[label] = service._figures(row, middles, drill)
    return results


class Breakdown:
    """Counts and values per value of one dimension, over parts, without sorting per request.

    Each part orders its rows by the dimension once (``Part.grouping``); here a set's rows
    are picked in that order, so each value's rows lie together.
    """

    def __init__(self, parts: list[Part], column: str) -> None:
        self.column = column
        found = [part.grouping(column)[0] for part in parts if len(part.columns["id"])]
        self.keys = np.unique(np.concatenate(found)) if found else np.array([], dtype=np.int64)
        self.counts: dict[str, np.ndarray] = {}
        self.pieces: dict[str, dict[Any, list[np.ndarray]]] = {}

    def _codes(self, part: Part) -> tuple[np.ndarray, ...]:
        values, codes, order, ordered = part.grouping(self.column)
        return values, codes, order, ordered, np.searchsorted(self.keys, values)

    def count(self, part: Part, name: str, mask: np.ndarray) -> None:
        _values, codes, _order, _ordered, mapping = self._codes(part)
        found = np.bincount(mapping[codes[mask]], minlength=len(self.keys))
        self.counts[name] = self.counts.get(name, 0) + found

    def value(self, part: Part, name: str, mask: np.ndarray, values: np.ndarray) -> None:
        local, _codes, order, ordered, mapping = self._codes(part)
        chosen = mask[order]
        picked = values[order][chosen].astype(np.float64)
        codes = ordered[chosen]
        bounds = np.searchsorted(codes, np.arange(len(local) + 1))
        pieces = self.pieces.setdefault(name, {})
        for index in np.flatnonzero(np.diff(bounds)):
            key = self.keys[mapping[index]].item()
            pieces.setdefault(key, []).append(picked[bounds[index] : bounds[index + 1]])

    def rows(self, sets) -> dict[Any, dict[str, int]]:
        """Return the counts per value that has a row in any of ``sets``."""
        present = np.zeros(len(self.keys), dtype=bool)
        for name in sets:
            if name in self.counts:
                present |= self.counts[name] > 0
        return {
            self.keys[index].item(): {
                name: int(counts[index]) for name, counts in self.counts.items()
            }
            for index in np.flatnonzero(present)
        }

    @property
    def values(self) -> dict[str, dict[Any, np.ndarray]]:
        return {
            name: {key: np.concatenate(found) for key, found in pieces.items()}
            for name, pieces in self.pieces.items()
        }


_TIME_COLUMNS = {
    "first_response_time_calendar": "frt_calendar",
    "first_response_time_business": "frt_business",
    "resolution_time_calendar": "resolution_calendar",
    "resolution_time_business": "resolution_business",
    "handling_time": "handling",
}


def survey_figures(
    source: Source, period: Period, *, group: str | None, filters, drill
) -> dict[Any, dict[str, Any]] | None:
    """Return what ``surveys.compute`` returns, counted from the answers' packs."""
    filters = resolved(filters)
    span = days(period)
    if span is None:
        return None
    first, end = span
    column = DIMENSION_COLUMNS["responses"].get(group) if group else None
    tally = Tally()
    csat, nps, ces = KINDS["csat"], KINDS["nps"], KINDS["ces"]
    for part in source.parts:
        c = part.columns
        size = len(c["id"])
        if not size:
            continue
        base = _kept(part, "id", _filter(part, source, "responses", filters))
        answered = base & (c["answered_day"] >= first) & (c["answered_day"] < end)
        groups = _groups(part, column, size)
        kind, score = c["kind"], c["score"]
        sets = {
            "any": answered & (kind >= 0),
            "csat": answered & (kind == csat),
            "csat_satisfied": answered & (kind == csat) & (score >= 4),
            "nps": answered & (kind == nps),
            "nps_promoters": answered & (kind == nps) & (score >= 9),
            "nps_detractors": answered & (kind == nps) & (score <= 6),
            "ces": answered & (kind == ces),
        }
        for name, mask in sets.items():
            tally.count(name, groups[mask])
        tally.value("ces", groups[sets["ces"]], score[sets["ces"]].astype(np.float64))
    names = list(surveys.sets(period))
    if column is None:
        rows = {TOTAL: {name: tally.total(name) for name in names}}
        ces_values = {TOTAL: tally.gathered("ces")}
    else:
        keys = tally.keys(["any"])
        counted = {name: tally.counted(name) for name in names}
        rows = {key: {name: counted[name].get(key, 0) for name in names} for key in keys}
        ces_values = tally.grouped("ces")
    labels = _decode(source, column, np.array(list(rows), dtype=np.int64)) if column else [None]
    results = {}
    for (key, row), label in zip(rows.items(), labels, strict=True):
        values = ces_values.get(key, np.array([], dtype=np.float64))
        row["ces_mean"] = float(values.mean()) if len(values) else None
        results[label] = surveys._figures(row, drill)
    return results


def customer_figures(
    source: Source, period: Period, *, group: str | None, filters, with_orders: bool, drill
) -> dict[Any, dict[str, Any]] | None:
    """Return what ``customers.compute`` returns, counted from the customers' packs.

    A customer at a boundary is one whose activity spell covers that boundary's day
    (``facts.customer_facts``); a customer has at most one spell covering any day.
    """
    filters = resolved(filters)
    span = days(period)
    if span is None:
        return None
    first, end = span
    column = DIMENSION_COLUMNS["customers"].get(group) if group else None
    at_start_groups, at_end_groups, lost_groups = [], [], []
    new_groups, customer_groups = [], []
    order_groups, order_cents, buyer_groups, repeater_groups = [], [], [], []
    for part in source.parts:
        c = part.columns
        if not len(c["id"]):
            continue
        people = _kept(part, "id", _filter(part, source, "customers", filters))
        customer_groups.append(_groups(part, column, len(c["id"]))[people])
        spells = _kept(
            part, "spell_customer", _filter(part, source, "customers", filters, "spell_")
        )
        spell_groups = _groups(part, f"spell_{column}" if column else None, len(spells))
        starts, ends = c["spell_start"], c["spell_end"]
        covers_start = spells & (starts <= first) & (ends >= first)
        covers_end = spells & (starts <= end) & (ends >= end)
        # Lost: covered at the start, and no spell of the same customer covers the end.
        owners = c["spell_customer"]
        run = np.ones(len(owners), dtype=bool)
        run[1:] = owners[1:] != owners[:-1]
        run_start = np.flatnonzero(run)
        if len(run_start):
            ends_any = np.maximum.reduceat(covers_end.astype(np.int8), run_start)
            lost = covers_start & (ends_any[np.cumsum(run) - 1] == 0)
        else:
            lost = covers_start
        lost_groups.append(spell_groups[lost])
        at_start_groups.append(spell_groups[covers_start])
        at_end_groups.append(spell_groups[covers_end])
        new_groups.append(spell_groups[covers_end & (c["spell_born"] >= first)])
        if with_orders:
            orders = _kept(
                part, "order_customer", _filter(part, source, "customers", filters, "order_")
            )
            placed = orders & (c["order_day"] >= first) & (c["order_day"] < end)
            groups = _groups(part, f"order_{column}" if column else None, len(placed))
            order_groups.append(groups[placed])
            order_cents.append(c["order_cents"][placed])
            buyers = c["order_customer"][placed]
            # Orders are sorted by customer within a part, and no customer spans two parts.
            starts_run = np.ones(len(buyers), dtype=bool)
            starts_run[1:] = buyers[1:] != buyers[:-1]
            run_start = np.flatnonzero(starts_run)
            run_length = np.diff(np.append(run_start, len(buyers)))
            buyer_groups.append(groups[placed][run_start])
            repeater_groups.append(groups[placed][run_start[run_length > 1]])
    sets = {
        "at_start": _joined(at_start_groups),
        "at_end": _joined(at_end_groups),
        "new": _joined(new_groups),
        "lost": _joined(lost_groups),
    }
    everyone = _joined(customer_groups)
    keys = [TOTAL] if column is None else np.unique(everyone).tolist()
    labels = [None] if column is None else _decode(source, column, np.array(keys, dtype=np.int64))
    orders_g, cents = _joined(order_groups), _joined(order_cents, np.int64)
    buyers_g, repeaters_g = _joined(buyer_groups), _joined(repeater_groups)
    counted = {
        name: (
            None
            if column is None
            else dict(
                zip(*[a.tolist() for a in np.unique(values, return_counts=True)], strict=True)
            )
        )
        for name, values in {**sets, "buyers": buyers_g, "repeaters": repeaters_g}.items()
    }
    results = {}
    for key, label in zip(keys, labels, strict=True):

        def count(values: np.ndarray, name: str, key=key) -> int:
            return len(values) if key is TOTAL else counted[name].get(key, 0)

        row = {name: count(values, name) for name, values in sets.items()}
        buying: dict[str, Any] = {}
        if with_orders:
            chosen = cents if key is TOTAL else cents[orders_g == key]
            number = len(chosen)
            buying = {
                "orders": number,
                "revenue": None if not number else int(chosen.sum()) / 100,
                "purchasers": count(buyers_g, "buyers"),
                "repeaters": count(repeaters_g, "repeaters"),
            }
            if column is not None and not number and not buying["purchasers"]:
                buying = {}
        results[label] = customer_kpis._figures(row, buying, with_orders, drill)
    return results


def _joined(pieces: list[np.ndarray], dtype=np.int64) -> np.ndarray:
    return np.concatenate(pieces) if pieces else np.array([], dtype=dtype)


def trend_counts(
    facts, buckets: list[Period], filters
) -> tuple[list[int | None], list[float | None], list[int | None]] | None:
    """Return inquiry volume, CSAT % and solved per bucket (``trends.trend``), from the packs."""
    spans = [days(bucket) for bucket in buckets]
    if not spans or any(span is None for span in spans):
        return None
    starts = np.array([span[0] for span in spans], dtype=np.int64)
    end = spans[-1][1]
    size = len(spans)

    def bucket_of(day_column: np.ndarray, mask) -> np.ndarray:
        chosen = day_column[mask & (day_column >= starts[0]) & (day_column < end)]
        return np.searchsorted(starts, chosen, side="right") - 1

    volume: list[int | None] = [None] * size
    solved: list[int | None] = [None] * size
    reachable = {**DIMENSION_COLUMNS["conversations"], "segment": "customer"}
    filters = resolved(filters)
    if all(d in reachable for d in filters):
        counted = np.zeros(size, dtype=np.int64)
        done = np.zeros(size, dtype=np.int64)
        source = facts.conversations
        for part in source.parts:
            if not len(part.columns["id"]):
                continue
            mask = _kept(part, "id", _filter(part, source, "conversations", filters))
            counted += np.bincount(bucket_of(part.columns["created_day"], mask), minlength=size)
            finished = mask & ((part.columns["flags"] & F_DONE) != 0)
            done += np.bincount(bucket_of(part.columns["solved_day"], finished), minlength=size)
        volume, solved = counted.tolist(), done.tolist()
    csat: list[float | None] = [None] * size
    if all(d in reachable for d in filters):
        answers, satisfied = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        source = facts.responses
        for part in source.parts:
            if not len(part.columns["id"]):
                continue
            mask = _kept(part, "id", _filter(part, source, "responses", filters))
            mask = mask & (part.columns["kind"] == KINDS["csat"])
            day = part.columns["answered_day"]
            answers += np.bincount(bucket_of(day, mask), minlength=size)
            satisfied += np.bincount(
                bucket_of(day, mask & (part.columns["score"] >= 4)), minlength=size
            )
        csat = [
            round(100.0 * good / total, 2) if total else None
            for good, total in zip(satisfied.tolist(), answers.tolist(), strict=True)
        ]
    return volume, csat, solved


def score_counts(facts, period: Period, kind: str, filters) -> dict[int, int] | None:
    """Return how many answers of ``kind`` gave each score in ``period``, from the packs."""
    span = days(period)
    if span is None or not all(d in (*DIMENSION_COLUMNS["responses"], "segment") for d in filters):
        return None
    filters = resolved(filters)
    first, end = span
    found: dict[int, int] = {}
    source = facts.responses
    for part in source.parts:
        c = part.columns
        if not len(c["id"]):
            continue
        mask = _kept(part, "id", _filter(part, source, "responses", filters))
        mask = mask & (c["kind"] == KINDS[kind]) & (c["answered_day"] >= first)
        scores, sizes = np.unique(c["score"][mask & (c["answered_day"] < end)], return_counts=True)
        for score, size in zip(scores.tolist(), sizes.tolist(), strict=True):
            found[score] = found.get(score, 0) + size
    return found


def latest_answer_ids(
    facts, period: Period, kind: str, filters, *, max_score: int, limit: int
) -> list[int] | None:
    """Return the ids of the latest answers of ``kind`` scoring at most ``max_score``.

    Every such answer of ``period`` from the latest day down to the day that makes up
    ``limit``, so that ordering them by time in SQL gives exactly the latest ``limit``.
    """
    span = days(period)
    if span is None or not all(d in (*DIMENSION_COLUMNS["responses"], "segment") for d in filters):
        return None
    first, end = span
    filters = resolved(filters)
    found_days, found_ids = [], []
    source = facts.responses
    for part in source.parts:
        c = part.columns
        if not len(c["id"]):
            continue
        mask = _kept(part, "id", _filter(part, source, "responses", filters))
        mask = mask & (c["kind"] == KINDS[kind]) & (c["score"] <= max_score)
        mask = mask & (c["answered_day"] >= first) & (c["answered_day"] < end)
        found_days.append(c["answered_day"][mask])
        found_ids.append(c["id"][mask])
    day_of = _joined(found_days, np.int16)
    ids = _joined(found_ids, np.int64)
    if len(ids) > limit:
        cutoff = np.sort(day_of)[::-1][limit - 1]
        ids = ids[day_of >= cutoff]
    return ids.tolist()
