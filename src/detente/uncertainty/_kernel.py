"""Compiled Monte Carlo kernel for the weighted mean and the weighted median (numba; ``fast``).

One call of :func:`monte_carlo_blocks` runs a task's seed blocks: it makes each block's raw
64-bit words, turns them into the uncertain inputs, runs the model, checks the deal conditions
and adds the block's sums, counts and histogram, SUB draws at a time in small buffers that stay
in cache. The (draws x inputs) design and the batched scenario arrays are never built. The
plan (:class:`detente.uncertainty.fused.FusedPlan`) carries the scenario as flat arrays. The
``summary_*`` functions at the end compute the exact quantiles and sd of the kept draws.

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

numba keys its disk cache on this file only: after editing :mod:`detente.uncertainty.normal`,
delete this module's ``.nbi``/``.nbc`` files in ``__pycache__`` (``detente warmup`` then
recompiles; its marker already notices the edit).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from .._jit import njit
from . import normal

__all__ = ["monte_carlo_blocks", "ndtri", "ndtri1"]

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

#: draws per sub-block (and random-number lanes): 128 draws x 40 inputs keep the value buffers
#: (about 250 KB) in L2; a divisor of the seed block (4,096) and even
SUB = 128

# ---------------------------------------------------------------- the block's random words
# numpy's PCG64 (O'Neill's PCG XSL RR 128/64): state <- state * MULT + inc (mod 2^128), then
# word = rotr64(high ^ low, high >> 58) of the new state; ``Generator.bit_generator.random_raw``
# gives these words one after another, and word i carries values 2i (its low 32 bits) and
# 2i + 1 (its high 32 bits); value d * J + j of a block is input j of draw d.
#
# Stepping is a chain (each state needs the previous one), so the kernel runs one lane per
# draw of a sub-block (SUB lanes side by side, in vector instructions): lane d starts at the
# word that holds value d * J + j for j = 0 (word floor(d J / 2); with J odd, every other
# lane starts in the high half of its first word) and steps through the ceil(J / 2) words of
# its draw, then jumps to the same draw of the next sub-block (SUB J / 2 words on). At each
# step every lane holds the same input's value, so the values land column by column (input
# by input, draw after draw) as the rest of the kernel reads them: no transposition. A jump of
# k steps is state <- state * MULT^k + inc * G_k (G_k = sum of MULT^i for i < k); its
# constants come from :func:`lane_jumps` and :func:`_fill_gen`. The steps are written in 64-bit integer
# arithmetic only (the high word of a 128-bit product from four 32 x 32-bit products), which
# LLVM turns into vector instructions over the lanes. The words are those of random_raw
# (tested).
_MASK64 = 0xFFFFFFFFFFFFFFFF
_MASK128 = (1 << 128) - 1
_MULT = (2549297995355413924 << 64) + 4865540595714422341
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S56 = np.uint64(56)
_S58 = np.uint64(58)
#: times a word of eight bytes that are 0 or 1: byte i lands on bit 56 + i
_BYTE_BITS = np.uint64(0x0102040810204080)
_S63 = np.uint64(63)
_S64 = np.uint64(64)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_MULT_HI, _MULT_LO = np.uint64(_MULT >> 64), np.uint64(_MULT & _MASK64)
_MULT_LO1, _MULT_LO0 = _MULT_LO >> _S32, _MULT_LO & _M32
# gen (uint64, 16): state, increment, then (multiplier, additive part) of the jumps of a = J // 2
# and b = (J + 1) // 2 words (from lane to lane) and of SUB J / 2 - b words (to the next
# sub-block), each as (high, low) words (:func:`_fill_gen`)
G_STATE, G_INC, G_A, G_B, G_NEXT = 0, 2, 4, 8, 12


@functools.lru_cache(maxsize=64)
def _advance(k: int) -> tuple[int, int]:
    """(MULT^k, G_k) mod 2^128: k steps take a state s to MULT^k s + G_k inc."""
    acc_a, acc_g = 1, 0
    cur_a, cur_g = _MULT, 1
    while k:
        if k & 1:
            acc_a, acc_g = (acc_a * cur_a) & _MASK128, (acc_g * cur_a + cur_g) & _MASK128
        cur_a, cur_g = (cur_a * cur_a) & _MASK128, (cur_g * cur_a + cur_g) & _MASK128
        k >>= 1
    return acc_a, acc_g


@functools.lru_cache(maxsize=64)
def lane_jumps(n_inputs: int) -> np.ndarray:
    """The lanes' three jumps for draws of ``n_inputs`` values (a = J // 2 and b = (J + 1) // 2
    words, lane to lane, and SUB J / 2 - b words, to the next sub-block): each jump's
    multiplier and G (high, low words each); the kernel multiplies G by a block's increment
    (:func:`_fill_gen`)."""
    half = n_inputs // 2
    out = []
    for k in (half, n_inputs - half, SUB * n_inputs // 2 - (n_inputs - half)):
        for w in _advance(k):
            out += [w >> 64, w & _MASK64]
    jumps = np.array(out, dtype=np.uint64)
    jumps.setflags(write=False)
    return jumps


def _mulhi_intrinsic() -> Any:
    """``mulhi(a, b)``: the high 64 bits of the 128-bit product of two uint64, as one LLVM
    128-bit multiply (one ``mul``/``mulx`` instruction on x86-64; numba has no 128-bit type)."""
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def mulhi(typingctx, a, b):  # pragma: no cover - compiled
        sig = types.uint64(types.uint64, types.uint64)

        def codegen(context, builder, signature, args):
            wide = ir.IntType(128)
            prod = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
            return builder.trunc(builder.lshr(prod, ir.Constant(wide, 64)), ir.IntType(64))

        return sig, codegen

    return mulhi


_mulhi = _mulhi_intrinsic()


@njit(error_model="numpy", nrt=False)
def _fill_gen(st, jumps, gen):  # pragma: no cover - compiled
    """gen (16,): a block's state and increment (st: their high and low words) and its lanes'
    jumps: the multipliers of ``jumps`` and the additive parts G inc mod 2^128."""
    for i in range(4):
        gen[i] = st[i]
    ih, il = st[2], st[3]
    for t in range(3):
        gen[4 + 4 * t] = jumps[4 * t]
        gen[5 + 4 * t] = jumps[4 * t + 1]
        gh, gl = jumps[4 * t + 2], jumps[4 * t + 3]
        gen[6 + 4 * t] = _mulhi(gl, il) + gl * ih + gh * il
        gen[7 + 4 * t] = gl * il


@njit(error_model="numpy", nrt=False, inline="always")
def _mulhi32(a, b1, b0):  # pragma: no cover - compiled
    """The high 64 bits of a * b, b = b1 2^32 + b0, from 32 x 32-bit products (vectorises,
    unlike a 128-bit multiply): the middle sum carries at most 2 bits into the high word."""
    a0 = a & _M32
    a1 = a >> _S32
    p00 = a0 * b0
    p01 = a0 * b1
    p10 = a1 * b0
    mid = (p00 >> _S32) + (p01 & _M32) + (p10 & _M32)
    return a1 * b1 + (p01 >> _S32) + (p10 >> _S32) + (mid >> _S32)


@njit(error_model="numpy", nrt=False)
def _lanes_start(gen, sh, sl):  # pragma: no cover - compiled
    """Lane d's state: the one that makes word floor(d J / 2) (d J / 2 words after the first,
    lane to lane a = J // 2 or b = (J + 1) // 2 words on: a after an even lane, b after an odd
    one)."""
    hi, lo = gen[G_STATE], gen[G_STATE + 1]
    ch, cl = gen[G_INC], gen[G_INC + 1]
    nlo = lo * _MULT_LO  # one step: the state of word 0
    nhi = _mulhi(lo, _MULT_LO) + lo * _MULT_HI + hi * _MULT_LO
    lo = nlo + cl
    hi = nhi + ch + (_ONE if lo < nlo else _ZERO)
    for d in range(sh.shape[0]):
        sh[d] = hi
        sl[d] = lo
        g = G_A if d % 2 == 0 else G_B
        mh, ml, ch, cl = gen[g], gen[g + 1], gen[g + 2], gen[g + 3]
        nlo = lo * ml
        nhi = _mulhi(lo, ml) + lo * mh + hi * ml
        lo = nlo + cl
        hi = nhi + ch + (_ONE if lo < nlo else _ZERO)


@njit(error_model="numpy", nrt=False, inline="always")
def _step_words(sh, sl, words, ih, il):  # pragma: no cover - compiled
    """Each lane's next word into ``words``, and its state one step on."""
    for d in range(SUB):
        hi = sh[d]
        lo = sl[d]
        x = hi ^ lo
        r = hi >> _S58
        words[d] = (x >> r) | (x << ((_S64 - r) & _S63))
        nlo = lo * _MULT_LO
        nhi = _mulhi32(lo, _MULT_LO1, _MULT_LO0) + lo * _MULT_HI + hi * _MULT_LO
        lo2 = nlo + il
        sl[d] = lo2
        sh[d] = nhi + ih + (_ONE if lo2 < nlo else _ZERO)


@njit(error_model="numpy", nrt=False, inline="always")
def _step_halves(sh, sl, t0, t1, ih, il):  # pragma: no cover - compiled
    """Each lane's next word, its low half into t0 and its high half into t1, and its state
    one step on."""
    for d in range(SUB):
        hi = sh[d]
        lo = sl[d]
        x = hi ^ lo
        r = hi >> _S58
        w = (x >> r) | (x << ((_S64 - r) & _S63))
        t0[d] = np.uint32(w & _M32)
        t1[d] = np.uint32(w >> _S32)
        nlo = lo * _MULT_LO
        nhi = _mulhi32(lo, _MULT_LO1, _MULT_LO0) + lo * _MULT_HI + hi * _MULT_LO
        lo2 = nlo + il
        sl[d] = lo2
        sh[d] = nhi + ih + (_ONE if lo2 < nlo else _ZERO)


@njit(error_model="numpy", nrt=False)
def _columns_into(gen, n_inputs, sh, sl, trow, tr, words, prev):  # pragma: no cover - compiled
    """The sub-block's values as 32-bit integers, input j's (draw after draw) in row trow[j]
    of ``tr`` (SUB columns; a row for the values no input takes: trow[n_inputs]); the lanes
    then jump to the next sub-block. words (uint64), prev (uint32): scratch of SUB."""
    ih, il = gen[G_INC], gen[G_INC + 1]
    if n_inputs % 2 == 0:  # every lane starts on a word: word c is inputs 2c and 2c + 1
        for c in range(n_inputs // 2):
            _step_halves(sh, sl, tr[trow[2 * c]], tr[trow[2 * c + 1]], ih, il)
        _jump(gen, sh, sl)
        return
    # an odd number of inputs: lane d starts on a word when d is even, in the middle of one
    # when d is odd. Word c of an even lane is inputs 2c and 2c + 1, of an odd lane inputs
    # 2c - 1 and 2c: step c completes inputs 2c and 2c - 1 (with the even lanes' previous
    # high halves, in prev)
    for c in range((n_inputs + 1) // 2):
        _step_words(sh, sl, words, ih, il)
        t0 = tr[trow[2 * c]]
        t1 = tr[trow[2 * c - 1 if c > 0 else n_inputs]]
        for e in range(SUB // 2):
            we = words[2 * e]
            wo = words[2 * e + 1]
            t0[2 * e] = np.uint32(we & _M32)
            t0[2 * e + 1] = np.uint32(wo >> _S32)
            t1[2 * e] = prev[e]
            t1[2 * e + 1] = np.uint32(wo & _M32)
            prev[e] = np.uint32(we >> _S32)
    _jump(gen, sh, sl)


@njit(error_model="numpy", nrt=False, inline="always")
def _jump(gen, sh, sl):  # pragma: no cover - compiled
    """Each lane on to the same draw of the next sub-block."""
    mh, ml, ch, cl = gen[G_NEXT], gen[G_NEXT + 1], gen[G_NEXT + 2], gen[G_NEXT + 3]
    ml1, ml0 = ml >> _S32, ml & _M32
    for d in range(SUB):  # on to the next sub-block
        hi = sh[d]
        lo = sl[d]
        nlo = lo * ml
        nhi = _mulhi32(lo, ml1, ml0) + lo * mh + hi * ml
        lo2 = nlo + cl
        sl[d] = lo2
        sh[d] = nhi + ch + (_ONE if lo2 < nlo else _ZERO)


@njit(error_model="numpy")
def pcg64_columns(st, jumps, n_inputs, n):  # pragma: no cover - compiled
    """The first n draws' values (n, n_inputs) as 32-bit integers, as the kernel makes them
    for a block with generator st (state, increment) (tests: they are the halves of
    random_raw's words, in order)."""
    gen = np.empty(16, dtype=np.uint64)
    _fill_gen(st, jumps, gen)
    sh = np.empty(SUB, dtype=np.uint64)
    sl = np.empty(SUB, dtype=np.uint64)
    _lanes_start(gen, sh, sl)
    trow = np.arange(n_inputs + 1)
    tr = np.zeros((n_inputs + 1, SUB), dtype=np.uint32)
    words = np.empty(SUB, dtype=np.uint64)
    prev = np.zeros(SUB, dtype=np.uint32)
    out = np.empty((n, n_inputs), dtype=np.uint32)
    for d0 in range(0, n, SUB):
        _columns_into(gen, n_inputs, sh, sl, trow, tr, words, prev)
        for d in range(min(SUB, n - d0)):
            for j in range(n_inputs):
                out[d0 + d, j] = tr[j, d]
    return out

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
def _bucket(v, a0, scale, nb):  # pragma: no cover - compiled
    """The bucket of v in a selection grid of nb buckets from a0 on (scale: buckets per unit);
    never decreasing with v; NaN and values below a0 go to 0, values beyond to nb - 1."""
    f = (v - a0) * scale
    return 0 if not (f > 0.0) else (nb - 1 if f >= nb - 1 else int(f))


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


@njit(error_model="numpy", nrt=False)
def _count_into(x, a0, scale, counts, bk):  # pragma: no cover - compiled
    """counts[b] += the number of values of x in bucket b of the grid (a0, scale) (NaN in
    bucket 0), SUB values at a time (bk: scratch of SUB): their buckets in a vectorised loop,
    then the increments."""
    nb = counts.shape[0]
    for c0 in range(0, x.shape[0], SUB):
        xc = x[c0:c0 + SUB]
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
            f = (x - lo) * scale
            b = 0 if not (f > 0.0) else (nb - 1 if f >= nb - 1 else int(f))
            counts[b] += 1
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
            f = (x - lo) * scale
            b = 0 if not (f > 0.0) else (nb - 1 if f >= nb - 1 else int(f))
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
    bk = np.empty(SUB, dtype=np.uint64)
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
