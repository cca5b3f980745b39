"""Helpdesk benchmarks: a million conversations, the inbox and conversation pages, mail and chat.

Called by ``bench.run`` after the customer dataset exists. ``prepare_conversations`` loads
``BENCH_CONVERSATIONS`` conversations (default 1,000,000) with about
``BENCH_MESSAGES_PER_CONVERSATION`` messages each (default 10) through ``rapport demo
--customers 0 --conversations N --bulk-conversations`` in a child process (the bulk path of
``rapport.demo.helpdesk``); with ``BENCH_REUSE=1`` an earlier load of the same size is kept.
``measure_helpdesk`` times the inbox views and the conversation page in-process with Django's
test client, like ``bench.run.measure_pages``. ``measure_mail`` and ``measure_chat`` call
``bench.mail_pipeline.measure()`` and ``bench.chat_latency.measure()`` when those exist.
"""

import json
import os
import random
import subprocess
import sys
import time
import traceback
from pathlib import Path

SEED = 20240601
HELPDESK_TABLES = (
    "mail_inboundemail",
    "chat_chatsession",
    "sla_slaclock",
    "search_conversations",
    "helpdesk_conversationevent",
    "helpdesk_attachment",
    "helpdesk_conversationlink",
    "helpdesk_conversation_tags",
    "helpdesk_message",
    "helpdesk_conversation",
)
TARGETS = {"helpdesk_page_p95_ms": 50.0, "mail_messages_per_second": 300.0, "chat_p95_ms": 200.0}


def prepare_conversations(
    directory: Path, conversations: int, per_conversation: int, *, dataset: dict
) -> dict:
    """Load the conversations into the bench database (or keep an earlier load); return stats.

    ``dataset`` describes the customers' load (``bench.run._prepare_database``): a new
    customer database gets new conversations.
    """
    database = directory / "bench.sqlite3"
    marker = directory / "helpdesk.json"
    demo = dataset.get("demo_stats") or {}
    wanted = {
        "conversations": conversations,
        "messages_per_conversation": per_conversation,
        "seed": SEED,
        "customers_load": [dataset.get("customers"), demo.get("wall_seconds")],
    }
    if os.environ.get("BENCH_REUSE") and marker.exists():
        previous = json.loads(marker.read_text())
        if {k: previous.get(k) for k in wanted} == wanted:
            print(f"Reusing the {conversations:,} conversations in {database}", flush=True)
            _ensure_search_index(database)
            return previous
    _empty_helpdesk_tables(database)
    stats_path = directory / "helpdesk-stats.json"
    stats_path.unlink(missing_ok=True)
    print(
        f"Loading {conversations:,} conversations with ~{per_conversation} messages each ...",
        flush=True,
    )
    started = time.perf_counter()
    load_before = round(os.getloadavg()[0], 2)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rapport",
            "demo",
            "--skip-checks",
            "--customers=0",
            f"--conversations={conversations}",
            f"--messages-per-conversation={per_conversation}",
            "--bulk-conversations",
            f"--seed={SEED}",
            f"--stats-json={stats_path}",
        ],
        check=True,
    )
    stats = json.loads(stats_path.read_text()).get("helpdesk", {})
    result = wanted | {
        "stats": stats,
        "load_average": [load_before, round(os.getloadavg()[0], 2)],
        "load_wall_seconds": round(time.perf_counter() - started, 1),
        "database_mb": round(database.stat().st_size / 2**20),
    }
    marker.write_text(json.dumps(result, indent=2))
    return result


def _ensure_search_index(database: Path) -> None:
    """Index the conversations of a database loaded before the search index existed."""
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        row = connection.execute("SELECT 1 FROM search_conversations LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        row = None  # not migrated yet: the run migrates first
    finally:
        connection.close()
    if row is None:
        print("Indexing the conversations for search ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "rapport", "search", "rebuild", "conversations"], check=True
        )


def _empty_helpdesk_tables(database: Path) -> None:
    """Delete earlier helpdesk rows (a previous load of another size) before loading anew."""
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        existing = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "helpdesk_conversation" in existing:
            row = connection.execute("SELECT 1 FROM helpdesk_conversation LIMIT 1").fetchone()
            if row:
                print("Deleting the earlier conversations ...", flush=True)
                for table in HELPDESK_TABLES:
                    if table in existing:
                        connection.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
                connection.commit()
    finally:
        connection.close()


# --- Page measurements -----------------------------------------------------------------------


def _users():
    """Return (agent, manager): the demo agent with the most open conversations, a manager."""
    from django.db.models import Count, Q

    from rapport.accounts.models import Role, User

    agent = (
        User.objects.filter(role=Role.AGENT, is_active=True)
        .exclude(username="bench")
        .annotate(
            open_count=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__status__in=("new", "open", "pending")),
            )
        )
        .order_by("-open_count", "id")
        .first()
    )
    manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id").first()
    return agent, manager


def _sample_conversations(user, count: int, rnd: random.Random) -> list[int]:
    """Random conversations ``user`` may open (drawn by id, then checked through the queries)."""
    from django.db import connection

    from rapport.helpdesk.queries import visible_conversations

    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM helpdesk_conversation")
        low, high = cursor.fetchone()
    if low is None:
        return []
    visible = visible_conversations(user)
    found: list[int] = []
    attempts = 0
    while len(found) < count and attempts < count * 20:
        attempts += 1
        pk = (
            visible.filter(pk__gte=rnd.randint(low, high))
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is not None:
            found.append(pk)
    return found


def helpdesk_paths(*, requests: int, seed: int = SEED) -> dict[str, tuple[list[str], object]]:
    """Return the scenarios: name -> (paths, user); raise NoReverseMatch without the views."""
    from django.urls import reverse

    from rapport.accounts.models import Team
    from rapport.demo.helpdesk_texts import CONVERSATIONS, HELPDESK_TEAMS

    rnd = random.Random(seed)
    inbox = reverse("helpdesk:inbox")
    agent, manager = _users()
    if agent is None or manager is None:
        raise RuntimeError("the helpdesk demo agents are missing")
    teams = list(
        Team.objects.filter(name__in=[n for n, _t in HELPDESK_TEAMS]).values_list("pk", flat=True)
    )
    channels = ["email", "chat", "phone", "social", "web", "portal"]
    # Search terms: words from the demo subjects in several languages, and customer names.
    words = sorted(
        {
            subject.split()[0 if len(subject.split()) == 1 else -1].strip("?!")
            for language in ("de", "en", "fr")
            for topic in CONVERSATIONS[language].values()
            for subject in topic[0]
        }
    )
    from rapport.customers.models import Customer

    names = list(
        Customer.objects.filter(pk__in=[rnd.randint(1, 1000) for _i in range(20)]).values_list(
            "family_name", flat=True
        )
    )
    terms = [w for w in words if len(w) > 3][:20] + [n for n in names if n]

    def cycle(items: list[str]) -> list[str]:
        return [items[i % len(items)] for i in range(requests)] if items else []

    agent_conversations = _sample_conversations(agent, requests, rnd)
    manager_conversations = _sample_conversations(manager, requests, rnd)

    def conversation_url(pk: int) -> str:
        return reverse("helpdesk:conversation", kwargs={"conversation_id": pk})

    return {
        "inbox_mine": (cycle([f"{inbox}?view=mine"]), agent),
        "inbox_unassigned": (cycle([f"{inbox}?view=unassigned"]), agent),
        "inbox_breaching": (cycle([f"{inbox}?view=breaching"]), agent),
        "inbox_all": (cycle([f"{inbox}?view=all"]), manager),
        "inbox_team": (cycle([f"{inbox}?view=team&team={t}" for t in teams]), manager),
        "inbox_channel": (cycle([f"{inbox}?view=channel&channel={c}" for c in channels]), agent),
        "inbox_search": (cycle([f"{inbox}?view=all&q={t}" for t in terms]), manager),
        "conversation_agent": (cycle([conversation_url(pk) for pk in agent_conversations]), agent),
        "conversation_manager": (
            cycle([conversation_url(pk) for pk in manager_conversations]),
            manager,
        ),
    }


def measure_helpdesk(*, requests: int = 200, seed: int = SEED, budget_seconds: float = 0) -> dict:
    """Time the inbox views and the conversation page; return scenarios (or why skipped).

    ``budget_seconds`` bounds each scenario (see ``bench.run._time_requests``).
    """
    from django.test import Client
    from django.urls import NoReverseMatch

    from bench.run import _slowest_queries, _time_requests, rss_mb

    try:
        paths = helpdesk_paths(requests=requests, seed=seed)
    except NoReverseMatch as exc:
        return {"skipped": f"the helpdesk pages are not there yet: {exc}"}
    scenarios: dict[str, dict] = {}
    clients = {}
    for name, (scenario_paths, user) in paths.items():
        if not scenario_paths:
            continue
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client(HTTP_HOST="localhost")
            client.force_login(user)
        scenarios[name] = _time_requests(client, scenario_paths, budget_seconds=budget_seconds)
        scenarios[name]["example"] = scenario_paths[0]
        scenarios[name]["user"] = f"{user.username} ({user.role})"
        scenarios[name]["rss_mb"] = rss_mb()["current"]
        scenarios[name]["slowest_request"] = _profile(client, scenarios[name]["slowest_path"])
        scenarios[name]["slowest_queries"] = _slowest_queries(
            client, scenarios[name]["slowest_path"], top=3
        )
    return {"scenarios": scenarios}


def _profile(client, path: str) -> dict:
    """Return one request's wall time, query count and SQL time: where does the time go?

    The SQL time is taken around each statement with ``perf_counter`` (Django's captured
    query times are rounded to milliseconds).
    """
    from django.db import connection

    timings: list[float] = []

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(time.perf_counter() - began)

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        client.get(path)
    total = (time.perf_counter() - started) * 1000
    return {
        "ms": round(total, 1),
        "queries": len(timings),
        "sql_ms": round(sum(timings) * 1000, 2),
    }


# --- Mail and chat ---------------------------------------------------------------------------


def _guarded(module: str, **kwargs) -> dict:
    """Call ``bench.<module>.measure(**kwargs)`` if that module exists; report failures."""
    import importlib

    try:
        measured = importlib.import_module(f"bench.{module}")
    except ImportError as exc:
        return {"skipped": f"bench.{module} is not available: {exc}"}
    started = time.perf_counter()
    try:
        result = measured.measure(**kwargs)
    except Exception as exc:  # noqa: BLE001 - one failing measurement must not lose the others
        return {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:],
        }
    result = dict(result or {})
    result.setdefault("wall_seconds", round(time.perf_counter() - started, 1))
    return result


def measure_mail(messages: int = 3000, *, budget_seconds: float = 180) -> dict:
    """Measure the inbound mail pipeline: a probe of 20 messages first, then ``messages``.

    The pipeline takes bursts in batches of 100; 200 messages one by one are measured too.

    When the probe's rate says that ``messages`` would take longer than ``budget_seconds``,
    the probe is the result (``reduced`` says so): a pipeline at a few messages per second on
    the large database must not hold up the run for hours.
    """
    probe_size = min(20, messages)
    probe = _guarded("mail_pipeline", messages=probe_size)
    rate = mail_rate(probe)
    if rate is None or messages <= probe_size:
        return probe
    if messages / rate > budget_seconds:
        probe["reduced"] = (
            f"{probe_size} messages instead of {messages:,}: at {rate:,.1f} messages/s the"
            f" full run would take {messages / rate:,.0f} s"
        )
        return probe
    result = _guarded("mail_pipeline", messages=messages)
    # For comparison: single emails, each processed with its follow-up in one transaction.
    result["one_by_one"] = _guarded("mail_pipeline", messages=min(200, messages), batch=1)
    return result


def measure_chat(chats: int = 200, messages_per_chat: int = 5) -> dict:
    """Run the chat benchmark on its own database, never on the bench database.

    ``bench.chat_latency.measure()`` flushes the database named in ``DATABASE_URL`` (which
    ``bench.run`` points at the million-customer database); without it, it migrates a fresh
    SQLite database under ``var/bench/chat/``.
    """
    saved = os.environ.pop("DATABASE_URL", None)
    try:
        result = _guarded("chat_latency", chats=chats, messages_per_chat=messages_per_chat)
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    return result


def _find(result: dict, *keys: str):
    """Return the first numeric value under one of ``keys`` (top level or one level down)."""
    for key in keys:
        if isinstance(result.get(key), int | float):
            return result[key]
    for value in result.values():
        if isinstance(value, dict):
            found = _find(value, *keys)
            if found is not None:
                return found
    return None


def mail_rate(result: dict) -> float | None:
    return _find(result or {}, "messages_per_second", "rate", "per_second")


def chat_p95(result: dict) -> float | None:
    return _find(result or {}, "p95_ms", "latency_p95_ms")


def evaluate(results: dict) -> dict:
    """Return, per helpdesk target, whether it is met (None: not measured)."""
    met: dict[str, bool | None] = {}
    helpdesk = results.get("helpdesk") or {}
    for name, scenario in (helpdesk.get("scenarios") or {}).items():
        met[name] = scenario["p95_ms"] <= TARGETS["helpdesk_page_p95_ms"] and not scenario.get(
            "errors"
        )
    rate = mail_rate(results.get("mail") or {})
    met["mail_messages_per_second"] = (
        None if rate is None else rate >= TARGETS["mail_messages_per_second"]
    )
    p95 = chat_p95(results.get("chat") or {})
    met["chat_p95_ms"] = None if p95 is None else p95 <= TARGETS["chat_p95_ms"]
    return met
