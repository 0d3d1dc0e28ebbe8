"""Frozen results of Monte Carlo and sensitivity runs, with tidy ``to_frame()`` tables."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..results import freeze_array, json_ready, wilson_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEAL",
    "MC_ACTOR_COLUMNS",
    "MC_DRAW_COLUMNS",
    "MC_ISSUE_COLUMNS",
    "MonteCarloResult",
    "MonteCarloResults",
    "SensitivityResult",
]

#: the output name of the deal indicator in sensitivity results
DEAL = "deal"

MC_ISSUE_COLUMNS = ("model", "scenario", "issue", "statistic", "value")
MC_ACTOR_COLUMNS = ("model", "scenario", "actor", "red_line_block", "walk_away_block")
MC_DRAW_COLUMNS = ("model", "scenario", "draw", "issue", "outcome")
SOBOL_COLUMNS = ("model", "scenario", "output", "input", "rank", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("model", "scenario", "output", "input", "rank", "mu_star", "mu_star_conf", "mu", "sigma")
S2_COLUMNS = ("model", "scenario", "output", "input_1", "input_2", "S2", "S2_conf")


def _freeze(obj: Any, names: tuple[str, ...]) -> None:
    for n in names:
        v = getattr(obj, n)
        if v is not None:
            object.__setattr__(obj, n, v if _read_only_throughout(v) else freeze_array(np.asarray(v)))


def _read_only_throughout(v: Any) -> bool:
    """Whether ``v`` is an array that nobody can write to as it is: it and the array that owns
    its memory are both read-only. Such an array is kept rather than copied: Monte Carlo hands
    over its draws this way (a million draws of five issues are 40 MB, and copying them cost
    more than a tenth of the run)."""
    if not isinstance(v, np.ndarray) or v.flags.writeable:
        return False
    owner = v
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    return owner.base is None and not owner.flags.writeable


@dataclass(frozen=True, slots=True)
class MonteCarloResult:
    """The distribution of a model's forecast over uncertain inputs.

    Attributes
    ----------
    model, scenario : str
    issues, actors, inputs : tuple of str
        ``inputs`` are the names of the uncertain numbers.
    n_draws : int
    seed_entropy : int
        Repeat the run with ``seed=seed_entropy``.
    backend : str
    chunk_size : int
    quantile_levels : tuple of float
    quantiles : (n_levels, n_issues)
        Over the draws with an outcome (NaN draws left out).
    quantile_method : str
        ``exact`` (from every draw) or ``histogram`` (bins of width scale/16384).
    mean, sd : (n_issues,)
    no_outcome_share : (n_issues,)
        Share of draws where the model gave no outcome on the issue (NaN).
    deal_probability : float
        Share of draws that are a deal (see :mod:`detente.uncertainty.deal`).
    red_line_block, walk_away_block : (n_actors,)
        Share of draws in which the actor's red lines / walk-away value rule the outcome out.
    draws : (n_draws, n_issues) or None
        Every draw's outcome, when kept.
    notes : tuple of str
    end_reasons : tuple of (reason, share)
        The simulator only: the share of draws ending in ``agreement``, ``deadline``,
        ``walk_away`` and ``veto`` (empty for other models).
    """

    model: str
    scenario: str
    issues: tuple[str, ...]
    actors: tuple[str, ...]
    inputs: tuple[str, ...]
    n_draws: int
    seed_entropy: int
    backend: str
    chunk_size: int
    quantile_levels: tuple[float, ...]
    quantiles: np.ndarray
    quantile_method: str
    mean: np.ndarray
    sd: np.ndarray
    no_outcome_share: np.ndarray
    deal_probability: float
    red_line_block: np.ndarray
    walk_away_block: np.ndarray
    draws: np.ndarray | None = None
    notes: tuple[str, ...] = field(default=())
    end_reasons: tuple[tuple[str, float], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "end_reasons", tuple((str(k), float(v)) for k, v in self.end_reasons))
        for n in ("issues", "actors", "inputs", "quantile_levels", "notes"):
            object.__setattr__(self, n, tuple(getattr(self, n)))
        _freeze(self, ("quantiles", "mean", "sd", "no_outcome_share", "red_line_block",
                       "walk_away_block", "draws"))

    def __reduce__(self):
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return (_rebuild, (type(self), kw))

    @property
    def deal_se(self) -> float:
        """Standard error of the deal probability, sqrt(p (1 - p) / n)."""
        p = self.deal_probability
        return math.sqrt(p * (1.0 - p) / self.n_draws)

    def deal_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Wilson score interval of the deal probability (sensible also at 0 or n deals)."""
        return wilson_interval(self.deal_probability * self.n_draws, self.n_draws, level)

    def quantile(self, q: float, issue: str) -> float:
        """A stored quantile level of one issue."""
        return float(self.quantiles[self.quantile_levels.index(q), self.issues.index(issue)])

    def to_frame(self, table: str = "issues") -> pd.DataFrame:
        """Tidy tables.

        ``"issues"`` (default): columns ``model, scenario, issue, statistic, value``; statistics
        ``mean``, ``sd``, ``q0.05`` ... and ``no_outcome_share`` per issue, and one row with
        issue ``"(deal)"``, statistic ``deal_probability``. ``"actors"``: ``model, scenario,
        actor, red_line_block, walk_away_block``. ``"draws"``: ``model, scenario, draw, issue,
        outcome`` (needs the draws kept).
        """
        import pandas as pd

        if table == "issues":
            rows = []
            for k, iss in enumerate(self.issues):
                rows.append((iss, "mean", float(self.mean[k])))
                rows.append((iss, "sd", float(self.sd[k])))
                for j, q in enumerate(self.quantile_levels):
                    rows.append((iss, f"q{q:g}", float(self.quantiles[j, k])))
                rows.append((iss, "no_outcome_share", float(self.no_outcome_share[k])))
            rows.append(("(deal)", "deal_probability", float(self.deal_probability)))
            for reason, share in self.end_reasons:
                rows.append(("(deal)", f"share_{reason}", share))
            df = pd.DataFrame(rows, columns=["issue", "statistic", "value"])
            df.insert(0, "scenario", self.scenario)
            df.insert(0, "model", self.model)
            return df[list(MC_ISSUE_COLUMNS)]
        if table == "actors":
            return pd.DataFrame(
                {"model": self.model, "scenario": self.scenario, "actor": list(self.actors),
                 "red_line_block": self.red_line_block, "walk_away_block": self.walk_away_block},
                columns=list(MC_ACTOR_COLUMNS),
            )
        if table == "draws":
            if self.draws is None:
                raise KeyError("the draws were not kept; run monte_carlo(..., keep_draws=True)")
            n, m = self.draws.shape
            return pd.DataFrame(
                {"model": self.model, "scenario": self.scenario,
                 "draw": np.repeat(np.arange(n), m),
                 "issue": np.tile(np.array(self.issues, dtype=object), n),
                 "outcome": self.draws.ravel()},
                columns=list(MC_DRAW_COLUMNS),
            )
        raise KeyError(f"unknown table {table!r}; valid: issues, actors, draws")

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dict for the CLI and API."""
        return json_ready({
            "model": self.model,
            "scenario": self.scenario,
            "n_draws": self.n_draws,
            "seed_entropy": self.seed_entropy,
            "backend": self.backend,
            "chunk_size": self.chunk_size,
            "inputs": list(self.inputs),
            "deal_probability": self.deal_probability,
            "deal_se": self.deal_se,
            "deal_interval_95": list(self.deal_interval(0.95)),
            "quantile_method": self.quantile_method,
            "issues": {
                iss: {
                    "mean": self.mean[k],
                    "sd": self.sd[k],
                    "quantiles": {f"{q:g}": self.quantiles[j, k]
                                  for j, q in enumerate(self.quantile_levels)},
                    "no_outcome_share": self.no_outcome_share[k],
                }
                for k, iss in enumerate(self.issues)
            },
            "blocking": {
                act: {"red_line": self.red_line_block[i], "walk_away": self.walk_away_block[i]}
                for i, act in enumerate(self.actors)
            },
            "end_reasons": dict(self.end_reasons),
            "notes": list(self.notes),
        })


def _rebuild(cls, kw):
    return cls(**kw)


@dataclass(frozen=True, slots=True)
class SensitivityResult:
    """Which uncertain inputs drive each output (issue outcomes and the deal indicator).

    Attributes
    ----------
    model, scenario : str
    method : str
        ``sobol`` or ``morris``.
    outputs : tuple of str
        Issue ids, then ``"deal"``.
    inputs : tuple of str
        Input (or group) names.
    n_evaluations : int
        Model runs (rows of the design).
    seed_entropy : int
    S1, S1_conf, ST, ST_conf : (n_outputs, n_inputs) or None
        Sobol first- and total-order indices and the half-width of their bootstrap confidence
        interval (SALib, ``conf_level``); NaN for an output that does not vary.
    S2, S2_conf : (n_outputs, n_inputs, n_inputs) or None
        Second-order indices (upper triangle), when asked for.
    mu_star, mu_star_conf, mu, sigma : (n_outputs, n_inputs) or None
        Morris elementary-effect statistics.
    output_mean, output_sd : (n_outputs,)
        Of the output over the design (for ``deal``: its share of deals).
    conf_level : float
    notes : tuple of str
    """

    model: str
    scenario: str
    method: str
    outputs: tuple[str, ...]
    inputs: tuple[str, ...]
    n_evaluations: int
    seed_entropy: int
    output_mean: np.ndarray
    output_sd: np.ndarray
    conf_level: float = 0.95
    S1: np.ndarray | None = None
    S1_conf: np.ndarray | None = None
    ST: np.ndarray | None = None
    ST_conf: np.ndarray | None = None
    S2: np.ndarray | None = None
    S2_conf: np.ndarray | None = None
    mu_star: np.ndarray | None = None
    mu_star_conf: np.ndarray | None = None
    mu: np.ndarray | None = None
    sigma: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for n in ("outputs", "inputs", "notes"):
            object.__setattr__(self, n, tuple(getattr(self, n)))
        _freeze(self, ("output_mean", "output_sd", "S1", "S1_conf", "ST", "ST_conf", "S2",
                       "S2_conf", "mu_star", "mu_star_conf", "mu", "sigma"))

    def __reduce__(self):
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return (_rebuild, (type(self), kw))

    @property
    def score(self) -> np.ndarray:
        """The ranking score (n_outputs, n_inputs): ST for Sobol, mu* for Morris."""
        out = self.ST if self.method == "sobol" else self.mu_star
        assert out is not None  # set for its method by construction
        return out

    def ranking(self, output: str) -> list[str]:
        """Input names, most influential first, for one output (NaN scores last)."""
        k = self.outputs.index(output)
        s = np.nan_to_num(self.score[k], nan=-np.inf)
        order = np.argsort(-s, kind="stable")
        return [self.inputs[j] for j in order]

    def top_pairs(self, output: str, top: int = 10) -> list[tuple[str, str, float, float]]:
        """The ``top`` input pairs by second-order index for one output (S2 runs only)."""
        s2, s2c = self.S2, self.S2_conf
        if s2 is None or s2c is None:
            raise KeyError("no second-order indices; run with second_order=True")
        k = self.outputs.index(output)
        iu = np.triu_indices(len(self.inputs), 1)
        vals = np.nan_to_num(s2[k][iu], nan=-np.inf)
        order = np.argsort(-vals, kind="stable")[:top]
        return [(self.inputs[iu[0][j]], self.inputs[iu[1][j]], float(s2[k][iu][j]),
                 float(s2c[k][iu][j])) for j in order if np.isfinite(vals[j])]

    def to_frame(self, table: str = "indices") -> pd.DataFrame:
        """Tidy tables, one row per output x input, ranked within each output.

        ``"indices"`` (default): Sobol columns ``model, scenario, output, input, rank, S1,
        S1_conf, ST, ST_conf``; Morris columns ``model, scenario, output, input, rank, mu_star,
        mu_star_conf, mu, sigma``. ``"second_order"``: ``model, scenario, output, input_1,
        input_2, S2, S2_conf`` (Sobol with second order only).
        """
        import pandas as pd

        if table == "indices":
            cols = SOBOL_COLUMNS if self.method == "sobol" else MORRIS_COLUMNS
            stats = cols[5:]
            frames = []
            for k, out in enumerate(self.outputs):
                rank_of = {name: r + 1 for r, name in enumerate(self.ranking(out))}
                d = {"model": self.model, "scenario": self.scenario, "output": out,
                     "input": list(self.inputs), "rank": [rank_of[n] for n in self.inputs]}
                for s in stats:
                    d[s] = getattr(self, s)[k]
                frames.append(pd.DataFrame(d, columns=list(cols)).sort_values("rank", kind="stable"))
            return pd.concat(frames, ignore_index=True)
        if table == "second_order":
            s2, s2c = self.S2, self.S2_conf
            if s2 is None or s2c is None:
                raise KeyError("no second-order indices; run with second_order=True")
            rows = []
            n_in = len(self.inputs)
            for k, out in enumerate(self.outputs):
                for i in range(n_in):
                    for j in range(i + 1, n_in):
                        rows.append((self.model, self.scenario, out, self.inputs[i], self.inputs[j],
                                     float(s2[k, i, j]), float(s2c[k, i, j])))
            return pd.DataFrame(rows, columns=list(S2_COLUMNS))
        raise KeyError(f"unknown table {table!r}; valid: indices, second_order")

    def summary(self, top: int | None = None) -> dict[str, Any]:
        """A JSON-ready dict: per output, the ranked inputs and their indices."""
        df = self.to_frame()
        per: dict[str, Any] = {}
        for k, out in enumerate(self.outputs):
            sub = df[df["output"] == out]
            if top is not None:
                sub = sub.head(top)
            per[out] = {
                "mean": self.output_mean[k],
                "sd": self.output_sd[k],
                "ranked": sub.drop(columns=["model", "scenario", "output"]).to_dict("records"),
            }
            if self.S2 is not None:
                pairs = self.top_pairs(out, top or 10)
                per[out]["second_order"] = [
                    {"input_1": a, "input_2": b, "S2": v, "S2_conf": c} for a, b, v, c in pairs
                ]
        return json_ready({
            "model": self.model,
            "scenario": self.scenario,
            "method": self.method,
            "n_evaluations": self.n_evaluations,
            "seed_entropy": self.seed_entropy,
            "conf_level": self.conf_level,
            "inputs": list(self.inputs),
            "outputs": per,
            "notes": list(self.notes),
        })


@dataclass(frozen=True, slots=True)
class MonteCarloResults:
    """Monte Carlo of several models on the same draws: one :class:`MonteCarloResult` per model.

    ``monte_carlo(scenario, ["weighted_mean", "nash"])`` returns this. Every model sees the same
    perturbed scenarios (the same seed, so draw *i* is the same world for each model: common
    random numbers), and ``results[k]`` equals ``monte_carlo(scenario, models[k], seed=...)`` run
    alone with the recorded seed. Index by position or by model name.

    Attributes
    ----------
    results : tuple of MonteCarloResult
        In the order the models were given.
    """

    results: tuple[MonteCarloResult, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", tuple(self.results))
        names = [r.model for r in self.results]
        if not names:
            raise ValueError("MonteCarloResults needs at least one result")
        if len(set(names)) != len(names):
            raise ValueError(f"each model may appear once (got {names})")

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(r.model for r in self.results)

    @property
    def seed_entropy(self) -> int:
        return self.results[0].seed_entropy

    @property
    def deal_probability(self) -> dict[str, float]:
        """``{model: deal probability}``."""
        return {r.model: r.deal_probability for r in self.results}

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self):
        return iter(self.results)

    def __getitem__(self, key: int | str) -> MonteCarloResult:
        if isinstance(key, str):
            for r in self.results:
                if r.model == key:
                    return r
            raise KeyError(f"no result for model {key!r}; models: {', '.join(self.models)}")
        return self.results[key]

    def to_frame(self, table: str = "issues") -> pd.DataFrame:
        """Every model's :meth:`MonteCarloResult.to_frame` table, stacked (same columns; the
        ``model`` column tells them apart)."""
        import pandas as pd
        return pd.concat([r.to_frame(table) for r in self.results], ignore_index=True)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dict: ``models``, ``seed_entropy``, ``deal_probability`` (per model),
        ``results`` (each model's :meth:`MonteCarloResult.summary`) and ``notes``."""
        return json_ready({"models": list(self.models), "seed_entropy": self.seed_entropy,
                           "deal_probability": self.deal_probability,
                           "results": [r.summary() for r in self.results], "notes": []})
