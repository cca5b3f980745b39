"""The KPI before and after an initiative's start, on a small hand-built set of answers."""

from datetime import date

import pytest

from rapport.feedback.models import SurveyKind
from rapport.improvement import noise
from rapport.improvement.evaluation import NOT_STARTED, UNAVAILABLE, evaluate, windows
from rapport.improvement.models import Direction
from rapport.improvement.tests.conftest import at

# The initiative starts on 16 October; on 21 October five whole days have passed.
TODAY = date(2026, 10, 21)


def test_the_windows_have_as_many_days_before_the_start_as_have_passed_since(initiative):
    found = windows(initiative(), TODAY)
    assert found.days == 5
    assert found.before_dates == (date(2026, 10, 11), date(2026, 10, 15))
    assert found.after_dates == (date(2026, 10, 16), date(2026, 10, 20))


def test_the_windows_are_capped_at_90_days(initiative):
    found = windows(initiative(start_date=date(2026, 1, 1)), TODAY)
    assert found.days == 90
    assert found.after_dates == (date(2026, 1, 1), date(2026, 3, 31))


def test_an_explicit_window_and_an_end_date_shorten_the_windows(initiative):
    assert windows(initiative(window_days=3), TODAY).days == 3
    assert windows(initiative(end_date=date(2026, 10, 17)), TODAY).days == 2


def test_an_initiative_without_a_whole_day_since_its_start_is_not_started(cast, initiative):
    evaluation = evaluate(initiative(start_date=TODAY), cast.manager, today=TODAY)
    assert evaluation.windows is None
    assert evaluation.verdict == NOT_STARTED


def test_csat_before_and_after_come_from_the_engine_with_their_sample_sizes(
    cast, initiative, answer
):
    for score in (5, 1, 1, 1):
        answer(SurveyKind.CSAT, score, answered_at=at(10, 12))
    for score in (5, 5, 5, 1):
        answer(SurveyKind.CSAT, score, answered_at=at(10, 18))
    evaluation = evaluate(initiative(), cast.manager, today=TODAY)
    assert evaluation.before.value == pytest.approx(25.0)
    assert evaluation.after.value == pytest.approx(75.0)
    assert (evaluation.before.n, evaluation.after.n) == (4, 4)
    assert evaluation.change == pytest.approx(50.0)
    assert evaluation.improved is True
    # pooled 4/8: 4 * 0.5 = 2 expected per period, too few for the normal approximation
    assert evaluation.verdict == noise.Verdict.TOO_FEW


def test_a_csat_rise_from_8_to_18_of_20_exceeds_the_noise(cast, initiative, answer):
    for index in range(20):
        answer(SurveyKind.CSAT, 5 if index < 8 else 2, answered_at=at(10, 12))
        answer(SurveyKind.CSAT, 5 if index < 18 else 2, answered_at=at(10, 18))
    evaluation = evaluate(initiative(), cast.manager, today=TODAY)
    # pooled .65; SE = sqrt(.65 * .35 * .1) = .150831; z = .5 / .150831 = 3.315
    assert evaluation.comparison.z == pytest.approx(3.315, abs=1e-3)
    assert evaluation.verdict == noise.Verdict.BEYOND
    assert evaluation.method == "proportions"


def test_a_fall_is_an_improvement_when_lower_is_better(cast, initiative, answer):
    answer(SurveyKind.CSAT, 5, answered_at=at(10, 12))
    answer(SurveyKind.CSAT, 1, answered_at=at(10, 18))
    evaluation = evaluate(initiative(direction=Direction.DOWN), cast.manager, today=TODAY)
    assert evaluation.change == pytest.approx(-100.0)
    assert evaluation.improved is True


def test_nps_is_compared_with_the_promoter_and_detractor_shares(cast, initiative, answer):
    for score in (10, 10, 9, 0, 5, 7):  # 3 promoters, 2 detractors: NPS 16.7
        answer(SurveyKind.NPS, score, answered_at=at(10, 12))
    for score in (10, 10, 10, 10, 0, 8):  # 4 promoters, 1 detractor: NPS 50
        answer(SurveyKind.NPS, score, answered_at=at(10, 18))
    evaluation = evaluate(initiative(kpi="nps"), cast.manager, today=TODAY)
    expected = noise.nps_difference((3, 2, 6), (4, 1, 6))
    assert evaluation.change == pytest.approx(100 / 3)
    assert evaluation.comparison.standard_error == pytest.approx(expected.standard_error)
    assert evaluation.verdict == noise.Verdict.TOO_FEW


def test_ces_is_compared_with_the_spread_of_the_answers(cast, initiative, answer):
    for score in (3, 4, 5):  # mean 4, sd 1
        answer(SurveyKind.CES, score, answered_at=at(10, 12))
    for score in (6, 6, 7):  # mean 6.33, sd 0.577
        answer(SurveyKind.CES, score, answered_at=at(10, 18))
    evaluation = evaluate(initiative(kpi="ces"), cast.manager, today=TODAY)
    # SE = sqrt(1/3 + (1/3)/3) = 0.6667
    assert evaluation.comparison.standard_error == pytest.approx(2 / 3, abs=1e-4)
    assert evaluation.method == "mean"


def test_a_count_has_no_noise_estimate(cast, initiative, conversation):
    conversation(created_at=at(10, 12))
    conversation(created_at=at(10, 18))
    conversation(created_at=at(10, 19))
    evaluation = evaluate(initiative(kpi="inquiry_volume"), cast.manager, today=TODAY)
    assert (evaluation.before.value, evaluation.after.value) == (1, 2)
    assert evaluation.comparison is None
    assert evaluation.verdict == noise.Verdict.NO_ESTIMATE


def test_a_period_without_answers_has_no_data(cast, initiative, answer):
    answer(SurveyKind.CSAT, 5, answered_at=at(10, 18))
    assert evaluate(initiative(), cast.manager, today=TODAY).verdict == noise.Verdict.NO_DATA


def test_the_slice_narrows_the_kpi(cast, initiative, answer, conversation):
    email, chat = conversation(channel="email"), conversation(channel="chat")
    answer(SurveyKind.CSAT, 1, conversation=email, answered_at=at(10, 12))
    answer(SurveyKind.CSAT, 5, conversation=chat, answered_at=at(10, 12))
    answer(SurveyKind.CSAT, 5, conversation=email, answered_at=at(10, 18))
    evaluation = evaluate(initiative(filters={"channel": "email"}), cast.manager, today=TODAY)
    assert (evaluation.before.value, evaluation.after.value) == (0.0, 100.0)


def test_a_kpi_that_the_slice_cannot_reach_is_unavailable(cast, initiative):
    evaluation = evaluate(
        initiative(kpi="retention_rate", filters={"channel": "email"}), cast.manager, today=TODAY
    )
    assert evaluation.verdict == UNAVAILABLE


def test_an_agent_sees_the_kpi_of_the_conversations_they_may_see(
    cast, initiative, answer, conversation
):
    ours, theirs = conversation(team=cast.team_a), conversation(team=cast.team_b)
    answer(SurveyKind.CSAT, 5, conversation=ours, answered_at=at(10, 12))
    answer(SurveyKind.CSAT, 1, conversation=theirs, answered_at=at(10, 12))
    answer(SurveyKind.CSAT, 5, conversation=ours, answered_at=at(10, 18))
    evaluation = evaluate(initiative(), cast.agent, today=TODAY)
    assert evaluation.before.n == 1
    assert evaluate(initiative(), cast.manager, today=TODAY).before.n == 2
