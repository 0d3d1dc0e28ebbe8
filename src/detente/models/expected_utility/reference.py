"""Bueno de Mesquita's expected-utility model, as replicated by Scholz, Calbert & Smith (2011).

One issue continuum at a time. Each round, from the positions ``x`` at the start of the round:

1. the forecast ``mu``: the position with the most capability x salience support in pairwise
   votes (the weighted median);
2. a first pass with every risk exponent ``r = 1`` gives each actor's vulnerability
   ``S_i = sum_j EU_j(j challenges i)``, then ``R_i = (2 S_i - S_max - S_min) / (S_max - S_min)``
   and ``r_i = (1 - R_i/3) / (1 + R_i/3)`` (all ``r_i = 1`` when every ``S_i`` is equal);
3. a second pass with those ``r_i`` gives, in actor i's own view, ``a = EU^i(i challenges j)``
   and ``b = EU^i(j challenges i)``, with

   .. math::

       EU^i(ij) = s_j [P_{ij} U^s + (1 - P_{ij}) U^f] + (1 - s_j) U^s
                  - Q U^{sq} - (1 - Q)[T U^b + (1 - T) U^w],

   ``U^s = 2 - 4 (0.5 - 0.5 d)^r``, ``U^f = 2 - 4 (0.5 + 0.5 d)^r``, ``U^sq = 2 - 4 (0.5)^r``,
   ``d = |x_i - x_j| / L`` (``L`` the range of the *initial* positions) and the success
   probability ``P_ij`` the share of the risk-weighted votes
   ``v_k = c_k s_k (d_kj^{r_k} - d_ki^{r_k})`` that side with i;
4. offers: ``b > a > 0`` conflict (i moves to ``x_j``), ``b > 0 > a, b > |a|`` compromise (i moves
   ``|a/b|`` of the way to ``x_j``), ``b > 0 > a, |a| > b`` capitulation (to ``x_j``; off by
   default, as in the replication code); conflict > compromise > capitulation; all moves at once.

The default settings reproduce the replication code (global vote normaliser, weight-point
choice among compromises, no capitulation); see ``docs/models/expected_utility.md``.

This module is the readable statement of one round (:func:`_round`, vectorised over a batch
of ``B`` draws; ``docs/models/expected_utility.md`` points here). The engines that run whole
paths sit beside it: the numpy driver (:mod:`._numpy`, which runs this round chunk by chunk)
and the compiled kernels (:mod:`._kernel`, one draw at a time, and :mod:`._lanes`, many draws
in lockstep; the ``fast`` extra). :func:`~detente.models.expected_utility.expected_utility_path`
picks one through :mod:`detente.backends`.

References: Scholz, Calbert & Smith (2011), J. Theoretical Politics 23(4), 510-531,
doi:10.1177/0951629811418142; Bueno de Mesquita (1994), in Bueno de Mesquita & Stokman (Eds.),
European Community Decision Making, Yale University Press; Bueno de Mesquita (2002), Predicting
Politics, Ohio State University Press.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

__all__ = ["MOVE_TYPES", "CompromiseChoice", "Probability", "Round", "Trajectory"]

#: move codes used in :class:`Trajectory` ``move_type``: index -> name
MOVE_TYPES = ("none", "conflict", "compromise", "capitulation")
_NONE, _CONFLICT, _COMPROMISE, _CAPITULATION = range(4)

#: up to this many actors the vote tensor is reduced with a (BLAS) vector-matrix product
#: (beyond it the reduction over voters is faster)
_FEW_ACTORS = 32

Probability = Literal["replication", "paper"]
CompromiseChoice = Literal["weight_point", "smallest_move"]


class Round(NamedTuple):
    """Everything computed in one round, for ``B`` draws and ``n`` actors.

    Matrices are row i, column j; ``P[i, j]`` is the probability that i beats j.
    """

    median: np.ndarray  #: (B,) forecast mu at the start of the round (r = 1 votes)
    P1: np.ndarray  #: (B, n, n) success probabilities with every r = 1
    D1: np.ndarray  #: (B,) global vote normaliser of the first pass (replication variant)
    eu1: np.ndarray | None  #: (B, n, n) EU_i(i challenges j) with every r = 1 (None inside the path driver)
    security: np.ndarray  #: (B, n) S_i = sum_j EU_j(j challenges i), first pass
    R: np.ndarray  #: (B, n) R_i in [-1, 1]
    r: np.ndarray  #: (B, n) risk exponents r_i in [0.5, 2]
    P2: np.ndarray  #: (B, n, n) success probabilities with the voters' r_k
    D2: np.ndarray  #: (B,) global vote normaliser of the second pass
    a: np.ndarray  #: (B, n, n) EU^i(i challenges j) in i's view (r_i)
    b: np.ndarray  #: (B, n, n) EU^i(j challenges i) in i's view (r_i)
    move_type: np.ndarray  #: (B, n) int8 code into MOVE_TYPES
    move_with: np.ndarray  #: (B, n) counterpart j, -1 where i does not move
    eu_own: np.ndarray  #: (B, n) a[i, j] of the chosen offer (NaN without a move)
    eu_other: np.ndarray  #: (B, n) b[i, j] of the chosen offer (NaN without a move)
    new_position: np.ndarray  #: (B, n) positions after the simultaneous moves




class Trajectory(NamedTuple):
    """A whole run; leading axes ``...`` are the batch axes of the inputs."""

    position: np.ndarray  #: (..., rounds + 1, n) positions; index 0 = initial
    median: np.ndarray  #: (..., rounds + 1) forecast after each round; index 0 = initial
    mean: np.ndarray  #: (..., rounds + 1) capability x salience weighted mean
    rounds_run: np.ndarray  #: (...) int, rounds executed (< rounds after a convergence stop)
    position_range: np.ndarray  #: (...) L, the range of the initial positions
    risk: np.ndarray | None  #: (..., rounds, n) r_i used in each round
    risk_index: np.ndarray | None  #: (..., rounds, n) R_i
    security: np.ndarray | None  #: (..., rounds, n) S_i
    move_type: np.ndarray | None  #: (..., rounds, n) int8 code into MOVE_TYPES
    move_with: np.ndarray | None  #: (..., rounds, n) counterpart, -1 for none
    eu_own: np.ndarray | None  #: (..., rounds, n)
    eu_other: np.ndarray | None  #: (..., rounds, n)


# --------------------------------------------------------------------------- maths
def _support(u: np.ndarray, w: np.ndarray, pair: np.ndarray | None) -> np.ndarray:
    """N[b, i, j] = sum_k w_k max(0, u[b, k, j] - u[b, k, i]): the votes siding with i vs j.

    ``u[b, k, j]`` is voter k's (risk-weighted, normalised) distance to actor j; ``pair``
    (B, n, n) masks out pairs with an actor outside the issue. O(B n^3).
    """
    B, n, _ = u.shape
    if n <= _FEW_ACTORS:  # (measured) a stacked vector-matrix product is fastest for few actors
        t = u[:, :, None, :] - u[:, :, :, None]  # (B, k, i, j): u_kj - u_ki
        np.maximum(t, 0.0, out=t)
        N = np.matmul(w[:, None, :], t.reshape(B, n, n * n)).reshape(B, n, n)
    else:  # and a reduction over k of w_k u_kj - w_k u_ki for many
        wu = w[:, :, None] * u
        t = wu[:, :, None, :] - wu[:, :, :, None]
        np.maximum(t, 0.0, out=t)
        N = t.sum(axis=1)
    return N if pair is None else np.where(pair, N, 0.0)


#: up to this many actors, reductions over one actor axis of a batch run as a short Python loop
#: of whole-batch operations (numpy's per-row overhead dominates for short rows); the loops
#: keep numpy's order (sequential sums, exact max/min), so results are bit for bit the same
_LOOP_ACTORS = 8


def _col_sum(v: np.ndarray) -> np.ndarray:
    """``v.sum(axis=1)`` for (B, n, m): the same sequential order over the n rows."""
    n = v.shape[1]
    if n > _LOOP_ACTORS or n < 2:
        return v.sum(axis=1)
    acc = v[:, 0] + v[:, 1]
    for i in range(2, n):
        acc += v[:, i]
    return acc


def _row_extreme(v: np.ndarray, op: np.ufunc) -> np.ndarray:
    """``v.max(axis=1, keepdims=True)`` (``op=np.maximum``) or the min (``np.minimum``) for
    (B, n), NaN propagating as there; a loop over the few actors beats numpy's reduction over
    a short strided axis."""
    if v.shape[1] > _LOOP_ACTORS:
        return op.reduce(v, axis=1, keepdims=True)
    acc = v[:, 0].copy()
    for i in range(1, v.shape[1]):
        op(acc, v[:, i], out=acc)
    return acc[:, None]


def _probability(N: np.ndarray, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """Success probabilities P (B, n, n) and the global normaliser D (B,) from supports N."""
    # sum over voters and ordered pairs of |v| = 2 * (sum of the positive parts), since
    # v_k(a, b) = -v_k(b, a)
    D = 2.0 * N.sum(axis=(1, 2))
    if variant == "replication":
        return N / (D + (D == 0))[:, None, None], D  # D = 0: nobody apart, every P = 0
    den = N + N.transpose(0, 2, 1)  # sum_k |v_k(x_i, x_j)|
    return N / (den + (den == 0)), D


def _no_challenge(r, d_mu, dist, L, q, *, challenger_axis):
    """Value of not challenging, (B, n, n): Q U^sq + (1 - Q)[T U^b + (1 - T) U^w].

    The challenger is the row actor (``challenger_axis=1``) or the column actor (2); ``r``
    (scalar or (B, n, 1)) is the exponent of the actor whose view is taken. With
    ``m = (|x_c - mu| + |x_i - x_j|) / L`` for challenger c, and T = 1 when the challenger is
    nearer the median than its target (the eum / Efird et al. rule; irrelevant for Q = 1).
    """
    usq = 2.0 - 4.0 * 0.5**r
    if q == 1.0:
        return q * usq
    dm = d_mu[:, :, None] if challenger_axis == 1 else d_mu[:, None, :]
    m = (dm + dist) / L[:, None, None]
    ub = 2.0 - 4.0 * (0.5 - 0.25 * m) ** r
    uw = 2.0 - 4.0 * (0.5 + 0.25 * m) ** r
    return q * usq + (1.0 - q) * np.where(dm < dist, ub, uw)


def _round(x, s, w, L, B, n, q, probability, capitulation, compromise, take_part, internals=True) -> Round:
    """One round of the model for B draws of n actors: the equations of the module docstring
    (and of ``docs/models/expected_utility.md``) in order, forecast, first pass (r = 1), risk
    exponents, second pass, offers and moves.

    ``x, s, w`` (B, n) positions, saliences and capability x salience; ``L`` (B,) the range of
    the initial positions (1 where it is 0); the options as for
    :func:`~detente.models.expected_utility.expected_utility_round`; ``take_part`` (B, n) bool
    or None (everyone). ``internals=False`` skips the r = 1 EUs the path drivers never read.
    The numpy engine runs this function; the compiled kernels do the same operations in the
    same order (the tests compare them).
    """
    diff = x[:, None, :] - x[:, :, None]  # [b, i, j] = x_j - x_i
    dist = np.abs(diff)
    d = dist / L[:, None, None]
    everyone = take_part is None
    pair = None if everyone else take_part[:, :, None] & take_part[:, None, :]
    rows = np.arange(B)
    ii = np.arange(n)

    # forecast: the position a beats every other one in r = 1 votes <=> it minimises
    # sum_k w_k |x_k - x_a|; the first minimiser in actor order on an exact tie
    F = np.matmul(w[:, None, :], dist)[:, 0, :]
    if not everyone:
        F[~take_part] = np.inf
    mu = x[rows, F.argmin(axis=1)]
    d_mu = np.abs(x - mu[:, None]) if q != 1.0 else None

    # d = 0 (the diagonal, equal positions) makes every EU below exactly 0: no contest.
    # first pass, every r = 1: EU_i(ij) = s_j [P U^s + (1 - P) U^f] + (1 - s_j) U^s - (no
    # challenge) with U^s = 2d, U^f = -2d, U^sq = 0, i.e. 2d - 4 d s_j (1 - P)
    sj = s[:, None, :]
    P1, D1 = _probability(_support(d, w, pair), probability)
    dq = d * (1.0 - P1)
    if q == 1.0 and pair is None:
        # the driver does not need the r = 1 EUs themselves here
        eu1 = 2.0 * d - 4.0 * sj * dq if internals else None
        # S_i = sum_j EU_j(j challenges i) = sum_j [2 d_ji - 4 s_i d_ji (1 - P_ji)]
        S = 2.0 * _col_sum(d) - 4.0 * s * _col_sum(dq)
    else:
        eu1 = 2.0 * d - 4.0 * sj * dq
        if q != 1.0:
            eu1 -= _no_challenge(1.0, d_mu, dist, L, q, challenger_axis=1)
            same = dist == 0  # no contest between actors at one position (nor with oneself)
            eu1[same] = 0.0
        if pair is not None:
            eu1[~pair] = 0.0
        S = eu1.sum(axis=1)  # column sums
    if everyone:
        smax, smin = _row_extreme(S, np.maximum), _row_extreme(S, np.minimum)
    else:
        smax = _row_extreme(np.where(take_part, S, -np.inf), np.maximum)
        smin = _row_extreme(np.where(take_part, S, np.inf), np.minimum)
    spread = smax - smin
    # all S_i equal: the numerator is exactly 0 too, so R = 0 and r = 1 (the guard)
    R = (2.0 * S - smax - smin) / (spread + (spread == 0))
    r = (3.0 - R) / (3.0 + R)  # = (1 - R/3) / (1 + R/3)
    if not everyone:
        R[~take_part] = np.nan
        r[~take_part] = 1.0

    # second pass with the new exponents, each actor i in its own view (r_i); a and b share
    # the utilities of the distance |x_i - x_j|
    ri = r[:, :, None]
    P2, D2 = _probability(_support(d**ri, w, pair), probability)
    us = 2.0 - 4.0 * (0.5 - 0.5 * d) ** ri
    uf = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
    span = us - uf
    q2 = 1.0 - P2
    if q == 1.0:
        g = us - (2.0 - 4.0 * 0.5**ri)
        a = g - sj * q2 * span
        b = g - s[:, :, None] * q2.transpose(0, 2, 1) * span
    else:
        a = us - sj * q2 * span - _no_challenge(ri, d_mu, dist, L, q, challenger_axis=1)
        b = us - s[:, :, None] * q2.transpose(0, 2, 1) * span - _no_challenge(
            ri, d_mu, dist, L, q, challenger_axis=2
        )
        a[same] = 0.0
        b[same] = 0.0

    # offers in i's view, row i: b > a > 0 conflict; a < 0 < b, b > |a| compromise
    neg_a = -a
    conflict = (a > 0.0) & (b > a)
    comp = (a < 0.0) & (b > neg_a)
    if pair is not None:
        conflict &= pair
        comp &= pair
    j_conf = np.where(conflict, dist, np.inf).argmin(axis=2)
    if compromise == "weight_point":
        # (|a| x_i + |b| x_j) / (|a| + |b|) with a < 0 < b
        key = (neg_a * x[:, :, None] + b * x[:, None, :]) / (b + neg_a)
    else:
        key = dist * (neg_a / b)
    j_comp = np.where(comp, key, np.inf).argmin(axis=2)
    has_conf = conflict[rows[:, None], ii[None, :], j_conf]  # the argmin is a conflict iff any is
    has_comp = comp[rows[:, None], ii[None, :], j_comp]
    mtype = np.where(has_conf, _CONFLICT, np.where(has_comp, _COMPROMISE, _NONE)).astype(np.int8)
    jj = np.where(has_conf, j_conf, j_comp)
    if capitulation:
        cap = (a < 0.0) & (b > 0.0) & (neg_a > b)
        if pair is not None:
            cap &= pair
        j_cap = np.where(cap, dist, np.inf).argmin(axis=2)
        use_cap = (mtype == _NONE) & cap.any(axis=2)
        mtype[use_cap] = _CAPITULATION
        jj = np.where(use_cap, j_cap, jj)
    moving = mtype != _NONE
    sel = (rows[:, None], ii[None, :], jj)
    a_sel = a[sel]
    b_sel = b[sel]
    xj = x[rows[:, None], jj]
    new = np.where(mtype == _COMPROMISE, x + (xj - x) * np.abs(a_sel / b_sel), xj)
    new = np.where(moving, new, x)
    return Round(
        median=mu,
        P1=P1,
        D1=D1,
        eu1=eu1,
        security=S,
        R=R,
        r=r,
        P2=P2,
        D2=D2,
        a=a,
        b=b,
        move_type=mtype,
        move_with=np.where(moving, jj, -1),
        eu_own=np.where(moving, a_sel, np.nan),
        eu_other=np.where(moving, b_sel, np.nan),
        new_position=new,
    )


def _median(x, w, take_part):
    """The forecast mu of positions (B, n): the position minimising sum_k w_k |x_k - x_a|."""
    dist = np.abs(x[:, None, :] - x[:, :, None])
    F = np.matmul(w[:, None, :], dist)[:, 0, :]
    if take_part is not None:
        F = np.where(take_part, F, np.inf)
    return x[np.arange(x.shape[0]), F.argmin(axis=1)]
