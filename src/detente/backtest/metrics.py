"""Accuracy metrics for backtests: pure functions on arrays, no I/O, no hidden randomness.

Every function takes plain arrays of one value per scored issue. NaN predictions (a model with
no answer on an issue) are the caller's business: drop them first, or use the ``*_nan`` helpers
that report how many were dropped.

Conventions
-----------
* error on the issue's scale: ``|prediction - outcome|``;
* normalised error: the same on a 0-100 scale, ``100 |prediction - outcome| / (max - min)``, so
  issues with different scales (years, 0-10, 0-100) can be pooled;
* range error: the distance from the prediction to the defensible range ``[low, high]`` of the
  real outcome, 0 inside it;
* "beats": the model's error is strictly smaller than the baseline's (a tie is not a win);
* bootstrap confidence intervals resample whole clusters (cases, or DEU proposals) when
  ``clusters`` is given, because issues of one negotiation share coders and context and their
  errors are correlated; with ``clusters=None`` every issue is its own cluster.

References: Achen (2006), ch. 10 of Thomson et al. (eds.) *The European Union Decides* (mean
absolute error on the 0-100 scale as the headline accuracy measure); Efron & Tibshirani (1993),
*An Introduction to the Bootstrap*, ch. 13 (percentile interval) and Davison & Hinkley (1997),
*Bootstrap Methods and their Application*, sec. 3.8 (resampling clusters).
"""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..rng import as_generator

__all__ = [
    "abs_error",
    "beats",
    "bootstrap_ci",
    "mae",
    "normalised_error",
    "range_error",
    "rmse",
    "share",
]

_TIE_ATOL = 1e-9


def _f(a) -> np.ndarray:
    return np.asarray(a, dtype=float)


def abs_error(prediction, outcome) -> np.ndarray:
    """``|prediction - outcome|`` elementwise, on the issue's own scale."""
    return np.abs(_f(prediction) - _f(outcome))


def normalised_error(prediction, outcome, scale_min, scale_max) -> np.ndarray:
    """Absolute error as a share of the scale width, times 100 (a 0-100 scale).

    Raises
    ------
    ScenarioError
        When a scale has no width (max <= min).
    """
    width = _f(scale_max) - _f(scale_min)
    if np.any(~(width > 0)):
        bad = width[~(width > 0)].ravel()[0] if np.ndim(width) else width
        raise ScenarioError(f"scale width must be positive (got {bad:g})", field="scale_max")
    return 100.0 * abs_error(prediction, outcome) / width


def range_error(prediction, low, high) -> np.ndarray:
    """Distance from the prediction to the interval ``[low, high]``; 0 inside it."""
    p, lo, hi = _f(prediction), _f(low), _f(high)
    return np.maximum(lo - p, 0.0) + np.maximum(p - hi, 0.0)


def mae(errors) -> float:
    """Mean absolute error (the mean of already-absolute errors); NaN for no values."""
    e = _f(errors)
    return float(np.abs(e).mean()) if e.size else float("nan")


def rmse(errors) -> float:
    """Root mean squared error; NaN for no values."""
    e = _f(errors)
    return float(np.sqrt(np.mean(e * e))) if e.size else float("nan")


def beats(model_error, baseline_error, *, atol: float = _TIE_ATOL) -> np.ndarray:
    """1.0 where the model's error is smaller than the baseline's by more than ``atol``,
    0.0 otherwise (ties count as no win), NaN where the baseline has no forecast."""
    m, b = _f(model_error), _f(baseline_error)
    out = (m < b - atol).astype(float)
    return np.where(np.isnan(b) | np.isnan(m), np.nan, out)


def share(flags) -> float:
    """Mean of 0/1 flags ignoring NaN; NaN when nothing is left."""
    f = _f(flags)
    f = f[~np.isnan(f)]
    return float(f.mean()) if f.size else float("nan")


def _cluster_sums(values: np.ndarray, clusters) -> tuple[np.ndarray, np.ndarray]:
    if clusters is None:
        return values, np.ones_like(values)
    labels = np.asarray(clusters)
    if labels.shape != values.shape:
        raise ScenarioError(
            f"clusters has shape {labels.shape} but values have shape {values.shape}",
            field="clusters",
        )
    _, inv = np.unique(labels, return_inverse=True)
    sums = np.bincount(inv, weights=values)
    counts = np.bincount(inv).astype(float)
    return sums, counts


def bootstrap_ci(
    values,
    *,
    statistic: str = "mean",
    clusters=None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: None | int | np.random.SeedSequence | np.random.Generator = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of a mean-type statistic.

    Parameters
    ----------
    values : (n,) array
        One value per issue: absolute errors (``statistic="mean"`` gives the MAE CI), signed or
        absolute errors (``"rmse"``), or 0/1 flags (``"mean"`` gives a share's CI). NaN values
        are dropped first (with their cluster labels).
    statistic : {"mean", "rmse"}
    clusters : (n,) array of labels, optional
        Resample whole clusters with replacement; the statistic of a resample is the pooled one
        over the issues of the drawn clusters (sum over clusters / count over clusters).
    n_boot : int
        Number of resamples (all drawn in one array call).
    level : float
        Coverage in (0, 1).
    seed : None, int, SeedSequence or Generator
        Goes through :func:`detente.rng.as_generator`; the same seed and cluster count give the
        same resamples, so models scored on the same issues get paired intervals.

    Returns
    -------
    (low, high) : floats; (NaN, NaN) for no values.
    """
    if statistic not in ("mean", "rmse"):
        raise ScenarioError(f"{statistic!r} is not one of 'mean', 'rmse'", field="statistic")
    if not 0.0 < level < 1.0:
        raise ScenarioError(f"must lie in (0, 1) (got {level})", field="level")
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 1:
        raise ScenarioError(f"must be a positive integer (got {n_boot!r})", field="n_boot")
    v = _f(values).ravel()
    keep = ~np.isnan(v)
    if clusters is not None:
        clusters = np.asarray(clusters).ravel()
        if clusters.shape != v.shape:
            raise ScenarioError(
                f"clusters has {clusters.size} labels but there are {v.size} values", field="clusters"
            )
        clusters = clusters[keep]
    v = v[keep]
    if v.size == 0:
        return float("nan"), float("nan")
    x = v * v if statistic == "rmse" else v
    sums, counts = _cluster_sums(x, clusters)
    rng = as_generator(seed)
    idx = rng.integers(0, sums.size, size=(int(n_boot), sums.size))
    stat = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    if statistic == "rmse":
        stat = np.sqrt(stat)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(stat, [alpha, 1.0 - alpha])
    return float(lo), float(hi)
