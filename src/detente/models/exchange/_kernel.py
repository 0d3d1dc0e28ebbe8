"""Compiled kernel of the exchange model's ``variant="stokman"`` (numba; the ``fast`` extra).

One call runs every round of one draw with scalar loops: the same rules and the same float64
operations, in the same order, as the numpy engine ``_numpy._Batch`` (which stays the
fallback without numba), so both give the same exchanges in the same order and the same
numbers. See ``docs/models/exchange.md`` (Performance) for the cost of each step.

Per round: the active candidates (actors on opposite sides of both outcomes) are compacted in
creation order and computed once; each step scans the ones still live (valid and not yet
executed) for the highest score (gains within a relative 1e-9 go by creation key), executes it
and recomputes only the live candidates that share an actor and an issue with it (found
through the ``touch`` table), in index order, which is also the order in which REX draws are
taken from the draw's buffer.

Nothing here allocates Generators: REX draws come in a buffer filled by the caller from the
draw's own Generator; when a run needs more numbers than the buffer holds, the kernel says so
and the caller re-runs that draw with a longer buffer (the stream is the same, only longer).
"""

from __future__ import annotations

import numpy as np

from ..._jit import njit

__all__ = ["N_REC", "REC", "run_draw"]

# columns of the per-candidate constants of a round (one row per candidate)
_SIQ, _SIP, _SJP, _SJQ, _CIQ, _CJP, _DP, _DQ, _TI, _TJ = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
_WI, _WJ, _X0I, _X0J, _BASEI, _BASEJ, _RATIO, _KI, _KJ = 10, 11, 12, 13, 14, 15, 16, 17, 18
_N_CONST = 19
# columns of the state changed by executions: supply positions, move histories (sum, count,
# positive, negative), numerator shifts from records, a side's own record (NaN = none);
# here and in the results every J column is its I column + 1 (the executions loop on it)
_XI, _XJ, _PSI, _PSJ, _PCI, _PCJ, _PPI, _PPJ, _PNI, _PNJ = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
_DSI, _DSJ, _UI, _UJ = 10, 11, 12, 13
_N_STATE = 14
# columns of the per-candidate results (_SCORE unused: the score is its own array)
_GAIN, _SCORE, _VALID, _DOI, _DOJ, _EUI, _EUJ, _EMI, _EMJ, _MI, _MJ = range(11)
_N_RES = 11

#: columns of the record rows returned for executed exchanges
REC = ("round", "kind", "gain", "valid", "ai", "q", "xi", "mi", "doi", "eui", "emi",
       "aj", "p", "xj", "mj", "doj", "euj", "emj", "u", "v", "z")
N_REC = len(REC)

_TINY = 1e-10
_NEAR = 1e-9


@njit(error_model="numpy")
def _ok(x, move, ps, pc, pp, pn):  # pragma: no cover - compiled
    """A move is valid: |m| in (1e-10, 100], x + m in [0, 100], history sum <= 100, one
    direction throughout the round."""
    am = abs(move)
    if not (am <= 100.0 and am > _TINY):
        return False
    if not abs(x + move - 50.0) <= 50.0:
        return False
    if not ps + move <= 100.0:
        return False
    return (pp if move > 0 else pn) == pc


@njit(error_model="numpy")
def _outcome(x, w, dsum, num, out):  # pragma: no cover - compiled
    """Weighted mean per issue (numerator summed over actors in order, as numpy does)."""
    n, m = x.shape
    for k in range(m):
        acc = x[0, k] * w[0, k] if n > 0 else 0.0
        for i in range(1, n):
            acc += x[i, k] * w[i, k]
        num[k] = acc
        out[k] = acc / dsum[k] if dsum[k] > 0 else 0.0


@njit(error_model="numpy")
def _valid(xI, moveI, xJ, moveJ, G, st, k):  # pragma: no cover - compiled
    """Both moves valid given each side's history, and G >= 1e-10."""
    return (_ok(xI, moveI, st[k, _PSI], st[k, _PCI], st[k, _PPI], st[k, _PNI])
            and _ok(xJ, moveJ, st[k, _PSJ], st[k, _PCJ], st[k, _PPJ], st[k, _PNJ])
            and G >= _TINY)


@njit(error_model="numpy")
def _compute(k, cst, st, res, score, drw, rex, p_rex, buf, at):  # pragma: no cover - compiled
    """(Re)compute candidate k from its constants and state; returns the next buffer position
    (-1: the REX buffer ran out)."""
    sIq = cst[k, _SIQ]
    sIp = cst[k, _SIP]
    sJp = cst[k, _SJP]
    sJq = cst[k, _SJQ]
    Dp = cst[k, _DP]
    Dq = cst[k, _DQ]
    tI = cst[k, _TI]
    tJ = cst[k, _TJ]
    wI = cst[k, _WI]
    wJ = cst[k, _WJ]
    ratio = cst[k, _RATIO]
    kI = cst[k, _KI]
    kJ = cst[k, _KJ]
    xI = st[k, _XI]
    xJ = st[k, _XJ]
    uI = st[k, _UI]
    uJ = st[k, _UJ]
    dI = abs(tI - xI)
    dJ = abs(tJ - xJ)
    dOp = dJ * kJ                                   # J moves all the way ...
    dOq = dOp * ratio
    ov = dOq / kI > dI                              # ... unless I would overshoot
    if ov:
        dOq = dI * kI
        dOp = dOq / ratio
    sgI = 1.0 if tI > xI else -1.0
    sgJ = 1.0 if tJ > xJ else -1.0
    if ov:
        mI = dI
        mJ = dOp / kJ
    else:
        mI = dOq / kI
        mJ = dJ
    moveI = mI * sgI
    moveJ = mJ * sgJ
    G = abs(dOq * sIq - dOp * sIp)
    eu = G
    valid0 = _valid(xI, moveI, xJ, moveJ, G, st, k)
    valid = valid0
    bI = cst[k, _BASEI] + st[k, _DSI]
    bJ = cst[k, _BASEJ] + st[k, _DSJ]
    hI = uI == uI  # not NaN: the side has its own record
    hJ = uJ == uJ
    if hI:  # the side's own record is set aside (its own position is set last)
        bI = bI - wI * (uI - cst[k, _X0I])
    if hJ:
        bJ = bJ - wJ * (uJ - cst[k, _X0J])
    cutI = uI if hI else xI
    cutJ = uJ if hJ else xJ
    if valid0:
        # outcome overshoot of I's supply issue q, then of J's supply issue p
        fired = False
        f0 = tI * Dq - (bI + wI * xI)
        f1 = f0 - wI * moveI
        tol = 1e-9 * Dq
        if f0 * f1 < 0 and abs(f0) > tol and abs(f1) > tol:
            mA = abs(tI * Dq - (bI + wI * cutI)) / wI
            dOq = mA * (wI / Dq)
            dOp = dOq / ratio
            G = abs(dOp * sJp - dOq * sJq)
            mI = mA
            mJ = dOp / kJ
            moveI = mI * sgI
            moveJ = mJ * sgJ
            fired = True
        f0 = tJ * Dp - (bJ + wJ * xJ)
        f1 = f0 - wJ * moveJ
        tol = 1e-9 * Dp
        if f0 * f1 < 0 and abs(f0) > tol and abs(f1) > tol:
            mA = abs(tJ * Dp - (bJ + wJ * cutJ)) / wJ
            dOp = mA * (wJ / Dp)
            dOq = dOp * ratio
            G = abs(dOq * sIq - dOp * sIp)
            mJ = mA
            mI = dOq / kI
            moveI = mI * sgI
            moveJ = mJ * sgJ
            fired = True
        if fired:
            valid = _valid(xI, moveI, xJ, moveJ, G, st, k)
    euI = eu
    euJ = eu
    if rex and valid0:
        if at + 3 > buf.shape[0]:
            return -1
        at = _rex(k, at, cst, res, drw, p_rex, buf, G, moveI, moveJ, xI, xJ, bI, bJ, cutI,
                  cutJ)
        moveI = res[k, _MI]
        moveJ = res[k, _MJ]
        euI = res[k, _EUI]
        euJ = res[k, _EUJ]
        valid = _valid(xI, moveI, xJ, moveJ, G, st, k)
        dOq = abs(moveI) * kI
        dOp = abs(moveJ) * kJ
    res[k, _MI] = moveI
    res[k, _MJ] = moveJ
    res[k, _GAIN] = G
    res[k, _DOI] = dOq
    res[k, _DOJ] = dOp
    res[k, _EUI] = euI
    res[k, _EUJ] = euJ
    res[k, _VALID] = 1.0 if valid else 0.0
    score[k] = G if valid else -np.inf
    return at


@njit(error_model="numpy")
def _rex(k, at, cst, res, drw, p_rex, buf, G, moveI, moveJ, xI, xJ, bI, bJ, cutI,
         cutJ):  # pragma: no cover - compiled
    """Randomised equal gain (spec section 10, without the reference's quirks): draws u, v, z
    and writes the moves and utilities of both sides to ``res``; returns the buffer position."""
    sIq = cst[k, _SIQ]
    sIp = cst[k, _SIP]
    sJp = cst[k, _SJP]
    sJq = cst[k, _SJQ]
    cIq = cst[k, _CIQ]
    cJp = cst[k, _CJP]
    Dp = cst[k, _DP]
    Dq = cst[k, _DQ]
    tI = cst[k, _TI]
    tJ = cst[k, _TJ]
    wI = cst[k, _WI]
    wJ = cst[k, _WJ]
    u = buf[at]
    v = buf[at + 1]
    z = buf[at + 2]
    drw[k, 0] = u
    drw[k, 1] = v
    drw[k, 2] = z
    deltaI = abs(wI * (tI - xI) / Dq)               # outcome move if I went all the way
    deltaJ = abs(wJ * (tJ - xJ) / Dp)
    gain_i = deltaJ * sIp
    loss_i = deltaI * sIq
    gain_j = deltaI * sJq
    loss_j = deltaJ * sJp
    a_is_j = gain_i > gain_j
    g = gain_i
    lo = loss_j
    sa_sup = sIq
    sb_dem = sJq
    if a_is_j:
        g = gain_j
        lo = loss_i
        sa_sup = sJp
        sb_dem = sIp
    eu_a = g - lo * sa_sup / sb_dem
    eu_b = g * sb_dem / sa_sup - lo
    all_i = abs(moveI) == abs(tI - xI)              # moved all the way
    all_j = abs(moveJ) == abs(tJ - xJ)
    over = 0.0
    if all_j and gain_i - loss_i > 0:
        over = gain_j - (loss_i / sIp) * sJp
    elif all_i and gain_j - loss_j > 0:
        over = gain_i - (loss_j / sJq) * sIq
    if over != 0:
        eu_b = over
    emI = eu_a
    emJ = eu_b
    if a_is_j:
        emI = eu_b
        emJ = eu_a
    res[k, _EMI] = emI
    res[k, _EMJ] = emJ
    r_is_i = u < 0.5
    pz = p_rex * z
    if v < 0.5:
        eu_r = G + pz * ((emI if r_is_i else emJ) - G)
    else:
        eu_r = G - pz * G
    kI = sIq * cIq / Dq
    kJ = sJp * cJp / Dp
    # R: the randomised side, P: its partner
    xR = xJ
    tR = tJ
    sRs = sJp
    sRd = sJq
    kR = kJ
    xP = xI
    tP = tI
    sPs = sIq
    sPd = sIp
    kP = kI
    baseR = bJ
    wR = wJ
    cutR = cutJ
    DR = Dp
    if r_is_i:
        xR = xI
        tR = tI
        sRs = sIq
        sRd = sIp
        kR = kI
        xP = xJ
        tP = tJ
        sPs = sJp
        sPd = sJq
        kP = kJ
        baseR = bI
        wR = wI
        cutR = cutI
        DR = Dq
    dR = abs(xR - tR)
    dP = abs(xP - tP)
    dOR = dR * kR                                   # R moves all the way ...
    dOP = (eu_r + dOR * sRs) / sRd
    if dOP / kP > dP:                               # ... unless P would overshoot
        dOP = dP * kP
        dOR = abs((eu_r - dOP * sRd) / sRs)
        mR = dOR / kR
        mP = dP
    else:
        mR = dR
        mP = dOP / kP
        f0 = tR * DR - (baseR + wR * xR)
        f1 = tR * DR - (baseR + wR * tR)
        tol = 1e-9 * DR
        if f0 * f1 < 0 and abs(f0) > tol and abs(f1) > tol:
            mR = abs(tR * DR - (baseR + wR * cutR)) / wR
            dOR = mR * (wR / DR)
            dOP = (eu_r + dOR * sRs) / sRd
            mP = dOP / kP
    eu_p = abs(dOP * sPs - dOR * sPd)
    mvR = mR if tR > xR else -mR
    mvP = mP if tP > xP else -mP
    if r_is_i:
        res[k, _MI] = mvR
        res[k, _MJ] = mvP
        res[k, _EUI] = eu_r
        res[k, _EUJ] = eu_p
    else:
        res[k, _MI] = mvP
        res[k, _MJ] = mvR
        res[k, _EUI] = eu_p
        res[k, _EUJ] = eu_r
    return at + 3


@njit(error_model="numpy")
def _setup_round(x, o, num, sal, pw, w, dsum, trad, a1, a2, cp, cq, pair, cst, st, res, score,
                 drw, key, kind, ai, aj, fp, fq, posmap):  # pragma: no cover - compiled
    """Compact the round's active candidates (creation order) and set their constants and
    state; returns their number K."""
    n = x.shape[0]
    C = a1.shape[0]
    K = 0
    for c in range(C):
        ua = a1[c]
        va = a2[c]
        p = cp[c]
        q = cq[c]
        posmap[c] = -1
        g1 = (1 if x[ua, p] <= o[p] else 0) + 2 * (1 if x[ua, q] <= o[q] else 0)
        g2 = (1 if x[va, p] <= o[p] else 0) + 2 * (1 if x[va, q] <= o[q] else 0)
        ad = (g1 == 0 and g2 == 3) or (g1 == 3 and g2 == 0)
        bc = (g1 == 1 and g2 == 2) or (g1 == 2 and g2 == 1)
        if not (ad or bc):
            continue
        if not (trad[ua, p] and trad[ua, q] and trad[va, p] and trad[va, q]):
            continue
        posmap[c] = K
        u = ua
        v = va
        if g1 == 2 or g1 == 3:
            u = va
            v = ua
        kd = 0 if ad else 1
        kind[K] = kd
        key[K] = ((pair[c] * 2 + kd) * n + u) * n + v
        I = u  # noqa: E741 (the roles' names in the papers)
        J = v
        if sal[u, p] * sal[v, q] < sal[v, p] * sal[u, q]:
            I = v  # noqa: E741
            J = u
        ai[K] = I
        aj[K] = J
        fp[K] = p
        fq[K] = q
        cst[K, _SIQ] = sal[I, q]
        cst[K, _SIP] = sal[I, p]
        cst[K, _SJP] = sal[J, p]
        cst[K, _SJQ] = sal[J, q]
        cst[K, _CIQ] = pw[I, q]
        cst[K, _CJP] = pw[J, p]
        cst[K, _DP] = dsum[p]
        cst[K, _DQ] = dsum[q]
        cst[K, _TI] = x[J, q]
        cst[K, _TJ] = x[I, p]
        cst[K, _WI] = w[I, q]
        cst[K, _WJ] = w[J, p]
        cst[K, _X0I] = x[I, q]
        cst[K, _X0J] = x[J, p]
        cst[K, _BASEI] = num[q] - cst[K, _WI] * cst[K, _X0I]
        cst[K, _BASEJ] = num[p] - cst[K, _WJ] * cst[K, _X0J]
        cst[K, _RATIO] = (cst[K, _SIP] + cst[K, _SJP]) / (cst[K, _SIQ] + cst[K, _SJQ])
        cst[K, _KI] = cst[K, _SIQ] * cst[K, _CIQ] / cst[K, _DQ]
        cst[K, _KJ] = cst[K, _SJP] * cst[K, _CJP] / cst[K, _DP]
        for r in range(_N_STATE):
            st[K, r] = 0.0
        st[K, _XI] = x[I, q]
        st[K, _XJ] = x[J, p]
        st[K, _UI] = np.nan
        st[K, _UJ] = np.nan
        for r in range(_N_RES):
            res[K, r] = 0.0
        res[K, _GAIN] = -np.inf
        score[K] = -np.inf
        res[K, _EMI] = np.nan
        res[K, _EMJ] = np.nan
        for r in range(3):
            drw[K, r] = np.nan
        K += 1
    return K


@njit(error_model="numpy")
def _select(score, key, live, nlive):  # pragma: no cover - compiled
    """The candidate to execute: highest score; scores within a relative 1e-9 of it go by
    creation key (-1 when none is left). ``live[:nlive]`` lists the candidates that may still
    be picked; the ones that cannot (score -inf: executed or invalid, which is final within a
    round) are dropped from it on the way. Returns (candidate, new nlive)."""
    top = -np.inf
    j = 0
    for t in range(nlive):
        k = live[t]
        if score[k] == -np.inf:
            continue
        live[j] = k
        j += 1
        if score[k] > top:
            top = score[k]
    if top == -np.inf:
        return -1, j
    thr = top - _NEAR * abs(top)
    ex = -1
    best = 0
    for t in range(j):
        k = live[t]
        if score[k] >= thr and (ex < 0 or key[k] < best):
            ex = k
            best = key[k]
    return ex, j


@njit(error_model="numpy")
def _update(ex, yI, yJ, x, w, n, m, touch, posmap, ai, aj, fp, fq, st, res, score, upd, seen,
            stamp, redo):  # pragma: no cover - compiled
    """Section 7 after executing ex: update the live candidates sharing an actor and an issue
    with it; returns how many must be recomputed (in ``redo``, ascending)."""
    C = posmap.shape[0]
    W = touch.shape[1]
    eI = ai[ex]
    eJ = aj[ex]
    eP = fp[ex]
    eQ = fq[ex]
    e_si = eI * m + eQ
    e_sj = eJ * m + eP
    e_di = eI * m + eP
    e_dj = eJ * m + eQ
    nre = 0
    for t4 in range(4):
        kk = e_di
        if t4 == 1:
            kk = e_si
        elif t4 == 2:
            kk = e_sj
        elif t4 == 3:
            kk = e_dj
        for t in range(W):
            c = touch[kk, t]
            if c >= C:
                break
            g = posmap[c]
            if g < 0 or seen[g] == stamp:
                continue
            seen[g] = stamp
            if score[g] == -np.inf:
                continue
            sI = ai[g] * m + fq[g]
            sJ = aj[g] * m + fp[g]
            dIk = ai[g] * m + fp[g]
            dJk = aj[g] * m + fq[g]
            hit = False
            for side in range(2):  # I, then J: J's column is always I's + 1
                s_side = sI if side == 0 else sJ
                if s_side == e_si or s_side == e_sj:
                    ms = res[g, _MI + side]
                    st[g, _PSI + side] += ms
                    st[g, _PCI + side] += 1.0
                    if ms > 0:
                        st[g, _PPI + side] += 1.0
                    if ms < 0:
                        st[g, _PNI + side] += 1.0
                    st[g, _XI + side] = yI if s_side == e_si else yJ
                    hit = True
            one = dIk == e_dj or dJk == e_dj
            if one or dIk == e_di or dJk == e_di:
                slot1 = dJk == e_dj or dJk == e_di
                act = eJ
                val = yJ
                iss = eP
                if one:
                    act = eI
                    val = yI
                    iss = eQ
                a_ = (g * 2 + (1 if slot1 else 0)) * n + act
                old = upd[a_]
                start = x[act, iss]
                if old != old:  # NaN: nothing recorded yet
                    nv = val
                    shift = w[act, iss] * (nv - start)
                else:
                    if start <= old:
                        nv = old if old < val else val
                    else:
                        nv = old if old > val else val
                    shift = w[act, iss] * (nv - old)
                upd[a_] = nv
                if slot1:
                    st[g, _DSI] += shift   # slot 1 = issue q, supplied by I
                    if act == ai[g]:
                        st[g, _UI] = nv
                else:
                    st[g, _DSJ] += shift
                    if act == aj[g]:
                        st[g, _UJ] = nv
                hit = True
            if hit:
                redo[nre] = g
                nre += 1
    for t in range(1, nre):          # insertion sort: a few, nearly sorted
        v_ = redo[t]
        t_ = t - 1
        while t_ >= 0 and redo[t_] > v_:
            redo[t_ + 1] = redo[t_]
            t_ -= 1
        redo[t_ + 1] = v_
    return nre


# nogil: Monte Carlo runs seed blocks on threads, which then compute in parallel
@njit(error_model="numpy", nogil=True)
def run_draw(x, sal, pw, w, wsal, trad, dsum, a1, a2, cp, cq, pair, touch, rounds, rex, p_rex,
             buf, record, cst, st, res, score, drw, upd, ik, vote, new, num, o, before, voting,
             final, n_ex, recs, info):  # pragma: no cover - compiled
    """Every round of one draw; all arrays are allocated by the caller (see ``work``).

    Parameters
    ----------
    x : (n_actors, n_issues) float64
        Positions on 0..100 (zero where there is no stake); overwritten by the final positions.
    sal, pw, w, wsal : (n_actors, n_issues) float64
        Saliences, powers (zero without a stake), ``sal * pw`` and the position-update weights
        ``0.1 + 0.4 (1 - sal)``.
    trad : (n_actors, n_issues) bool
        Stake with non-zero salience and power (the actor can trade on the issue).
    dsum : (n_issues,) float64
        ``w`` summed over actors.
    a1, a2, cp, cq, pair : (C,) int64
        Candidate actor pairs (a1 < a2) with issue pair (p, q) and its index, creation order.
    touch : (n_actors * n_issues, W) int64
        Candidates involving each (actor, issue), padded with C.
    rounds : int
    rex : bool
    p_rex : float
    buf : (L,) float64
        The draw's uniforms (REX), consumed three at a time.
    record : int
        1: write a record row (columns ``REC``) per executed exchange to ``recs``; 0: none.
    cst, st, res, score, drw, upd, ik, vote, new, num, o
        Work arrays: (C, 19), (C, 14), (C, 11), (C,), (C, 3), (2 C n_actors,) float64,
        (10, C) int64, (n_actors, n_issues) x 2, (n_issues,) x 2. A candidate's numbers are
        one row, so a recomputation reads a few cache lines.
    before, voting : (rounds, n_issues) out
        Outcome at the start of each round and of its voting positions.
    final : (n_issues,) out
        Outcome after the last round's position update.
    n_ex : (rounds,) int64 out
    recs : (rounds * C, N_REC) out (may have 0 rows when ``record`` is 0)
    info : (2,) int64 out
        Records written; uniforms taken from ``buf`` (-1 when it was too short).
    """
    n = x.shape[0]
    m = x.shape[1]
    key = ik[0]
    kind = ik[1]
    ai = ik[2]
    aj = ik[3]
    fp = ik[4]
    fq = ik[5]
    posmap = ik[6]
    seen = ik[7]
    redo = ik[8]
    live = ik[9]
    for k in range(seen.shape[0]):
        seen[k] = 0
    n_rec = 0
    stamp = 0
    at = 0
    for rnd in range(rounds):
        if at < 0:
            break
        _outcome(x, w, dsum, num, o)
        for k in range(m):
            before[rnd, k] = o[k]
        K = _setup_round(x, o, num, sal, pw, w, dsum, trad, a1, a2, cp, cq, pair, cst, st,
                         res, score, drw, key, kind, ai, aj, fp, fq, posmap)
        for k in range(K * 2 * n):
            upd[k] = np.nan
        for k in range(K):
            redo[k] = k
            live[k] = k
        nre = K
        nlive = K
        for i in range(n):
            for k in range(m):
                vote[i, k] = x[i, k]
                new[i, k] = x[i, k]
        n_ex[rnd] = 0
        while True:
            for t in range(nre):   # in index order: the order REX draws are taken
                at = _compute(redo[t], cst, st, res, score, drw, rex, p_rex, buf, at)
                if at < 0:
                    break
            if at < 0:
                break
            ex, nlive = _select(score, key, live, nlive)
            if ex < 0:
                break
            score[ex] = -np.inf
            n_ex[rnd] += 1
            eI = ai[ex]
            eJ = aj[ex]
            eP = fp[ex]
            eQ = fq[ex]
            yI = st[ex, _XI] + res[ex, _MI]
            yJ = st[ex, _XJ] + res[ex, _MJ]
            if record > 0:
                _record(recs[n_rec], rnd, ex, kind, ai, aj, fp, fq, st, res, drw)
                n_rec += 1
            # end-of-round positions: a later execution of the same actor-issue overrides
            vote[eI, eQ] = yI
            new[eI, eQ] = x[eI, eQ] + wsal[eI, eQ] * (yI - x[eI, eQ])
            vote[eJ, eP] = yJ
            new[eJ, eP] = x[eJ, eP] + wsal[eJ, eP] * (yJ - x[eJ, eP])
            stamp += 1
            nre = _update(ex, yI, yJ, x, w, n, m, touch, posmap, ai, aj, fp, fq, st, res, score,
                          upd, seen, stamp, redo)
        _outcome(vote, w, dsum, num, o)
        for k in range(m):
            voting[rnd, k] = o[k]
        for i in range(n):
            for k in range(m):
                x[i, k] = new[i, k]
    _outcome(x, w, dsum, num, final)
    info[0] = n_rec
    info[1] = at


@njit(error_model="numpy")
def _record(r, rnd, ex, kind, ai, aj, fp, fq, st, res, drw):  # pragma: no cover - compiled
    """Fill record row r (columns ``REC``) for the executed candidate ex."""
    r[0] = rnd
    r[1] = kind[ex]
    r[2] = res[ex, _GAIN]
    r[3] = res[ex, _VALID]
    r[4] = ai[ex]
    r[5] = fq[ex]
    r[6] = st[ex, _XI]
    r[7] = res[ex, _MI]
    r[8] = res[ex, _DOI]
    r[9] = res[ex, _EUI]
    r[10] = res[ex, _EMI]
    r[11] = aj[ex]
    r[12] = fp[ex]
    r[13] = st[ex, _XJ]
    r[14] = res[ex, _MJ]
    r[15] = res[ex, _DOJ]
    r[16] = res[ex, _EUJ]
    r[17] = res[ex, _EMJ]
    r[18] = drw[ex, 0]
    r[19] = drw[ex, 1]
    r[20] = drw[ex, 2]
