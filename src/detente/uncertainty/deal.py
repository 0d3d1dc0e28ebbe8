"""Is a forecast outcome a deal? Red lines, walk-away values and threats, batched over draws.

A draw's outcome ``x`` (one value per issue) is a **deal** when

1. the model gave an outcome on every issue (no NaN, e.g. no Nash zone of agreement);
2. it lies inside the red lines of every actor whose consent a deal needs: every actor at the
   table and every absent actor holding a veto (as in :func:`detente.zone_of_agreement`);
3. every actor at the table gets at least its walk-away value:
   ``U_i(x) >= W_i - c_t * k_t`` where ``c_t`` and ``k_t`` are the credibility and cost of
   any threat ``t`` against ``i`` (a credible threat makes no deal worse for its target).

Utility: ``U_i(x) = sum_j s_ij (1 - |x_j - x_ij| / (max_j - min_j)) / sum_j s_ij``, the
salience-weighted mean over the issues the actor holds a position on of the linear utility on
each issue's scale (the ``linear_utilities`` of every baseline model). A walk-away given as a
utility is ``W_i``; one given as positions is ``W_i = U_i(y_i)`` with ``y_i`` the walk-away
position where given, else the issue's status quo, else ``x`` itself (neutral). Actors with no
walk-away value have no walk-away condition.

The **deal margin** is the smallest slack over these conditions (red-line slack as a share of
the issue's scale; walk-away slack in utility); it is >= 0 exactly for a deal and gives
sensitivity analysis a continuous "distance to a deal" where the deal indicator is constant.
A red line whose interval is the whole scale (a soft red line that does not bind in a draw)
takes no part in it.
"""

from __future__ import annotations

import numpy as np

from ..scenario.arrays import ScenarioArrays

__all__ = ["actor_utilities", "deal_flags"]


def actor_utilities(a: ScenarioArrays, outcome: np.ndarray, actors: np.ndarray | None = None) -> np.ndarray:
    """U_i of an outcome per actor.

    Parameters
    ----------
    outcome : (..., 1, n_issues) or (..., n_actors, n_issues)
        One outcome for every actor, or one outcome vector per actor.
    actors : (k,) int, optional
        Only these actors (the result then has k columns).

    Returns
    -------
    (..., n_actors) or (..., k); NaN for an actor with no salience anywhere.
    """
    width = a.scale_max - a.scale_min
    mid = 0.5 * (a.scale_min + a.scale_max)
    pos, sal, stake = a.position, a.salience, a.stake
    if actors is not None:
        pos, sal, stake = pos[..., actors, :], sal[..., actors, :], stake[actors]
        if outcome.shape[-2] != 1:
            outcome = outcome[..., actors, :]
    full = a.full_stake
    s = sal if full else np.where(stake, sal, 0.0)
    dist = np.abs(outcome - (pos if full else np.where(stake, pos, mid)))
    inv = 1.0 / width
    # issue by issue, in issue order: one fixed order of operations (einsum and sum pick theirs
    # by shape and CPU), which the fused Monte Carlo kernel repeats bit for bit
    tot = s[..., 0]
    loss = dist[..., 0] * s[..., 0] * inv[0]
    for k in range(1, width.shape[0]):
        tot = tot + s[..., k]
        loss = loss + dist[..., k] * s[..., k] * inv[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, 1.0 - loss / np.where(tot > 0, tot, 1.0), np.nan)


def deal_flags(
    a: ScenarioArrays,
    outcome: np.ndarray,
    *,
    credibility: np.ndarray | None = None,
    threat_target: np.ndarray | None = None,
    threat_cost: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deal flags for a batch of outcomes.

    Parameters
    ----------
    a : ScenarioArrays with a leading draw axis (n_draws, ...)
    outcome : (n_draws, n_issues)
    credibility : (n_draws, n_threats), optional
    threat_target : (n_threats,) int, optional
    threat_cost : (n_threats,), optional

    Returns
    -------
    deal : (n_draws,) bool
    no_outcome : (n_draws,) bool
        Some issue has no outcome (NaN).
    red_block : (n_draws, n_actors) bool
        The actor binds and the outcome is outside its red line on some issue.
    walk_block : (n_draws, n_actors) bool
        The actor is at the table and gets less than its (threat-adjusted) walk-away value.
    margin : (n_draws,)
        The smallest slack over all deal conditions: red-line slack as a share of the issue's
        scale, ``(x - min) / width`` and ``(max - x) / width``, and walk-away slack
        ``U_i(x) - W_i``. A deal has margin >= 0; -1 where there is no outcome. A continuous
        "distance to a deal" for sensitivity analysis.
    """
    x = np.asarray(outcome, dtype=float)
    n = x.shape[0]
    n_act = a.n_actors
    no_outcome = ~np.isfinite(x).all(axis=-1)
    margin = np.full(n, np.inf)
    width = a.scale_max - a.scale_min

    # red lines of the actors whose consent a deal needs, only the cells that have one
    binding = (a.present | a.veto)[:, None] & a.has_red_line
    ai, ii = np.nonzero(binding)
    red_block = np.zeros((n, n_act), dtype=bool)
    if ai.size:
        lo = np.broadcast_to(a.red_low, (n, *a.red_low.shape[-2:]))[:, ai, ii]
        hi = np.broadcast_to(a.red_high, (n, *a.red_high.shape[-2:]))[:, ai, ii]
        xv = x[:, ii]
        slack = np.minimum(xv - lo, hi - xv) / width[ii]
        # a red line opened to the whole scale (a soft line that does not bind in this draw,
        # see perturb.py) constrains nothing, so it gives no slack either
        slack = np.where((lo <= a.scale_min[ii]) & (hi >= a.scale_max[ii]), np.inf, slack)
        with np.errstate(invalid="ignore"):
            viol = slack < 0
        for r, i in enumerate(ai):
            red_block[:, i] |= viol[:, r]
        np.minimum(margin, slack.min(axis=1), out=margin)

    # walk-away values of the actors at the table (threat-adjusted)
    walk_u = np.broadcast_to(a.walk_utility, (n, n_act)).copy()
    has_pos = (~np.isnan(a.walk_position)).any(axis=-1)
    if np.any(has_pos):
        y = np.where(np.isnan(a.walk_position),
                     np.broadcast_to(a.status_quo, a.walk_position.shape), a.walk_position)
        y = np.broadcast_to(y, (n, *a.position.shape[-2:]))
        y = np.where(np.isnan(y), x[:, None, :], y)
        from_pos = actor_utilities(a, y)
        walk_u = np.where(np.isnan(walk_u) & has_pos, from_pos, walk_u)
    if credibility is not None and threat_target is not None and len(threat_target):
        loss = np.asarray(credibility) * threat_cost
        for t, target in enumerate(threat_target):
            walk_u[:, target] -= loss[:, t]
    walk_block = np.zeros((n, n_act), dtype=bool)
    need = a.present & ~np.isnan(walk_u).all(axis=0)
    if np.any(need):
        idx = np.flatnonzero(need)
        u = actor_utilities(a, x[:, None, :], idx)
        gap = u - walk_u[:, idx]
        gap = np.where(np.isnan(gap), np.inf, gap)
        walk_block[:, idx] = gap < 0
        np.minimum(margin, gap.min(axis=1), out=margin)

    walk_block &= ~no_outcome[:, None]
    red_block &= ~no_outcome[:, None]
    deal = ~no_outcome & ~red_block.any(axis=-1) & ~walk_block.any(axis=-1)
    margin = np.where(no_outcome, -1.0, np.where(np.isinf(margin), 1.0, margin))
    return deal, no_outcome, red_block, walk_block, margin
