"""The result of a batch of simulated negotiations: frozen, read-only, tidy."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..results import wilson_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RUN_COLUMNS", "SimulationResult", "ending_labels", "wilson_interval"]

#: Fixed leading columns of ``to_frame("runs")``; then ``u_<party>`` per party and one column
#: per issue (the agreed value, NaN/None without a deal).
RUN_COLUMNS = ("run", "protocol", "scenario", "strategies", "agreed", "reason", "ended_by", "step", "stage",
               "n_offers")
#: Reason codes (as in :data:`detente.simulate.turns.REASONS`), by code.
_REASONS = ("agreement", "deadline", "walk_away", "veto")


def ending_labels(reason: np.ndarray, walked_out: np.ndarray | None, veto_mask: np.ndarray | None,
                  parties: Sequence[str], vetoers: Sequence[int]) -> np.ndarray:
    """Who ended each run and how: ``"deal"``, ``"deadline"``, ``"walk_away:<party>"`` (who walked
    out) or ``"veto:<party>"`` (the absent veto holders whose red lines the table agreement
    broke, joined by ``+`` when several).

    Parameters
    ----------
    reason : (n_runs,) int reason codes or str reasons
    walked_out : (n_runs,) int, optional
        Index into ``parties`` of the party that walked away, -1 otherwise.
    veto_mask : (n_runs,) int, optional
        Bit v set when ``vetoers[v]`` vetoed the run's table agreement.
    parties : the party names; vetoers : indices into ``parties``.
    """
    code = np.asarray(reason)
    if code.dtype.kind not in "iu":
        names = code.astype(str)
        code = np.zeros(names.shape, dtype=np.int64)
        for k, name in enumerate(_REASONS):
            code[names == name] = k
    n = code.shape[0]
    w = np.full(n, -1, dtype=np.int64) if walked_out is None else np.asarray(walked_out, dtype=np.int64)
    v = np.zeros(n, dtype=np.int64) if veto_mask is None else np.asarray(veto_mask, dtype=np.int64)
    # one integer key per run (reason, walker + 1, veto mask), so the unique pass is 1-D
    n_w = len(parties) + 1
    key = code + 4 * (np.where(code == 2, w, -1) + 1) + 4 * n_w * np.where(code == 3, v, 0)
    uniq, inv = np.unique(key, return_inverse=True)
    labels = []
    for k in uniq.tolist():
        c, who, mask = k % 4, (k // 4) % n_w - 1, k // (4 * n_w)
        if c == 0:
            labels.append("deal")
        elif c == 2:
            labels.append(f"walk_away:{parties[who]}" if who >= 0 else "walk_away")
        elif c == 3:
            by = [parties[x] for b, x in enumerate(vetoers) if mask >> b & 1]
            labels.append("veto:" + "+".join(by) if by else "veto")
        else:
            labels.append("deadline")
    return np.array(labels, dtype=object)[inv.ravel()] if n else np.array([], dtype=object)


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
    ended_by : (n_runs,) array of str
        Who ended the run and how (:func:`ending_labels`): ``"deal"``, ``"deadline"``,
        ``"walk_away:<party>"`` or ``"veto:<party>"``.
    walked_out : (n_runs,) int or None
        Index (into ``parties``) of the party that walked away in runs ending ``walk_away``,
        -1 otherwise.
    provisional : (n_runs,) int or None
        Summit: the last provisional agreement (reached at a stage that seated only some of
        the negotiators), -1 where there was none.
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
    walked_out: np.ndarray | None = None
    provisional: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.ended_by is None:
            object.__setattr__(self, "ended_by", ending_labels(np.asarray(self.reason), self.walked_out, None,
                                                               tuple(self.parties), []))
        for f in ("strategies", "agreement", "agreement_values", "reason", "utilities", "step", "stage", "n_offers", "last_proposer"):
            object.__setattr__(self, f, _ro(getattr(self, f)))
        for f in ("offers", "vetoed", "ended_by", "walked_out", "provisional"):
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
                "ended_by": self.ended_by,
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

    def _ended_by_counts(self) -> dict[str, int]:
        """Runs per ``ended_by`` label, most frequent first."""
        assert self.ended_by is not None
        labels, counts = np.unique(self.ended_by.astype(str), return_counts=True)
        order = sorted(range(labels.size), key=lambda k: (-counts[k], labels[k]))
        return {str(labels[k]): int(counts[k]) for k in order}

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
            "ended_by": self._ended_by_counts(),
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
