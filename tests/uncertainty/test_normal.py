"""The inverse normal CDF (Wichura's AS 241): accuracy, special values, and the compiled engine
returning the numpy engine's bits.

Accuracy references: ``scipy.special.ndtri`` (Cephes, an independent implementation) and, on a
smaller sample, the exact quantile from ``decimal`` arithmetic (the erf series at 70 digits and
two Newton steps). AS 241 evaluated in double precision is within 4 ulp of the exact value;
scipy's values are within 3 ulp, so the two may differ by up to 7.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from detente.uncertainty.normal import _log, ndtri
from tests.numba_marks import needs_numba

SPECIAL = np.array([0.0, -0.0, 1.0, -1e-300, -0.5, 1.0 + 2**-52, 2.0, np.inf, -np.inf, np.nan,
                    5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-20, 1.4e-11, 1e-11,
                    0.075, 0.925, np.nextafter(0.075, 0), np.nextafter(0.925, 1), 0.5,
                    np.nextafter(0.5, 0), np.nextafter(0.5, 1), 1 - 2**-53, 0.5 - 2**-33])


def _probabilities(n: int, seed: int) -> np.ndarray:
    """Uniforms, the 32-bit grid the Monte Carlo stream uses, and both tails down to 1e-300."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 2**32, n // 4)
    return np.concatenate([
        rng.random(n // 4),
        (k + 0.5) * 2.0**-32,
        10.0 ** -rng.uniform(0, 300, n // 4),
        1.0 - 10.0 ** -rng.uniform(1, 16, n // 4),
        SPECIAL,
    ])


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(
        a[~np.isnan(a)].view(np.int64), b[~np.isnan(b)].view(np.int64))


def test_special_values_follow_scipy():
    z, ref = ndtri(SPECIAL), special.ndtri(SPECIAL)
    assert np.array_equal(np.isnan(z), np.isnan(ref))
    inf = np.isinf(ref)
    np.testing.assert_array_equal(z[inf], ref[inf])
    assert ndtri(0.5).shape == () and float(ndtri(0.5)) == 0.0


def test_matches_scipy_within_a_few_ulp():
    p = _probabilities(400_000, 1)
    z, ref = ndtri(p), special.ndtri(p)
    fin = np.isfinite(ref)
    assert np.array_equal(fin, np.isfinite(z))
    ulp = np.abs(z[fin] - ref[fin]) / np.spacing(np.abs(ref[fin]))
    assert ulp.max() <= 7, p[fin][np.argmax(ulp)]
    big = np.abs(ref[fin]) > 1e-3
    rel = np.abs(z[fin] - ref[fin])[big] / np.abs(ref[fin])[big]
    assert rel.max() < 1.5e-15


def _exact(p: float) -> float:
    """Phi^-1(p) to double precision from 70-digit decimal arithmetic (|Phi^-1(p)| < 5.5),
    in a local decimal context (the global one is the test process's: other code reads it)."""
    with localcontext() as ctx:
        ctx.prec = 70
        return _exact_in_context(p)


def _exact_in_context(p: float) -> float:
    pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640629")
    z = Decimal(float(special.ndtri(p)))
    for _ in range(2):  # Newton from a start good to ~1e-16: ~60 correct digits
        x = z / Decimal(2).sqrt()
        term, s, n = x, x, 0
        while True:
            n += 1
            term = term * (-x * x) / n
            t = term / (2 * n + 1)
            s += t
            if abs(t) < Decimal(10) ** -66:
                break
        cdf = (1 + 2 / pi.sqrt() * s) / 2
        z = z - (cdf - Decimal(p)) / ((-(z * z) / 2).exp() / (2 * pi).sqrt())
    return float(z)


def test_within_four_ulp_of_the_exact_quantile():
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.random(240), rng.uniform(1e-7, 0.075, 60), 1 - rng.uniform(1e-7, 0.075, 60)])
    exact = np.array([_exact(float(v)) for v in p])
    ulp = np.abs(ndtri(p) - exact) / np.spacing(np.abs(exact))
    assert ulp.max() <= 4, (p[np.argmax(ulp)], ulp.max())


def test_own_log_within_one_ulp_of_numpy():
    rng = np.random.default_rng(3)
    x = np.concatenate([10.0 ** -rng.uniform(0, 323, 200_000), rng.uniform(0.5, 2.0, 100_000),
                        [5e-324, 2.2250738585072014e-308, 1.0, np.nextafter(1.0, 0), 0.075]])
    ref = np.log(x)
    ulp = np.abs(_log(x) - ref) / np.spacing(np.abs(np.where(ref == 0, 1.0, ref)))
    assert ulp.max() <= 1
    assert _log(np.array([1.0]))[0] == 0.0


@needs_numba
def test_compiled_engine_gives_the_same_bits():
    from detente.uncertainty._kernel import ndtri as compiled
    from detente.uncertainty._kernel import ndtri1

    p = _probabilities(2_000_000, 2)
    assert _same_bits(compiled(p), ndtri(p))
    few = p[::997]
    assert _same_bits(np.array([ndtri1(v) for v in few]), ndtri(few))


@needs_numba
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(0.0, 1.0), st.floats(0.0, 1e-5), st.floats(0.9999, 1.0),
                          st.floats(allow_nan=True, allow_infinity=True)),
                min_size=1, max_size=64))
def test_compiled_engine_same_bits_property(values):
    from detente.uncertainty._kernel import ndtri as compiled

    p = np.array(values, dtype=np.float64)
    assert _same_bits(compiled(p), ndtri(p))


@pytest.mark.parametrize("shape", [(), (3,), (2, 5)])
def test_keeps_shape(shape):
    p = np.full(shape, 0.3)
    assert ndtri(p).shape == shape
