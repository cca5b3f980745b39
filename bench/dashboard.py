"""The KPI dashboard for one year on the bench database: its server time, and what packs cost.

``prepare_answers`` adds survey answers (default 200,000: ``BENCH_ANSWERS``) to solved
conversations of the bench database, once; ``measure_dashboard`` builds the KPI fact packs
(``rapport metrics_packs``, timed), then times the manager dashboard for the last 365 days,
whole and broken down, with no changed rows and with 200 rows changed since the packs were
built (patched in when read), and the agent's own page.
"""

import json
import random
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGETS = {"dashboard_p95_ms": 500.0}
SEED = 20261123


def prepare_answers(database: Path, count: int, *, seed: int = SEED) -> dict:
    """Give ``count`` solved conversations a CSAT, NPS or CES answer (kept when present)."""
    connection = sqlite3.connect(database)
    try:
        present = connection.execute("SELECT COUNT(*) FROM feedback_surveyresponse").fetchone()[0]
        if present >= count:
            return {"answers": present, "added": 0, "seconds": 0.0}
        started = time.perf_counter()
        rnd = random.Random(seed)
        rows = connection.execute(
            "SELECT id, customer_id, channel, language, solved_at FROM helpdesk_conversation "
            "WHERE status IN ('solved', 'closed') AND solved_at IS NOT NULL "
            "AND merged_into_id IS NULL AND id NOT IN "
            "(SELECT conversation_id FROM feedback_surveyinvitation "
            "WHERE conversation_id IS NOT NULL) ORDER BY id"
        ).fetchall()
        rnd.shuffle(rows)
        wanted = rows[: count - present]
        now = datetime.now(tz=UTC)
        invitations, answers = [], []
        next_id = connection.execute(
            "SELECT COALESCE(MAX(id), 0) FROM feedback_surveyinvitation"
        ).fetchone()[0]
        for offset, (conversation, customer, _channel, language, solved_at) in enumerate(wanted):
            solved = datetime.fromisoformat(solved_at).replace(tzinfo=UTC)
            answered = min(solved + timedelta(hours=rnd.uniform(1, 72)), now)
            kind = rnd.choices(("csat", "nps", "ces"), weights=(60, 25, 15))[0]
            low, high = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}[kind]
            score = min(high, max(low, round(rnd.triangular(low, high, high - 1))))
            pk = next_id + offset + 1
            stamp = answered.strftime("%Y-%m-%d %H:%M:%S.%f")
            invitations.append(
                (
                    pk,
                    kind,
                    "solved",
                    "email",
                    language,
                    "answered",
                    "",
                    f"bench:{conversation}",
                    stamp,
                    stamp,
                    None,
                    stamp,
                    conversation,
                    customer,
                )
            )
            answers.append(
                (
                    kind,
                    score,
                    "",
                    "email",
                    language,
                    0,
                    stamp,
                    stamp,
                    conversation,
                    customer,
                    pk,
                    "[]",
                    "",
                    "{}",
                )
            )
        with connection:
            connection.executemany(
                'INSERT INTO feedback_surveyinvitation (id, kind, "trigger", channel, language, '
                "status, skip_reason, dedupe_key, send_after, sent_at, expires_at, created_at, "
                "conversation_id, customer_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                invitations,
            )
            connection.executemany(
                "INSERT INTO feedback_surveyresponse (kind, score, comment, channel, language, "
                "changes, answered_at, updated_at, conversation_id, customer_id, invitation_id, "
                "follow_up_notes, loop_outcome, comment_sentiment) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                answers,
            )
        total = connection.execute("SELECT COUNT(*) FROM feedback_surveyresponse").fetchone()[0]
        return {
            "answers": total,
            "added": len(answers),
            "seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        connection.close()


def build_packs() -> dict:
    """Run ``rapport metrics_packs --full`` in a child process; return its wall time and output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rapport", "metrics_packs", "--full", "--skip-checks"],
        check=True,
        capture_output=True,
        text=True,
    )
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "output": done.stdout.strip().splitlines(),
    }


def measure_dashboard(*, requests: int = 40) -> dict:
    """Time the manager dashboard for the last 365 days (call after ``django.setup()``)."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench.helpdesk import _users
    from bench.run import _time_requests, rss_mb
    from rapport.helpdesk.models import Conversation
    from rapport.metrics import packs
    from rapport.metrics.models import FactChange, FactPack

    agent, manager = _users()
    today = timezone.localdate()
    first = today - timedelta(days=364)
    base = f"/metrics/?period=custom&from={first.isoformat()}&to={today.isoformat()}"
    client = Client(HTTP_HOST="localhost")
    client.force_login(manager)
    memory_before = rss_mb()
    started = time.perf_counter()
    response = client.get(base)
    first_ms = round((time.perf_counter() - started) * 1000, 1)
    served_from_packs = packs.load() is not None
    scenarios = {
        "dashboard_year": _time_requests(client, [base] * requests),
        "dashboard_year_by_channel": _time_requests(client, [base + "&by=channel"] * requests),
        "dashboard_year_by_agent": _time_requests(client, [base + "&by=agent"] * requests),
    }
    # Rows changed since the packs were built are read from the tables and patched in.
    ids = list(
        Conversation.objects.filter(status="open")
        .order_by("-id")
        .values_list("pk", flat=True)[:200]
    )
    Conversation.objects.filter(pk__in=ids).update(status="pending")
    Conversation.objects.filter(pk__in=ids).update(status="open")
    changed = FactChange.objects.count()
    scenarios["dashboard_year_200_changed"] = _time_requests(client, [base] * requests)
    agent_client = Client(HTTP_HOST="localhost")
    agent_client.force_login(agent)
    scenarios["agent_page_year"] = _time_requests(
        agent_client,
        [f"/metrics/me/?period=custom&from={first.isoformat()}&to={today.isoformat()}"]
        * max(5, requests // 4),
        warmup=1,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(LENGTH(data)) FROM metrics_factpack")
        pack_bytes = cursor.fetchone()[0] or 0
    return {
        "status": response.status_code,
        "first_request_ms": first_ms,
        "served_from_packs": served_from_packs,
        "packs": FactPack.objects.count(),
        "pack_mb": round(pack_bytes / 2**20, 1),
        "changed_rows_logged": changed,
        "scenarios": scenarios,
        "memory_mb": {"before": memory_before, "after": rss_mb()},
    }


def evaluate(results: dict) -> dict:
    """Return whether the dashboard target is met (None: not measured)."""
    scenarios = (results.get("dashboard") or {}).get("scenarios") or {}
    met: dict[str, bool | None] = {}
    for name in ("dashboard_year", "dashboard_year_200_changed"):
        scenario = scenarios.get(name)
        met[name] = (
            None
            if scenario is None
            else scenario["p95_ms"] <= TARGETS["dashboard_p95_ms"] and not scenario.get("errors")
        )
    return met


if __name__ == "__main__":
    print(json.dumps(prepare_answers(Path(sys.argv[1]), int(sys.argv[2])), indent=2))
