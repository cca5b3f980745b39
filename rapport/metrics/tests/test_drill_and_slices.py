"""Report-wide behaviour: slices across sources, bad slices, bad drill-downs, empty slices."""

import pytest

from rapport.feedback.models import SurveyKind
from rapport.metrics.queries import MetricsError, drill_records, report
from rapport.metrics.tests.conftest import OCTOBER


def test_answers_slice_by_the_agent_of_their_conversation(cast, answer, conversation):
    answer(SurveyKind.NPS, 10, conversation=conversation(assignee=cast.agent))
    answer(SurveyKind.NPS, 0, conversation=conversation(assignee=cast.other_agent))
    answer(SurveyKind.NPS, 9)  # relationship survey: no conversation, no agent
    groups = {g.value: g for g in report(OCTOBER, by="agent").groups}
    assert groups[cast.agent.pk].figures["nps"].value == 100.0
    assert groups[cast.other_agent.pk].figures["nps"].value == -100.0
    assert groups[None].figures["nps"].n == 1
    assert groups[None].label == "none"
    assert groups[cast.agent.pk].figures["inquiry_volume"].value == 1


def test_a_slice_without_data_in_the_period_is_absent(db):
    assert report(OCTOBER, by="channel").groups == []


def test_an_unknown_dimension_is_refused(db):
    with pytest.raises(MetricsError):
        report(OCTOBER, by="weather")
    with pytest.raises(MetricsError):
        report(OCTOBER, filters={"weather": "sunny"})


@pytest.mark.parametrize(
    "drill",
    [
        {},
        {"source": "invoices", "set": "all"},
        {"source": "conversations", "set": "everything"},
        {"source": "conversations", "set": "created", "start": "yesterday", "end": ""},
        {
            "source": "customers",
            "set": "lost",
            "start": "2026-10-01T00:00:00+02:00",
            "end": "2026-11-01T00:00:00+01:00",
            "filters": {"team": 1},
        },
    ],
)
def test_a_bad_drill_down_is_refused(cast, drill):
    with pytest.raises(MetricsError):
        drill_records(cast.manager, drill)


def test_a_figure_serialises_with_rounded_numbers(answer):
    for score in (5, 5, 1):
        answer(SurveyKind.CSAT, score)
    data = report(OCTOBER).total.figures["csat"].as_dict()
    assert data["value"] == 66.67
    assert data["n"] == 3


def test_a_customer_segment_narrows_every_source(cast, answer, conversation):
    from rapport.customers.models import Customer

    conversation()
    conversation(customer=cast.other_customer)
    answer(SurveyKind.CSAT, 5)
    answer(SurveyKind.CSAT, 1, customer=cast.other_customer)
    segment = Customer.objects.filter(pk=cast.other_customer.pk)
    found = report(OCTOBER, segment=segment).total.figures
    assert found["inquiry_volume"].value == 1
    assert found["csat"].value == 0.0
