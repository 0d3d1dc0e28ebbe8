"""The scored track record: deal probabilities and point forecasts, all out of sample.

:func:`score_cases` is what ``detente backtest`` calls (through
:func:`detente.service.backtest_scores`, which hands it the backtest's forecasts). It

1. computes the deal features of every case that records ``outcome.deal`` and makes nested
   leave-one-case-out deal probabilities (:mod:`detente.backtest.calibration`), next to the
   left-one-out base rate and the raw structural rates (soft and hard red lines);
2. runs the registered models on every case with issue outcomes (the backtest harness, unless
   its forecasts are given), and makes leave-one-case-out ensemble forecasts and jackknife+ intervals
   (:mod:`detente.backtest.ensemble`);
3. scores them: Brier score, log loss, Brier skill against the LOO base rate, reliability
   table, expected calibration error; MAE, coverage of the 50/80/90% intervals, PIT histogram
   and CRPS per model and for the ensemble; percentile intervals from resampling whole cases.

A case's own outcome never enters the forecast that scores it (a test changes one case's
outcome and checks that case's forecasts do not move). Too few cases to fit out of sample is
not an error: that part is left out and the summary's ``notes`` say why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..results import json_ready
from ..rng import as_seed_sequence
from ..uncertainty.deal_model import DEFAULT_DRAWS
from . import scores
from .calibration import C_GRID, FIRMNESS_GRID, feature_table, loo_deal_forecasts
from .cases import Case
from .ensemble import ENSEMBLE, LEVELS, ensemble_weights, loo_point_forecasts, point_table

__all__ = ["DEAL_FORECASTERS", "TrackRecord", "score_cases", "score_deals", "score_points"]

#: columns of the per-case deal frame that are probability forecasts, best first
DEAL_FORECASTERS = ("probability", "base_rate", "raw_structural_rate", "hard_rate")
N_BINS = 5


@dataclass(frozen=True, slots=True)
class TrackRecord:
    """Out-of-sample scores of the deal probability and the point forecasts.

    Attributes
    ----------
    deal : DataFrame
        One row per case with a deal flag (see :func:`~.calibration.loo_deal_forecasts`).
    points : DataFrame
        One row per forecaster and scored issue (see :func:`~.ensemble.loo_point_forecasts`).
    summary : mapping
        The JSON summary (:meth:`to_dict`).
    reliability : DataFrame
        Reliability diagram data of the calibrated deal probability.
    weights : mapping of str to float
        The ensemble's weights fitted on every case.
    seed_entropy : int
    """

    deal: pd.DataFrame
    points: pd.DataFrame
    summary: Mapping[str, Any]
    reliability: pd.DataFrame
    weights: Mapping[str, float] = field(default_factory=dict)
    seed_entropy: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "deal", self.deal.copy())
        object.__setattr__(self, "points", self.points.copy())
        object.__setattr__(self, "reliability", self.reliability.copy())
        object.__setattr__(self, "summary", MappingProxyType(dict(self.summary)))
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))

    def __reduce__(self) -> tuple[Any, ...]:  # mappingproxy cannot be pickled
        kw = {f: getattr(self, f) for f in ("deal", "points", "reliability", "seed_entropy")}
        kw["summary"], kw["weights"] = dict(self.summary), dict(self.weights)
        return (_rebuild, (kw,))

    def to_frame(self, kind: Literal["deal", "points", "reliability"] = "deal") -> pd.DataFrame:
        """``"deal"``: per case; ``"points"``: per forecaster and issue; ``"reliability"``."""
        frames = {"deal": self.deal, "points": self.points, "reliability": self.reliability}
        if kind not in frames:
            raise ScenarioError(f"unknown kind {kind!r}; one of deal, points, reliability",
                                field="kind")
        return frames[kind].copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with top-level ``brier``, ``log_loss``, ``brier_skill``, ``ece``
        (the calibrated deal probability), ``coverage`` (per nominal level) and ``crps`` (the
        ensemble; None where not scored), then ``intervals``, ``deal`` and ``points`` (per
        forecaster), ``reliability``, ``pit_histogram`` (the ensemble's), ``ensemble_weights``,
        ``features``, ``settings``, ``failures`` and ``notes`` (what could not be scored, and
        why)."""
        return dict(json_ready(dict(self.summary)))


def _rebuild(kw: dict[str, Any]) -> TrackRecord:
    return TrackRecord(**kw)


def _mean_ci(values: np.ndarray, clusters: np.ndarray, n_boot: int, seed: Any) -> list[float]:
    ok = np.isfinite(values)
    if not ok.any():
        return [float("nan"), float("nan")]
    from .metrics import bootstrap_ci

    return list(bootstrap_ci(values[ok], clusters=clusters[ok], n_boot=n_boot, seed=seed))


def score_deals(deal: pd.DataFrame, *, n_boot: int = 1000, seed: Any = 0,
                n_bins: int = N_BINS) -> tuple[dict[str, Any], pd.DataFrame]:
    """Scores of every deal forecaster in ``deal`` (from :func:`loo_deal_forecasts`).

    Returns the summary per forecaster (``brier``, ``log_loss``, ``brier_skill``, ``ece`` and
    their case-bootstrap intervals) and the calibrated model's reliability table.
    """
    y = deal["deal"].to_numpy(float)
    ref = deal["base_rate"].to_numpy(float)
    n = len(y)
    out: dict[str, Any] = {}
    for name in DEAL_FORECASTERS:
        if name not in deal or deal[name].isna().all():
            continue
        p = deal[name].to_numpy(float)

        def bss(ix: np.ndarray, _p=p) -> float:
            return scores.brier_skill_score(_p[ix], y[ix], ref[ix])

        def ece(ix: np.ndarray, _p=p) -> float:
            return scores.expected_calibration_error(_p[ix], y[ix], n_bins=n_bins)

        sq = (p - y) ** 2
        q = np.clip(p, scores.LOG_LOSS_EPS, 1 - scores.LOG_LOSS_EPS)
        ll = -(y * np.log(q) + (1 - y) * np.log1p(-q))
        ids = np.arange(n)
        out[name] = {
            "brier": scores.brier_score(p, y),
            "log_loss": scores.log_loss(p, y),
            "brier_skill": scores.brier_skill_score(p, y, ref),
            "ece": scores.expected_calibration_error(p, y, n_bins=n_bins),
            "min": float(p.min()), "max": float(p.max()),
            "intervals": {
                "brier": _mean_ci(sq, ids, n_boot, seed),
                "log_loss": _mean_ci(ll, ids, n_boot, seed),
                "brier_skill": list(scores.case_bootstrap(bss, n, n_boot=n_boot, seed=seed)),
                "ece": list(scores.case_bootstrap(ece, n, n_boot=n_boot, seed=seed)),
            },
        }
    rel = scores.reliability_table(deal["probability"].to_numpy(float), y, n_bins=n_bins)
    return out, rel


def score_points(points: pd.DataFrame, *, levels: Sequence[float] = LEVELS,
                 n_boot: int = 1000, seed: Any = 0) -> dict[str, Any]:
    """MAE, coverage per level, CRPS and PIT histogram per forecaster (0-100), with
    case-bootstrap intervals; also the ensemble's MAE minus each model's."""
    out: dict[str, Any] = {}
    for fc, g in points.groupby("forecaster", sort=False):
        cl = g["case"].to_numpy()
        err = g["abs_error"].to_numpy(float)
        rec: dict[str, Any] = {
            "n": int(np.isfinite(err).sum()),
            "mae": float(np.nanmean(err)) if np.isfinite(err).any() else float("nan"),
            "mae_ci": _mean_ci(err, cl, n_boot, seed),
            "crps": float(g["crps"].mean()),
            "crps_ci": _mean_ci(g["crps"].to_numpy(float), cl, n_boot, seed),
            "coverage": {}, "coverage_ci": {}, "width": {},
            "pit_histogram": scores.pit_histogram(g["pit"].dropna().to_numpy(float)).tolist(),
        }
        for lv in levels:
            tag = int(round(100 * lv))
            cov = g[f"covered_{tag}"].to_numpy(float)
            rec["coverage"][str(lv)] = float(np.nanmean(cov)) if np.isfinite(cov).any() else None
            rec["coverage_ci"][str(lv)] = _mean_ci(cov, cl, n_boot, seed)
            rec["width"][str(lv)] = float((g[f"high_{tag}"] - g[f"low_{tag}"]).mean())
        out[str(fc)] = rec
    if ENSEMBLE in out:
        ens = points[points["forecaster"] == ENSEMBLE].set_index(["case", "issue"])["abs_error"]
        for fc, rec in out.items():
            if fc == ENSEMBLE:
                continue
            other = points[points["forecaster"] == fc].set_index(["case", "issue"])["abs_error"]
            d = (ens - other).dropna()
            cl = np.array([c for c, _ in d.index])
            rec["ensemble_minus_model"] = float(d.mean()) if len(d) else float("nan")
            rec["ensemble_minus_model_ci"] = _mean_ci(d.to_numpy(float), cl, n_boot, seed)
    return out


def _failures(predictions: pd.DataFrame) -> list[dict[str, Any]]:
    """The (model, case, reason) of every model forecast that failed."""
    if "status" not in predictions:
        return []
    bad = predictions[(predictions["kind"] == "model") & (predictions["status"] == "failed")]
    bad = bad.drop_duplicates(["model", "case"])
    return [{"model": str(r.model), "case": str(r.case), "reason": str(r.reason)}
            for r in bad.itertuples()]


#: the fewest cases of each outcome (deal / no deal) the deal scores need: leaving one case out
#: must still leave both outcomes to fit
MIN_EACH_OUTCOME = 2
#: the fewest cases with issue outcomes the point scores need (jackknife+ leaves two out)
MIN_POINT_CASES = 3


def score_cases(
    cases: Iterable[Case],
    *,
    seed: int = 0,
    models: Sequence[Any] | None = None,
    draws: int = DEFAULT_DRAWS,
    n_boot: int = 1000,
    firmness_grid: Sequence[float] = FIRMNESS_GRID,
    c_grid: Sequence[float] = C_GRID,
    levels: Sequence[float] = LEVELS,
    features: Sequence[str] | None = None,
    predictions: pd.DataFrame | None = None,
) -> TrackRecord:
    """Score the deal probability and the point forecasts out of sample on ``cases``.

    Parameters
    ----------
    cases : iterable of Case
        From :func:`~detente.backtest.cases.load_cases` (``cases/``, the reference folder,
        built-ins). Cases with ``outcome.deal`` feed the deal scores (at least
        :data:`MIN_EACH_OUTCOME` deals and as many cases without); every case with issue
        outcomes feeds the point scores (at least :data:`MIN_POINT_CASES` cases). With fewer,
        that part is left out and ``summary["notes"]`` says why.
    seed : int
        Monte Carlo draws (per case, from the seed and the case's name), the models' draws and
        the bootstrap resamples.
    models : sequence of names or instances, optional
        Default: every registered model. Ignored when ``predictions`` is given.
    draws : int
        Monte Carlo draws per case and firmness value.
    n_boot : int
        Case-bootstrap resamples for the confidence intervals.
    firmness_grid, c_grid
        Grids searched by the nested leave-one-out fit.
    levels : nominal interval levels
    features : sequence of str, optional
        Deal features (default: those of the shipped deal model).
    predictions : DataFrame, optional
        :meth:`~detente.backtest.harness.BacktestResult.to_frame` of a backtest already run on
        these cases (the models are then not run again).

    Returns
    -------
    TrackRecord
    """
    from ..uncertainty.deal_model import load_deal_model

    case_list = list(cases)
    if not case_list:
        raise ScenarioError("no cases to score", field="cases")
    ss = as_seed_sequence(seed)
    boot_ss = ss.spawn(1)[0]
    notes: list[str] = []
    summary: dict[str, Any] = {"n_cases": len(case_list), "seed": int(seed)}

    flagged = [c.scenario for c in case_list
               if c.scenario.outcome is not None and c.scenario.outcome.deal is not None]
    n_yes = sum(bool(s.outcome.deal) for s in flagged)  # type: ignore[union-attr]
    n_no = len(flagged) - n_yes
    deal_df = pd.DataFrame(columns=["case", "deal", *DEAL_FORECASTERS])
    rel = pd.DataFrame(columns=["bin_low", "bin_high", "n", "mean_forecast", "observed_rate"])
    deal_scores: dict[str, Any] = {}
    feats = tuple(load_deal_model().features if features is None else features)
    if min(n_yes, n_no) >= MIN_EACH_OUTCOME:
        table = feature_table(flagged, grid=firmness_grid, seed=seed, draws=draws, features=feats)
        deal_df = loo_deal_forecasts(table, c_grid=c_grid)
        deal_scores, rel = score_deals(deal_df, n_boot=n_boot, seed=boot_ss)
    else:
        notes.append(
            f"deal probability not scored: fitting it out of sample needs at least "
            f"{MIN_EACH_OUTCOME} cases with a deal and {MIN_EACH_OUTCOME} without "
            f"(outcome.deal); these cases have {n_yes} and {n_no}")
    summary["n_deal_cases"] = int(len(deal_df))
    summary["n_deals"] = int(deal_df["deal"].sum()) if len(deal_df) else 0
    summary["features"] = list(feats)

    if predictions is None:
        from ..models.registry import MODELS
        from .harness import backtest

        names = list(MODELS) if models is None else list(models)
        predictions = backtest(names, case_list, seed=seed, n_boot=1).to_frame()
    point_scores: dict[str, Any] = {}
    weights: dict[str, float] = {}
    points = pd.DataFrame(columns=["forecaster", "case", "issue", "prediction", "outcome",
                                   "abs_error", "pit", "crps"])
    n_rows = 0
    model_rows = predictions[predictions["kind"] == "model"] if "kind" in predictions else predictions
    n_point_cases = int(model_rows["cluster"].nunique())
    if n_point_cases >= MIN_POINT_CASES:
        pt = point_table(predictions)
        points = loo_point_forecasts(pt, levels=levels)
        point_scores = score_points(points, levels=levels, n_boot=n_boot, seed=boot_ss)
        weights = ensemble_weights(pt)
        n_rows = int(len(pt.outcome))
    else:
        notes.append(
            f"point forecasts not scored out of sample: the ensemble and its intervals leave "
            f"cases out, which needs at least {MIN_POINT_CASES} cases with issue outcomes "
            f"(got {n_point_cases})")

    cal = deal_scores.get("probability", {})
    ens = point_scores.get(ENSEMBLE, {})
    summary.update({
        "brier": cal.get("brier"), "log_loss": cal.get("log_loss"),
        "brier_skill": cal.get("brier_skill"), "ece": cal.get("ece"),
        "coverage": ens.get("coverage"), "crps": ens.get("crps"),
        "intervals": {
            "brier": cal.get("intervals", {}).get("brier"),
            "log_loss": cal.get("intervals", {}).get("log_loss"),
            "brier_skill": cal.get("intervals", {}).get("brier_skill"),
            "ece": cal.get("intervals", {}).get("ece"),
            "coverage": ens.get("coverage_ci"), "crps": ens.get("crps_ci"),
        },
        "deal": deal_scores,
        "points": point_scores,
        "reliability": rel.to_dict(orient="records"),
        "pit_histogram": ens.get("pit_histogram"),
        "ensemble_weights": weights,
        "n_rows": n_rows,
        "failures": _failures(predictions),
        "settings": {"draws": int(draws), "n_boot": int(n_boot),
                     "firmness_grid": [float(f) for f in firmness_grid],
                     "c_grid": [float(c) for c in c_grid], "levels": [float(v) for v in levels]},
        "notes": notes,
    })
    return TrackRecord(deal=deal_df, points=points, summary=summary, reliability=rel,
                       weights=weights, seed_entropy=int(ss.entropy))  # type: ignore[arg-type]
