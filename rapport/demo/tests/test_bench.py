"""The benchmark harness keeps working (on a tiny dataset; no timing assertions)."""

import pytest

from bench.report import render_markdown
from bench.run import evaluate, machine_info, measure_import, measure_pages, summarize
from rapport.demo.actions import create_demo_staff, load_demo_data


@pytest.fixture
def small_dataset(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    create_demo_staff()
    return load_demo_data(customers=60, seed=1, events_per_customer=4)


def test_summarize_gives_percentiles():
    result = summarize([float(n) for n in range(1, 101)])
    assert result["p50_ms"] == 50.0
    assert result["p95_ms"] == 95.0
    assert result["max_ms"] == 100.0


def test_measure_pages_runs_every_scenario_and_renders(small_dataset, tmp_path):
    pages = measure_pages(requests=3)
    scenarios = pages["scenarios"]
    assert {
        "list_first_page",
        "list_search_email",
        "list_filter",
        "customer_360",
        "api_list",
    } <= set(scenarios)
    for scenario in scenarios.values():
        assert scenario["requests"] >= 1
        assert scenario["p95_ms"] >= scenario["p50_ms"] >= 0
    imported = measure_import(rows=20, directory=tmp_path)
    results = {
        "machine": machine_info(),
        "date": "2024-01-01T00:00:00+00:00",
        "dataset": {
            "customers": 60,
            "events_per_customer": 4,
            "demo_stats": small_dataset.as_dict(),
        },
        "scenarios": scenarios,
        "memory_mb": pages["memory_mb"],
        "import": imported,
        "targets": __import__("bench.run", fromlist=["TARGETS"]).TARGETS,
    }
    results["met"] = evaluate(results)
    text = render_markdown(results)
    assert "| list_first_page |" in text
    assert "CSV import" in text
