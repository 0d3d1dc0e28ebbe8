"""Convert a :class:`~detente.scenario.schema.Scenario` into a negotiation :class:`Domain`.

Rules (documented in ``docs/simulation.md``):

- **Outcome space.** Each issue's scale [min, max] is discretised into ``levels`` evenly
  spaced values (``numpy.linspace``), so an outcome is one grid value per issue.
- **Utility.** Actor a's utility is linear additive and distance based:
  U_a(x) = sum_j w_aj * e_aj(x_j) / max_v e_aj(v), with e_aj(v) = 1 - |v - p_aj| / R_j
  (R_j the issue's scale width, p_aj the actor's position) and weights w_aj = s_aj / sum_j s_aj
  its saliences (issues where it has no stake get weight 0). Dividing by the best grid value
  is GENIUS's normalisation: the actor's best outcome on the grid is worth exactly 1.
- **Delegations (two-level game, Putnam 1988).** When delegation members sit in (a stage's
  ``members``), e_aj is the influence-weighted mean of the members' e (a member's own position
  where it has one, else the actor's), weights renormalised over the members present.
- **Red lines** are hard constraints: an outcome outside an actor's red line on any issue is
  worth U - 2 (below every reservation value in [0, 1]).
- **Walk-away values** are reservation values: the walk-away utility when given, else the
  utility of the walk-away positions (issues not given: the status quo, else the actor's own
  position), else the utility of the status quo when every issue has one, else 0.
- **Threats** shift reservation values by their expected cost: the target's falls by
  credibility x cost_to_target, the issuer's by credibility x cost_to_issuer (a threat makes no
  deal worse for both; Schelling 1960, ch. 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ScenarioError
from .domain import Domain

__all__ = ["actor_reservations", "scenario_domain", "threat_shifts"]


def _grid(scenario, levels: int) -> list[np.ndarray]:
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise ScenarioError(f"must be an integer >= 2 (got {levels!r})", field="levels")
    return [np.linspace(i.scale.min, i.scale.max, int(levels)) for i in scenario.issues]


def _members(actor, members: Sequence[str] | None):
    if not actor.delegation:
        return [(1.0, {})]
    chosen = [m for m in actor.delegation if not members or m.id in members]
    total = sum(m.weight for m in chosen)
    if total <= 0:
        return [(1.0, {})]
    return [(m.weight / total, dict(m.positions)) for m in chosen]


def _score(v: np.ndarray, p: float, width: float) -> np.ndarray:
    return 1.0 - np.abs(v - p) / width


def scenario_domain(
    scenario,
    *,
    levels: int = 5,
    members: dict[str, Sequence[str]] | None = None,
    reservation: np.ndarray | None = None,
) -> Domain:
    """The scenario's negotiation domain, one party per actor (in scenario order).

    Parameters
    ----------
    scenario : Scenario
    levels : int
        Grid values per issue (>= 2; 5 gives 0, 25, 50, 75, 100 on a 0-100 scale).
    members : dict actor id -> member ids, optional
        Delegation members in the room (missing or empty: the whole delegation).
    reservation : (n_actors,), optional
        Reservation values to use instead of :func:`actor_reservations` (+ threat shifts).
    """
    grids = _grid(scenario, levels)
    a = scenario.arrays()
    n_a = len(scenario.actors)
    members = members or {}
    scores = []
    allowed = []
    for j, iss in enumerate(scenario.issues):
        width = iss.scale.max - iss.scale.min
        sc = np.ones((n_a, levels))
        for k, actor in enumerate(scenario.actors):
            if not a.stake[k, j]:
                continue
            own = a.position[k, j]
            mem = _members(actor, members.get(actor.id))
            sc[k] = sum(w * _score(grids[j], pos.get(iss.id, own), width) for w, pos in mem)
        sc = np.maximum(sc, 0.0)
        scores.append(sc)
        tol = 1e-9 * max(1.0, abs(width))
        allowed.append((grids[j][None, :] >= a.red_low[:, j : j + 1] - tol) & (grids[j][None, :] <= a.red_high[:, j : j + 1] + tol))
    sal = np.where(a.stake, a.salience, 0.0)
    tot = sal.sum(axis=1, keepdims=True)
    weights = np.where(tot > 0, sal / np.where(tot > 0, tot, 1.0), 0.0)
    dom = Domain(
        name=scenario.name,
        issues=scenario.issue_ids,
        values=tuple(tuple(float(v) for v in g) for g in grids),
        parties=scenario.actor_ids,
        scores=tuple(scores),
        weights=weights,
        reservation=np.zeros(n_a),
        allowed=tuple(allowed),
        numeric=True,
        source=scenario.name,
    )
    if reservation is None:
        reservation = actor_reservations(scenario, dom) + threat_shifts(scenario)
    return dom.replace(reservation=np.asarray(reservation, dtype=float))


def _utility_at(dom: Domain, party: int, x: np.ndarray, scenario, members=None) -> float:
    """Continuous utility of a point x (n_issues,) with the domain's normalisation (no penalty)."""
    a = scenario.arrays()
    total = 0.0
    for j, iss in enumerate(scenario.issues):
        if not a.stake[party, j]:
            continue
        width = iss.scale.max - iss.scale.min
        actor = scenario.actors[party]
        mem = _members(actor, (members or {}).get(actor.id))
        e = sum(w * float(_score(np.array(x[j]), pos.get(iss.id, a.position[party, j]), width)) for w, pos in mem)
        mx = dom.scores[j][party].max()
        total += dom.weights[party, j] * (e / mx if mx > 0 else 0.0)
    return total


def actor_reservations(scenario, dom: Domain | None = None, members=None) -> np.ndarray:
    """Reservation value per actor (before threats), by the rules in the module docstring."""
    if dom is None:
        dom = scenario_domain(scenario, reservation=np.zeros(len(scenario.actors)))
    a = scenario.arrays()
    r = np.zeros(len(scenario.actors))
    sq = a.status_quo
    for k in range(len(scenario.actors)):
        if not np.isnan(a.walk_utility[k]):
            r[k] = a.walk_utility[k]
        elif np.any(~np.isnan(a.walk_position[k])):
            fill = np.where(np.isnan(sq), a.filled_position()[k], sq)
            x = np.where(np.isnan(a.walk_position[k]), fill, a.walk_position[k])
            r[k] = _utility_at(dom, k, x, scenario, members)
        elif not np.any(np.isnan(sq)):
            r[k] = _utility_at(dom, k, sq, scenario, members)
    return r


def threat_shifts(scenario) -> np.ndarray:
    """Expected change of each actor's reservation value from the scenario's threats."""
    ids = scenario.actor_ids
    d = np.zeros(len(ids))
    for th in scenario.threats:
        d[ids.index(th.target)] -= th.credibility * th.cost_to_target
        d[ids.index(th.issuer)] -= th.credibility * th.cost_to_issuer
    return d
