"""The deal probability: structural features of a scenario, combined by a fitted logistic model.

Every forecast's chance of a deal comes from :func:`deal_probability`. It rests on four
interpretable features of the scenario (never on its outcome):

``structural_rate_logit``
    ``logit`` of the **raw structural rate**: the share of Monte Carlo draws in which the
    compromise models' outcome (weighted mean and weighted median, averaged) is a deal under
    the measured coder noise (:func:`~detente.uncertainty.coder_noise.default_noise`) and
    **soft red lines** (each binds in a draw with probability ``firmness``, an absent veto
    holder's consent likewise; see :mod:`detente.uncertainty.perturb`). Clipped to
    [0.01, 0.99] before the logit, so one feature value never dominates.
``red_line_violation``
    How far the models' forecasts (unperturbed scenario, hard red lines) lie outside the binding
    red lines: the sum over binding red lines of the distance outside, as a share of the issue's
    scale, averaged over the compromise models. 0 when every forecast respects every line.
``model_disagreement``
    Mean over issues of the range (max - min) of the weighted mean, weighted median and Nash
    forecasts, as a share of the scale: models that disagree signal an unsettled negotiation.
``walk_away_margin``
    The smallest walk-away slack ``U_i(x) - W_i`` (threat-adjusted, see
    :mod:`~detente.uncertainty.deal`) over the actors at the table, at the compromise models'
    forecasts (averaged). Negative: some actor is better off walking away.

A fifth, **candidate** feature is computed only when a model asks for it:

``simulator_deal_rate``
    The share of the simulator's runs (:mod:`detente.simulate`, with the defaults of
    ``detente simulate``: 1,000 runs of the ``mix`` strategies, 100 steps, 5 levels per issue,
    the staged summit for a scenario with stages) that end in a deal, in [0, 1]. Whether it
    earns its place is decided out of sample (``benchmarks/bench_calibration.py
    --compare-simulator``, ``docs/accuracy.md``); the shipped model lists the features it uses.

A small L2-regularised logistic model (scikit-learn) combines them: ``P(deal) = sigmoid(b0 +
b . x)``. Its coefficients, the default firmness and their case-bootstrap replicates are
fitted on the case library by :mod:`detente.backtest.calibration` (run
``scripts/fit_deal_model.py``) and shipped in ``data/deal_model.json``. The interval around a
probability is the spread of the bootstrap fits' probabilities (parameter uncertainty), not
Monte Carlo error: more draws do not narrow it.

Only numpy models are run (no numba compile), so a forecast takes a fraction of a second.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ScenarioError
from ..models.nash import Nash
from ..models.weighted_mean import WeightedMean
from ..models.weighted_median import WeightedMedian
from ..results import freeze_array, json_ready
from ..rng import as_generator, as_seed_sequence, seed_entropy
from ..scenario.arrays import ScenarioArrays
from ..scenario.schema import Scenario
from .coder_noise import default_noise
from .deal import deal_flags
from .perturb import build_perturbation

if TYPE_CHECKING:  # pandas only when a frame is asked for: importing the package stays light
    import pandas as pd

__all__ = [
    "CANDIDATE_FEATURES",
    "DEFAULT_DRAWS",
    "FEATURES",
    "SIMULATOR_FEATURE",
    "DealFeatures",
    "DealModel",
    "DealProbability",
    "Driver",
    "deal_features",
    "deal_probability",
    "default_firmness",
    "load_deal_model",
    "simulator_deal_rate",
]

#: the structural features every model uses, in coefficient order
FEATURES = ("structural_rate_logit", "red_line_violation", "model_disagreement", "walk_away_margin")
#: the simulator's deal rate, a candidate feature (costs a simulation, so computed only on request)
SIMULATOR_FEATURE = "simulator_deal_rate"
#: every feature :func:`deal_features` can compute
CANDIDATE_FEATURES = (*FEATURES, SIMULATOR_FEATURE)
#: the simulator settings of the candidate feature: those of ``detente simulate`` (the service
#: defaults, which live above this layer; a test checks they agree)
SIMULATOR_RUNS, SIMULATOR_STEPS, SIMULATOR_LEVELS = 1000, 100, 5
#: the most memory and estimated time the feature's simulation may take: every forecast computes
#: it, so a scenario whose outcome space is too big gets the library average and a note instead
SIMULATOR_MAX_BYTES, SIMULATOR_MAX_SECONDS = 256 * 2**20, 2.0
#: Monte Carlo draws behind the structural rate (its sampling error, ~0.01, is far below the
#: parameter uncertainty of the interval)
DEFAULT_DRAWS = 2048
RATE_CLIP = (0.01, 0.99)
_RATE_MODELS: tuple[Any, ...] = (WeightedMean(), WeightedMedian())
_SPREAD_MODELS: tuple[Any, ...] = (WeightedMean(), WeightedMedian(), Nash())

FEATURE_TEXT = {
    "structural_rate_logit": "share of draws with a deal under the red lines' firmness (log-odds)",
    "red_line_violation": "distance of the models' forecasts outside binding red lines",
    "model_disagreement": "disagreement between the models' forecasts",
    "walk_away_margin": "smallest walk-away margin at the models' forecasts",
    "simulator_deal_rate": "share of simulated negotiations that end in a deal",
}


# ----------------------------------------------------------------------------- features
@dataclass(frozen=True, slots=True)
class DealFeatures:
    """The structural features of one scenario (no outcome is read).

    Attributes
    ----------
    scenario : str
    values : (n_features,)
        In ``features`` order; NaN for a feature the scenario cannot give (no walk-away
        values; or no red lines and no walk-away values, when every draw is a deal by
        construction and the structural rate says nothing): the model then uses the training
        mean, so that feature contributes nothing.
    raw_structural_rate : float
        Share of draws whose compromise-model outcome is a deal (before clipping).
    rates : mapping of model name to float
        The same per model.
    firmness, veto_firmness : float
    n_draws : int
    seed_entropy : int
    notes : tuple of str
        What the features rest on (no red lines, no walk-away values, one actor ...).
    features : tuple of str
        The names of ``values`` (default :data:`FEATURES`).
    """

    scenario: str
    values: np.ndarray
    raw_structural_rate: float
    rates: Mapping[str, float]
    firmness: float
    veto_firmness: float
    n_draws: int
    seed_entropy: int
    notes: tuple[str, ...] = ()
    features: tuple[str, ...] = FEATURES

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", freeze_array(np.asarray(self.values, dtype=float)))
        object.__setattr__(self, "rates", MappingProxyType(dict(self.rates)))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "features", tuple(self.features))

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.features, self.values, strict=True)}


def _logit(p: float) -> float:
    p = min(max(p, RATE_CLIP[0]), RATE_CLIP[1])
    return math.log(p / (1.0 - p))


def _hard_violation(a: ScenarioArrays, x: np.ndarray) -> float:
    """Sum over binding red lines of the distance of x (n_issues,) outside, as a scale share."""
    binding = (a.present | a.veto)[:, None] & a.has_red_line
    if not binding.any() or not np.all(np.isfinite(x)):
        return 0.0
    width = a.scale_max - a.scale_min
    below = np.maximum(a.red_low - x[None, :], 0.0)
    above = np.maximum(x[None, :] - a.red_high, 0.0)
    return float((((below + above) / width[None, :]) * binding).sum())


def _walk_margin(a: ScenarioArrays, x: np.ndarray, cred: np.ndarray | None,
                 target: np.ndarray, cost: np.ndarray) -> float:
    """Smallest threat-adjusted walk-away slack at outcome x over actors at the table (NaN if
    no actor at the table has a walk-away value)."""
    free = a.replace(has_red_line=np.zeros_like(a.has_red_line))
    batched = free.replace(position=a.position[None], salience=a.salience[None], power=a.power[None])
    _deal, _no, _red, walk, margin = deal_flags(
        batched, x[None, :], credibility=cred, threat_target=target, threat_cost=cost)
    has_walk = a.present & (~np.isnan(a.walk_utility) | (~np.isnan(a.walk_position)).any(axis=-1))
    if not has_walk.any() or not np.all(np.isfinite(x)):
        return math.nan
    return float(margin[0])


def deal_features(
    scenario: Scenario,
    *,
    firmness: float,
    veto_firmness: float | None = None,
    seed: None | int | np.random.SeedSequence = 0,
    draws: int = DEFAULT_DRAWS,
    features: Sequence[str] = FEATURES,
) -> DealFeatures:
    """The structural features of a scenario under soft red lines of the given firmness.

    Parameters
    ----------
    scenario : Scenario
        Its ``outcome`` is never read (the features use ``scenario.without_outcome()``).
    firmness : float in [0, 1]
        Firmness of every red line that sets none.
    veto_firmness : float in [0, 1], optional
        Firmness of an absent veto holder's consent (default: ``firmness``).
    seed : None, int or SeedSequence
    draws : int
        Monte Carlo draws for the structural rate.
    features : sequence of str
        Which of :data:`CANDIDATE_FEATURES` to return, in that order (default
        :data:`FEATURES`); the simulator runs only when ``simulator_deal_rate`` is asked for.

    Returns
    -------
    DealFeatures

    Raises
    ------
    ScenarioError
        For draws <= 0, a firmness outside [0, 1] or an unknown feature (naming the field).
    """
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws <= 0:
        raise ScenarioError(f"must be a positive integer (got {draws!r})", field="draws")
    features = tuple(features)
    unknown = [f for f in features if f not in CANDIDATE_FEATURES]
    if unknown:
        raise ScenarioError(f"unknown deal feature(s) {', '.join(map(repr, unknown))}; known: "
                            f"{', '.join(CANDIDATE_FEATURES)}", field="features")
    vf = firmness if veto_firmness is None else veto_firmness
    sc = scenario.without_outcome()
    ss = as_seed_sequence(seed)
    notes: list[str] = []
    pert = build_perturbation(sc, sc.uncertainty, noise=default_noise(), firmness=firmness,
                              veto_firmness=vf)
    rng = as_generator(ss)
    arrays, cred = pert.draw(int(draws), rng)
    threat = dict(credibility=cred, threat_target=pert.threat_target, threat_cost=pert.threat_cost)
    rates: dict[str, float] = {}
    for m in _RATE_MODELS:
        out = np.asarray(m.forecast_arrays(arrays), dtype=float)
        rates[m.name] = float(deal_flags(arrays, out, **threat)[0].mean())
    raw = float(np.mean(list(rates.values())))

    base = pert.base
    base_cred = pert.threat_credibility[None, :] if len(pert.threat_cost) else None
    points: dict[str, np.ndarray] = {}
    for m in _SPREAD_MODELS:
        try:
            points[m.name] = np.asarray(m.forecast_arrays(base), dtype=float)
        except Exception as e:  # noqa: BLE001 - a model that cannot answer drops out, named
            notes.append(f"{m.name} gave no forecast ({type(e).__name__}); left out of the "
                         "model disagreement")
    rate_names = [m.name for m in _RATE_MODELS]
    violation = float(np.mean([_hard_violation(base, points[n]) for n in rate_names]))
    stack = np.array(list(points.values()))
    width = base.scale_max - base.scale_min
    with np.errstate(invalid="ignore"):
        spread = (np.nanmax(stack, axis=0) - np.nanmin(stack, axis=0)) / width
    disagreement = float(np.nanmean(spread)) if np.isfinite(spread).any() else 0.0
    margins = [_walk_margin(base, points[n], base_cred, pert.threat_target, pert.threat_cost)
               for n in rate_names]
    walk = float(np.mean(margins))

    binding = (base.present | base.veto)[:, None] & base.has_red_line
    rate_logit = _logit(raw)
    unconstrained = not binding.any() and math.isnan(walk)
    if unconstrained:
        # no condition a draw could fail: the rate is 1 by construction and says nothing; the
        # simulator's parties then have nothing to walk away to and no line to hold, so its
        # runs agree by construction too
        rate_logit = math.nan
        notes.append("no binding red lines and no walk-away values: every draw is a deal by "
                     "construction, so the structural rate"
                     + (" and the simulator's deal rate are" if SIMULATOR_FEATURE in features else " is")
                     + " not used (set to the library average)")
    elif not binding.any():
        notes.append("no binding red lines: the structural rate rests on walk-away values and "
                     "threats only")
    if math.isnan(walk):
        notes.append("no walk-away values at the table: the walk-away margin is unknown and "
                     "set to the library average (it contributes nothing)")
    if base.n_actors == 1 or int(base.present.sum()) <= 1:
        notes.append("one actor at the table: nothing to bargain over, so the features carry "
                     "little; the probability rests mostly on the library's base rate")
    if pert.n_inputs == 0:
        notes.append("no uncertain inputs: every draw is the same scenario")
    known = {"structural_rate_logit": rate_logit, "red_line_violation": violation,
             "model_disagreement": disagreement, "walk_away_margin": walk}
    if SIMULATOR_FEATURE in features:
        known[SIMULATOR_FEATURE] = (math.nan if unconstrained
                                    else simulator_deal_rate(sc, seed=ss, notes=notes))
    values = np.array([known[f] for f in features])
    return DealFeatures(
        scenario=sc.name, values=values, raw_structural_rate=raw, rates=rates,
        firmness=float(firmness), veto_firmness=float(vf), n_draws=int(draws),
        seed_entropy=seed_entropy(ss), notes=tuple(notes), features=features,
    )


def simulator_deal_rate(scenario: Scenario, *, seed: None | int | np.random.SeedSequence = 0,
                        notes: list[str] | None = None) -> float:
    """Share of simulated negotiations that end in a deal, with ``detente simulate``'s defaults.

    The ``mix`` strategies are deterministic, so the share is that of the strategy pairings
    that agree (the seed matters only for random strategies). A scenario the simulator cannot
    play, or whose simulation would exceed :data:`SIMULATOR_MAX_BYTES` or
    :data:`SIMULATOR_MAX_SECONDS` (:func:`detente.simulate.cost.simulate_cost`; outcomes =
    5 ** issues), gives NaN (the model then uses the library average) and a note in ``notes``.

    Parameters
    ----------
    scenario : Scenario
        Its outcome is never read.
    seed : None, int or SeedSequence
        The seed of the deal features: the simulator takes a sibling stream of the Monte Carlo
        draws' (so the two never share numbers).
    notes : list of str, optional
        Receives a note when the simulator cannot play the scenario.

    Returns
    -------
    float in [0, 1], or NaN
    """
    from ..simulate.cost import simulate_cost
    from ..simulate.engine import negotiators, simulate
    from ..simulate.strategies import mix

    ss = as_seed_sequence(seed)
    # a sibling of the draws' stream, built rather than spawned (spawning changes ss's state)
    sim_ss = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 1))
    sc = scenario.without_outcome()
    protocol = "summit" if sc.stages else "alternating"
    try:
        seated = negotiators(sc, protocol)
        cost = simulate_cost(n_parties=max(1, len(sc.actors)), n_negotiators=max(1, len(seated)),
                             n_outcomes=SIMULATOR_LEVELS ** len(sc.issues), runs=SIMULATOR_RUNS,
                             steps=SIMULATOR_STEPS, stages=max(1, len(sc.stages or ())))
        if cost.bytes > SIMULATOR_MAX_BYTES or cost.seconds > SIMULATOR_MAX_SECONDS:
            if notes is not None:
                notes.append(f"the simulator's deal rate is not computed: {len(sc.issues)} issues "
                             f"make {SIMULATOR_LEVELS ** len(sc.issues):,} outcomes (about "
                             f"{cost.bytes / 2**20:.0f} MiB, {cost.seconds:.1f} s); it is set to "
                             "the library average")
            return math.nan
        strategies = mix(len(seated))
        res = simulate(sc, runs=SIMULATOR_RUNS, protocol=protocol, strategies=strategies,
                       steps=SIMULATOR_STEPS, levels=SIMULATOR_LEVELS, seed=sim_ss,
                       # every forecast computes this: pinned so that none can ever wait on a
                       # kernel compile (the engines agree; dedup plays the deterministic mix's
                       # few distinct runs once, so numpy is no slower)
                       backend="numpy")
    except (ScenarioError, ValueError) as e:  # the feature is then unknown, and says why
        if notes is not None:
            notes.append(f"the simulator could not play the scenario ({type(e).__name__}: {e}); "
                         "its deal rate is set to the library average")
        return math.nan
    return float(res.deal_rate)


# ----------------------------------------------------------------------------- the model
@dataclass(frozen=True, slots=True)
class DealModel:
    """A fitted deal-probability model (see :mod:`detente.backtest.calibration`).

    Attributes
    ----------
    features : tuple of str
    firmness, veto_firmness : float
        Default firmness of red lines and of absent veto holders' consent.
    intercept : float
    coef : (n_features,)
        On the features' own units (log-odds per unit).
    center : (n_features,)
        Training mean of each feature: drivers are measured from it, and a missing feature
        takes it.
    boot : (n_boot, 1 + n_features)
        Intercept and coefficients of each case-bootstrap refit.
    level : float
        Coverage of the interval read from the bootstrap fits (0.9: 5th-95th percentiles).
    meta : mapping
        How it was fitted (cases, C, scores ...).
    """

    features: tuple[str, ...]
    firmness: float
    veto_firmness: float
    intercept: float
    coef: np.ndarray
    center: np.ndarray
    boot: np.ndarray
    level: float = 0.9
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        for name in ("coef", "center", "boot"):
            object.__setattr__(self, name, freeze_array(np.asarray(getattr(self, name), dtype=float)))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        k = len(self.features)
        if self.coef.shape != (k,) or self.center.shape != (k,) or self.boot.ndim != 2 \
                or self.boot.shape[1] != k + 1:
            raise ScenarioError(
                f"coefficient shapes do not match {k} features (coef {self.coef.shape}, center "
                f"{self.center.shape}, boot {self.boot.shape})", field="deal_model")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DealModel:
        return cls(
            features=tuple(d["features"]), firmness=float(d["firmness"]),
            veto_firmness=float(d.get("veto_firmness", d["firmness"])),
            intercept=float(d["intercept"]), coef=np.array(d["coef"], dtype=float),
            center=np.array(d["center"], dtype=float), boot=np.array(d["boot"], dtype=float),
            level=float(d.get("level", 0.9)), meta=dict(d.get("meta", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features), "firmness": self.firmness,
            "veto_firmness": self.veto_firmness, "intercept": self.intercept,
            "coef": self.coef.tolist(), "center": self.center.tolist(),
            "boot": self.boot.tolist(), "level": self.level, "meta": json_ready(dict(self.meta)),
        }

    def _filled(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where(np.isnan(x), self.center, x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(deal) for features x (..., n_features); NaN features take the training mean."""
        z = self.intercept + self._filled(x) @ self.coef
        return _sigmoid(z)

    def interval(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval (at ``level``) of the bootstrap fits' probabilities."""
        xf = self._filled(x)
        z = self.boot[:, :1] + self.boot[:, 1:] @ np.atleast_2d(xf).T  # (n_boot, n)
        p = _sigmoid(z)
        a = (1.0 - self.level) / 2.0
        lo, hi = np.quantile(p, [a, 1.0 - a], axis=0)
        shape = np.shape(xf)[:-1]
        return lo.reshape(shape), hi.reshape(shape)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Log-odds contribution of each feature, measured from the training mean."""
        return self.coef * (self._filled(x) - self.center)


def _sigmoid(z: Any) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))


@cache
def _shipped() -> DealModel:
    text = resources.files("detente.uncertainty").joinpath("data/deal_model.json").read_text(
        encoding="utf-8")
    return DealModel.from_dict(json.loads(text))


def load_deal_model() -> DealModel:
    """The shipped model, fitted on the case library by ``scripts/fit_deal_model.py``."""
    return _shipped()


def default_firmness() -> float:
    """The fitted default firmness of a red line that sets none."""
    return _shipped().firmness


# ----------------------------------------------------------------------------- the result
@dataclass(frozen=True, slots=True)
class Driver:
    """One feature's part in a deal probability: its value and its log-odds contribution
    (relative to the average library case; positive pushes towards a deal)."""

    feature: str
    value: float
    contribution: float
    description: str = ""


@dataclass(frozen=True, slots=True)
class DealProbability:
    """The calibrated chance of a deal for one scenario.

    Attributes
    ----------
    scenario : str
    value : float
        P(deal) from the fitted model.
    low, high : float
        Interval at ``level`` from the case-bootstrap fits (parameter uncertainty, not the
        number of draws).
    level : float
    raw_structural_rate : float
        The uncalibrated share of Monte Carlo draws that are a deal under soft red lines: shown
        for transparency, not a probability to quote.
    drivers : tuple of Driver
        The three features with the largest contributions, strongest first.
    features : mapping of str to float
    contributions : mapping of str to float
        Every feature's log-odds contribution, measured from the average library case.
    firmness, veto_firmness : float
        The default firmness used (red lines and vetoes that set their own keep theirs).
    n_draws : int
    seed_entropy : int
    notes : tuple of str
    """

    scenario: str
    value: float
    low: float
    high: float
    level: float
    raw_structural_rate: float
    drivers: tuple[Driver, ...]
    features: Mapping[str, float]
    contributions: Mapping[str, float]
    firmness: float
    veto_firmness: float
    n_draws: int
    seed_entropy: int
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "drivers", tuple(self.drivers))
        object.__setattr__(self, "features", MappingProxyType(dict(self.features)))
        object.__setattr__(self, "contributions", MappingProxyType(dict(self.contributions)))
        object.__setattr__(self, "notes", tuple(self.notes))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"deal_probability": value, "low": ..., "high": ..., ...}``."""
        return json_ready({
            "deal_probability": self.value,
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "raw_structural_rate": self.raw_structural_rate,
            "drivers": [
                {"feature": d.feature, "value": d.value, "contribution": d.contribution,
                 "description": d.description} for d in self.drivers
            ],
            "features": dict(self.features),
            "contributions": dict(self.contributions),
            "firmness": self.firmness,
            "veto_firmness": self.veto_firmness,
            "n_draws": self.n_draws,
            "seed_entropy": self.seed_entropy,
            "scenario": self.scenario,
            "notes": list(self.notes),
        })

    def to_frame(self) -> pd.DataFrame:
        """One row per feature: ``scenario, feature, value, contribution, driver_rank``
        (``driver_rank`` 1-3 for the drivers, else NaN)."""
        import pandas as pd

        rank = {d.feature: k + 1 for k, d in enumerate(self.drivers)}
        return pd.DataFrame({
            "scenario": self.scenario,
            "feature": list(self.features),
            "value": list(self.features.values()),
            "contribution": [self.contributions[f] for f in self.features],
            "driver_rank": [rank.get(f, np.nan) for f in self.features],
        })

    def summary(self) -> str:
        pct = f"{100 * self.value:.0f}% [{100 * self.low:.0f}-{100 * self.high:.0f}%]"
        drv = "; ".join(f"{d.feature} {d.contribution:+.2f}" for d in self.drivers)
        return (f"deal probability {pct} ({100 * self.level:.0f}% interval); raw structural "
                f"rate {100 * self.raw_structural_rate:.1f}%; drivers: {drv}")


def predict_from_features(feats: DealFeatures, model: DealModel) -> DealProbability:
    """A :class:`DealProbability` from precomputed features and a fitted model."""
    if tuple(feats.features) != tuple(model.features):
        raise ScenarioError(f"features {list(feats.features)} do not match the model's "
                            f"{list(model.features)}", field="features")
    x = feats.values
    value = float(model.predict(x))
    lo, hi = model.interval(x)
    contrib = model.contributions(x)
    order = np.argsort(-np.abs(contrib), kind="stable")[:3]
    drivers = tuple(
        Driver(model.features[k], float(x[k]), float(contrib[k]),
               FEATURE_TEXT.get(model.features[k], "")) for k in order)
    return DealProbability(
        scenario=feats.scenario, value=value, low=float(lo), high=float(hi), level=model.level,
        raw_structural_rate=feats.raw_structural_rate, drivers=drivers,
        features=feats.as_dict(),
        contributions={f: float(v) for f, v in zip(model.features, contrib, strict=True)},
        firmness=feats.firmness, veto_firmness=feats.veto_firmness,
        n_draws=feats.n_draws, seed_entropy=feats.seed_entropy, notes=feats.notes,
    )


def deal_probability(
    scenario: Scenario | str | Path,
    *,
    seed: None | int | np.random.SeedSequence = None,
    draws: int = DEFAULT_DRAWS,
    model: DealModel | None = None,
) -> DealProbability:
    """The calibrated probability of a deal, its interval, the raw rate and the drivers.

    Parameters
    ----------
    scenario : Scenario, built-in name or file
        Any valid scenario; one with no red lines, no walk-away values or one actor still gets
        a probability, with a note saying what it rests on. Red lines and vetoes with their own
        ``firmness`` keep it; others take the fitted default.
    seed : None, int or SeedSequence
        Seeds the Monte Carlo draws of the structural rate (None: fresh entropy, recorded).
    draws : int
        Monte Carlo draws (default 2048). They move only the raw rate's sampling error; the
        interval comes from the bootstrap fits.
    model : DealModel, optional
        Default: the shipped model (:func:`load_deal_model`).

    Returns
    -------
    DealProbability
        ``.to_dict()`` gives ``{"deal_probability": p, "low": ..., "high": ..., ...}``.

    Raises
    ------
    ScenarioError
        For bad ``draws`` or ``seed``.

    Examples
    --------
    >>> from detente import load_scenario
    >>> dp = deal_probability(load_scenario("alaska-2025"), seed=0)
    >>> 0.0 < dp.low <= dp.value <= dp.high < 1.0
    True
    """
    if not isinstance(scenario, Scenario):
        from ..io import load_scenario

        scenario = load_scenario(scenario)
    m = load_deal_model() if model is None else model
    unknown = [f for f in m.features if f not in CANDIDATE_FEATURES]
    if unknown:
        raise ScenarioError(f"the deal model uses unknown features {unknown}; known: "
                            f"{list(CANDIDATE_FEATURES)}", field="model")
    feats = deal_features(scenario, firmness=m.firmness, veto_firmness=m.veto_firmness,
                          seed=seed, draws=draws, features=m.features)
    return predict_from_features(feats, m)


def features_frame(rows: Sequence[DealFeatures]) -> pd.DataFrame:
    """Tidy frame of features: ``scenario, firmness, raw_structural_rate`` and one column per
    feature."""
    import pandas as pd

    return pd.DataFrame([
        {"scenario": f.scenario, "firmness": f.firmness,
         "raw_structural_rate": f.raw_structural_rate, **f.as_dict()} for f in rows
    ])
