"""Benchmarks on a large SQLite database: page and API server times, demo-data and import rates.

``python -m bench.run`` (``make bench``) builds a fresh SQLite database under ``var/bench/``
with ``BENCH_CUSTOMERS`` customers (default 1,000,000) and ``BENCH_EVENTS_PER_CUSTOMER``
timeline events each (default 10), measures, writes ``bench/results.json`` and regenerates
``docs/benchmarks.md``. Server time is measured in-process with Django's test client (the
whole request: middleware, view, queries, template; no network), so the figures are what
one web process spends per request.

Environment: ``BENCH_CUSTOMERS``, ``BENCH_EVENTS_PER_CUSTOMER``, ``BENCH_REQUESTS``
(per scenario, default 200; 40 below 100,000 customers), ``BENCH_IMPORT_ROWS`` (default
100,000; 10,000 below 100,000 customers), ``BENCH_DIR``
(default var/bench), ``BENCH_REUSE=1`` (keep an existing database of the same size),
``BENCH_OUTPUT`` (results file, default bench/results.json), ``BENCH_DOCS`` (default
docs/benchmarks.md; empty: do not write).

The helpdesk (``bench.helpdesk``): ``BENCH_CONVERSATIONS`` (default 1,000,000; 0 skips the
helpdesk load) conversations with ``BENCH_MESSAGES_PER_CONVERSATION`` (default 10) messages
each are bulk-loaded after the customers (kept with ``BENCH_REUSE=1`` when the size matches),
then the inbox views and the conversation page are timed; ``BENCH_MAIL_MESSAGES`` (default
3,000) and ``BENCH_CHATS`` (default 200; 0 skips) size the mail pipeline and live chat
measurements of ``bench.mail_pipeline`` and ``bench.chat_latency`` when those exist;
``BENCH_SCENARIO_SECONDS`` (default 60) bounds each helpdesk page scenario (at least 20
requests; the results say when a scenario stopped early) and ``BENCH_MAIL_SECONDS`` (default
400) the mail measurement (a 20-message probe decides whether the full run fits).

The KPI dashboard (``bench.dashboard``): ``BENCH_ANSWERS`` (default 200,000) survey answers are
added to solved conversations once, the KPI fact packs built, and the manager dashboard for the
last 365 days timed; ``BENCH_DASHBOARD=0`` skips it.

The loyalty ledger (``bench.loyalty``): ``BENCH_ACCRUALS`` (default 5,000) accruals through the
action layer on a fresh SQLite file and on PostgreSQL, then ``BENCH_LOYALTY_MEMBERS`` (default
1,000,000) members with 20 entries each added to the bench database once, balance lookups and
``rapport loyalty verify`` timed; ``BENCH_LOYALTY=0`` skips it.

Sentiment scoring (``bench.sentiment``, no database) runs last; ``BENCH_SENTIMENT=0`` skips it.
The customer value models (``bench.clv``, no database) after it: fits on CDNOW and 1,000,000
customers side by side with lifetimes (``BENCH_CLV_CUSTOMERS``); ``BENCH_CLV=0`` skips them.
"""

import json
import math
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240601

TARGETS = {
    "page_p95_ms": 50.0,
    "api_p95_ms": 50.0,
    "import_rows_per_second": 20_000,
    "demo_customers_per_second": 50_000,
    "web_rss_mb": 300.0,
}


# --- Machine -------------------------------------------------------------------------------


def machine_info() -> dict:
    """Return CPU model, cores, memory and software versions of this machine."""
    import django

    cpu = platform.processor() or platform.machine()
    memory_mb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mb = round(int(line.split()[1]) / 1024)
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory_mb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "django": django.get_version(),
    }


def rss_mb() -> dict:
    """Return the current and peak resident memory of this process in MB.

    ``file`` is the part backed by files: SQLite maps up to ``mmap_size`` (256 MB) of the
    database, which the kernel shares with its page cache; ``anon`` is the process's own.
    """
    status: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _sep, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                status[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "current": round(status["VmRSS"], 1) if "VmRSS" in status else None,
        "peak": round(status.get("VmHWM", maxrss), 1),
        "anon": round(status["RssAnon"], 1) if "RssAnon" in status else None,
        "file": round(status["RssFile"], 1) if "RssFile" in status else None,
        "ru_maxrss": round(maxrss, 1),
    }


# --- Measuring -----------------------------------------------------------------------------


def summarize(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        # Nearest rank: the smallest sample with at least p % of the samples at or below it.
        index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        return round(ordered[index], 2)

    return {
        "requests": len(ordered),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "max_ms": round(ordered[-1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def _time_requests(
    client, paths: list[str], *, headers=None, warmup: int = 5, budget_seconds: float = 0
) -> dict:
    """GET each path (after a few warm-up requests), return timing and errors.

    With ``budget_seconds``, stop once that much time has passed (after at least 20
    requests) and say so in ``stopped_early``: a slow page must not hold up the whole run.
    """
    headers = headers or {}
    began = time.perf_counter()
    for path in paths[:warmup]:
        client.get(path, headers=headers)
    samples = []
    errors: dict[str, int] = {}
    slowest = (0.0, "")
    for path in paths:
        if budget_seconds and len(samples) >= 20 and time.perf_counter() - began > budget_seconds:
            break
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        slowest = max(slowest, (samples[-1], path))
        if response.status_code != 200:
            errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
    result = summarize(samples)
    result["slowest_path"] = slowest[1]
    if len(samples) < len(paths):
        result["stopped_early"] = f"{len(samples)} of {len(paths)} requests in the time budget"
    if errors:
        result["errors"] = errors
    return result


def _slowest_queries(client, path: str, *, headers=None, top: int = 2) -> list[dict]:
    """Return the slowest SQL statements of one request with SQLite's query plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path, headers=headers or {})
    queries = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    result = []
    for query in queries[:top]:
        plan = []
        if connection.vendor == "sqlite" and query["sql"].lstrip().upper().startswith("SELECT"):
            try:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN QUERY PLAN " + query["sql"].replace("%", "%%"))
                    plan = [row[-1] for row in cursor.fetchall()]
            except Exception as exc:  # noqa: BLE001 - a plan is a diagnosis, not a result
                plan = [f"(no plan: {exc})"]
        result.append(
            {"ms": round(float(query["time"]) * 1000, 2), "sql": query["sql"][:600], "plan": plan}
        )
    return result


def sample_parameters(*, requests: int, seed: int = SEED) -> dict:
    """Pick what the scenarios ask for: existing emails, filters, busy customers."""
    from django.db import connection

    rnd = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM customers_contactpoint")
        low, high = cursor.fetchone()
        emails: list[str] = []
        attempts = 0
        while low is not None and len(emails) < requests and attempts < requests * 20:
            attempts += 1
            cursor.execute(
                "SELECT normalized FROM customers_contactpoint WHERE id >= %s AND kind = 'email'"
                " ORDER BY id LIMIT 1",
                [rnd.randint(low, high)],
            )
            row = cursor.fetchone()
            if row:
                emails.append(row[0])
        # The busiest timelines: the customers a 360 page has most to show for.
        cursor.execute(
            "SELECT customer_id FROM timeline_timelineevent GROUP BY customer_id"
            " ORDER BY COUNT(*) DESC LIMIT %s",
            [max(1, requests // 2)],
        )
        busy = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT MIN(id), MAX(id) FROM customers_customer")
        first, last = cursor.fetchone()
        # Tags the demo data assigns (an import may have added others, such as one tag on
        # every imported row): drawn from the demo's tag list, b2b among them.
        from rapport.demo.texts import TAGS

        cursor.execute("SELECT name FROM customers_tag")
        existing = {row[0] for row in cursor.fetchall()}
        tags = rnd.sample([t for t in TAGS if t in existing], min(4, len(existing & set(TAGS))))
    some = [rnd.randint(first, last) for _i in range(requests - len(busy))] if first else []
    filters = ["country=DE", "language=fr", "lifecycle_stage=churned", "is_vip=1", "country=PL"]
    filters += [f"tag={t}" for t in tags]
    return {"emails": emails, "customers": busy + some, "filters": filters}


def measure_pages(*, requests: int = 200, seed: int = SEED) -> dict:
    """Measure the customer list, 360 page and API list; return scenarios, memory and plans."""
    from django.test import Client

    from rapport.accounts.actions import create_api_token, create_user
    from rapport.accounts.models import Role, User

    user = User.objects.filter(username="bench").first() or create_user(
        username="bench", password=None, role=Role.AGENT
    )
    _token, raw_token = create_api_token(user=user, name="bench")
    params = sample_parameters(requests=requests, seed=seed)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    api = {"Authorization": f"Bearer {raw_token}"}

    def cycle(items: list[str]) -> list[str]:
        return [items[i % len(items)] for i in range(requests)] if items else []

    scenarios: dict[str, dict] = {}
    paths: dict[str, tuple[list[str], dict]] = {
        "list_first_page": (cycle(["/customers/", "/customers/?sort=-created"]), {}),
        "list_search_email": (cycle([f"/customers/?q={e}" for e in params["emails"]]), {}),
        "list_filter": (cycle([f"/customers/?{f}" for f in params["filters"]]), {}),
        "customer_360": (cycle([f"/customers/{pk}/" for pk in params["customers"]]), {}),
        "api_list": (cycle(["/api/v1/customers?limit=25"]), api),
    }
    for name, (scenario_paths, headers) in paths.items():
        if scenario_paths:
            scenarios[name] = _time_requests(client, scenario_paths, headers=headers)
            scenarios[name]["example"] = scenario_paths[0]
            scenarios[name]["rss_mb"] = rss_mb()["current"]
    # The API's next pages: follow the cursor from page to page.
    next_paths = []
    response = client.get("/api/v1/customers?limit=25", headers=api)
    while response.status_code == 200 and len(next_paths) < requests:
        cursor = response.json().get("next_cursor")
        if not cursor:
            break
        next_paths.append(f"/api/v1/customers?limit=25&cursor={cursor}")
        response = client.get(next_paths[-1], headers=api)
    if next_paths:
        scenarios["api_next_page"] = _time_requests(client, next_paths, headers=api)
        scenarios["api_next_page"]["example"] = "/api/v1/customers?limit=25&cursor=..."
    # Diagnosis: the queries of the slowest request of each scenario, with their plans.
    for name, (_paths, headers) in paths.items():
        if name in scenarios:
            scenarios[name]["slowest_queries"] = _slowest_queries(
                client, scenarios[name]["slowest_path"], headers=headers
            )
    return {"scenarios": scenarios, "memory_mb": rss_mb()}


def write_import_csv(path: Path, rows: int, *, seed: int = SEED) -> None:
    """Write a customers CSV of ``rows`` new customers drawn like the demo data.

    Names, countries, languages, time zones, phone numbers and birthdays come from the demo
    generator's pools (``rapport.demo.pools``) with the same market weights and gender split;
    tags are drawn like the demo's (b2b for about a tenth, otherwise three in ten have one of
    the demo tags and some of them a second). Email addresses are built from the names and
    numbered, so every row is a new customer.
    """
    import csv

    from rapport.demo import pools as pool_module
    from rapport.demo.texts import TAGS

    rnd = random.Random(seed)
    pools = pool_module.build_pools(seed)
    markets = pool_module.expand([(i, p.market.weight) for i, p in enumerate(pools)], 1000)
    other_tags = [t for t in TAGS if t != "b2b"]
    today = datetime.now(tz=UTC).date()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "external_id",
                "given_name",
                "family_name",
                "email",
                "phone",
                "country",
                "language",
                "time_zone",
                "birthday",
                "tags",
            ]
        )
        for n in range(rows):
            pool = pools[markets[int(rnd.random() * len(markets))]]
            market = pool.market
            names = pool.male if rnd.random() < 0.49 else pool.female
            g = int(rnd.random() * len(names.names))
            f = int(rnd.random() * len(pool.family.names))
            p = int(rnd.random() * len(pool.phone_prefixes))
            digits = pool.phone_digits[p]
            number = int(rnd.random() * 10**digits)
            if pool.us_zones:  # exchange codes start with 2-9, as in the demo
                number = 2_000_000 + number % 8_000_000
            zone = pool.us_zones[p] if pool.us_zones else market.time_zones[0][0]
            birthday = ""
            if rnd.random() < 0.75:
                age = 18 + (rnd.random() + rnd.random() + rnd.random()) / 3 * 67
                birthday = (today - timedelta(days=int(age * 365.25))).isoformat()
            tags: list[str] = []
            if rnd.random() < 0.1:
                tags.append("b2b")
            elif rnd.random() < 0.3:
                tags.append(rnd.choice(other_tags))
                if rnd.random() < 0.3:
                    tags.append(rnd.choice([t for t in other_tags if t != tags[0]]))
            writer.writerow(
                [
                    f"IMP-{n:07d}",
                    names.names[g],
                    pool.family.names[f],
                    f"{names.email[g]}.{pool.family.email[f]}.{n}@import.example",
                    "+" + pool.phone_prefixes[p] + str(number).zfill(digits),
                    market.country,
                    market.language,
                    zone,
                    birthday,
                    "|".join(tags),
                ]
            )


def measure_import(*, rows: int, directory: Path) -> dict:
    """Import a generated customers CSV through rapport.imports and return the rate."""
    try:
        from rapport.imports.actions import import_file
    except ImportError as exc:  # the import feature is not there yet
        return {"skipped": f"rapport.imports.actions.import_file is not available: {exc}"}
    from rapport.accounts.models import User

    path = directory / "import-customers.csv"
    write_import_csv(path, rows)
    data = path.read_bytes()
    actor = User.objects.filter(username="bench").first()
    started = time.perf_counter()
    report = import_file(data=data, kind="customers", actor=actor)
    seconds = time.perf_counter() - started
    counts = dict(getattr(report, "counts", {}))
    issues = [f"row {i.row}: {i.field} {i.code}" for i in getattr(report, "issues", [])[:5]]
    memory = rss_mb()
    # As production does hourly (rapport.ops.tasks): fresh planner statistics after the import;
    # not part of the import rate.
    from rapport.ops.actions import optimize_database

    started = time.perf_counter()
    analysed = optimize_database()
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "counts": counts,
        "first_issues": issues,
        "rss_mb": memory,
        "optimize_seconds": round(time.perf_counter() - started, 2),
        "optimize_analysed": analysed,
    }


# --- The run -------------------------------------------------------------------------------


def evaluate(results: dict) -> dict:
    """Return, per target, whether the results meet it."""
    met: dict[str, bool | None] = {}
    for name, scenario in results.get("scenarios", {}).items():
        target = TARGETS["api_p95_ms" if name.startswith("api") else "page_p95_ms"]
        met[name] = scenario["p95_ms"] <= target and not scenario.get("errors")
    demo = results.get("dataset", {}).get("demo_stats") or {}
    if demo.get("customers_per_second"):
        met["demo_customers_per_second"] = (
            demo["customers_per_second"] >= TARGETS["demo_customers_per_second"]
        )
    rate = results.get("import", {}).get("rows_per_second")
    met["import_rows_per_second"] = (
        None if rate is None else rate >= TARGETS["import_rows_per_second"]
    )
    peak = results.get("memory_mb", {}).get("peak")
    met["web_rss_mb"] = None if peak is None else peak <= TARGETS["web_rss_mb"]
    return met


def _prepare_database(directory: Path, customers: int, events: int) -> dict:
    """Migrate a fresh SQLite database and load the demo data in child processes."""
    database = directory / "bench.sqlite3"
    marker = directory / "dataset.json"
    wanted = {"customers": customers, "events_per_customer": events, "seed": SEED}
    if os.environ.get("BENCH_REUSE") and database.exists() and marker.exists():
        previous = json.loads(marker.read_text())
        if {k: previous.get(k) for k in wanted} == wanted:
            print(f"Reusing {database}", flush=True)
            return previous
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    rapport = [sys.executable, "-m", "rapport"]
    subprocess.run([*rapport, "migrate", "--noinput", "--skip-checks", "-v0"], check=True)
    stats_path = directory / "demo-stats.json"
    print(f"Loading {customers:,} customers with ~{events} events each ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [
            *rapport,
            "demo",
            "--skip-checks",
            f"--customers={customers}",
            f"--events-per-customer={events}",
            f"--seed={SEED}",
            f"--stats-json={stats_path}",
        ],
        check=True,
    )
    stats = json.loads(stats_path.read_text())
    dataset = wanted | {
        "demo_stats": stats,
        "load_wall_seconds": round(time.perf_counter() - started, 1),
        "database_mb": round(database.stat().st_size / 2**20),
    }
    marker.write_text(json.dumps(dataset, indent=2))
    return dataset


def main() -> int:
    customers = int(os.environ.get("BENCH_CUSTOMERS", "1000000"))
    events = int(os.environ.get("BENCH_EVENTS_PER_CUSTOMER", "10"))
    # Fewer requests for small smoke runs, so that they finish within a minute.
    requests = int(os.environ.get("BENCH_REQUESTS", "200" if customers >= 100_000 else "40"))
    import_rows = int(
        os.environ.get("BENCH_IMPORT_ROWS", "100000" if customers >= 100_000 else "10000")
    )
    directory = Path(os.environ.get("BENCH_DIR", ROOT / "var" / "bench")).resolve()
    output = Path(os.environ.get("BENCH_OUTPUT", ROOT / "bench" / "results.json"))
    docs = os.environ.get("BENCH_DOCS", str(ROOT / "docs" / "benchmarks.md"))
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["RAPPORT_VAR_DIR"] = str(directory)
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    os.environ["DEBUG"] = "0"

    conversations = int(os.environ.get("BENCH_CONVERSATIONS", "1000000"))
    per_conversation = int(os.environ.get("BENCH_MESSAGES_PER_CONVERSATION", "10"))
    mail_messages = int(os.environ.get("BENCH_MAIL_MESSAGES", "3000"))
    chats = int(os.environ.get("BENCH_CHATS", "200"))
    from bench import dashboard as dashboard_bench
    from bench import helpdesk as helpdesk_bench
    from bench import loyalty as loyalty_bench

    load = [round(os.getloadavg()[0], 2)]
    dataset = _prepare_database(directory, customers, events)
    # A reused database may predate the latest migrations (a fresh one has them: no-op).
    subprocess.run(
        [sys.executable, "-m", "rapport", "migrate", "--noinput", "--skip-checks", "-v0"],
        check=True,
    )
    conversations_loaded = (
        helpdesk_bench.prepare_conversations(
            directory, conversations, per_conversation, dataset=dataset
        )
        if conversations
        else {}
    )
    load.append(round(os.getloadavg()[0], 2))

    import django

    django.setup()
    print(f"Measuring pages ({requests} requests per scenario) ...", flush=True)
    pages = measure_pages(requests=requests)
    print(f"Measuring the helpdesk pages ({requests} requests per scenario) ...", flush=True)
    helpdesk_pages = helpdesk_bench.measure_helpdesk(
        requests=requests, budget_seconds=float(os.environ.get("BENCH_SCENARIO_SECONDS", "60"))
    )
    print(f"Importing {import_rows:,} CSV rows ...", flush=True)
    imported = measure_import(rows=import_rows, directory=directory) if import_rows else {}
    mail = chat = {}
    if mail_messages:
        print(f"Measuring the mail pipeline ({mail_messages:,} messages) ...", flush=True)
        mail = helpdesk_bench.measure_mail(
            messages=mail_messages,
            budget_seconds=float(os.environ.get("BENCH_MAIL_SECONDS", "400")),
        )
    if chats:
        print(f"Measuring live chat ({chats:,} chats) ...", flush=True)
        chat = helpdesk_bench.measure_chat(chats=chats)
    assistant = {}
    if os.environ.get("BENCH_ASSISTANT", "1") != "0":
        print("Measuring the knowledge base and the assistant ...", flush=True)
        assistant = measure_assistant(directory)
    dashboard = {}
    if conversations and os.environ.get("BENCH_DASHBOARD", "1") != "0":
        print("Measuring the KPI dashboard ...", flush=True)
        dashboard = measure_dashboard(directory, requests=min(requests, 40))
    loyalty = {}
    if os.environ.get("BENCH_LOYALTY", "1") != "0":
        print("Measuring the loyalty ledger ...", flush=True)
        loyalty = measure_loyalty(directory, customers=customers)
    sentiment = {}
    if os.environ.get("BENCH_SENTIMENT", "1") != "0":
        print("Measuring sentiment scoring ...", flush=True)
        sentiment = measure_sentiment()
    clv = {}
    if os.environ.get("BENCH_CLV", "1") != "0":
        print("Measuring the customer value models ...", flush=True)
        clv = measure_child("bench.clv")
    load.append(round(os.getloadavg()[0], 2))
    results = {
        "machine": machine_info() | {"load": load},
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "dataset": dataset | {"helpdesk": conversations_loaded},
        "scenarios": pages["scenarios"],
        "memory_mb": pages["memory_mb"],
        "import": imported,
        "helpdesk": helpdesk_pages,
        "mail": mail,
        "chat": chat,
        "assistant": assistant,
        "sentiment": sentiment,
        "dashboard": dashboard,
        "loyalty": loyalty,
        "clv": clv,
        "targets": TARGETS
        | helpdesk_bench.TARGETS
        | dashboard_bench.TARGETS
        | loyalty_bench.TARGETS,
    }
    results["met"] = (
        evaluate(results)
        | helpdesk_bench.evaluate(results)
        | dashboard_bench.evaluate(results)
        | loyalty_bench.evaluate(results)
    )
    for key, value in (assistant.get("met") or {}).items():
        results["met"][f"assistant_{key}"] = value
    for key, value in (sentiment.get("met") or {}).items():
        results["met"][f"sentiment_{key}"] = value
    for key, value in (clv.get("met") or {}).items():
        results["met"][f"clv_{key}"] = value
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {output}")
    if docs:
        from bench.report import render_markdown

        Path(docs).write_text(render_markdown(results), encoding="utf-8")
        print(f"Wrote {docs}")
    print(render_summary(results))
    return 0


def measure_assistant(directory: Path) -> dict:
    """Run ``bench.assistant`` in a child process on its own fresh SQLite database."""
    output = directory / "assistant.json"
    output.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RAPPORT_VAR_DIR")}
    env["BENCH_ASSISTANT_OUTPUT"] = str(output)
    done = subprocess.run(
        [sys.executable, "-m", "bench.assistant"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0 or not output.exists():
        return {"error": (done.stderr or done.stdout)[-2000:]}
    result = json.loads(output.read_text(encoding="utf-8"))
    for name in ("dev", "own", "blind"):  # the per-question misses stay in the child's output file
        if isinstance(result.get(name), dict):
            result[name].pop("misses", None)
    return result


def measure_dashboard(directory: Path, *, requests: int) -> dict:
    """Add the survey answers once, build the KPI packs, time the dashboard (never fails the run)."""
    from bench import dashboard as dashboard_bench

    try:
        answers = dashboard_bench.prepare_answers(
            directory / "bench.sqlite3", int(os.environ.get("BENCH_ANSWERS", "200000"))
        )
        from rapport.helpdesk.models import Conversation

        answers["conversations"] = Conversation.objects.count()
        build = dashboard_bench.build_packs()
        result = dashboard_bench.measure_dashboard(requests=requests)
        return {"answers": answers, "build": build, **result}
    except Exception as error:  # noqa: BLE001 - a failed measurement is reported, not fatal
        return {"error": repr(error)}


def measure_loyalty(directory: Path, *, customers: int) -> dict:
    """Accrual rates (fresh SQLite file, PostgreSQL), then the million-member ledger."""
    from bench import loyalty as loyalty_bench

    try:
        result = {
            "accruals": loyalty_bench.measure_accruals(
                directory, int(os.environ.get("BENCH_ACCRUALS", "5000"))
            )
        }
        members = min(customers, int(os.environ.get("BENCH_LOYALTY_MEMBERS", "1000000")))
        result["ledger_load"] = loyalty_bench.prepare_ledger(
            directory / "bench.sqlite3", members, 20
        )
        result["ledger"] = loyalty_bench.measure_ledger()
        return result
    except Exception as error:  # noqa: BLE001 - a failed measurement is reported, not fatal
        return {"error": repr(error)}


def measure_sentiment() -> dict:
    """Run ``bench.sentiment`` in a child process (no database); return its figures."""
    return measure_child("bench.sentiment")


def measure_child(module: str) -> dict:
    """Run ``python -m module`` in a child process; return the JSON it prints, or the error."""
    done = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {"error": done.stdout[-2000:]}


def render_summary(results: dict) -> str:
    lines = []
    for name, s in results["scenarios"].items():
        flag = "ok" if results["met"].get(name) else "MISSED"
        lines.append(f"{name:20} p50 {s['p50_ms']:8.2f} ms  p95 {s['p95_ms']:8.2f} ms  {flag}")
    demo = results["dataset"].get("demo_stats", {})
    lines.append(f"demo data: {demo.get('customers_per_second', 0):,} customers/s")
    imported = results.get("import") or {}
    lines.append(
        f"CSV import: {imported.get('rows_per_second', 0) or 0:,} rows/s"
        if "rows_per_second" in imported
        else f"CSV import: {imported.get('skipped', 'not run')}"
    )
    helpdesk = results.get("helpdesk") or {}
    for name, s in (helpdesk.get("scenarios") or {}).items():
        flag = "ok" if results["met"].get(name) else "MISSED"
        lines.append(f"{name:20} p50 {s['p50_ms']:8.2f} ms  p95 {s['p95_ms']:8.2f} ms  {flag}")
    if helpdesk.get("skipped"):
        lines.append(f"helpdesk pages: {helpdesk['skipped']}")
    from bench.helpdesk import chat_p95, mail_rate

    mail, chat = results.get("mail") or {}, results.get("chat") or {}
    lines.append(f"mail pipeline: {mail_rate(mail) or mail.get('skipped') or mail.get('error')}")
    lines.append(f"chat p95: {chat_p95(chat) or chat.get('skipped') or chat.get('error')}")
    lines.append(f"peak RSS during pages: {results['memory_mb'].get('peak')} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
