"""KTAB's Spatial Model of Politics (SMP), reproduced from KAPSARC's ``smpc``: the equations.

Actors i = 1..N hold positions x_i in [0, 1]^D (the issues of a detente scenario are the
dimensions, each mapped linearly onto [0, 1]), ideal points y_i (initially x_i), saliences
s_id in [0, 1] with S_i = sum_d s_id <= 1 and capabilities c_i >= 0. Every turn:

* distances D_ij = sqrt(sum_d s_id^2 (y_id - x_jd)^2 / sum_d s_id^2) and risk-neutral
  utilities 1 - D_ij feed a Probabilistic Condorcet Election (PCE) over the N positions
  (capabilities as vote weights); its probabilities set each actor's risk attitude R_i
  (BigRRange) and each actor h's estimate r_hi of i's attitude (BigRAdjust), hence one
  utility matrix A^h_ij = U(D_ij, r_hi) per estimator, U(d, R) = (1 - d)(1 + d R);
* each actor i picks the challenge j with the largest expected gain (``probEduChlg``: the
  principals' and third parties' votes weighted by S c, third-party commitment rule, j giving
  in with probability 1 - S_j) and offers a compromise interpolated by the victory estimate
  (InterVecBrgn, BargnModel), rounded to 1e-4 on the unit scale;
* each actor k chooses from its queue (own status quo, then every bargain naming k, ordered by
  initiator) by a PCE over the actors' values of the states the bargains produce
  (Deterministic: the most probable; Stochastic: a draw), and moves to its side of it;
* ideals follow positions through the accommodation matrix;
* the run stops after step n >= 2 when the total movement falls below 2% of step 1's
  (or at 100 steps).

Positions are treated as the same option when their Euclidean distance is below 1e-3 (unit
scale), grouped by first occurrence; the forecast is the most probable distinct final position.

Everything works on a leading batch axis of scenario variants (Monte Carlo) and is vectorised
over actors, challenges and bargains; variants that have stopped are dropped from the work.
The queue order (status quo, then bargains by initiator index) is fixed, so runs are
deterministic. KTAB builds its queues in racing threads; that order matters only for exact
PCE ties and for the ``ASymProsp`` voting rule, whose coalitions depend on option order.

This module is the model's one implementation and its readable reference
(``docs/models/ktab_smp.md`` points here): the building blocks (:func:`smp_utility`,
:func:`pce`, challenges, bargains, queues) and :func:`run_smp`. :class:`~.model.KtabSMP` adapts
a scenario to it.

References: see :attr:`~.model.KtabSMP.reference`; the working specification in
``shared/specs/ktab-smp.md`` restates the equations of KTAB commit c57b72a.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ...errors import ConvergenceError, ModelParameterError
from ...scenario.foreign import PCE_MODELS, VOTING_RULES

__all__ = ["SMPRun", "pce", "run_smp", "smp_utility", "unique_positions"]

POSITION_TOL = 1e-3  # same option below this Euclidean distance (unit scale)
MIN_GAIN = 1e-5  # smallest expected gain worth a challenge
PCE_FLOOR = 1e-8  # coalition floor in PCEs
CHALLENGE_FLOOR = 1e-10  # coalition floor inside a challenge
BARGAIN_FLOOR = 1e-6  # bargain interpolation weight floor
BINARY_VOTE_SCALE = 1e-8
MARKOV_UNIFORM_TOL = 1e-6
MARKOV_INCENTIVE_TOL = 1e-8
MARKOV_MAX_ITER = 1000
STOP_FRACTION = 0.02
MIN_STEPS = 2
_CHUNK = 1 << 16  # elements per temporary block (cache-sized)
_THREAD_MIN = 1 << 19  # elements from which block loops run on two threads
_THREADS = min(2, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class _Opts:
    vpm: str = "Linear"
    pce: str = "Conditional"
    transitions: str = "Deterministic"
    vr: str = "Prop"
    radj: str = "OneThird"
    rrange: str = "Mid"
    tpc: str = "SemiCommit"
    ivb: str = "S2P2"
    bm: str = "InitOnlyInterp"
    max_steps: int = 100


# ---------------------------------------------------------------- building blocks
def smp_utility(delta: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """KTAB's basic utility of a normalised distance: (1 - d)(1 + d R), (1 - d)(1 + R) for d > 1.

    Parameters
    ----------
    delta : (...,) distances in [0, 1]
    risk : (...,) risk attitudes in [-1, 1] (broadcast against ``delta``)
    """
    d = np.asarray(delta, dtype=float)
    # min(d, 1) gives (1 - d)(1 + R) beyond 1 and the same floating-point operations below
    return (1.0 - d) * (1.0 + np.minimum(d, 1.0) * risk)


def _vote(rule: str, w: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Signed influence of a voter of weight ``w`` preferring option a by ``delta`` = u(a) - u(b)."""
    if rule == "Prop":
        return w * delta
    if rule == "Binary":
        return w * np.clip(delta / BINARY_VOTE_SCALE, -1.0, 1.0)
    if rule == "PropBin":
        return w * (0.8 * delta + 0.2 * np.clip(delta / BINARY_VOTE_SCALE, -1.0, 1.0))
    if rule == "PropCbc":
        return w * (0.5 * delta + 0.5 * delta**3)
    if rule == "Cubic":
        return w * delta**3
    if rule == "ASymProsp":
        return np.where(delta < 0, w * delta, (2.0 / 3.0) * w * delta)
    raise ModelParameterError(f"unknown voting rule {rule!r}; allowed: {', '.join(VOTING_RULES)}")


def _coalitions(rule: str, w: np.ndarray, util: np.ndarray) -> np.ndarray:
    """Coalition strengths C(a, b) = floor + sum_k max(0, vote_k(a over b)).

    Parameters
    ----------
    w : (B, K) voter weights
    util : (B, K, M) each voter's utility of each option

    Returns
    -------
    (B, M, M)

    Every voter is evaluated once per unordered pair as vote(u(a), u(b)) with a the higher
    option index (KTAB's convention); for every rule but ASymProsp this is order-free.
    Worked in cache-sized blocks of (variant, option a).
    """
    B, K, M = util.shape
    ut = np.ascontiguousarray(np.swapaxes(util, 1, 2))  # (B, M, K)
    out = np.empty((B, M, M))
    factor = None
    if rule == "ASymProsp":
        higher = np.arange(M)[:, None] > np.arange(M)[None, :]  # a later than b
        factor = np.where(higher, 2.0 / 3.0, 1.0)[:, :, None]
    per_b = M * M * K
    if per_b <= _CHUNK:
        step = max(1, _CHUNK // per_b)
        blocks = [(slice(b0, b0 + step), slice(None)) for b0 in range(0, B, step)]
    else:
        step = max(1, _CHUNK // (M * K))
        blocks = [(slice(b, b + 1), slice(a0, a0 + step)) for b in range(B) for a0 in range(0, M, step)]
    def work(k: int) -> None:
        bs, as_ = blocks[k]
        d = ut[bs, as_, None, :] - ut[bs, None, :, :]  # (b, a, b', K) = u(a) - u(b')
        wk = w[bs, None, None, :]
        if factor is None:
            v = _vote(rule, wk, d)
        else:
            # supporters of the later option get 2/3 weight (vote(u(a), u(b)) with a later)
            v = wk * d * factor[as_]
        np.maximum(v, 0.0, out=v)
        out[bs, as_] = v.sum(axis=-1)

    _run_blocks(work, range(len(blocks)), B * per_b)
    out += PCE_FLOOR
    return out


def _victory(vpm: str, c: np.ndarray) -> np.ndarray:
    """V(a, b) = P[a beats b] from coalition strengths C (..., M, M); V(a, a) = 1/2."""
    ct = np.swapaxes(c, -1, -2)
    if vpm == "Binary":
        r = c / (c + ct)
        mid = (2.1 * r - 1.0) / 0.1
        v = np.where(c >= 1.1 * ct, 1.0, np.where(ct >= 1.1 * c, 0.0, mid))
        v = np.clip(v, 0.0, 1.0)
    elif vpm == "Linear":
        v = c / (c + ct)
    else:
        power = {"Square": 2, "Quartic": 4, "Octic": 8}[vpm]
        fa, fb = c**power, ct**power
        v = fa / (fa + fb)
    m = c.shape[-1]
    idx = np.arange(m)
    v[..., idx, idx] = 0.5
    return v


def pce(
    c: np.ndarray,
    *,
    pce_model: str = "Conditional",
    victory_prob_model: str = "Linear",
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Probabilistic Condorcet Election over M options.

    Parameters
    ----------
    c : (..., M, M) coalition strengths C(a, b) for a over b
    mask : (..., M) bool, optional
        Which options take part (padding is excluded); all by default.

    Returns
    -------
    (..., M) probabilities (0 on masked options), summing to 1 over the valid ones.
    """
    c = np.asarray(c, dtype=float)
    if mask is None:
        mask = np.ones(c.shape[:-1], dtype=bool)
    v = _victory(victory_prob_model, c)
    mb = mask[..., None, :]
    if pce_model == "Conditional":
        with np.errstate(divide="ignore"):
            lv = np.where(mb, np.log(v), 0.0)
        lp = lv.sum(axis=-1)
        lp = np.where(mask, lp, -np.inf)
        top = lp.max(axis=-1, keepdims=True)
        # every product 0 (a Binary-victory cycle: each option surely loses to another): KTAB
        # divides 0 by 0; detente treats the options as equally likely
        dead = ~np.isfinite(top)
        p = np.exp(lp - np.where(dead, 0.0, top))
        p = np.where(dead, mask.astype(float), p)
        return p / p.sum(axis=-1, keepdims=True)
    mcount = mask.sum(axis=-1, keepdims=True).astype(float)
    p = np.where(mask, 1.0 / mcount, 0.0)
    vm = np.where(mb & mask[..., :, None], v, 0.0)
    if pce_model == "MarkovUniform":
        tol = MARKOV_UNIFORM_TOL

        def _next(p):
            # q_a = (1/M) sum_b V(a, b)(p_a + p_b)
            return (vm.sum(axis=-1) * p + np.einsum("...ab,...b->...a", vm, p)) / mcount
    elif pce_model == "MarkovIncentive":
        tol = MARKOV_INCENTIVE_TOL
        m = c.shape[-1]
        n = c * v + np.where(np.eye(m, dtype=bool), 1e-10, 0.0)
        n = np.where(mb & mask[..., :, None], n, 0.0)
        colsum = n.sum(axis=-2, keepdims=True)
        chal = n / np.where(colsum > 0, colsum, 1.0)  # P(a -> b)

        def _next(p):
            # T(a, b) = p_a P(b -> a); q_a = sum_b V(a, b)(T(a, b) + T(b, a))
            t = p[..., :, None] * np.swapaxes(chal, -1, -2)
            return (vm * (t + np.swapaxes(t, -1, -2))).sum(axis=-1)
    else:
        raise ModelParameterError(f"unknown PCE model {pce_model!r}; allowed: {', '.join(PCE_MODELS)}")
    done = np.zeros(mask.shape[:-1], dtype=bool)
    for _ in range(MARKOV_MAX_ITER):
        q = _next(p)
        err = np.abs(np.where(mask, q - p, 0.0)).max(axis=-1)
        p = np.where(done[..., None], p, 0.5 * (p + q))
        done = done | (err <= tol)
        if done.all():
            return p
    raise ConvergenceError(f"{pce_model} PCE did not converge (KTAB stops with an error here too)",
                           iterations=MARKOV_MAX_ITER, tolerance=tol)


def _distances(ideal: np.ndarray, sal2: np.ndarray, points: np.ndarray) -> np.ndarray:
    """delta_i(z_j): (B, N, D) ideals and squared saliences, (B, P, D) points -> (B, N, P)."""
    den = sal2.sum(axis=-1)  # (B, N)
    num = np.zeros((ideal.shape[0], ideal.shape[1], points.shape[1]))
    for d in range(ideal.shape[-1]):  # D is small: a loop beats a reduction over a short axis
        diff = ideal[:, :, None, d] - points[:, None, :, d]
        diff *= diff
        diff *= sal2[:, :, None, d]
        num += diff
    safe = np.where(den > 0, den, 1.0)[:, :, None]
    return np.where(den[:, :, None] > 0, np.sqrt(num / safe), 0.0)


def _risk_attitudes(p: np.ndarray, rrange: str) -> np.ndarray:
    """R_i from the probabilities p (B, N) of the actors' positions (BigRRange)."""
    pmin = p.min(axis=-1, keepdims=True)
    pmax = p.max(axis=-1, keepdims=True)
    span = pmax - pmin
    flat = span <= 0.0
    span = np.where(flat, 1.0, span)
    if rrange == "Min":
        r = (p - pmin) / span
    elif rrange == "Mid":
        r = (3.0 * p - pmax - 2.0 * pmin) / (2.0 * span)
    else:
        r = (2.0 * p - pmax - pmin) / span
    # all positions equally likely (e.g. unanimity): KTAB aborts; detente uses neutrality
    return np.where(flat, 0.0, r)


def _estimated_risk(r: np.ndarray, radj: str) -> np.ndarray:
    """r_hi, actor h's estimate of actor i's risk attitude: (B, N) -> (B, h, i)."""
    rh = r[:, :, None]
    ri = r[:, None, :]
    if radj == "None":
        est = np.broadcast_to(rh, (r.shape[0], r.shape[1], r.shape[1]))
    elif radj == "OneThird":
        est = (2.0 * rh + ri) / 3.0
    elif radj == "Half":
        est = (rh + ri) / 2.0
    elif radj == "TwoThirds":
        est = (rh + 2.0 * ri) / 3.0
    else:  # Full
        est = np.broadcast_to(ri, (r.shape[0], r.shape[1], r.shape[1]))
    return est


@dataclass(slots=True)
class _TurnSetup:
    dist: np.ndarray  # (B, i, j) distance from i's ideal to j's position
    p: np.ndarray  # (B, N) PCE probability of each actor's position (no merging)
    risk: np.ndarray  # (B, N)
    est: np.ndarray  # (B, h, i, j) A^h_ij


def _setup(x, y, sal2, cap, o: _Opts) -> _TurnSetup:
    """Distances, position probabilities, risk attitudes and every actor's utility estimates
    at the start of a turn (spec section 4)."""
    dist = _distances(y, sal2, x)
    u0 = 1.0 - dist
    c = _coalitions(o.vr, cap, u0)
    p = pce(c, pce_model=o.pce, victory_prob_model=o.vpm)
    risk = _risk_attitudes(p, o.rrange)
    est = smp_utility(dist[:, None, :, :], _estimated_risk(risk, o.radj)[:, :, :, None])
    return _TurnSetup(dist, p, risk, est)


def _take(a: np.ndarray, *idx: np.ndarray) -> np.ndarray:
    """a[b, idx...] with the batch index broadcast in front."""
    bi = np.arange(a.shape[0]).reshape((-1,) + (1,) * (idx[0].ndim - 1))
    return a[(bi, *idx)]


def _challenge(est_h, i_idx, j_idx, k_idx, w, tot_sal, o: _Opts):
    """probEduChlg(h, k, i, j) for many challenges at once.

    Parameters
    ----------
    est_h : (B, H, N, N) the estimator's utility matrix A^h for each row h
    i_idx, j_idx, k_idx : (B, H, J) int challenger, target and affected actor
    w : (B, N) challenge vote weights S c
    tot_sal : (B, N) total saliences S

    Returns
    -------
    phi, gain : (B, H, J) estimate that i beats j; expected utility gain of k.
    """
    B, H, N, _ = est_h.shape
    bi = np.arange(B)[:, None, None]
    hi = np.arange(H)[None, :, None]
    a_ii = est_h[bi, hi, i_idx, i_idx]
    a_ij = est_h[bi, hi, i_idx, j_idx]
    a_ji = est_h[bi, hi, j_idx, i_idx]
    a_jj = est_h[bi, hi, j_idx, j_idx]
    w_i = _take(w, i_idx)
    w_j = _take(w, j_idx)
    k_i = _vote(o.vr, w_i, a_ii - a_ij)
    k_j = _vote(o.vr, w_j, a_ji - a_jj)
    ci0 = CHALLENGE_FLOOR + np.maximum(k_i, 0.0) + np.maximum(k_j, 0.0)
    cj0 = CHALLENGE_FLOOR + np.maximum(-k_i, 0.0) + np.maximum(-k_j, 0.0)
    ci, cj = ci0, cj0
    if o.tpc == "SemiCommit":
        # third parties n: arrays (B, H, J, N)
        est_t = np.swapaxes(est_h, -1, -2)  # [b, h, col, n] = A^h_n,col
        u_ni = est_t[bi, hi, i_idx]
        u_nj = est_t[bi, hi, j_idx]
        u_nn = np.diagonal(est_h, axis1=-2, axis2=-1)[:, :, None, :]
        wn = w[:, None, None, :]
        v = _vote(o.vr, wn, u_ni - u_nj)
        ai = ci0[..., None] + np.maximum(v, 0.0)
        aj = cj0[..., None] + np.maximum(-v, 0.0)
        pi = ai / (ai + aj)
        # EU(join i) - EU(join j), in the form _challenge_rows uses
        diff = pi * (u_nn - u_ni) + (1.0 - pi) * (u_nj - u_nn)
        tau = _vote(o.vr, wn, diff)
        n_idx = np.arange(N)
        third = (n_idx != i_idx[..., None]) & (n_idx != j_idx[..., None])
        tau = np.where(third, tau, 0.0)
        ci = ci0 + np.maximum(tau, 0.0).sum(axis=-1)
        cj = cj0 + np.maximum(-tau, 0.0).sum(axis=-1)
    # FullCommit and NoCommit: both hypotheticals have equal expected utility, so third
    # parties never vote (spec section 5.4; verified against KTAB runs)
    phi = ci / (ci + cj)
    a_ki = est_h[bi, hi, k_idx, i_idx]
    a_kj = est_h[bi, hi, k_idx, j_idx]
    s_j = _take(tot_sal, j_idx)
    eu_sq = a_ki + a_kj
    eu_win = 2.0 * a_ki
    eu_contest = phi * 2.0 * a_ki + (1.0 - phi) * 2.0 * a_kj
    eu_chlg = (1.0 - s_j) * eu_win + s_j * eu_contest
    return phi, eu_chlg - eu_sq


def _challenge_rows(e, ii, wr, sr, o: _Opts):
    """probEduChlg(h=i, k=i, i, j) for a block of rows, each one challenger i in its own eyes,
    against every target j. The same equations as :func:`_challenge`, arranged without gathers.

    Parameters
    ----------
    e : (r, N, N) the challenger's utility matrix A^i (rows: voters n, columns: positions)
    ii : (r,) the challenger of each row
    wr, sr : (r, N) vote weights S c and total saliences S

    Returns
    -------
    phi, gain : (r, j)
    """
    r, N, _ = e.shape
    rr = np.arange(r)
    n_ix = np.arange(N)
    u_nn = np.diagonal(e, axis1=1, axis2=2)  # (r, n) = A^i_nn
    u_ni = e[rr, :, ii]  # (r, n) = A^i_ni
    a_ii = u_nn[rr, ii][:, None]  # (r, 1)
    u_nj = e  # (r, n, j) = A^i_nj
    a_ij = e[rr, ii, :]
    a_ji, a_jj, w_j, s_j = u_ni, u_nn, wr, sr  # target j: A^i_ji, A^i_jj, S_j c_j, S_j
    jcol = n_ix[None, :]
    k_i = _vote(o.vr, wr[rr, ii][:, None], a_ii - a_ij)  # (r, j)
    k_j = _vote(o.vr, w_j, a_ji - a_jj)
    ci0 = CHALLENGE_FLOOR + np.maximum(k_i, 0.0) + np.maximum(k_j, 0.0)
    cj0 = CHALLENGE_FLOOR + np.maximum(-k_i, 0.0) + np.maximum(-k_j, 0.0)
    if o.tpc == "SemiCommit":
        uni = u_ni[:, :, None]  # (r, n, 1)
        unn = u_nn[:, :, None]
        wn = wr[:, :, None]
        # the little contest with n joining its preferred side, written in place to keep the
        # temporaries few
        v = _vote(o.vr, wn, uni - u_nj)  # (r, n, j)
        ai = np.maximum(v, 0.0)
        aj = np.subtract(ai, v, out=v)  # max(-v, 0), exactly
        ai += ci0[:, None, :]
        aj += cj0[:, None, :]
        tot = ai + aj
        pi = np.divide(ai, tot, out=ai)
        qi = np.subtract(1.0, pi, out=tot)
        # EU(join i) - EU(join j) = pi (u_nn - u_ni) + (1 - pi)(u_nj - u_nn)  (section 5.4:
        # pi (2u_ni + u_nn) + (1 - pi) 3u_nj - pi 3u_ni - (1 - pi)(2u_nj + u_nn)); the
        # reference runs match to 1e-14 with either form
        diff = np.multiply(pi, unn - uni, out=pi)
        gap = np.subtract(u_nj, unn)
        gap *= qi
        diff += gap
        tau = _vote(o.vr, wn, diff)
        third = (n_ix[None, :, None] != jcol[:, None, :]) & (n_ix[None, :, None] != ii[:, None, None])
        tau *= third  # principals are not third parties
        pos = np.maximum(tau, 0.0)
        neg = np.subtract(pos, tau, out=tau)
        ci = ci0 + pos.sum(axis=1)
        cj = cj0 + neg.sum(axis=1)
    else:
        # FullCommit and NoCommit: both hypotheticals have equal expected utility, so third
        # parties never vote (spec section 5.4; verified against KTAB runs)
        ci, cj = ci0, cj0
    ph = ci / (ci + cj)
    eu_sq = a_ii + a_ij
    eu_win = 2.0 * a_ii
    eu_contest = ph * 2.0 * a_ii + (1.0 - ph) * 2.0 * a_ij
    eu_chlg = (1.0 - s_j) * eu_win + s_j * eu_contest
    return ph, eu_chlg - eu_sq


def _rows_block_run(e_all, i_all, b_all, w, tot_sal, o: _Opts):
    """_challenge_rows over all rows (b, i) in cache-sized blocks (two threads when big)."""
    R, N, _ = e_all.shape
    phi = np.empty((R, N))
    gain = np.empty((R, N))
    step = max(1, _CHUNK // (N * N))

    def work(r0: int) -> None:
        sl = slice(r0, min(r0 + step, R))
        b = b_all[sl]
        phi[sl], gain[sl] = _challenge_rows(e_all[sl], i_all[sl], w[b], tot_sal[b], o)

    _run_blocks(work, range(0, R, step), R * N * N)
    return phi, gain


def _own_challenges(est, w, tot_sal, o: _Opts):
    """probEduChlg(h=i, k=i, i, j) for every pair i != j: what each actor expects from
    challenging each other actor, in its own eyes. Returns phi, gain : (B, i, j)."""
    B, N, _, _ = est.shape
    e_all = est.reshape(B * N, N, N)  # row (b, i): A^i[n, j]
    phi, gain = _rows_block_run(e_all, np.tile(np.arange(N), B), np.repeat(np.arange(B), N),
                                w, tot_sal, o)
    return phi.reshape(B, N, N), gain.reshape(B, N, N)


def _run_blocks(work, starts, size: int) -> None:
    """Call ``work(start)`` for every block; on two threads when the job is big (numpy
    releases the GIL inside its loops; blocks write disjoint slices, so the result does not
    depend on scheduling)."""
    starts = list(starts)
    if size >= _THREAD_MIN and len(starts) > 1 and _THREADS > 1:
        with ThreadPoolExecutor(max_workers=_THREADS) as ex:
            list(ex.map(work, starts))
    else:
        for s0 in starts:
            work(s0)


def _round4(x: np.ndarray) -> np.ndarray:
    return np.floor(x * 1e4 + 0.5) / 1e4


def _interpolate(t_i, t_j, s_i, s_j, p_i, ivb: str):
    """Bargain positions (b_i, b_j) for i's and j's sides; arrays (..., D), p_i (..., 1)."""
    if ivb in ("S2P2", "S1P1"):
        if ivb == "S2P2":
            w_i = s_i * s_i * p_i * p_i
            w_j = s_j * s_j * (1.0 - p_i) * (1.0 - p_i)
        else:
            w_i = s_i * p_i
            w_j = s_j * (1.0 - p_i)
        den = w_i + BARGAIN_FLOOR + w_j
        b_i = _round4(((w_i + BARGAIN_FLOOR) * t_i + w_j * t_j) / den)
        b_j = _round4((w_i * t_i + (w_j + BARGAIN_FLOOR) * t_j) / den)
        return b_i, b_j
    p_j = 1.0 - p_i
    e_i = np.maximum(0.0, p_j - p_i)
    e_j = np.maximum(0.0, p_i - p_j)
    si2, sj2 = s_i * s_i, s_j * s_j
    b_i = t_i + (t_j - t_i) * e_i * sj2 / (e_i * sj2 + BARGAIN_FLOOR + (1.0 - e_i) * si2)
    b_j = t_j + (t_i - t_j) * e_j * si2 / (e_j * si2 + BARGAIN_FLOOR + (1.0 - e_j) * sj2)
    return b_i, b_j


def _step(x, y, sal, sal2, tot_sal, cap, acc, setup: _TurnSetup, o: _Opts, draws,
          reverse: bool = False):
    """One turn of best challenge -> bargain -> choice. Returns new (x, y).

    ``draws`` (B, N): the uniform numbers of Stochastic transitions (None when Deterministic).
    ``reverse``: queue the bargains by decreasing initiator index (after the status quo), one
    of the orders KTAB's threads can produce.
    """
    B, N, D = x.shape
    est = setup.est
    w = tot_sal * cap
    ar = np.arange(N)
    # Step A: every actor's best challenge, in its own eyes (h = k = i)
    phi, gain = _own_challenges(est, w, tot_sal, o)
    gain = np.where(ar[:, None] == ar[None, :], -np.inf, gain)
    ok = gain > MIN_GAIN
    has = ok.any(axis=-1)  # (B, N)
    tgt = np.argmax(np.where(ok, gain, -np.inf), axis=-1)  # first max on ties
    tgt = np.where(has, tgt, (ar[None, :] + 1) % N)  # placeholder where nothing is offered
    p_init = np.take_along_axis(phi, tgt[..., None], axis=-1)  # (B, N, 1)
    t_i = x
    t_j = _take(x, tgt)
    s_i = sal
    s_j = _take(sal, tgt)
    views = [p_init]
    if o.bm != "InitOnlyInterp":
        # the receiver's view: KTAB takes the expected-gain element of probEduChlg(h=j, k=i, i, j)
        # where its comment says probability; reproduced as is (spec section 6A)
        _, p_rcvr = _challenge(
            _take(est, tgt), ar[None, :, None].repeat(B, 0), tgt[..., None],
            ar[None, :, None].repeat(B, 0), w, tot_sal, o,
        )
        views.append(p_rcvr)
    sides = [_interpolate(t_i, t_j, s_i, s_j, v, o.ivb) for v in views]
    if o.bm == "PWCompInterp":
        wi = (cap * tot_sal)[..., None]
        wj = (cap * _take(tot_sal, tgt))[..., None]  # KTAB uses i's capability here too
        (bi0, bj0), (bi1, bj1) = sides
        sides = [((wi * bi0 + wj * bi1) / (wi + wj), (wi * bj0 + wj * bj1) / (wi + wj))]
    nb = len(sides)
    # options: 0 = status quo, then bargain (initiator i, view r) at 1 + i * nb + r
    b_init = np.stack([s[0] for s in sides], axis=2).reshape(B, N * nb, D)
    b_rcvr = np.stack([s[1] for s in sides], axis=2).reshape(B, N * nb, D)
    init = np.repeat(ar, nb)  # (M,)
    rcvr = np.repeat(tgt, nb, axis=1)  # (B, M)
    valid = np.repeat(has, nb, axis=1)  # (B, M)
    M = N * nb
    # Step B: value of the state after each bargain, for every actor a
    risk = setup.risk
    own = np.diagonal(est, axis1=1, axis2=2).swapaxes(1, 2)  # (B, a, n) = A^a_an
    total = own.sum(axis=-1)  # (B, a)
    u_init = smp_utility(_distances(y, sal2, b_init), risk[:, :, None])  # (B, a, M)
    u_rcvr = smp_utility(_distances(y, sal2, b_rcvr), risk[:, :, None])
    old_init = own[:, :, init]  # (B, a, M)
    old_rcvr = np.take_along_axis(own, np.broadcast_to(rcvr[:, None, :], (B, N, M)), axis=-1)
    val = (total[..., None] - old_init - old_rcvr + u_init + u_rcvr) / N
    val = np.concatenate([total[..., None] / N, val], axis=-1)  # (B, a, 1 + M)
    # queue of actor k: status quo + every valid bargain naming k, in option order
    inq = valid[:, None, :] & ((init[None, None, :] == ar[None, :, None])
                               | (rcvr[:, None, :] == ar[None, :, None]))  # (B, k, M)
    inq = np.concatenate([np.ones((B, N, 1), dtype=bool), inq], axis=-1)  # (B, k, O)
    perm = None
    if reverse:  # initiators last to first, InitRcvr pairs kept together
        perm = np.concatenate([[0], 1 + (np.arange(N)[::-1, None] * nb + np.arange(nb)).ravel()])
        val, inq = val[..., perm], inq[..., perm]
    c_opt = _coalitions(o.vr, cap, val)  # (B, O, O)
    if o.pce == "Conditional" and o.transitions == "Deterministic":
        # p_k(m) is proportional to the product of V(m, m') over the queue: one matrix product
        # of log V with the queue masks gives every queue at once, in option order (= queue
        # order, so the first maximum is the same)
        with np.errstate(divide="ignore"):
            lv = np.log(_victory(o.vpm, c_opt))
        lv = np.maximum(lv, -1e300)  # V = 0 (Binary): finite, so that 0 x log V = 0
        lp = np.matmul(lv, np.swapaxes(inq, 1, 2).astype(float))  # (B, m, k)
        lp = np.where(np.swapaxes(inq, 1, 2), lp, -np.inf)
        chosen = np.argmax(lp, axis=1)  # (B, k) option id
        # every option of the queue has probability 0 (see pce): equally likely, first wins
        chosen = np.where(lp.max(axis=1) < -1e299, 0, chosen)
    else:
        chosen = _choose_in_queues(c_opt, inq, o, draws)
    if perm is not None:
        chosen = perm[chosen]
    m = np.maximum(chosen - 1, 0)
    is_init = init[m] == ar[None, :]
    side = np.where(is_init[..., None], _take(b_init, m), _take(b_rcvr, m))
    x_new = np.where((chosen > 0)[..., None], side, x)
    # Step C: ideals
    if acc is None:
        y_new = x_new
    else:
        y_new = acc @ x_new + (1.0 - acc.sum(axis=-1))[..., None] * y
    return x_new, y_new


def _choose_in_queues(c_opt, inq, o: _Opts, draws):
    """The option each actor takes from its queue, by a PCE over the queue (general path).

    c_opt : (B, O, O) coalitions over all options; inq : (B, K, O) queue membership.
    """
    B, N, _ = inq.shape
    L = int(inq.sum(axis=-1).max())
    order = np.argsort(~inq, axis=-1, kind="stable")[..., :L]  # (B, k, L) option ids
    qmask = np.take_along_axis(inq, order, axis=-1)
    bi = np.arange(B)[:, None, None, None]
    c_q = c_opt[bi, order[..., :, None], order[..., None, :]]  # (B, k, L, L)
    p_q = pce(c_q, pce_model=o.pce, victory_prob_model=o.vpm, mask=qmask)
    if o.transitions == "Deterministic":
        pick = np.argmax(np.where(qmask, p_q, -1.0), axis=-1)  # first maximum
    else:
        u = draws
        cum = np.cumsum(p_q, axis=-1)
        hit = (cum >= u[..., None]) & qmask
        last = qmask.sum(axis=-1) - 1
        pick = np.where(hit.any(axis=-1), np.argmax(hit, axis=-1), last)
    return np.take_along_axis(order, pick[..., None], axis=-1)[..., 0]  # (B, k) option id


def unique_positions(x: np.ndarray, tol: float = POSITION_TOL) -> np.ndarray:
    """First-occurrence grouping of positions.

    Parameters
    ----------
    x : (B, N, D) unit-scale positions

    Returns
    -------
    (B, N) int: the representative of each actor's group. Representatives are found by first
    occurrence (an actor is one when no earlier representative lies within Euclidean distance
    ``tol``); every actor then joins the last representative within ``tol``, as KTAB does.
    """
    B, N, _ = x.shape
    d = np.sqrt(((x[:, :, None, :] - x[:, None, :, :]) ** 2).sum(axis=-1))
    close = d < tol
    is_rep = np.zeros((B, N), dtype=bool)
    for i in range(N):
        is_rep[:, i] = ~(close[:, i, :i] & is_rep[:, :i]).any(axis=-1)
    # each actor belongs to the LAST representative within tol (KTAB scans every unique
    # position without stopping at the first match); a representative is never within tol
    # of another one, so representatives map to themselves
    cand = close & is_rep[:, None, :]
    return N - 1 - np.argmax(cand[:, :, ::-1], axis=-1)


def _state_probabilities(x, setup: _TurnSetup, cap, o: _Opts):
    """Probability of each actor's distinct position (KTAB's printed history).

    Returns rep (B, N) group representatives and prob (B, N) the probability of the group
    each actor belongs to.
    """
    B, N, _ = x.shape
    rep = unique_positions(x)
    is_rep = rep == np.arange(N)
    M = int(is_rep.sum(axis=-1).max())
    opts = np.argsort(~is_rep, axis=-1, kind="stable")[:, :M]  # representatives in actor order
    omask = np.take_along_axis(is_rep, opts, axis=-1)
    dist = np.take_along_axis(setup.dist, np.broadcast_to(opts[:, None, :], (B, N, M)), axis=-1)
    util = smp_utility(dist, setup.risk[:, :, None])  # A^k_k,rep (B, k, M)
    p = pce(_coalitions(o.vr, cap, util), pce_model=o.pce, victory_prob_model=o.vpm, mask=omask)
    full = np.zeros((B, N))
    np.put_along_axis(full, opts, np.where(omask, p, 0.0), axis=-1)
    full = np.where(is_rep, full, 0.0)
    return rep, np.take_along_axis(full, rep, axis=-1)


# ---------------------------------------------------------------- the run
@dataclass(frozen=True, slots=True)
class SMPRun:
    """A (batch of) SMP run(s) on the unit scale.

    Attributes
    ----------
    positions : (T + 1, B, N, D)
        Positions per state; a variant that stopped earlier keeps its last state.
    n_steps : (B,) int
        Steps run by each variant (states = steps + 1).
    movement : (T, B)
        Sum over actors of the Euclidean movement in each step.
    fractional_change : (T, B)
        movement / (movement of step 1 + 1e-4): the stopping statistic.
    prob : (T + 1, B, N) or None
        Probability of each actor's distinct position per state (when asked for).
    rep : (T + 1, B, N) int or None
        First actor of each actor's group per state.
    final_rep, final_prob : (B, N)
        The same for the final state of each variant.
    """

    positions: np.ndarray
    n_steps: np.ndarray
    movement: np.ndarray
    fractional_change: np.ndarray
    prob: np.ndarray | None
    rep: np.ndarray | None
    final_rep: np.ndarray
    final_prob: np.ndarray

    def most_probable(self) -> tuple[np.ndarray, np.ndarray]:
        """The most probable distinct final position (B, D) and its probability (B,)."""
        B, N = self.final_prob.shape
        # the representative (first holder) of the most probable group; an actor can belong
        # to a later representative's group, so only representatives are candidates
        is_rep = self.final_rep == np.arange(N)
        k = np.argmax(np.where(is_rep, self.final_prob, -1.0), axis=-1)
        final = self.positions[self.n_steps, np.arange(B)]
        return final[np.arange(B), k], self.final_prob[np.arange(B), k]


def run_smp(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    *,
    accommodation: np.ndarray | None = None,
    victory_prob_model: str = "Linear",
    pce_model: str = "Conditional",
    state_transitions: str = "Deterministic",
    voting_rule: str = "Prop",
    big_r_adjust: str = "OneThird",
    big_r_range: str = "Mid",
    third_party_commit: str = "SemiCommit",
    inter_vec_brgn: str = "S2P2",
    bargn_model: str = "InitOnlyInterp",
    max_steps: int = 100,
    history: bool = True,
    rng: np.random.Generator | None = None,
    reverse_queues_at: tuple[int, ...] = (),
) -> SMPRun:
    """Run KTAB's SMP to its stopping rule on a batch of scenarios.

    Parameters
    ----------
    position : (B, N, D) positions on [0, 1]
    salience : (B, N, D) saliences on [0, 1], each actor's sum over dimensions <= 1
    capability : (B, N) capabilities >= 0
    accommodation : (B, N, N) or (N, N), optional
        Ideal-point accommodation matrix (rows sum <= 1); identity when None.
    history : bool
        Also compute the probability of every distinct position at every state.
    rng : Generator
        Needed only for ``state_transitions="Stochastic"``: every turn draws a (B, N) array of
        uniforms, one per actor and variant (stopped variants' numbers are discarded).
    reverse_queues_at : tuple of int
        Steps (1-based) at which the bargains of every queue are ordered by decreasing
        initiator index instead of increasing: a diagnostic that reproduces other queue orders
        KTAB's threads produce (they matter only for exact ties and for ASymProsp).

    Returns
    -------
    SMPRun
    """
    o = _Opts(victory_prob_model, pce_model, state_transitions, voting_rule, big_r_adjust,
              big_r_range, third_party_commit, inter_vec_brgn, bargn_model, int(max_steps))
    x = np.array(position, dtype=float)
    sal = np.array(salience, dtype=float)
    cap = np.array(capability, dtype=float)
    B, N, D = x.shape
    if o.transitions == "Stochastic" and rng is None:
        raise ModelParameterError("state_transitions='Stochastic' needs a random generator (rng)")
    acc = None
    if accommodation is not None:
        acc = np.broadcast_to(np.asarray(accommodation, dtype=float), (B, N, N))
        if np.allclose(acc, np.eye(N)) and np.all(acc == np.eye(N)):
            acc = None
    sal2 = sal * sal
    tot = sal.sum(axis=-1)
    y = x.copy()
    positions = [x.copy()]
    movement: list[np.ndarray] = []
    frac: list[np.ndarray] = []
    probs: list[np.ndarray] = []
    reps: list[np.ndarray] = []
    n_steps = np.zeros(B, dtype=int)
    active = np.arange(B)
    first = np.zeros(B)
    setup = _setup(x, y, sal2, cap, o)
    final_rep = np.zeros((B, N), dtype=int)
    final_prob = np.zeros((B, N))
    if history:
        r, p = _state_probabilities(x, setup, cap, o)
        reps.append(r)
        probs.append(p)
    cur = x.copy()
    step = 0
    while active.size:
        step += 1
        a = active
        sub_acc = None if acc is None else acc[a]
        # one uniform per actor and variant every turn, drawn for every variant so that a
        # variant's numbers do not depend on which others are still running
        draws = rng.random((B, N))[a] if rng is not None and o.transitions == "Stochastic" else None
        x_new, y_new = _step(cur[a], y[a], sal[a], sal2[a], tot[a], cap[a], sub_acc, setup, o, draws,
                             reverse=step in reverse_queues_at)
        move = np.sqrt(((x_new - cur[a]) ** 2).sum(axis=-1)).sum(axis=-1)
        if step == 1:
            first[a] = move
        ratio = move / (first[a] + 1e-4)
        mv = np.zeros(B)
        fr = np.full(B, np.nan)
        mv[a], fr[a] = move, ratio
        movement.append(mv)
        frac.append(fr)
        cur = cur.copy()
        cur[a] = x_new
        y = y.copy()
        y[a] = y_new
        n_steps[a] = step
        positions.append(cur.copy())
        stop = (step >= o.max_steps) | ((step >= MIN_STEPS) & (ratio < STOP_FRACTION))
        setup = _setup(x_new, y_new, sal2[a], cap[a], o)
        if history:
            r_all = reps[-1].copy()
            p_all = probs[-1].copy()
            r, p = _state_probabilities(x_new, setup, cap[a], o)
            r_all[a], p_all[a] = r, p
            reps.append(r_all)
            probs.append(p_all)
        if stop.any():
            done = a[stop]
            if history:
                final_rep[done], final_prob[done] = r_all[done], p_all[done]
            else:
                sub = _TurnSetup(setup.dist[stop], setup.p[stop], setup.risk[stop], setup.est[stop])
                r, p = _state_probabilities(x_new[stop], sub, cap[done], o)
                final_rep[done], final_prob[done] = r, p
        keep = ~stop
        active = a[keep]
        if active.size and not keep.all():
            setup = _TurnSetup(setup.dist[keep], setup.p[keep], setup.risk[keep], setup.est[keep])
    return SMPRun(
        positions=np.stack(positions),
        n_steps=n_steps,
        movement=np.stack(movement),
        fractional_change=np.stack(frac),
        prob=np.stack(probs) if history else None,
        rep=np.stack(reps) if history else None,
        final_rep=final_rep,
        final_prob=final_prob,
    )
