"""KPI fact packs: column stores of the facts, kept in the database and patched when read.

A pack holds the facts (``metrics.facts``) of one range of ``CHUNK`` row ids of one source.
``refresh()`` (a periodic task and ``rapport metrics_packs``) builds the packs that are missing
or stale and the ones holding rows the triggers logged as changed, then deletes the change
rows it consumed. ``load()`` returns the packs' columns with the rows changed since their
build replaced by fresh facts read from the tables, so a figure counted from them equals a
direct count at that moment; when too many rows changed, or a pack or trigger is missing, it
returns None and the engine counts directly.

Each process keeps the decoded packs in memory and reloads only the ones rebuilt since.
"""

import io
import json
import logging
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connections
from django.db.models import Count, Max
from django.utils import timezone

from rapport.customers.models import Customer
from rapport.feedback.models import SurveyResponse
from rapport.helpdesk.models import Conversation
from rapport.metrics import facts, triggers
from rapport.metrics.models import FactChange, FactPack

log = logging.getLogger(__name__)

CHUNK = 1 << 16
SOURCES = {
    "conversations": (Conversation, facts.conversation_facts),
    "responses": (SurveyResponse, facts.response_facts),
    "customers": (Customer, facts.customer_facts),
}
# More changed rows than this and reading them costs more than counting directly.
PATCH_LIMIT = 5_000
# Change rows read per refresh; the rest wait for the next.
CONSUME_LIMIT = 200_000
# ``refresh_if_due`` rebuilds once this many changes are logged or the oldest waited this long.
REFRESH_AFTER_ROWS = 1_000
REFRESH_AFTER = timedelta(minutes=30)
# When this process first saw the oldest logged change (the log keeps no times).
_first_logged: dict[int, Any] = {}


# The kinds of rows a source's columns describe, each named by its id column: a customer's
# columns hold the customer, their activity spells and their revenue orders.
FAMILIES = {"": "id", "spell": "spell_customer", "order": "order_customer"}


def family(column: str) -> str:
    """Return the family of rows a column belongs to ("" for the source's own rows)."""
    prefix = column.split("_", 1)[0]
    return prefix if prefix in FAMILIES and prefix else ""


@dataclass
class Part:
    """Columns of one source and, per family, which of their rows still count (None: all)."""

    columns: dict[str, np.ndarray]
    keep: dict[str, np.ndarray] = field(default_factory=dict)
    # Per dimension column: its values, each row's code, and the rows ordered by code. Kept
    # with the part (a process keeps its parts), so a breakdown sorts nothing per request.
    groupings: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict, repr=False)

    def grouping(self, column: str) -> tuple[np.ndarray, ...]:
        """Return (values, code of each row, rows in code order, codes in that order)."""
        found = self.groupings.get(column)
        if found is None:
            values, codes = np.unique(self.columns[column], return_inverse=True)
            codes = codes.astype(np.int32)
            order = np.argsort(codes, kind="stable")
            found = self.groupings[column] = (values, codes, order, codes[order])
        return found

    def kept(self, name: str) -> np.ndarray | None:
        """Return the mask of rows that count for column ``name``'s family (None: all)."""
        return self.keep.get(family(name))


@dataclass
class Source:
    """The facts of one source: parts sharing one vocabulary per text column."""

    parts: list[Part]
    vocabulary: dict[str, list] = field(default_factory=dict)


@dataclass
class Facts:
    conversations: Source
    responses: Source
    customers: Source


# --- Storage -------------------------------------------------------------------------------


def encode(columns: dict[str, Any]) -> bytes:
    """Return ``columns`` (arrays and a vocabulary) as bytes."""
    buffer = io.BytesIO()
    arrays = {k: v for k, v in columns.items() if isinstance(v, np.ndarray)}
    meta = json.dumps({"vocabulary": columns["vocabulary"]})
    np.savez(buffer, __meta__=np.array(meta), **arrays)
    return buffer.getvalue()


def decode(data: bytes) -> dict[str, Any]:
    """Return the columns of a pack's bytes."""
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as stored:
        columns = {name: stored[name] for name in stored.files if name != "__meta__"}
        meta = json.loads(str(stored["__meta__"]))
    columns["vocabulary"] = meta["vocabulary"]
    return columns


def dirty_rows(changes: list[tuple[str, int]]) -> dict[str, set[int]]:
    """Return, per source, the rows whose facts the logged changes may have altered.

    A changed customer record (country, language) changes the dimensions of the customer's
    conversations and answers; new activity (an order, a conversation) changes the customer's
    spells; a changed conversation changes the dimensions of its answers.
    """
    logged: dict[str, set[int]] = {
        name: set() for name in ("conversations", "responses", "customers", "activity")
    }
    for source, row in changes:
        if row is not None and source in logged:
            logged[source].add(row)
    people = logged["customers"]
    conversations = set(logged["conversations"])
    responses = set(logged["responses"])
    if people:
        conversations |= set(_in_batches(Conversation.objects, "customer_id", people, "pk"))
        responses |= set(_in_batches(SurveyResponse.objects, "customer_id", people, "pk"))
    if logged["conversations"]:
        responses |= set(
            _in_batches(SurveyResponse.objects, "conversation_id", logged["conversations"], "pk")
        )
    return {
        "conversations": conversations,
        "responses": responses,
        "customers": people | logged["activity"],
    }


def _in_batches(manager, column: str, values: set[int], wanted: str, size: int = 900):
    values = sorted(values)
    for index in range(0, len(values), size):
        yield from manager.filter(**{f"{column}__in": values[index : index + size]}).values_list(
            wanted, flat=True
        )


@contextmanager
def bulk_load():
    """Write many rows without logging each: the triggers are off, and every pack is dropped.

    For the demo and benchmark loaders on a database nobody else writes to. Until the next
    refresh (``refresh_if_due`` builds when no pack exists) the engine counts directly.
    """
    triggers.drop()
    try:
        yield
    finally:
        triggers.install()
        FactPack.objects.all().delete()
        FactChange.objects.all().delete()
        clear_cache()


def refresh_if_due(*, now=None) -> dict[str, int] | None:
    """Refresh when many rows changed or the oldest change waited long; else do nothing.

    Between refreshes the changed rows are patched in when read, which costs a little per
    changed row; rebuilding a pack costs seconds, so it waits until it is worth it. With no
    pack at all (a new or bulk-loaded database), build them.
    """
    if not FactPack.objects.exists() and any(
        model.objects.exists() for model, _build in SOURCES.values()
    ):
        return refresh()
    oldest = FactChange.objects.order_by("id").values_list("id", flat=True).first()
    if oldest is None:
        return None
    count = FactChange.objects.all()[: REFRESH_AFTER_ROWS + 1].count()
    waited = _first_logged.setdefault(oldest, now or timezone.now())
    moment = now or timezone.now()
    if count <= REFRESH_AFTER_ROWS and moment - waited < REFRESH_AFTER:
        return None
    _first_logged.clear()
    return refresh()


def refresh(*, full: bool = False) -> dict[str, int]:
    """Build missing, stale and changed packs; return how many packs of each source were built."""
    if not triggers.installed():
        triggers.install()
    changes = list(
        FactChange.objects.order_by("id").values_list("id", "source", "row_id")[:CONSUME_LIMIT]
    )
    dirty = dirty_rows([(source, row) for _id, source, row in changes])
    wanted = facts.settings_key()
    built: dict[str, int] = {}
    for source, (model, build) in SOURCES.items():
        last = model.objects.aggregate(last=Max("pk"))["last"] or 0
        chunks = set(range(last // CHUNK + 1))
        existing = dict(FactPack.objects.filter(source=source).values_list("chunk", "settings"))
        todo = chunks if full else {row // CHUNK for row in dirty[source]} & chunks
        todo |= chunks - existing.keys()
        todo |= {chunk for chunk, settings in existing.items() if settings != wanted} & chunks
        for chunk in sorted(todo):
            started = timezone.now()
            low, high = chunk * CHUNK, (chunk + 1) * CHUNK
            columns = build(model.objects.filter(pk__gte=low, pk__lt=high), span=(low, high))
            FactPack.objects.update_or_create(
                source=source,
                chunk=chunk,
                defaults={
                    "built_at": started,
                    "rows": len(columns["id"]),
                    "settings": wanted,
                    "data": encode(columns),
                },
            )
        FactPack.objects.filter(source=source, chunk__gt=last // CHUNK).delete()
        built[source] = len(todo)
    consumed = [change_id for change_id, _source, _row in changes]
    for index in range(0, len(consumed), 900):
        FactChange.objects.filter(pk__in=consumed[index : index + 900]).delete()
    return built


# --- Reading -------------------------------------------------------------------------------

_lock = threading.Lock()
# (source, chunk) -> (built_at, columns)
_cache: dict[tuple[str, int], tuple[Any, dict[str, Any]]] = {}
# source -> (key of the chunks it was merged from, Source)
_merged: dict[str, tuple[tuple, Source]] = {}
_triggers_seen = False
# (key, facts) of the last load outside a transaction (``load``).
_last: tuple[tuple, Facts | None] | None = None


def load() -> Facts | None:
    """Return the facts of every source as they are now, or None when packs cannot give them.

    Outside a transaction the result is kept until the change log or a pack changes: every
    write that could change a fact adds a change row, so an unchanged log (its size and last
    id) and unchanged packs mean unchanged facts. Inside a transaction nothing is kept, since
    what it sees may yet be rolled back and its change ids be used again.
    """
    global _triggers_seen, _last
    if not _triggers_seen:
        if not triggers.installed():
            return None
        _triggers_seen = True
    logged = FactChange.objects.aggregate(n=Count("pk"), last=Max("pk"))
    # The log may hold the same row many times; a long log is not worth reading at all.
    if logged["n"] > PATCH_LIMIT * 4:
        return None
    wanted = facts.settings_key()
    packed = list(
        FactPack.objects.order_by("source", "chunk").values_list(
            "source", "chunk", "built_at", "settings"
        )
    )
    connection = connections[FactChange.objects.db]
    key = (connection.alias, logged["n"], logged["last"], tuple(p[:3] for p in packed), str(wanted))
    keep = not connection.in_atomic_block
    if keep and _last is not None and _last[0] == key:
        return _last[1]
    found = _load(packed, wanted)
    _last = (key, found) if keep else None
    return found


def _load(packed: list[tuple], wanted: dict[str, Any]) -> Facts | None:
    changes = list(FactChange.objects.values_list("source", "row_id").distinct())
    if len(changes) > PATCH_LIMIT:
        return None
    stored: dict[str, dict[int, Any]] = {name: {} for name in SOURCES}
    for source, chunk, built_at, built_under in packed:
        if built_under != wanted:
            return None
        if source in stored:
            stored[source][chunk] = built_at
    sources: dict[str, Source] = {}
    dirty = dirty_rows(changes)
    for source, (model, build) in SOURCES.items():
        last = model.objects.aggregate(last=Max("pk"))["last"] or 0
        needed = range(last // CHUNK + 1)
        if any(chunk not in stored[source] for chunk in needed):
            # Rows past the last pack are fine only if every one of them was logged.
            missing = [c for c in needed if c not in stored[source]]
            if missing != list(range(missing[0], last // CHUNK + 1)) or not _all_logged(
                model, missing[0] * CHUNK, dirty[source]
            ):
                return None
        base = _merge(source, stored[source])
        if base is None:
            return None
        sources[source] = _patched(base, dirty[source], build, model)
    return Facts(**sources)


def _all_logged(model, first_id: int, logged: set[int]) -> bool:
    rows = set(
        model.objects.filter(pk__gte=first_id).values_list("pk", flat=True)[: PATCH_LIMIT + 1]
    )
    return rows <= logged


def _merge(source: str, chunks: dict[int, Any]) -> Source | None:
    """Return the packs of ``source`` as one Source, opening only packs rebuilt since last time.

    Each pack is one part (no copy into one long array): a process holds each column once,
    memory-mapped from this machine's copy of the pack (``_local``), so the kernel shares the
    pages between processes and can drop them under pressure.
    """
    key = tuple(sorted(chunks.items()))
    with _lock:
        merged = _merged.get(source)
        if merged is not None and merged[0] == key:
            return merged[1]
        stale = [c for c, built in chunks.items() if _cache.get((source, c), (None,))[0] != built]
        for chunk in stale:
            columns = _local(source, chunk, chunks[chunk])
            if columns is None:
                return None
            _cache[(source, chunk)] = (chunks[chunk], columns)
        for cached_key in [k for k in _cache if k[0] == source and k[1] not in chunks]:
            del _cache[cached_key]
        vocabulary: dict[str, list] = {}
        parts = [Part(_recode(_cache[(source, c)][1], vocabulary)) for c in sorted(chunks)]
        result = Source(parts, vocabulary)
        _merged[source] = (key, result)
        return result


def _local(source: str, chunk: int, built_at) -> dict[str, Any] | None:
    """Return a pack's columns memory-mapped from this machine's copy, written on first use.

    The database holds the packs; each machine keeps a copy as ``.npy`` files under
    ``METRICS_PACK_DIR`` (default ``VAR_DIR/kpi-packs``; one directory per pack build, written under a temporary name and
    renamed into place, so a reader never sees half a copy). Older builds are removed.
    """
    root = Path(getattr(settings, "METRICS_PACK_DIR", "") or Path(settings.VAR_DIR) / "kpi-packs")
    name = f"{source}-{chunk}-{built_at.timestamp():.6f}"
    target = root / name
    if not (target / "meta.json").exists():
        pack = FactPack.objects.filter(source=source, chunk=chunk, built_at=built_at).first()
        if pack is None:
            return None
        columns = decode(pack.data)
        root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        for column, values in columns.items():
            if isinstance(values, np.ndarray):
                np.save(scratch / f"{column}.npy", values, allow_pickle=False)
        (scratch / "meta.json").write_text(json.dumps({"vocabulary": columns["vocabulary"]}))
        try:
            scratch.rename(target)
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
        for old in root.glob(f"{source}-{chunk}-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
    try:
        meta = json.loads((target / "meta.json").read_text())
        columns = {
            path.stem: np.load(path, mmap_mode="r", allow_pickle=False)
            for path in target.glob("*.npy")
        }
    except (OSError, ValueError):
        return None
    columns["vocabulary"] = meta["vocabulary"]
    return columns


def _recode(columns: dict[str, Any], vocabulary: dict[str, list]) -> dict[str, Any]:
    """Return ``columns`` with their text codes rewritten into the shared ``vocabulary``."""
    result = dict(columns)
    for name, values in columns["vocabulary"].items():
        targets = [c for c in columns if c == name or c.endswith("_" + name)]
        shared = vocabulary.setdefault(name, [])
        index = {value: code for code, value in enumerate(shared)}
        mapping = []
        for value in values:
            if value not in index:
                index[value] = len(shared)
                shared.append(value)
            mapping.append(index[value])
        if mapping == list(range(len(mapping))):
            continue  # the same codes: no copy of the column
        table = np.array(mapping, dtype=np.int16)
        for target in targets:
            if len(columns[target]):
                result[target] = table[columns[target]]
    return result


def _patched(base: Source, dirty: set[int], build, model) -> Source:
    """Return ``base`` with the ``dirty`` rows left out and their current facts added."""
    if not dirty:
        return base
    vocabulary = {name: list(values) for name, values in base.vocabulary.items()}
    wanted = np.array(sorted(dirty), dtype=np.int64)
    parts = []
    for part in base.parts:
        keep = {}
        for name, column in FAMILIES.items():
            if column in part.columns:
                keep[name] = _without(part.columns[column], wanted)
        # The same columns, so the same groupings: share them.
        parts.append(Part(part.columns, keep, part.groupings))
    fresh = build(model.objects.filter(pk__in=wanted.tolist()))
    if len(fresh["id"]):
        parts.append(Part(_recode(fresh, vocabulary)))
    return Source(parts, vocabulary)


def _without(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Return the mask of the rows of ``ids`` (sorted) whose id is not in ``wanted`` (sorted)."""
    low = np.searchsorted(ids, wanted, side="left")
    high = np.searchsorted(ids, wanted, side="right")
    hit = high > low
    change = np.zeros(len(ids) + 1, dtype=np.int32)
    np.add.at(change, low[hit], 1)
    np.add.at(change, high[hit], -1)
    return np.cumsum(change[:-1]) == 0


def clear_cache() -> None:
    """Forget the packs this process decoded (tests; a database switched under it)."""
    global _triggers_seen, _last
    _last = None
    with _lock:
        _cache.clear()
        _merged.clear()
    _triggers_seen = False
