"""Metric functions against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.backtest import metrics
from detente.errors import ScenarioError


def test_abs_and_normalised_error():
    pred, y = [1.0, 5.0, 10.0], [2.0, 5.0, 6.0]
    np.testing.assert_array_equal(metrics.abs_error(pred, y), [1.0, 0.0, 4.0])
    # widths 10, 10, 20: 100 * [1/10, 0, 4/20]
    np.testing.assert_allclose(metrics.normalised_error(pred, y, [0, 0, 0], [10, 10, 20]), [10.0, 0.0, 20.0])
    # a 4..10 scale (years): 100 * 1.5 / 6 = 25
    assert metrics.normalised_error(7.0, 8.5, 4.0, 10.0) == pytest.approx(25.0)


def test_normalised_error_rejects_empty_scale():
    with pytest.raises(ScenarioError, match="scale width"):
        metrics.normalised_error([1.0], [2.0], [5.0], [5.0])


def test_mae_rmse():
    e = [1.0, 0.0, 4.0]
    assert metrics.mae(e) == pytest.approx(5.0 / 3.0)
    assert metrics.rmse(e) == pytest.approx(math.sqrt(17.0 / 3.0))
    assert math.isnan(metrics.mae([])) and math.isnan(metrics.rmse([]))


def test_range_error_zero_inside():
    np.testing.assert_array_equal(
        metrics.range_error([1.0, 5.0, 10.0, 6.0], [2.0, 4.0, 6.0, 6.0], [3.0, 6.0, 8.0, 6.0]),
        [1.0, 0.0, 2.0, 0.0],
    )


def test_beats_and_share():
    b = metrics.beats([1.0, 2.0, 3.0, 1.0], [2.0, 2.0, 1.0, np.nan])
    np.testing.assert_array_equal(b[:3], [1.0, 0.0, 0.0])  # a tie is no win
    assert np.isnan(b[3])
    assert metrics.share(b) == pytest.approx(1.0 / 3.0)
    assert math.isnan(metrics.share([np.nan]))


def test_bootstrap_constant_values_give_a_point_interval():
    lo, hi = metrics.bootstrap_ci([3.0, 3.0, 3.0, 3.0], seed=1)
    assert lo == pytest.approx(3.0) and hi == pytest.approx(3.0)


def test_bootstrap_resamples_clusters_not_issues():
    # one cluster: every resample is the whole cluster, so the interval is the point 5
    lo, hi = metrics.bootstrap_ci([0.0, 10.0], clusters=["a", "a"], n_boot=500, seed=0)
    assert (lo, hi) == pytest.approx((5.0, 5.0))
    # issue-level resampling of the same values spreads to the extremes 0 and 10
    lo, hi = metrics.bootstrap_ci([0.0, 10.0], n_boot=2000, seed=0)
    assert (lo, hi) == pytest.approx((0.0, 10.0))


def test_bootstrap_rmse_and_nan_dropping():
    # all errors 2 except a NaN (dropped): rmse of [2, 2, 2] is 2 in every resample
    lo, hi = metrics.bootstrap_ci([2.0, -2.0, np.nan, 2.0], statistic="rmse", seed=3)
    assert (lo, hi) == pytest.approx((2.0, 2.0))
    assert all(math.isnan(v) for v in metrics.bootstrap_ci([np.nan], seed=0))


def test_bootstrap_is_seeded():
    v = np.arange(20.0)
    a = metrics.bootstrap_ci(v, seed=11)
    assert a == metrics.bootstrap_ci(v, seed=11)
    assert a != metrics.bootstrap_ci(v, seed=12)
    lo, hi = a
    assert lo < v.mean() < hi


@pytest.mark.parametrize(
    "kw, field",
    [({"level": 1.0}, "level"), ({"n_boot": 0}, "n_boot"), ({"statistic": "median"}, "statistic"),
     ({"clusters": ["a"]}, "clusters")],
)
def test_bootstrap_rejects_bad_settings(kw, field):
    with pytest.raises(ScenarioError) as e:
        metrics.bootstrap_ci([1.0, 2.0], **kw)
    assert e.value.field == field
