"""The helpdesk part of the benchmark harness works on a tiny dataset (no timing assertions)."""

import sys
import types

import pytest

from bench import helpdesk as helpdesk_bench
from bench.report import render_markdown
from bench.run import machine_info
from rapport.demo.actions import create_demo_staff, load_demo_data, load_helpdesk_data


@pytest.fixture
def small_helpdesk(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    create_demo_staff()
    load_demo_data(customers=40, seed=2, events_per_customer=0)
    return load_helpdesk_data(conversations=120, messages_per_conversation=4, seed=2, bulk=True)


def test_measure_helpdesk_runs_every_inbox_view_and_the_conversation_page(small_helpdesk):
    measured = helpdesk_bench.measure_helpdesk(requests=3)
    scenarios = measured["scenarios"]
    assert set(scenarios) == {
        "inbox_mine",
        "inbox_unassigned",
        "inbox_breaching",
        "inbox_all",
        "inbox_team",
        "inbox_channel",
        "inbox_search",
        "conversation_agent",
        "conversation_manager",
    }
    for name, scenario in scenarios.items():
        assert not scenario.get("errors"), (name, scenario)
        assert scenario["p95_ms"] >= scenario["p50_ms"] > 0
        assert scenario["slowest_request"]["queries"] > 0


def test_the_report_shows_the_helpdesk_results_and_their_targets(small_helpdesk):
    results = {
        "machine": machine_info(),
        "date": "2026-01-01T00:00:00+00:00",
        "dataset": {"customers": 40, "helpdesk": {"stats": small_helpdesk.as_dict()}},
        "scenarios": {},
        "helpdesk": helpdesk_bench.measure_helpdesk(requests=2),
        "mail": {"messages_per_second": 412.5},
        "chat": {"skipped": "bench.chat_latency is not available"},
        "targets": {
            "page_p95_ms": 50.0,
            "api_p95_ms": 50.0,
            "import_rows_per_second": 20000,
            "demo_customers_per_second": 50000,
            "web_rss_mb": 300.0,
        }
        | helpdesk_bench.TARGETS,
    }
    results["met"] = helpdesk_bench.evaluate(results)
    assert results["met"]["mail_messages_per_second"] is True
    assert results["met"]["chat_p95_ms"] is None
    markdown = render_markdown(results)
    assert "## Helpdesk" in markdown
    assert "| inbox_breaching |" in markdown
    assert "412.5 messages/s" in markdown
    assert "120 conversations" in markdown


def test_the_chat_benchmark_never_sees_the_bench_database(monkeypatch):
    seen = {}

    def measure(**kwargs):
        seen["database_url"] = sys.modules["os"].environ.get("DATABASE_URL")
        return {"p95_ms": 12.0}

    monkeypatch.setitem(sys.modules, "bench.chat_latency", types.SimpleNamespace(measure=measure))
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/the-bench-database.sqlite3")
    result = helpdesk_bench.measure_chat(chats=1)
    assert seen["database_url"] is None
    assert result["p95_ms"] == 12.0
    assert helpdesk_bench.chat_p95(result) == 12.0
    assert sys.modules["os"].environ["DATABASE_URL"] == "sqlite:////tmp/the-bench-database.sqlite3"


def test_a_missing_measurement_module_is_reported_as_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "bench.not_there", None)
    result = helpdesk_bench._guarded("not_there")
    assert "skipped" in result
