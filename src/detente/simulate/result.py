"""The result of a batch of simulated negotiations: frozen, read-only, tidy."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..results import wilson_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RUN_COLUMNS", "SimulationResult", "wilson_interval"]

#: Fixed leading columns of ``to_frame("runs")``; then ``u_<party>`` per party and one column
#: per issue (the agreed value, NaN/None without a deal).
RUN_COLUMNS = ("run", "protocol", "scenario", "strategies", "agreed", "reason", "step", "stage", "n_offers")


def _ro(a: Any) -> np.ndarray:
    arr = np.array(a, copy=True)
    arr.setflags(write=False)
    return arr


def _rebuild(cls, kw):
    return cls(**kw)


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Per-run outcomes of a batch of negotiations.

    Attributes
    ----------
    protocol, scenario : str
    parties : tuple of str
        The negotiating parties (utilities columns), in acting order.
    issues : tuple of str
    values : tuple of tuple
        Each issue's values (outcome labels or grid numbers).
    strategies : (n_runs,) array of str
        The strategy of each party in each run, joined by "/" ("boulware/linear").
    agreement : (n_runs,) int
        Outcome id of the agreement, -1 where there is none.
    agreement_values : (n_runs, n_issues) object array
        The agreed value on each issue (None without a deal).
    reason : (n_runs,) array of str
        "agreement", "deadline", "walk_away" or "veto".
    utilities : (n_runs, n_parties)
        Each party's utility of the agreement, or its reservation value when there is none.
    step : (n_runs,) int
        0-based step in which the agreement (or walk-away) happened; -1 on timeout.
    stage : (n_runs,) array of str
        The stage in which the run ended (summit) or "" for single-stage protocols.
    n_offers : (n_runs,) int
    last_proposer : (n_runs,) int
        Index of the party that made the agreed offer (-1 if none).
    offers : (n_runs, n_steps, n_parties) int or None
        Full offer traces (outcome ids, -1 = no offer) when asked for.
    vetoed : (n_runs,) int or None
        The outcome agreed at the table but vetoed by an absent veto holder (-1 otherwise).
    ended_by : (n_runs,) int or None
        Index (into ``parties``) of the party that walked away in runs ending ``walk_away``,
        -1 otherwise.
    params : mapping
        Run settings (steps, strategies, protocol options).
    seed_entropy : int or None
    notes : tuple of str
    """

    protocol: str
    scenario: str
    parties: tuple[str, ...]
    issues: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    strategies: np.ndarray
    agreement: np.ndarray
    agreement_values: np.ndarray
    reason: np.ndarray
    utilities: np.ndarray
    step: np.ndarray
    stage: np.ndarray
    n_offers: np.ndarray
    last_proposer: np.ndarray
    offers: np.ndarray | None = None
    vetoed: np.ndarray | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    seed_entropy: int | None = None
    notes: tuple[str, ...] = ()
    ended_by: np.ndarray | None = None

    def __post_init__(self) -> None:
        for f in ("strategies", "agreement", "agreement_values", "reason", "utilities", "step", "stage", "n_offers", "last_proposer"):
            object.__setattr__(self, f, _ro(getattr(self, f)))
        for f in ("offers", "vetoed", "ended_by"):
            if getattr(self, f) is not None:
                object.__setattr__(self, f, _ro(getattr(self, f)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        for f in ("parties", "issues", "notes"):
            object.__setattr__(self, f, tuple(getattr(self, f)))
        n = self.agreement.shape[0]
        if self.utilities.shape != (n, len(self.parties)):
            raise ValueError(f"utilities have shape {self.utilities.shape}; expected {(n, len(self.parties))}")

    def __reduce__(self):
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        kw["params"] = dict(kw["params"])
        return (_rebuild, (type(self), kw))

    @property
    def n_runs(self) -> int:
        return int(self.agreement.shape[0])

    @property
    def agreed(self) -> np.ndarray:
        return self.agreement >= 0

    @property
    def deal_rate(self) -> float:
        return float(self.agreed.mean()) if self.n_runs else math.nan

    def to_frame(self, table: str = "runs") -> pd.DataFrame:
        """Tidy tables.

        ``"runs"`` (default): one row per run; columns ``RUN_COLUMNS``, then ``u_<party>``
        for each party, then one column per issue with the agreed value.
        ``"outcomes"``: one row per run x issue (``run, issue, agreed, value``).
        ``"trace"``: one row per offer (``run, step, party, outcome`` and the issue values);
        needs ``traces=True``.
        """
        import pandas as pd

        if table == "runs":
            df = pd.DataFrame({
                "run": np.arange(self.n_runs),
                "protocol": self.protocol,
                "scenario": self.scenario,
                "strategies": self.strategies,
                "agreed": self.agreed,
                "reason": self.reason,
                "step": self.step,
                "stage": self.stage,
                "n_offers": self.n_offers,
            })
            for k, p in enumerate(self.parties):
                df[f"u_{p}"] = self.utilities[:, k]
            for k, i in enumerate(self.issues):
                df[i] = self.agreement_values[:, k]
            return df
        if table == "outcomes":
            n, m = self.n_runs, len(self.issues)
            return pd.DataFrame({
                "run": np.repeat(np.arange(n), m),
                "issue": np.tile(np.array(self.issues, dtype=object), n),
                "agreed": np.repeat(self.agreed, m),
                "value": self.agreement_values.reshape(-1),
            })
        if table == "trace":
            if self.offers is None:
                raise KeyError("no offer traces were kept; run simulate(..., traces=True)")
            run, step, party = np.nonzero(self.offers >= 0)
            out = self.offers[run, step, party].astype(np.int64)
            df = pd.DataFrame({"run": run, "step": step, "party": np.array(self.parties, dtype=object)[party], "outcome": out})
            order = np.lexsort((party, step, run))
            return df.iloc[order].reset_index(drop=True)
        raise KeyError(f"unknown table {table!r}; valid: runs, outcomes, trace")

    def _distribution(self, outcome: np.ndarray) -> dict[str, dict[str, int]]:
        """Per issue, value -> number of runs, over runs with outcome >= 0 (most frequent first)."""
        sel = outcome >= 0
        cards = [len(v) for v in self.values]
        out: dict[str, dict[str, int]] = {}
        rest = outcome[sel].astype(np.int64)
        idx = np.empty((rest.size, len(cards)), dtype=np.int64)
        for k in range(len(cards) - 1, -1, -1):
            idx[:, k] = rest % cards[k]
            rest = rest // cards[k]
        for k, iss in enumerate(self.issues):
            counts = np.bincount(idx[:, k], minlength=cards[k])
            order = np.argsort(-counts, kind="stable")
            out[iss] = {str(self.values[k][j]): int(counts[j]) for j in order if counts[j] > 0}
        return out

    def summary(self, level: float = 0.95) -> dict[str, Any]:
        """JSON-ready summary: deal rate with a Wilson interval, reasons, utilities, outcomes."""
        k = int(self.agreed.sum())
        lo, hi = wilson_interval(k, self.n_runs, level)
        reasons = {r: int((self.reason == r).sum()) for r in ("agreement", "deadline", "walk_away", "veto")}
        dist = self._distribution(self.agreement)
        vetoed = self._distribution(self.vetoed) if self.vetoed is not None and np.any(self.vetoed >= 0) else {}
        stages = {}
        if np.any(self.stage != ""):
            for st in dict.fromkeys(self.stage.tolist()):
                sel = self.stage == st
                stages[st] = {"runs": int(sel.sum()), "deals": int((sel & self.agreed).sum())}
        agreed_steps = self.step[self.agreed]
        return {
            "protocol": self.protocol,
            "scenario": self.scenario,
            "runs": self.n_runs,
            "deals": k,
            "deal_rate": k / self.n_runs if self.n_runs else None,
            "deal_rate_ci": [lo, hi],
            "ci_level": level,
            "reasons": reasons,
            "mean_utility": {p: float(self.utilities[:, i].mean()) for i, p in enumerate(self.parties)},
            "mean_step_of_agreement": float(agreed_steps.mean()) if agreed_steps.size else None,
            "outcome_distribution": dist,
            "vetoed_outcome_distribution": vetoed,
            "stages": stages,
            "strategies": dict(sorted({s: int((self.strategies == s).sum()) for s in set(self.strategies.tolist())}.items())),
            "params": {k2: (list(v) if isinstance(v, tuple) else v) for k2, v in self.params.items()},
            "seed_entropy": self.seed_entropy,
            "notes": list(self.notes),
        }
