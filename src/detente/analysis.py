"""Red-line analysis: the zone of agreement, and who blocks a forecast.

For each issue, the interval acceptable to every actor at the table and to every absent actor
holding a veto, or "empty: impasse" naming the actors whose red lines clash
(:func:`zone_of_agreement`); and, for a forecast, the binding actors whose red lines exclude
its outcome (:func:`blocked_by`). The one red-line check of a single forecast; the batched
check over Monte Carlo draws is :func:`detente.uncertainty.deal.deal_flags`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .results import freeze_array

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ZoneOfAgreement", "blocked_by", "zone_of_agreement"]

ZONE_COLUMNS = ("scenario", "issue", "low", "high", "empty", "binding_low", "binding_high", "clash")


@dataclass(frozen=True, slots=True)
class ZoneOfAgreement:
    """Per-issue zone of agreement.

    Attributes
    ----------
    low, high : (n_issues,)
        The interval acceptable to every binding actor (NaN where empty).
    empty : (n_issues,) bool
    binding_low, binding_high : tuple of str
        The actor whose red line sets each bound ("" where it is the issue's scale).
    clash : tuple of tuple of str
        Per issue, pairs "a vs b" of binding actors whose intervals do not overlap.
    """

    scenario: str
    issues: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    empty: np.ndarray
    binding_low: tuple[str, ...]
    binding_high: tuple[str, ...]
    clash: tuple[tuple[str, ...], ...]
    binding_actors: tuple[str, ...]

    def __post_init__(self) -> None:
        for f in ("low", "high", "empty"):
            object.__setattr__(self, f, freeze_array(getattr(self, f)))

    def to_frame(self) -> pd.DataFrame:
        """Columns: scenario, issue, low, high, empty, binding_low, binding_high, clash."""
        import pandas as pd

        return pd.DataFrame(
            {
                "scenario": self.scenario,
                "issue": list(self.issues),
                "low": self.low,
                "high": self.high,
                "empty": self.empty,
                "binding_low": list(self.binding_low),
                "binding_high": list(self.binding_high),
                "clash": ["; ".join(c) for c in self.clash],
            },
            columns=list(ZONE_COLUMNS),
        )

    def describe(self, issue: str) -> str:
        k = self.issues.index(issue)
        if self.empty[k]:
            return "empty: impasse (" + "; ".join(self.clash[k]) + ")"
        return f"[{self.low[k]:g}, {self.high[k]:g}]"

    def summary(self) -> dict[str, Any]:
        return {
            iid: {
                "low": None if self.empty[k] else float(self.low[k]),
                "high": None if self.empty[k] else float(self.high[k]),
                "empty": bool(self.empty[k]),
                "clash": list(self.clash[k]),
                "binding_low": self.binding_low[k],
                "binding_high": self.binding_high[k],
            }
            for k, iid in enumerate(self.issues)
        }


def zone_of_agreement(scenario) -> ZoneOfAgreement:
    """The interval on each issue acceptable to every actor whose consent a deal needs.

    Actors at the table and absent actors with ``veto: true`` bind; absent actors without a
    veto do not.
    """
    a = scenario.arrays()
    binding = a.present | a.veto
    names = a.actors
    lows, highs, empties, blo, bhi, clashes = [], [], [], [], [], []
    for k in range(a.n_issues):
        rl = a.red_low[:, k]
        rh = a.red_high[:, k]
        has = a.has_red_line[:, k] & binding
        lo_k, hi_k = a.scale_min[k], a.scale_max[k]
        who_lo = who_hi = ""
        for i in np.flatnonzero(has):
            if rl[i] > lo_k:
                lo_k, who_lo = rl[i], names[i]
            if rh[i] < hi_k:
                hi_k, who_hi = rh[i], names[i]
        empty = lo_k > hi_k
        pairs = []
        if empty:
            idx = np.flatnonzero(has)
            for i in idx:
                for j in idx:
                    if i < j and (rl[i] > rh[j] or rl[j] > rh[i]):
                        pairs.append(
                            f"{names[i]} [{rl[i]:g}, {rh[i]:g}] vs {names[j]} [{rl[j]:g}, {rh[j]:g}]"
                        )
        lows.append(np.nan if empty else lo_k)
        highs.append(np.nan if empty else hi_k)
        empties.append(empty)
        blo.append(who_lo)
        bhi.append(who_hi)
        clashes.append(tuple(pairs))
    return ZoneOfAgreement(
        scenario=scenario.name,
        issues=a.issues,
        low=np.array(lows, dtype=float),
        high=np.array(highs, dtype=float),
        empty=np.array(empties, dtype=bool),
        binding_low=tuple(blo),
        binding_high=tuple(bhi),
        clash=tuple(clashes),
        binding_actors=tuple(n for n, b in zip(names, binding, strict=True) if b),
    )


def blocked_by(scenario, forecast) -> dict[str, list[str]]:
    """Per issue, the binding actors whose red lines exclude the forecast outcome.

    Binding actors are those at the table and absent actors holding a veto (as for
    :func:`zone_of_agreement`). A batched forecast (an outcome per draw) is judged by its
    median over the draws with an answer. Issues without an answer (NaN) and issues nobody
    blocks are absent from the mapping.

    Returns
    -------
    dict
        ``{issue id: [actor id, ...]}``, actors in scenario order.
    """
    a = scenario.arrays()
    binding = a.present | a.veto
    outcome = np.asarray(forecast.outcome, dtype=float)
    out: dict[str, list[str]] = {}
    for k, iid in enumerate(a.issues):
        v = outcome[..., k].ravel()
        v = v[np.isfinite(v)]
        x = float(np.median(v)) if v.size else np.nan
        if not np.isfinite(x):
            continue
        who = [
            a.actors[i] for i in range(a.n_actors)
            if binding[i] and a.has_red_line[i, k] and not (a.red_low[i, k] <= x <= a.red_high[i, k])
        ]
        if who:
            out[iid] = who
    return out
