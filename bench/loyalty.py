"""Loyalty ledger speed: accruals per second, balance lookups, ``rapport loyalty verify``.

``python -m bench.loyalty accruals [N]`` times N accruals through the action layer, one by
one (``actions.accrue_purchase``: a member, the rules, one entry, the kept balance, one
transaction each) and as a shop's order feed in batches of 500 (``actions.accrue_purchases``,
the figure the targets are checked on), on the
database ``DATABASE_URL`` names, after migrating it and creating a programme and 2,000
customers; ``make bench`` runs it on a fresh SQLite file and on PostgreSQL
(``scripts/with-postgres``). ``prepare_ledger`` adds 1,000,000 members with 20 entries each
to the bench database (once); ``measure_ledger`` then times balance lookups of random members
and ``rapport loyalty verify`` over all of them.
"""

import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "loyalty_accruals_per_second_sqlite": 1000.0,
    "loyalty_accruals_per_second_postgresql": 2000.0,
    "loyalty_balance_lookup_p95_ms": 2.0,
    "loyalty_verify_seconds": 60.0,
}
SEED = 20261124


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# --- Accruals ------------------------------------------------------------------------------


def accruals(count: int) -> dict:
    """Time ``count`` accruals through the action layer (call after ``django.setup()``)."""
    from decimal import Decimal

    from django.core.management import call_command

    from rapport.customers.models import Customer
    from rapport.loyalty import actions
    from rapport.loyalty.models import BonusEvent, EarnKind, EarnRule, Programme, Tier

    call_command("migrate", verbosity=0, interactive=False)
    programme = Programme.objects.create(name="Bench", currency="EUR")
    Tier.objects.create(programme=programme, name="Bronze", rank=0)
    Tier.objects.create(programme=programme, name="Gold", rank=1, min_spend=Decimal("2000"))
    EarnRule.objects.create(
        programme=programme, kind=EarnKind.CATEGORY, category="Audio", multiplier=2
    )
    EarnRule.objects.create(
        programme=programme, kind=EarnKind.EVENT, event=BonusEvent.SIGN_UP, points=100
    )
    people = Customer.objects.bulk_create(
        Customer(given_name="Bench", family_name=f"Member {n}") for n in range(2000)
    )
    rnd = random.Random(SEED)
    for person in people:  # joined beforehand, as members of a running programme are
        actions.enroll_customer(customer=person, programme=programme)
    samples = []
    started = time.perf_counter()
    for n in range(count):
        begun = time.perf_counter()
        actions.accrue_purchase(
            customer=rnd.choice(people),
            amount=f"{rnd.randint(500, 50000) / 100:.2f}",
            currency="EUR",
            external_ref=f"bench-{n}",
            programme=programme,
        )
        samples.append((time.perf_counter() - begun) * 1000)
    seconds = time.perf_counter() - started
    batch_size = 500
    batches = [
        [
            actions.Purchase(
                rnd.choice(people).pk,
                f"{rnd.randint(500, 50000) / 100:.2f}",
                "EUR",
                f"feed-{n}-{i}",
            )
            for i in range(batch_size)
        ]
        for n in range(max(1, count // batch_size))
    ]
    batch_started = time.perf_counter()
    for batch in batches:
        done = actions.accrue_purchases(purchases=batch, programme=programme)
        assert len(done.posted) == len(batch), done.refused
    batch_seconds = time.perf_counter() - batch_started
    batched = sum(len(batch) for batch in batches)
    replayed_started = time.perf_counter()
    for n in range(min(count, 500)):
        actions.accrue_purchase(
            customer=people[0],
            amount="10",
            currency="EUR",
            external_ref=f"bench-{n}",
            programme=programme,
        )
    replay_ms = (time.perf_counter() - replayed_started) * 1000 / min(count, 500)
    return {
        "accruals": count,
        "seconds": round(seconds, 2),
        "one_by_one_per_second": round(count / seconds, 1),
        "batched": batched,
        "batch_size": batch_size,
        "batch_seconds": round(batch_seconds, 2),
        "per_second": round(batched / batch_seconds, 1),
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(_percentile(samples, 95), 3),
        "replay_ms": round(replay_ms, 3),
    }


def measure_accruals(directory: Path, count: int) -> dict:
    """Run the accrual measurement on a fresh SQLite file and on PostgreSQL, in child processes."""
    results = {}
    database = directory / "loyalty-accruals.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    runs = {
        "sqlite": ([sys.executable, "-m", "bench.loyalty", "accruals", str(count)], env),
        "postgresql": (
            [
                str(ROOT / "scripts" / "with-postgres"),
                sys.executable,
                "-m",
                "bench.loyalty",
                "accruals",
                str(count),
            ],
            {k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        ),
    }
    for name, (command, child_env) in runs.items():
        done = subprocess.run(
            command, cwd=ROOT, env=child_env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            results[name] = {"error": (done.stderr or done.stdout)[-800:]}
            continue
        found = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not found:
            results[name] = {"error": (done.stdout + done.stderr)[-800:]}
            continue
        results[name] = json.loads(found[-1])
    return results


# --- A million members ---------------------------------------------------------------------


def prepare_ledger(database: Path, members: int, per_member: int) -> dict:
    """Give ``members`` customers of the bench database ``per_member`` ledger entries (once)."""
    connection = sqlite3.connect(database)
    try:
        marker = database.parent / "loyalty-ledger.json"
        present = connection.execute("SELECT COUNT(*) FROM loyalty_member").fetchone()[0]
        if present >= members:
            entries = connection.execute("SELECT MAX(id) FROM loyalty_ledgerentry").fetchone()[0]
            earlier = json.loads(marker.read_text()) if marker.exists() else {}
            return {"members": present, "entries": entries or 0, "reused": True} | {
                k: earlier[k] for k in ("seconds", "date") if k in earlier
            }
        started = time.perf_counter()
        rnd = random.Random(SEED)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.execute("DELETE FROM loyalty_ledgerentry")
            connection.execute("DELETE FROM loyalty_member")
            connection.execute("DELETE FROM loyalty_programme WHERE name = 'Bench ledger'")
            connection.execute(
                "INSERT INTO loyalty_programme (name, currency, points_per_unit, point_value,"
                " expiry_months, allow_debt, is_active, created_at)"
                " VALUES ('Bench ledger', 'EUR', 1, 0.01, 24, 0, 1, '2024-01-01 00:00:00')"
            )
            programme = connection.execute("SELECT MAX(id) FROM loyalty_programme").fetchone()[0]
        customers = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM customers_customer ORDER BY id LIMIT ?", (members,)
            )
        ]
        entry_id = 0
        batch_members, batch_entries = [], []
        for member_id, customer in enumerate(customers, start=1):
            balance = 0
            for n in range(per_member):
                entry_id += 1
                earn = n % 10 != 9 or balance < 500
                points = rnd.randint(5, 400) if earn else -min(balance, 500)
                if points == 0:
                    points = 1
                balance += points
                day = 1 + (n * 17) % 700
                batch_entries.append(
                    (
                        entry_id,
                        member_id,
                        "earn" if points > 0 else "redeem",
                        points,
                        "Bench",
                        "order" if points > 0 else "reward",
                        "",
                        programme,
                        f"2025-{1 + day // 60 % 12:02d}-{1 + day % 28:02d} 12:00:00",
                        "{}",
                    )
                )
            batch_members.append(
                (member_id, programme, customer, "active", balance, "2024-01-01 00:00:00")
            )
            if len(batch_entries) >= 200_000:
                _flush(connection, batch_members, batch_entries)
                batch_members, batch_entries = [], []
        _flush(connection, batch_members, batch_entries)
        connection.execute("ANALYZE loyalty_ledgerentry")
        connection.execute("ANALYZE loyalty_member")
        loaded = {
            "members": len(customers),
            "entries": entry_id,
            "seconds": round(time.perf_counter() - started, 1),
            "date": time.strftime("%Y-%m-%d"),
        }
        marker.write_text(json.dumps(loaded))
        return loaded
    finally:
        connection.close()


def _flush(connection, members: list, entries: list) -> None:
    with connection:
        connection.executemany(
            "INSERT INTO loyalty_member (id, programme_id, customer_id, status, balance,"
            " joined_at) VALUES (?, ?, ?, ?, ?, ?)",
            members,
        )
        connection.executemany(
            "INSERT INTO loyalty_ledgerentry (id, member_id, kind, points, reason, source,"
            " external_ref, programme_id, created_at, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
            entries,
        )


def measure_ledger(samples: int = 2000) -> dict:
    """Time balance lookups of random members and ``rapport loyalty verify`` (after setup)."""
    from rapport.loyalty.models import Member, Programme

    programme = Programme.objects.get(name="Bench ledger")
    last = (
        Member.objects.filter(programme=programme)
        .order_by("-pk")
        .values_list("customer_id", flat=True)
        .first()
    )
    rnd = random.Random(SEED)
    customers = list(
        Member.objects.filter(programme=programme).values_list("customer_id", flat=True)[:1]
    ) + [rnd.randint(1, last) for _ in range(samples)]
    times = []
    for customer in customers:
        started = time.perf_counter()
        Member.objects.filter(programme=programme, customer_id=customer).values_list(
            "balance", flat=True
        ).first()
        times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rapport", "loyalty", "--skip-checks", "verify"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    verify_seconds = time.perf_counter() - started
    return {
        "lookups": len(times),
        "lookup_p50_ms": round(statistics.median(times), 3),
        "lookup_p95_ms": round(_percentile(times, 95), 3),
        "verify_seconds": round(verify_seconds, 1),
        "verify_output": (done.stdout or done.stderr).strip().splitlines()[-1:],
        "verify_ok": done.returncode == 0,
    }


def evaluate(results: dict) -> dict:
    """Return, per loyalty target, whether it is met (None: not measured)."""
    data = results.get("loyalty") or {}
    rates = data.get("accruals") or {}
    ledger = data.get("ledger") or {}
    met: dict[str, bool | None] = {}
    for name in ("sqlite", "postgresql"):
        rate = (rates.get(name) or {}).get("per_second")
        target = TARGETS[f"loyalty_accruals_per_second_{name}"]
        met[f"loyalty_accruals_per_second_{name}"] = None if rate is None else rate >= target
    lookup = ledger.get("lookup_p95_ms")
    met["loyalty_balance_lookup_p95_ms"] = (
        None if lookup is None else lookup < TARGETS["loyalty_balance_lookup_p95_ms"]
    )
    verify = ledger.get("verify_seconds")
    met["loyalty_verify_seconds"] = (
        None
        if verify is None
        else verify < TARGETS["loyalty_verify_seconds"] and ledger.get("verify_ok", False)
    )
    return met


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "accruals":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
        os.environ.setdefault("RAPPORT_VAR_DIR", str(ROOT / "var" / "bench"))
        import django

        django.setup()
        print(json.dumps(accruals(int(sys.argv[2]) if len(sys.argv) > 2 else 5000)))
