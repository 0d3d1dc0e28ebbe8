"""``exp`` and ``log`` for compiled kernels, written so that LLVM can vectorise the loops that
call them (the ``fast`` extra).

numba compiles ``np.exp`` and ``np.log`` to calls into the C library, one value per call, so a
loop that uses them runs one lane at a time. The vectorised versions would come from Intel's
SVML, which pip's llvmlite does not ship. These two functions are plain arithmetic and bit
operations (no calls, no tables, no branches), so a loop over independent values, such as the
expected-utility kernel's loop over draws (:mod:`detente.models.expected_utility._lanes`),
runs 4 or 8 values per instruction.

Accuracy: within 1 ulp of numpy's ``exp``/``log`` for every finite double (tested on millions of
values in ``tests/test_vecmath.py``), exact at the special values (``exp``: -inf -> 0, inf -> inf,
NaN -> NaN, underflow to subnormals and 0; ``log``: 0 -> -inf, x < 0 -> NaN, inf -> inf, NaN ->
NaN, subnormal arguments).

Compiled with ``fastmath={"contract"}`` and nothing else: LLVM may fuse a multiply and an add
into one fused multiply-add (one rounding instead of two, 18 % faster in the lockstep kernel),
nothing more (no reassociation, NaN and inf semantics kept). The flag sits on these functions'
own instructions, so it stays with them when LLVM inlines them into a caller and never leaks
into the caller's arithmetic. On a CPU without FMA instructions (x86-64 before Haswell) the
multiplies and adds stay separate: those results are within 1 ulp of numpy's too (measured
before the flag was set) but may differ from the fused ones in the last bit. numba's disk cache keys a compiled
function on its own source file only: after editing this module, delete the ``.nbi``/``.nbc``
files of its callers in ``__pycache__``.

Methods (the classical ones, e.g. Muller, *Elementary Functions*, 3rd ed., 2016, ch. 11):
``exp(x) = 2^k exp(r)`` with ``k = round(x / ln 2)``, ``r = x - k ln 2`` (ln 2 split in two so
``k ln2_hi`` is exact), ``|r| <= ln(2)/2`` and ``exp(r)`` by its Taylor series to degree 13
(truncation error < 1e-17 relative); ``2^k`` is assembled from exponent bits in two factors so
results down to the smallest subnormal come out right. ``log(x) = k ln 2 + log(m)`` with
``m`` in ``[sqrt(2)/2, sqrt(2))``, ``log(m) = 2 atanh(s)``, ``s = (m - 1)/(m + 1)``, summed as
``f - f^2/2 + s (f^2/2 + R(s^2))`` with ``f = m - 1`` and the atanh series ``R`` to ``s^22``
(``|s| < 0.172``: truncation error < 1e-18).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import njit

__all__ = ["exp", "log"]

_LOG2E = 1.4426950408889634
# ln 2 = _LN2_HI + _LN2_LO; _LN2_HI has 32 trailing zero bits, so k * _LN2_HI is exact for |k| < 2^20
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1/k! for the Taylor series of exp
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = (
    1.0 / math.factorial(k) for k in range(2, 14)
)
# 2/(2k + 1) for the series of 2 atanh(s) = 2s + s (sum_k 2/(2k+1) s^2k)
_L1, _L2, _L3, _L4, _L5, _L6, _L7, _L8, _L9, _L10, _L11 = (2.0 / (2 * k + 1) for k in range(1, 12))
_SQRT2 = 1.4142135623730951
_TINY = 2.2250738585072014e-308  # smallest normal double
_TWO54 = 18014398509481984.0
_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000


@njit(error_model="numpy", nrt=False, fastmath={"contract"})
def exp(x):
    """e**x for one float64, vectorisable (see the module docstring)."""
    # beyond +-1400 the result is inf or 0 whatever the value; NaN passes the clamps
    v = x if not (x < -1400.0) else -1400.0
    v = v if not (v > 1400.0) else 1400.0
    kf = np.floor(v * _LOG2E + 0.5)
    r = (v - kf * _LN2_HI) - kf * _LN2_LO
    p = _E13
    p = p * r + _E12
    p = p * r + _E11
    p = p * r + _E10
    p = p * r + _E9
    p = p * r + _E8
    p = p * r + _E7
    p = p * r + _E6
    p = p * r + _E5
    p = p * r + _E4
    p = p * r + _E3
    p = p * r + _E2
    p = p * r + 1.0
    p = p * r + 1.0
    ki = np.int64(kf) if kf == kf else np.int64(0)
    # 2^k as two factors: each stays a normal double for k down to -2 * 1022 and up to 2 * 1023
    k1 = ki >> 1
    f1 = np.int64((k1 + 1023) << 52).view(np.float64)
    f2 = np.int64((ki - k1 + 1023) << 52).view(np.float64)
    return p * f1 * f2


@njit(error_model="numpy", nrt=False, fastmath={"contract"})
def log(x):
    """Natural log of one float64, vectorisable (see the module docstring)."""
    sub = x < _TINY
    xs = x * _TWO54 if sub else x  # subnormals: scale into the normal range first
    bits = np.float64(xs).view(np.int64)
    k = (bits >> 52) - 1023 - (54 if sub else 0)
    m = np.int64((bits & _MANTISSA) | _ONE_BITS).view(np.float64)
    big = m > _SQRT2
    m = 0.5 * m if big else m
    k = k + 1 if big else k
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    R = _L11
    R = R * z + _L10
    R = R * z + _L9
    R = R * z + _L8
    R = R * z + _L7
    R = R * z + _L6
    R = R * z + _L5
    R = R * z + _L4
    R = R * z + _L3
    R = R * z + _L2
    R = R * z + _L1
    R = R * z
    hfsq = 0.5 * f * f
    dk = np.float64(k)
    res = dk * _LN2_HI - ((hfsq - (s * (hfsq + R) + dk * _LN2_LO)) - f)
    special = not ((x > 0.0) & (x < np.inf))
    sv = -np.inf if x == 0.0 else (np.nan if x < 0.0 else x)  # 0, negative, inf or NaN
    return sv if special else res
