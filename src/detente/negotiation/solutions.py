"""Pareto frontier and bargaining solutions of a discrete domain, vectorised.

Conventions follow ``shared/specs/negotiation-protocols.md`` section 7 (and NegMAS 0.16's
``pareto_frontier``, ``nash_points``, ``ks_points``, ``kalai_points``):

- outcomes below any party's reservation value are dropped first;
- the frontier keeps one entry per distinct utility vector, ordered by welfare (sum of
  utilities) descending;
- the disagreement point is d_i = max(min_omega U_i, r_i);
- Nash: maximise prod_i (U_i - d_i) over frontier points with U_i >= d_i
  (Nash 1950, doi:10.2307/1907266);
- Kalai-Smorodinsky: ideal point I_i = max U_i; minimise max_i g_i - min_i g_i of the
  normalised gains g_i = (U_i - d_i) / (I_i - d_i) (Kalai & Smorodinsky 1975,
  doi:10.2307/1914280);
- egalitarian ("kalai" in NegMAS): maximise min_i (U_i - d_i) (Kalai 1977);
- max welfare: maximise sum_i U_i.

Ties within ``TIE_TOL`` are all reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .domain import Domain

__all__ = ["BargainingPoints", "bargaining_points", "pareto_frontier", "pareto_mask"]

TIE_TOL = 1e-12


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Non-dominated rows of ``points`` (n_points, n_parties), duplicates all kept.

    Two parties: one sort and a running maximum (O(n log n)). More parties: blocked pairwise
    comparison against the 2-party-sweep survivors' superset.
    """
    pts = np.asarray(points, dtype=float)
    n, k = pts.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    if k == 1:
        return pts[:, 0] == pts[:, 0].max()
    if k == 2:
        order = np.lexsort((-pts[:, 1], -pts[:, 0]))  # U1 desc, then U2 desc
        s = pts[order]
        best_before = np.maximum.accumulate(np.r_[-np.inf, s[:-1, 1]])
        keep_sorted = s[:, 1] > best_before
        # equal duplicates of a kept point are kept too
        first_of_group = np.r_[True, np.any(s[1:] != s[:-1], axis=1)]
        grp = np.cumsum(first_of_group) - 1
        grp_keep = np.zeros(grp[-1] + 1, dtype=bool)
        grp_keep[grp[first_of_group]] = keep_sorted[first_of_group]
        mask = np.zeros(n, dtype=bool)
        mask[order] = grp_keep[grp]
        return mask
    uniq, inv = np.unique(pts, axis=0, return_inverse=True)
    keep = np.ones(len(uniq), dtype=bool)
    block = max(1, 2_000_000 // max(1, len(uniq) * k))
    for lo in range(0, len(uniq), block):
        a = uniq[lo : lo + block, None, :]
        ge = np.all(uniq[None, :, :] >= a, axis=2)
        gt = np.any(uniq[None, :, :] > a, axis=2)
        keep[lo : lo + block] = ~np.any(ge & gt, axis=1)
    return keep[inv.ravel()]


def pareto_frontier(utilities: np.ndarray, reservation: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pareto frontier in NegMAS's convention.

    Parameters
    ----------
    utilities : (n_parties, n_outcomes)
    reservation : (n_parties,), optional
        Outcomes with U_i < r_i for any party are dropped first.

    Returns
    -------
    frontier : (n_points, n_parties)
        Distinct non-dominated utility vectors, welfare descending.
    outcomes : (n_points,) int
        One outcome id per point (the lowest id with that utility vector).
    """
    u = np.asarray(utilities, dtype=float)
    ok = np.ones(u.shape[1], dtype=bool)
    if reservation is not None:
        ok &= np.all(u >= np.asarray(reservation, dtype=float)[:, None], axis=0)
    ids = np.flatnonzero(ok)
    pts = u[:, ids].T
    m = pareto_mask(pts)
    pts, ids = pts[m], ids[m]
    uniq, first = np.unique(pts, axis=0, return_index=True)
    ids = ids[first]
    welfare = uniq.sum(axis=1)
    order = np.lexsort((ids, -welfare))
    return uniq[order], ids[order]


@dataclass(frozen=True, slots=True)
class BargainingPoints:
    """Frontier and solution points of a domain (utilities (n_points, n_parties), outcome ids)."""

    frontier: np.ndarray
    frontier_outcomes: np.ndarray
    disagreement: np.ndarray
    ideal: np.ndarray
    nash: np.ndarray
    nash_outcomes: np.ndarray
    ks: np.ndarray
    ks_outcomes: np.ndarray
    egalitarian: np.ndarray
    egalitarian_outcomes: np.ndarray
    max_welfare: np.ndarray
    max_welfare_outcomes: np.ndarray


def _ties(score: np.ndarray, best: str) -> np.ndarray:
    if score.size == 0:
        return np.zeros(0, dtype=int)
    target = score.max() if best == "max" else score.min()
    return np.flatnonzero(np.abs(score - target) <= TIE_TOL)


def bargaining_points(domain_or_utilities: Domain | np.ndarray, reservation: np.ndarray | None = None) -> BargainingPoints:
    """Pareto frontier, Nash, Kalai-Smorodinsky, egalitarian and max-welfare points.

    Parameters
    ----------
    domain_or_utilities : Domain or (n_parties, n_outcomes) array
    reservation : (n_parties,), optional
        Taken from the domain when a Domain is given; 0 otherwise.
    """
    if isinstance(domain_or_utilities, Domain):
        u = domain_or_utilities.utilities()
        r = domain_or_utilities.reservation if reservation is None else np.asarray(reservation, float)
    else:
        u = np.asarray(domain_or_utilities, dtype=float)
        r = np.zeros(u.shape[0]) if reservation is None else np.asarray(reservation, float)
    front, fo = pareto_frontier(u, r)
    d = np.maximum(u.min(axis=1), r)
    ideal = u.max(axis=1)
    gain = front - d
    ok = np.all(gain >= 0, axis=1)
    prod = np.where(ok, np.prod(np.maximum(gain, 0), axis=1), -np.inf)
    nash = _ties(prod, "max") if ok.any() else np.zeros(0, int)
    span = np.where(ideal - d > 0, ideal - d, 1.0)
    g = gain / span
    spread = np.where(ok, g.max(axis=1) - g.min(axis=1), np.inf)
    ks = _ties(spread, "min") if ok.any() else np.zeros(0, int)
    egal_score = np.where(ok, gain.min(axis=1), -np.inf)
    egal = _ties(egal_score, "max") if ok.any() else np.zeros(0, int)
    mw = _ties(front.sum(axis=1), "max")
    return BargainingPoints(
        frontier=front, frontier_outcomes=fo, disagreement=d, ideal=ideal,
        nash=front[nash], nash_outcomes=fo[nash], ks=front[ks], ks_outcomes=fo[ks],
        egalitarian=front[egal], egalitarian_outcomes=fo[egal],
        max_welfare=front[mw], max_welfare_outcomes=fo[mw],
    )
