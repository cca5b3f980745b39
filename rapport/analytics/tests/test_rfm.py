"""RFM: quintile scores with fair ties, and the segment grid."""

import itertools

import numpy as np
import pytest

from rapport.analytics.clv import rfm
from rapport.analytics.clv.fitting import ClvError

ALL_SCORES = list(itertools.product(range(1, 6), repeat=3))


def test_every_score_combination_maps_to_exactly_one_known_segment():
    for r, f, m in ALL_SCORES:
        assert rfm.segment(r, f, m) in rfm.SEGMENTS


def test_the_grid_has_one_segment_in_each_of_its_25_cells():
    assert len(rfm.GRID) == 5
    assert all(len(row) == 5 for row in rfm.GRID)
    assert {code for row in rfm.GRID for code in row} <= set(rfm.SEGMENTS)


def test_every_segment_owns_at_least_one_cell_of_the_grid():
    assert {code for row in rfm.GRID for code in row} == set(rfm.SEGMENTS)
    assert len(rfm.SEGMENTS) == 11


def test_the_table_in_the_module_docstring_is_the_grid():
    documented = {}
    for line in rfm.__doc__.splitlines():
        cells = line.split()
        if cells and cells[0] in "12345" and len(cells) == 6:
            documented[int(cells[0])] = tuple(cells[1:])
    assert documented == {r: rfm.GRID[r - 1] for r in range(1, 6)}


@pytest.mark.parametrize(
    "recency, fm_scores, expected",
    [
        ((4, 5), (4, 5), "champions"),
        ((1, 2), (1, 2), "lost"),
        ((1, 2), (5,), "cannot_lose"),
        ((1, 2), (3, 4), "at_risk"),
        ((5,), (1,), "new"),
        ((4,), (1,), "promising"),
        ((3,), (3,), "need_attention"),
    ],
)
def test_the_grid_follows_the_usual_rfm_segments(recency, fm_scores, expected):
    for r, fm in itertools.product(recency, fm_scores):
        assert rfm.GRID[r - 1][fm - 1] == expected


def test_fm_is_the_mean_of_f_and_m_rounded_down():
    assert list(rfm.fm_scores([5, 5, 1, 2, 3], [4, 5, 2, 1, 3])) == [4, 5, 1, 1, 3]


def test_segments_of_many_customers_agree_with_segment_of_each():
    r, f, m = (np.array(column) for column in zip(*ALL_SCORES, strict=True))
    assert list(rfm.segments(r, f, m)) == [rfm.segment(*scores) for scores in ALL_SCORES]


def test_distinct_values_split_into_five_equal_quintiles():
    values = np.arange(100.0)
    r, f, m = rfm.scores(values, values, values)
    assert np.bincount(f)[1:].tolist() == [20] * 5
    assert f[0] == 1 and f[-1] == 5
    assert r[0] == 5 and r[-1] == 1


def test_equal_values_get_equal_scores():
    rng = np.random.default_rng(11)
    recency = rng.integers(0, 10, 500).astype(float)
    frequency = rng.integers(1, 4, 500)
    monetary = rng.choice([9.99, 19.99, 49.0], 500)
    r, f, m = rfm.scores(recency, frequency, monetary)
    for values, score in ((recency, r), (frequency, f), (monetary, m)):
        for value in np.unique(values):
            assert len(set(score[values == value])) == 1


def test_scores_do_not_depend_on_the_order_of_customers():
    rng = np.random.default_rng(5)
    recency, frequency, monetary = rng.integers(0, 30, (3, 300))
    order = rng.permutation(300)
    shuffled = rfm.scores(recency[order], frequency[order], monetary[order])
    for score, score_of_shuffled in zip(
        rfm.scores(recency, frequency, monetary), shuffled, strict=True
    ):
        assert (score[order] == score_of_shuffled).all()


def test_a_more_recent_purchase_never_scores_a_lower_r():
    rng = np.random.default_rng(2)
    recency = rng.exponential(90, 1000).round()
    r, _f, _m = rfm.scores(recency, np.ones(1000), np.ones(1000))
    by_recency = np.argsort(recency, kind="stable")
    assert (np.diff(r[by_recency]) <= 0).all()


def test_more_purchases_or_spend_never_score_lower():
    rng = np.random.default_rng(3)
    frequency = rng.geometric(0.5, 1000)
    monetary = rng.lognormal(3, 1, 1000).round(2)
    _r, f, m = rfm.scores(np.zeros(1000), frequency, monetary)
    assert (np.diff(f[np.argsort(frequency, kind="stable")]) >= 0).all()
    assert (np.diff(m[np.argsort(monetary, kind="stable")]) >= 0).all()


def test_a_majority_of_single_purchasers_shares_the_quintile_of_its_middle():
    frequency = np.concatenate((np.ones(60), np.arange(2, 42)))
    _r, f, _m = rfm.scores(np.zeros(100), frequency, np.ones(100))
    assert set(f[:60]) == {2}
    assert f[60:].min() >= 4


def test_a_single_customer_scores_in_the_middle():
    r, f, m = rfm.scores([12], [3], [250.0])
    assert (r.tolist(), f.tolist(), m.tolist()) == ([3], [3], [3])
    assert rfm.segment(r[0], f[0], m[0]) == "need_attention"


def test_customers_who_are_all_alike_score_in_the_middle():
    r, f, m = rfm.scores([30] * 7, [2] * 7, [50.0] * 7)
    assert set(r) == set(f) == set(m) == {3}


def test_no_customers_give_no_scores():
    r, f, m = rfm.scores([], [], [])
    assert r.size == f.size == m.size == 0
    assert rfm.segments(r, f, m).size == 0


def test_negative_spend_after_returns_scores_lowest():
    _r, _f, m = rfm.scores([1, 2, 3, 4, 5], [1, 1, 1, 1, 1], [-20.0, 0.0, 10.0, 20.0, 30.0])
    assert m.tolist() == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "recency, frequency, monetary, words",
    [
        ([1, np.nan], [1, 2], [5.0, 6.0], "finite"),
        ([1, 2], [1, np.inf], [5.0, 6.0], "finite"),
        ([1, 2], [1, 2], ["a lot", 6.0], "numbers"),
        ([[1, 2]], [[1, 2]], [[5.0, 6.0]], "lists"),
        ([1, 2, 3], [1, 2], [5.0, 6.0], "same length"),
        ([1, -2], [1, 2], [5.0, 6.0], "cannot lie ahead"),
        ([1, 2], [1, -2], [5.0, 6.0], "Frequency must be 0 or more"),
    ],
)
def test_scores_refuse_invalid_input(recency, frequency, monetary, words):
    with pytest.raises(ClvError, match=words):
        rfm.scores(recency, frequency, monetary)


@pytest.mark.parametrize("scores", [(0, 3, 3), (3, 6, 3), (3, 3, 2.5), (3, 3, "5"), (3, 3, None)])
def test_segment_refuses_scores_outside_1_to_5(scores):
    with pytest.raises(ClvError, match="from 1 to 5"):
        rfm.segment(*scores)


def test_segments_refuse_scores_of_different_lengths():
    with pytest.raises(ClvError, match="same length"):
        rfm.segments([1, 2], [1, 2, 3], [1, 2])


def test_every_segment_has_a_label_and_a_description():
    assert set(rfm.SEGMENT_LABELS) == set(rfm.SEGMENTS) == set(rfm.SEGMENT_DESCRIPTIONS)
    labels = [str(label) for label in rfm.SEGMENT_LABELS.values()]
    assert len(set(labels)) == len(labels)
    assert all(str(text).endswith(".") for text in rfm.SEGMENT_DESCRIPTIONS.values())
