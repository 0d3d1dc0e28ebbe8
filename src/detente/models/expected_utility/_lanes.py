"""Lockstep kernel of the expected-utility model: many draws per instruction (numba; ``fast``).

:func:`detente.models.expected_utility._kernel.path` runs one draw after another, and at 4-10
actors a round is a few hundred scalar operations full of data-dependent branches, so the CPU's
vector units sit idle. Here :data:`W` draws ("lanes") run the same round at the same time: every
array carries the lanes on its last axis, every loop over them is innermost and branch-free
(selects instead of ``if``), and ``exp``/``log`` come from :mod:`detente._vecmath`, so LLVM
vectorises the loops (4 or 8 lanes per instruction). A lane whose path is settled (its
start-of-round state repeats an earlier one, or it moved less than the tolerance, or it ran all
rounds) hands its forecast back and takes the next draw at once, so no lane idles while others
finish.

Only the forecast after the last round comes out (the Monte Carlo's need), and only for draws the
wrapper routes here (:func:`detente.models.expected_utility.engine._final_median`): Q = 1, every actor
in the issue, finite inputs, at least one round. Each lane does exactly the arithmetic of
:func:`~detente.models.expected_utility._kernel.round_one` for its draw (same operations in the
same order; the same ``exp``/``log``), so the two kernels give the same bits for every draw; the
tests check it. A state repeating with period p makes the rest of the path periodic (a round
depends on its start state alone), so the final positions are read off the history instead of
running the remaining rounds.
"""

from __future__ import annotations

import numpy as np

from ..._jit import njit
from ..._vecmath import exp, log
from ._kernel import _LOG_HALF, _LOOKBACK, _WS, _X, N_VECS
from ._kernel import _median as _path_median

__all__ = ["W", "eligible", "final_medians", "lane_count"]

#: most lanes at once: a multiple of the vector width, and more lanes spread each loop's set-up
#: over more vector iterations (Alaska, 4 actors: 1.69 us per path at 64 lanes, 1.59 at 256)
W = 256
#: scratch budget per call: the ten (n, n, lanes) arrays stay within a core's L2 cache
_SCRATCH_BYTES = 1 << 21

# rows of the per-lane scratch ``T`` (8, lanes): running values of the loops over actors
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = range(8)


def lane_count(n: int, draws: int) -> int:
    """Lanes for ``draws`` draws of ``n`` actors: at most :data:`W`, halved while the scratch
    exceeds its budget but not below 16 (LLVM's minimum trip count for vectorising a loop),
    and never more than the draws. The results do not depend on it."""
    w = W
    while w > 16 and 10 * 8 * n * n * w > _SCRATCH_BYTES:
        w //= 2
    return max(1, min(w, draws))


@njit(error_model="numpy", nrt=False)
def _votes(Uin, N, P, WS, tot, n, paper):
    """Supports N[i, j] = sum_k w_k max(0, u_kj - u_ki) and probabilities P from the utilities
    ``Uin`` (everyone in the issue), lane by lane; ``tot`` (lanes,) receives D = 2 sum N."""
    nl = tot.shape[0]
    for i in range(n):
        for j in range(n):
            for lane in range(nl):
                N[i, j, lane] = 0.0
    for k in range(n):
        for i in range(n):
            for j in range(n):
                if j == i:  # adds w_k * 0 = +0 (finite utilities): N_ii stays 0
                    continue
                for lane in range(nl):
                    t = Uin[k, j, lane] - Uin[k, i, lane]
                    N[i, j, lane] += WS[k, lane] * (t if t > 0.0 else 0.0)
    for lane in range(nl):
        tot[lane] = 0.0
    for i in range(n):
        for j in range(n):
            for lane in range(nl):
                tot[lane] += N[i, j, lane]
    for lane in range(nl):
        tot[lane] = 2.0 * tot[lane]
    for i in range(n):
        for j in range(n):
            for lane in range(nl):
                den = tot[lane] if not paper else N[i, j, lane] + N[j, i, lane]
                P[i, j, lane] = N[i, j, lane] / (den + (1.0 if den == 0.0 else 0.0))


@njit(error_model="numpy", nrt=False)
def _round(X, NP, S, WS, Ls, DIST, D, N, P, U, LD, LLO, LHI, A, Bm, SEC, RK, T, F, n, paper,
           capitulation, weight_point):
    """One round of every lane from the positions X (n, lanes) to the new positions NP."""
    nl = X.shape[1]
    for i in range(n):
        for j in range(n):
            for lane in range(nl):
                dij = abs(X[j, lane] - X[i, lane])
                DIST[i, j, lane] = dij
                D[i, j, lane] = dij / Ls[lane]
    _votes(D, N, P, WS, T[_T0], n, paper)
    # security, Q = 1 with everyone in: S_i = 2 sum_j d_ji - 4 s_i sum_j d_ji (1 - P_ji)
    for i in range(n):
        for lane in range(nl):
            T[_T0, lane] = 0.0
            T[_T1, lane] = 0.0
        for j in range(n):
            for lane in range(nl):
                T[_T0, lane] += D[j, i, lane]
                T[_T1, lane] += D[j, i, lane] * (1.0 - P[j, i, lane])
        for lane in range(nl):
            SEC[i, lane] = 2.0 * T[_T0, lane] - 4.0 * S[i, lane] * T[_T1, lane]
    # risk exponents; NaN propagates as in numpy's max/min
    for lane in range(nl):
        T[_T0, lane] = -np.inf
        T[_T1, lane] = np.inf
        F[0, lane] = False
    for i in range(n):
        for lane in range(nl):
            v = SEC[i, lane]
            F[0, lane] = F[0, lane] | (v != v)
            T[_T0, lane] = v if v > T[_T0, lane] else T[_T0, lane]
            T[_T1, lane] = v if v < T[_T1, lane] else T[_T1, lane]
    for lane in range(nl):
        smax = np.nan if F[0, lane] else T[_T0, lane]
        smin = np.nan if F[0, lane] else T[_T1, lane]
        T[_T0, lane] = smax
        T[_T1, lane] = smin
        spread = smax - smin
        T[_T2, lane] = spread + (1.0 if spread == 0.0 else 0.0)
    for i in range(n):
        for lane in range(nl):
            Ri = (2.0 * SEC[i, lane] - T[_T0, lane] - T[_T1, lane]) / T[_T2, lane]
            RK[i, lane] = (3.0 - Ri) / (3.0 + Ri)
    # b^r = exp(r log b); the logs of a pair serve both of its actors
    for i in range(n):
        for j in range(i + 1, n):
            for lane in range(nl):
                dij = D[i, j, lane]
                h = 0.5 * dij
                ld = log(dij)
                llo = log(0.5 - h)
                lhi = log(0.5 + h)
                LD[i, j, lane] = ld
                LD[j, i, lane] = ld
                LLO[i, j, lane] = llo
                LLO[j, i, lane] = llo
                LHI[i, j, lane] = lhi
                LHI[j, i, lane] = lhi
    for k in range(n):
        for j in range(n):
            if j == k:  # d = 0 (finite positions): 0^r, without exp(r log 0)
                for lane in range(nl):
                    rk = RK[k, lane]
                    U[k, k, lane] = 0.0 if rk > 0.0 else (np.inf if rk < 0.0 else np.nan)
                continue
            for lane in range(nl):
                rk = RK[k, lane]
                e = exp(rk * LD[k, j, lane])
                U[k, j, lane] = 0.0 if (D[k, j, lane] == 0.0) & (rk > 0.0) else e
    _votes(U, N, P, WS, T[_T0], n, paper)
    for i in range(n):
        for lane in range(nl):
            T[_T3, lane] = 2.0 - 4.0 * exp(RK[i, lane] * _LOG_HALF)
        for j in range(n):
            if j == i:  # d = 0: U^s = U^f = U^sq
                for lane in range(nl):
                    usq = T[_T3, lane]
                    span = usq - usq
                    gain = usq - usq
                    A[i, i, lane] = gain - S[i, lane] * (1.0 - P[i, i, lane]) * span
                    Bm[i, i, lane] = gain - S[i, lane] * (1.0 - P[i, i, lane]) * span
                continue
            for lane in range(nl):
                ri = RK[i, lane]
                usq = T[_T3, lane]
                z = D[i, j, lane] == 0.0
                us = 2.0 - 4.0 * exp(ri * LLO[i, j, lane])
                uf = 2.0 - 4.0 * exp(ri * LHI[i, j, lane])
                us = usq if z else us
                uf = usq if z else uf
                span = us - uf
                gain = us - usq
                A[i, j, lane] = gain - S[j, lane] * (1.0 - P[i, j, lane]) * span
                Bm[i, j, lane] = gain - S[i, lane] * (1.0 - P[j, i, lane]) * span
    # offers in i's view: conflict before compromise before capitulation, the first minimiser
    # in actor order within a class; F[c] says whether class c has a candidate yet
    for i in range(n):
        for lane in range(nl):
            F[0, lane] = False
            F[1, lane] = False
            F[2, lane] = False
        for j in range(n):
            for lane in range(nl):
                a = A[i, j, lane]
                b = Bm[i, j, lane]
                dist = DIST[i, j, lane]
                xi = X[i, lane]
                xj = X[j, lane]
                conf = (a > 0.0) & (b > a)
                up = conf & ((not F[0, lane]) | (dist < T[_T0, lane]))
                T[_T0, lane] = dist if up else T[_T0, lane]
                T[_T1, lane] = xj if up else T[_T1, lane]
                F[0, lane] = F[0, lane] | conf
                neg_a = -a
                comp = (a < 0.0) & (b > neg_a)
                if weight_point:
                    key = (neg_a * xi + b * xj) / (b + neg_a)
                else:
                    key = dist * (neg_a / b)
                up = comp & ((not F[1, lane]) | (key < T[_T2, lane]))
                T[_T2, lane] = key if up else T[_T2, lane]
                T[_T3, lane] = a if up else T[_T3, lane]
                T[_T4, lane] = b if up else T[_T4, lane]
                T[_T5, lane] = xj if up else T[_T5, lane]
                F[1, lane] = F[1, lane] | comp
                if capitulation:
                    cap = (a < 0.0) & (b > 0.0) & (neg_a > b)
                    up = cap & ((not F[2, lane]) | (dist < T[_T6, lane]))
                    T[_T6, lane] = dist if up else T[_T6, lane]
                    T[_T7, lane] = xj if up else T[_T7, lane]
                    F[2, lane] = F[2, lane] | cap
        for lane in range(nl):
            xi = X[i, lane]
            x = T[_T7, lane] if F[2, lane] else xi
            x = (xi + (T[_T5, lane] - xi) * abs(T[_T3, lane] / T[_T4, lane])) if F[1, lane] else x
            NP[i, lane] = T[_T1, lane] if F[0, lane] else x


@njit(error_model="numpy", nrt=False)
def _load(xsc, d, lane, n, tolerance, X, S, WS, Ls, TL, H):
    """Put draw ``d`` into ``lane``: positions, saliences, weights c s, L and the tolerance."""
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        x = xsc[0, d, i]
        X[i, lane] = x
        H[lane, 0, i] = x
        S[i, lane] = xsc[1, d, i]
        WS[i, lane] = xsc[2, d, i] * xsc[1, d, i]
        if x < lo:
            lo = x
        if x > hi:
            hi = x
    L = hi - lo
    Ls[lane] = L if L > 0.0 else 1.0
    TL[lane] = tolerance * L


# nogil: Monte Carlo runs seed blocks on threads, which then compute in parallel
@njit(error_model="numpy", nogil=True, nrt=False)
def _final_medians(xsc, idx, rounds, paper, capitulation, weight_point, has_tol, tolerance, out,
                   X, NP, S, WS, Ls, TL, H, DIST, D, N, P, U, LD, LLO, LHI, A, Bm, SEC, RK, T,
                   F, lane_t, lane_d, V, tpv):
    """:func:`final_medians` with its scratch; ``V`` (N_VECS, n) and ``tpv`` (n, bool) take a
    settled lane's final state to the scalar kernel's median."""
    n = xsc.shape[2]
    nl = X.shape[1]
    nidx = idx.shape[0]
    nxt = 0
    active = 0
    for lane in range(nl):
        # spare lanes compute a copy of the first draw, and nothing is read from them
        _load(xsc, idx[min(nxt, nidx - 1)], lane, n, tolerance, X, S, WS, Ls, TL, H)
        lane_t[lane] = 0
        lane_d[lane] = -1
        if nxt < nidx:
            lane_d[lane] = idx[nxt]
            nxt += 1
            active += 1
    while active > 0:
        _round(X, NP, S, WS, Ls, DIST, D, N, P, U, LD, LLO, LHI, A, Bm, SEC, RK, T, F, n,
               paper, capitulation, weight_point)
        for lane in range(nl):
            if lane_d[lane] < 0:
                continue
            t = lane_t[lane]
            for i in range(n):
                H[lane, t + 1, i] = NP[i, lane]
            stop = -1  # the round whose start state is the path's final state
            if has_tol:
                step = 0.0
                for i in range(n):
                    v = abs(NP[i, lane] - X[i, lane])
                    if v > step or v != v:
                        step = v
                if step <= TL[lane]:
                    stop = t + 1
            if stop < 0:
                for c in range(t, max(t + 1 - _LOOKBACK, 0) - 1, -1):
                    same = True
                    for i in range(n):
                        if H[lane, c, i] != NP[i, lane]:
                            same = False
                            break
                    if same:  # period t + 1 - c from round c on
                        stop = c + (rounds - c) % (t + 1 - c)
                        break
            if stop < 0 and t + 1 == rounds:
                stop = rounds
            if stop < 0:
                lane_t[lane] = t + 1
                for i in range(n):
                    X[i, lane] = NP[i, lane]
                continue
            for i in range(n):
                V[_X, i] = H[lane, stop, i]
                V[_WS, i] = WS[i, lane]
            out[lane_d[lane]] = _path_median(V, tpv, True)
            if nxt < nidx:
                _load(xsc, idx[nxt], lane, n, tolerance, X, S, WS, Ls, TL, H)
                lane_t[lane] = 0
                lane_d[lane] = idx[nxt]
                nxt += 1
            else:
                lane_d[lane] = -1
                active -= 1


@njit(error_model="numpy", nogil=True)
def final_medians(xsc, idx, rounds, paper, capitulation, weight_point, has_tol, tolerance, out,
                  lanes):
    """The forecast after the last round (the median, ``Lf[1]`` of the scalar kernel's
    :func:`~detente.models.expected_utility._kernel.path`) of the draws ``idx`` (int64, at
    least one) of ``xsc`` (3, B, n: position, salience, capability), into ``out[idx]``.

    Only for draws with every actor in the issue (c s > 0), finite inputs, Q = 1 and
    ``rounds`` >= 1; the caller checks. ``lanes`` draws run at once (:func:`lane_count`; the
    results do not depend on it).
    """
    n = xsc.shape[2]
    W = lanes
    e = np.empty
    nn = (n, n, W)
    _final_medians(
        xsc, idx, rounds, paper, capitulation, weight_point, has_tol, tolerance, out,
        e((n, W)), e((n, W)), e((n, W)), e((n, W)), e(W), e(W), e((W, rounds + 1, n)),
        e(nn), e(nn), e(nn), e(nn), e(nn), e(nn), e(nn), e(nn), e(nn), e(nn), e((n, W)),
        e((n, W)), e((8, W)),
        np.zeros((3, W), dtype=np.bool_), e(W, dtype=np.int64), e(W, dtype=np.int64),
        e((N_VECS, n)), np.ones(n, dtype=np.bool_),
    )


@njit(error_model="numpy", nogil=True, nrt=False)
def eligible(xsc, take_part, ok):
    """``ok[b]``: whether draw ``b`` of ``xsc`` (3, B, n) may run here: finite inputs and every
    actor in the issue (c s > 0, and ``take_part`` (B, n) true unless it is (0, n))."""
    _, B, n = xsc.shape
    given = take_part.shape[0] > 0
    for b in range(B):
        good = True
        for i in range(n):
            x = xsc[0, b, i]
            s = xsc[1, b, i]
            c = xsc[2, b, i]
            if not (np.isfinite(x) and np.isfinite(s) and np.isfinite(c) and c * s > 0.0):
                good = False
            if given and not take_part[b, i]:
                good = False
        ok[b] = good
