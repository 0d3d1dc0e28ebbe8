"""The fused Monte Carlo kernel gives the numbers of the general numpy path, bit for bit.

Every scenario below runs twice with the same seed: ``engine="numba"`` (the fused kernel of
:mod:`detente.uncertainty.fused`) and ``engine="numpy"`` (``Perturbation.from_unit``, the model's
``forecast_arrays``, ``deal_flags`` and the per-block reductions). Draws are compared by their
bits, and every summary exactly. The scenarios reach each branch of the kernel: red lines of
actors at the table and of absent veto holders, walk-away utilities and positions (with and
without a status quo), threats, soft red lines and vetoes, uniform, triangular and discrete
inputs, weighted-median ties, more than five actors, actors without a stake, one issue.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.models.registry import get_model
from detente.scenario.load import scenario_from_data
from detente.uncertainty import SEED_BLOCK, monte_carlo
from detente.uncertainty.fused import fused_plan
from detente.uncertainty.montecarlo import prepare
from tests.numba_marks import needs_numba

from .conftest import dominant_data, two_actor_data

pytestmark = needs_numba

NOISE = {"position": 10, "salience": 0.2}
FULL = {"position": 10, "salience": 0.2, "power": 0.2, "red_line": 10, "walk_away": 0.1,
        "credibility": 0.2}
N = 2 * SEED_BLOCK + 321  # two whole blocks and a short one


def _bits(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64).view(np.int64)


def _assert_same(a, b) -> None:
    assert a.deal_probability == b.deal_probability
    for name in ("mean", "sd", "quantiles", "no_outcome_share", "red_line_block", "walk_away_block"):
        x, y = getattr(a, name), getattr(b, name)
        assert np.array_equal(np.isnan(x), np.isnan(y)), name
        assert np.array_equal(_bits(np.nan_to_num(x)), _bits(np.nan_to_num(y))), name
    if a.draws is not None or b.draws is not None:
        assert np.array_equal(_bits(a.draws), _bits(b.draws))


def _both(scenario, model, *, keep=True, **kw):
    """Run with the fused kernel and with the general path; check the kernel applies."""
    sc, pert = prepare(scenario, kw.get("uncertainty"), kw.get("noise"))
    assert fused_plan(pert, get_model(model), keep=keep) is not None
    fused = monte_carlo(scenario, model, engine="numba", keep_draws=keep, **kw)
    plain = monte_carlo(scenario, model, engine="numpy", keep_draws=keep, **kw)
    return fused, plain


def _alaska_data(alaska) -> dict:
    return alaska.model_dump(mode="python")


@pytest.mark.parametrize("model", ["weighted_mean", "weighted_median"])
@pytest.mark.parametrize("noise", [NOISE, FULL], ids=["positions", "full"])
@pytest.mark.parametrize("keep", [True, False])
def test_alaska_bit_identical(alaska, model, noise, keep):
    fused, plain = _both(alaska, model, keep=keep, draws=N, seed=20, noise=noise)
    _assert_same(fused, plain)
    if noise is FULL:
        assert 0 < fused.red_line_block.max() and 0 < fused.walk_away_block.max()


@pytest.mark.parametrize("model", ["weighted_mean", "weighted_median"])
def test_odd_number_of_inputs(model):
    """27 inputs: every other draw starts in the middle of a random word (the kernel's odd
    lanes)."""
    sc, pert = prepare("coalition-germany-2021", None, NOISE)
    assert pert.n_inputs % 2 == 1
    fused, plain = _both(sc, model, draws=N, seed=9, noise=NOISE)
    _assert_same(fused, plain)


@pytest.mark.parametrize("model", ["weighted_mean", "weighted_median"])
def test_soft_red_lines_and_vetoes(alaska, model):
    data = _alaska_data(alaska)
    for k, r in enumerate(data["red_lines"]):
        r["firmness"] = (0.3, 0.6, 0.9)[k % 3]
    for a in data["actors"]:
        if a["id"] == "ukraine":
            a["veto_firmness"] = 0.5
    sc = scenario_from_data(data, source="soft.yaml")
    fused, plain = _both(sc, model, draws=N, seed=3, noise=FULL)
    _assert_same(fused, plain)
    names = prepare(sc, None, FULL)[1].names
    assert any(n.startswith("red_line.binds") for n in names) and "veto.binds[ukraine]" in names


@pytest.mark.parametrize("model", ["weighted_mean", "weighted_median"])
def test_walk_away_positions_threats_and_other_distributions(model):
    data = two_actor_data(
        actors=[{"id": "a", "power": 1.0}, {"id": "b", "power": 1.0},
                {"id": "c", "power": 0.5, "present": False, "veto": True}],
        positions=[
            {"actor": "a", "issue": "x", "position": 50.0, "salience": 1.0},
            {"actor": "b", "issue": "x", "position": 0.0, "salience": 1.0},
            {"actor": "c", "issue": "x", "position": 30.0, "salience": 0.5},
            {"actor": "a", "issue": "y", "position": 30.0, "salience": 0.4},
            {"actor": "b", "issue": "y", "position": 20.0, "salience": 0.9},
        ],
        issues=[{"id": "x", "scale": {"min": 0, "max": 100}, "status_quo": 50},
                {"id": "y", "scale": {"min": -50, "max": 50}}],  # no status quo: x itself
        walk_away=[{"actor": "a", "positions": {"x": 40}},
                   {"actor": "b", "positions": {"y": 10}}, {"actor": "c", "utility": 0.3}],
        red_lines=[{"actor": "c", "issue": "x", "min": 10, "max": 45},
                   {"actor": "a", "issue": "y", "min": 0, "max": 50}],
        threats=[{"issuer": "a", "target": "b", "cost_to_target": 0.2, "cost_to_issuer": 0.1,
                  "credibility": 0.5}],
    )
    sc = scenario_from_data(data, source="mixed.yaml")
    spec = {"noise": {"position": 8, "salience": 0.3, "red_line": 5, "walk_away": 0.1,
                      "credibility": 0.3},
            "inputs": [{"field": "position", "actor": "a", "issue": "x", "dist": "uniform", "low": 20,
                        "high": 90},
                       {"field": "power", "actor": "b", "dist": "triangular", "low": 0.5, "high": 2},
                       {"field": "position", "actor": "b", "issue": "y", "dist": "discrete",
                        "values": [-10, 20, 45], "weights": [1, 2, 1]}]}
    fused, plain = _both(sc, model, draws=N, seed=8, uncertainty=spec)
    _assert_same(fused, plain)
    assert 0 < fused.deal_probability < 1


def test_weighted_median_ties():
    """Positions from a few values: equal positions and cumulative weights of exactly half."""
    actors = [{"id": f"a{i}", "power": 1.0} for i in range(4)]
    issues = [{"id": "x", "scale": {"min": 0, "max": 100}}, {"id": "y", "scale": {"min": 0, "max": 10}}]
    positions = [{"actor": f"a{i}", "issue": iss, "position": 50.0 if iss == "x" else 5.0,
                  "salience": 0.5} for i in range(4) for iss in ("x", "y")]
    sc = scenario_from_data({"name": "ties", "actors": actors, "issues": issues,
                             "positions": positions}, source="ties.yaml")
    spec = {"inputs": [{"field": "position", "actor": f"a{i}", "issue": iss, "dist": "discrete",
                        "values": [20, 50, 50, 80] if iss == "x" else [1, 5, 9]}
                       for i in range(4) for iss in ("x", "y")]}
    fused, plain = _both(sc, "weighted_median", draws=N, seed=4, uncertainty=spec)
    _assert_same(fused, plain)
    # ties happen: two actors on each side, so the lower median is often below the upper one
    x = fused.draws[:, 0]
    assert np.mean(x == 20) > 0.05 and np.mean(x == 50) > 0.05


@pytest.mark.parametrize("model", ["weighted_mean", "weighted_median"])
def test_many_actors_and_missing_stakes(model):
    data = dominant_data(n_actors=9, n_issues=3, boss=4)
    for p in data["positions"]:  # spread the nine actors over the scale
        i, k = int(p["actor"][1:]), int(p["issue"][1:])
        p["position"] = float((7 + 11 * i + 23 * k) % 97)
    data["positions"] = [p for p in data["positions"] if not (p["actor"] == "a7" and p["issue"] == "i1")]
    data["red_lines"] = [{"actor": "a1", "issue": "i0", "min": 0, "max": 60}]
    data["walk_away"] = [{"actor": "a2", "utility": 0.7}]
    sc = scenario_from_data(data, source="many.yaml")
    fused, plain = _both(sc, model, draws=N, seed=6, noise=FULL)
    _assert_same(fused, plain)


@pytest.mark.parametrize("model", ["weighted_mean", "weighted_median"])
def test_one_issue(model):
    sc = scenario_from_data(two_actor_data(red_lines=[{"actor": "b", "issue": "x", "min": 0, "max": 20}]),
                            source="two.yaml")
    fused, plain = _both(sc, model, draws=N, seed=2, noise={"position": 15, "salience": 0.3})
    _assert_same(fused, plain)


def test_no_uncertain_inputs(alaska):
    fused, plain = _both(alaska, "weighted_mean", draws=1500, seed=0)
    _assert_same(fused, plain)


@pytest.mark.parametrize("chunk, workers", [(SEED_BLOCK, 1), (5000, 2), (10**6, 2), (3 * SEED_BLOCK, 3)])
def test_fused_same_for_any_chunk_size_and_thread_count(alaska, chunk, workers):
    kw = dict(draws=4 * SEED_BLOCK + 5, seed=12, noise=FULL)
    ref = monte_carlo(alaska, "weighted_median", engine="numpy", chunk_size=10**6, workers=1, **kw)
    r = monte_carlo(alaska, "weighted_median", engine="numba", chunk_size=chunk, workers=workers, **kw)
    _assert_same(r, ref)


def test_fallbacks_take_the_general_path(alaska):
    """A beta input or another model: no plan, and engine="numba" still runs (general path)."""
    spec = {"noise": NOISE, "inputs": [{"field": "walk_away", "actor": "usa", "dist": "beta",
                                        "a": 2, "b": 3}]}
    _, pert = prepare(alaska, spec, None)
    assert fused_plan(pert, get_model("weighted_mean"), keep=True) is None
    _, pert = prepare(alaska, None, NOISE)
    assert fused_plan(pert, get_model("nash"), keep=True) is None
    a = monte_carlo(alaska, "weighted_mean", draws=2000, seed=1, uncertainty=spec, engine="numba")
    b = monte_carlo(alaska, "weighted_mean", draws=2000, seed=1, uncertainty=spec, engine="numpy")
    _assert_same(a, b)


def test_bad_engine_named_before_any_draw(alaska):
    from detente.errors import ScenarioError

    with pytest.raises(ScenarioError) as e:
        monte_carlo(alaska, "weighted_mean", draws=10, engine="gpu")
    assert e.value.field == "engine" and "gpu" in str(e.value)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 127, 128, 129, 1001, 50_000, 300_001])
def test_exact_summary_is_numpy_quantile_and_std(n, monkeypatch):
    """The kept draws' quantiles equal np.quantile and their sd np.std bit for bit, by every
    route: np.partition, the compiled selection issue by issue (draws stored draw by draw, or
    an issue with NaN draws, left out), and the compiled two-pass summary (draws stored issue
    by issue, as the fused kernel keeps them; counting the buckets itself, or with the
    kernel's counts; all issues at once or a few at a time); with ties, values outside the
    scale, and values far from the mean (where the order of the additions shows)."""
    from detente.uncertainty import _kernel, montecarlo
    from detente.uncertainty.fused import SUMMARY_BUCKETS, grid_scale
    from detente.uncertainty.montecarlo import _exact_summary

    rng = np.random.default_rng(n)
    x = np.column_stack([rng.normal(50, 10, n), np.round(rng.uniform(-20, 120, n)),
                         np.where(rng.random(n) < 0.2, np.nan, rng.random(n) * 100),
                         np.full(n, 42.0), rng.normal(0, 1, n) * 10.0 ** rng.integers(-3, 12, n)])
    levels = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1.0)
    lo, hi = np.zeros(5), np.full(5, 100.0)
    # the kernel's bucket counts (NaN in bucket 0) and finite draws, as a fused run hands them
    xt = np.ascontiguousarray(x.T)
    items = np.array([(k, 0, n) for k in range(5)], dtype=np.int64)
    counts, bad = np.empty((5, SUMMARY_BUCKETS), dtype=np.int64), np.empty(5, dtype=np.int64)
    _kernel.summary_count(xt, items, lo, grid_scale(lo, hi), counts, bad)
    routes = [(None, x, None, None), (_kernel, x, None, None),
              (_kernel, np.asfortranarray(x), None, None),
              (_kernel, np.asfortranarray(x), counts, np.isfinite(x).sum(axis=0))]
    for batch in (montecarlo.SUMMARY_ISSUES, 2):
        monkeypatch.setattr(montecarlo, "SUMMARY_ISSUES", batch)
        for kern, draws, cnt, fin in routes:
            _check_summary(x, levels, *_exact_summary(draws, levels, 2, kern=kern, lo=lo, hi=hi,
                                                      counts=cnt, finite=fin))


def _check_summary(x, levels, qs, sd) -> None:
    for k in range(x.shape[1]):
        col = x[:, k][np.isfinite(x[:, k])]
        if col.size == 0:
            assert np.isnan(qs[:, k]).all()
            continue
        assert np.array_equal(_bits(qs[:, k]), _bits(np.quantile(col, levels))), k
        assert sd[k] == np.std(col), k


@pytest.mark.parametrize("seed, n_inputs, n_draws", [(0, 1, 1), (1, 2, 7), (2, 3, 129), (3, 46, 300),
                                                     (4, 47, 4096), (5, 5, 1000), (6, 0, 10)])
def test_kernel_makes_the_words_of_random_raw(seed, n_inputs, n_draws):
    """The kernel steps numpy's PCG64 in one lane per draw (odd input counts start every
    other lane in the middle of a word): value j of draw d is half d * n_inputs + j of
    random_raw's words, and the generator moves on past them as after raw_words."""
    from detente.rng import chunk_generators, raw_words, word_halves
    from detente.uncertainty import _pcg
    from detente.uncertainty.fused import _generator_state

    _, _, a = chunk_generators(seed, 3 * SEED_BLOCK, SEED_BLOCK)[seed % 3]
    _, _, b = chunk_generators(seed, 3 * SEED_BLOCK, SEED_BLOCK)[seed % 3]
    st = np.array(_generator_state(a, n_draws, n_inputs), dtype=np.uint64)
    got = _pcg.pcg64_columns(st, _pcg.lane_jumps(n_inputs), n_inputs, n_draws)
    n_values = n_draws * n_inputs
    want = word_halves(raw_words(b, n_values))[:n_values].reshape(n_draws, n_inputs)
    assert np.array_equal(got, want)
    assert a.bit_generator.random_raw() == b.bit_generator.random_raw()
