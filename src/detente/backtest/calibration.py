"""Fitting the deal-probability model on the case library, and its out-of-sample forecasts.

The model (:mod:`detente.uncertainty.deal_model`) is ``P(deal) = sigmoid(b0 + b . x)`` on four
structural features ``x``. Two things are fitted here, both by **leave-one-case-out log loss**:

1. the default **firmness** of red lines (and of absent veto holders' consent), on the grid
   :data:`FIRMNESS_GRID` (features are computed once per case and grid value: they never read
   an outcome);
2. the L2 penalty ``C`` of scikit-learn's ``LogisticRegression`` (features standardised on the
   training cases), on :data:`C_GRID`.

Then the coefficients are refitted on every case, and :data:`N_BOOT` case-bootstrap refits at
the chosen firmness and C give their uncertainty (a resample with one class only is redrawn).

Out-of-sample forecasts (:func:`loo_deal_forecasts`) are **nested**: for held-out case i the
firmness and C are chosen by leave-one-out on the other cases only, the coefficients fitted on
them, and case i predicted. Case i's outcome never takes part in the fit that scores it.
The base rate is left-one-out too. The nested loops need about n^2 x grid fits (47,040 on the
library); one scikit-learn call each took two minutes, so they are solved as arrays
(:func:`_fit_folds`, the same objective, checked against scikit-learn in the tests), and the
fit without cases {i, j} serves the inner loops of both i and j.

The table may hold any of :data:`~detente.uncertainty.deal_model.CANDIDATE_FEATURES`; a fit uses
the table's features (or the subset asked for). :data:`MODEL_FEATURES` are those the next fit of
the shipped model uses.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..rng import as_generator
from ..scenario.schema import Scenario
from ..uncertainty.deal_model import (
    CANDIDATE_FEATURES,
    DEFAULT_DRAWS,
    FEATURES,
    RATE_CLIP,
    SIMULATOR_FEATURE,
    DealModel,
    deal_features,
    simulator_deal_rate,
)
from . import scores
from .scores import log_loss, loo_base_rate

__all__ = [
    "C_GRID",
    "FIRMNESS_GRID",
    "LEVEL",
    "MODEL_FEATURES",
    "N_BOOT",
    "FeatureTable",
    "case_seed",
    "feature_table",
    "fit_deal_model",
    "loo_deal_forecasts",
]

#: the features the next fit of the shipped model uses (``scripts/fit_deal_model.py``): the four
#: structural ones and the simulator's deal rate, adopted because the pre-specified nested
#: leave-one-case-out comparison improved both log loss and Brier score (``docs/accuracy.md``)
MODEL_FEATURES = CANDIDATE_FEATURES
FIRMNESS_GRID = (0.25, 0.5, 0.7, 0.85, 1.0)
C_GRID = (0.03, 0.1, 0.3, 1.0)
N_BOOT = 200
LEVEL = 0.9


def case_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The seed of one case's Monte Carlo draws: from the run's seed and the case's name only,
    so a case's features never depend on which other cases are scored with it."""
    return np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(name.encode("utf-8")),))


@dataclass(frozen=True, slots=True)
class FeatureTable:
    """Deal features of the library cases on a firmness grid (no outcome enters them).

    Attributes
    ----------
    cases : tuple of str
    deal : (n_cases,) float 0/1
    grid : tuple of float
        Firmness values.
    values : (n_grid, n_cases, n_features)
    raw : (n_grid, n_cases)
        Raw structural rate per firmness and case.
    notes : tuple of tuple of str
        Per case, the notes of its features (at the last grid value).
    features : tuple of str
        The names of the last axis of ``values`` (default :data:`FEATURES`).
    """

    cases: tuple[str, ...]
    deal: np.ndarray
    grid: tuple[float, ...]
    values: np.ndarray
    raw: np.ndarray
    notes: tuple[tuple[str, ...], ...] = ()
    features: tuple[str, ...] = FEATURES

    def __post_init__(self) -> None:
        for name in ("deal", "values", "raw"):
            a = np.array(getattr(self, name), dtype=float, copy=True)
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "grid", tuple(float(g) for g in self.grid))
        object.__setattr__(self, "features", tuple(self.features))
        if self.values.ndim != 3 or self.values.shape[2] != len(self.features):
            raise ScenarioError(f"values have shape {self.values.shape}; the last axis must "
                                f"match the {len(self.features)} features", field="values")

    def with_deal(self, deal: Sequence[float]) -> FeatureTable:
        """The same features with other outcomes (for invariance tests)."""
        return FeatureTable(self.cases, np.asarray(deal, dtype=float), self.grid, self.values,
                            self.raw, self.notes, self.features)

    def to_frame(self) -> pd.DataFrame:
        """One row per (firmness, case): ``firmness, case, deal, raw_structural_rate`` and the
        features."""
        rows = []
        for g, f in enumerate(self.grid):
            for i, c in enumerate(self.cases):
                rows.append({"firmness": f, "case": c, "deal": self.deal[i],
                             "raw_structural_rate": self.raw[g, i],
                             **dict(zip(self.features, self.values[g, i], strict=True))})
        return pd.DataFrame(rows)


def feature_table(
    scenarios: Sequence[Scenario],
    *,
    grid: Sequence[float] = FIRMNESS_GRID,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    features: Sequence[str] = FEATURES,
) -> FeatureTable:
    """Features of every scenario that records ``outcome.deal``, on a firmness grid.

    ``features`` may include the candidate ``simulator_deal_rate``: it does not depend on the
    firmness, so the simulator runs once per case.

    Raises
    ------
    ScenarioError
        When fewer than 3 scenarios record a deal flag, or only one outcome occurs.
    """
    kept = [s for s in scenarios if s.outcome is not None and s.outcome.deal is not None]
    if len(kept) < 3:
        raise ScenarioError(f"needs at least 3 cases with outcome.deal (got {len(kept)})",
                            field="outcome.deal")
    names = [s.name for s in kept]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScenarioError(f"case names must be unique (repeated: {', '.join(dup)})", field="cases")
    deal = np.array([1.0 if s.outcome.deal else 0.0 for s in kept])  # type: ignore[union-attr]
    if deal.min() == deal.max():
        raise ScenarioError("every case has the same outcome; nothing to fit", field="outcome.deal")
    features = tuple(features)
    structural = tuple(f for f in features if f != SIMULATOR_FEATURE)
    values = np.empty((len(grid), len(kept), len(features)))
    raw = np.empty((len(grid), len(kept)))
    notes: list[tuple[str, ...]] = []
    for i, s in enumerate(kept):
        ss = case_seed(seed, s.name)
        for g, f in enumerate(grid):
            ft = deal_features(s, firmness=float(f), seed=ss, draws=draws, features=structural)
            row = ft.as_dict()
            values[g, i] = [row.get(name, np.nan) for name in features]
            raw[g, i] = ft.raw_structural_rate
        case_notes = list(ft.notes)
        if SIMULATOR_FEATURE in features:
            # the same stream deal_features would use for it
            sim = simulator_deal_rate(s, seed=case_seed(seed, s.name), notes=case_notes)
            values[:, i, features.index(SIMULATOR_FEATURE)] = sim
        notes.append(tuple(case_notes))
    return FeatureTable(tuple(names), deal, tuple(grid), values, raw, tuple(notes), features)


# ----------------------------------------------------------------------------- fitting
@dataclass(frozen=True, slots=True)
class _Fit:
    intercept: float
    coef: np.ndarray
    center: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.where(np.isnan(x), self.center, x)
        z = self.intercept + x @ self.coef
        return np.exp(-np.logaddexp(0.0, -z))


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> _Fit:
    """L2 logistic regression on standardised features, returned in the features' own units."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    center = np.array([np.nanmean(col) if np.isfinite(col).any() else 0.0 for col in x.T])
    xf = np.where(np.isnan(x), center, x)
    sd = xf.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = (xf - center) / sd
    m = LogisticRegression(C=float(c), solver="newton-cholesky").fit(z, y.astype(int))
    coef = m.coef_[0] / sd
    intercept = float(m.intercept_[0] - np.sum(coef * center))
    return _Fit(intercept, coef, center)


def _loo(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """Leave-one-out probabilities (n,) of a fit at penalty c (NaN where the rest has one class)."""
    n = len(y)
    out = np.full(n, np.nan)
    for i in range(n):
        keep = np.arange(n) != i
        if y[keep].min() == y[keep].max():
            continue
        out[i] = _fit(x[keep], y[keep], c).predict(x[i:i + 1])[0]
    return out


def _select(table: FeatureTable, idx: np.ndarray, grid_c: Sequence[float]
            ) -> tuple[int, float, pd.DataFrame]:
    """Grid index of the firmness and the C with the lowest LOO log loss on cases ``idx``
    (ties: the first in grid order)."""
    y = table.deal[idx]
    rows = []
    best: tuple[float, int, float] | None = None
    for g, f in enumerate(table.grid):
        x = table.values[g][idx]
        for c in grid_c:
            p = _loo(x, y, c)
            ok = np.isfinite(p)
            ll = log_loss(p[ok], y[ok]) if ok.any() else math.inf
            rows.append({"firmness": f, "C": c, "loo_log_loss": ll})
            if best is None or ll < best[0] - 1e-12:
                best = (ll, g, c)
    assert best is not None
    return best[1], best[2], pd.DataFrame(rows)


def _resample(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """A case bootstrap resample with both outcomes present (redrawn otherwise)."""
    n = len(y)
    for _ in range(1000):
        idx = rng.integers(0, n, n)
        if y[idx].min() != y[idx].max():
            return idx
    raise ScenarioError("could not draw a bootstrap resample with both outcomes", field="cases")


def fit_deal_model(
    table: FeatureTable,
    *,
    c_grid: Sequence[float] = C_GRID,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = 0,
) -> tuple[DealModel, dict[str, Any]]:
    """Choose firmness and C by LOO log loss on every case, fit, and bootstrap the fit.

    Returns
    -------
    model : DealModel
    report : dict
        ``selection`` (LOO log loss per firmness and C: used to choose, so optimistic as a
        score), ``firmness``, ``C``, ``n_cases``, ``n_deal``.
    """
    idx = np.arange(len(table.cases))
    g, c, sel = _select(table, idx, c_grid)
    x = table.values[g]
    y = table.deal
    full = _fit(x, y, c)
    rng = as_generator(seed)
    boot = []
    for _ in range(int(n_boot)):
        r = _resample(rng, y)
        fb = _fit(x[r], y[r], c)
        boot.append([fb.intercept, *fb.coef])
    firm = table.grid[g]
    report = {
        "firmness": firm, "C": float(c), "n_cases": int(len(y)), "n_deal": int(y.sum()),
        "selection": sel.to_dict(orient="records"),
    }
    meta = {
        "cases": list(table.cases), "n_cases": int(len(y)), "n_deal": int(y.sum()),
        "C": float(c), "firmness_grid": list(table.grid), "C_grid": [float(v) for v in c_grid],
        "n_boot": int(n_boot), "seed": int(seed), "rate_clip": list(RATE_CLIP),
        "selection_loo_log_loss": sel.to_dict(orient="records"),
        "selection_note": "leave-one-case-out log loss used to choose firmness and C; it is "
                          "optimistic as a score (the nested figures are in docs/accuracy.md)",
    }
    model = DealModel(features=table.features, firmness=firm, veto_firmness=firm,
                      intercept=full.intercept, coef=full.coef, center=full.center,
                      boot=np.array(boot), level=level, meta=meta)
    return model, report


def _fit_folds(x: np.ndarray, y: np.ndarray, mask: np.ndarray, c: float, fit: np.ndarray, *,
               tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many L2 logistic regressions at once, one per fold of training rows.

    The objective of each fold is scikit-learn's (and :func:`_fit`'s): on features standardised
    over the fold's rows (NaN filled with the fold's mean), minimise ``0.5 |w|^2 + c sum_i
    log(1 + exp(-s_i (b + z_i . w)))`` with the intercept ``b`` unpenalised. Solved by Newton's
    method with step halving, all folds in one array call: the nested leave-one-out needs
    tens of thousands of tiny fits, and one scikit-learn call per fit costs far more than the
    arithmetic (a test checks the two agree).

    Every fold iterates on its own and stops at its own convergence, and the batch holds every
    fold whatever the outcomes: a fold's numbers then depend on its own rows only, bit for bit,
    so changing one case's outcome cannot move a fit that leaves that case out.

    Parameters
    ----------
    x : (n, k) features (NaN allowed); y : (n,) 0/1
    mask : (n_folds, n) bool, the training rows of each fold
    c : float
    fit : (n_folds,) bool, the folds to fit (each must hold both outcomes); the others keep
        zero coefficients

    Returns
    -------
    intercept (n_folds,), coef (n_folds, k) in the features' own units, center (n_folds, k)
    """
    m = mask.astype(float)
    n_folds, n = m.shape
    k = x.shape[1]
    finite = np.isfinite(x)
    x0 = np.where(finite, x, 0.0)
    seen = np.einsum("fn,nk->fk", m, finite.astype(float))
    center = np.where(seen > 0, np.einsum("fn,nk->fk", m, x0) / np.maximum(seen, 1.0), 0.0)
    xf = np.where(finite[None], x0[None], center[:, None, :])  # (n_folds, n, k)
    cnt = m.sum(axis=1)[:, None]
    sd = np.sqrt(np.einsum("fn,fnk->fk", m, (xf - center[:, None, :]) ** 2) / cnt)
    sd = np.where(sd > 0, sd, 1.0)
    a = np.concatenate([np.ones((n_folds, n, 1)), (xf - center[:, None, :]) / sd[:, None, :]], axis=2)
    pen = np.r_[0.0, np.ones(k)]
    cm = float(c) * m

    def objective(theta: np.ndarray) -> np.ndarray:
        z = np.einsum("fnj,fj->fn", a, theta)
        return 0.5 * (pen * theta**2).sum(axis=1) + (cm * (np.logaddexp(0.0, z) - y * z)).sum(axis=1)

    theta = np.zeros((n_folds, k + 1))
    f0 = objective(theta)
    active = np.asarray(fit, dtype=bool).copy()
    for _ in range(max_iter):
        p = np.exp(-np.logaddexp(0.0, -np.einsum("fnj,fj->fn", a, theta)))
        grad = np.einsum("fnj,fn->fj", a, cm * (p - y)) + pen * theta
        active &= np.abs(grad).max(axis=1) >= tol
        if not active.any():
            break
        hess = np.einsum("fnj,fn,fnl->fjl", a, cm * p * (1.0 - p), a) + np.diag(pen)
        step = np.where(active[:, None], np.linalg.solve(hess, grad[..., None])[..., 0], 0.0)
        t = np.ones(n_folds)
        for _halve in range(40):  # Newton may overshoot far from the optimum: halve until better
            new = theta - t[:, None] * step
            f1 = objective(new)
            worse = active & (f1 > f0 + 1e-12 * np.abs(f0))
            if not worse.any():
                break
            t = np.where(worse, 0.5 * t, t)
        theta = np.where(active[:, None], new, theta)
        f0 = np.where(active, f1, f0)
    coef = theta[:, 1:] / sd
    intercept = theta[:, 0] - (coef * center).sum(axis=1)
    return intercept, coef, center


def _predict_rows(x: np.ndarray, rows: np.ndarray, intercept: np.ndarray, coef: np.ndarray,
                  center: np.ndarray) -> np.ndarray:
    """P(deal) of row ``rows[f]`` under fold f's fit (NaN features take the fold's mean)."""
    xr = x[rows]
    xr = np.where(np.isnan(xr), center, xr)
    z = intercept + (xr * coef).sum(axis=1)
    return np.exp(-np.logaddexp(0.0, -z))


def _two_class(y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Whether each fold's training rows hold both outcomes."""
    deals = (mask * y).sum(axis=1)
    return (deals > 0) & (deals < mask.sum(axis=1))


def _loo_fast(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """Leave-one-out probabilities (n,) as :func:`_loo`, all folds fitted at once."""
    n = len(y)
    mask = ~np.eye(n, dtype=bool)
    ok = _two_class(y, mask)
    b, w, ctr = _fit_folds(x, y, mask, c, ok)
    return np.where(ok, _predict_rows(x, np.arange(n), b, w, ctr), np.nan)


def _pair_loo(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """``P[i, j]``: probability of case j from the fit without cases i and j (NaN on the diagonal
    and where the other cases have one outcome only).

    Row i is the inner leave-one-out of the outer fold that holds out case i; the fit without
    {i, j} serves both row i and row j, so n(n-1)/2 fits give all n inner loops.
    """
    n = len(y)
    iu, ju = np.triu_indices(n, 1)
    mask = np.ones((len(iu), n), dtype=bool)
    folds = np.arange(len(iu))
    mask[folds, iu] = False
    mask[folds, ju] = False
    ok = _two_class(y, mask)
    b, w, ctr = _fit_folds(x, y, mask, c, ok)
    out = np.full((n, n), np.nan)
    out[iu, ju] = np.where(ok, _predict_rows(x, ju, b, w, ctr), np.nan)
    out[ju, iu] = np.where(ok, _predict_rows(x, iu, b, w, ctr), np.nan)
    return out


def _columns(table: FeatureTable, features: Sequence[str] | None) -> list[int]:
    names = list(table.features) if features is None else list(features)
    unknown = [f for f in names if f not in table.features]
    if unknown or not names:
        raise ScenarioError(f"unknown or no features {unknown or names}; the table has "
                            f"{', '.join(table.features)}", field="features")
    return [table.features.index(f) for f in names]


def loo_deal_forecasts(table: FeatureTable, *, c_grid: Sequence[float] = C_GRID,
                       features: Sequence[str] | None = None) -> pd.DataFrame:
    """Nested leave-one-case-out deal probabilities.

    For held-out case i, the firmness and C are the pair with the lowest leave-one-out log loss
    on the other cases (ties: the first in grid order), the coefficients are fitted on those
    cases and case i is predicted: its outcome enters nothing that scores it.

    Parameters
    ----------
    table : FeatureTable
    c_grid : sequence of float
    features : sequence of str, optional
        Columns of ``table`` the model uses (default: all of them).

    Returns
    -------
    DataFrame, one row per case: ``case, deal, probability`` (the calibrated model, nested LOO),
    ``base_rate`` (LOO), ``raw_structural_rate`` (at the firmness chosen for that fold),
    ``hard_rate`` (the raw rate with hard red lines, firmness 1, if on the grid, else NaN),
    ``firmness``, ``C``.
    """
    cols = _columns(table, features)
    n = len(table.cases)
    y = table.deal
    base = loo_base_rate(y)
    hard = table.grid.index(1.0) if 1.0 in table.grid else None
    grid = [(g, float(c)) for g in range(len(table.grid)) for c in c_grid]  # the search order
    outer = np.empty((len(grid), n))
    inner_ll = np.empty((len(grid), n))
    off = ~np.eye(n, dtype=bool)
    for k, (g, c) in enumerate(grid):
        x = table.values[g][:, cols]
        outer[k] = _loo_fast(x, y, c)
        pair = _pair_loo(x, y, c)
        q = np.clip(pair, scores.LOG_LOSS_EPS, 1.0 - scores.LOG_LOSS_EPS)
        loss = -(y[None, :] * np.log(q) + (1.0 - y[None, :]) * np.log1p(-q))
        ok = off & np.isfinite(pair)
        cnt = ok.sum(axis=1)
        with np.errstate(invalid="ignore"):
            inner_ll[k] = np.where(cnt > 0, np.where(ok, loss, 0.0).sum(axis=1) / np.maximum(cnt, 1),
                                   math.inf)
    rows = []
    for i in range(n):
        others = np.flatnonzero(np.arange(n) != i)
        if y[others].min() == y[others].max():
            p, g, c = float(base[i]), len(table.grid) - 1, float("nan")
        else:
            best = 0
            for k in range(1, len(grid)):
                if inner_ll[k, i] < inner_ll[best, i] - 1e-12:
                    best = k
            (g, c), p = grid[best], float(outer[best, i])
        rows.append({
            "case": table.cases[i], "deal": y[i], "probability": p, "base_rate": base[i],
            "raw_structural_rate": table.raw[g, i],
            "hard_rate": table.raw[hard, i] if hard is not None else np.nan,
            "firmness": table.grid[g], "C": c,
        })
    return pd.DataFrame(rows)
