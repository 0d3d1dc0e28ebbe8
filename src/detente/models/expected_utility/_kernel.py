"""Compiled kernel of the expected-utility model (numba; the ``fast`` extra).

Imported only on the first use of the numba backend (:func:`detente.backends.kernel`), so
``import detente`` never loads numba.

The same maths as ``_round`` in :mod:`.reference` and ``_run_chunk`` in :mod:`._numpy`,
written as loops: one draw at a time, every floating-point expression in the order numpy
evaluates it (left to right; no fused multiply-add, as fastmath stays off), sums over actors
taken sequentially. The one deliberate difference: the risk-adjusted utilities ``b^r`` are
evaluated as ``exp(r log b)``, each log shared by both actors of a pair and kept while neither
moves, instead of numpy's ``pow`` (a few ulp apart; the tests compare the backends to 1e-12).

Two things decided its speed at 4-10 actors (measured with ``perf`` on the Alaska Monte
Carlo): the transcendental calls (~40 per round at 4 actors) and numba's reference counting, an
atomic increment and decrement for every array view made or array passed in a loop (a quarter
of the time). So every array is indexed in place (``M[_D, i, j]``, never ``M[_D]``), and the
loops allocate nothing (:func:`path` allocates their scratch once per call), which lets them
compile without numba's runtime (``nrt=False``) and so without any reference counting.

Compiled once per machine and source version (``cache=True``: the machine code is stored in
``__pycache__``); later processes load it in a fraction of a second.
"""

from __future__ import annotations

import numpy as np

from ..._jit import njit

__all__ = ["N_MATS", "N_VECS", "path", "round_one"]

# scratch matrices, M[_NAME, i, j]: distances, normalised distances, utilities, supports,
# probabilities and EUs of the two passes, and the logs of the pair terms of b^r
_DIST, _D, _U, _N, _P1, _EU1, _P2, _A, _B, _LD, _LLO, _LHI = range(12)
N_MATS = 12
# scratch vectors, V[_NAME, i]: |x - mu|, positions, weights c s, positions of the logs
_DMU, _X, _WS, _XL = range(4)
N_VECS = 4
# rows of ``rec``: risk exponent, risk index, security, EU of own and other side of the move
_RISK, _RIDX, _SEC, _EOWN, _EOTH = range(5)
_LOG_HALF = float(np.log(0.5))


@njit(error_model="numpy", nrt=False)
def _median(V, tp, everyone):
    """mu for one draw: the position minimising sum_k w_k |x_k - x_a| (outside the issue:
    never), the first minimiser in actor order, a NaN counting as smallest (as np.argmin)."""
    n = V.shape[1]
    best = -1
    m = 0.0
    for a in range(n):
        acc = 0.0
        xa = V[_X, a]
        for k in range(n):
            acc += V[_WS, k] * abs(xa - V[_X, k])
        if not (everyone or tp[a]):
            acc = np.inf
        if acc != acc:
            return xa
        if best < 0 or acc < m:
            m = acc
            best = a
    return V[_X, best]


@njit(error_model="numpy", nrt=False)
def _votes(M, ui, pi, V, tp, everyone, paper):
    """One pass of votes on the utilities M[ui]: supports M[_N, i, j] = sum_k w_k max(0,
    u_kj - u_ki) (0 for pairs with an actor outside the issue) and probabilities M[pi];
    returns the global normaliser D = 2 sum N."""
    n = V.shape[1]
    for i in range(n):
        for j in range(n):
            M[_N, i, j] = 0.0
    # voters outermost and j innermost: contiguous, vectorisable rows (the O(n^3) part at
    # dozens of actors); each N_ij still sums over k in order, and adding w_k * 0 = +0
    # changes no bit (weights are finite), so a select replaces the branch random draws
    # mispredict
    for k in range(n):
        wk = V[_WS, k]
        for i in range(n):
            uki = M[ui, k, i]
            for j in range(n):
                t = M[ui, k, j] - uki
                M[_N, i, j] += wk * (t if t > 0.0 else 0.0)
    tot = 0.0
    for i in range(n):
        for j in range(n):
            if not (everyone or (tp[i] and tp[j])):
                M[_N, i, j] = 0.0
            tot += M[_N, i, j]
    D = 2.0 * tot
    for i in range(n):
        for j in range(n):
            den = D if not paper else M[_N, i, j] + M[_N, j, i]
            M[pi, i, j] = M[_N, i, j] / (den + (1.0 if den == 0.0 else 0.0))
    return D


@njit(error_model="numpy", nrt=False)
def _no_challenge(r, dm, dist_ij, L, q):
    """Q U^sq + (1 - Q)[T U^b + (1 - T) U^w] for one pair (``_no_challenge`` in expected_utility)."""
    usq = 2.0 - 4.0 * 0.5**r
    m = (dm + dist_ij) / L
    if dm < dist_ij:
        v = 2.0 - 4.0 * (0.5 - 0.25 * m) ** r
    else:
        v = 2.0 - 4.0 * (0.5 + 0.25 * m) ** r
    return q * usq + (1.0 - q) * v


# nogil: Monte Carlo runs seed blocks on threads, which then compute in parallel.
# One function of ~200 lines on purpose (a numba kernel, exempt from the 150-line rule): the
# round's passes share the scratch M and V in place, and splitting them into compiled helpers
# would pass those arrays across calls in the hottest loop of the Monte Carlo; its steps
# follow ``_round`` in reference.py line for line, which is where to read the maths.
@njit(error_model="numpy", nogil=True, nrt=False)
def round_one(xsc, bi, tp, everyone, L, q, paper, capitulation, weight_point, M, V, first,
              rec, mtype, mwith, pos, o, orec, t):
    """One round of draw ``bi`` (``_round`` in :mod:`.reference`) from the positions V[_X];
    returns (mu, D1, D2).

    Reads the saliences ``xsc[1, bi]``, the weights V[_WS] and the take-part mask ``tp``
    (n,); writes the risk values and EUs of the moves to ``rec[:, orec, t]``, the moves to
    ``mtype[orec, t]`` and ``mwith[orec, t]``, the new positions to ``pos[o, t + 1]``, and
    leaves the pass internals (P1, EU1, P2, a, b) in ``M``. ``M`` (N_MATS, n, n), ``V``
    (N_VECS, n) and ``first`` (n, int64) are scratch; V[_XL] holds the positions at which
    the logs in M were taken (NaN: none yet).
    """
    n = V.shape[1]
    for i in range(n):
        xi = V[_X, i]
        for j in range(n):
            dij = abs(V[_X, j] - xi)
            M[_DIST, i, j] = dij
            M[_D, i, j] = dij / L
    mu = _median(V, tp, everyone)
    if q != 1.0:
        for i in range(n):
            V[_DMU, i] = abs(V[_X, i] - mu)

    # first pass, every r = 1 (U^s = 2d, U^f = -2d, U^sq = 0)
    D1 = _votes(M, _D, _P1, V, tp, everyone, paper)
    if q == 1.0 and everyone:
        for i in range(n):  # S_i = 2 sum_j d_ji - 4 s_i sum_j d_ji (1 - P_ji)
            c0 = 0.0
            c1 = 0.0
            for j in range(n):
                c0 += M[_D, j, i]
                c1 += M[_D, j, i] * (1.0 - M[_P1, j, i])
            rec[_SEC, orec, t, i] = 2.0 * c0 - 4.0 * xsc[1, bi, i] * c1
        for i in range(n):
            for j in range(n):
                dij = M[_D, i, j]
                M[_EU1, i, j] = 2.0 * dij - 4.0 * xsc[1, bi, j] * (dij * (1.0 - M[_P1, i, j]))
    else:
        for i in range(n):
            for j in range(n):
                dij = M[_D, i, j]
                e = 2.0 * dij - 4.0 * xsc[1, bi, j] * (dij * (1.0 - M[_P1, i, j]))
                if q != 1.0:
                    e -= _no_challenge(1.0, V[_DMU, i], M[_DIST, i, j], L, q)
                    if M[_DIST, i, j] == 0.0:  # no contest at one position
                        e = 0.0
                if not everyone and not (tp[i] and tp[j]):
                    e = 0.0
                M[_EU1, i, j] = e
        for i in range(n):
            acc = 0.0
            for j in range(n):
                acc += M[_EU1, j, i]
            rec[_SEC, orec, t, i] = acc
    # R_i, r_i; all S_i equal: R = 0, r = 1 (the guard); NaN propagates as in numpy's max/min
    smax = -np.inf
    smin = np.inf
    nan_seen = False
    for i in range(n):
        if everyone or tp[i]:
            v = rec[_SEC, orec, t, i]
            if v != v:
                nan_seen = True
            if v > smax:
                smax = v
            if v < smin:
                smin = v
    if nan_seen:
        smax = np.nan
        smin = np.nan
    spread = smax - smin
    den = spread + (1.0 if spread == 0.0 else 0.0)
    for i in range(n):
        if everyone or tp[i]:
            Ri = (2.0 * rec[_SEC, orec, t, i] - smax - smin) / den
            rec[_RIDX, orec, t, i] = Ri
            rec[_RISK, orec, t, i] = (3.0 - Ri) / (3.0 + Ri)
        else:
            rec[_RIDX, orec, t, i] = np.nan
            rec[_RISK, orec, t, i] = 1.0

    # second pass: voters weight with their own r_k; actor i judges both directions with r_i.
    # b^r = exp(r log b): the three logs of a pair (d, 1/2 - d/2, 1/2 + d/2) serve both of its
    # actors and every later round in which neither moves. Where the result is known bit for
    # bit it is not recomputed: an actor sharing an earlier actor's position (first[j] < j)
    # has the same d in every row, and d = 0 gives 0^r = 0 and (1/2 -+ 0)^r = (1/2)^r
    for j in range(n):
        first[j] = j
        for g in range(j):
            if V[_X, g] == V[_X, j]:
                first[j] = g
                break
    for i in range(n):
        M[_LD, i, i] = -np.inf
        M[_LLO, i, i] = _LOG_HALF
        M[_LHI, i, i] = _LOG_HALF
        for j in range(i + 1, n):
            if V[_XL, i] == V[_X, i] and V[_XL, j] == V[_X, j]:
                continue
            dij = M[_D, i, j]
            h = 0.5 * dij
            ld = np.log(dij)
            llo = np.log(0.5 - h)
            lhi = np.log(0.5 + h)
            M[_LD, i, j] = ld
            M[_LD, j, i] = ld
            M[_LLO, i, j] = llo
            M[_LLO, j, i] = llo
            M[_LHI, i, j] = lhi
            M[_LHI, j, i] = lhi
    for i in range(n):
        V[_XL, i] = V[_X, i]
    for k in range(n):
        rk = rec[_RISK, orec, t, k]
        for j in range(n):
            g = first[j]
            if g < j:
                M[_U, k, j] = M[_U, k, g]
            elif M[_D, k, j] == 0.0 and rk > 0.0:
                M[_U, k, j] = 0.0
            else:
                M[_U, k, j] = np.exp(rk * M[_LD, k, j])
    D2 = _votes(M, _U, _P2, V, tp, everyone, paper)
    # M[_U] and M[_N] are free again: they keep U^s and U^f of row i for the actors sharing a
    # position
    for i in range(n):
        ri = rec[_RISK, orec, t, i]
        usq = 2.0 - 4.0 * np.exp(ri * _LOG_HALF)
        for j in range(n):
            g = first[j]
            if g < j:
                us = M[_U, i, g]
                uf = M[_N, i, g]
            elif M[_D, i, j] == 0.0:
                us = usq
                uf = usq
            else:
                us = 2.0 - 4.0 * np.exp(ri * M[_LLO, i, j])
                uf = 2.0 - 4.0 * np.exp(ri * M[_LHI, i, j])
            M[_U, i, j] = us
            M[_N, i, j] = uf
            span = us - uf
            if q == 1.0:
                gain = us - usq
                M[_A, i, j] = gain - xsc[1, bi, j] * (1.0 - M[_P2, i, j]) * span
                M[_B, i, j] = gain - xsc[1, bi, i] * (1.0 - M[_P2, j, i]) * span
            elif M[_DIST, i, j] == 0.0:
                M[_A, i, j] = 0.0
                M[_B, i, j] = 0.0
            else:
                M[_A, i, j] = us - xsc[1, bi, j] * (1.0 - M[_P2, i, j]) * span - _no_challenge(
                    ri, V[_DMU, i], M[_DIST, i, j], L, q)
                M[_B, i, j] = us - xsc[1, bi, i] * (1.0 - M[_P2, j, i]) * span - _no_challenge(
                    ri, V[_DMU, j], M[_DIST, i, j], L, q)

    # offers in i's view: conflict (b > a > 0) before compromise (b > -a > 0) before
    # capitulation (b > 0 > a, -a > b); the first minimiser in actor order within a class
    for i in range(n):
        j_conf = -1
        k_conf = 0.0
        j_comp = -1
        k_comp = 0.0
        j_cap = -1
        k_cap = 0.0
        xi = V[_X, i]
        for j in range(n):
            if not everyone and not (tp[i] and tp[j]):
                continue
            aij = M[_A, i, j]
            bij = M[_B, i, j]
            if aij > 0.0 and bij > aij:
                if j_conf < 0 or M[_DIST, i, j] < k_conf:
                    j_conf = j
                    k_conf = M[_DIST, i, j]
            elif aij < 0.0 and bij > -aij:
                neg_a = -aij
                if weight_point:
                    key = (neg_a * xi + bij * V[_X, j]) / (bij + neg_a)
                else:
                    key = M[_DIST, i, j] * (neg_a / bij)
                if j_comp < 0 or key < k_comp:
                    j_comp = j
                    k_comp = key
            if capitulation and aij < 0.0 and bij > 0.0 and -aij > bij:
                if j_cap < 0 or M[_DIST, i, j] < k_cap:
                    j_cap = j
                    k_cap = M[_DIST, i, j]
        if j_conf >= 0:
            mtype[orec, t, i] = 1
            jj = j_conf
            pos[o, t + 1, i] = V[_X, jj]
        elif j_comp >= 0:
            mtype[orec, t, i] = 2
            jj = j_comp
            pos[o, t + 1, i] = xi + (V[_X, jj] - xi) * abs(M[_A, i, jj] / M[_B, i, jj])
        elif j_cap >= 0:
            mtype[orec, t, i] = 3
            jj = j_cap
            pos[o, t + 1, i] = V[_X, jj]
        else:
            mtype[orec, t, i] = 0
            mwith[orec, t, i] = -1
            rec[_EOWN, orec, t, i] = np.nan
            rec[_EOTH, orec, t, i] = np.nan
            pos[o, t + 1, i] = xi
            continue
        mwith[orec, t, i] = jj
        rec[_EOWN, orec, t, i] = M[_A, i, jj]
        rec[_EOTH, orec, t, i] = M[_B, i, jj]
    return mu, D1, D2


#: how many earlier rounds :func:`path` searches for the same start-of-round state
_LOOKBACK = 64


# nogil: Monte Carlo runs seed blocks on threads, which then compute in parallel
@njit(error_model="numpy", nogil=True)
def path(xsc, take_part, rounds, q, paper, capitulation, weight_point, has_tol, tolerance,
         keep, record, pos, mm, rounds_run, Lf, rec, move_type, move_with):
    """Every draw of ``_run_chunk`` (in expected_utility), one after the other.

    Inputs ``xsc`` (3, B, n): positions, salience, capability; ``take_part`` (B, n) bool, or
    (0, n) for everyone (an actor takes part when, besides, c s > 0). Outputs (few arrays:
    each costs the caller an allocation and the call an argument): ``pos`` (B', rounds + 1, n)
    and ``mm`` (2, B', rounds + 1) (median, mean) with B' = B when ``keep`` else 1 (one draw's
    scratch); ``rec`` (5, B'', rounds, n) (risk, risk_index, security, eu_own, eu_other),
    ``move_type`` (int8) and ``move_with`` (B'', rounds, n) with B'' = B when ``record`` else 1;
    ``rounds_run`` (B,) and ``Lf`` (2, B) (L, the median after the last round).
    A start-of-round state met in the last ``_LOOKBACK`` rounds of the same draw is not run
    again (the round depends on it alone): cycles and standstills cost one round per
    distinct state.
    """
    n = xsc.shape[2]
    # the scratch is allocated here, with numba's runtime, and handed to the runtime-free
    # loops once per call
    _path(xsc, take_part, rounds, q, paper, capitulation, weight_point, has_tol, tolerance,
          keep, record, pos, mm, rounds_run, Lf, rec, move_type, move_with,
          np.empty((N_MATS, n, n)), np.empty((N_VECS, n)), np.empty(n, dtype=np.int64),
          np.empty(n, dtype=np.bool_))


@njit(error_model="numpy", nogil=True, nrt=False)
def _path(xsc, take_part, rounds, q, paper, capitulation, weight_point, has_tol, tolerance,
          keep, record, pos, mm, rounds_run, Lf, rec, move_type, move_with, M, V, first, tpb):
    """:func:`path` with its scratch: ``M`` (N_MATS, n, n), ``V`` (N_VECS, n), ``first``
    (n, int64), ``tpb`` (n, bool).
    """
    _, B, n = xsc.shape
    given = take_part.shape[0] > 0
    for bi in range(B):
        o = bi if keep else 0
        orec = bi if record else 0
        n_in = 0
        lo = np.inf
        hi = -np.inf
        for i in range(n):
            V[_WS, i] = xsc[2, bi, i] * xsc[1, bi, i]
            tpb[i] = V[_WS, i] > 0.0 and (take_part[bi, i] if given else True)
            if tpb[i]:
                n_in += 1
                if xsc[0, bi, i] < lo:
                    lo = xsc[0, bi, i]
                if xsc[0, bi, i] > hi:
                    hi = xsc[0, bi, i]
        everyone = n_in == n
        for i in range(n):  # actors outside the issue are parked inside the range
            V[_X, i] = xsc[0, bi, i] if tpb[i] else lo
            V[_XL, i] = np.nan  # no logs of this draw yet
        L = hi - lo
        Ls = L if L > 0.0 else 1.0
        for i in range(n):
            pos[o, 0, i] = V[_X, i]
        done = False
        rr = rounds
        for t in range(rounds):
            if done:  # positions fixed: the median repeats, no moves, no risk values
                mm[0, o, t] = mm[0, o, t - 1] if t > rr else _median(V, tpb, everyone)
                for i in range(n):
                    pos[o, t + 1, i] = V[_X, i]
                    for f in range(5):
                        rec[f, orec, t, i] = np.nan
                    move_type[orec, t, i] = 0
                    move_with[orec, t, i] = -1
                continue
            k = -1
            for c_ in range(t - 1, max(t - _LOOKBACK, 0) - 1, -1):
                same = True
                for i in range(n):
                    if pos[o, c_, i] != V[_X, i]:
                        same = False
                        break
                if same:
                    k = c_
                    break
            if k >= 0:  # seen before: copy its round
                mm[0, o, t] = mm[0, o, k]
                for i in range(n):
                    pos[o, t + 1, i] = pos[o, k + 1, i]
                    for f in range(5):
                        rec[f, orec, t, i] = rec[f, orec, k, i]
                    move_type[orec, t, i] = move_type[orec, k, i]
                    move_with[orec, t, i] = move_with[orec, k, i]
            else:
                mu, _, _ = round_one(xsc, bi, tpb, everyone, Ls, q, paper, capitulation,
                                     weight_point, M, V, first, rec, move_type, move_with, pos,
                                     o, orec, t)
                mm[0, o, t] = mu
            if has_tol:
                step = 0.0
                for i in range(n):
                    v = abs(pos[o, t + 1, i] - V[_X, i])
                    if v > step or v != v:
                        step = v
                if step <= tolerance * L:
                    done = True
                    rr = t + 1
            for i in range(n):
                V[_X, i] = pos[o, t + 1, i]
        # the median at the start of round t+1 is the forecast after round t; one after the last
        mm[0, o, rounds] = mm[0, o, rounds - 1] if done and rr < rounds else _median(V, tpb, everyone)
        tot = 0.0
        for i in range(n):
            tot += V[_WS, i]
        for t in range(rounds + 1):
            acc = 0.0
            for i in range(n):
                acc += V[_WS, i] * pos[o, t, i]
            mm[1, o, t] = acc / tot
        rounds_run[bi] = rr
        Lf[0, bi] = L
        Lf[1, bi] = mm[0, o, rounds]
