"""The noise tests on examples computed by hand."""

import math

import pytest

from rapport.improvement import noise
from rapport.improvement.noise import Verdict


def test_a_rise_from_40_to_60_percent_in_100_answers_each_exceeds_the_noise():
    # pooled p = 0.5; SE = sqrt(0.25 * 2/100) = 0.070711; z = 0.2 / 0.070711 = 2.8284
    result = noise.two_proportions(40, 100, 60, 100)
    assert result.difference == pytest.approx(20.0)
    assert result.z == pytest.approx(2.8284, abs=1e-4)
    assert result.verdict == Verdict.BEYOND


def test_the_interval_of_a_proportion_change_uses_the_unpooled_standard_error():
    # SE = sqrt(0.4 * 0.6 / 100 + 0.6 * 0.4 / 100) = 0.069282 -> 6.9282 points
    result = noise.two_proportions(40, 100, 60, 100)
    assert result.standard_error == pytest.approx(6.9282, abs=1e-4)
    assert result.low == pytest.approx(20 - 1.96 * 6.9282, abs=1e-2)
    assert result.high == pytest.approx(20 + 1.96 * 6.9282, abs=1e-2)


def test_a_rise_from_45_to_55_percent_in_100_answers_each_is_within_the_noise():
    # z = 0.1 / 0.070711 = 1.4142 < 1.96
    result = noise.two_proportions(45, 100, 55, 100)
    assert result.z == pytest.approx(1.4142, abs=1e-4)
    assert result.verdict == Verdict.WITHIN


def test_a_proportion_from_three_answers_is_too_few_to_judge():
    # pooled p = 4/6: 3 * (1 - 4/6) = 1 expected failure per period, fewer than 5
    assert noise.two_proportions(1, 3, 3, 3).verdict == Verdict.TOO_FEW


def test_a_period_without_answers_gives_no_comparison():
    assert noise.two_proportions(0, 0, 3, 5) is None
    assert noise.nps_difference((0, 0, 0), (1, 1, 3)) is None
    assert noise.mean_difference((4.0, 1.0, 0), (5.0, 1.0, 3)) is None


def test_an_nps_rise_from_10_to_40_in_100_answers_each_exceeds_the_noise():
    # before p=.3 d=.2: var .5 - .01 = .49; after p=.5 d=.1: var .6 - .16 = .44
    # SE = 100 * sqrt(.0049 + .0044) = 9.6437; z = 30 / 9.6437 = 3.1108
    result = noise.nps_difference((30, 20, 100), (50, 10, 100))
    assert result.difference == pytest.approx(30.0)
    assert result.standard_error == pytest.approx(9.6437, abs=1e-4)
    assert result.z == pytest.approx(3.1108, abs=1e-4)
    assert result.verdict == Verdict.BEYOND


def test_an_nps_rise_from_10_to_15_in_100_answers_each_is_within_the_noise():
    # after p=.35 d=.2: var .55 - .0225 = .5275; SE = 100 * sqrt(.0049 + .005275) = 10.0871
    result = noise.nps_difference((30, 20, 100), (35, 20, 100))
    assert result.standard_error == pytest.approx(10.0871, abs=1e-4)
    assert result.verdict == Verdict.WITHIN


def test_an_nps_from_fewer_than_ten_answers_is_too_few_to_judge():
    assert noise.nps_difference((3, 2, 6), (4, 1, 6)).verdict == Verdict.TOO_FEW


def test_a_mean_rise_of_0_8_with_sd_1_in_25_answers_each_exceeds_the_noise():
    # SE = sqrt(1/25 + 1/25) = 0.28284; z = 0.8 / 0.28284 = 2.8284
    result = noise.mean_difference((4.0, 1.0, 25), (4.8, 1.0, 25))
    assert result.standard_error == pytest.approx(0.28284, abs=1e-5)
    assert result.verdict == Verdict.BEYOND


def test_a_mean_rise_of_0_6_with_sd_1_and_1_5_in_25_answers_each_is_within_the_noise():
    # SE = sqrt(1/25 + 2.25/25) = 0.36056; z = 1.6641
    result = noise.mean_difference((4.0, 1.0, 25), (4.6, 1.5, 25))
    assert result.z == pytest.approx(1.6641, abs=1e-4)
    assert result.verdict == Verdict.WITHIN


def test_a_change_without_any_spread_is_beyond_the_noise():
    result = noise.nps_difference((100, 0, 100), (0, 100, 100))
    assert result.z is None
    assert result.difference == pytest.approx(-200.0)
    assert result.verdict == Verdict.BEYOND


def test_the_sample_standard_deviation_of_1_2_3_4_is_1_29():
    # mean 2.5; squares 30; (30 - 4 * 6.25) / 3 = 5/3
    assert noise.sample_sd(4, 10, 30) == pytest.approx(math.sqrt(5 / 3))
    assert noise.sample_sd(1, 5, 25) == 0.0
