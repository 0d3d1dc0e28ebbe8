"""Inverse-CDF sampling against scipy.stats (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from detente.uncertainty.distributions import Beta, Discrete, Triangular, TruncNormal, Uniform

U = np.linspace(0.0005, 0.9995, 2001)


@pytest.mark.parametrize(
    "dist, oracle",
    [
        (TruncNormal(50, 10, 0, 100), stats.truncnorm(-5, 5, loc=50, scale=10)),
        (TruncNormal(95, 10, 0, 100), stats.truncnorm(-9.5, 0.5, loc=95, scale=10)),
        (TruncNormal(0, 10, 0, 100), stats.truncnorm(0, 10, loc=0, scale=10)),
        (TruncNormal(5, 1, 8, 9), stats.truncnorm(3, 4, loc=5, scale=1)),  # both bounds in the right tail
        (TruncNormal(60, 20, 0, np.inf), stats.truncnorm(-3, np.inf, loc=60, scale=20)),
        (Uniform(-np.pi, np.pi), stats.uniform(-np.pi, 2 * np.pi)),
        (Triangular(10, 30, 90), stats.triang((30 - 10) / 80, loc=10, scale=80)),
        (Beta(2, 5, 10, 20), stats.beta(2, 5, loc=10, scale=10)),
    ],
)
def test_ppf_matches_scipy(dist, oracle):
    np.testing.assert_allclose(dist.ppf(U), oracle.ppf(U), rtol=1e-9, atol=1e-9)


def test_truncation_is_not_clipping():
    """A position at the scale's edge with sd 10: draws stay inside without a spike on the bound."""
    d = TruncNormal(100, 10, 0, 100)
    x = d.ppf(np.random.default_rng(0).random(200_000))
    assert x.max() <= 100 and x.min() >= 0
    # clipping would put half the draws exactly on 100; truncation puts (almost) none there
    assert np.mean(x >= 99.999) < 0.001
    # and the draws follow the truncated normal (Kolmogorov-Smirnov)
    assert stats.kstest(x, stats.truncnorm(-10, 0, loc=100, scale=10).cdf).pvalue > 0.01


def test_discrete_weights():
    d = Discrete((1.0, 2.0, 3.0), (1.0, 2.0, 1.0))
    x = d.ppf(np.random.default_rng(1).random(100_000))
    shares = [np.mean(x == v) for v in (1.0, 2.0, 3.0)]
    np.testing.assert_allclose(shares, [0.25, 0.5, 0.25], atol=0.01)
    assert set(np.unique(x)) == {1.0, 2.0, 3.0}
