"""detente._vecmath: exp and log within 1 ulp of numpy's everywhere, exact at the special
values, and free of C-library calls so loops over them vectorise."""

from __future__ import annotations

import numpy as np
import pytest

import detente._vecmath as vm
from detente._jit import njit
from tests.numba_marks import needs_numba


@njit(error_model="numpy")
def _apply_exp(x, out):
    for k in range(x.shape[0]):
        out[k] = vm.exp(x[k])


@njit(error_model="numpy")
def _apply_log(x, out):
    for k in range(x.shape[0]):
        out[k] = vm.log(x[k])


def _ulps(got, ref):
    """|got - ref| in units of the last place of ref (the subnormal spacing below 2^-1022)."""
    with np.errstate(all="ignore"):
        return np.abs(got - ref) / np.spacing(np.abs(ref))


def _run(fn, x):
    out = np.empty_like(x)
    fn(x, out)
    return out


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20251115)


def test_exp_within_one_ulp(rng):
    x = np.concatenate([
        -rng.random(1_000_000) * 3.0,  # the kernel's range: r log b with b in (0, 1]
        rng.uniform(-745.2, 709.78, 500_000),  # everything with a finite result
        rng.uniform(-1e-8, 1e-8, 10_000),
        rng.uniform(-745.2, -708.3, 50_000),  # subnormal results
    ])
    got, ref = _run(_apply_exp, x), np.exp(x)
    assert np.all(np.isfinite(got))
    assert _ulps(got, ref).max() <= 1.0


def test_log_within_one_ulp(rng):
    x = np.concatenate([
        rng.random(1_000_000),  # the kernel's range: d and 1/2 -+ d/2 in [0, 1]
        10.0 ** rng.uniform(-307, 308, 500_000),
        1.0 + rng.uniform(-1e-6, 1e-6, 10_000),  # log near 1, where cancellation bites
        rng.uniform(5e-324, 2.2e-308, 50_000),  # subnormal arguments
    ])
    x = x[x > 0]
    got, ref = _run(_apply_log, x), np.log(x)
    assert _ulps(got, ref).max() <= 1.0


def test_exact_at_special_values():
    e = np.array([0.0, -0.0, -np.inf, np.inf, np.nan, -746.0, -1e300, 710.0, 1e300])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(_run(_apply_exp, e), np.exp(e))
    lg = np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 1.0, 2.0, 0.5, 5e-324])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(_run(_apply_log, lg), np.log(lg))


@needs_numba
def test_lockstep_kernel_calls_no_c_library_math():
    """A call to the C library's exp or log inside a loop over lanes stops LLVM from
    vectorising that loop; the lockstep kernel's round must have none, and vector code."""
    import numba

    from detente.models.expected_utility import _lanes as lanes

    # a fresh, uncached compilation: machine code loaded from numba's cache carries no IR
    rnd = numba.njit(error_model="numpy", cache=False)(lanes._round.py_func)
    n, nl = 4, 16
    rng = np.random.default_rng(0)
    e = np.zeros
    X = rng.uniform(0, 100, (n, nl))
    rnd(X, e((n, nl)), rng.random((n, nl)), rng.random((n, nl)), np.full(nl, 100.0),
        *(e((n, n, nl)) for _ in range(10)), e((n, nl)), e((n, nl)), e((8, nl)),
        np.zeros((3, nl), dtype=np.bool_), n, False, False, True)
    ir = "\n".join(rnd.inspect_llvm().values())
    assert "define" in ir
    calls = {c for c in ("@exp", "@log", "@llvm.exp.", "@llvm.log.", "@pow", "@llvm.pow.")
             if f"{c}" in ir}
    assert not calls, calls
    assert "x double>" in ir  # vector instructions
