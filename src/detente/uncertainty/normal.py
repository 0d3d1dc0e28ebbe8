"""The inverse of the standard normal CDF, ``ndtri``: one reference, two engines, the same bits.

Monte Carlo turns each uniform ``p`` of a truncated-normal input into ``Phi^-1(p)``. The two
engines that do it, this module's numpy engine (:func:`ndtri`) and the compiled one in
:mod:`detente.uncertainty._kernel` (used by the fused Monte Carlo kernel), must return the same
bits for every ``p``, so that a run's numbers never depend on the engine. Hence our own
function rather than ``scipy.special.ndtri`` (whose compiled code numba cannot inline) and our
own logarithm rather than ``np.log`` (numpy's and the C library's may differ in the last bit):
both engines evaluate the expressions below with the same IEEE operations (``+ - * /`` and
``sqrt``, each correctly rounded) in the same order, and without fused multiply-adds (numba
compiles without ``fastmath``, so LLVM keeps every multiply and add apart).

Method: Wichura's algorithm AS 241, PPND16 (relative error about 1e-16).

* ``q = p - 1/2``. Central region, ``|q| <= 0.425``: ``r = 0.180625 - q^2`` and
  ``Phi^-1(p) = q A(r) / B(r)`` with ``A``, ``B`` of degree 7.
* Tails: ``r = sqrt(-log(min(p, 1 - p)))`` (``p`` itself when ``q < 0``, else ``1 - p``); for
  ``r <= 5``: ``C(r - 1.6) / D(r - 1.6)``, beyond: ``E(r - 5) / F(r - 5)``; negated when ``q < 0``.
* Polynomials by Horner's rule from the highest coefficient; ``p = 0`` gives ``-inf``, ``p = 1``
  ``inf``, ``p`` outside [0, 1] or NaN gives NaN (as ``scipy.special.ndtri``).

The logarithm (only the tails need it): ``x = 2^k m`` with ``m`` in ``[sqrt(2)/2, sqrt(2))`` read
from the exponent and mantissa bits (subnormals scaled by ``2^54`` first), ``f = m - 1``,
``s = f / (2 + f)`` and ``log(m) = 2 atanh(s) = f - f^2/2 + s (f^2/2 + R(s^2))`` with ``R`` the
atanh series ``sum_k 2/(2k+1) s^2k`` to ``s^22`` (``|s| < 0.172``: truncation below 1e-18);
``log(x) = k ln2_hi - ((f^2/2 - (s (f^2/2 + R) + k ln2_lo)) - f)``, ``ln 2`` split so that
``k ln2_hi`` is exact. Within one ulp of the correctly rounded logarithm (Muller, *Elementary
Functions*, 3rd ed., 2016, ch. 11).

The arithmetic of each region is written once, in the plain functions below
(:func:`central`, :func:`intermediate`, :func:`far`, :func:`log_reduced`): the numpy engine
calls them on arrays, the compiled engine compiles the very same functions for scalars. Only
the choice of region is written twice (a mask here, a branch there).

References
----------
Wichura, M. J. (1988). Algorithm AS 241: The percentage points of the normal distribution.
Journal of the Royal Statistical Society C (Applied Statistics) 37(3), 477-484.
doi:10.2307/2347330

Example
-------
>>> round(float(ndtri(np.array([0.975]))[0]), 12)
1.95996398454
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["SPLIT_CENTRAL", "SPLIT_FAR", "central", "far", "intermediate", "log_reduced", "ndtr",
           "ndtri"]

#: |p - 1/2| up to which the central rational function applies
SPLIT_CENTRAL = 0.425
#: r = sqrt(-log(min(p, 1 - p))) up to which the intermediate tail function applies
SPLIT_FAR = 5.0
_CONST1 = 0.180625  # 0.425^2
_CONST2 = 1.6

# Wichura (1988), PPND16: numerators A, C, E and denominators B, D, F (constant term first;
# the denominators' constant term is 1)
_A0, _A1, _A2, _A3 = 3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3, 1.3731693765509461125e+4
_A4, _A5, _A6, _A7 = 4.5921953931549871457e+4, 6.7265770927008700853e+4, 3.3430575583588128105e+4, 2.5090809287301226727e+3
_B1, _B2, _B3, _B4 = 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3, 2.1213794301586595867e+4
_B5, _B6, _B7 = 3.9307895800092710610e+4, 2.8729085735721942674e+4, 5.2264952788528545610e+3
_C0, _C1, _C2, _C3 = 1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0, 3.64784832476320460504e0
_C4, _C5, _C6, _C7 = 1.27045825245236838258e0, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4
_D1, _D2, _D3, _D4 = 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1, 1.48103976427480074590e-1
_D5, _D6, _D7 = 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9
_E0, _E1, _E2, _E3 = 6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0, 2.96560571828504891230e-1
_E4, _E5, _E6, _E7 = 2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7
_F1, _F2, _F3, _F4 = 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2, 7.86869131145613259100e-4
_F5, _F6, _F7 = 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15

# the logarithm: ln 2 = _LN2_HI + _LN2_LO with 32 trailing zero bits in _LN2_HI (k * _LN2_HI is
# exact for |k| < 2^20), and 2/(2k + 1), k = 1..11, for the atanh series
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_L1, _L2, _L3, _L4, _L5, _L6, _L7, _L8, _L9, _L10, _L11 = (2.0 / (2 * k + 1) for k in range(1, 12))
#: log's mantissa range is [sqrt(2)/2, sqrt(2)): above this a mantissa in [1, 2) is halved
SQRT2 = 1.4142135623730951
#: the smallest normal double; smaller positive numbers are scaled by TWO54 before reading bits
TINY = 2.2250738585072014e-308
TWO54 = 18014398509481984.0
MANTISSA = 0x000FFFFFFFFFFFFF
ONE_BITS = 0x3FF0000000000000


def central(q: Any) -> Any:
    """Phi^-1(1/2 + q) for |q| <= 0.425 (scalars or arrays)."""
    r = _CONST1 - q * q
    num = (((((((_A7 * r + _A6) * r + _A5) * r + _A4) * r + _A3) * r + _A2) * r + _A1) * r + _A0)
    den = (((((((_B7 * r + _B6) * r + _B5) * r + _B4) * r + _B3) * r + _B2) * r + _B1) * r + 1.0)
    return q * num / den


def intermediate(r: Any) -> Any:
    """-Phi^-1(p) for r = sqrt(-log p) in (1.6 - 0.4, 5] (the left tail, as a positive number)."""
    t = r - _CONST2
    num = (((((((_C7 * t + _C6) * t + _C5) * t + _C4) * t + _C3) * t + _C2) * t + _C1) * t + _C0)
    den = (((((((_D7 * t + _D6) * t + _D5) * t + _D4) * t + _D3) * t + _D2) * t + _D1) * t + 1.0)
    return num / den


def far(r: Any) -> Any:
    """-Phi^-1(p) for r = sqrt(-log p) > 5 (p below about 1.4e-11)."""
    t = r - SPLIT_FAR
    num = (((((((_E7 * t + _E6) * t + _E5) * t + _E4) * t + _E3) * t + _E2) * t + _E1) * t + _E0)
    den = (((((((_F7 * t + _F6) * t + _F5) * t + _F4) * t + _F3) * t + _F2) * t + _F1) * t + 1.0)
    return num / den


def log_reduced(m: Any, dk: Any) -> Any:
    """log(2^k m) for a mantissa m in [sqrt(2)/2, sqrt(2)) and dk = float(k)."""
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    big_r = (((((((((((_L11 * z + _L10) * z + _L9) * z + _L8) * z + _L7) * z + _L6) * z + _L5) * z
                 + _L4) * z + _L3) * z + _L2) * z + _L1) * z)
    hfsq = 0.5 * f * f
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + big_r) + dk * _LN2_LO)) - f)


def _log(x: np.ndarray) -> np.ndarray:
    """The natural logarithm of positive finite numbers (the numpy engine; see the module)."""
    sub = x < TINY
    xs = np.where(sub, x * TWO54, x)
    bits = xs.view(np.int64)
    k = (bits >> 52) - 1023 - np.where(sub, 54, 0)
    m = ((bits & MANTISSA) | ONE_BITS).view(np.float64)
    big = m > SQRT2
    m = np.where(big, 0.5 * m, m)
    k = np.where(big, k + 1, k)
    return log_reduced(m, k.astype(np.float64))


def ndtri(p: Any) -> np.ndarray:
    """Phi^-1(p), the standard normal quantile, elementwise (the numpy engine).

    Parameters
    ----------
    p : array_like of float
        Probabilities.

    Returns
    -------
    ndarray of float64, the shape of ``p``
        ``-inf`` at 0, ``inf`` at 1, NaN outside [0, 1] and for NaN. Bit for bit the values of
        the compiled engine (``detente.uncertainty._kernel``); within a few ulp of
        ``scipy.special.ndtri``.
    """
    pa = np.asarray(p, dtype=np.float64)
    shape = pa.shape
    pa = pa.reshape(-1)
    if pa.size > _CHUNK:
        # a chunk at a time, so that the temporaries of the expressions stay in cache
        out = np.empty(pa.size)
        for i in range(0, pa.size, _CHUNK):
            out[i:i + _CHUNK] = _ndtri_flat(pa[i:i + _CHUNK])
        return out.reshape(shape)
    return _ndtri_flat(pa).reshape(shape)


#: values per chunk of the numpy engine: its temporaries (128 KB each) stay in L2
_CHUNK = 16384


def _ndtri_flat(pa: np.ndarray) -> np.ndarray:
    """:func:`ndtri` of a 1-d float64 array."""
    q = pa - 0.5
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = central(q)
        tail = np.flatnonzero(np.abs(q) > SPLIT_CENTRAL)
        if tail.size:
            pt, qt = pa[tail], q[tail]
            low = qt < 0.0
            rin = np.where(low, pt, 1.0 - pt)
            ok = rin > 0.0  # the log of 0, a negative number or NaN is settled below
            lg = np.full(rin.shape, np.nan)
            lg[ok] = _log(rin[ok])
            r = np.sqrt(-lg)
            zt = intermediate(r)
            beyond = ~(r <= SPLIT_FAR)  # NaN included: p outside [0, 1], 0 or 1
            if beyond.any():
                zt[beyond] = far(r[beyond])
                pb, rb = pt[beyond], rin[beyond]
                zt[beyond] = np.where(rb == 0.0, np.inf, zt[beyond])
                zt[beyond] = np.where((pb < 0.0) | (pb > 1.0) | np.isnan(pb), np.nan, zt[beyond])
            z[tail] = np.where(low, -zt, zt)
    return z


def ndtr(x: float) -> float:
    """Phi(x), the standard normal CDF of one number: ``erfc(-x / sqrt(2)) / 2``.

    Used for the truncation constants of truncated normals (a few numbers per run, so the C
    library's ``erfc`` through :mod:`math`, not an array function). ``erfc`` of a positive
    argument is accurate in the far left tail, where ``1 + erf`` would cancel; callers mirror
    their bounds to the left tail. ``-inf`` gives 0 and ``inf`` 1 exactly.
    """
    return 0.5 * math.erfc(-x / SQRT2)
