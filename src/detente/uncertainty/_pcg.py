"""numpy's PCG64 stream, made inside the compiled Monte Carlo kernel: one generator lane per
draw, so that each input's values land side by side (:mod:`._kernel`).

Compiled with the kernel (numba keys the kernel's disk cache on ``_kernel.py`` only: after
editing this file delete ``_kernel``'s ``.nbi``/``.nbc`` files in ``__pycache__``; ``detente
warmup``'s marker notices the edit).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._jit import njit

__all__ = ["SUB", "lane_jumps", "pcg64_columns"]

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
