"""Compiled summaries of Monte Carlo draws: bucket counts, exact order statistics, and
``np.std``/``np.quantile`` of the kept draws to the last bit (:mod:`.montecarlo`).

numba keys the disk cache on each file; ``detente warmup``'s marker notices an edit.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit

#: values whose buckets one vectorised loop finds before they are counted
_CHUNK = 128

__all__ = ["PW_BLOCK", "order_statistics", "summary_count", "summary_finish", "summary_pass1",
           "summary_pass2", "summary_select"]


@njit(error_model="numpy", nrt=False, inline="always")
def _bucket(v, a0, scale, nb):  # pragma: no cover - compiled
    """The bucket of v in a selection grid of nb buckets from a0 on (scale: buckets per unit);
    never decreasing with v; NaN and values below a0 go to 0, values beyond to nb - 1."""
    f = (v - a0) * scale
    return 0 if not (f > 0.0) else (nb - 1 if f >= nb - 1 else int(f))


@njit(error_model="numpy", nrt=False)
def _count_into(x, a0, scale, counts, bk):  # pragma: no cover - compiled
    """counts[b] += the number of values of x in bucket b of the grid (a0, scale) (NaN in
    bucket 0), len(bk) values at a time (bk: scratch): their buckets in a vectorised loop,
    then the increments."""
    nb = counts.shape[0]
    step = bk.shape[0]
    for c0 in range(0, x.shape[0], step):
        xc = x[c0:c0 + step]
        for i in range(xc.shape[0]):
            bk[i] = _bucket(xc[i], a0, scale, nb)
        for i in range(xc.shape[0]):
            counts[bk[i]] += 1


@njit(error_model="numpy", nogil=True)
def order_statistics(col, ranks, lo, hi, out):  # pragma: no cover - compiled
    """out[j] = the ranks[j]-th smallest finite value of ``col`` (0-based; every rank below the
    number of finite values): the exact values ``np.partition`` would put there.

    Two passes instead of a partition of a copy: count the values per bucket of a 4,096-bucket
    grid over [lo, hi] (values outside land in the edge buckets; the bucket never decreases
    with the value, so ranks follow the buckets), then gather the values of the buckets that
    hold a wanted rank and sort only those.
    """
    nb = 4096
    n = col.shape[0]
    span = hi - lo
    scale = nb / span if span > 0 and math.isfinite(span) else 0.0
    counts = np.zeros(nb, dtype=np.int64)
    for i in range(n):
        x = col[i]
        if math.isfinite(x):
            counts[_bucket(x, lo, scale, nb)] += 1
    start = np.empty(nb + 1, dtype=np.int64)  # number of finite values below each bucket
    start[0] = 0
    for b in range(nb):
        start[b + 1] = start[b] + counts[b]
    nr = ranks.shape[0]
    where = np.empty(nr, dtype=np.int64)
    for j in range(nr):
        b = 0
        while start[b + 1] <= ranks[j]:
            b += 1
        where[j] = b
    # the wanted buckets' values, bucket after bucket
    want = np.zeros(nb, dtype=np.int64)
    for j in range(nr):
        want[where[j]] = 1
    at = np.full(nb, -1, dtype=np.int64)
    total = 0
    for b in range(nb):
        if want[b]:
            at[b] = total
            total += counts[b]
    vals = np.empty(total)
    fill = np.zeros(nb, dtype=np.int64)
    for i in range(n):
        x = col[i]
        if math.isfinite(x):
            b = _bucket(x, lo, scale, nb)
            if want[b]:
                vals[at[b] + fill[b]] = x
                fill[b] += 1
    for b in range(nb):
        if want[b]:
            vals[at[b]:at[b] + counts[b]].sort()
    for j in range(nr):
        b = where[j]
        out[j] = vals[at[b] + ranks[j] - start[b]]


# ------------------------------------------------------------ the summary of the kept draws
# np.std and np.quantile of each issue's kept draws, to the last bit. The finite draws' counts
# per bucket of a grid over the scale (the kernel adds them up as it keeps the draws, or
# :func:`summary_count` counts them) say which buckets hold the wanted order statistics. Pass 1
# then adds the draws as numpy's add.reduce does (pairwise summation: halves split at a
# multiple of 8 down to blocks of at most 128 values, each added in 8 lanes) for the mean, and
# gathers the draws of the wanted buckets; pass 2 adds the squared deviations from the mean the
# same way (np.std's second sum); each wanted bucket's few draws are then sorted. An issue's
# draws split into its two top-level halves (the first split of the pairwise summation), one
# item each, so that two threads share any number of issues evenly.

#: numpy's PW_BLOCKSIZE: its pairwise summation adds blocks of at most 128 values in 8 lanes
PW_BLOCK = 128


@njit(error_model="numpy", nrt=False, inline="always")
def _leaf_sum(xs, n):  # pragma: no cover - compiled
    """numpy's pairwise_sum of xs[:n] for n <= 128 (DOUBLE_pairwise_sum's two base cases)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += xs[i]
        return res
    r0, r1, r2, r3 = xs[0], xs[1], xs[2], xs[3]
    r4, r5, r6, r7 = xs[4], xs[5], xs[6], xs[7]
    end = n - n % 8
    for i in range(8, end, 8):
        r0 += xs[i]
        r1 += xs[i + 1]
        r2 += xs[i + 2]
        r3 += xs[i + 3]
        r4 += xs[i + 4]
        r5 += xs[i + 5]
        r6 += xs[i + 6]
        r7 += xs[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(end, n):
        res += xs[i]
    return res


# (numba cannot load a recursive function from its disk cache, so numpy's recursion is
# unrolled into loops over explicit stacks; a stack of 64 frames covers 2^63 values)

@njit(error_model="numpy")
def _pw_plan(n):  # pragma: no cover - compiled
    """The blocks of numpy's pairwise summation of n values, in order: (first, size) rows.
    (A node of more than 128 values splits into its first n2 = n // 2 - (n // 2) % 8 values
    and the rest, so every block of a sum of over 128 values holds at least 64.)"""
    leaves = np.empty((n // 64 + 2, 2), dtype=np.int64)
    st_lo = np.empty(64, dtype=np.int64)
    st_n = np.empty(64, dtype=np.int64)
    st_lo[0], st_n[0] = 0, n
    sp = 1
    nl = 0
    while sp > 0:
        sp -= 1
        lo, m = st_lo[sp], st_n[sp]
        if m <= PW_BLOCK:
            leaves[nl, 0], leaves[nl, 1] = lo, m
            nl += 1
            continue
        n2 = m // 2
        n2 -= n2 % 8
        st_lo[sp], st_n[sp] = lo + n2, m - n2  # the second half, done after the first
        st_lo[sp + 1], st_n[sp + 1] = lo, n2
        sp += 2
    return leaves[:nl]


@njit(error_model="numpy")
def _pw_combine(n, part):  # pragma: no cover - compiled
    """numpy's pairwise sum of n values from the sums of its blocks (part, in the order of
    :func:`_pw_plan`): the additions of its recursion, first half + second half at each node."""
    st_n = np.empty(64, dtype=np.int64)
    st_stage = np.empty(64, dtype=np.int64)  # 0: first half next, 1: second half next, 2: add
    st_first = np.empty(64)  # the first half's sum
    st_n[0], st_stage[0] = n, 0
    sp = 1
    i = 0
    ret = 0.0  # the sum of the node that finished last
    while sp > 0:
        top = sp - 1
        m = st_n[top]
        if m <= PW_BLOCK:
            ret = part[i]
            i += 1
            sp -= 1
            continue
        n2 = m // 2
        n2 -= n2 % 8
        if st_stage[top] == 0:
            st_stage[top] = 1
            st_n[sp], st_stage[sp] = n2, 0
            sp += 1
        elif st_stage[top] == 1:
            st_first[top] = ret
            st_stage[top] = 2
            st_n[sp], st_stage[sp] = m - n2, 0
            sp += 1
        else:
            ret = st_first[top] + ret
            sp -= 1
    return ret


@njit(error_model="numpy", nogil=True)
def summary_count(x, items, a0, scale, counts, bad):  # pragma: no cover - compiled
    """counts[t] = the values of item t (issue k, first draw, number of draws) per bucket of
    issue k's grid (a0[k], scale[k]; NaN in bucket 0), bad[t] = its non-finite values;
    x: (n_issues, n_draws) C-contiguous."""
    bk = np.empty(_CHUNK, dtype=np.uint64)
    for t in range(items.shape[0]):
        k, first, n = items[t, 0], items[t, 1], items[t, 2]
        xs = x[k][first:first + n]
        counts[t, :] = 0
        _count_into(xs, a0[k], scale[k], counts[t], bk)
        nbad = 0
        for i in range(n):
            nbad += not math.isfinite(xs[i])
        bad[t] = nbad


@njit(error_model="numpy", nogil=True)
def summary_select(counts, ranks, slot, seg):  # pragma: no cover - compiled
    """For one issue with counts (nb,) of its finite values per bucket and the wanted
    ``ranks`` (ascending, each below the number of values): slot[b] = the bucket's place among
    the wanted buckets, or -1; seg[j] = (rank j's wanted bucket, its place in the buckets'
    gathered values (their offset), its number of values, the rank within the bucket).
    Returns the number of wanted buckets."""
    nr = ranks.shape[0]
    below = 0  # values in the buckets before b
    j = 0
    nw = 0
    off = 0
    slot[:] = -1
    for b in range(counts.shape[0]):
        c = counts[b]
        if j < nr and ranks[j] < below + c:
            slot[b] = nw
            while j < nr and ranks[j] < below + c:
                seg[j, 0] = nw
                seg[j, 1] = off
                seg[j, 2] = c
                seg[j, 3] = ranks[j] - below
                j += 1
            nw += 1
            off += c
        below += c
    return nw


@njit(error_model="numpy", nogil=True)
def summary_pass1(x, items, a0, scale, slot, pos, vals, sums):  # pragma: no cover - compiled
    """Pass 1 over the items (issue k, first draw, number of draws): their pairwise sums
    (sums), and their values of issue k's wanted buckets (slot[k][b] >= 0: the bucket's place
    among them) into vals at pos[t] (which moves on)."""
    bidx = np.empty(PW_BLOCK, dtype=np.uint64)
    for t in range(items.shape[0]):
        k, first, n = items[t, 0], items[t, 1], items[t, 2]
        xk = x[k][first:first + n]
        sk, pt = slot[k], pos[t]
        nb = sk.shape[0]
        a, sc = a0[k], scale[k]
        leaves = _pw_plan(n)
        part = np.empty(leaves.shape[0])
        for leaf in range(leaves.shape[0]):
            lo, ln = leaves[leaf, 0], leaves[leaf, 1]
            xs = xk[lo:lo + ln]
            for i in range(ln):
                bidx[i] = _bucket(xs[i], a, sc, nb)
            for i in range(ln):
                j = sk[bidx[i]]
                if j >= 0:
                    vals[pt[j]] = xs[i]
                    pt[j] += 1
            part[leaf] = _leaf_sum(xs, ln)
        sums[t] = _pw_combine(n, part)


@njit(error_model="numpy", nogil=True)
def summary_pass2(x, items, mean, sq):  # pragma: no cover - compiled
    """Pass 2 over the items: their pairwise sums of squared deviations from their issue's
    mean (np.std's: each deviation rounded, then squared)."""
    dev = np.empty(PW_BLOCK)
    for t in range(items.shape[0]):
        k, first, n = items[t, 0], items[t, 1], items[t, 2]
        xk = x[k][first:first + n]
        mk = mean[k]
        leaves = _pw_plan(n)
        part = np.empty(leaves.shape[0])
        for leaf in range(leaves.shape[0]):
            lo, ln = leaves[leaf, 0], leaves[leaf, 1]
            xs = xk[lo:lo + ln]
            for i in range(ln):
                d = xs[i] - mk
                dev[i] = d * d
            part[leaf] = _leaf_sum(dev, ln)
        sq[t] = _pw_combine(n, part)


@njit(error_model="numpy", nogil=True)
def summary_finish(vals, seg, start, pos, out):  # pragma: no cover - compiled
    """out[j] = the value of rank seg[j, 3] in its wanted bucket (see summary_select) after
    pass 1, for one issue whose items i gathered bucket s's values into vals[start[i, s]:
    pos[i, s]]: each wanted bucket's values put together and sorted once."""
    tmp = np.empty(max(seg[-1, 1] + seg[-1, 2], 1))
    last = -1
    for j in range(seg.shape[0]):
        s, off, c = seg[j, 0], seg[j, 1], seg[j, 2]
        if s != last:
            at = off
            for i in range(start.shape[0]):
                for v in range(start[i, s], pos[i, s]):
                    tmp[at] = vals[v]
                    at += 1
            tmp[off:off + c].sort()
            last = s
        out[j] = tmp[off + seg[j, 3]]
