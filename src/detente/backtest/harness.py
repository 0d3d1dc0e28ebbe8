"""Run models on cases with known outcomes and score them: :func:`backtest`.

Models see only ``case.scenario.without_outcome()`` (or arrays built from it); the outcome is
read back from :class:`~detente.backtest.cases.Target` rows after the forecast, for scoring.

Batching. A model that declares ``issues_independent = True`` (a ClassVar: its forecast on an
issue depends only on that issue's column and the actors' per-actor data) and has
``forecast_arrays`` is run once per *group* of cases: cases whose shared actors agree on power,
presence, veto and walk-away utility are stacked side by side on the issue axis (an actor absent
from a case has no stake on its issues). Every other model runs case by case through
``forecast``. If a batched call fails, that group is rerun case by case so the failing case is
named. A model that fails on a case (too few issues, no convergence, a bug) gets that case
recorded with the reason; the backtest goes on.

Scoring and baselines: see :mod:`detente.backtest.metrics`. Two outcome-free baselines are scored
on the same issues: ``baseline:status_quo`` (the issue's status quo, where given) and
``baseline:mean_position`` (the plain, unweighted mean of the positions of actors with a stake).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..models.registry import get_model
from ..results import json_ready
from ..rng import as_generator, as_seed_sequence
from ..scenario.arrays import ScenarioArrays
from . import metrics
from .cases import Case

__all__ = ["BASELINES", "PREDICTION_COLUMNS", "BacktestResult", "backtest"]

#: Columns of :meth:`BacktestResult.to_frame`, one row per (model, case, scored issue).
PREDICTION_COLUMNS = (
    "model", "kind", "case", "issue", "scenario_issue", "prediction", "outcome", "low", "high",
    "scale_min", "scale_max", "status_quo", "mean_position", "error", "abs_error", "norm_error",
    "range_error", "norm_range_error", "in_range", "sq_abs_error", "mean_abs_error",
    "beats_status_quo", "beats_mean", "ex_ante", "confidence", "group", "cluster", "status",
    "reason",
)
BASELINES = ("baseline:status_quo", "baseline:mean_position")
BREAKDOWNS = ("ex_ante", "confidence", "group", "case")

Progress = Callable[[int, int, str], None]


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}".rstrip(": ")


# ------------------------------------------------------------------------------ result
@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Per-issue predictions and per-model accuracy of a backtest.

    Attributes
    ----------
    models : tuple of str
        Model names in run order (baselines not included).
    cases : tuple of str
        Case names.
    predictions : DataFrame
        See :data:`PREDICTION_COLUMNS` (use :meth:`to_frame`).
    failures : DataFrame
        ``model, case, reason``: one row per model and case it could not forecast.
    summaries : mapping of str to DataFrame
        ``"all"`` and one per breakdown in :data:`BREAKDOWNS` (use :meth:`summary`).
    seed_entropy : int
        Entropy of the seed (model draws and bootstrap), so the run can be repeated.
    n_boot, level : int, float
        Bootstrap settings.
    timings : mapping of str to float
        Seconds spent in each model's forecasts.
    """

    models: tuple[str, ...]
    cases: tuple[str, ...]
    predictions: pd.DataFrame
    failures: pd.DataFrame
    summaries: Mapping[str, pd.DataFrame]
    seed_entropy: int
    n_boot: int
    level: float
    timings: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "summaries", MappingProxyType(dict(self.summaries)))
        object.__setattr__(self, "timings", MappingProxyType(dict(self.timings)))

    def __reduce__(self):  # mappingproxy cannot be pickled; rebuild from plain dicts
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        kw["summaries"], kw["timings"] = dict(self.summaries), dict(self.timings)
        return (_rebuild, (type(self), kw))

    def to_frame(self) -> pd.DataFrame:
        """Per-issue predictions, one row per (model or baseline, case, scored issue).

        Columns (:data:`PREDICTION_COLUMNS`): ``model``; ``kind`` ("model" or "baseline");
        ``case``; ``issue`` (the scored row); ``scenario_issue``; ``prediction`` (NaN when the
        model failed or had no answer); ``outcome``, ``low``, ``high`` (real outcome and its
        defensible range); ``scale_min``, ``scale_max``; ``status_quo`` and ``mean_position``
        (the baselines' forecasts); ``error`` (prediction - outcome); ``abs_error``;
        ``norm_error`` (0-100); ``range_error`` and ``norm_range_error`` (0 inside the range);
        ``in_range``; ``sq_abs_error`` and ``mean_abs_error`` (the baselines' errors);
        ``beats_status_quo``, ``beats_mean`` (1/0, NaN when not comparable); ``ex_ante``,
        ``confidence``, ``group``, ``cluster``; ``status`` ("ok", "failed", "no forecast");
        ``reason``.
        """
        return self.predictions.copy()

    def summary(self, by: str | None = None) -> pd.DataFrame:
        """Accuracy per model (and per level of ``by``: ex_ante, confidence, group or case).

        Columns: ``model, kind, [by], n_issues, n_scored, n_failed, n_no_forecast, mae,
        mae_low, mae_high, mae_norm, mae_norm_low, mae_norm_high, mae_norm_macro (the mean over
        clusters of each cluster's normalised MAE, so one big case does not dominate),
        n_clusters, rmse, rmse_low, rmse_high,
        rmse_norm, range_mae_norm, range_mae_norm_low, range_mae_norm_high, in_range,
        n_status_quo, beats_status_quo, beats_status_quo_low, beats_status_quo_high, beats_mean,
        beats_mean_low, beats_mean_high``. ``*_low``/``*_high`` are bootstrap intervals at
        ``level`` that resample whole clusters. ``mae`` and ``rmse`` are on the issues' own
        scales (comparable only within one scale); ``*_norm`` are on 0-100.
        """
        key = "all" if by is None else by
        if key not in self.summaries:
            raise ScenarioError(f"{by!r} is not one of {', '.join(BREAKDOWNS)}", field="by")
        return self.summaries[key].copy()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (NaN as None): settings, summaries, failures, timings."""

        def recs(df: pd.DataFrame) -> list[dict[str, Any]]:
            out = []
            for row in df.to_dict(orient="records"):
                out.append({k: json_ready(v) for k, v in row.items()})
            return out

        return {
            "models": list(self.models),
            "cases": list(self.cases),
            "seed_entropy": self.seed_entropy,
            "n_boot": self.n_boot,
            "level": self.level,
            "summary": recs(self.summaries["all"]),
            "by": {k: recs(self.summaries[k]) for k in BREAKDOWNS},
            "failures": recs(self.failures),
            "timings_s": {k: json_ready(v) for k, v in self.timings.items()},
        }


def _rebuild(cls, kw):
    return cls(**kw)


# ------------------------------------------------------------------------------ running
def _resolve(models: Iterable[Any]) -> list[Any]:
    out = []
    for m in models:
        out.append(get_model(m) if isinstance(m, str) else m)
    names = [m.name for m in out]
    dup = sorted(k for k, c in Counter(names).items() if c > 1)
    if dup:
        raise ScenarioError(f"model {', '.join(dup)} is listed twice", field="models")
    if not out:
        raise ScenarioError("no models to run", field="models")
    return out


def _actor_data(a: ScenarioArrays) -> dict[str, tuple]:
    wu = a.walk_utility
    return {
        aid: (float(a.power[i]), bool(a.present[i]), bool(a.veto[i]),
              None if math.isnan(wu[i]) else float(wu[i]))
        for i, aid in enumerate(a.actors)
    }


def _groups(arrays: list[ScenarioArrays]) -> list[list[int]]:
    """Greedy groups of cases whose shared actors agree on every per-actor value."""
    groups: list[tuple[dict[str, tuple], list[int]]] = []
    for k, a in enumerate(arrays):
        mine = _actor_data(a)
        for table, members in groups:
            if all(table.get(aid, v) == v for aid, v in mine.items()):
                table.update(mine)
                members.append(k)
                break
        else:
            groups.append((dict(mine), [k]))
    return [members for _, members in groups]


def _stack(arrays: list[ScenarioArrays]) -> ScenarioArrays:
    """Cases side by side on the issue axis, actors aligned to their union."""
    actors: dict[str, tuple] = {}
    for a in arrays:
        for aid, v in _actor_data(a).items():
            actors.setdefault(aid, v)
    ids = list(actors)
    idx = {aid: i for i, aid in enumerate(ids)}
    n = len(ids)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "position", "salience", "stake", "red_low", "red_high", "has_red_line", "walk_position")}
    issues: list[str] = []
    for c, a in enumerate(arrays):
        m = a.n_issues
        rows = np.array([idx[aid] for aid in a.actors], dtype=int)
        pos = np.full((n, m), np.nan)
        sal = np.zeros((n, m))
        stake = np.zeros((n, m), dtype=bool)
        rl = np.broadcast_to(a.scale_min, (n, m)).copy()
        rh = np.broadcast_to(a.scale_max, (n, m)).copy()
        hr = np.zeros((n, m), dtype=bool)
        wp = np.full((n, m), np.nan)
        pos[rows] = a.position
        sal[rows] = a.salience
        stake[rows] = a.stake
        rl[rows] = a.red_low
        rh[rows] = a.red_high
        hr[rows] = a.has_red_line
        wp[rows] = a.walk_position
        for name, arr in zip(cols, (pos, sal, stake, rl, rh, hr, wp), strict=True):
            cols[name].append(arr)
        issues.extend(f"{c}:{i}" for i in a.issues)
    vals = list(actors.values())
    return ScenarioArrays(
        actors=tuple(ids),
        issues=tuple(issues),
        power=np.array([v[0] for v in vals]),
        present=np.array([v[1] for v in vals], dtype=bool),
        veto=np.array([v[2] for v in vals], dtype=bool),
        walk_utility=np.array([np.nan if v[3] is None else v[3] for v in vals]),
        scale_min=np.concatenate([a.scale_min for a in arrays]),
        scale_max=np.concatenate([a.scale_max for a in arrays]),
        status_quo=np.concatenate([a.status_quo for a in arrays]),
        **{k: np.concatenate(v, axis=1) for k, v in cols.items()},
    )


def _as_issue_vector(out: Any, n_issues: int) -> np.ndarray:
    o = np.asarray(out, dtype=float)
    if o.shape[-1:] != (n_issues,):
        raise ValueError(f"forecast has shape {o.shape}; expected (..., {n_issues})")
    if o.ndim > 1:  # a model returning draws: score their mean
        o = o.reshape(-1, n_issues).mean(axis=0)
    return o


def _run_model(model, cases: list[Case], inputs: list[ScenarioArrays], ss: np.random.SeedSequence,
               tick: Callable[[str], None]) -> tuple[dict[int, np.ndarray], dict[int, str]]:
    """Forecasts per case index (issue vectors in scenario order) and failure reasons."""
    preds: dict[int, np.ndarray] = {}
    fails: dict[int, str] = {}
    kids = ss.spawn(len(cases))

    def one(k: int) -> None:
        try:
            f = model.forecast(cases[k].model_input, rng=as_generator(kids[k]))
            preds[k] = _as_issue_vector(f.outcome, inputs[k].n_issues)
        except Exception as e:  # a model's failure on one case must not stop the backtest
            fails[k] = _first_line(e)

    batched = bool(getattr(type(model), "issues_independent", False)) and hasattr(model, "forecast_arrays")
    if not batched:
        for k in range(len(cases)):
            one(k)
            tick(cases[k].name)
        return preds, fails
    for members in _groups(inputs):
        try:
            stacked = _stack([inputs[k] for k in members])
            out = _as_issue_vector(model.forecast_arrays(stacked, rng=as_generator(kids[members[0]])),
                                   stacked.n_issues)
            start = 0
            for k in members:
                m = inputs[k].n_issues
                preds[k] = out[start:start + m]
                start += m
        except Exception:
            for k in members:
                one(k)
        for k in members:
            tick(cases[k].name)
    return preds, fails


def plan_units(models: Sequence[Any], cases: Sequence[Case]) -> int:
    """The number of progress ticks :func:`backtest` will report (one per model and case)."""
    return len(models) * len(cases)


def backtest(
    models: Iterable[Any],
    cases: Iterable[Case],
    *,
    seed: None | int | np.random.SeedSequence = 0,
    n_boot: int = 2000,
    level: float = 0.95,
    progress: Progress | None = None,
) -> BacktestResult:
    """Run every model on every case and score the forecasts against the real outcomes.

    Parameters
    ----------
    models : iterable of model instances or registry names
    cases : iterable of Case
        From :func:`~detente.backtest.cases.load_cases`, :func:`~detente.backtest.deu.read_deu` ...
    seed : None, int or SeedSequence
        Child 0 of ``SeedSequence(seed)`` drives the bootstrap (the same resamples for every
        model, so intervals are paired); child 1 + m drives model m, one grandchild per case.
    n_boot, level
        Bootstrap resamples and coverage.
    progress : callable(done, total, label), optional
        Called after each (model, case); ``label`` is ``"model: case"``.

    Returns
    -------
    BacktestResult

    Raises
    ------
    ScenarioError
        For no cases, no models, duplicate names or bad bootstrap settings. A model that fails
        on a case does not raise: the case is recorded in ``failures``.
    """
    models = _resolve(models)
    cases = list(cases)
    if not cases:
        raise ScenarioError("no cases to backtest", field="cases")
    names = [c.name for c in cases]
    dup = sorted(k for k, c in Counter(names).items() if c > 1)
    if dup:
        raise ScenarioError(f"case names must be unique (repeated: {', '.join(dup)})", field="cases")
    root = as_seed_sequence(seed)
    boot_ss, *model_ss = root.spawn(1 + len(models))
    inputs = [c.model_input.arrays() for c in cases]
    total = plan_units(models, cases)
    done = 0
    frames: list[pd.DataFrame] = []
    failures: list[dict[str, str]] = []
    timings: dict[str, float] = {}
    base = _baseline_frame(cases, inputs)
    for m, model in enumerate(models):
        def tick(label: str, _name=model.name) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total, f"{_name}: {label}")

        t0 = time.perf_counter()
        preds, fails = _run_model(model, cases, inputs, model_ss[m], tick)
        timings[model.name] = time.perf_counter() - t0
        frames.append(_score(model.name, "model", cases, inputs, preds, fails, base))
        failures.extend({"model": model.name, "case": cases[k].name, "reason": r}
                        for k, r in sorted(fails.items()))
    for b in BASELINES:
        col = "status_quo" if b.endswith("status_quo") else "mean_position"
        preds = {}
        start = 0
        for k in range(len(inputs)):
            preds[k] = base[col].to_numpy()[start:start + len(cases[k].targets)]
            start += len(cases[k].targets)
        frames.append(_score(b, "baseline", cases, inputs, preds, {}, base, by_target=True))
    pred = pd.concat(frames, ignore_index=True)[list(PREDICTION_COLUMNS)]
    summaries = {"all": _summarise(pred, None, boot_ss, n_boot, level)}
    for by in BREAKDOWNS:
        summaries[by] = _summarise(pred, by, boot_ss, n_boot, level)
    return BacktestResult(
        models=tuple(m.name for m in models),
        cases=tuple(names),
        predictions=pred,
        failures=pd.DataFrame(failures, columns=["model", "case", "reason"]),
        summaries=summaries,
        seed_entropy=int(root.entropy),  # type: ignore[arg-type]
        n_boot=int(n_boot),
        level=float(level),
        timings=timings,
    )


# ------------------------------------------------------------------------------ scoring
def _baseline_frame(cases: list[Case], inputs: list[ScenarioArrays]) -> pd.DataFrame:
    """One row per target: the outcome-free baseline forecasts."""
    rows = []
    for c, a in zip(cases, inputs, strict=True):
        for t in c.targets:
            j = a.issues.index(t.scenario_issue)
            x = a.position[:, j][a.stake[:, j]]
            rows.append({"status_quo": float(a.status_quo[j]),
                         "mean_position": float(x.mean()) if x.size else math.nan})
    return pd.DataFrame(rows, columns=["status_quo", "mean_position"])


def _score(name: str, kind: str, cases: list[Case], inputs: list[ScenarioArrays],
           preds: dict[int, np.ndarray], fails: dict[int, str], base: pd.DataFrame,
           *, by_target: bool = False) -> pd.DataFrame:
    recs = []
    for k, (c, a) in enumerate(zip(cases, inputs, strict=True)):
        for i, t in enumerate(c.targets):
            if k in fails:
                p, status, reason = math.nan, "failed", fails[k]
            else:
                v = preds[k][i] if by_target else preds[k][a.issues.index(t.scenario_issue)]
                p = float(v)
                status, reason = ("ok", "") if math.isfinite(p) else ("no forecast", "the model gave no value (NaN)")
            recs.append({"model": name, "kind": kind, "case": c.name, "issue": t.issue,
                         "scenario_issue": t.scenario_issue, "prediction": p, "outcome": t.outcome,
                         "low": t.low, "high": t.high, "scale_min": t.scale_min, "scale_max": t.scale_max,
                         "ex_ante": t.ex_ante, "confidence": t.confidence, "group": t.group,
                         "cluster": t.cluster or c.name, "status": status, "reason": reason})
    df = pd.DataFrame.from_records(recs)
    if df.empty:
        return pd.DataFrame(columns=list(PREDICTION_COLUMNS))
    df["status_quo"] = base["status_quo"].to_numpy()
    df["mean_position"] = base["mean_position"].to_numpy()
    p, y = df["prediction"].to_numpy(float), df["outcome"].to_numpy(float)
    smin, smax = df["scale_min"].to_numpy(float), df["scale_max"].to_numpy(float)
    df["error"] = p - y
    df["abs_error"] = metrics.abs_error(p, y)
    df["norm_error"] = metrics.normalised_error(p, y, smin, smax)
    df["range_error"] = metrics.range_error(p, df["low"].to_numpy(float), df["high"].to_numpy(float))
    df["norm_range_error"] = 100.0 * df["range_error"] / (smax - smin)
    df["in_range"] = np.where(np.isnan(p), np.nan, (df["range_error"].to_numpy() == 0).astype(float))
    df["sq_abs_error"] = metrics.abs_error(df["status_quo"].to_numpy(float), y)
    df["mean_abs_error"] = metrics.abs_error(df["mean_position"].to_numpy(float), y)
    df["beats_status_quo"] = metrics.beats(df["abs_error"].to_numpy(), df["sq_abs_error"].to_numpy())
    df["beats_mean"] = metrics.beats(df["abs_error"].to_numpy(), df["mean_abs_error"].to_numpy())
    if name == "baseline:status_quo":  # a baseline is not compared with itself
        df["beats_status_quo"] = np.nan
    if name == "baseline:mean_position":
        df["beats_mean"] = np.nan
    return df[list(PREDICTION_COLUMNS)]


def _summarise(pred: pd.DataFrame, by: str | None, ss: np.random.SeedSequence, n_boot: int,
               level: float) -> pd.DataFrame:
    keys = ["model", "kind"] + ([by] if by else [])
    col = {c: pred[c].to_numpy(float) for c in (
        "abs_error", "norm_error", "norm_range_error", "in_range", "beats_status_quo", "beats_mean")}
    status = pred["status"].to_numpy(str)
    cluster = pred["cluster"].to_numpy(str)
    rows = []
    for key, pos in pred.groupby(keys, sort=False, dropna=False).indices.items():
        key = key if isinstance(key, tuple) else (key,)
        ok = pos[status[pos] == "ok"]
        cl = cluster[ok]
        _, inv = np.unique(cl, return_inverse=True)
        n_cl = int(inv.max()) + 1 if inv.size else 0

        def ci(name, statistic="mean", _ok=ok, _cl=cl):
            v = col[name][_ok]
            keep = ~np.isnan(v)
            point = (metrics.rmse(v[keep]) if statistic == "rmse" else
                     (float(v[keep].mean()) if keep.any() else math.nan))
            if len(set(_cl[keep])) <= 1:  # one cluster: every resample is the whole sample
                return point, point, point
            lo, hi = metrics.bootstrap_ci(v, statistic=statistic, clusters=_cl, n_boot=n_boot,
                                          level=level, seed=ss)
            return point, lo, hi

        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        row["n_issues"] = len(pos)
        row["n_scored"] = len(ok)
        row["n_failed"] = int((status[pos] == "failed").sum())
        row["n_no_forecast"] = int((status[pos] == "no forecast").sum())
        for c, name in (("abs_error", "mae"), ("norm_error", "mae_norm")):
            row[name], row[f"{name}_low"], row[f"{name}_high"] = ci(c)
        if n_cl:
            per_cluster = np.bincount(inv, weights=col["norm_error"][ok]) / np.bincount(inv)
            row["mae_norm_macro"] = float(per_cluster.mean())
        else:
            row["mae_norm_macro"] = math.nan
        row["n_clusters"] = n_cl
        row["rmse"], row["rmse_low"], row["rmse_high"] = ci("abs_error", "rmse")
        row["rmse_norm"] = metrics.rmse(col["norm_error"][ok])
        row["range_mae_norm"], row["range_mae_norm_low"], row["range_mae_norm_high"] = ci("norm_range_error")
        row["in_range"] = metrics.share(col["in_range"][ok])
        row["n_status_quo"] = int((~np.isnan(col["beats_status_quo"][ok])).sum())
        for c in ("beats_status_quo", "beats_mean"):
            row[c], row[f"{c}_low"], row[f"{c}_high"] = ci(c)
        rows.append(row)
    return pd.DataFrame(rows)
