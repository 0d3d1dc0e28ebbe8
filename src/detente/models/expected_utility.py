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

Two backends compute the same maths (``backend=``): vectorised numpy (below) and a compiled
numba kernel (:mod:`detente.models._expected_utility_kernel`, the ``fast`` extra, imported on
first use); ``"auto"`` takes numba when it is installed.

References: Scholz, Calbert & Smith (2011), J. Theoretical Politics 23(4), 510-531,
doi:10.1177/0951629811418142; Bueno de Mesquita (1994), in Bueno de Mesquita & Stokman (Eds.),
European Community Decision Making, Yale University Press; Bueno de Mesquita (2002), Predicting
Politics, Ohio State University Press.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import ClassVar, Literal, NamedTuple

import numpy as np
import pandas as pd

from .._jit import HAVE_NUMBA
from ..errors import MissingExtraError, ModelParameterError, ScenarioError
from ..results import Forecast
from ._common import linear_utilities

__all__ = [
    "BACKENDS",
    "ExpectedUtility",
    "MOVE_TYPES",
    "Round",
    "Trajectory",
    "expected_utility_path",
    "expected_utility_round",
]

#: move codes used in :class:`Trajectory` ``move_type``: index -> name
MOVE_TYPES = ("none", "conflict", "compromise", "capitulation")
_NONE, _CONFLICT, _COMPROMISE, _CAPITULATION = range(4)

#: up to this many actors the vote tensor is reduced with a (BLAS) vector-matrix product, and
#: a single draw takes the lean path (same arithmetic; beyond it the batched code is faster)
_FEW_ACTORS = 32

#: elements of the (draws, actors, actors, actors) vote tensor handled per chunk of draws:
#: bounds memory (2 MB per temporary) and keeps the work in cache (measured fastest)
_CHUNK_ELEMENTS = 1 << 18

Probability = Literal["replication", "paper"]
CompromiseChoice = Literal["weight_point", "smallest_move"]
Backend = Literal["auto", "numba", "numpy"]

#: computation backends: "numba" (compiled kernel, the ``fast`` extra), "numpy" (vectorised
#: over draws) and "auto" (numba when it is installed, else numpy)
BACKENDS = ("auto", "numba", "numpy")


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


def expected_utility_round(
    position: np.ndarray,
    salience: np.ndarray,
    weight: np.ndarray,
    position_range: np.ndarray,
    *,
    q: float = 1.0,
    probability: Probability = "replication",
    capitulation: bool = False,
    compromise: CompromiseChoice = "weight_point",
    take_part: np.ndarray | None = None,
    backend: Backend = "auto",
) -> Round:
    """One round of the model from the positions at its start.

    Parameters
    ----------
    position, salience, weight : (B, n)
        Current positions, salience in [0, 1] (a probability) and capability x salience.
    position_range : (B,)
        L, the range of the initial positions (1 may stand in where it is 0: no one moves).
    q : float
        Probability that the status quo holds if i does not challenge.
    probability : {"replication", "paper"}
        Global vote normaliser of Scholz's code, or the paper's per-pair share.
    capitulation : bool
        Apply the capitulation rule (the replication code never reaches it).
    compromise : {"weight_point", "smallest_move"}
        Which of several compromises an actor takes: the lowest weight point
        ``(|a| x_i + |b| x_j) / (|a| + |b|)`` (the replication code) or the smallest move.
    take_part : (B, n) bool, optional
        Actors in the issue; the others neither vote, offer nor move. Default: all.
    backend : {"auto", "numba", "numpy"}
        The compiled kernel or the vectorised numpy code (same maths; the internals agree to
        ~1e-15). "auto": numba when installed.

    Returns
    -------
    Round

    Raises
    ------
    MissingExtraError
        ``backend="numba"`` without numba (``pip install 'detente[fast]'``).
    """
    x = position
    B, n = x.shape
    L = position_range
    w = weight
    s = salience
    if _use_numba(backend):
        return _nb_round(x, s, w, L, take_part, q=q, probability=probability,
                         capitulation=capitulation, compromise=compromise)
    with np.errstate(all="ignore"):  # 0/0 only on masked cells (equal positions, diagonal)
        return _round(x, s, w, L, B, n, q, probability, capitulation, compromise, take_part)


def _round(x, s, w, L, B, n, q, probability, capitulation, compromise, take_part, internals=True) -> Round:
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


# --------------------------------------------------------------------------- one draw
# A lean path for a single draw (B = 1, Q = 1, every actor in the issue): the same floating-
# point operations as :func:`_round`, in the same order, on (n, n) arrays instead of (B, n, n),
# so it gives bit-identical results (the tests compare the two exactly) with about half the
# numpy calls. Small-array numpy calls cost about 1 us each whatever their size, so at 5-20
# actors the call count, not the arithmetic, sets the time: the offers are picked in plain
# Python from the few candidate pairs, and per-round records are stacked once at the end.


class _Buffers:
    """Scratch arrays for :func:`_lean_round`, allocated once per run (n actors)."""

    __slots__ = ("t", "flat", "cols", "base", "powd", "ab", "n", "d_views", "p_views")

    def __init__(self, n: int) -> None:
        self.n = n
        self.t = np.empty((n, n, n))  # vote differences [k, i, j]
        self.flat = self.t.reshape(n, n * n)
        self.cols = np.empty((2, n, n))  # d and d (1 - P): their column sums in one call
        # 0.5 - d/2, 0.5 + d/2, 0.5 and d: raised to the row's r_i in one call
        self.base = np.empty((4, n, n))
        self.base[2] = 0.5
        self.powd = np.empty((4, n, n))
        self.ab = np.empty((2, n, n))  # a and b
        # [k, None, j] and [k, i, None] views of d (cols[0]) and d^r (powd[3]) for the votes
        self.d_views = (self.cols[0][:, None, :], self.cols[0][:, :, None])
        self.p_views = (self.powd[3][:, None, :], self.powd[3][:, :, None])


_add_reduce = np.add.reduce


def _lean_support(views: tuple, w: np.ndarray, bufs: _Buffers) -> np.ndarray:
    """:func:`_support` for one draw: N[i, j] = sum_k w_k max(0, u_kj - u_ki), ``views`` the
    ``u[:, None, :]`` and ``u[:, :, None]`` views of u (n, n)."""
    t = bufs.t
    np.subtract(views[0], views[1], out=t)  # [k, i, j]: u_kj - u_ki
    np.maximum(t, 0.0, out=t)
    n = bufs.n
    return np.matmul(w, bufs.flat).reshape(n, n)


def _lean_median(x: np.ndarray, xl: list, w: np.ndarray) -> float:
    """:func:`_median` for one draw (``xl`` is ``x`` as a list)."""
    return xl[int(np.matmul(w, np.abs(np.subtract.outer(x, x))).argmin())]


def _lean_round(x, xl, s, sl, w, L, bufs, probability, capitulation, compromise) -> list:
    """One round for one draw (Q = 1, everyone in the issue); see :func:`_round`.

    ``xl``, ``sl`` are ``x``, ``s`` as lists. Returns one row ``[mu, S (n), R (n), r (n), eu_own (n),
    eu_other (n), move_type (n), move_with (n), new positions (n)]``.
    """
    n = bufs.n
    dist = np.abs(np.subtract.outer(x, x))  # [i, j] = |x_i - x_j| = |x_j - x_i| exactly
    mu = xl[int(np.matmul(w, dist).argmin())]
    cols, base = bufs.cols, bufs.base
    d = np.divide(dist, L, out=cols[0])
    # first pass, r = 1
    N = _lean_support(bufs.d_views, w, bufs)
    if probability == "replication":
        D = 2.0 * float(_add_reduce(N, axis=None))
        P = N / (D + (D == 0))
    else:
        den = N + N.T
        P = N / (den + (den == 0))
    np.multiply(d, 1.0 - P, out=cols[1])
    c0, c1 = _add_reduce(cols, axis=1).tolist()  # column sums of d and of d (1 - P)
    # the (n,)-sized steps in plain Python: the same IEEE operations in the same order
    Sl = [2.0 * u - 4.0 * si * v for u, si, v in zip(c0, sl, c1, strict=True)]
    tot = sum(Sl)
    if tot - tot == 0.0:  # all finite: Python's max/min equal numpy's (no NaN to propagate)
        smax, smin = max(Sl), min(Sl)
    else:
        S = np.array(Sl)
        smax, smin = float(S.max()), float(S.min())
    spread = smax - smin
    den = spread + (spread == 0)
    Rl = [(2.0 * v - smax - smin) / den for v in Sl]
    rl = [(3.0 - v) / (3.0 + v) for v in Rl]
    # second pass with the new exponents, actor i in its own view (r_i)
    ri = np.array(rl)[:, None]
    h = np.multiply(0.5, d, out=base[1])
    np.subtract(0.5, h, out=base[0])
    np.add(0.5, h, out=base[1])
    base[3] = d
    pw = np.power(base, ri, out=bufs.powd)
    N = _lean_support(bufs.p_views, w, bufs)
    if probability == "replication":
        D = 2.0 * float(_add_reduce(N, axis=None))
        q2 = 1.0 - N / (D + (D == 0))
    else:
        den = N + N.T
        q2 = 1.0 - N / (den + (den == 0))
    u = pw[:3]  # U^s, U^f, U^sq = 2 - 4 (.)^r_i
    np.multiply(4.0, u, out=u)
    np.subtract(2.0, u, out=u)
    us = u[0]
    span = us - u[1]
    g = us - u[2]
    ab = bufs.ab  # a = g - s_j q2_ij span, b = g - s_i q2_ji span
    np.multiply(s, q2, out=ab[0])
    np.multiply(s[:, None], q2.T, out=ab[1])
    np.multiply(ab, span, out=ab)
    np.subtract(g, ab, out=ab)
    a, b = ab

    # offers: conflict (b > a > 0) and compromise (b > -a > 0) are exactly the pairs with
    # b > |a| and a != 0; row-major order keeps numpy's first-minimiser tie rule
    mtype = [_NONE] * n
    mwith = [-1] * n
    eu_own = [np.nan] * n
    eu_other = [np.nan] * n
    newl = xl[:]
    cand = (b > np.abs(a)).ravel().nonzero()[0]
    conf: dict[int, tuple] = {}
    comp: dict[int, tuple] = {}
    if cand.size:
        weight_point = compromise == "weight_point"
        for f, aij, bij, dij in zip(
            cand.tolist(), a.take(cand).tolist(), b.take(cand).tolist(), dist.take(cand).tolist(),
            strict=True,
        ):
            i, j = divmod(f, n)
            if aij > 0.0:
                cur = conf.get(i)
                if cur is None or dij < cur[0]:
                    conf[i] = (dij, j, aij, bij)
            elif aij < 0.0 and i not in conf:
                neg_a = -aij
                if weight_point:
                    key = (neg_a * xl[i] + bij * xl[j]) / (bij + neg_a)
                else:
                    key = dij * (neg_a / bij)
                cur = comp.get(i)
                if cur is None or key < cur[0]:
                    comp[i] = (key, j, aij, bij)
        for i, (_, j, aij, bij) in conf.items():
            mtype[i], mwith[i], eu_own[i], eu_other[i], newl[i] = _CONFLICT, j, aij, bij, xl[j]
        for i, (_, j, aij, bij) in comp.items():
            if i not in conf:
                xi = xl[i]
                mtype[i], mwith[i], eu_own[i], eu_other[i] = _COMPROMISE, j, aij, bij
                newl[i] = xi + (xl[j] - xi) * abs(aij / bij)
    if capitulation:
        cap = ((a < 0.0) & (b > 0.0) & (-a > b)).ravel().nonzero()[0]
        best: dict[int, tuple] = {}
        for f, aij, bij, dij in zip(
            cap.tolist(), a.take(cap).tolist(), b.take(cap).tolist(), dist.take(cap).tolist(),
            strict=True,
        ):
            i, j = divmod(f, n)
            if mtype[i] == _NONE:
                cur = best.get(i)
                if cur is None or dij < cur[0]:
                    best[i] = (dij, j, aij, bij)
        for i, (_, j, aij, bij) in best.items():
            mtype[i], mwith[i], eu_own[i], eu_other[i], newl[i] = _CAPITULATION, j, aij, bij, xl[j]
    return [mu, *Sl, *Rl, *rl, *eu_own, *eu_other, *mtype, *mwith, *newl]


def _lean_applies(x: np.ndarray, w: np.ndarray, take_part) -> bool:
    """Whether one draw (1-D ``x``, ``w``) can take :func:`_lean_path`: every actor in the
    issue (w > 0, ``take_part`` all true) and every value finite (a finite sum of each; an
    overflowing sum just falls back to the batched path)."""
    wl = w.tolist()
    sx, sw = sum(x.tolist()), sum(wl)
    return (
        len(wl) > 0
        and sx - sx == 0.0
        and sw - sw == 0.0
        and min(wl) > 0.0
        and (take_part is None or bool(np.all(take_part)))
    )


def _lean_path(x0, s, w, *, rounds, tolerance, record, opts):
    """:func:`_run_chunk` for one draw (1-D inputs) with everyone in the issue and Q = 1.

    Same outputs, shaped (1, ...), bit for bit. Each distinct start-of-round state is run once
    (see :func:`_run_chunk`); its results are kept as one row
    ``[mu, S, R, r, eu_own, eu_other, move_type, move_with, new]`` and the rows are gathered
    per round at the end.
    """
    n = x0.shape[0]
    x0l = x0.tolist()
    lo, hi = min(x0l), max(x0l)
    L = hi - lo
    Ls = L if L > 0 else 1.0
    bufs = _Buffers(n)
    args = (s, s.tolist(), w, Ls, bufs, opts["probability"], opts["capitulation"], opts["compromise"])
    x, xl = x0, x0l
    rows: list[list] = []
    ids: list[int] = []
    seen: dict[bytes, int] = {}
    rounds_run = rounds
    for t in range(rounds):
        key = x.tobytes()
        k = seen.get(key)
        if k is None:
            k = seen[key] = len(rows)
            rows.append(_lean_round(x, xl, *args))
        ids.append(k)
        newl = rows[k][-n:]
        step = None if tolerance is None else max([abs(u - v) for u, v in zip(newl, xl, strict=True)])
        if step is not None and step <= tolerance * L:
            # as the batched driver: the later rounds still record the median of the (now
            # fixed) positions, with no moves and no risk values
            rounds_run = t + 1
            x, xl = np.array(newl), newl
            if t + 1 < rounds:
                rows.append(
                    [_lean_median(x, xl, w)] + [np.nan] * (5 * n) + [_NONE] * n + [-1] * n + newl
                )
                ids.extend([len(rows) - 1] * (rounds - t - 1))
            break
        x, xl = np.array(newl), newl
    # the forecast after the last round: the median of the final positions
    k = seen.get(x.tobytes())
    mu_last = rows[k][0] if k is not None else _lean_median(x, xl, w)
    table = np.array(rows)[ids]  # (rounds, 1 + 8 n)
    med = np.empty((1, rounds + 1))
    med[0, :rounds] = table[:, 0]
    med[0, rounds] = mu_last
    pos = np.empty((1, rounds + 1, n))
    pos[0, 0] = x0
    pos[0, 1:] = table[:, 1 + 7 * n :]
    mean = (w * pos).sum(axis=2) / w.sum()
    rec = None
    if record:
        cols = [table[None, :, 1 + m * n : 1 + (m + 1) * n] for m in range(7)]
        rec = {
            "security": cols[0],
            "risk_index": cols[1],
            "risk": cols[2],
            "eu_own": cols[3],
            "eu_other": cols[4],
            "move_type": cols[5].astype(np.int8),
            "move_with": cols[6].astype(np.int64),
        }
    return pos, med, mean, np.array([rounds_run], dtype=np.int64), np.array([L], dtype=float), rec


def _run_chunk(x0, s, w, take_part, *, rounds, tolerance, record, opts):
    B, n = x0.shape
    tp = None if take_part is None or take_part.all() else take_part
    if tp is None:
        lo, hi = x0.min(axis=1), x0.max(axis=1)
    else:
        lo = np.where(tp, x0, np.inf).min(axis=1)
        hi = np.where(tp, x0, -np.inf).max(axis=1)
        # actors outside the issue are masked everywhere; parking them inside the range keeps
        # their (unused) utilities finite
        x0 = np.where(tp, x0, lo[:, None])
    L = hi - lo
    Ls = np.where(L > 0, L, 1.0)
    pos = np.empty((B, rounds + 1, n))
    med = np.empty((B, rounds + 1))
    mean = np.empty((B, rounds + 1))
    rec = None
    if record:
        rec = {
            "risk": np.empty((B, rounds, n)),
            "risk_index": np.empty((B, rounds, n)),
            "security": np.empty((B, rounds, n)),
            "move_type": np.empty((B, rounds, n), dtype=np.int8),
            "move_with": np.empty((B, rounds, n), dtype=np.int64),
            "eu_own": np.empty((B, rounds, n)),
            "eu_other": np.empty((B, rounds, n)),
        }
    x = x0
    pos[:, 0] = x0
    done = np.zeros(B, dtype=bool)
    rounds_run = np.full(B, rounds, dtype=np.int64)
    # the round map depends on the start-of-round positions only (r restarts at 1, L is
    # fixed), so a state seen before repeats its round exactly: reuse it (cycles, stops)
    seen: dict[bytes, tuple] = {}
    for t in range(rounds):
        key = x.tobytes() + done.tobytes()
        res = seen.get(key)
        if res is None:
            with np.errstate(all="ignore"):  # 0/0 only on masked cells, as in expected_utility_round
                full = _round(x, s, w, Ls, B, n, opts["q"], opts["probability"], opts["capitulation"],
                              opts["compromise"], tp, internals=False)
            res = (full.median, full.r, full.R, full.security, full.move_type, full.move_with,
                   full.eu_own, full.eu_other, full.new_position)
            seen[key] = res
        mu, r, R, S, mtype, mwith, eu_own, eu_other, new = res
        med[:, t] = mu
        if done.any():
            stay = done[:, None]
            mtype = np.where(stay, _NONE, mtype).astype(np.int8)
            new = np.where(stay, x, new)
            r, R, S = (np.where(stay, np.nan, v) for v in (r, R, S))
            mwith = np.where(stay, -1, mwith)
            eu_own, eu_other = (np.where(stay, np.nan, v) for v in (eu_own, eu_other))
        if record:
            rec["risk"][:, t] = r
            rec["risk_index"][:, t] = R
            rec["security"][:, t] = S
            rec["move_type"][:, t] = mtype
            rec["move_with"][:, t] = mwith
            rec["eu_own"][:, t] = eu_own
            rec["eu_other"][:, t] = eu_other
        if tolerance is not None:
            step = np.abs(new - x).max(axis=1)
            stop = ~done & (step <= tolerance * L)
            rounds_run[stop] = t + 1
            done = done | stop
        x = new
        pos[:, t + 1] = x
    # the median at the start of round t+1 is the forecast after round t; one more after the last
    med[:, rounds] = _median(x, w, tp)
    mean[:] = (w[:, None, :] * pos).sum(axis=2) / w.sum(axis=1)[:, None]
    return pos, med, mean, rounds_run, L, rec


def expected_utility_path(
    position: np.ndarray,
    salience: np.ndarray,
    power: np.ndarray,
    *,
    rounds: int = 10,
    q: float = 1.0,
    probability: Probability = "replication",
    capitulation: bool = False,
    compromise: CompromiseChoice = "weight_point",
    tolerance: float | None = None,
    take_part: np.ndarray | None = None,
    record: bool = True,
    backend: Backend = "auto",
) -> Trajectory:
    """Run the model for ``rounds`` rounds on one issue, for every draw at once.

    Parameters
    ----------
    position, salience, power : (..., n_actors)
        Positions, salience in [0, 1] and capability (broadcast against each other; leading
        axes are batch axes, e.g. draws or issues). Inputs are not validated here: see
        :class:`ExpectedUtility` for the checks.
    rounds : int
        Rounds to run.
    q, probability, capitulation, compromise
        As in :func:`expected_utility_round`.
    tolerance : float, optional
        Stop a draw once no actor moves by more than ``tolerance * L`` in a round (its later
        rounds repeat the last positions). None: always run ``rounds`` rounds.
    take_part : (..., n_actors) bool, optional
        Actors in the issue (default: capability x salience > 0).
    record : bool
        Keep the per-round moves and risk exponents (False saves memory in large batches).
    backend : {"auto", "numba", "numpy"}
        ``"numba"``: the compiled kernel (the ``fast`` extra), a loop over draws and actors
        with no per-call overhead; ``"numpy"``: the vectorised code; ``"auto"`` (default):
        numba when it is installed. Same maths; results agree to the last few bits (~1e-15
        in a round, ~1e-13 after ten rounds, as the model amplifies rounding differences).

    Returns
    -------
    Trajectory

    Raises
    ------
    MissingExtraError
        ``backend="numba"`` without numba installed.

    Notes
    -----
    Cost per round is O(B n^3) time for the vote tensor and O(B n^2) for the rest. numba runs
    the draws one after the other in compiled loops; numpy processes the batch in chunks so
    memory stays bounded, and a single draw with every actor in
    the issue, Q = 1 and at most 32 actors takes a lean path with the same arithmetic (bit for
    bit the same results) and far fewer numpy calls. A start-of-round state seen before is not
    run again (the round depends on it alone), so cycling paths cost only their distinct rounds.
    """
    if _use_numba(backend):
        return _nb_path(position, salience, power, take_part, rounds, q, probability,
                        capitulation, compromise, tolerance, record)
    lead, n, B, parts = _parts(position, salience, power, take_part, rounds=rounds, q=q,
                               probability=probability, capitulation=capitulation,
                               compromise=compromise, tolerance=tolerance, record=record)
    out: list | None = None
    for sl, part in parts:
        if sl.stop - sl.start == B:  # one part: use its arrays as they are
            out = list(part)
            break
        if out is None:  # fill preallocated arrays chunk by chunk (no concatenation copy)
            out = [np.empty((B, *v.shape[1:]), dtype=v.dtype) for v in part[:5]]
            out.append(None if part[5] is None else
                       {k: np.empty((B, *v.shape[1:]), dtype=v.dtype) for k, v in part[5].items()})
        for dst, v in zip(out[:5], part[:5], strict=True):
            dst[sl] = v
        if part[5] is not None:
            for k, v in part[5].items():
                out[5][k][sl] = v
    assert out is not None  # B > 0, so at least one part
    pos, med, mean, rr, L, rec = out

    def shape(a, *tail):
        return a.reshape(lead + tuple(tail))

    def get(k):
        return None if rec is None else shape(rec[k], rounds, n)

    return Trajectory(
        position=shape(pos, rounds + 1, n),
        median=shape(med, rounds + 1),
        mean=shape(mean, rounds + 1),
        rounds_run=shape(rr),
        position_range=shape(L),
        risk=get("risk"),
        risk_index=get("risk_index"),
        security=get("security"),
        move_type=get("move_type"),
        move_with=get("move_with"),
        eu_own=get("eu_own"),
        eu_other=get("eu_other"),
    )


def _broadcast_inputs(position, salience, power):
    """``x, s, c`` as float arrays of one shape, the batch axes ``lead``, ``n`` actors and
    ``B`` draws."""
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    c = np.asarray(power, dtype=float)
    if not x.shape == s.shape == c.shape:
        x, s, c = np.broadcast_arrays(x, s, c)
    lead, n = x.shape[:-1], x.shape[-1]
    B = math.prod(lead)
    if B == 0:
        raise ValueError(f"no draws to run: the batch axes {lead} are empty")
    return x, s, c, lead, n, B


def _parts(position, salience, power, take_part, *, rounds, q, probability, capitulation,
           compromise, tolerance, record):
    """Inputs of :func:`expected_utility_path` as (B, n) rows, and a generator of
    ``(row slice, chunk result)`` running them chunk by chunk (or the one-draw lean path).

    Returns ``lead, n, B, parts``.
    """
    x, s, c, lead, n, B = _broadcast_inputs(position, salience, power)
    w = (c * s).reshape(B, n)
    x = x.reshape(B, n)
    s = s.reshape(B, n)
    opts = dict(q=float(q), probability=probability, capitulation=capitulation, compromise=compromise)
    kw = dict(rounds=rounds, tolerance=tolerance, record=record, opts=opts)

    def parts():
        if B == 1 and n <= _FEW_ACTORS and opts["q"] == 1.0 and _lean_applies(x[0], w[0], take_part):
            # one draw, everyone in the issue: the lean path (same numbers, fewer numpy calls)
            with np.errstate(all="ignore"):  # (not held across the yield)
                one = _lean_path(x[0], s[0], w[0], **kw)
            yield slice(0, 1), one
            return
        if take_part is None:
            tp = w > 0
        else:
            tp = np.broadcast_to(np.asarray(take_part, dtype=bool), lead + (n,)).reshape(B, n) & (w > 0)
        chunk = max(1, _CHUNK_ELEMENTS // max(1, n**3))
        for i in range(0, B, chunk):
            sl = slice(i, min(B, i + chunk))
            yield sl, _run_chunk(x[sl], s[sl], w[sl], tp[sl], **kw)

    return lead, n, B, parts()


def _final_median(position, salience, power, take_part, *, backend="auto", **kw) -> np.ndarray:
    """Only the forecast after the last round, (...,): what :meth:`ExpectedUtility.
    forecast_arrays` needs, without keeping any path (memory O(chunk) beyond the inputs)."""
    if _use_numba(backend):
        lead, n, B, xsc, tp = _nb_inputs(position, salience, power, take_part)
        return _nb_final(xsc, tp, kw["rounds"], kw["q"], kw["probability"], kw["capitulation"],
                         kw["compromise"], kw["tolerance"]).reshape(lead)
    lead, n, B, parts = _parts(position, salience, power, take_part, record=False, **kw)
    out = np.empty(B)
    for sl, part in parts:
        out[sl] = part[1][:, -1]
    return out.reshape(lead)


@functools.cache
def _kernel():
    """The compiled kernel module, imported (with numba) on first use; None without numba."""
    if not HAVE_NUMBA:
        return None
    try:
        from . import _expected_utility_kernel
    except ImportError:  # numba present but unusable (e.g. a numpy it does not support)
        return None
    return _expected_utility_kernel


@functools.cache
def _lanes():
    """The lockstep kernel module (:mod:`._expected_utility_lanes`); only called once
    :func:`_kernel` has found numba."""
    from . import _expected_utility_lanes

    return _expected_utility_lanes


def _use_numba(backend: str) -> bool:
    """Whether ``backend`` ("auto", "numba" or "numpy") runs the numba kernel.

    Raises MissingExtraError for "numba" without a working numba, ValueError for an unknown
    name.
    """
    if backend == "numpy":
        return False
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))} (got {backend!r})")
    if _kernel() is None:
        if backend == "numba":
            raise MissingExtraError("numba", "fast")
        return False
    return True


def _contiguous(v: np.ndarray, dtype) -> np.ndarray:
    """``v`` as a writable C-contiguous array of ``dtype`` (one compiled signature for all)."""
    if v.dtype != dtype or not v.flags.c_contiguous or not v.flags.writeable:
        return np.array(v, dtype=dtype, order="C")
    return v


_NO_TAKE_PART = np.zeros((0, 0), dtype=bool)  # "everyone with capability x salience > 0"


def _nb_inputs(position, salience, power, take_part):
    """Inputs of :func:`expected_utility_path` for the kernel: ``lead, n, B, xsc, take_part``
    with ``xsc`` (3, B, n) C-contiguous (position, salience, power; one copy) and
    ``take_part`` (B, n), or (0, 0) for None."""
    x, s, c, lead, n, B = _broadcast_inputs(position, salience, power)
    xsc = np.array((x, s, c)).reshape(3, B, n)
    if take_part is None:
        return lead, n, B, xsc, _NO_TAKE_PART
    tp = np.broadcast_to(np.asarray(take_part, dtype=bool), x.shape).reshape(B, n)
    return lead, n, B, xsc, _contiguous(tp, np.bool_)


def _nb_run(xsc, tp, rounds, q, probability, capitulation, compromise, tolerance, record, keep):
    """:func:`_run_chunk` through the numba kernel, for all B draws in one call.

    Returns the kernel's outputs ``pos (B', rounds + 1, n), mm (2, B', rounds + 1) (median,
    mean), rounds_run (B,), Lf (2, B) (L, last median), rec (5, B'', rounds, n) (risk,
    risk_index, security, eu_own, eu_other), move_type, move_with (B'', rounds, n)``, with
    B' = B if ``keep`` else 1 and B'' = B if ``record`` else 1 (then they hold the last draw).
    """
    _, B, n = xsc.shape
    nb = B if keep else 1
    nr = B if record else 1
    e = np.empty
    out = (e((nb, rounds + 1, n)), e((2, nb, rounds + 1)), e(B, dtype=np.int64), e((2, B)),
           e((5, nr, rounds, n)), e((nr, rounds, n), dtype=np.int8),
           e((nr, rounds, n), dtype=np.int64))
    _kernel().path(
        xsc, tp, int(rounds), float(q), probability == "paper", bool(capitulation),
        compromise == "weight_point", tolerance is not None,
        0.0 if tolerance is None else float(tolerance), keep, record, *out,
    )
    return out


def _nb_final(xsc, tp, rounds, q, probability, capitulation, compromise, tolerance) -> np.ndarray:
    """The forecast after the last round of each of the B draws of ``xsc`` (3, B, n), through
    the numba kernels.

    Draws with Q = 1, every actor in the issue and finite inputs run in the lockstep kernel
    (:mod:`._expected_utility_lanes`), however few; the others one by one in
    :func:`._expected_utility_kernel.path`. Which kernel a draw takes depends on the draw alone,
    never on the batch around it, so a Monte Carlo result does not depend on the chunking.
    """
    _, B, n = xsc.shape

    def scalar(x, t):
        return _nb_run(x, t, rounds, q, probability, capitulation, compromise, tolerance,
                       False, False)[3][1]

    if not (q == 1.0 and rounds >= 1):
        return scalar(xsc, tp)
    lock = _lanes()
    ok = np.empty(B, dtype=bool)
    lock.eligible(xsc, tp, ok)
    lanes = np.flatnonzero(ok)
    out = np.empty(B)
    if lanes.size:
        lock.final_medians(xsc, lanes, int(rounds), probability == "paper", bool(capitulation),
                           compromise == "weight_point", tolerance is not None,
                           0.0 if tolerance is None else float(tolerance), out,
                           lock.lane_count(n, int(lanes.size)))
    if lanes.size < B:
        rest = np.flatnonzero(~ok)
        out[rest] = scalar(np.ascontiguousarray(xsc[:, rest]), tp[rest] if tp.shape[0] else tp)
    return out


def _nb_path(position, salience, power, take_part, rounds, q, probability, capitulation,
             compromise, tolerance, record) -> Trajectory:
    """:func:`expected_utility_path` with the numba backend. At 5 actors the kernel takes a
    few microseconds and every array operation or call around it ~0.2-0.5 us, so they are
    kept few (positional calls, few arrays)."""
    lead, n, B, xsc, tp = _nb_inputs(position, salience, power, take_part)
    pos, mm, rr, Lf, rec, mt, mw = _nb_run(xsc, tp, rounds, q, probability, capitulation,
                                           compromise, tolerance, record, True)
    if not lead:  # one draw: drop the kernel's draw axis
        out = (pos[0], mm[0, 0], mm[1, 0], rr.reshape(()), Lf[0, 0, ...])
        recs = (rec[0, 0], rec[1, 0], rec[2, 0], mt[0], mw[0], rec[3, 0], rec[4, 0])
    else:
        R1, Rn = lead + (rounds + 1,), lead + (rounds, n)
        out = (pos.reshape(R1 + (n,)), mm[0].reshape(R1), mm[1].reshape(R1), rr.reshape(lead),
               Lf[0].reshape(lead))
        recs = (rec[0].reshape(Rn), rec[1].reshape(Rn), rec[2].reshape(Rn), mt.reshape(Rn),
                mw.reshape(Rn), rec[3].reshape(Rn), rec[4].reshape(Rn)) if record else ()
    return Trajectory(*out, *(recs if record else (None,) * 7))


def _nb_round(x, s, w, L, take_part, *, q, probability, capitulation, compromise) -> Round:
    """:func:`expected_utility_round` through the numba kernel (a Python loop over draws:
    this entry point serves internals and tests, so it reuses the kernel's one compiled
    round instead of compiling a batched variant)."""
    K = _kernel()
    B, n = x.shape
    tp = np.ones((B, n), dtype=bool) if take_part is None else _contiguous(take_part, np.bool_)
    L = np.asarray(L, dtype=float)
    xsc = np.zeros((3, B, n))
    xsc[1] = s  # the round reads the saliences there
    rec = np.empty((5, B, 1, n))  # as the path records one round: risk, R, security, EUs
    mtype = np.empty((B, 1, n), dtype=np.int8)
    mwith = np.empty((B, 1, n), dtype=np.int64)
    pos = np.empty((B, 2, n))
    M, V, first = np.empty((K.N_MATS, n, n)), np.empty((K.N_VECS, n)), np.empty(n, dtype=np.int64)
    internals = np.empty((5, B, n, n))
    median, D1, D2 = np.empty(B), np.empty(B), np.empty(B)
    paper, wp = probability == "paper", compromise == "weight_point"
    for b in range(B):
        V[K._X], V[K._WS], V[K._XL] = x[b], w[b], np.nan
        median[b], D1[b], D2[b] = K.round_one(
            xsc, b, tp[b], bool(tp[b].all()), float(L[b]), float(q), paper, bool(capitulation),
            wp, M, V, first, rec, mtype, mwith, pos, b, b, 0,
        )
        internals[:, b] = M[[K._P1, K._EU1, K._P2, K._A, K._B]]
    P1, eu1, P2, a, b_ = internals
    risk, R, security, eu_own, eu_other = rec[:, :, 0]
    return Round(median=median, D1=D1, D2=D2, move_type=mtype[:, 0], move_with=mwith[:, 0], P1=P1,
                 eu1=eu1, P2=P2, a=a, b=b_, security=security, R=R, r=risk, eu_own=eu_own,
                 eu_other=eu_other, new_position=pos[:, 1])

# --------------------------------------------------------------------------- model
_PROBABILITY_NOTE = (
    "the expected-utility model uses salience as a probability (the chance that a challenged "
    "actor resists), so it must lie in [0, 1] and is not rescaled; divide saliences given on "
    "0..100 by 100"
)


def _where(draw: tuple, actor: str | None, issue: str | None) -> str:
    parts = []
    if draw:
        parts.append("draw " + ",".join(map(str, draw)))
    if actor is not None:
        parts.append(f"actor {actor!r}")
    if issue is not None:
        parts.append(f"issue {issue!r}")
    return ", ".join(parts)


def _check_inputs(a, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate ScenarioArrays (any leading batch axes) for the model.

    Returns position, salience, power (broadcast to (..., n_actors, n_issues)) and the
    take-part mask.

    Raises
    ------
    ScenarioError
        Naming the field, the actor/issue (and draw) and the value, for a non-finite value,
        a salience outside [0, 1] (used as a probability), a negative or zero total
        capability, or no issue with at least two actors taking part.
    """
    stake = np.asarray(a.stake, dtype=bool)
    x = np.asarray(a.position, dtype=float)
    s = np.asarray(a.salience, dtype=float)
    c = np.asarray(a.power, dtype=float)[..., :, None]
    x, s, c = np.broadcast_arrays(x, s, c)
    stake = np.broadcast_to(stake, x.shape)

    def fail(mask, field, problem):
        idx = tuple(int(v) for v in np.argwhere(mask)[0])
        draw, i, k = idx[:-2], idx[-2], idx[-1]
        got = {"position": x, "salience": s, "power": c}[field][idx]
        raise ScenarioError(
            problem.format(got=got), source=source,
            location=_where(draw, a.actors[i], a.issues[k]), field=field,
        )

    bad = stake & ~np.isfinite(x)
    if bad.any():
        fail(bad, "position", "must be a finite number (got {got})")
    bad = stake & ~np.isfinite(s)
    if bad.any():
        fail(bad, "salience", "must be a finite number (got {got})")
    bad = ~np.isfinite(c) | (c < 0)
    if bad.any():
        fail(bad, "power", "capability must be a finite number >= 0 (got {got})")
    bad = stake & ((s < 0) | (s > 1))
    if bad.any():
        fail(bad, "salience", "must lie in [0, 1] (got {got}): " + _PROBABILITY_NOTE)
    w = np.where(stake, c * s, 0.0)
    take_part = stake & (w > 0)
    total = w.sum(axis=-2)
    if np.any(total <= 0):
        idx = tuple(int(v) for v in np.argwhere(total <= 0)[0])
        raise ScenarioError(
            "total capability x salience is 0: no actor with power > 0 cares about the issue, "
            "so there is nothing to forecast",
            source=source, location=_where(idx[:-1], None, a.issues[idx[-1]]), field="power",
        )
    # an issue with one actor in it simply stays at that actor's position (forecast notes it);
    # with nobody to bargain with on any issue there is no negotiation to model
    count = take_part.sum(axis=-2).max(axis=-1)
    if np.any(count < 2):
        idx = tuple(int(v) for v in np.argwhere(count < 2)[0])
        who = [a.actors[i] for i in np.flatnonzero(take_part[idx].any(axis=-1))]
        raise ScenarioError(
            "the expected-utility model needs at least two actors with power x salience > 0 on "
            f"some issue (got {len(who)}: {', '.join(map(repr, who))})",
            source=source, location=_where(idx, None, None), field="actors",
        )
    return x, s, c, take_part


def _per_issue(v: np.ndarray) -> np.ndarray:
    """(..., n_actors, n_issues) -> (..., n_issues, n_actors)."""
    return np.swapaxes(v, -1, -2)


@dataclass(frozen=True, slots=True)
class ExpectedUtility:
    """Bueno de Mesquita's expected-utility model in the Scholz et al. (2011) replication.

    Each issue is run on its own (the model is one-dimensional); the forecast is the
    weighted median after the last round.

    Parameters
    ----------
    rounds : int
        Rounds to run (default 10, as in the replication).
    q : float
        Probability Q that the status quo holds if an actor does not challenge (default 1:
        the T, U^b, U^w terms vanish). For Q < 1, T = 1 when the challenger is nearer the
        median than its target.
    probability : {"replication", "paper"}
        ``"replication"`` (default, parity): Scholz's code divides the supporting votes by
        one global normaliser, the sum of all absolute votes over every voter and pair.
        ``"paper"``: the printed per-pair share, so P_ij + P_ji = 1.
    capitulation : bool
        Apply the capitulation rule (b > 0 > a, |a| > b: i moves to x_j). The replication code
        never reaches it (default False).
    compromise : {"weight_point", "smallest_move"}
        Among several compromises, take the one with the lowest weight point
        ``(|a| x_i + |b| x_j)/(|a| + |b|)`` (the replication code, default) or the smallest move.
    tolerance : float or None
        Stop early once no actor moves by more than ``tolerance`` x the initial position range
        in a round (0: once nobody moves). None (default): always run ``rounds`` rounds.
    backend : {"auto", "numba", "numpy"}
        How the maths runs, not what it computes: ``"numba"`` a compiled kernel (the ``fast``
        extra, ``pip install 'detente[fast]'``; compiled once per machine, then cached),
        ``"numpy"`` vectorised numpy, ``"auto"`` (default) numba when it is installed. The
        two agree to the last few bits (the order of a few floating-point sums differs).

    Notes
    -----
    Actors with no stake, or with power x salience = 0, on an issue take no part in it
    (they cannot vote and would otherwise be free targets that set the position range); an
    issue with a single actor in it stays at that actor's position. ``present`` and ``veto``
    are not used by this model.

    Tables (``Forecast.to_frame(name)``):

    * ``rounds``: ``issue, round, actor, position, median, mean``; one row per issue, round
      (0 = initial positions) and actor taking part; median and mean after that round.
    * ``moves``: ``issue, round, actor, type, counterpart, eu_own, eu_other, old_position,
      new_position``; ``type`` is conflict, compromise or capitulation, ``eu_own`` =
      EU^i(i challenges counterpart), ``eu_other`` = EU^i(counterpart challenges i).
    * ``risk``: ``issue, round, actor, security, R_i, r_i``: S_i, the risk index and the risk
      exponent used in that round.
    """

    rounds: int = 10
    q: float = 1.0
    probability: Probability = "replication"
    capitulation: bool = False
    compromise: CompromiseChoice = "weight_point"
    tolerance: float | None = None
    backend: Backend = "auto"

    name: ClassVar[str] = "expected_utility"
    reference: ClassVar[str] = (
        "Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De Mesquita's "
        "group decision model. Journal of Theoretical Politics 23(4), 510-531. "
        "doi:10.1177/0951629811418142; Bueno de Mesquita, B. (1994). Political forecasting: an "
        "expected utility method. In B. Bueno de Mesquita & F. N. Stokman (Eds.), European "
        "Community Decision Making (pp. 71-104). Yale University Press; Bueno de Mesquita, B. "
        "(2002). Predicting Politics. Ohio State University Press"
    )

    def __post_init__(self) -> None:
        def bad(field, msg):
            raise ModelParameterError(f"model 'expected_utility': parameter {field!r}: {msg}")

        if isinstance(self.rounds, bool) or not isinstance(self.rounds, (int, np.integer)):
            bad("rounds", f"{self.rounds!r} is not an integer")
        if not 1 <= self.rounds <= 100_000:
            bad("rounds", f"must be between 1 and 100000 (got {self.rounds})")
        if isinstance(self.q, bool) or not isinstance(self.q, (int, float, np.floating)):
            bad("q", f"{self.q!r} is not a number")
        if not 0.0 <= float(self.q) <= 1.0:
            bad("q", f"is a probability and must lie in [0, 1] (got {self.q})")
        if self.probability not in ("replication", "paper"):
            bad("probability", f"{self.probability!r} is not one of 'replication', 'paper'")
        if not isinstance(self.capitulation, (bool, np.bool_)):
            bad("capitulation", f"{self.capitulation!r} is not a boolean")
        if self.compromise not in ("weight_point", "smallest_move"):
            bad("compromise", f"{self.compromise!r} is not one of 'weight_point', 'smallest_move'")
        if self.tolerance is not None:
            if isinstance(self.tolerance, bool) or not isinstance(
                self.tolerance, (int, float, np.floating)
            ):
                bad("tolerance", f"{self.tolerance!r} is not a number")
            if not (np.isfinite(self.tolerance) and self.tolerance >= 0):
                bad("tolerance", f"must be a finite number >= 0 or None (got {self.tolerance})")
        if self.backend not in BACKENDS:
            bad("backend", f"{self.backend!r} is not one of {', '.join(map(repr, BACKENDS))}")

    def _inputs(self, a, source: str) -> tuple[tuple, dict]:
        """Checked per-issue inputs ``(x, s, c, take_part)`` and the model's options."""
        x, s, c, take_part = _check_inputs(a, source)
        x = np.where(take_part, x, 0.0)  # no-stake cells carry no weight and never move
        opts = dict(
            rounds=int(self.rounds),
            q=float(self.q),
            probability=self.probability,
            capitulation=bool(self.capitulation),
            compromise=self.compromise,
            tolerance=None if self.tolerance is None else float(self.tolerance),
            backend=self.backend,
        )
        return (_per_issue(x), _per_issue(s), _per_issue(c), _per_issue(take_part)), opts

    def _path(self, a, source: str, *, record: bool) -> Trajectory:
        (x, s, c, take_part), opts = self._inputs(a, source)
        return expected_utility_path(x, s, c, take_part=take_part, record=record, **opts)

    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Median after the last round, (..., n_issues), for arrays with leading batch axes.

        Only the final medians are kept (the batch runs in chunks), so memory beyond the
        inputs stays bounded however many draws. ``rng`` is unused: the model is deterministic.
        """
        (x, s, c, take_part), opts = self._inputs(arrays, "")
        return _final_median(x, s, c, take_part, **opts)

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        """Run every issue of ``scenario`` (rng unused: the model is deterministic)."""
        a = scenario.arrays()
        path = self._path(a, scenario.name, record=True)
        x0 = np.asarray(a.position, dtype=float)
        take_part = np.asarray(a.stake) & (np.asarray(a.weight) > 0)
        outcome = path.median[..., -1]
        notes = []
        for k, iid in enumerate(a.issues):
            out = [a.actors[i] for i in np.flatnonzero(a.stake[:, k] & ~take_part[:, k])]
            if out:
                notes.append(
                    f"issue {iid!r}: {', '.join(map(repr, out))} hold(s) a position but power x "
                    "salience = 0, so take no part in the model on this issue"
                )
            if take_part[:, k].sum() == 1:
                notes.append(
                    f"issue {iid!r}: only {a.actors[int(np.argmax(take_part[:, k]))]!r} takes part, "
                    "so the forecast is its position"
                )
            elif path.position_range[k] == 0:
                notes.append(f"issue {iid!r}: every actor holds the same position; nobody moves")
            rr = int(path.rounds_run[k])
            if rr < self.rounds:
                notes.append(f"issue {iid!r}: stopped after {rr} rounds (no move above the tolerance)")
            elif rr > 1 and path.median[k, rr] != path.median[k, rr - 1]:
                notes.append(
                    f"issue {iid!r}: the median still moved in the last round "
                    f"({path.median[k, rr - 1]:g} -> {path.median[k, rr]:g}); the path need not "
                    "converge, see the 'rounds' table"
                )
        n_moves = (np.asarray(path.move_type) != _NONE).sum(axis=(-1, -2))
        return Forecast.build(
            self,
            scenario,
            outcome,
            utilities=linear_utilities(a, outcome),
            diagnostics={
                "mean": path.mean[..., -1],
                "initial_median": path.median[..., 0],
                "initial_mean": path.mean[..., 0],
                "rounds_run": path.rounds_run,
                "moves": n_moves,
                "position_range": path.position_range,
            },
            notes=tuple(notes),
            tables=_tables(a, path, take_part, x0),
        )


def _frame(data: dict[str, np.ndarray | pd.api.extensions.ExtensionArray]) -> pd.DataFrame:
    """A DataFrame from equal-length, already typed columns, without copying them."""
    return pd.DataFrame(data, copy=False)


@functools.lru_cache(maxsize=256)
def _labels(names: tuple[str, ...]) -> pd.api.extensions.ExtensionArray:
    """Names as the array pandas infers for a column of them (``str``), to ``take`` from
    (never modified: ``take`` returns a new array)."""
    return pd.Series(np.asarray(names, dtype=object)).array


def _tables(a, path: Trajectory, take_part: np.ndarray, x0: np.ndarray) -> dict[str, pd.DataFrame]:
    """Tidy ``rounds``, ``moves`` and ``risk`` tables from a recorded path.

    Label columns are built as integer codes into the issue, actor and move-type names and
    turned into strings once per column (a ``take``), numbers with numpy; one DataFrame per
    table.
    """
    # recorded paths only (record=True); asarray keeps type checkers content
    security, risk_index, risk, move_type, move_with, eu_own, eu_other = (
        np.asarray(v) for v in (path.security, path.risk_index, path.risk, path.move_type,
                                path.move_with, path.eu_own, path.eu_other)
    )
    position, median, mean = path.position, path.median, path.mean
    rounds_cols = ("issue", "round", "actor", "position", "median", "mean")
    move_cols = ("issue", "round", "actor", "type", "counterpart", "eu_own", "eu_other",
                 "old_position", "new_position")
    risk_cols = ("issue", "round", "actor", "security", "R_i", "r_i")
    rounds_parts: dict[str, list] = {k: [] for k in rounds_cols}
    move_parts: dict[str, list] = {k: [] for k in move_cols}
    risk_parts: dict[str, list] = {k: [] for k in risk_cols}
    for k in range(len(a.issues)):
        part = np.flatnonzero(take_part[:, k])
        rr = int(path.rounds_run[k])
        na = len(part)
        pos = position[k, : rr + 1][:, part]  # (rr + 1, na)
        rounds_parts["issue"].append(np.full((rr + 1) * na, k))
        rounds_parts["round"].append(np.repeat(np.arange(rr + 1), na))
        rounds_parts["actor"].append(np.tile(part, rr + 1))
        rounds_parts["position"].append(pos.ravel())
        rounds_parts["median"].append(np.repeat(median[k, : rr + 1], na))
        rounds_parts["mean"].append(np.repeat(mean[k, : rr + 1], na))
        risk_parts["issue"].append(np.full(rr * na, k))
        risk_parts["round"].append(np.repeat(np.arange(1, rr + 1), na))
        risk_parts["actor"].append(np.tile(part, rr))
        risk_parts["security"].append(security[k, :rr][:, part].ravel())
        risk_parts["R_i"].append(risk_index[k, :rr][:, part].ravel())
        risk_parts["r_i"].append(risk[k, :rr][:, part].ravel())
        mt = move_type[k, :rr]
        rnd, who = np.nonzero(mt)
        move_parts["issue"].append(np.full(len(rnd), k))
        move_parts["round"].append(rnd + 1)
        move_parts["actor"].append(who)
        move_parts["type"].append(mt[rnd, who])
        move_parts["counterpart"].append(move_with[k][rnd, who])
        move_parts["eu_own"].append(eu_own[k][rnd, who])
        move_parts["eu_other"].append(eu_other[k][rnd, who])
        move_parts["old_position"].append(position[k][rnd, who])
        move_parts["new_position"].append(position[k][rnd + 1, who])

    names = {"issue": a.issues, "actor": a.actors, "counterpart": a.actors, "type": MOVE_TYPES}

    def frame(parts: dict[str, list]) -> pd.DataFrame:
        data = {}
        for name, chunks in parts.items():
            v = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
            if name in names:
                if len(v):
                    v = _labels(tuple(names[name])).take(v)
                else:  # as pandas keeps an empty column of names: object
                    v = np.array([], dtype=object)
            elif name == "round":
                v = v.astype(np.int64, copy=False)
            else:
                v = v.astype(float, copy=False)
            data[name] = v
        return _frame(data)

    return {"rounds": frame(rounds_parts), "moves": frame(move_parts), "risk": frame(risk_parts)}
