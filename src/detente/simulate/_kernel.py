"""Compiled kernel of stacked alternating offers on per-run tables (numba; the ``fast`` extra).

One call plays every run of a chunk, run after run, with scalar loops: the rules of
:func:`~.protocols.alternating_offers` and the float64 operations of
:class:`~.strategies.TimeDependent`, :class:`~.strategies.NaiveTitForTat` and
:meth:`~detente.negotiation.batch.DomainBatch.utilities`, in the same order, so the results
are those of the numpy path (:mod:`._fast`, which plays without numba or with
``backend="numpy"``; both are tested against the general path bit for bit).

Why it is fast:

- **no chunk-wide tables**: a run's utility tables are built in cache when the run starts
  (memory bandwidth, not arithmetic, bounds the numpy path on large batches);
- **lazy sorting**: a strategy only looks at outcomes near the levels it offers and accepts,
  which mostly stay near the top of its ranking. A party's valid outcomes (all, or those at or
  above its nominal reservation value) are first put in about one bucket each by a counting
  sort over [max(min U, r), max U] (the bucket is monotone in the utility, so buckets come
  in order); buckets are sorted (insertion sort) from the top down only as far as the
  queries reach: every outcome left unsorted is worth less than the sorted part's minimum,
  which stays below every level looked up (minus 4e-6, so NegMAS's 1e-6 nearest-outcome rule
  never needs it).
- Ties need the whole ranking (which of equal outcomes comes first is numpy's ``argsort``
  order of the whole table), so a run with two equal utilities in a sorted bucket is left to
  the numpy path (``fail[i] = True``). Equal utilities always share a bucket. With perturbed
  scenarios ties are rare.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

__all__ = ["play_rows", "table_of"]

_EPS = 1e-6  # strategies._INV_EPS
#: margin below a query level that the sorted part must reach (> 2 * _EPS)
_MARGIN = 4e-6
_AGREEMENT, _DEADLINE, _WALK_AWAY = 0, 1, 2


@njit(error_model="numpy")
def _grid(src, src_ok, N, V, w, vt, al, has_al, dst, dst_ok):  # pragma: no cover - compiled
    """Extend the outcome grid by one issue: dst[a * V + j] = src[a] + w * vt[j]."""
    for a in range(N):
        base = src[a]
        for j in range(V):
            t = w * vt[j]
            dst[a * V + j] = base + t
    if has_al:
        for a in range(N):
            b = src_ok[a]
            for j in range(V):
                dst_ok[a * V + j] = b and al[j]


@njit(error_model="numpy")
def table_of(W, VT, AL, cards, pen, p, i, out, ok, tmp, ok_tmp, rational, nom):  # pragma: no cover - compiled
    """Party p's utility table of run i into out (m,), with the operations of
    DomainBatch.utilities (u = 0; u += w_k * v_k issue by issue over the grid, the last issue
    fastest; minus the penalty outside the red lines), one run at a time, in cache.

    Returns (min, max, first argmax, number of valid outcomes, largest invalid utility, its
    first outcome id): valid means u >= nom when ``rational``, else every outcome.
    """
    iw = min(i, W.shape[1] - 1)
    iv = min(i, VT.shape[1] - 1)
    ia = min(i, AL.shape[1] - 1)
    n_i = cards.shape[0]
    has_al = AL.shape[1] > 0
    in_out = n_i % 2 == 0  # start so that the last-but-one issue writes into tmp
    if in_out:
        out[0] = 0.0
        ok[0] = True
    else:
        tmp[0] = 0.0
        ok_tmp[0] = True
    N = 1
    for kk in range(n_i - 1):
        V = cards[kk]
        al = AL[p, ia, kk] if has_al else ok[:0]
        if in_out:
            _grid(out, ok, N, V, W[p, iw, kk], VT[p, iv, kk], al, has_al, tmp, ok_tmp)
        else:
            _grid(tmp, ok_tmp, N, V, W[p, iw, kk], VT[p, iv, kk], al, has_al, out, ok)
        in_out = not in_out
        N *= V
    # the last issue: values, red lines and the statistics in one pass, from tmp into out
    kk = n_i - 1
    V = cards[kk]
    w = W[p, iw, kk]
    vt = VT[p, iv, kk]
    mn_, mx_, b_, c_, im, ii = np.inf, -np.inf, 0, 0, -np.inf, -1
    for a in range(N):
        base = tmp[a]
        ba = ok_tmp[a] if has_al else True
        for j in range(V):
            o = a * V + j
            t = w * vt[j]
            x = base + t
            if has_al and not (ba and AL[p, ia, kk, j]):
                x = x - pen
            out[o] = x
            if x < mn_:
                mn_ = x
            if x > mx_:
                mx_ = x
                b_ = o
            if not rational or x >= nom:
                c_ += 1
            elif x > im:
                im = x
                ii = o
    return mn_, mx_, b_, c_, im, ii


@njit(error_model="numpy")
def _insertion_sort(v, ids, lo, hi):  # pragma: no cover - compiled
    """Sort v[lo..hi] (inclusive) ascending, carrying ids; stable, and cheap on nearly sorted
    input (an element already in place costs one comparison)."""
    for a in range(lo + 1, hi + 1):
        x = v[a]
        if x < v[a - 1]:
            xi = ids[a]
            b = a - 1
            while b >= lo and v[b] > x:
                v[b + 1] = v[b]
                ids[b + 1] = ids[b]
                b -= 1
            v[b + 1] = x
            ids[b + 1] = xi


@njit(error_model="numpy")
def _sort_pairs(v, ids, lo0, hi0):  # pragma: no cover - compiled
    """Sort v[lo0..hi0] ascending carrying ids along (quicksort, median of three, insertion
    sort below 16 elements, explicit stack): for the rare large bucket."""
    stack = np.empty(128, dtype=np.int64)
    stack[0], stack[1] = lo0, hi0
    top = 2
    while top > 0:
        top -= 2
        lo, hi = stack[top], stack[top + 1]
        while hi - lo > 16:
            mid = (lo + hi) >> 1
            if v[mid] < v[lo]:
                v[mid], v[lo] = v[lo], v[mid]
                ids[mid], ids[lo] = ids[lo], ids[mid]
            if v[hi] < v[lo]:
                v[hi], v[lo] = v[lo], v[hi]
                ids[hi], ids[lo] = ids[lo], ids[hi]
            if v[hi] < v[mid]:
                v[hi], v[mid] = v[mid], v[hi]
                ids[hi], ids[mid] = ids[mid], ids[hi]
            pivot = v[mid]
            i, j = lo, hi
            while i <= j:
                while v[i] < pivot:
                    i += 1
                while v[j] > pivot:
                    j -= 1
                if i <= j:
                    v[i], v[j] = v[j], v[i]
                    ids[i], ids[j] = ids[j], ids[i]
                    i += 1
                    j -= 1
            if j - lo < hi - i:  # push the larger part, go on with the smaller (depth <= log2 n)
                stack[top], stack[top + 1] = i, hi
                hi = j
            else:
                stack[top], stack[top + 1] = lo, j
                lo = i
            top += 2
        _insertion_sort(v, ids, lo, hi)


@njit(error_model="numpy")
def _buckets(u, rational, nom, base, scale, B, vals, ids, start, bkt):  # pragma: no cover - compiled
    """Counting sort of the valid outcomes (u >= nom when ``rational``) into buckets 0 .. B
    (:func:`_bucket_of`), ascending; start[q] is where bucket q begins in vals/ids and
    start[B + 1] is the number of valid outcomes."""
    m = u.shape[0]
    for q in range(B + 2):
        start[q] = 0
    for o in range(m):
        x = u[o]
        if rational and not x >= nom:
            bkt[o] = -1
            continue
        q = _bucket_of(x, base, scale, B)
        bkt[o] = q
        start[q + 1] += 1
    for q in range(B + 1):
        start[q + 1] += start[q]
    for o in range(m):  # scatter; start[q] moves to the end of bucket q
        q = bkt[o]
        if q >= 0:
            vals[start[q]] = u[o]
            ids[start[q]] = o
            start[q] += 1
    for q in range(B, 0, -1):  # back to the bucket starts
        start[q] = start[q - 1]
    start[0] = 0


@njit(error_model="numpy")
def _bucket_of(x, base, scale, B):  # pragma: no cover - compiled
    """The bucket of utility x, monotone non-decreasing in x: 0 below ``base`` (utilities no
    query reaches in practice: irrational or outside red lines), else 1 + B (x - base) /
    (max - base), at most B."""
    if not x >= base:
        return 0
    q = 1 + int((x - base) * scale)
    return q if q < B else B


@njit(error_model="numpy")
def _sort_down(p, q, vals, ids, start, sfrom):  # pragma: no cover - compiled
    """Sort buckets q .. sfrom[p] - 1 of party p (the sorted part grows to [start[q], cnt));
    False when they hold a tie. Large buckets by quicksort, then one insertion sort over the
    range: elements only move within their bucket (buckets are in order)."""
    hi_q = sfrom[p]
    if q >= hi_q:
        return True
    v, ix, st = vals[p], ids[p], start[p]
    for b in range(q, hi_q):
        if st[b + 1] - st[b] > 32:
            _sort_pairs(v, ix, st[b], st[b + 1] - 1)
    a0, a1 = st[q], st[hi_q]
    _insertion_sort(v, ix, a0, a1 - 1)
    sfrom[p] = q
    # equal values share a bucket, so no tie straddles the boundary with the sorted part
    for a in range(a0 + 1, a1):
        if v[a] == v[a - 1]:
            return False
    return True


@njit(error_model="numpy")
def _worst(vals, ids, below, cnt, mn, mx, floor, irr_max, irr_id, best):  # pragma: no cover - compiled
    """worst_in_rows for one run: vals[below:cnt] sorted, everything before it < mn - 4e-6."""
    if cnt == 0:
        return best
    lo_i, hi_i = below, cnt  # binary search (left) of mn in the sorted part
    while lo_i < hi_i:
        mid = (lo_i + hi_i) >> 1
        if vals[mid] < mn:
            lo_i = mid + 1
        else:
            hi_i = mid
    i = lo_i if lo_i < cnt - 1 else cnt - 1
    si = vals[i]
    dist = abs(si - mn)
    take = False
    sj = 0.0
    if i - 1 >= below:  # a predecessor before the sorted part is < mn - 4e-6: never taken
        sj = vals[i - 1]
        take = (si >= mn) and (sj >= mn - _EPS) and (sj <= mx + 2 * _EPS) and ((mn - sj) < dist) and (sj >= floor)
    out = ids[i - 1] if take else ids[i]
    bd = (mn - sj) if take else dist
    if (irr_max >= mn - _EPS) and ((mn - irr_max) < bd) and not ((i == 0) and (si < mn)) and (irr_max >= floor):
        out = irr_id
    return out


@njit(error_model="numpy")
def _xnorm(mn0, mx, r, u):  # pragma: no cover - compiled
    mn = r if mn0 < r else mn0
    d = mx - mn
    x = (u - mn) * (1 / d)
    if d < 1e-5:
        x = 1.0
    if mx < r:
        x = 0.0
    return x


@njit(error_model="numpy")
def _concession(p, pc, step, tft, calls, vals, ids, start, sfrom, umin, umax, r, m):  # pragma: no cover
    """NaiveTitForTat._concession for one run (its ranking is all outcomes, cnt = m); NaN when
    sorting the entries it reads met a tie."""
    L = m - 1
    conc = 0.0 if pc < 0 else pc
    kc = calls[p]
    ia, ib = L - 2 * kc, L - 2 * kc - 1
    if 0 < step < tft[p, 1]:
        # the ranking entries at ia and ib must be sorted: sort down to position ib
        lowest = ib if ib >= 0 else (ia if ia >= 0 else m)
        q = sfrom[p]
        while q > 0 and start[p, q] > lowest:
            q -= 1
        if not _sort_down(p, q, vals, ids, start, sfrom):
            return np.nan
        ua = vals[p, ia] if ia >= 0 else r
        ub = vals[p, ib] if ib >= 0 else r
        rng_u = umax[p] - umin[p]
        mc = (ua - ub + 1e-12) / rng_u
        calls[p] = kc + 1
    elif step <= 0:
        mc = 0.0
    else:
        mc = conc + tft[p, 0]
    if np.isfinite(mc) and (mc >= -1e-6) and (mc <= 1.0000001):
        return mc
    return 0.0


# One function of ~160 lines on purpose (a numba kernel, exempt from the 150-line rule): the
# turn loop of one run keeps its per-run tables and sorted buckets in local scratch, and
# moving its stages into helpers would pass that scratch across calls inside the step loop;
# the rules it follows are those of protocols.alternating_offers, where to read them.
@njit(error_model="numpy", nogil=True)
def play_rows(W, VT, AL, cards, pen, R, NOM, kind, eidx, eps, A, tft, ts, walk_away, walk_patience, trace,
              agreement, reason, step_end, n_offers, proposer, ended_by, last_offer, offers,
              fail, i0, i1):  # pragma: no cover - compiled
    """Play runs (rows) i0 .. i1 - 1 of a chunk; outputs are written in place. Runs are
    independent and the GIL is released, so disjoint row ranges can run on threads at once.

    W (P, n or 1, n_issues) weights, VT (P, n or 1, n_issues, max values) value utilities and
    AL (P, n or 1, n_issues, max values) red-line masks (AL.shape[1] == 0: none) of the
    negotiating parties in acting order; cards the values per issue; pen the penalty outside a
    red line. R, NOM (P, n) current and nominal reservation values; kind (P, n): 0
    time-dependent on rational outcomes, 1 time-dependent on all, 2 tit-for-tat; eidx, eps
    (P, n) exponent index (into A (P, E, n_steps), the aspiration per step) and tolerance;
    tft (P, 3) kindness, kindness_start_step, start_calls; ts the normalised time of each
    step. ``fail[i]``: run i met a tie and was not played (left to numpy).
    """
    P = W.shape[0]
    m = 1
    for kk in range(cards.shape[0]):
        m *= cards[kk]
    n_steps = ts.shape[0]
    Ubuf = np.empty((P, m))
    okb = np.empty(m, dtype=np.bool_)
    tmp = np.empty(m)
    ok_tmp = np.empty(m, dtype=np.bool_)
    vals = np.empty((P, m))
    ids = np.empty((P, m), dtype=np.int64)
    start = np.empty((P, m + 2), dtype=np.int64)
    bkt = np.empty(m, dtype=np.int64)
    sfrom = np.zeros(P, dtype=np.int64)
    blow = np.zeros(P)
    bscale = np.zeros(P)
    cnt = np.zeros(P, dtype=np.int64)
    umin = np.zeros(P)
    umax = np.zeros(P)
    best = np.zeros(P, dtype=np.int64)
    irr_max = np.zeros(P)
    irr_id = np.zeros(P, dtype=np.int64)
    calls = np.zeros(P, dtype=np.int64)
    first_u = np.zeros(P)
    first_t = np.zeros(P)
    for i in range(i0, i1):
        for p in range(P):
            u = Ubuf[p]
            rat = kind[p, i] == 0
            nom = NOM[p, i]
            mn_, mx_, b_, B, im, ii = table_of(W, VT, AL, cards, pen, p, i, u, okb, tmp, ok_tmp, rat, nom)
            umin[p], umax[p], best[p], irr_max[p], irr_id[p] = mn_, mx_, b_, im, ii
            # no strategy looks below max(min U, r) (tit-for-tat: up to 1e-7 of the range below
            # min U): buckets of equal width over [that - 1e-5, max U], the rest in bucket 0
            base = min(max(mn_, R[p, i]), mx_) - 1e-5
            sc = B / (mx_ - base)
            if not (sc > 0.0 and sc < np.inf):
                sc = 0.0
            _buckets(u, rat, nom, base, sc, B, vals[p], ids[p], start[p], bkt)
            blow[p] = base
            bscale[p] = sc
            cnt[p] = B
            sfrom[p] = B + 1
            calls[p] = np.int64(tft[p, 2])
            first_u[p] = np.nan
            first_t[p] = np.nan
        bad = False
        cur = -1
        n_acc = 0
        done = False
        for s in range(n_steps):
            if done:
                break
            t_s = ts[s]
            for p in range(P):
                u = Ubuf[p]
                r = R[p, i]
                active = not done
                has = active and cur >= 0
                offer_u = u[cur if cur > 0 else 0]
                walk = False
                if walk_away and s > 0:
                    if t_s >= walk_patience and has and not np.isnan(first_u[p]):
                        fu, ft = first_u[p], first_t[p]
                        slope = (offer_u - fu) / (t_s - ft) if t_s > ft else 0.0
                        expect = offer_u + max(slope, 0.0) * (1.0 - t_s)
                        walk = expect < r and offer_u < r
                # or nothing is worth going on for: the party ends it at its first turn
                walk = walk or (active and umax[p] < r)
                if walk:
                    done = True
                    reason[i] = _WALK_AWAY
                    step_end[i] = s
                    ended_by[i] = p
                    active = False
                    has = False
                if walk_away and has and np.isnan(first_u[p]):
                    first_u[p] = offer_u
                    first_t[p] = t_s
                kd = kind[p, i]
                accept = False
                lo = 0.0
                hi = 0.0
                if kd != 2 and active:  # the time-dependent band (TimeDependent._band)
                    Mx = umax[p]
                    mm = max(umin[p], r)
                    a = A[p, eidx[p, i], s]
                    lo = (Mx - mm) * a + mm
                    hi = (Mx - mm) * 1.0 + mm
                    lo = lo - eps[p, i]
                    hi = hi + eps[p, i]
                    lo = max(mm, min(Mx, lo))
                    hi = max(mm, min(Mx, hi))
                if has:
                    if kd != 2:
                        accept = (offer_u >= lo) and (offer_u <= hi)
                    else:
                        x = _xnorm(umin[p], umax[p], r, offer_u)
                        pc = 1.0 - (x * -1 + 1.0)
                        mc = _concession(p, pc, s, tft, calls, vals, ids, start, sfrom, umin, umax, r, m)
                        if mc != mc:  # NaN: a tie
                            bad = True
                            break
                        accept = (x >= 1.0 - mc) and (offer_u >= r)
                if accept:
                    n_acc += 1
                    if n_acc >= P:
                        done = True
                        agreement[i] = cur
                        reason[i] = _AGREEMENT
                        step_end[i] = s
                if active and not accept:
                    if kd == 2:  # NaiveTitForTat.propose
                        none = cur < 0
                        x = _xnorm(umin[p], umax[p], r, 0.0 if none else offer_u)
                        partner = 1.0 if none else x * -1 + 1.0
                        pc = 1.0 - partner
                        mc = _concession(p, pc, s, tft, calls, vals, ids, start, sfrom, umin, umax, r, m)
                        if mc != mc:
                            bad = True
                            break
                        target = 1.0 - mc
                        s0 = umin[p]
                        d = umax[p] - s0
                        flat = d < _EPS
                        lo = 0.0 if flat else target * d + s0
                        hi = 0.0 if flat else 1.0 * d + s0
                        lo = max(lo, r)
                    # every outcome worth lo - 4e-6 or more must be in the sorted part
                    if cnt[p] > 0 and not _sort_down(p, _bucket_of(lo - _MARGIN, blow[p], bscale[p], cnt[p]), vals,
                                                     ids, start, sfrom):
                        bad = True
                        break
                    cur = _worst(vals[p], ids[p], start[p, sfrom[p]], cnt[p], lo, hi, r, irr_max[p], irr_id[p],
                                 best[p])
                    last_offer[p, i] = cur
                    proposer[i] = p
                    n_acc = 1
                    n_offers[i] += 1
                    if trace:
                        offers[i, s, p] = cur
            if bad:
                break
        if bad:
            fail[i] = True
