"""A scenario as read-only float64 arrays in fixed actor/issue order.

Axis order is always (draw, actor, issue); any leading batch axes are allowed on every array,
so perturbation code can hand a whole ensemble to a model's maths function in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .schema import Scenario

__all__ = ["ScenarioArrays"]


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=float if np.asarray(a).dtype != bool else bool, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True)
class ScenarioArrays:
    """Arrays of a scenario.

    Attributes
    ----------
    actors, issues : tuple of str
        Ids in the scenario's order.
    position : (..., n_actors, n_issues)
        Positions on each issue's own scale; NaN where the actor has no stake.
    salience : (..., n_actors, n_issues)
        Salience in [0, 1]; 0 where the actor has no stake.
    stake : (n_actors, n_issues) bool
        Whether the actor holds a position on the issue.
    power : (..., n_actors)
        Capability, >= 0.
    present, veto : (n_actors,) bool
        At the table; absent but holding a veto over outcomes outside its red lines.
    scale_min, scale_max, status_quo : (n_issues,)
        Issue scales; status quo NaN where none is given.
    red_low, red_high : (..., n_actors, n_issues)
        Acceptable interval per actor and issue (the whole scale where no red line is set).
    has_red_line : (n_actors, n_issues) bool
    walk_utility : (..., n_actors)
        Walk-away utility in [0, 1]; NaN where not given as a utility.
    walk_position : (..., n_actors, n_issues)
        Walk-away position; NaN where not given as positions.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    position: np.ndarray
    salience: np.ndarray
    stake: np.ndarray
    power: np.ndarray
    present: np.ndarray
    veto: np.ndarray
    scale_min: np.ndarray
    scale_max: np.ndarray
    status_quo: np.ndarray
    red_low: np.ndarray
    red_high: np.ndarray
    has_red_line: np.ndarray
    walk_utility: np.ndarray
    walk_position: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                object.__setattr__(self, f.name, _ro(v))

    @classmethod
    def from_scenario(cls, s: Scenario) -> ScenarioArrays:
        actors = s.actor_ids
        issues = s.issue_ids
        ai = {a: k for k, a in enumerate(actors)}
        ii = {i: k for k, i in enumerate(issues)}
        n, m = len(actors), len(issues)
        position = np.full((n, m), np.nan)
        salience = np.zeros((n, m))
        for p in s.positions:
            position[ai[p.actor], ii[p.issue]] = p.position
            salience[ai[p.actor], ii[p.issue]] = p.salience
        smin = np.array([i.scale.min for i in s.issues], dtype=float)
        smax = np.array([i.scale.max for i in s.issues], dtype=float)
        sq = np.array([np.nan if i.status_quo is None else i.status_quo for i in s.issues])
        red_low = np.broadcast_to(smin, (n, m)).copy()
        red_high = np.broadcast_to(smax, (n, m)).copy()
        has_rl = np.zeros((n, m), dtype=bool)
        for r in s.red_lines:
            a, i = ai[r.actor], ii[r.issue]
            # several red lines on one pair intersect: each is a constraint the actor holds
            red_low[a, i] = max(red_low[a, i], r.min)
            red_high[a, i] = min(red_high[a, i], r.max)
            has_rl[a, i] = True
        walk_u = np.full(n, np.nan)
        walk_p = np.full((n, m), np.nan)
        for w in s.walk_away:
            if w.utility is not None:
                walk_u[ai[w.actor]] = w.utility
            for iid, v in w.positions.items():
                walk_p[ai[w.actor], ii[iid]] = v
        return cls(
            actors=actors,
            issues=issues,
            position=position,
            salience=salience,
            stake=~np.isnan(position),
            power=np.array([a.power for a in s.actors], dtype=float),
            present=np.array([a.present for a in s.actors], dtype=bool),
            veto=np.array([a.veto for a in s.actors], dtype=bool),
            scale_min=smin,
            scale_max=smax,
            status_quo=sq,
            red_low=red_low,
            red_high=red_high,
            has_red_line=has_rl,
            walk_utility=walk_u,
            walk_position=walk_p,
        )

    @property
    def n_actors(self) -> int:
        return len(self.actors)

    @property
    def n_issues(self) -> int:
        return len(self.issues)

    @property
    def weight(self) -> np.ndarray:
        """power x salience, (..., n_actors, n_issues); 0 where the actor has no stake."""
        sal = self.salience if self.full_stake else np.where(self.stake, self.salience, 0.0)
        return self.power[..., :, None] * sal

    def filled_position(self) -> np.ndarray:
        """Positions with no-stake cells set to the issue's scale midpoint.

        Those cells always carry zero weight, so the fill value never moves a forecast; it only
        keeps NaN out of the arithmetic.
        """
        if self.full_stake:
            return self.position
        mid = 0.5 * (self.scale_min + self.scale_max)
        return np.where(self.stake, self.position, np.broadcast_to(mid, self.position.shape))

    @property
    def full_stake(self) -> bool:
        """Every actor holds a position on every issue: nothing to mask (the common case, and
        the hot path of Monte Carlo ensembles)."""
        return bool(self.stake.all())

    def replace(self, **changes) -> ScenarioArrays:
        """A copy with some arrays swapped (e.g. a batch of perturbed positions)."""
        return replace(self, **changes)
