"""Compiled Monte Carlo kernel for the weighted mean and the weighted median (numba; ``fast``).

One call of :func:`monte_carlo_block` runs one seed block: it turns the block's raw 64-bit
words into the uncertain inputs, runs the model, checks the deal conditions and adds the
block's sums, counts and histogram, a few dozen draws at a time in small buffers that stay in
cache. The (draws x inputs) design and the batched scenario arrays are never built. The plan
(:class:`detente.uncertainty.fused.FusedPlan`) carries the scenario as flat arrays.

Every number is the one of the unfused numpy path (``Perturbation.from_unit``, the model's
``forecast_arrays``, :func:`~detente.uncertainty.deal.deal_flags` and the per-block reductions of
``montecarlo._run_chunk``): the same IEEE operations in the same order, no fused multiply-adds
(no ``fastmath``), and the normal quantile of :mod:`detente.uncertainty.normal` compiled from
the very functions the numpy engine calls. ``tests/uncertainty/test_fused.py`` compares the two
paths bit for bit.

Why it is fast: the inverse normal CDF, nine tenths of the arithmetic, runs in loops that
LLVM vectorises: the central rational function for every value of a sub-block, then the tails
(about 15 % of the values for noise of a tenth of the scale) gathered into a short list and
done in a second vectorised loop; the rare far tail and the special values (p = 0, 1, outside
[0, 1]) fall back to the scalar :func:`ndtri1`. The model and the deal check are short scalar
loops over actors and issues per draw; ``nogil`` lets threads run blocks side by side.

numba keys its disk cache on this file only: after editing :mod:`detente.uncertainty.normal`,
delete this module's ``.nbi``/``.nbc`` files in ``__pycache__`` (``detente warmup`` then
recompiles; its marker already notices the edit).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._jit import njit
from . import normal

__all__ = ["monte_carlo_block", "ndtri", "ndtri1"]

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

#: draws per sub-block: 64 draws x 40 inputs keep the value buffers (about 100 KB) in L2
SUB = 64

# ---------------------------------------------------------------- the block's random words
# numpy's PCG64 (O'Neill's PCG XSL RR 128/64): state <- state * MULT + inc (mod 2^128), then
# word = rotr64(high ^ low, high >> 58) of the new state; ``Generator.bit_generator.random_raw``
# gives these words one after another. Stepping is a chain (each state needs the previous
# one), so LANES interleaved lanes run side by side: lane k makes words k, k + LANES, ..., each
# lane jumping LANES steps at a time (state <- state * MULT^LANES + inc * G, G = sum of
# MULT^i for i < LANES), and a vector instruction steps all lanes at once. The words are those
# of random_raw in the same order (tested).
LANES = 8
_MASK128 = (1 << 128) - 1
_MULT = (2549297995355413924 << 64) + 4865540595714422341
_JUMP_A, _JUMP_G = 1, 0
for _ in range(LANES):
    _JUMP_A, _JUMP_G = (_JUMP_A * _MULT) & _MASK128, (_JUMP_G * _MULT + 1) & _MASK128
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S58 = np.uint64(58)
_S63 = np.uint64(63)
_S64 = np.uint64(64)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_MULT_HI, _MULT_LO = np.uint64(_MULT >> 64), np.uint64(_MULT & 0xFFFFFFFFFFFFFFFF)
_JA_HI, _JA_LO = np.uint64(_JUMP_A >> 64), np.uint64(_JUMP_A & 0xFFFFFFFFFFFFFFFF)


def jump_increment(inc: int) -> tuple[int, int]:
    """inc * G mod 2^128 (the additive part of a LANES-step jump) as (high, low) words."""
    c = (inc * _JUMP_G) & _MASK128
    return c >> 64, c & 0xFFFFFFFFFFFFFFFF


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
def _lanes_start(gen, sh, sl):  # pragma: no cover - compiled
    """Lane k's state: the generator's state after k + 1 steps (gen: state high, low, inc high,
    low, jump increment high, low)."""
    hi, lo = gen[0], gen[1]
    for k in range(LANES):
        nlo = lo * _MULT_LO
        nhi = _mulhi(lo, _MULT_LO) + lo * _MULT_HI + hi * _MULT_LO
        lo = nlo + gen[3]
        hi = nhi + gen[2] + (_ONE if lo < nlo else _ZERO)
        sh[k] = hi
        sl[k] = lo


@njit(error_model="numpy", nrt=False)
def _words_into(gen, sh, sl, halves, n_words):  # pragma: no cover - compiled
    """The lanes' next n_words words (a multiple of LANES) as 32-bit halves, low half first."""
    ckh, ckl = gen[4], gen[5]
    for t in range(n_words // LANES):
        for k in range(LANES):
            hi = sh[k]
            lo = sl[k]
            x = hi ^ lo
            r = hi >> _S58
            w = (x >> r) | (x << ((_S64 - r) & _S63))
            at = 2 * (t * LANES + k)
            halves[at] = np.uint32(w & _M32)
            halves[at + 1] = np.uint32(w >> _S32)
            nlo = lo * _JA_LO
            nhi = _mulhi(lo, _JA_LO) + lo * _JA_HI + hi * _JA_LO
            lo2 = nlo + ckl
            sl[k] = lo2
            sh[k] = nhi + ckh + (_ONE if lo2 < nlo else _ZERO)


@njit(error_model="numpy")
def pcg64_halves(gen, n_words):  # pragma: no cover - compiled
    """The generator's next n_words raw words as 2 n_words 32-bit halves (tests, warmup)."""
    sh = np.empty(LANES, dtype=np.uint64)
    sl = np.empty(LANES, dtype=np.uint64)
    _lanes_start(gen, sh, sl)
    m = -(-n_words // LANES) * LANES
    halves = np.empty(2 * m, dtype=np.uint32)
    _words_into(gen, sh, sl, halves, m)
    return halves[:2 * n_words]

# kinds of input columns (FusedPlan.coli[:, 0])
NORMAL, UNIFORM, TRIANGULAR, DISCRETE = 0, 1, 2, 3
# FusedPlan.lay: offsets of the scenario's arrays in the flat state vector
(L_POS, L_SAL, L_POW, L_RLO, L_RHI, L_WU, L_WP, L_RB, L_VB, L_CRED, L_MODEL, L_KEEP, L_ALLNORMAL,
 L_ANYPOS) = range(14)
# FusedPlan.sf rows (per issue)
S_MIN, S_MAX, S_WIDTH, S_INV, S_SQ = range(5)
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
def _ndtri_into(p, z, idx, tp, tz, rbuf, n):  # pragma: no cover - compiled
    """z[:n] = ndtri(p[:n]) (idx, tp, tz, rbuf: scratch of length >= n).

    The central function for every value (a vectorised loop), then the tail values gathered
    into a short contiguous list, their function in a second vectorised loop, and the results
    put back; the rare far tail and special values go to the scalar :func:`ndtri1`.
    """
    for v in range(n):
        z[v] = _central(p[v] - 0.5)
    nt = 0
    for v in range(n):
        idx[nt] = v
        nt += abs(p[v] - 0.5) > _SPLIT_CENTRAL
    for t in range(nt):
        tp[t] = p[idx[t]]
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
    """Phi^-1 of a 1-d array, by the block passes of the Monte Carlo kernel."""
    n = p.shape[0]
    z = np.empty(n)
    idx = np.empty(n, dtype=np.int64)
    _ndtri_into(p, z, idx, np.empty(n), np.empty(n), np.empty(n), n)
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
def monte_carlo_block(gen, n, coli, colf, dtab, lay, state0, sf, actors, cells, threats, half,
                      out, o_first, o_stride, hist, acc, cnt):  # pragma: no cover - compiled
    """Run ``n`` draws of one seed block; returns the number of deals.

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
    gen : (6,) uint64
        The block generator's PCG64 state and increment (high, low words each) and
        :func:`jump_increment` of the increment: the kernel makes the words
        ``rng.bit_generator.random_raw`` would give (see LANES).
    coli : (J, 3) int64
        Per input: kind, row of its number (its offset in the state), number of discrete values.
    colf : (J, 12) float64
        Per input: columns 0-5 the normal's c0, c1, mean, scale, low, high (c0 = 1/2, c1 = 0
        for other kinds); columns 6-11 a uniform's low and span, or a triangular's low, high,
        width, mode - low, high - mode and F(mode).
    dtab : (J, 2, K) float64
        Discrete inputs: cumulative probabilities and values.
    lay : (14,) int64
        Offsets of the arrays in the state, the model (0 mean, 1 median), keep, whether every
        input is normal, whether some actor has a walk-away position.
    state0 : (S,) float64
        The scenario's numbers (positions filled with the issue midpoint where no stake).
    sf : (5, m) float64
        Per issue: scale min, max, width, 1 / width, status quo.
    actors : (2, A) int64
        Per actor: present, has a walk-away position.
    cells : (R, 2) int64
        (actor, issue) of the red lines that bind (actors at the table or with a veto).
    threats : (T, 2) float64
        Target actor and cost of each threat.
    half : float
        The weighted median's threshold factor (``weighted_median.THRESHOLD``).
    out, o_first, o_stride : 1-d float64, int, int
        The draws' outcomes, issue by issue (written when keep): issue k of draw g goes to
        ``out[o_first + k * o_stride + g]``. Each issue's draws are contiguous, so the summary
        reads one issue at a time without striding over the others.
    hist : (m, bins) int64
        Histogram counts over each issue's scale, added to when not keep.
    acc : (2, m) float64
        Written: the block's sum and sum of squares of the finite outcomes per issue.
    cnt : (2 A + m,) int64
        Added to: red-line blocks and walk-away blocks per actor, finite outcomes per issue.
    """
    J = coli.shape[0]
    m = sf.shape[1]
    A = actors.shape[1]
    R = cells.shape[0]
    T = threats.shape[0]
    S = state0.shape[0]
    model = lay[L_MODEL]
    keep = lay[L_KEEP] != 0
    all_normal = lay[L_ALLNORMAL] != 0
    any_pos = lay[L_ANYPOS] != 0
    bins = hist.shape[1]
    o_pos, o_sal, o_pow = lay[L_POS], lay[L_SAL], lay[L_POW]
    o_rlo, o_rhi, o_wu, o_wp = lay[L_RLO], lay[L_RHI], lay[L_WU], lay[L_WP]
    o_rb, o_vb, o_cred = lay[L_RB], lay[L_VB], lay[L_CRED]

    cap = SUB * J
    u = np.empty(cap + 2)
    p = np.empty(cap + 2)
    z = np.empty(cap + 2)
    idx = np.empty(cap + 2, dtype=np.int64)
    tp = np.empty(cap + 2)
    tz = np.empty(cap + 2)
    rbuf = np.empty(cap + 2)
    sh = np.empty(LANES, dtype=np.uint64)
    sl = np.empty(LANES, dtype=np.uint64)
    _lanes_start(gen, sh, sl)
    hv = np.empty(cap + 2 * LANES, dtype=np.uint32)
    c0t = np.empty(cap)  # the columns' c0 and c1, repeated for each draw of a sub-block
    c1t = np.empty(cap)
    for d in range(SUB):
        for j in range(J):
            c0t[d * J + j] = colf[j, 0]
            c1t[d * J + j] = colf[j, 1]
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
    deals = 0
    for d0 in range(0, n, SUB):
        nd = min(SUB, n - d0)
        nv = nd * J
        # 1. uniforms (k + 1/2) 2^-32 of the block's 32-bit halves, and for the normal inputs
        # p = u c1 + c0 (other kinds have c1 = 0, c0 = 1/2: harmless)
        nw = -(-((nv + 1) >> 1) // LANES) * LANES  # SUB * J / 2 words but in the last sub-block
        _words_into(gen, sh, sl, hv, nw)
        if all_normal:
            for v in range(nv):
                p[v] = ((np.float64(hv[v]) + 0.5) * _UNIT_SCALE) * c1t[v] + c0t[v]
        else:
            for v in range(nv):
                uu = (np.float64(hv[v]) + 0.5) * _UNIT_SCALE
                u[v] = uu
                p[v] = uu * c1t[v] + c0t[v]
        _ndtri_into(p, z, idx, tp, tz, rbuf, nv)
        # 3. each input's values into its row (Perturbation.values: np.maximum, then np.minimum)
        for j in range(J):
            row = coli[j, 1]
            kind = coli[j, 0]
            if all_normal or kind == NORMAL:
                sc, mu, lo, hi = colf[j, 3], colf[j, 2], colf[j, 4], colf[j, 5]
                for d in range(nd):
                    v = z[d * J + j] * sc + mu
                    v = lo if v < lo else v
                    V[row, d] = hi if v > hi else v
            elif kind == UNIFORM:
                low, span = colf[j, 6], colf[j, 7]
                for d in range(nd):
                    V[row, d] = low + u[d * J + j] * span
            elif kind == TRIANGULAR:
                for d in range(nd):
                    uu = u[d * J + j]
                    if uu < colf[j, 11]:
                        V[row, d] = colf[j, 6] + math.sqrt(uu * colf[j, 8] * colf[j, 9])
                    else:
                        V[row, d] = colf[j, 7] - math.sqrt((1.0 - uu) * colf[j, 8] * colf[j, 10])
            else:
                nk = coli[j, 2]
                for d in range(nd):
                    uu = u[d * J + j]
                    k = 0
                    for t in range(nk):
                        k += dtab[j, 0, t] <= uu
                    V[row, d] = dtab[j, 1, min(k, nk - 1)]
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
                fin[d] = fin[d] and math.isfinite(X[k, d])
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
                on = V[o_rb + i * m + k, d] > 0.5 and V[o_vb + i, d] > 0.5
                rl = rl if on else smin
                rh = rh if on else smax
                s1 = X[k, d] - rl
                s2 = rh - X[k, d]
                slack = (s1 if (s1 <= s2 or s1 != s1) else s2) / width
                shut = not (rl <= smin and rh >= smax)
                blocked[i, d] = blocked[i, d] or (shut and slack < 0)
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
        # draw after draw (as its cumulative sum), in two register chains per issue
        for d in range(nd):
            if fin[d]:
                deal = True
                for r in range(2 * A):
                    if blocked[r, d]:
                        cnt[r] += 1
                        deal = False
                deals += deal
        for k in range(m):
            first = 0
            if d0 == 0:  # the block's first draw starts the sums (a copy, not 0 + x)
                x0 = X[k, 0]
                z0 = x0 if math.isfinite(x0) else 0.0
                s1 = z0
                s2 = z0 * z0
                first = 1
            else:
                s1 = acc[0, k]
                s2 = acc[1, k]
            for d in range(first, nd):
                xk = X[k, d]
                zk = xk if math.isfinite(xk) else 0.0
                s1 = s1 + zk
                s2 = s2 + zk * zk
            acc[0, k] = s1
            acc[1, k] = s2
            nfin = 0
            for d in range(nd):
                nfin += math.isfinite(X[k, d])
            cnt[2 * A + k] += nfin
            if keep:
                at = o_first + k * o_stride + d0
                for d in range(nd):
                    out[at + d] = X[k, d]
            else:
                for d in range(nd):
                    xk = X[k, d]
                    if math.isfinite(xk):
                        f = math.floor((xk - sf[S_MIN, k]) / sf[S_WIDTH, k] * bins)
                        f = 0.0 if f < 0.0 else f
                        f = bins - 1.0 if f > bins - 1.0 else f
                        hist[k, int(f)] += 1
    return deals


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
