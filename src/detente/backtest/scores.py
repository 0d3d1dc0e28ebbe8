"""Scores for probability forecasts and predictive distributions: pure functions on arrays.

Probabilities of a deal (``p`` in [0, 1] against ``y`` in {0, 1}):

* :func:`brier_score` ``mean((p - y)^2)`` (Brier 1950);
* :func:`log_loss` ``-mean(y log p + (1 - y) log(1 - p))``, with ``p`` clipped to
  ``[eps, 1 - eps]`` (``eps`` 1e-15, as scikit-learn did), so a forecast of exactly 0 that
  went wrong costs about 34.5 rather than infinity;
* :func:`brier_skill_score` ``1 - BS(p) / BS(reference)`` against a reference forecast (the
  base rate, itself left-one-out: :func:`loo_base_rate`);
* :func:`reliability_table` and :func:`expected_calibration_error` over equal-width bins
  (ECE = sum over bins of ``n_b / n * |mean p_b - mean y_b|``; Naeini et al. 2015).

Predictive distributions of a point forecast, given as weighted samples ("members") per row
(0-100 scale):

* :func:`crps_weighted` ``E|X - y| - E|X - X'| / 2`` (Gneiting & Raftery 2007, eq. 21), exact
  for the weighted empirical distribution (the same as ``scoringrules.crps_ensemble`` with
  ``ens_w`` and the default "qd" estimator);
* :func:`pit_values` the mid-PIT ``F(y-) + (F(y) - F(y-)) / 2`` and :func:`pit_histogram`;
* :func:`weighted_quantile` (inverse of the weighted empirical CDF, lower).

:func:`case_bootstrap` gives percentile intervals of any statistic by resampling whole cases.

References: Brier, G. W. (1950), Mon. Weather Rev. 78(1), doi:10.1175/1520-0493(1950)078<0001:VOFEIT>2.0.CO;2;
Gneiting, T. & Raftery, A. E. (2007), JASA 102(477), doi:10.1198/016214506000001437;
Naeini, M. P., Cooper, G. & Hauskrecht, M. (2015), AAAI, doi:10.1609/aaai.v29i1.9602.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..rng import as_generator

__all__ = [
    "LOG_LOSS_EPS",
    "brier_score",
    "brier_skill_score",
    "case_bootstrap",
    "crps_weighted",
    "expected_calibration_error",
    "interval_coverage",
    "log_loss",
    "loo_base_rate",
    "pit_histogram",
    "pit_values",
    "reliability_table",
    "weighted_quantile",
]

LOG_LOSS_EPS = 1e-15


def _prob(p, y) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if p.shape != y.shape:
        raise ScenarioError(f"{p.size} probabilities but {y.size} outcomes", field="outcomes")
    if p.size == 0:
        raise ScenarioError("no forecasts to score", field="probabilities")
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ScenarioError("probabilities must be finite and lie in [0, 1]", field="probabilities")
    if np.any((y != 0) & (y != 1)):
        raise ScenarioError("outcomes must be 0 or 1", field="outcomes")
    return p, y


def brier_score(p, y) -> float:
    """Mean squared difference between probability and outcome (0 best, 1 worst)."""
    p, y = _prob(p, y)
    return float(np.mean((p - y) ** 2))


def log_loss(p, y, *, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood of the outcomes (natural log), p clipped to [eps, 1-eps]."""
    p, y = _prob(p, y)
    q = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(q) + (1.0 - y) * np.log1p(-q)))


def brier_skill_score(p, y, reference) -> float:
    """``1 - BS(p) / BS(reference)``: 0 = as good as the reference, 1 = perfect, < 0 worse."""
    ref = brier_score(reference, y)
    if ref == 0:
        return float("nan")
    return 1.0 - brier_score(p, y) / ref


def loo_base_rate(y) -> np.ndarray:
    """Each case's base rate from the other cases: ``(sum(y) - y_i) / (n - 1)``.

    Raises
    ------
    ScenarioError
        For fewer than two outcomes.
    """
    y = np.asarray(y, dtype=float).ravel()
    if y.size < 2:
        raise ScenarioError(f"needs at least two outcomes (got {y.size})", field="outcomes")
    return (y.sum() - y) / (y.size - 1)


def _bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    if isinstance(n_bins, bool) or int(n_bins) < 1:
        raise ScenarioError(f"must be a positive integer (got {n_bins!r})", field="n_bins")
    # bins [0, 1/k), ..., [(k-1)/k, 1]: p = 1 falls in the last one
    return np.minimum((p * n_bins).astype(int), n_bins - 1)


def reliability_table(p, y, *, n_bins: int = 5) -> pd.DataFrame:
    """Reliability diagram data over ``n_bins`` equal-width bins of [0, 1].

    Returns
    -------
    DataFrame with columns ``bin_low, bin_high, n, mean_forecast, observed_rate`` (one row per
    bin, empty bins with n = 0 and NaN means).
    """
    p, y = _prob(p, y)
    b = _bins(p, n_bins)
    rows = []
    for k in range(n_bins):
        m = b == k
        rows.append({
            "bin_low": k / n_bins, "bin_high": (k + 1) / n_bins, "n": int(m.sum()),
            "mean_forecast": float(p[m].mean()) if m.any() else np.nan,
            "observed_rate": float(y[m].mean()) if m.any() else np.nan,
        })
    return pd.DataFrame(rows, columns=["bin_low", "bin_high", "n", "mean_forecast", "observed_rate"])


def expected_calibration_error(p, y, *, n_bins: int = 5) -> float:
    """``sum_b n_b / n * |mean p_b - mean y_b|`` over equal-width bins."""
    p, y = _prob(p, y)
    b = _bins(p, n_bins)
    sp = np.bincount(b, weights=p, minlength=n_bins)
    sy = np.bincount(b, weights=y, minlength=n_bins)
    return float(np.abs(sp - sy).sum() / p.size)


def interval_coverage(y, low, high) -> float:
    """Share of outcomes inside their closed interval ``[low, high]``."""
    y, lo, hi = (np.asarray(v, dtype=float).ravel() for v in (y, low, high))
    if not y.size:
        return float("nan")
    return float(np.mean((y >= lo) & (y <= hi)))


def _members(members, weights) -> tuple[np.ndarray, np.ndarray]:
    x = np.atleast_2d(np.asarray(members, dtype=float))
    w = np.ones_like(x) if weights is None else np.broadcast_to(
        np.asarray(weights, dtype=float), x.shape)
    if np.any(w < 0) or np.any(w.sum(axis=-1) <= 0):
        raise ScenarioError("weights must be >= 0 with a positive sum per row", field="weights")
    return x, w / w.sum(axis=-1, keepdims=True)


def weighted_quantile(values, weights, q: float) -> float:
    """The lower ``q``-quantile of a weighted sample: the smallest v with F(v) >= q."""
    v = np.asarray(values, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    if v.size == 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    cw = np.cumsum(w[order]) / w.sum()
    k = int(np.searchsorted(cw, min(max(q, 0.0), 1.0) - 1e-12, side="left"))
    return float(v[order][min(k, v.size - 1)])


def crps_weighted(obs, members, weights=None) -> np.ndarray:
    """CRPS of weighted empirical predictive distributions, one per row.

    Parameters
    ----------
    obs : (n,)
    members : (n, m) samples of each row's predictive distribution
    weights : (n, m) or (m,), optional (normalised per row)

    Returns
    -------
    (n,) CRPS, in the units of ``obs``.
    """
    x, w = _members(members, weights)
    y = np.asarray(obs, dtype=float).reshape(-1, 1)
    term1 = (w * np.abs(x - y)).sum(axis=-1)
    # sum_ij w_i w_j |x_i - x_j| = 2 sum_k w_k x_k (C_(k-1) + C_k - 1) over sorted members,
    # C_k the cumulative weight: O(m log m) instead of m^2 pairs
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    ws = np.take_along_axis(w, order, axis=-1)
    c = np.cumsum(ws, axis=-1)
    term2 = 2.0 * (ws * xs * (c - ws + c - 1.0)).sum(axis=-1)
    return term1 - 0.5 * term2


def pit_values(obs, members, weights=None) -> np.ndarray:
    """Mid-PIT per row: ``F(y-) + (F(y) - F(y-)) / 2`` of the weighted empirical CDF."""
    x, w = _members(members, weights)
    y = np.asarray(obs, dtype=float).reshape(-1, 1)
    below = (w * (x < y)).sum(axis=-1)
    at = (w * (x == y)).sum(axis=-1)
    return below + 0.5 * at


def pit_histogram(pit, *, n_bins: int = 10) -> np.ndarray:
    """Counts of PIT values in ``n_bins`` equal bins of [0, 1] (flat = calibrated)."""
    v = np.asarray(pit, dtype=float).ravel()
    return np.bincount(_bins(np.clip(v, 0.0, 1.0), n_bins), minlength=n_bins)


def case_bootstrap(
    statistic: Callable[[np.ndarray], float],
    n_cases: int,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: None | int | np.random.SeedSequence | np.random.Generator = 0,
) -> tuple[float, float]:
    """Percentile interval of ``statistic(idx)`` over resamples of case indices.

    ``statistic`` receives an int array of ``n_cases`` case indices drawn with replacement and
    returns a float (NaN results are dropped). Resampling whole cases keeps the issues of one
    negotiation together (Davison & Hinkley 1997, sec. 3.8).
    """
    if not 0.0 < level < 1.0:
        raise ScenarioError(f"must lie in (0, 1) (got {level})", field="level")
    if isinstance(n_boot, bool) or int(n_boot) < 1:
        raise ScenarioError(f"must be a positive integer (got {n_boot!r})", field="n_boot")
    if n_cases < 1:
        return float("nan"), float("nan")
    rng = as_generator(seed)
    idx = rng.integers(0, n_cases, size=(int(n_boot), n_cases))
    stats = np.array([statistic(row) for row in idx], dtype=float)
    stats = stats[np.isfinite(stats)]
    if not stats.size:
        return float("nan"), float("nan")
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(stats, [a, 1.0 - a])
    return float(lo), float(hi)
