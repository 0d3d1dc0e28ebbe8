"""Compiled kernel of stacked alternating offers on per-run tables (numba; the ``fast`` extra).

One call plays every run of a chunk, run after run, with scalar loops: the rules of
:func:`~.protocols.alternating_offers` and the float64 operations of
:class:`~.strategies.TimeDependent`, :class:`~.strategies.NaiveTitForTat` and
:meth:`~detente.negotiation.batch.DomainBatch.utilities`, in the same order, so the results
are those of the numpy path (:mod:`._fast`, which plays without numba or with
``backend="numpy"``; both are tested against the general path bit for bit).

Why it is fast:

- **no tables**: a run's utility table is never built. Per party and run the kernel takes
  the per-issue terms w_k v_k[j] (a few dozen numbers) and gets the table's exact minimum and
  maximum from them (:func:`_extremes`: rounded sums are monotone in each term, so the
  extremes over a product of value sets are the sums of the per-issue extremes, in order).
  No strategy looks up a level below r, so only outcomes worth min(r, nominal r) - 1e-5 or
  more are ever held. They are reached through their prefixes (:func:`_entries`, a
  depth-first walk over the issues that skips every prefix whose completions all fall
  short): groups (all issues but the last two fixed) wait in the bucket of their bound;
  opening a bucket (:func:`_open`) turns its groups into blocks (all issues but the last
  fixed, waiting in the bucket of their exact maximum) and its blocks into outcomes, each in
  the bucket of its utility. Buckets have equal width over [min(r, nominal r) - 1e-5, max U]
  and are opened from the top down only as far as the party's levels reach (to 4e-6 below
  them, so NegMAS's 1e-6 nearest-outcome rule is covered): strategies mostly stay near the
  top of their rankings, and an outcome never opened is worth less than every level looked
  up. The utility of the offer on the table is summed from its issue values when the offer
  changes (:func:`_utility`). Every number is the float64 sum ``DomainBatch.utilities``
  makes, in the same order.
- **no sorting**: a time-dependent or tit-for-tat proposal needs the smallest outcome worth
  its level or more and the largest below it (:func:`_worst`): the first in the level's
  bucket or the next non-empty one above (a bitmap of non-empty buckets finds it), the second
  in the level's bucket or the one below. A tit-for-tat party reads the top few utilities of
  its ranking (:func:`_top`).
- Ties: which of equal outcomes a strategy offers is numpy's ``argsort`` order of the whole
  table, so a run whose answer rests on two equal utilities is left to the numpy path
  (``fail[i] = True``); so is a run that would need an outcome below the threshold (not
  reached by these strategies). Equal utilities always share a bucket. With perturbed
  scenarios ties are rare. Which runs are left to numpy never changes a number, only who
  computes it.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

__all__ = ["play_rows"]

_EPS = 1e-6  # strategies._INV_EPS
#: margin below a query level that the buckets opened must reach (> 2 * _EPS)
_MARGIN = 4e-6
_AGREEMENT, _DEADLINE, _WALK_AWAY = 0, 1, 2
#: de Bruijn sequence and table: the index of a 64-bit word's lowest set bit in one multiply
_DB_MAGIC = np.uint64(0x03F79D71B4CB0A89)
_DB_INDEX = np.array([0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36, 53, 51, 43, 22, 45,
                      39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11, 46, 26,
                      40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6], dtype=np.int64)


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


@njit(error_model="numpy", inline="always")
def _bucket_of(x, base, scale, B):  # pragma: no cover - compiled
    """The bucket of utility x, monotone non-decreasing in x: 0 below ``base`` (utilities no
    query reaches in practice: irrational or outside red lines), else 1 + B (x - base) /
    (max - base), at most B."""
    if not x >= base:
        return 0
    q = 1 + int((x - base) * scale)
    return q if q < B else B


#: Columns of a party's integer state ``si`` (:func:`_start`, :func:`_open`): the lowest
#: bucket opened, the number of outcomes in the buckets opened, the first argmax and the
#: first largest invalid outcome met, the outcomes held, the number of buckets, the entries
#: (blocks and groups of blocks) made. Its float state ``sf``: the utility of that argmax and
#: of that invalid outcome; the largest allowed, disallowed and overall term of the last issue.
_QS, _NF, _BEST, _IRR, _NL, _B, _NB = 0, 1, 2, 3, 4, 5, 6


@njit(error_model="numpy")
def _entries(t, al, cards, pen, low, amax, aamax, S, F, A, d, bk_a, bk_s, bk_f, bk_d, bk_m, sf):  # pragma: no cover
    """The entries of a party's table worth ``low`` or more, found by a depth-first walk over
    the issues that skips every prefix whose completions all fall short: with three issues or
    more, groups (outcome prefixes of all issues but the last two, bk_d = 1), else blocks
    (prefixes of all but the last issue, bk_d = 0; one block, the empty prefix, for a single
    issue). Their bounds bk_m: a block's is its exact maximum, a group's a bound.

    Each utility is ((0 + t_0) + t_1) + ... (minus the penalty outside a red line), and
    rounded addition and subtraction are non-decreasing in each operand, so a prefix's best
    completion is at most its sum plus the largest allowed term of each issue left (all in
    the red lines), or plus the largest term and minus the penalty (any other), and a block's
    maximum is exactly that. Writes prefix ids, sums, red-line states, kinds and bounds into
    bk_a, bk_s, bk_f, bk_d, bk_m and the last issue's largest allowed, disallowed and overall
    term into sf[2:5]; returns the number of entries."""
    n_i = cards.shape[0]
    last = n_i - 1
    la, ld, lall = -np.inf, -np.inf, -np.inf
    for j in range(cards[last]):
        v = t[last, j]
        lall = max(lall, v)
        if al[last, j]:
            la = max(la, v)
        else:
            ld = max(ld, v)
    sf[2], sf[3], sf[4] = la, ld, lall
    if n_i == 1:  # one block, the empty prefix
        bm = max(0.0 + la, (0.0 + ld) - pen)
        if not bm >= low:
            return 0
        bk_a[0], bk_s[0], bk_f[0], bk_d[0], bk_m[0] = 0, 0.0, True, 0, bm
        return 1
    stop = last - 2 if n_i >= 3 else last - 1  # the depth of the entries made
    nb = 0
    S[0] = 0.0
    F[0] = True
    A[0] = 0
    k = 0
    d[0] = -1
    while k >= 0:
        d[k] += 1
        j = d[k]
        if j >= cards[k]:
            k -= 1
            continue
        s = S[k] + t[k, j]
        f = F[k] and al[k, j]
        a = A[k] * cards[k] + j
        if k == last - 1:
            ub = max(s + la, (s + ld) - pen) if f else (s + lall) - pen
        else:
            ub_all, ub_al = s, s
            for kk in range(k + 1, n_i):
                ub_all = ub_all + amax[kk]
                ub_al = ub_al + aamax[kk]
            ub = max(ub_al, ub_all - pen) if f else ub_all - pen
        if not ub >= low:
            continue
        if k == stop:
            bk_a[nb], bk_s[nb], bk_f[nb], bk_d[nb], bk_m[nb] = a, s, f, 1 if k < last - 1 else 0, ub
            nb += 1
            continue
        S[k + 1] = s
        F[k + 1] = f
        A[k + 1] = a
        k += 1
        d[k] = -1
    return nb


@njit(error_model="numpy")
def _start(t, al, cards, pen, low, umax, amax, aamax, S, F, A, d, bk_a, bk_s, bk_f, bk_d, bk_m, bk_nx, bhd, vhd, nz,
           bmax, si, sf):  # pragma: no cover - compiled
    """Start a party's buckets for one run: its entries worth ``low`` or more
    (:func:`_entries`) in the buckets of their bounds, B = about two buckets per block (at
    most ``bmax``) of equal width over [low, umax], nothing opened. Returns the buckets'
    scale (B / (umax - low))."""
    nb = _entries(t, al, cards, pen, low, amax, aamax, S, F, A, d, bk_a, bk_s, bk_f, bk_d, bk_m, sf)
    n_i = cards.shape[0]
    per = cards[n_i - 2] if n_i >= 3 else 1  # blocks per entry
    B = max(8, min(2 * nb * per, bmax))
    sc = B / (umax - low)
    if not (sc > 0.0 and sc < np.inf):
        sc = 0.0
    for q in range(B + 2):
        bhd[q] = -1
        vhd[q] = -1
    for w in range(nz.shape[0]):  # every word: a bit left by an earlier run must not count
        nz[w] = np.uint64(0)
    for b in range(nb):
        q = _bucket_of(bk_m[b], low, sc, B)
        bk_nx[b] = bhd[q]
        bhd[q] = b
    si[_QS] = B + 1
    si[_NF] = 0
    si[_BEST] = -1
    si[_IRR] = -1
    si[_NL] = 0
    si[_B] = B
    si[_NB] = nb
    sf[0] = -np.inf
    sf[1] = -np.inf
    return sc


@njit(error_model="numpy")
def _open(p, q_need, t, al, cards, pen, rational, nom, low, scale, bhd, bk_a, bk_s, bk_f, bk_d, bk_nx, vhd, lf_v,
          lf_o, lf_nx, nz, si, sf, count):  # pragma: no cover - compiled
    """Open a party's entries down through bucket ``q_need``: then every valid outcome worth
    the bottom of that bucket or more sits in the bucket of its utility.

    Entries wait in the bucket of their bound (bhd, linked by bk_nx). Opening bucket q turns
    its groups into their blocks (each to the bucket of its maximum, q or lower) and sends the
    outcomes of its blocks worth ``low`` or more and valid (u >= ``nom`` when ``rational``)
    to the buckets of their utilities (vhd, linked by lf_nx), q or lower; the outcomes of
    bucket q are then all there (an outcome's bounds are at least its utility), and with
    ``count`` (a tit-for-tat party, which reads its ranking by position) si[p, _NF] counts
    the outcomes of the buckets opened; bit q of nz marks a bucket holding
    outcomes. Along the way the first argmax of all outcomes (sf[p, 0], si[p, _BEST]) and the
    largest invalid utility (sf[p, 1], si[p, _IRR]) are kept over the outcomes met, ties
    going to the lower id. Every array is indexed by party p first.
    """
    last = cards.shape[0] - 1
    V = cards[last]
    B = si[p, _B]
    la, ld, lall = sf[p, 2], sf[p, 3], sf[p, 4]
    while si[p, _QS] > q_need and si[p, _QS] > 1:
        q = si[p, _QS] - 1
        while bhd[p, q] >= 0:
            b = bhd[p, q]
            bhd[p, q] = bk_nx[p, b]
            s0, f0 = bk_s[p, b], bk_f[p, b]
            if bk_d[p, b] == 1:  # a group: its blocks
                a0 = bk_a[p, b] * cards[last - 1]
                for j in range(cards[last - 1]):
                    s = s0 + t[p, last - 1, j]
                    f = f0 and al[p, last - 1, j]
                    bm = max(s + la, (s + ld) - pen) if f else (s + lall) - pen
                    if not bm >= low:
                        continue
                    c = si[p, _NB]
                    si[p, _NB] = c + 1
                    bk_a[p, c], bk_s[p, c], bk_f[p, c], bk_d[p, c] = a0 + j, s, f, 0
                    qq = _bucket_of(bm, low, scale, B)
                    bk_nx[p, c] = bhd[p, qq]
                    bhd[p, qq] = c
                continue
            a0 = bk_a[p, b] * V
            for j in range(V):
                x = s0 + t[p, last, j]
                if not (f0 and al[p, last, j]):
                    x = x - pen
                o = a0 + j
                if x > sf[p, 0] or (x == sf[p, 0] and o < si[p, _BEST]):
                    sf[p, 0] = x
                    si[p, _BEST] = o
                if not x >= low:
                    continue
                if rational and not x >= nom:
                    if x > sf[p, 1] or (x == sf[p, 1] and o < si[p, _IRR]):
                        sf[p, 1] = x
                        si[p, _IRR] = o
                    continue
                e = si[p, _NL]
                si[p, _NL] = e + 1
                lf_v[p, e] = x
                lf_o[p, e] = o
                qq = _bucket_of(x, low, scale, B)
                lf_nx[p, e] = vhd[p, qq]
                vhd[p, qq] = e
                nz[p, qq >> 6] |= np.uint64(1) << np.uint64(qq & 63)
        if count:
            e = vhd[p, q]
            while e >= 0:
                si[p, _NF] += 1
                e = lf_nx[p, e]
        si[p, _QS] = q


@njit(error_model="numpy", inline="always")
def _in_bucket(vhd, lf_v, lf_o, lf_nx, p, q, v, above):  # pragma: no cover - compiled
    """In bucket q: the smallest utility >= v (``above``) or the largest < v, its id, and
    whether another outcome there is worth the same (a tie: which one comes first is numpy's
    argsort order). (nan, -1, False) when there is none."""
    bv, bo, dup = np.nan, -1, False
    e = vhd[p, q]
    while e >= 0:
        x = lf_v[p, e]
        if (x >= v) if above else (x < v):
            if bo < 0 or (x < bv if above else x > bv):
                bv, bo, dup = x, lf_o[p, e], False
            elif x == bv:
                dup = True
        e = lf_nx[p, e]
    return bv, bo, dup


@njit(error_model="numpy", inline="always")
def _next_bucket(nz, p, q, B):  # pragma: no cover - compiled
    """The lowest bucket in q .. B marked non-empty in party p's bitmap nz (uint64 words), -1
    if none."""
    w = q >> 6
    last = B >> 6
    if w > last:
        return -1
    word = nz[p, w] & (~np.uint64(0) << np.uint64(q & 63))
    while word == np.uint64(0):
        w += 1
        if w > last:
            return -1
        word = nz[p, w]
    lowest = word & (~word + np.uint64(1))
    out = (w << 6) + _DB_INDEX[np.int64((lowest * _DB_MAGIC) >> np.uint64(58))]
    return out if out <= B else -1


@njit(error_model="numpy")
def _worst(vhd, lf_v, lf_o, lf_nx, nz, p, B, low, scale, q_open, n_valid, rational, mn, mx, floor, irr_max, irr_id,
           best):  # pragma: no cover - compiled
    """worst_in_rows for one run, with every valid outcome worth mn - 4e-6 or more in the
    buckets opened (down to ``q_open``; nz marks the non-empty ones); ``n_valid`` the number
    of valid outcomes (only whether it is 0 or 1 matters).

    The strategy's "leftmost outcome worth mn or more" of its ascending ranking is the
    smallest outcome worth mn or more (the largest outcome when none is): in mn's bucket or
    the next non-empty one above. Its predecessor, the largest outcome below it, only matters
    within 1e-6 of mn; nothing lies between mn and it, so that is the largest outcome below
    mn, in the buckets down to mn - 1e-6 (opened). Returns the outcome id, or -2 when the
    answer depends on the order of tied utilities or on outcomes not held.
    """
    if n_valid == 0:
        return best
    q0 = _bucket_of(mn, low, scale, B)
    si, so, sdup = np.nan, -1, False
    q = _next_bucket(nz, p, q0, B)
    while q >= 0:
        si, so, sdup = _in_bucket(vhd, lf_v, lf_o, lf_nx, p, q, mn, True)
        if so >= 0:
            break
        q = _next_bucket(nz, p, q + 1, B)
    if so < 0:  # nothing worth mn: the largest outcome, in the highest non-empty bucket
        q = B
        while q >= q_open and so < 0:
            si, so, sdup = _in_bucket(vhd, lf_v, lf_o, lf_nx, p, q, np.inf, False)
            q -= 1
        if so < 0:
            return -2
    sj, jo, jdup = np.nan, -1, False
    if si >= mn:  # (the predecessor is never taken when si < mn)
        q = q0
        q_low = max(_bucket_of(mn - _EPS, low, scale, B), q_open)
        while q >= q_low and jo < 0:
            sj, jo, jdup = _in_bucket(vhd, lf_v, lf_o, lf_nx, p, q, mn, False)
            q -= 1
    dist = abs(si - mn)
    take = False
    if jo >= 0:  # a predecessor not found is < mn - 1e-6: never taken
        take = (si >= mn) and (sj >= mn - _EPS) and (sj <= mx + 2 * _EPS) and ((mn - sj) < dist) and (sj >= floor)
    if (sdup and not take) or (jdup and take):
        return -2
    out = jo if take else so
    bd = (mn - sj) if take else dist
    bottom = False  # the strategy's (i == 0) and (si < mn): a single valid outcome, worth less than mn
    if si < mn:
        if rational:
            return -2  # a time-dependent level never exceeds max U: not reached
        bottom = n_valid == 1
    if (irr_max >= mn - _EPS) and ((mn - irr_max) < bd) and not bottom and (irr_max >= floor):
        out = irr_id
    return out


@njit(error_model="numpy")
def _top(vhd, lf_v, lf_nx, B, q_open, k, out):  # pragma: no cover - compiled
    """The k largest utilities in the buckets opened, descending, into out[:k] (the caller
    opens buckets until they hold k outcomes)."""
    n = 0
    q = B
    while q >= q_open and n < k:
        e = vhd[q]
        c0 = n
        while e >= 0:
            x = lf_v[e]
            a = n  # insertion into out[c0:n] (descending), small
            while a > c0 and out[a - 1] < x:
                out[a] = out[a - 1]
                a -= 1
            out[a] = x
            n += 1
            e = lf_nx[e]
        q -= 1
    return n


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
def _concession(pc, step, tft, ua, ub, umin, umax):  # pragma: no cover - compiled
    """NaiveTitForTat._concession for one run, given its ranking entries ua and ub at
    positions L - 2 calls and L - 2 calls - 1 (read only while 0 < step < kindness_start_step).
    Returns (concession, whether the call counted)."""
    conc = 0.0 if pc < 0 else pc
    counted = False
    if 0 < step < tft[1]:
        rng_u = umax - umin
        mc = (ua - ub + 1e-12) / rng_u
        counted = True
    elif step <= 0:
        mc = 0.0
    else:
        mc = conc + tft[0]
    if np.isfinite(mc) and (mc >= -1e-6) and (mc <= 1.0000001):
        return mc, counted
    return 0.0, counted


@njit(error_model="numpy")
def _terms(W, VT, AL, cards, p, i, t, al):  # pragma: no cover - compiled
    """Party p's per-issue terms of run i, t[k, j] = w_k * v_k[j] (the product DomainBatch.utilities
    adds), and its red-line mask al[k, j] (all True without red lines)."""
    iw = min(i, W.shape[1] - 1)
    iv = min(i, VT.shape[1] - 1)
    ia = min(i, AL.shape[1] - 1)
    has_al = AL.shape[1] > 0
    for k in range(cards.shape[0]):
        w = W[p, iw, k]
        for j in range(cards[k]):
            t[k, j] = w * VT[p, iv, k, j]
            al[k, j] = AL[p, ia, k, j] if has_al else True


@njit(error_model="numpy")
def _extremes(t, al, cards, pen, amin, amax, aamax):  # pragma: no cover - compiled
    """The exact minimum and maximum of the run's utility table without building it.

    Each utility is ((0 + t_0) + t_1) + ... (minus the penalty outside a red line), and
    rounded addition and subtraction are non-decreasing in each operand, so over a product of
    value sets the extremes are those of the per-issue extremes, summed in the same order.
    Feasible outcomes are the product of the allowed values; infeasible ones the union, over
    issues k, of the products with a disallowed value on k. Also fills amin[k], amax[k] and
    aamax[k]: the smallest, the largest and the largest allowed term of issue k."""
    n_i = cards.shape[0]
    fmin, fmax, feasible = 0.0, 0.0, True
    for k in range(n_i):
        a_lo, a_hi, x_lo, x_hi = np.inf, -np.inf, np.inf, -np.inf
        for j in range(cards[k]):
            v = t[k, j]
            x_lo = min(x_lo, v)
            x_hi = max(x_hi, v)
            if al[k, j]:
                a_lo = min(a_lo, v)
                a_hi = max(a_hi, v)
        amin[k] = x_lo
        amax[k] = x_hi
        aamax[k] = a_hi
        if a_lo == np.inf:
            feasible = False
        fmin = fmin + a_lo
        fmax = fmax + a_hi
    umin = fmin if feasible else np.inf
    umax = fmax if feasible else -np.inf
    for k in range(n_i):
        d_lo, d_hi = np.inf, -np.inf
        for j in range(cards[k]):
            if not al[k, j]:
                d_lo = min(d_lo, t[k, j])
                d_hi = max(d_hi, t[k, j])
        if d_lo == np.inf:
            continue
        lo, hi = 0.0, 0.0
        for kk in range(n_i):
            lo = lo + (d_lo if kk == k else amin[kk])
            hi = hi + (d_hi if kk == k else amax[kk])
        umin = min(umin, lo - pen)
        umax = max(umax, hi - pen)
    return umin, umax


@njit(error_model="numpy")
def _utility(t, al, cards, pen, o, dig):  # pragma: no cover - compiled
    """One outcome's utility with the table's operations (its id decoded, the last issue
    fastest)."""
    n_i = cards.shape[0]
    for k in range(n_i - 1, -1, -1):
        dig[k] = o % cards[k]
        o //= cards[k]
    x = 0.0
    f = True
    for k in range(n_i):
        x = x + t[k, dig[k]]
        f = f and al[k, dig[k]]
    if not f:
        x = x - pen
    return x


# One function of ~200 lines on purpose (a numba kernel, exempt from the 150-line rule): the
# turn loop of one run keeps its per-run terms and buckets in local scratch, and
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
    n_i = cards.shape[0]
    m = 1
    vmax = 1
    for kk in range(n_i):
        m *= cards[kk]
        vmax = max(vmax, cards[kk])
    n_blocks = m // cards[n_i - 1]
    n_entries = n_blocks + (n_blocks // cards[n_i - 2] if n_i >= 3 else 0)  # blocks and groups
    n_steps = ts.shape[0]
    bmax = max(16, min(2 * n_blocks, 8192))  # buckets: twice the blocks kept (0-3 outcomes each)
    tt = np.empty((P, n_i, vmax))  # per party: terms w_k v_k[j] and red-line masks of the run
    alb = np.empty((P, n_i, vmax), dtype=np.bool_)
    amin = np.empty(n_i)
    amax = np.empty(n_i)
    aamax = np.empty(n_i)
    S = np.empty(n_i + 1)
    Fp = np.empty(n_i + 1, dtype=np.bool_)
    Ap = np.empty(n_i + 1, dtype=np.int64)
    dg = np.empty(n_i + 1, dtype=np.int64)
    bk_a = np.empty((P, n_entries), dtype=np.int64)
    bk_s = np.empty((P, n_entries))
    bk_f = np.empty((P, n_entries), dtype=np.bool_)
    bk_d = np.empty((P, n_entries), dtype=np.int64)
    bk_m = np.empty(n_entries)
    bk_nx = np.empty((P, n_entries), dtype=np.int64)
    bhd = np.empty((P, bmax + 2), dtype=np.int64)
    vhd = np.empty((P, bmax + 2), dtype=np.int64)
    nz = np.zeros((P, (bmax + 2 + 63) >> 6), dtype=np.uint64)  # non-empty buckets
    lf_v = np.empty((P, m))
    lf_o = np.empty((P, m), dtype=np.int64)
    lf_nx = np.empty((P, m), dtype=np.int64)
    topv = np.empty(m)  # a tit-for-tat's top utilities
    si = np.zeros((P, 7), dtype=np.int64)
    sf = np.zeros((P, 5))
    low = np.zeros(P)
    scale = np.zeros(P)
    cnt = np.zeros(P, dtype=np.int64)
    umin = np.zeros(P)
    umax = np.zeros(P)
    calls = np.zeros(P, dtype=np.int64)
    first_u = np.zeros(P)
    first_t = np.zeros(P)
    seen_id = np.zeros(P, dtype=np.int64)
    seen_u = np.zeros(P)
    for i in range(i0, i1):
        for p in range(P):
            rat = kind[p, i] == 0
            nom = NOM[p, i]
            r = R[p, i]
            t = tt[p]
            al = alb[p]
            _terms(W, VT, AL, cards, p, i, t, al)
            mn_, mx_ = _extremes(t, al, cards, pen, amin, amax, aamax)
            umin[p], umax[p] = mn_, mx_
            # every level a strategy looks up is >= r, so only outcomes worth min(r, nominal r)
            # - 1e-5 or more are ever held (opened lazily, from the top)
            lo_ = (min(r, nom) if rat else r) - 1e-5
            sc = _start(t, al, cards, pen, lo_, mx_, amax, aamax, S, Fp, Ap, dg, bk_a[p], bk_s[p], bk_f[p], bk_d[p],
                        bk_m, bk_nx[p], bhd[p], vhd[p], nz[p], bmax, si[p], sf[p])
            low[p] = lo_
            scale[p] = sc
            cnt[p] = (1 if mx_ >= nom else 0) if rat else m  # valid outcomes: only 0 / 1 / more matters
            calls[p] = np.int64(tft[p, 2])
            first_u[p] = np.nan
            first_t[p] = np.nan
            seen_id[p] = -1
        bad = False
        cur = -1
        n_acc = 0
        done = False
        for s in range(n_steps):
            if done:
                break
            t_s = ts[s]
            for p in range(P):
                r = R[p, i]
                active = not done
                has = active and cur >= 0
                offer_u = 0.0  # read only when there is an offer
                if has:
                    if cur != seen_id[p]:  # the same offer is often on the table step after step
                        seen_u[p] = _utility(tt[p], alb[p], cards, pen, cur, dg)
                        seen_id[p] = cur
                    offer_u = seen_u[p]
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
                for call in range(2):  # tit-for-tat: its respond (0), then its propose (1)
                    if kd != 2 or (call == 0 and not has) or (call == 1 and not (active and not accept)):
                        continue
                    none = cur < 0
                    x = _xnorm(umin[p], umax[p], r, 0.0 if none else offer_u)
                    if call == 0:
                        pc = 1.0 - (x * -1 + 1.0)
                    else:
                        pc = 1.0 - (1.0 if none else x * -1 + 1.0)
                    kc = calls[p]
                    ua, ub = r, r
                    if 0 < s < tft[p, 1]:
                        # ranking entries L - 2 kc and L - 2 kc - 1 are ranks 2 kc and 2 kc + 1
                        need = 2 * kc + 2 if 2 * kc + 1 < m else (2 * kc + 1 if 2 * kc < m else 0)
                        while si[p, _NF] < need and si[p, _QS] > 1:
                            _open(p, si[p, _QS] - 1, tt, alb, cards, pen, False, NOM[p, i], low[p], scale[p],
                                  bhd, bk_a, bk_s, bk_f, bk_d, bk_nx, vhd, lf_v, lf_o, lf_nx, nz, si, sf, True)
                        if si[p, _NF] < need:  # entries below min(r, ...) - 1e-5: left to numpy
                            bad = True
                            break
                        if need > 0:
                            _top(vhd[p], lf_v[p], lf_nx[p], si[p, _B], si[p, _QS], need, topv)
                        if 2 * kc < m:
                            ua = topv[2 * kc]
                        if 2 * kc + 1 < m:
                            ub = topv[2 * kc + 1]
                    mc, counted = _concession(pc, s, tft[p], ua, ub, umin[p], umax[p])
                    if counted:
                        calls[p] = kc + 1
                    if call == 0:
                        accept = (x >= 1.0 - mc) and (offer_u >= r)
                    else:  # NaiveTitForTat.propose: its band
                        target = 1.0 - mc
                        s0 = umin[p]
                        d = umax[p] - s0
                        flat = d < _EPS
                        lo = 0.0 if flat else target * d + s0
                        hi = 0.0 if flat else 1.0 * d + s0
                        lo = max(lo, r)
                if bad:
                    break
                if has and kd != 2:
                    accept = (offer_u >= lo) and (offer_u <= hi)
                if accept:
                    n_acc += 1
                    if n_acc >= P:
                        done = True
                        agreement[i] = cur
                        reason[i] = _AGREEMENT
                        step_end[i] = s
                if active and not accept:
                    # every outcome worth lo - 4e-6 or more must be ranked
                    q = _bucket_of(lo - _MARGIN, low[p], scale[p], si[p, _B])
                    if si[p, _QS] > q and si[p, _QS] > 1:
                        _open(p, q, tt, alb, cards, pen, kd == 0, NOM[p, i], low[p], scale[p], bhd, bk_a,
                              bk_s, bk_f, bk_d, bk_nx, vhd, lf_v, lf_o, lf_nx, nz, si, sf, kd == 2)
                    cur = _worst(vhd, lf_v, lf_o, lf_nx, nz, p, si[p, _B], low[p], scale[p], si[p, _QS], cnt[p],
                                 kd == 0, lo, hi, r, sf[p, 1], si[p, _IRR], si[p, _BEST])
                    if cur == -2:  # a tie decides, or outcomes not held: left to numpy
                        bad = True
                        break
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
