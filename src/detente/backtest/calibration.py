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
The base rate is left-one-out too.
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
    DEFAULT_DRAWS,
    FEATURES,
    RATE_CLIP,
    DealModel,
    deal_features,
)
from .scores import log_loss, loo_base_rate

__all__ = [
    "C_GRID",
    "FIRMNESS_GRID",
    "LEVEL",
    "N_BOOT",
    "FeatureTable",
    "case_seed",
    "feature_table",
    "fit_deal_model",
    "loo_deal_forecasts",
]

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
    """

    cases: tuple[str, ...]
    deal: np.ndarray
    grid: tuple[float, ...]
    values: np.ndarray
    raw: np.ndarray
    notes: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        for name in ("deal", "values", "raw"):
            a = np.array(getattr(self, name), dtype=float, copy=True)
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "grid", tuple(float(g) for g in self.grid))

    def with_deal(self, deal: Sequence[float]) -> FeatureTable:
        """The same features with other outcomes (for invariance tests)."""
        return FeatureTable(self.cases, np.asarray(deal, dtype=float), self.grid, self.values,
                            self.raw, self.notes)

    def to_frame(self) -> pd.DataFrame:
        """One row per (firmness, case): ``firmness, case, deal, raw_structural_rate`` and the
        features."""
        rows = []
        for g, f in enumerate(self.grid):
            for i, c in enumerate(self.cases):
                rows.append({"firmness": f, "case": c, "deal": self.deal[i],
                             "raw_structural_rate": self.raw[g, i],
                             **dict(zip(FEATURES, self.values[g, i], strict=True))})
        return pd.DataFrame(rows)


def feature_table(
    scenarios: Sequence[Scenario],
    *,
    grid: Sequence[float] = FIRMNESS_GRID,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
) -> FeatureTable:
    """Features of every scenario that records ``outcome.deal``, on a firmness grid.

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
    values = np.empty((len(grid), len(kept), len(FEATURES)))
    raw = np.empty((len(grid), len(kept)))
    notes: list[tuple[str, ...]] = []
    for i, s in enumerate(kept):
        for g, f in enumerate(grid):
            ft = deal_features(s, firmness=float(f), seed=case_seed(seed, s.name), draws=draws)
            values[g, i] = ft.values
            raw[g, i] = ft.raw_structural_rate
        notes.append(ft.notes)
    return FeatureTable(tuple(names), deal, tuple(grid), values, raw, tuple(notes))


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
    model = DealModel(features=FEATURES, firmness=firm, veto_firmness=firm,
                      intercept=full.intercept, coef=full.coef, center=full.center,
                      boot=np.array(boot), level=level, meta=meta)
    return model, report


def loo_deal_forecasts(table: FeatureTable, *, c_grid: Sequence[float] = C_GRID) -> pd.DataFrame:
    """Nested leave-one-case-out deal probabilities.

    Returns
    -------
    DataFrame, one row per case: ``case, deal, probability`` (the calibrated model, nested LOO),
    ``base_rate`` (LOO), ``raw_structural_rate`` (at the firmness chosen for that fold),
    ``hard_rate`` (the raw rate with hard red lines, firmness 1, if on the grid, else NaN),
    ``firmness``, ``C``.
    """
    n = len(table.cases)
    y = table.deal
    base = loo_base_rate(y)
    hard = table.grid.index(1.0) if 1.0 in table.grid else None
    rows = []
    for i in range(n):
        others = np.flatnonzero(np.arange(n) != i)
        if y[others].min() == y[others].max():
            p, g, c = float(base[i]), len(table.grid) - 1, float("nan")
        else:
            g, c, _ = _select(table, others, c_grid)
            p = float(_fit(table.values[g][others], y[others], c).predict(table.values[g][i:i + 1])[0])
        rows.append({
            "case": table.cases[i], "deal": y[i], "probability": p, "base_rate": base[i],
            "raw_structural_rate": table.raw[g, i],
            "hard_rate": table.raw[hard, i] if hard is not None else np.nan,
            "firmness": table.grid[g], "C": c,
        })
    return pd.DataFrame(rows)
