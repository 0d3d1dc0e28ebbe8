"""Probability and distribution scores: hand computations, scikit-learn and scoringrules."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scoringrules as sr
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sk_log_loss

from detente.backtest import scores
from detente.errors import ScenarioError

P = np.array([0.9, 0.2, 0.6, 0.5, 0.05])
Y = np.array([1, 0, 0, 1, 0])


def test_brier_by_hand_and_sklearn():
    hand = (0.1**2 + 0.2**2 + 0.6**2 + 0.5**2 + 0.05**2) / 5
    assert scores.brier_score(P, Y) == pytest.approx(hand)
    assert scores.brier_score(P, Y) == pytest.approx(brier_score_loss(Y, P))


def test_log_loss_by_hand_and_sklearn():
    hand = -(math.log(0.9) + math.log(0.8) + math.log(0.4) + math.log(0.5) + math.log(0.95)) / 5
    assert scores.log_loss(P, Y) == pytest.approx(hand)
    assert scores.log_loss(P, Y) == pytest.approx(sk_log_loss(Y, P))


def test_log_loss_of_a_certain_miss_is_large_not_infinite():
    assert scores.log_loss([0.0], [1]) == pytest.approx(-math.log(1e-15))


def test_brier_skill_against_loo_base_rate():
    base = scores.loo_base_rate(Y)
    # Y sums to 2 over 5 cases: a deal case sees 1/4, a no-deal case 2/4
    assert base.tolist() == [0.25, 0.5, 0.5, 0.25, 0.5]
    ref = float(np.mean((base - Y) ** 2))
    assert scores.brier_skill_score(P, Y, base) == pytest.approx(1 - scores.brier_score(P, Y) / ref)
    assert scores.brier_skill_score(base, Y, base) == pytest.approx(0.0)


def test_reliability_and_ece_by_hand():
    rel = scores.reliability_table(P, Y, n_bins=2)
    # bin [0, .5): 0.2, 0.05 -> mean .125, observed 0; bin [.5, 1]: .9, .6, .5 -> .6667, 2/3
    assert rel["n"].tolist() == [2, 3]
    assert rel["mean_forecast"].tolist() == pytest.approx([0.125, 2.0 / 3.0])
    assert rel["observed_rate"].tolist() == pytest.approx([0.0, 2.0 / 3.0])
    assert scores.expected_calibration_error(P, Y, n_bins=2) == pytest.approx(2 / 5 * 0.125)


def test_bad_probabilities_name_the_field():
    with pytest.raises(ScenarioError, match="probabilities"):
        scores.brier_score([1.2], [1])
    with pytest.raises(ScenarioError, match="outcomes"):
        scores.log_loss([0.5], [2])


def test_coverage_counts_closed_intervals():
    assert scores.interval_coverage([1, 2, 3, 4], [1, 0, 3.5, 0], [1, 1, 4, 4]) == 0.5


def test_weighted_quantile():
    assert scores.weighted_quantile([3, 1, 2], [1, 1, 1], 0.5) == 2
    assert scores.weighted_quantile([1, 2], [3, 1], 0.75) == 1
    assert scores.weighted_quantile([1, 2], [3, 1], 0.76) == 2


def test_crps_matches_scoringrules_and_a_point_forecast():
    x = np.array([[10.0, 20.0, 35.0, 50.0]])
    w = np.array([[0.1, 0.4, 0.3, 0.2]])
    ours = scores.crps_weighted([30.0], x, w)
    ref = sr.crps_ensemble(np.array([30.0]), x, ens_w=w)
    assert ours[0] == pytest.approx(float(np.asarray(ref)[0]))
    # a one-member ensemble is the absolute error
    assert scores.crps_weighted([3.0], [[7.0]])[0] == pytest.approx(4.0)


def test_pit_mid_value_and_histogram():
    pit = scores.pit_values([2.0, 0.0, 5.0], [[1, 2, 3, 4]] * 3)
    assert pit.tolist() == pytest.approx([0.375, 0.0, 1.0])
    assert scores.pit_histogram(pit, n_bins=2).tolist() == [2, 1]


def test_case_bootstrap_is_reproducible_and_brackets_the_mean():
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    a = scores.case_bootstrap(lambda ix: float(v[ix].mean()), 5, n_boot=300, seed=3)
    b = scores.case_bootstrap(lambda ix: float(v[ix].mean()), 5, n_boot=300, seed=3)
    assert a == b
    assert a[0] < 3.0 < a[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 1)), min_size=1, max_size=30))
def test_brier_and_log_loss_agree_with_sklearn(pairs):
    p = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    assert 0.0 <= scores.brier_score(p, y) <= 1.0
    assert scores.brier_score(p, y) == pytest.approx(brier_score_loss(y, p, pos_label=1), abs=1e-12)
    q = np.clip(p, 1e-15, 1 - 1e-15)
    assert scores.log_loss(p, y) == pytest.approx(sk_log_loss(y, q, labels=[0, 1]), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=1, max_size=12), st.floats(0, 100))
def test_crps_is_non_negative_and_matches_scoringrules(members, obs):
    x = np.array([members])
    ours = scores.crps_weighted([obs], x)[0]
    assert ours >= -1e-9
    assert ours == pytest.approx(float(np.asarray(sr.crps_ensemble(np.array([obs]), x))[0]), abs=1e-7)
