"""Compiled Monte Carlo kernel for the weighted mean and the weighted median (numba; ``fast``).

One call of :func:`monte_carlo_blocks` runs a task's seed blocks: it makes each block's raw
64-bit words, turns them into the uncertain inputs, runs the model, checks the deal conditions
and adds the block's sums, counts and histogram, SUB draws at a time in small buffers that stay
in cache. The (draws x inputs) design and the batched scenario arrays are never built. The
plan (:class:`detente.uncertainty.fused.FusedPlan`) carries the scenario as flat arrays. The
``summary_*`` functions (:mod:`._summary`) compute the exact quantiles and sd of the kept draws.

Every number is the one of the unfused numpy path (``Perturbation.from_unit``, the model's
``forecast_arrays``, :func:`~detente.uncertainty.deal.deal_flags` and the per-block reductions of
``montecarlo._run_chunk``): the same IEEE operations in the same order, no fused multiply-adds
(no ``fastmath``), and the normal quantile of :mod:`detente.uncertainty.normal` compiled from
the very functions the numpy engine calls. ``tests/uncertainty/test_fused.py`` compares the two
paths bit for bit.

Why it is fast: every stage is a loop over the SUB draws of a sub-block that LLVM vectorises.
The random words come from one generator lane per draw, so each input's values land side by
side (no transposition). The inverse normal CDF, most of the arithmetic, runs the central
rational function on every normal value, then the tails (about 11 % of the values for noise
of a tenth of the scale), found 64 marks at a time as the bits of a word, gathered into a
short list for a second vectorised loop; the rare far tail and the special values (p = 0, 1,
outside [0, 1]) fall back to the scalar :func:`ndtri1`. The model and the deal check run down
one row of SUB values per number of the scenario. Indices that numba cannot prove
non-negative are avoided in the hot loops (views, unsigned indices): numba's wraparound would
turn their loads into gathers. ``nogil`` lets threads run tasks side by side.

The random words are made by :mod:`._pcg` and the exact summary of the kept draws by
:mod:`._summary`; both are compiled into this kernel and re-exported here. numba keys its disk
cache on this file only: after editing :mod:`detente.uncertainty.normal`, :mod:`._pcg` or
:mod:`._summary`, delete this module's ``.nbi``/``.nbc`` files in ``__pycache__`` (``detente
warmup`` then recompiles; its marker already notices the edit).
"""

from __future__ import annotations

import math

import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from .._jit import njit
from . import normal
from ._pcg import (
    _BYTE_BITS,
    _ONE,
    _S56,
    _ZERO,
    SUB,
    _columns_into,
    _fill_gen,
    _lanes_start,
    lane_jumps,
)
from ._summary import (
    PW_BLOCK,
    _count_into,
    order_statistics,
    summary_count,
    summary_finish,
    summary_pass1,
    summary_pass2,
    summary_select,
)

# the random words (:mod:`._pcg`) and the summaries (:mod:`._summary`) are compiled with this
# kernel and reached through this module: the Monte Carlo path loads one module
__all__ = ["PW_BLOCK", "SUB", "lane_jumps", "monte_carlo_blocks", "ndtri", "ndtri1",
           "order_statistics", "summary_count", "summary_finish", "summary_pass1",
           "summary_pass2", "summary_select"]

# inlined into the callers by numba itself, so that the loops calling them are flat and LLVM
# vectorises them
_central = njit(error_model="numpy", nrt=False, inline="always")(normal.central)
_intermediate = njit(error_model="numpy", nrt=False, inline="always")(normal.intermediate)
_far = njit(error_model="numpy", nrt=False)(normal.far)
_log_reduced = njit(error_model="numpy", nrt=False, inline="always")(normal.log_reduced)

_SPLIT_CENTRAL = normal.SPLIT_CENTRAL
_SPLIT_FAR = normal.SPLIT_FAR
_SQRT2 = normal.SQRT2
_TINY = normal.TINY
_TWO54 = normal.TWO54
_MANTISSA = normal.MANTISSA
_ONE_BITS = normal.ONE_BITS
_UNIT_SCALE = 2.0 ** -32

# kinds of input columns (FusedPlan.coli[:, 0])
NORMAL, UNIFORM, TRIANGULAR, DISCRETE = 0, 1, 2, 3
# FusedPlan.lay: offsets of the scenario's arrays in the flat state vector
(L_POS, L_SAL, L_POW, L_RLO, L_RHI, L_WU, L_WP, L_RB, L_VB, L_CRED, L_MODEL, L_KEEP,
 L_ANYPOS) = range(13)
# FusedPlan.sf rows (per issue); S_GRID: the selection grid's scale (fused.grid_scale)
S_MIN, S_MAX, S_WIDTH, S_INV, S_SQ, S_GRID = range(6)
# FusedPlan.actors rows (per actor)
A_PRESENT, A_HASPOS = range(2)


@njit(error_model="numpy", nrt=False, inline="always")
def _log1(x):  # pragma: no cover - compiled
    """log(x) for x > 0: normal._log for one value (the same bits), without branches."""
    sub = x < _TINY
    xs = x * _TWO54 if sub else x
    bits = np.float64(xs).view(np.int64)
    k = (bits >> 52) - 1023 - (54 if sub else 0)
    m = np.int64((bits & _MANTISSA) | _ONE_BITS).view(np.float64)
    big = m > _SQRT2
    m = 0.5 * m if big else m
    k = k + 1 if big else k
    return _log_reduced(m, np.float64(k))


@njit(error_model="numpy", nrt=False)
def ndtri1(p):  # pragma: no cover - compiled
    """Phi^-1(p) for one value: the compiled engine of :func:`detente.uncertainty.normal.ndtri`."""
    q = p - 0.5
    if not (abs(q) > _SPLIT_CENTRAL):
        return _central(q)
    low = q < 0.0
    rin = p if low else 1.0 - p
    if rin > 0.0:
        r = math.sqrt(-_log1(rin))
        zt = _intermediate(r) if r <= _SPLIT_FAR else _far(r)
    elif rin == 0.0:
        zt = np.inf
    else:
        zt = np.nan
    return -zt if low else zt


@njit(error_model="numpy", nrt=False)
def _tails_into(p, z, mk, idx, tp, tz, rbuf, n):  # pragma: no cover - compiled
    """The tails of z[:n] = ndtri(p[:n]), once the central pass has put the central function
    into z and marked the tail values in mk (mk[v] = |p[v] - 1/2| > SPLIT_CENTRAL, 0 or 1;
    n a multiple of 64, or mk zero up to the next one; idx, tp, tz, rbuf: scratch of length
    >= n).

    The tail values are gathered into a short contiguous list, 64 marks at a time as the bits
    of a word (eight marks to a byte by one multiplication each) whose set bits give their
    places; their function runs in one vectorised loop, and the results are put back; the rare
    far tail and special values go to the scalar :func:`ndtri1`.
    """
    m64 = mk.view(np.uint64)
    nt = 0
    for g in range((n + 63) // 64):
        bits = _ZERO
        for i in range(8):  # byte i of the word of 8 marks (each 0 or 1) becomes bit i
            bits |= ((m64[8 * g + i] * _BYTE_BITS) >> _S56) << np.uint64(8 * i)
        while bits != _ZERO:
            v = np.uint64(64 * g + trailing_zeros(bits))
            idx[nt] = v
            tp[nt] = p[v]
            nt += 1
            bits &= bits - _ONE
    for t in range(nt):
        pv = tp[t]
        low = pv - 0.5 < 0.0
        rin = pv if low else 1.0 - pv
        ok = rin > 0.0
        r = math.sqrt(-_log1(rin if ok else 0.5))
        zt = _intermediate(r)
        tz[t] = -zt if low else zt
        rbuf[t] = r if ok else np.inf
    for t in range(nt):
        v = idx[t]
        z[v] = tz[t]
        if not (rbuf[t] <= _SPLIT_FAR):  # rare: the far tail, or p = 0, 1 or outside [0, 1]
            z[v] = ndtri1(tp[t])


@njit(error_model="numpy")
def ndtri(p):  # pragma: no cover - compiled
    """Phi^-1 of a 1-d array, by the passes of the Monte Carlo kernel: the central function
    for every value in one vectorised loop, marking the tail values, then :func:`_tails_into`."""
    n = p.shape[0]
    z = np.empty(n)
    mk = np.zeros(-(-n // 64) * 64, dtype=np.uint8)
    for v in range(n):
        q = p[v] - 0.5
        z[v] = _central(q)
        mk[v] = abs(q) > _SPLIT_CENTRAL
    _tails_into(p, z, mk, np.empty(n, dtype=np.uint64), np.empty(n), np.empty(n), np.empty(n), n)
    return z


@njit(error_model="numpy", nrt=False, inline="always")
def _swap(xa, xb, wa, wb):  # pragma: no cover - compiled
    """A compare-exchange of (position, weight) pairs; equal positions never swap (stable)."""
    sw = xa > xb
    return (xb if sw else xa), (xa if sw else xb), (wb if sw else wa), (wa if sw else wb)


@njit(error_model="numpy", nrt=False, inline="always")
def _median4(x0, w0, x1, w1, x2, w2, x3, w3, A, half):  # pragma: no cover - compiled
    """The weighted median of A <= 4 actors (the pairs beyond A are ignored), with the
    operations of weighted_median: a stable bubble network, cumulative weights in sorted
    order, the first position whose cumulative weight reaches ``half`` times the total.

    The missing actors become positions +inf with weight 0: they sort after every actor, add
    exactly nothing to the cumulative weights, and the total (reached by the last actor)
    always reaches the threshold first, so the result is that of the A actors alone.
    """
    x1 = x1 if A > 1 else np.inf
    w1 = w1 if A > 1 else 0.0
    x2 = x2 if A > 2 else np.inf
    w2 = w2 if A > 2 else 0.0
    x3 = x3 if A > 3 else np.inf
    w3 = w3 if A > 3 else 0.0
    x0, x1, w0, w1 = _swap(x0, x1, w0, w1)
    x1, x2, w1, w2 = _swap(x1, x2, w1, w2)
    x2, x3, w2, w3 = _swap(x2, x3, w2, w3)
    x0, x1, w0, w1 = _swap(x0, x1, w0, w1)
    x1, x2, w1, w2 = _swap(x1, x2, w1, w2)
    x0, x1, w0, w1 = _swap(x0, x1, w0, w1)
    c1 = w0 + w1
    c2 = c1 + w2
    c3 = c2 + w3
    thr = half * c3
    r = x3
    r = x2 if c2 >= thr else r
    r = x1 if c1 >= thr else r
    return x0 if w0 >= thr else r


@njit(error_model="numpy", nrt=False)
def _utilities(V, ps, ss, sf, Y, nd, m, tot, out):  # pragma: no cover - compiled
    """out[d] = U(Y[:, d]) for one actor (position rows ps.., salience rows ss..) and the draws
    d < nd: deal.actor_utilities issue by issue, in the same order (tot: scratch)."""
    inv0 = sf[S_INV, 0]
    for d in range(nd):
        s0 = V[ss, d]
        tot[d] = s0
        out[d] = abs(Y[0, d] - V[ps, d]) * s0 * inv0
    for k in range(1, m):
        inv = sf[S_INV, k]
        for d in range(nd):
            sk = V[ss + k, d]
            tot[d] = tot[d] + sk
            out[d] = out[d] + abs(Y[k, d] - V[ps + k, d]) * sk * inv
    for d in range(nd):
        out[d] = 1.0 - out[d] / tot[d] if tot[d] > 0 else np.nan


@njit(error_model="numpy", nogil=True)
def monte_carlo_blocks(st, sizes, firsts, jumps, coli, colf, dtab, lay, state0, sf, actors, cells,
                       threats, half, out, o_stride, hist, acc, cnt):  # pragma: no cover - compiled
    """Run a task's seed blocks (one call: its buffers set up once); returns the number of
    deals.

    One long function on purpose (over the 150-line rule): numba vectorises a loop over the
    draws of a sub-block only inside one function body, and the rows it streams through must
    stay in L1/L2 between the draw, the model and the deal conditions; a helper per stage would
    be called per draw and break both.

    The draws go through in sub-blocks of :data:`SUB`. Every number of the scenario has a row
    of ``SUB`` values (one per draw of the sub-block): the rows of uncertain numbers are
    rewritten for each sub-block, the others hold the scenario's value. The model and the deal
    conditions then run down these rows, so their loops over draws vectorise.

    Parameters
    ----------
    st : (nb, 4) uint64
        Each block generator's PCG64 state and increment (high and low words each): the kernel
        makes the words ``rng.bit_generator.random_raw`` would give.
    sizes, firsts : (nb,) int64
        Each block's number of draws and the column of its first draw in ``out``.
    jumps : (12,) uint64
        :func:`lane_jumps` of the number of inputs.
    coli : (J, 3) int64
        Per input: kind, row of its number (its offset in the state), number of discrete values.
    colf : (J, 12) float64
        Per input: columns 0-5 a normal's c0, c1, mean, scale, low, high; columns 6-11 a
        uniform's low and span, or a triangular's low, high, width, mode - low, high - mode
        and F(mode).
    dtab : (J, 2, K) float64
        Discrete inputs: cumulative probabilities and values.
    lay : (13,) int64
        Offsets of the arrays in the state, the model (0 mean, 1 median), keep, whether some
        actor has a walk-away position.
    state0 : (S,) float64
        The scenario's numbers (positions filled with the issue midpoint where no stake).
    sf : (6, m) float64
        Per issue: scale min, max, width, 1 / width, status quo, selection grid scale.
    actors : (2, A) int64
        Per actor: present, has a walk-away position.
    cells : (R, 2) int64
        (actor, issue) of the red lines that bind (actors at the table or with a veto).
    threats : (T, 2) float64
        Target actor and cost of each threat.
    half : float
        The weighted median's threshold factor (``weighted_median.THRESHOLD``).
    out, o_stride : 1-d float64, int
        The draws' outcomes, issue by issue (written when keep): issue k of draw g of block b
        goes to ``out[firsts[b] + k * o_stride + g]``. Each issue's draws are contiguous, so the
        summary reads one issue at a time without striding over the others.
    hist : (m, bins) int64
        Added to: when not keep, the histogram counts over each issue's scale; when keep, the
        block's outcomes per bucket of the selection grid (:func:`_bucket`, bins =
        ``fused.SUMMARY_BUCKETS``; NaN in bucket 0), which the exact summary reads (nothing
        counted when (1, 1)).
    acc : (nb, 2, m) float64
        Written: each block's sum and sum of squares of the finite outcomes per issue.
    cnt : (nb, 2 A + m) int64
        Added to: each block's red-line blocks and walk-away blocks per actor, finite outcomes
        per issue.
    """
    J = coli.shape[0]
    m = sf.shape[1]
    A = actors.shape[1]
    R = cells.shape[0]
    T = threats.shape[0]
    S = state0.shape[0]
    model = lay[L_MODEL]
    keep = lay[L_KEEP] != 0
    any_pos = lay[L_ANYPOS] != 0
    bins = hist.shape[1]
    o_pos, o_sal, o_pow = lay[L_POS], lay[L_SAL], lay[L_POW]
    o_rlo, o_rhi, o_wu, o_wp = lay[L_RLO], lay[L_RHI], lay[L_WU], lay[L_WP]
    o_rb, o_vb, o_cred = lay[L_RB], lay[L_VB], lay[L_CRED]

    # the sub-block's values as 32-bit integers, input by input (draw after draw), in rows of
    # tr: the truncated normals' inputs first (rows 0 .. nn - 1, in order), then the others
    # (rows nn .. J - 1), then a row for the halves no input takes (row J). In the last
    # sub-block of a block only the first nd columns are the block's; the rest, other words,
    # give valid probabilities too and are never read.
    nn = 0
    for j in range(J):
        nn += coli[j, 0] == NORMAL
    trow = np.empty(J + 1, dtype=np.int64)  # input j's row
    ncol = np.empty(nn, dtype=np.int64)  # the normal inputs, in order
    a = 0
    for j in range(J):
        if coli[j, 0] == NORMAL:
            ncol[a] = j
            trow[j] = a
            a += 1
        else:
            trow[j] = nn + j - a
    trow[J] = J
    trf = np.zeros((J + 1) * SUB, dtype=np.uint32)
    tr = trf.reshape(J + 1, SUB)
    gen = np.empty(16, dtype=np.uint64)
    sh = np.empty(SUB, dtype=np.uint64)  # the lanes' states (one lane per draw)
    sl = np.empty(SUB, dtype=np.uint64)
    words = np.empty(SUB, dtype=np.uint64)
    prev = np.zeros(SUB, dtype=np.uint32)
    cap = SUB * max(nn, 1)
    c0t = np.empty(cap)  # each normal value's c0 and c1 (its input's)
    c1t = np.empty(cap)
    for a in range(nn):
        for d in range(SUB):
            c0t[a * SUB + d] = colf[ncol[a], 0]
            c1t[a * SUB + d] = colf[ncol[a], 1]
    p = np.empty(cap)
    z = np.empty(cap)
    mk = np.empty(cap, dtype=np.uint8)
    idx = np.empty(cap, dtype=np.uint64)
    tp = np.empty(cap)
    tz = np.empty(cap)
    rbuf = np.empty(cap)
    V = np.empty((S, SUB))  # one row per number of the scenario
    for r in range(S):
        for d in range(SUB):
            V[r, d] = state0[r]
    X = np.empty((m, SUB))  # outcomes
    Y = np.empty((m, SUB))  # walk-away positions of one actor
    xs = np.empty((A, SUB))
    ws = np.empty((A, SUB))
    cum = np.empty((A, SUB))
    num = np.empty(SUB)
    den = np.empty(SUB)
    tmp = np.empty(SUB)
    ua = np.empty(SUB)
    WU = np.empty((A, SUB))
    blocked = np.empty((2 * A, SUB), dtype=np.bool_)  # red-line blocks, walk-away blocks
    fin = np.empty(SUB, dtype=np.bool_)
    kk = np.empty(SUB, dtype=np.int64)
    bk = np.empty(SUB, dtype=np.uint64)
    ub = np.empty(SUB)  # one input's uniforms
    deals = 0
    for blk in range(sizes.shape[0]):
        n = sizes[blk]
        o_first = firsts[blk]
        acb, cnb = acc[blk], cnt[blk]
        _fill_gen(st[blk], jumps, gen)
        _lanes_start(gen, sh, sl)
        for d0 in range(0, n, SUB):
            nd = min(SUB, n - d0)
            # 1. the sub-block's values (value d * J + j of the sub-block: input j of draw d), in
            # their rows; integer k gives the uniform (k + 1/2) 2^-32
            _columns_into(gen, J, sh, sl, trow, tr, words, prev)
            # 2. the normal quantiles of the sub-block's normal values: p = u c1 + c0 and the
            # central function (one vectorised loop), then the tails
            for v in range(nn * SUB):
                pv = ((np.float64(trf[v]) + 0.5) * _UNIT_SCALE) * c1t[v] + c0t[v]
                p[v] = pv
                q = pv - 0.5
                z[v] = _central(q)
                mk[v] = abs(q) > _SPLIT_CENTRAL
            _tails_into(p, z, mk, idx, tp, tz, rbuf, nn * SUB)
            # 3. each input's values into its row (Perturbation.values: np.maximum, then np.minimum).
            # The column's values are read through a view: an index that is the loop's counter
            # is known not to be negative, so numba adds no wraparound and the loads stay plain
            # vector loads (not gathers)
            for j in range(J):
                row = coli[j, 1]
                kind = coli[j, 0]
                if kind == NORMAL:
                    zc = z[trow[j] * SUB:trow[j] * SUB + nd]
                    sc, mu, lo, hi = colf[j, 3], colf[j, 2], colf[j, 4], colf[j, 5]
                    for d in range(nd):
                        v = zc[d] * sc + mu
                        v = lo if v < lo else v
                        V[row, d] = hi if v > hi else v
                    continue
                tc = tr[trow[j]]
                uc = ub[:nd]
                for d in range(nd):
                    uc[d] = (np.float64(tc[d]) + 0.5) * _UNIT_SCALE
                if kind == UNIFORM:
                    low, span = colf[j, 6], colf[j, 7]
                    for d in range(nd):
                        V[row, d] = low + uc[d] * span
                elif kind == TRIANGULAR:
                    for d in range(nd):
                        uu = uc[d]
                        if uu < colf[j, 11]:
                            V[row, d] = colf[j, 6] + math.sqrt(uu * colf[j, 8] * colf[j, 9])
                        else:
                            V[row, d] = colf[j, 7] - math.sqrt((1.0 - uu) * colf[j, 8] * colf[j, 10])
                else:  # discrete: value min(k, nk - 1), k the cumulative probabilities at or below u
                    nk = coli[j, 2]
                    for d in range(nd):
                        kk[d] = 0
                    for t in range(nk):
                        c = dtab[j, 0, t]
                        for d in range(nd):
                            kk[d] += c <= uc[d]
                    v0 = dtab[j, 1, 0]
                    for d in range(nd):
                        V[row, d] = v0
                    for t in range(1, nk):  # value t where min(k, nk - 1) >= t, i.e. k >= t
                        vt = dtab[j, 1, t]
                        for d in range(nd):
                            V[row, d] = vt if kk[d] >= t else V[row, d]
            # 4. the model, issue by issue, down the draws
            for k in range(m):
                if model == 0:  # weighted mean, actor by actor (weighted_mean)
                    for d in range(nd):
                        w = V[o_pow, d] * V[o_sal + k, d]
                        num[d] = w * V[o_pos + k, d]
                        den[d] = w
                    for i in range(1, A):
                        for d in range(nd):
                            w = V[o_pow + i, d] * V[o_sal + i * m + k, d]
                            num[d] = num[d] + w * V[o_pos + i * m + k, d]
                            den[d] = den[d] + w
                    for d in range(nd):
                        X[k, d] = num[d] / den[d]
                elif A <= 4:  # weighted median of up to four actors, in registers (see _median4)
                    r1 = min(1, A - 1)
                    r2 = min(2, A - 1)
                    r3 = min(3, A - 1)
                    for d in range(nd):
                        X[k, d] = _median4(
                            V[o_pos + k, d], V[o_pow, d] * V[o_sal + k, d],
                            V[o_pos + r1 * m + k, d], V[o_pow + r1, d] * V[o_sal + r1 * m + k, d],
                            V[o_pos + r2 * m + k, d], V[o_pow + r2, d] * V[o_sal + r2 * m + k, d],
                            V[o_pos + r3 * m + k, d], V[o_pow + r3, d] * V[o_sal + r3 * m + k, d],
                            A, half)
                else:  # weighted median: a stable sorting network, then the first half-weight
                    for i in range(A):
                        for d in range(nd):
                            xs[i, d] = V[o_pos + i * m + k, d]
                            ws[i, d] = V[o_pow + i, d] * V[o_sal + i * m + k, d]
                    for top in range(A - 1, 0, -1):
                        for i in range(top):
                            for d in range(nd):
                                xa = xs[i, d]
                                xb = xs[i + 1, d]
                                wa = ws[i, d]
                                wb = ws[i + 1, d]
                                sw = xa > xb  # equal positions never swap: the order stays stable
                                xs[i, d] = xb if sw else xa
                                xs[i + 1, d] = xa if sw else xb
                                ws[i, d] = wb if sw else wa
                                ws[i + 1, d] = wa if sw else wb
                    for d in range(nd):
                        cum[0, d] = ws[0, d]
                    for i in range(1, A):
                        for d in range(nd):
                            cum[i, d] = cum[i - 1, d] + ws[i, d]
                    for d in range(nd):
                        tmp[d] = half * cum[A - 1, d]
                        X[k, d] = xs[A - 1, d]
                    for i in range(A - 2, -1, -1):  # from the top: the first crossing is written last
                        for d in range(nd):
                            if cum[i, d] >= tmp[d]:
                                X[k, d] = xs[i, d]
            for d in range(nd):
                fin[d] = True
            for k in range(m):
                for d in range(nd):
                    fin[d] = fin[d] & math.isfinite(X[k, d])
            # 5. the deal conditions (deal.deal_flags), down the draws
            for r in range(2 * A):
                for d in range(nd):
                    blocked[r, d] = False
            for r in range(R):
                i = cells[r, 0]
                k = cells[r, 1]
                smin, smax, width = sf[S_MIN, k], sf[S_MAX, k], sf[S_WIDTH, k]
                for d in range(nd):
                    rl = V[o_rlo + i * m + k, d]
                    rh = V[o_rhi + i * m + k, d]
                    # a soft red line that does not bind opens to the whole scale (perturb._soften)
                    on = (V[o_rb + i * m + k, d] > 0.5) & (V[o_vb + i, d] > 0.5)
                    rl = rl if on else smin
                    rh = rh if on else smax
                    s1 = X[k, d] - rl
                    s2 = rh - X[k, d]
                    slack = (s1 if ((s1 <= s2) | (s1 != s1)) else s2) / width
                    shut = not ((rl <= smin) & (rh >= smax))
                    blocked[i, d] = blocked[i, d] | (shut & (slack < 0))
            for i in range(A):
                for d in range(nd):
                    WU[i, d] = V[o_wu + i, d]
            if any_pos:
                for i in range(A):
                    if actors[A_HASPOS, i] == 0:
                        continue
                    for k in range(m):
                        sq = sf[S_SQ, k]
                        for d in range(nd):
                            yk = V[o_wp + i * m + k, d]
                            yk = sq if np.isnan(yk) else yk
                            Y[k, d] = X[k, d] if np.isnan(yk) else yk
                    _utilities(V, o_pos + i * m, o_sal + i * m, sf, Y, nd, m, tmp, ua)
                    for d in range(nd):
                        WU[i, d] = ua[d] if np.isnan(WU[i, d]) else WU[i, d]
            for t in range(T):
                tgt = int(threats[t, 0])
                cost = threats[t, 1]
                for d in range(nd):
                    WU[tgt, d] = WU[tgt, d] - V[o_cred + t, d] * cost
            for i in range(A):
                if actors[A_PRESENT, i] == 0:
                    continue
                _utilities(V, o_pos + i * m, o_sal + i * m, sf, X, nd, m, tmp, ua)
                for d in range(nd):
                    blocked[A + i, d] = ua[d] - WU[i, d] < 0  # NaN (no walk-away value): False
            # 6. counts, then the block's reductions (montecarlo._run_chunk): each issue's sums add
            # draw after draw (as its cumulative sum), four issues at a time (eight register chains)
            for d in range(nd):
                ua[d] = 0.0  # 1 where something blocks the draw
            for r in range(2 * A):
                c = 0
                for d in range(nd):
                    b = fin[d] & blocked[r, d]
                    c += b
                    ua[d] = 1.0 if b else ua[d]
                cnb[r] += c
            for d in range(nd):
                deals += fin[d] & (ua[d] == 0.0)
            for k in range(0, m, 4):  # issues k .. k + 3 (the last one repeated past m - 1)
                k2, k3, k4 = min(k + 1, m - 1), min(k + 2, m - 1), min(k + 3, m - 1)
                first = 0
                if d0 == 0:  # the block's first draw starts the sums (a copy, not 0 + x)
                    x0 = X[k, 0]
                    z0 = x0 if math.isfinite(x0) else 0.0
                    s1, s2 = z0, z0 * z0
                    x0 = X[k2, 0]
                    z0 = x0 if math.isfinite(x0) else 0.0
                    t1, t2 = z0, z0 * z0
                    x0 = X[k3, 0]
                    z0 = x0 if math.isfinite(x0) else 0.0
                    u1, u2 = z0, z0 * z0
                    x0 = X[k4, 0]
                    z0 = x0 if math.isfinite(x0) else 0.0
                    w1, w2 = z0, z0 * z0
                    first = 1
                else:
                    s1, s2, t1, t2 = acb[0, k], acb[1, k], acb[0, k2], acb[1, k2]
                    u1, u2, w1, w2 = acb[0, k3], acb[1, k3], acb[0, k4], acb[1, k4]
                for d in range(first, nd):
                    xk = X[k, d]
                    zk = xk if math.isfinite(xk) else 0.0
                    s1 = s1 + zk
                    s2 = s2 + zk * zk
                    xk = X[k2, d]
                    zk = xk if math.isfinite(xk) else 0.0
                    t1 = t1 + zk
                    t2 = t2 + zk * zk
                    xk = X[k3, d]
                    zk = xk if math.isfinite(xk) else 0.0
                    u1 = u1 + zk
                    u2 = u2 + zk * zk
                    xk = X[k4, d]
                    zk = xk if math.isfinite(xk) else 0.0
                    w1 = w1 + zk
                    w2 = w2 + zk * zk
                acb[0, k], acb[1, k], acb[0, k2], acb[1, k2] = s1, s2, t1, t2
                acb[0, k3], acb[1, k3], acb[0, k4], acb[1, k4] = u1, u2, w1, w2
            for k in range(m):
                nfin = 0
                for d in range(nd):
                    nfin += math.isfinite(X[k, d])
                cnb[2 * A + k] += nfin
                if keep:
                    at = o_first + k * o_stride + d0
                    oc = out[at:at + nd]
                    for d in range(nd):
                        oc[d] = X[k, d]
                else:
                    lo, width = sf[S_MIN, k], sf[S_WIDTH, k]
                    for d in range(nd):
                        xk = X[k, d]
                        if math.isfinite(xk):
                            f = math.floor((xk - lo) / width * bins)
                            f = 0.0 if f < 0.0 else f
                            f = bins - 1.0 if f > bins - 1.0 else f
                            hist[k, int(f)] += 1
        if keep and bins > 1:  # the block's outcomes per bucket of the selection grid
            for k in range(m):
                at = o_first + k * o_stride
                _count_into(out[at:at + n], sf[S_MIN, k], sf[S_GRID, k], hist[k], bk)
    return deals
