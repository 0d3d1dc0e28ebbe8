"""The nested leave-one-case-out deal forecasts: the batched solver against scikit-learn.

``loo_deal_forecasts`` fits tens of thousands of tiny logistic regressions in one array call
(:func:`detente.backtest.calibration._fit_folds`); the published fit (``fit_deal_model``) uses
scikit-learn. Both must solve the same problem: the leave-one-out probabilities agree with
tightly solved scikit-learn fits to 1e-9, and the nested forecasts equal a plain loop over them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.backtest import calibration as cal
from detente.backtest.calibration import FeatureTable, loo_deal_forecasts
from detente.backtest.scores import log_loss, loo_base_rate


def _table(n: int = 14, seed: int = 3, with_nan: bool = True) -> FeatureTable:
    rng = np.random.default_rng(seed)
    deal = (rng.uniform(size=n) < 0.55).astype(float)
    deal[:2] = (1.0, 0.0)
    x = rng.normal(size=(2, n, 4)) + 0.8 * deal[None, :, None]
    x[1] *= 1.5
    if with_nan:
        x[:, 3, 3] = np.nan  # a case without walk-away values
    return FeatureTable(tuple(f"c{i}" for i in range(n)), deal, (0.5, 1.0), x,
                        rng.uniform(size=(2, n)))


def _sk_fit(x: np.ndarray, y: np.ndarray, c: float):
    """scikit-learn on the same standardised problem, solved tightly (its default tolerance
    stops up to about 1e-4 away in probability)."""
    from sklearn.linear_model import LogisticRegression

    center = np.array([np.nanmean(col) for col in x.T])
    xf = np.where(np.isnan(x), center, x)
    sd = xf.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    m = LogisticRegression(C=c, solver="newton-cholesky", tol=1e-12).fit((xf - center) / sd, y.astype(int))
    coef = m.coef_[0] / sd
    return m.intercept_[0] - np.sum(coef * center), coef, center


def _sk_prob(fit, row: np.ndarray) -> float:
    b, w, center = fit
    return float(1.0 / (1.0 + np.exp(-(b + np.where(np.isnan(row), center, row) @ w))))


def _sk_loo(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    out = np.full(len(y), np.nan)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        if y[keep].min() != y[keep].max():
            out[i] = _sk_prob(_sk_fit(x[keep], y[keep], c), x[i])
    return out


@pytest.mark.parametrize("c", [0.03, 0.3, 1.0])
def test_batched_loo_matches_scikit_learn(c):
    t = _table()
    x = t.values[1]
    np.testing.assert_allclose(cal._loo_fast(x, t.deal, c), _sk_loo(x, t.deal, c), rtol=0, atol=1e-9)


def _slow_nested(t: FeatureTable, c_grid) -> pd.DataFrame:
    """The nested procedure written as loops over scikit-learn fits."""
    n = len(t.cases)
    y = t.deal
    base = loo_base_rate(y)
    rows = []
    for i in range(n):
        others = np.flatnonzero(np.arange(n) != i)
        best = None
        for g in range(len(t.grid)):
            for c in c_grid:
                p = _sk_loo(t.values[g][others], y[others], c)
                ok = np.isfinite(p)
                ll = log_loss(p[ok], y[others][ok])
                if best is None or ll < best[0] - 1e-12:
                    best = (ll, g, c)
        _, g, c = best
        p = _sk_prob(_sk_fit(t.values[g][others], y[others], c), t.values[g][i])
        rows.append({"case": t.cases[i], "probability": p, "base_rate": base[i],
                     "firmness": t.grid[g], "C": c})
    return pd.DataFrame(rows)


def test_nested_forecasts_match_the_loop_over_scikit_learn():
    t = _table()
    grid = (0.1, 1.0)
    fast = loo_deal_forecasts(t, c_grid=grid)
    slow = _slow_nested(t, grid)
    assert list(fast["firmness"]) == list(slow["firmness"])
    assert list(fast["C"]) == list(slow["C"])
    np.testing.assert_allclose(fast["probability"], slow["probability"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast["base_rate"], slow["base_rate"])


def test_feature_subset_uses_only_those_columns():
    t = _table(with_nan=False)
    sub = loo_deal_forecasts(t, c_grid=(1.0,), features=t.features[:2])
    # the same as a table that only ever had those two columns
    narrow = FeatureTable(t.cases, t.deal, t.grid, t.values[:, :, :2], t.raw, (), t.features[:2])
    np.testing.assert_array_equal(sub["probability"], loo_deal_forecasts(narrow, c_grid=(1.0,))["probability"])
    assert not np.allclose(sub["probability"], loo_deal_forecasts(t, c_grid=(1.0,))["probability"])


def test_unknown_feature_is_named():
    with pytest.raises(ValueError, match="no_such_feature"):
        loo_deal_forecasts(_table(), features=["no_such_feature"])
