"""The two backends of the exchange model's stokman variant give the same run.

``backend="numba"`` (the compiled kernel, ``detente.models.exchange._kernel``) must reproduce
``backend="numpy"`` (``exchange._Batch``): the same executed exchanges (actors, issues, roles)
in the same order, and the same numbers (1e-12; in practice bit for bit, as both do the same
float64 operations in the same order), for equal gain and REX, single runs, repetitions and
batches of draws.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente import backends
from detente.errors import MissingExtraError, ModelParameterError
from detente.io.decide import parse_decide
from detente.models.exchange import exchange_outcome, exchange_run
from detente.models.exchange import run as ex_run
from tests.numba_marks import needs_numba
from tests.strategies import scenarios

TOL = 1e-12
ARRAYS = ("before_scaled", "voting_scaled", "final_scaled", "before", "voting", "final",
          "final_positions")


def assert_same_run(a, b, where: str = "") -> None:
    """Every outcome array to 1e-12, counts exactly, exchanges identical and in order."""
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=f"{where} {name}")
        np.testing.assert_allclose(np.nan_to_num(x), np.nan_to_num(y), atol=TOL, rtol=0,
                                   err_msg=f"{where} {name}")
    np.testing.assert_array_equal(a.n_exchanges, b.n_exchanges, err_msg=where)
    assert len(a.exchanges) == len(b.exchanges), where
    for k, (ra, rb) in enumerate(zip(a.exchanges, b.exchanges, strict=True)):
        assert list(ra) == list(rb), (where, k)
        for key, va in ra.items():
            vb = rb[key]
            if isinstance(va, float):
                assert (np.isnan(va) and np.isnan(vb)) or abs(va - vb) <= TOL, (where, k, key, va, vb)
            else:
                assert va == vb, (where, k, key, va, vb)


def _decide_text(pos, sal, pw, stake) -> str:
    n, m = pos.shape
    lines = [f"#A\ta{i}\ta{i}" for i in range(n)] + [f"#P\ti{k}\ti{k}" for k in range(m)]
    lines += [f"#D\ta{i}\ti{k}\t{float(pos[i, k])!r}\t{float(sal[i, k])!r}\t{float(pw[i, k])!r}"
              for k in range(m) for i in range(n) if stake[i, k]]
    return "\n".join(lines) + "\n"


@st.composite
def decide_inputs(draw):
    """Decide data with ties and near-ties: positions and saliences from small grids, some
    actors copies of another one (equal gains) or copies nudged by a relative 1e-12 to 1e-8
    (gains on either side of the relative 1e-9 tie window), missing actor-issues and zero
    saliences (actors that cannot trade)."""
    n = draw(st.integers(2, 8))
    m = draw(st.integers(2, 4))
    grid = draw(st.booleans())
    pos_el = (st.sampled_from([0.0, 20.0, 25.0, 50.0, 75.0, 100.0]) if grid
              else st.floats(0, 100, allow_nan=False, allow_subnormal=False))
    sal_el = (st.sampled_from([0.1, 0.2, 0.5, 0.6, 0.9, 1.0]) if grid
              else st.floats(0.01, 1, allow_nan=False, allow_subnormal=False))
    pos = np.array(draw(st.lists(st.lists(pos_el, min_size=m, max_size=m), min_size=n, max_size=n)))
    sal = np.array(draw(st.lists(st.lists(sal_el, min_size=m, max_size=m), min_size=n, max_size=n)))
    pw = np.array(draw(st.lists(st.sampled_from([0.25, 0.5, 1.0, 2.0]), min_size=n, max_size=n)))
    pw = np.repeat(pw[:, None], m, axis=1)
    for i in range(1, n):  # copies of an earlier actor, exact or nudged
        mode = draw(st.sampled_from(["own", "own", "copy", "nudge"]))
        if mode == "own":
            continue
        src = draw(st.integers(0, i - 1))
        pos[i], sal[i], pw[i] = pos[src], sal[src], pw[src]
        if mode == "nudge":
            eps = draw(st.sampled_from([1e-12, 1e-10, 5e-10, 1e-9, 2e-9, 1e-8]))
            k = draw(st.integers(0, m - 1))
            sal[i, k] = min(1.0, sal[i, k] * (1 + eps))
    has = st.sampled_from([True, True, True, True, False])
    stake = np.array(draw(st.lists(st.lists(has, min_size=m, max_size=m), min_size=n, max_size=n)))
    if draw(st.booleans()):
        i, k = draw(st.integers(0, n - 1)), draw(st.integers(0, m - 1))
        sal[i, k] = 0.0
    return parse_decide(_decide_text(pos, sal, pw, stake))


@needs_numba
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=decide_inputs(), rule=st.sampled_from(["equal_gain", "rex"]),
       p=st.sampled_from([0.5, 1.0]), seed=st.integers(0, 2**32 - 1),
       reps=st.sampled_from([1, 2]))
def test_backends_identical_on_generated_inputs(data, rule, p, seed, reps):
    kw = dict(rule=rule, p=p, rounds=4, repetitions=reps, record=reps)
    a = exchange_run(data, backend="numpy", rng=np.random.default_rng(seed), **kw)
    b = exchange_run(data, backend="numba", rng=np.random.default_rng(seed), **kw)
    assert_same_run(a, b, f"{rule} p={p} seed={seed}")


@needs_numba
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(min_issues=2, max_issues=4, max_actors=8, grid=True),
       rule=st.sampled_from(["equal_gain", "rex"]), seed=st.integers(0, 2**32 - 1))
def test_backends_identical_on_generated_scenarios(scenario, rule, seed):
    """The Monte Carlo path (``exchange_outcome`` on ScenarioArrays, one power per actor,
    positions on a grid: many exact ties), both backends, the same outcome to 1e-12."""
    a = scenario.arrays()
    out = [exchange_outcome(a.position, a.salience, a.power, a.stake, a.scale_min, a.scale_max,
                            rule=rule, rounds=4, rng=np.random.default_rng(seed), backend=b)
           for b in ("numpy", "numba")]
    np.testing.assert_allclose(out[0], out[1], atol=TOL, rtol=0)


@needs_numba
@pytest.mark.parametrize("eps", [1e-10, -1e-10])
def test_near_tie_goes_by_creation_order(eps):
    """Actors a0 and a1 are copies except a1's salience on i1, nudged by a relative 1e-10, so
    their exchanges with a2 have gains within the relative 1e-9 tie window (a1's the larger
    one when eps > 0): both backends execute a0's first (creation order), then a1's."""
    pos = np.array([[10.0, 80.0], [10.0, 80.0], [90.0, 20.0]])
    sal = np.array([[0.9, 0.3], [0.9, 0.3 * (1 + eps)], [0.4, 0.9]])
    data = parse_decide(_decide_text(pos, sal, np.ones((3, 2)), np.ones((3, 2), dtype=bool)))
    runs = [exchange_run(data, backend=b, rounds=1) for b in ("numpy", "numba")]
    for run in runs:
        assert [(r["actor_i"], r["actor_j"]) for r in run.exchanges] == [("a0", "a2"), ("a1", "a2")]
    assert_same_run(*runs, f"near tie {eps}")


@needs_numba
@pytest.mark.parametrize("rule", ["equal_gain", "rex"])
def test_backends_identical_on_batches_of_draws(rule):
    """``exchange_outcome`` (the Monte Carlo path): many draws with their own positions,
    saliences and powers in one call."""
    rng = np.random.default_rng(5)
    B, n, m = 12, 7, 4
    pos = rng.uniform(0, 10, (B, n, m))
    sal = rng.uniform(0.05, 1, (B, n, m))
    pw = rng.uniform(0.1, 2, (B, n))
    stake = rng.random((n, m)) > 0.15
    kw = dict(rule=rule, p=0.7, rounds=6, rng=np.random.default_rng(1))
    a = exchange_outcome(pos, sal, pw, stake, np.zeros(m), np.full(m, 10.0), backend="numpy", **kw)
    kw["rng"] = np.random.default_rng(1)
    b = exchange_outcome(pos, sal, pw, stake, np.zeros(m), np.full(m, 10.0), backend="numba", **kw)
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a, b, atol=TOL, rtol=0)


@needs_numba
def test_rex_buffer_refill_keeps_the_stream(monkeypatch):
    """A REX run that needs more uniforms than its first buffer holds is re-run with the stream
    continued: same numbers as with a buffer that was large enough from the start."""
    text = (  # 6 actors on 3 issues
        "".join(f"#A\ta{i}\ta{i}\n" for i in range(6)) + "".join(f"#P\ti{k}\ti{k}\n" for k in range(3))
        + "".join(f"#D\ta{i}\ti{k}\t{(37 * i + 11 * k) % 101}\t{0.1 + 0.15 * ((i + k) % 6)}\t1\n"
                  for i in range(6) for k in range(3)))
    data = parse_decide(text)
    want = exchange_run(data, rule="rex", backend="numpy", rng=np.random.default_rng(3))
    from detente.models.exchange import _kernel as kern

    calls = []
    real = kern.run_draw

    def counted(*args):
        calls.append(args[16].size)   # the buffer of uniforms
        return real(*args)

    monkeypatch.setattr(kern, "run_draw", counted)
    monkeypatch.setattr(ex_run, "_REX_BUFFER_PER_CANDIDATE", 0)
    got = exchange_run(data, rule="rex", backend="numba", rng=np.random.default_rng(3))
    assert len(calls) > 2 and calls[0] == 0, calls   # refilled more than once
    assert_same_run(want, got, "refill")


def test_backend_choice_and_errors(monkeypatch):
    data = parse_decide("#A\ta\ta\n#A\tb\tb\n#P\tp\tp\n#P\tq\tq\n"
                        "#D\ta\tp\t0\t0.1\t1\n#D\ta\tq\t0\t0.9\t1\n"
                        "#D\tb\tp\t100\t0.6\t1\n#D\tb\tq\t100\t0.5\t1\n")
    with pytest.raises(ModelParameterError, match="backend"):
        exchange_run(data, backend="fortran")
    # "auto" without numba takes the numpy engine; "numba" without numba names the extra
    monkeypatch.setattr(backends, "HAVE_NUMBA", False)

    def boom(*_a, **_k):
        raise AssertionError("the kernel must not run")

    from detente.models.exchange import _kernel as kern

    monkeypatch.setattr(kern, "run_draw", boom)
    assert exchange_run(data, backend="auto").n_exchanges[0, 0] == 1
    with pytest.raises(MissingExtraError, match="fast"):
        exchange_run(data, backend="numba")


def test_model_backend_parameter():
    """The model's ``backend`` is validated and both engines give the same forecast."""
    import pytest

    from detente import load_scenario
    from detente.errors import ModelParameterError
    from detente.models.exchange import Exchange

    with pytest.raises(ModelParameterError, match="backend"):
        Exchange(backend="gpu")
    sc = load_scenario("alaska-2025")
    a = Exchange(backend="numpy").forecast(sc)
    b = Exchange(backend="auto").forecast(sc)
    np.testing.assert_array_equal(a.outcome, b.outcome)
