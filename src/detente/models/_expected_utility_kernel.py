"""Compiled kernel of the expected-utility model (numba; the ``fast`` extra).

Imported only on the first use of the numba backend (see
:func:`detente.models.expected_utility._kernel`), so ``import detente`` never loads numba.

The same maths as ``_round`` and ``_run_chunk`` in :mod:`detente.models.expected_utility`,
written as loops: one draw at a time, every floating-point expression in the order numpy
evaluates it (left to right; no fused multiply-add, as fastmath stays off), sums over actors
taken sequentially. It agrees with the numpy backend to the last few bits (the order of a
few sums and numpy's vectorised ``pow`` may differ in the last place; the tests compare the
two to 1e-12). At 5-10 actors numpy's ~1 us per call dominates its time; compiled, a round
costs a few microseconds, mostly its ~3 n^2 ``pow`` calls.

Compiled once per machine and source version (``cache=True``: the machine code is stored in
``__pycache__``); later processes load it in a fraction of a second.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

__all__ = ["path", "round_one"]


@njit(error_model="numpy")
def _median(x, w, tp, everyone):
    """mu for one draw: the position minimising sum_k w_k |x_k - x_a| (outside the issue:
    never), the first minimiser in actor order, a NaN counting as smallest (as np.argmin)."""
    n = x.shape[0]
    best = -1
    m = 0.0
    for a in range(n):
        acc = 0.0
        xa = x[a]
        for k in range(n):
            acc += w[k] * abs(xa - x[k])
        if not (everyone or tp[a]):
            acc = np.inf
        if acc != acc:
            return xa
        if best < 0 or acc < m:
            m = acc
            best = a
    return x[best]


@njit(error_model="numpy")
def _votes(u, w, tp, everyone, paper, N, P):
    """One pass of votes: supports N[i, j] = sum_k w_k max(0, u_kj - u_ki) (0 for pairs with an
    actor outside the issue) and probabilities P; returns the global normaliser D = 2 sum N."""
    n = u.shape[0]
    for i in range(n):
        for j in range(n):
            N[i, j] = 0.0
    for k in range(n):
        wk = w[k]
        for i in range(n):
            uki = u[k, i]
            for j in range(n):
                t = u[k, j] - uki
                if t > 0.0:  # adding w_k * 0 changes nothing
                    N[i, j] += wk * t
    tot = 0.0
    for i in range(n):
        for j in range(n):
            if not (everyone or (tp[i] and tp[j])):
                N[i, j] = 0.0
            tot += N[i, j]
    D = 2.0 * tot
    for i in range(n):
        for j in range(n):
            den = D if not paper else N[i, j] + N[j, i]
            P[i, j] = N[i, j] / (den + (1.0 if den == 0.0 else 0.0))
    return D


@njit(error_model="numpy")
def _no_challenge(r, dm, dist_ij, L, q):
    """Q U^sq + (1 - Q)[T U^b + (1 - T) U^w] for one pair (``_no_challenge`` in expected_utility)."""
    usq = 2.0 - 4.0 * 0.5**r
    m = (dm + dist_ij) / L
    if dm < dist_ij:
        v = 2.0 - 4.0 * (0.5 - 0.25 * m) ** r
    else:
        v = 2.0 - 4.0 * (0.5 + 0.25 * m) ** r
    return q * usq + (1.0 - q) * v


# nogil: Monte Carlo runs seed blocks on threads, which then compute in parallel
@njit(error_model="numpy", nogil=True)
def round_one(x, s, w, tp, everyone, L, q, paper, capitulation, weight_point,
             dist, d, u, N, P1, eu1, P2, a, b, S, R, r, mtype, mwith, eu_own, eu_other, new, dmu,
             first):
    """One round for one draw (``_round`` in expected_utility); fills the arrays, returns
    (mu, D1, D2). ``dist`` .. ``N`` (n, n), ``dmu`` (n,) and ``first`` (n, int64) are scratch."""
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            dij = abs(x[j] - x[i])
            dist[i, j] = dij
            d[i, j] = dij / L
    mu = _median(x, w, tp, everyone)
    if q != 1.0:
        for i in range(n):
            dmu[i] = abs(x[i] - mu)

    # first pass, every r = 1 (U^s = 2d, U^f = -2d, U^sq = 0)
    D1 = _votes(d, w, tp, everyone, paper, N, P1)
    if q == 1.0 and everyone:
        for i in range(n):  # S_i = 2 sum_j d_ji - 4 s_i sum_j d_ji (1 - P_ji)
            c0 = 0.0
            c1 = 0.0
            for j in range(n):
                c0 += d[j, i]
                c1 += d[j, i] * (1.0 - P1[j, i])
            S[i] = 2.0 * c0 - 4.0 * s[i] * c1
        for i in range(n):
            for j in range(n):
                eu1[i, j] = 2.0 * d[i, j] - 4.0 * s[j] * (d[i, j] * (1.0 - P1[i, j]))
    else:
        for i in range(n):
            for j in range(n):
                e = 2.0 * d[i, j] - 4.0 * s[j] * (d[i, j] * (1.0 - P1[i, j]))
                if q != 1.0:
                    e -= _no_challenge(1.0, dmu[i], dist[i, j], L, q)
                    if dist[i, j] == 0.0:  # no contest at one position
                        e = 0.0
                if not everyone and not (tp[i] and tp[j]):
                    e = 0.0
                eu1[i, j] = e
        for i in range(n):
            acc = 0.0
            for j in range(n):
                acc += eu1[j, i]
            S[i] = acc
    # R_i, r_i; all S_i equal: R = 0, r = 1 (the guard); NaN propagates as in numpy's max/min
    smax = -np.inf
    smin = np.inf
    nan_seen = False
    for i in range(n):
        if everyone or tp[i]:
            v = S[i]
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
            Ri = (2.0 * S[i] - smax - smin) / den
            R[i] = Ri
            r[i] = (3.0 - Ri) / (3.0 + Ri)
        else:
            R[i] = np.nan
            r[i] = 1.0

    # second pass: voters weight with their own r_k; actor i judges both directions with r_i.
    # pow dominates the round at few actors, so it is not recomputed where the result is
    # known bit for bit: an actor sharing an earlier actor's position (first[j] < j) has the
    # same d in every row, and d = 0 gives 0^r = 0 and (0.5 -+ 0)^r = 0.5^r
    for j in range(n):
        first[j] = j
        for g in range(j):
            if x[g] == x[j]:
                first[j] = g
                break
    for k in range(n):
        rk = r[k]
        for j in range(n):
            g = first[j]
            if g < j:
                u[k, j] = u[k, g]
            elif d[k, j] == 0.0 and rk > 0.0:
                u[k, j] = 0.0
            else:
                u[k, j] = d[k, j] ** rk
    D2 = _votes(u, w, tp, everyone, paper, N, P2)
    # u and N are free again: they keep U^s and U^f of row i for the actors sharing a position
    for i in range(n):
        ri = r[i]
        usq = 2.0 - 4.0 * 0.5**ri
        for j in range(n):
            g = first[j]
            if g < j:
                us = u[i, g]
                uf = N[i, g]
            elif d[i, j] == 0.0:
                us = usq
                uf = usq
            else:
                h = 0.5 * d[i, j]
                us = 2.0 - 4.0 * (0.5 - h) ** ri
                uf = 2.0 - 4.0 * (0.5 + h) ** ri
            u[i, j] = us
            N[i, j] = uf
            span = us - uf
            if q == 1.0:
                g = us - usq
                a[i, j] = g - s[j] * (1.0 - P2[i, j]) * span
                b[i, j] = g - s[i] * (1.0 - P2[j, i]) * span
            elif dist[i, j] == 0.0:
                a[i, j] = 0.0
                b[i, j] = 0.0
            else:
                a[i, j] = us - s[j] * (1.0 - P2[i, j]) * span - _no_challenge(
                    ri, dmu[i], dist[i, j], L, q)
                b[i, j] = us - s[i] * (1.0 - P2[j, i]) * span - _no_challenge(
                    ri, dmu[j], dist[i, j], L, q)

    # offers in i's view: conflict (b > a > 0) before compromise (b > -a > 0) before
    # capitulation (b > 0 > a, -a > b); the first minimiser in actor order within a class
    for i in range(n):
        j_conf = -1
        k_conf = 0.0
        j_comp = -1
        k_comp = 0.0
        j_cap = -1
        k_cap = 0.0
        xi = x[i]
        for j in range(n):
            if not everyone and not (tp[i] and tp[j]):
                continue
            aij = a[i, j]
            bij = b[i, j]
            if aij > 0.0 and bij > aij:
                if j_conf < 0 or dist[i, j] < k_conf:
                    j_conf = j
                    k_conf = dist[i, j]
            elif aij < 0.0 and bij > -aij:
                neg_a = -aij
                if weight_point:
                    key = (neg_a * xi + bij * x[j]) / (bij + neg_a)
                else:
                    key = dist[i, j] * (neg_a / bij)
                if j_comp < 0 or key < k_comp:
                    j_comp = j
                    k_comp = key
            if capitulation and aij < 0.0 and bij > 0.0 and -aij > bij:
                if j_cap < 0 or dist[i, j] < k_cap:
                    j_cap = j
                    k_cap = dist[i, j]
        if j_conf >= 0:
            mtype[i] = 1
            jj = j_conf
            new[i] = x[jj]
        elif j_comp >= 0:
            mtype[i] = 2
            jj = j_comp
            new[i] = xi + (x[jj] - xi) * abs(a[i, jj] / b[i, jj])
        elif j_cap >= 0:
            mtype[i] = 3
            jj = j_cap
            new[i] = x[jj]
        else:
            mtype[i] = 0
            mwith[i] = -1
            eu_own[i] = np.nan
            eu_other[i] = np.nan
            new[i] = xi
            continue
        mwith[i] = jj
        eu_own[i] = a[i, jj]
        eu_other[i] = b[i, jj]
    return mu, D1, D2


#: how many earlier rounds :func:`path` searches for the same start-of-round state
_LOOKBACK = 64


# nogil: Monte Carlo runs seed blocks on threads, which then compute in parallel
@njit(error_model="numpy", nogil=True)
def path(xsc, take_part, rounds, q, paper, capitulation, weight_point, has_tol, tolerance,
         keep, record, pos, mm, rounds_run, Lf, rec, move_type, move_with):
    """Every draw of ``_run_chunk`` (in expected_utility), one after the other.

    Inputs ``xsc`` (3, B, n): positions, salience, capability; ``take_part`` (B, n) bool, or (0, n) for everyone
    (an actor takes part when, besides, c s > 0). Outputs (few arrays: each costs the caller
    an allocation and the call an argument): ``pos`` (B', rounds + 1, n) and ``mm`` (2, B',
    rounds + 1) (median, mean) with B' = B when ``keep`` else 1 (one draw's scratch); ``rec``
    (5, B'', rounds, n) (risk, risk_index, security, eu_own, eu_other), ``move_type`` (int8)
    and ``move_with`` (B'', rounds, n) with B'' = B when ``record`` else 1; ``rounds_run``
    (B,) and ``Lf`` (2, B) (L, the median after the last round).
    A start-of-round state met in the last ``_LOOKBACK`` rounds of the same draw is not run
    again (the round depends on it alone): cycles and standstills cost one round per
    distinct state.
    """
    _, B, n = xsc.shape
    x0 = xsc[0]
    s = xsc[1]
    c = xsc[2]
    mats = np.empty((9, n, n))  # scratch: two allocations, not thirteen (~0.1 us each)
    dist = mats[0]
    d = mats[1]
    u = mats[2]
    N = mats[3]
    P1 = mats[4]
    eu1 = mats[5]
    P2 = mats[6]
    a = mats[7]
    b = mats[8]
    vecs = np.empty((3, n))
    F = vecs[0]
    x = vecs[1]
    ws = vecs[2]
    first = np.empty(n, dtype=np.int64)
    tpb = np.empty(n, dtype=np.bool_)
    given = take_part.shape[0] > 0
    for bi in range(B):
        o = bi if keep else 0
        orec = bi if record else 0
        xs = x0[bi]
        sb = s[bi]
        n_in = 0
        lo = np.inf
        hi = -np.inf
        for i in range(n):
            ws[i] = c[bi, i] * sb[i]
            tpb[i] = ws[i] > 0.0 and (take_part[bi, i] if given else True)
            if tpb[i]:
                n_in += 1
                if xs[i] < lo:
                    lo = xs[i]
                if xs[i] > hi:
                    hi = xs[i]
        everyone = n_in == n
        for i in range(n):  # actors outside the issue are parked inside the range
            x[i] = xs[i] if tpb[i] else lo
        L = hi - lo
        Ls = L if L > 0.0 else 1.0
        P = pos[o]
        M = mm[0, o]
        r = rec[0, orec]
        R = rec[1, orec]
        S = rec[2, orec]
        eo = rec[3, orec]
        et = rec[4, orec]
        mt = move_type[orec]
        mw = move_with[orec]
        for i in range(n):
            P[0, i] = x[i]
        done = False
        rr = rounds
        for t in range(rounds):
            if done:  # positions fixed: the median repeats, no moves, no risk values
                M[t] = M[t - 1] if t > rr else _median(x, ws, tpb, everyone)
                for i in range(n):
                    P[t + 1, i] = x[i]
                    S[t, i] = np.nan
                    R[t, i] = np.nan
                    r[t, i] = np.nan
                    eo[t, i] = np.nan
                    et[t, i] = np.nan
                    mt[t, i] = 0
                    mw[t, i] = -1
                continue
            k = -1
            for c_ in range(t - 1, max(t - _LOOKBACK, 0) - 1, -1):
                same = True
                for i in range(n):
                    if P[c_, i] != x[i]:
                        same = False
                        break
                if same:
                    k = c_
                    break
            if k >= 0:  # seen before: copy its round
                M[t] = M[k]
                for i in range(n):
                    P[t + 1, i] = P[k + 1, i]
                    S[t, i] = S[k, i]
                    R[t, i] = R[k, i]
                    r[t, i] = r[k, i]
                    eo[t, i] = eo[k, i]
                    et[t, i] = et[k, i]
                    mt[t, i] = mt[k, i]
                    mw[t, i] = mw[k, i]
            else:
                mu, _, _ = round_one(
                    x, sb, ws, tpb, everyone, Ls, q, paper, capitulation, weight_point,
                    dist, d, u, N, P1, eu1, P2, a, b, S[t], R[t], r[t], mt[t], mw[t],
                    eo[t], et[t], P[t + 1], F, first,
                )
                M[t] = mu
            if has_tol:
                step = 0.0
                for i in range(n):
                    v = abs(P[t + 1, i] - x[i])
                    if v > step or v != v:
                        step = v
                if step <= tolerance * L:
                    done = True
                    rr = t + 1
            for i in range(n):
                x[i] = P[t + 1, i]
        # the median at the start of round t+1 is the forecast after round t; one after the last
        M[rounds] = M[rounds - 1] if done and rr < rounds else _median(x, ws, tpb, everyone)
        tot = 0.0
        for i in range(n):
            tot += ws[i]
        for t in range(rounds + 1):
            acc = 0.0
            for i in range(n):
                acc += ws[i] * P[t, i]
            mm[1, o, t] = acc / tot
        rounds_run[bi] = rr
        Lf[0, bi] = L
        Lf[1, bi] = M[rounds]
