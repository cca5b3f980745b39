"""CSAT, NPS and CES: exact values, intervals, slices and empty periods."""

import pytest

from rapport.feedback.models import SurveyKind
from rapport.helpdesk.models import Channel
from rapport.metrics.queries import report
from rapport.metrics.tests.conftest import OCTOBER, at


def figures(**kwargs):
    return report(OCTOBER, **kwargs).total.figures


def test_csat_is_the_share_of_answers_four_or_five(answer):
    for score in (5, 4, 3, 1):
        answer(SurveyKind.CSAT, score)
    csat = figures()["csat"]
    assert csat.value == 50.0
    assert (csat.numerator, csat.denominator, csat.n) == (2, 4, 4)


def test_csat_carries_a_wilson_interval(answer):
    for score in (5, 4, 3, 1):
        answer(SurveyKind.CSAT, score)
    csat = figures()["csat"]
    # Wilson, z = 1.96, p = 0.5, n = 4: 0.5 ± 0.4005 over 1.9604 ... = [15.00, 85.00].
    assert csat.ci_low == pytest.approx(15.004, abs=0.01)
    assert csat.ci_high == pytest.approx(84.996, abs=0.01)


def test_nps_is_promoters_minus_detractors(answer):
    for score in (10, 9, 8, 0, 6):
        answer(SurveyKind.NPS, score)
    nps = figures()["nps"]
    assert nps.value == 0.0
    assert nps.n == 5


def test_nps_interval_is_the_standard_error_of_plus_one_zero_minus_one_scores(answer):
    for score in (10, 9, 8, 0, 6):
        answer(SurveyKind.NPS, score)
    nps = figures()["nps"]
    # p = d = 0.4: variance 0.8, SE = sqrt(0.8 / 5) = 0.4, margin 1.96 * 0.4 = 78.4 points.
    assert nps.ci_low == pytest.approx(-78.4, abs=0.01)
    assert nps.ci_high == pytest.approx(78.4, abs=0.01)


def test_ces_is_the_mean_answer(answer):
    for score in (7, 5, 2):
        answer(SurveyKind.CES, score)
    ces = figures()["ces"]
    assert ces.value == pytest.approx(14 / 3)
    assert ces.n == 3


def test_answers_outside_the_period_are_not_counted(answer):
    answer(SurveyKind.CSAT, 5)
    answer(SurveyKind.CSAT, 1, answered_at=at(11, 1, 0))
    assert figures()["csat"].n == 1


def test_empty_period_has_no_value_and_no_sample(db):
    found = figures()
    for key in ("csat", "nps", "ces"):
        assert found[key].value is None
        assert found[key].n == 0
        assert found[key].ci_low is None


def test_change_is_measured_against_the_previous_period_of_equal_length(answer):
    answer(SurveyKind.CSAT, 5, answered_at=at(10, 3))
    answer(SurveyKind.CSAT, 5, answered_at=at(9, 20))
    answer(SurveyKind.CSAT, 1, answered_at=at(9, 21))
    answer(SurveyKind.CSAT, 1, answered_at=at(8, 30))  # before the previous period
    csat = figures()["csat"]
    assert csat.previous == 50.0
    assert csat.previous_n == 2
    assert csat.change == 50.0


def test_answers_are_sliced_by_their_conversation_channel(answer, conversation):
    chat = conversation(channel=Channel.CHAT)
    answer(SurveyKind.CSAT, 5, conversation=chat)
    answer(SurveyKind.CSAT, 1, conversation=conversation(channel=Channel.EMAIL))
    groups = {group.value: group for group in report(OCTOBER, by="channel").groups}
    assert groups["chat"].figures["csat"].value == 100.0
    assert groups["email"].figures["csat"].value == 0.0
    assert groups["chat"].label == "Live chat"


def test_answers_are_filtered_by_language(answer):
    answer(SurveyKind.CSAT, 5, language="de")
    answer(SurveyKind.CSAT, 1, language="en")
    assert figures(filters={"language": "de"})["csat"].value == 100.0


def test_drill_down_returns_the_answers_counted(answer, cast):
    from rapport.metrics.queries import drill_records

    satisfied = answer(SurveyKind.CSAT, 5)
    unhappy = answer(SurveyKind.CSAT, 2)
    drill = figures()["csat"].drill
    assert set(drill_records(cast.manager, drill)) == {satisfied, unhappy}
    assert list(drill_records(cast.manager, drill, numerator=True)) == [satisfied]
