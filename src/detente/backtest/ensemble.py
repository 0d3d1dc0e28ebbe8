"""Point forecasts with honest intervals: a fitted ensemble and jackknife+ intervals by case.

Everything is on the 0-100 scale (``100 (x - min) / (max - min)`` per issue) and **out of
sample by case**: a case never takes part in the fit that scores it.

Ensemble
    ``ensemble = sum_m w_m f_m / sum_m w_m`` over the models that gave a forecast on the issue,
    with ``w_m proportional to 1 / MAE_m^2``, ``MAE_m`` the model's mean absolute error (0-100)
    averaged per case and then over the training cases (so a 13-issue case counts once). The
    models have no parameters fitted to outcomes, so each model's error on a case is already out
    of sample; only the weights are fitted, and for a held-out case they use the other cases.

Intervals: jackknife+ by case (Barber, Candès, Ramdas & Tibshirani 2021, Ann. Statist.
49(1), doi:10.1214/20-AOS1965), our own implementation. For held-out case c and every other
case j, the forecaster is refitted without c and j; ``R_j`` are case j's absolute residuals
under that fit and ``mu_j(x)`` its forecast for x. The interval at level ``1 - alpha`` is
``[q_alpha{mu_j(x) - R_j}, q_(1-alpha){mu_j(x) + R_j}]``, with each case weighted equally
(each of its issues ``1 / n_issues_j``) and the finite-sample level ``(1 - alpha)(1 + 1/n)``.
For a single model (nothing fitted) it is ``f(x) +- `` the quantile of the other cases'
absolute errors. The predictive distribution for PIT and CRPS is the weighted sample
``{mu_j(x) - R_j} U {mu_j(x) + R_j}`` clipped to the scale.

Why not MAPIE or crepes: both wrap an estimator with ``fit(X, y)``/``predict(X)`` on a feature
matrix and split or cross-validate rows. Our forecasters are models of a negotiation, not
regressors on features, the unit of exchangeability is the case (several correlated issues),
and n is about 50 cases: a leave-one-case-out jackknife+ with case weights is the design that
fits, and it is a few lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from .scores import crps_weighted, pit_values, weighted_quantile

__all__ = ["ENSEMBLE", "LEVELS", "PointTable", "ensemble_weights", "loo_point_forecasts",
           "point_table"]

ENSEMBLE = "ensemble"
LEVELS = (0.5, 0.8, 0.9)


@dataclass(frozen=True, slots=True)
class PointTable:
    """Forecasts and outcomes on 0-100, one row per scored issue.

    Attributes
    ----------
    models : tuple of str
    cases : tuple of str
        Case of each row (n_rows,).
    issues : tuple of str
    forecast : (n_rows, n_models)
        NaN where a model gave none.
    outcome : (n_rows,)
    """

    models: tuple[str, ...]
    cases: tuple[str, ...]
    issues: tuple[str, ...]
    forecast: np.ndarray
    outcome: np.ndarray

    def __post_init__(self) -> None:
        for name in ("forecast", "outcome"):
            a = np.array(getattr(self, name), dtype=float, copy=True)
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    def with_outcome(self, outcome: Sequence[float]) -> PointTable:
        """The same forecasts with other outcomes (for invariance tests)."""
        return PointTable(self.models, self.cases, self.issues, self.forecast,
                          np.asarray(outcome, dtype=float))


def point_table(predictions: pd.DataFrame, models: Sequence[str] | None = None) -> PointTable:
    """A :class:`PointTable` from :meth:`~detente.backtest.harness.BacktestResult.to_frame`.

    ``models`` defaults to every row with ``kind == "model"``; the row key is the case's
    ``cluster`` (the case) and the scored issue.
    """
    df = predictions
    if "kind" in df:
        df = df[df["kind"] == "model"]
    names = list(dict.fromkeys(df["model"])) if models is None else list(models)
    if not names:
        raise ScenarioError("no model predictions to score", field="models")
    key = ["cluster", "issue"]
    width = df["scale_max"] - df["scale_min"]
    df = df.assign(f=100.0 * (df["prediction"] - df["scale_min"]) / width,
                   y=100.0 * (df["outcome"] - df["scale_min"]) / width)
    # unstack keeps only the (case, issue) pairs that exist (a pivot would cross them)
    wide = df.groupby([*key, "model"], sort=True)["f"].first().unstack("model")
    wide = wide.reindex(columns=names)
    y = df.groupby(key, sort=True)["y"].first().reindex(wide.index)
    return PointTable(models=tuple(names), cases=tuple(str(c) for c, _ in wide.index),
                      issues=tuple(str(i) for _, i in wide.index), forecast=wide.to_numpy(float),
                      outcome=y.to_numpy(float))


def _case_index(cases: Sequence[str]) -> tuple[list[str], np.ndarray]:
    names = list(dict.fromkeys(cases))
    pos = {c: k for k, c in enumerate(names)}
    return names, np.array([pos[c] for c in cases])


def _case_errors(t: PointTable, idx: np.ndarray, n_cases: int) -> np.ndarray:
    """Mean absolute error (n_cases, n_models) per case and model, NaN where none."""
    err = np.abs(t.forecast - t.outcome[:, None])
    out = np.full((n_cases, len(t.models)), np.nan)
    for k in range(n_cases):
        rows = err[idx == k]
        ok = np.isfinite(rows)
        n = ok.sum(axis=0)
        s = np.where(ok, rows, 0.0).sum(axis=0)
        out[k] = np.where(n > 0, s / np.maximum(n, 1), np.nan)
    return out


def _weights_from(case_err: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Inverse squared macro MAE over the kept cases, normalised (0 for a model with no data)."""
    e = case_err[keep]
    ok = np.isfinite(e)
    n = ok.sum(axis=0)
    mae = np.where(n > 0, np.where(ok, e, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)
    w = np.where(np.isfinite(mae), 1.0 / np.maximum(mae, 1e-9) ** 2, 0.0)
    return w / w.sum() if w.sum() > 0 else w


def _combine(f: np.ndarray, w: np.ndarray) -> np.ndarray:
    ok = np.isfinite(f)
    ww = np.where(ok, w[None, :], 0.0)
    tot = ww.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (np.where(ok, f, 0.0) * ww).sum(axis=1) / tot, np.nan)


def ensemble_weights(t: PointTable) -> dict[str, float]:
    """The ensemble's weights fitted on every case (the published ones)."""
    names, idx = _case_index(t.cases)
    w = _weights_from(_case_errors(t, idx, len(names)), np.ones(len(names), dtype=bool))
    return {m: float(v) for m, v in zip(t.models, w, strict=True)}


def loo_point_forecasts(t: PointTable, *, levels: Sequence[float] = LEVELS,
                        ensemble: bool = True) -> pd.DataFrame:
    """Out-of-sample forecasts, jackknife+ intervals, PIT and CRPS for every model and the
    ensemble.

    Returns
    -------
    DataFrame, one row per (forecaster, scored issue): ``forecaster, case, issue, prediction,
    outcome, abs_error, pit, crps`` and ``low_<L>``, ``high_<L>``, ``covered_<L>`` per level
    (L in percent, e.g. ``low_90``). All on 0-100. A forecaster with no forecast on a row has
    NaN there.
    """
    names, idx = _case_index(t.cases)
    n_cases = len(names)
    if n_cases < 3:
        raise ScenarioError(f"needs at least 3 cases (got {n_cases})", field="cases")
    case_err = _case_errors(t, idx, n_cases)
    forecasters = list(t.models) + ([ENSEMBLE] if ensemble else [])
    rows_of = [np.flatnonzero(idx == k) for k in range(n_cases)]
    y = t.outcome
    out: list[dict] = []
    for fc in forecasters:
        m = None if fc == ENSEMBLE else t.models.index(fc)

        def predict(keep: np.ndarray, rows: np.ndarray, _m=m) -> np.ndarray:
            if _m is not None:
                return t.forecast[rows, _m]
            return _combine(t.forecast[rows], _weights_from(case_err, keep))

        for c in range(n_cases):
            test = rows_of[c]
            keep_c = np.ones(n_cases, dtype=bool)
            keep_c[c] = False
            point = predict(keep_c, test)
            lo_m: list[np.ndarray] = []
            hi_m: list[np.ndarray] = []
            wts: list[np.ndarray] = []
            for j in range(n_cases):
                if j == c:
                    continue
                keep = keep_c.copy()
                keep[j] = False
                rj = np.abs(y[rows_of[j]] - predict(keep, rows_of[j]))
                rj = rj[np.isfinite(rj)]
                if not rj.size:
                    continue
                mu = predict(keep, test)  # (n_test,)
                lo_m.append(mu[:, None] - rj[None, :])
                hi_m.append(mu[:, None] + rj[None, :])
                wts.append(np.full(rj.size, 1.0 / rj.size))
            n_eff = len(wts)
            for r_k, r in enumerate(test):
                rec = {"forecaster": fc, "case": names[c], "issue": t.issues[r],
                       "prediction": point[r_k], "outcome": y[r],
                       "abs_error": abs(point[r_k] - y[r])}
                if n_eff == 0 or not np.isfinite(point[r_k]):
                    rec.update({"pit": np.nan, "crps": np.nan})
                    for lv in levels:
                        tag = int(round(100 * lv))
                        rec.update({f"low_{tag}": np.nan, f"high_{tag}": np.nan,
                                    f"covered_{tag}": np.nan})
                    out.append(rec)
                    continue
                lo = np.concatenate([a[r_k] for a in lo_m])
                hi = np.concatenate([a[r_k] for a in hi_m])
                w = np.concatenate(wts)
                ok = np.isfinite(lo)
                lo, hi, w = lo[ok], hi[ok], w[ok]
                for lv in levels:
                    tag = int(round(100 * lv))
                    q = min(1.0, lv * (1.0 + 1.0 / n_eff))
                    a = float(np.clip(weighted_quantile(lo, w, 1.0 - q), 0.0, 100.0))
                    b = float(np.clip(weighted_quantile(hi, w, q), 0.0, 100.0))
                    rec.update({f"low_{tag}": a, f"high_{tag}": b,
                                f"covered_{tag}": float(a <= y[r] <= b)})
                members = np.clip(np.concatenate([lo, hi]), 0.0, 100.0)
                mw = np.concatenate([w, w])
                rec["pit"] = float(pit_values([y[r]], members[None, :], mw[None, :])[0])
                rec["crps"] = float(crps_weighted([y[r]], members[None, :], mw[None, :])[0])
                out.append(rec)
    return pd.DataFrame(out)
