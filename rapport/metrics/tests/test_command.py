"""The ``metrics`` command: the same figures as the report, as a table or JSON; bad input refused."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from rapport.feedback.models import SurveyKind
from rapport.metrics.tests.conftest import at


def run(*args: str) -> str:
    out = StringIO()
    call_command("metrics", *args, stdout=out)
    return out.getvalue()


def test_json_output_carries_value_sample_interval_previous_and_drill(answer):
    for score in (5, 4, 3, 1):
        answer(SurveyKind.CSAT, score)
    answer(SurveyKind.CSAT, 5, answered_at=at(9, 15))
    data = json.loads(run("--from", "2026-10-01", "--to", "2026-10-31", "--json"))
    csat = data["total"]["figures"]["csat"]
    assert csat["value"] == 50.0
    assert csat["n"] == 4
    assert csat["ci_low"] == 15.0
    assert csat["previous"] == 100.0
    assert csat["change"] == -50.0
    assert csat["drill"]["source"] == "responses"
    assert data["previous_period"]["end"] == data["period"]["start"]


def test_table_output_names_each_kpi(answer):
    answer(SurveyKind.NPS, 10)
    out = run("--from", "2026-10-01", "--to", "2026-10-31")
    assert "Net promoter score (NPS)" in out
    assert "100.00" in out
    assert "SLA attainment" in out


def test_by_prints_one_table_per_slice(answer, conversation):
    answer(SurveyKind.CSAT, 5, conversation=conversation(channel="chat"))
    out = run("--from", "2026-10-01", "--to", "2026-10-31", "--by", "channel")
    assert "channel: Live chat" in out
    data = json.loads(
        run("--from", "2026-10-01", "--to", "2026-10-31", "--by", "channel", "--json")
    )
    assert [g["value"] for g in data["groups"]] == ["chat"]


def test_filter_narrows_the_figures(answer):
    answer(SurveyKind.CSAT, 5, language="de")
    answer(SurveyKind.CSAT, 1, language="en")
    data = json.loads(
        run("--from", "2026-10-01", "--to", "2026-10-31", "--filter", "language=en", "--json")
    )
    assert data["total"]["figures"]["csat"]["value"] == 0.0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2026-10-32", "--to", "2026-11-01"], "is not a date"),
        (["--from", "2026-11-01", "--to", "2026-10-01"], "after the end date"),
        (["--from", "2026-10-01", "--to", "2026-10-31", "--by", "weather"], "Unknown --by"),
        (
            ["--from", "2026-10-01", "--to", "2026-10-31", "--filter", "mood=good"],
            "Unknown dimension",
        ),
        (["--from", "2026-10-01", "--to", "2026-10-31", "--filter", "channel"], "DIMENSION=VALUE"),
        (["--from", "2026-10-01", "--to", "2026-10-31", "--filter", "team=x"], "not a valid team"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_segment_filter_counts_only_customers_with_that_tag(answer, cast):
    from rapport.customers.models import Tag

    cast.other_customer.tags.add(Tag.objects.create(name="VIP"))
    answer(SurveyKind.CSAT, 5)
    answer(SurveyKind.CSAT, 1, customer=cast.other_customer)
    data = json.loads(
        run("--from", "2026-10-01", "--to", "2026-10-31", "--filter", "segment=VIP", "--json")
    )
    assert data["filters"] == {"segment": "VIP"}
    assert data["total"]["figures"]["csat"]["n"] == 1
    assert data["total"]["figures"]["csat"]["value"] == 0.0


def test_an_empty_segment_is_refused(db):
    with pytest.raises(CommandError, match="customer tag"):
        run("--from", "2026-10-01", "--to", "2026-10-31", "--filter", "segment=")
