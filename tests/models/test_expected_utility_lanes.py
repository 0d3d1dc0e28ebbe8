"""The lockstep kernel of the expected-utility model (many draws per instruction) against the
scalar kernel.

The two differ in one place only: the lockstep kernel's exp and log are detente._vecmath's
(within 1 ulp of the C library's; tests/test_vecmath.py). So a copy of it built with the C
library's exp and log must give the scalar kernel's final medians bit for bit, on every option
and on inputs full of ties, cycles and early stops; the real one must agree to rounding, and
give the same bits for a draw whatever batch, order or lane count it runs in (the Monte Carlo
relies on that for chunk-size independence).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys

import numpy as np
import pytest

from tests.numba_marks import needs_numba

pytestmark = needs_numba

ROUNDS = (1, 3, 10, 70)  # 70: longer than the 64-round look-back for repeated states


def _draws(rng, B, n):
    """(3, B, n) positions, saliences, capabilities with everyone in the issue: half on a
    coarse grid (ties, repeated states, cycles), a few all at one position."""
    x = rng.uniform(0, 100, (B, n))
    grid = rng.random(B) < 0.5
    x[grid] = rng.choice([0.0, 10.0, 25.0, 50.0, 80.0, 100.0], (int(grid.sum()), n))
    x[rng.random(B) < 0.03] = 42.0
    s = rng.uniform(0.05, 1.0, (B, n))
    s[rng.random((B, n)) < 0.1] = 1.0
    c = rng.uniform(0.1, 50.0, (B, n))
    return np.ascontiguousarray(np.stack([x, s, c]))


def _scalar(xsc, rounds, paper, capitulation, weight_point, tol):
    from detente.models.expected_utility._compiled import _nb_run

    return _nb_run(xsc, np.zeros((0, 0), dtype=bool), rounds, 1.0,
                   "paper" if paper else "replication", capitulation,
                   "weight_point" if weight_point else "distance", tol, False, False)[3][1]


def _lockstep(kernel, xsc, rounds, paper, capitulation, weight_point, tol, lanes=64, idx=None):
    B = xsc.shape[1]
    idx = np.arange(B) if idx is None else idx
    out = np.full(B, -1.0)
    kernel.final_medians(xsc, idx, rounds, paper, capitulation, weight_point, tol is not None,
                         0.0 if tol is None else tol, out, lanes)
    return out


@pytest.fixture(scope="module")
def libm_lanes(tmp_path_factory):
    """The lockstep kernel's source with the C library's exp and log, as its own module (in
    its own folder, so numba's cache never mixes it up with the real one)."""
    from detente.models.expected_utility import _lanes as real

    src = open(real.__file__, encoding="utf-8").read()
    swap = ("from ..._jit import njit\nfrom ..._vecmath import exp, log\n",
            "from detente._jit import njit\n\n\n@njit(error_model='numpy', nrt=False)\n"
            "def exp(x):\n    return np.exp(x)\n\n\n@njit(error_model='numpy', nrt=False)\n"
            "def log(x):\n    return np.log(x)\n")
    assert swap[0] in src
    src = src.replace(*swap).replace("from ._kernel",
                                     "from detente.models.expected_utility._kernel")
    path = tmp_path_factory.mktemp("libm_lanes") / "libm_lanes.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("libm_lanes", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["libm_lanes"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("libm_lanes", None)


OPTIONS = list(itertools.product((False, True), (False, True), (True, False), (None, 0.02)))


@pytest.mark.parametrize("paper,capitulation,weight_point,tol", OPTIONS)
def test_same_bits_as_the_scalar_kernel_with_the_same_exp_and_log(libm_lanes, paper,
                                                                  capitulation, weight_point, tol):
    rng = np.random.default_rng([int(paper), int(capitulation), int(weight_point), tol is None])
    for k, rounds in enumerate(ROUNDS):
        xsc = _draws(rng, 300, 2 + (k * 3 + int(paper)) % 8)
        want = _scalar(xsc, rounds, paper, capitulation, weight_point, tol)
        got = _lockstep(libm_lanes, xsc, rounds, paper, capitulation, weight_point, tol)
        np.testing.assert_array_equal(got, want, err_msg=f"rounds={rounds}, n={xsc.shape[2]}")


def test_agrees_with_the_scalar_kernel_to_rounding():
    """With detente._vecmath's exp and log the paths agree to ~1e-10 of the scale; a draw can
    branch differently only where two quantities tie within rounding (the same ~1 in 2,000
    as between the numba and numpy backends)."""
    from detente.models.expected_utility import _lanes as real

    rng = np.random.default_rng(7)
    xsc = _draws(rng, 4000, 5)
    want = _scalar(xsc, 10, False, False, True, None)
    got = _lockstep(real, xsc, 10, False, False, True, None)
    close = np.abs(got - want) <= 1e-9 * 100
    assert close.mean() >= 0.998, close.mean()


def test_a_draw_gets_the_same_bits_in_any_batch():
    from detente.models.expected_utility import _lanes as real

    rng = np.random.default_rng(11)
    xsc = _draws(rng, 500, 4)
    opts = (10, False, True, True, 0.01)
    ref = _lockstep(real, xsc, *opts)
    for lanes in (1, 7, 16, 256):
        np.testing.assert_array_equal(_lockstep(real, xsc, *opts, lanes=lanes), ref)
    perm = rng.permutation(500)
    np.testing.assert_array_equal(_lockstep(real, xsc, *opts, idx=perm), ref)
    sub = np.ascontiguousarray(xsc[:, 123:130])
    np.testing.assert_array_equal(_lockstep(real, sub, *opts), ref[123:130])
    part = _lockstep(real, xsc, *opts, idx=np.arange(0, 500, 3))  # the others stay untouched
    np.testing.assert_array_equal(part[::3], ref[::3])
    assert np.all(np.delete(part, np.arange(0, 500, 3)) == -1.0)


def test_lane_count_keeps_the_scratch_bounded():
    from detente.models.expected_utility._lanes import W, lane_count

    assert lane_count(4, 10**6) == W
    assert lane_count(4, 5) == 5 and lane_count(4, 0) == 1
    assert lane_count(46, 10**6) == 16  # never below LLVM's vectorising trip count
    for n in (4, 10, 16, 24):
        w = lane_count(n, 10**6)
        assert w == W or w == 16 or 80 * n * n * w <= 1 << 21 < 80 * n * n * 2 * w


def test_draws_it_does_not_take_go_to_the_scalar_kernel():
    """The batched forecast routes a draw by the draw alone: actors outside the issue, a zero
    weight, a non-finite input or Q < 1 take the scalar kernel, the rest the lockstep one."""
    from detente.models.expected_utility import _lanes as real
    from detente.models.expected_utility._compiled import _nb_final, _nb_run

    rng = np.random.default_rng(3)
    xsc = _draws(rng, 200, 4)
    tp = np.ones((200, 4), dtype=bool)
    tp[::5, 2] = False  # outside the issue
    xsc[1, 1::7, 3] = 0.0  # zero salience
    rest = ~tp.all(1) | (xsc[2] * xsc[1] == 0).any(1)
    opts = ("replication", False, "weight_point", None)
    got = _nb_final(xsc, tp, 10, 1.0, *opts)
    scalar = _nb_run(xsc, tp, 10, 1.0, *opts, False, False)[3][1]
    lock = _lockstep(real, xsc, 10, False, False, True, None)
    np.testing.assert_array_equal(got[rest], scalar[rest])
    np.testing.assert_array_equal(got[~rest], lock[~rest])
    assert 0 < rest.sum() < 200
    q_half = _nb_final(xsc, tp, 10, 0.5, *opts)
    np.testing.assert_array_equal(q_half, _nb_run(xsc, tp, 10, 0.5, *opts, False, False)[3][1])


def test_monte_carlo_bits_do_not_depend_on_the_chunking():
    from detente.io import load_scenario
    from detente.models.expected_utility import ExpectedUtility
    from detente.uncertainty import monte_carlo

    sc = load_scenario("alaska-2025")
    kw = dict(draws=700, seed=5, noise={"position": 10, "salience": 0.2})
    ref = monte_carlo(sc, ExpectedUtility(), chunk_size=700, workers=1, **kw)
    for chunk, workers in ((1, 1), (64, 2), (333, 2)):
        r = monte_carlo(sc, ExpectedUtility(), chunk_size=chunk, workers=workers, **kw)
        np.testing.assert_array_equal(r.draws, ref.draws)
