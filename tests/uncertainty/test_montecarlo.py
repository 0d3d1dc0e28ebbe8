"""Monte Carlo: known answers, reproducibility across chunking/backends, every model."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from detente.models.registry import MODELS, get_model
from detente.rng import unit_design
from detente.scenario.load import scenario_from_data
from detente.uncertainty import SEED_BLOCK, MonteCarloResult, build_perturbation, monte_carlo

from .conftest import two_actor_data

A_UNIFORM = {"inputs": [{"field": "position", "actor": "a", "issue": "x", "dist": "uniform",
                         "low": 0, "high": 100}]}


def _two(**extra):
    return scenario_from_data(two_actor_data(**extra), source="two.yaml")


def _tol(p, n):
    return 4 * np.sqrt(p * (1 - p) / n)


def test_quantiles_and_mean_known_values():
    """Weighted mean of a ~ U(0, 100) and b = 0 with equal weight is U(0, 50)."""
    r = monte_carlo(_two(), "weighted_mean", draws=40_000, seed=1, uncertainty=A_UNIFORM)
    q = dict(zip(r.quantile_levels, r.quantiles[:, 0], strict=True))
    for level, value in q.items():
        assert abs(value - 50 * level) < 0.6, (level, value)
    assert abs(r.mean[0] - 25) < 0.3
    assert abs(r.sd[0] - 50 / np.sqrt(12)) < 0.2


@pytest.mark.parametrize(
    "extra, p",
    [
        # b's red line [0, 10] holds iff a/2 <= 10, i.e. a <= 20
        ({"red_lines": [{"actor": "b", "issue": "x", "min": 0, "max": 10}]}, 0.2),
        # a's red line [15, 100] holds iff a >= 30
        ({"red_lines": [{"actor": "a", "issue": "x", "min": 15, "max": 100}]}, 0.7),
        # b's walk-away 0.8: U_b = 1 - (a/2)/100 >= 0.8 iff a <= 40
        ({"walk_away": [{"actor": "b", "utility": 0.8}]}, 0.4),
        # a threat against b (cost 0.2, credibility 0.5) lowers b's bar to 0.7: a <= 60
        ({"walk_away": [{"actor": "b", "utility": 0.8}],
          "threats": [{"issuer": "a", "target": "b", "cost_to_target": 0.2, "cost_to_issuer": 0.1,
                       "credibility": 0.5}]}, 0.6),
        # an absent actor without a veto does not bind; with one it does
        ({"actors": [{"id": "a", "power": 1.0}, {"id": "b", "power": 1.0, "present": False}],
          "red_lines": [{"actor": "b", "issue": "x", "min": 0, "max": 25}]}, 1.0),
        ({"actors": [{"id": "a", "power": 1.0}, {"id": "b", "power": 1.0, "present": False, "veto": True}],
          "red_lines": [{"actor": "b", "issue": "x", "min": 0, "max": 10}]}, 0.2),
        # the walk-away of an absent actor does not bind
        ({"actors": [{"id": "a", "power": 1.0}, {"id": "b", "power": 1.0, "present": False, "veto": True}],
          "walk_away": [{"actor": "b", "utility": 0.8}]}, 1.0),
        # walk-away as a position: b's no-deal is 20 -> U_b = 0.8, same as the utility form
        ({"walk_away": [{"actor": "b", "positions": {"x": 20}}]}, 0.4),
    ],
)
def test_deal_probability_known_values(extra, p):
    n = 20_000
    r = monte_carlo(_two(**extra), "weighted_mean", draws=n, seed=2, firmness=1.0, uncertainty=A_UNIFORM)
    assert abs(r.deal_probability - p) <= max(_tol(p, n), 1e-12)


def test_deal_blockers_reported():
    sc = _two(red_lines=[{"actor": "b", "issue": "x", "min": 0, "max": 25}])
    r = monte_carlo(sc, "weighted_mean", draws=10_000, seed=3, uncertainty=A_UNIFORM)
    assert r.red_line_block[1] == pytest.approx(1 - r.deal_probability)
    assert r.red_line_block[0] == 0 and np.all(r.walk_away_block == 0)


def test_uncertain_red_line_and_walk_away():
    """Uncertain bounds enter the deal check: b's max ~ U(0, 50) vs a fixed outcome 25 -> 1/2."""
    sc = _two(red_lines=[{"actor": "b", "issue": "x", "min": 0, "max": 30}])
    spec = {"inputs": [{"field": "red_line.max", "actor": "b", "issue": "x", "dist": "uniform",
                        "low": 0, "high": 50}]}
    r = monte_carlo(sc, "weighted_mean", draws=20_000, seed=4, firmness=1.0, uncertainty=spec)
    assert abs(r.deal_probability - 0.5) < _tol(0.5, 20_000)
    sc = _two(walk_away=[{"actor": "b", "utility": 0.5}])
    spec = {"inputs": [{"field": "walk_away", "actor": "b", "dist": "uniform", "low": 0.5, "high": 1.0}]}
    r = monte_carlo(sc, "weighted_mean", draws=20_000, seed=4, firmness=1.0, uncertainty=spec)
    # U_b(25) = 0.75; P(W <= 0.75) with W ~ U(0.5, 1) = 1/2
    assert abs(r.deal_probability - 0.5) < _tol(0.5, 20_000)


def test_draws_equal_per_draw_forecasts_on_rebuilt_scenarios(alaska):
    """Each Monte Carlo draw equals model.forecast on a Scenario rebuilt from that draw's values."""
    noise = {"position": 10, "salience": 0.2, "power": 0.3}
    pert = build_perturbation(alaska, noise=noise, firmness=1.0, veto_firmness=1.0)
    r = monte_carlo(alaska, "weighted_median", draws=5, seed=11, firmness=1.0, noise=noise)
    rng = np.random.default_rng(np.random.SeedSequence(11).spawn(1)[0])
    x = pert.values(unit_design(rng, 5, pert.n_inputs))
    model = get_model("weighted_median")
    for d in range(5):
        vals = dict(zip(pert.names, x[d], strict=True))
        data = alaska.model_dump()
        for act in data["actors"]:
            act["power"] = vals[f"power[{act['id']}]"]
        for p in data["positions"]:
            p["position"] = vals[f"position[{p['actor']},{p['issue']}]"]
            p["salience"] = vals[f"salience[{p['actor']},{p['issue']}]"]
        one = scenario_from_data(data, source="draw")
        np.testing.assert_allclose(r.draws[d], model.forecast(one).outcome, rtol=0, atol=1e-12)


def test_same_seed_same_result_other_seed_differs(alaska):
    kw = dict(draws=3000, noise={"position": 10, "salience": 0.2})
    a = monte_carlo(alaska, "weighted_mean", seed=7, **kw)
    b = monte_carlo(alaska, "weighted_mean", seed=7, **kw)
    c = monte_carlo(alaska, "weighted_mean", seed=8, **kw)
    assert np.array_equal(a.draws, b.draws) and a.seed_entropy == 7
    assert not np.array_equal(a.draws, c.draws)


@pytest.mark.parametrize("chunk, workers", [(1, 1), (5000, 2), (SEED_BLOCK * 3, 3), (10**6, 1)])
def test_bit_identical_for_any_chunk_size_and_worker_count(alaska, chunk, workers):
    kw = dict(draws=3 * SEED_BLOCK + 123, seed=5, noise={"position": 10, "salience": 0.2, "red_line": 10})
    ref = monte_carlo(alaska, "weighted_median", chunk_size=SEED_BLOCK, workers=1, **kw)
    r = monte_carlo(alaska, "weighted_median", chunk_size=chunk, workers=workers, **kw)
    assert np.array_equal(ref.draws, r.draws)
    assert np.array_equal(ref.quantiles, r.quantiles)
    assert np.array_equal(ref.mean, r.mean) and np.array_equal(ref.sd, r.sd)
    assert ref.deal_probability == r.deal_probability


def test_one_batched_call_per_seed_block(alaska):
    """No Python loop over draws: the model sees whole blocks (at most SEED_BLOCK draws each)."""
    sizes = []

    @dataclasses.dataclass(frozen=True)
    class Spy:
        name = "spy"

        def forecast_arrays(self, arrays, *, rng=None):
            sizes.append(arrays.position.shape[0])
            return get_model("weighted_mean").forecast_arrays(arrays)

    n = 2 * SEED_BLOCK + 10
    monte_carlo(alaska, Spy(), draws=n, seed=1, noise={"position": 5}, workers=1)
    assert sizes == [SEED_BLOCK, SEED_BLOCK, 10]


def test_streaming_histogram_quantiles_close_to_exact(alaska):
    kw = dict(draws=20_000, seed=9, noise={"position": 10, "salience": 0.2})
    exact = monte_carlo(alaska, "weighted_mean", keep_draws=True, **kw)
    stream = monte_carlo(alaska, "weighted_mean", keep_draws=False, **kw)
    assert stream.draws is None and stream.quantile_method == "histogram"
    assert np.max(np.abs(exact.quantiles - stream.quantiles)) < 2 * 100 / 16384
    np.testing.assert_allclose(exact.mean, stream.mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(exact.sd, stream.sd, rtol=0, atol=1e-6)


def test_zero_noise_reproduces_the_point_forecast(alaska):
    r = monte_carlo(alaska, "weighted_median", draws=50, seed=0, firmness=1.0)
    f = get_model("weighted_median").forecast(alaska)
    assert r.inputs == ()
    assert np.array_equal(r.draws, np.broadcast_to(f.outcome, r.draws.shape))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model(alaska, name):
    r = monte_carlo(alaska, name, draws=300, seed=3, noise={"position": 10, "salience": 0.2})
    assert r.draws.shape == (300, len(alaska.issues))
    fin = np.isfinite(r.draws)
    assert np.all((r.draws[fin] >= 0) & (r.draws[fin] <= 100))
    assert 0.0 <= r.deal_probability <= 1.0


def test_result_frozen_tidy_and_picklable(alaska):
    r = monte_carlo(alaska, "weighted_mean", draws=500, seed=3, noise={"position": 10})
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.n_draws = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.mean[0] = 1.0
    df = r.to_frame()
    assert list(df.columns) == ["model", "scenario", "issue", "statistic", "value"]
    assert len(df) == len(r.issues) * (3 + len(r.quantile_levels)) + 1
    assert list(r.to_frame("actors").columns) == ["model", "scenario", "actor", "red_line_block",
                                                  "walk_away_block"]
    assert len(r.to_frame("draws")) == 500 * len(r.issues)
    s = r.summary()
    assert s["deal_probability"] == r.deal_probability and set(s["issues"]) == set(r.issues)
    lo, hi = r.deal_interval()
    assert 0 <= lo <= r.deal_probability <= hi <= 1
    again = pickle.loads(pickle.dumps(r))
    assert isinstance(again, MonteCarloResult) and np.array_equal(again.draws, r.draws)


def test_memory_bounded_by_chunk_not_draws(alaska):
    """200,000 draws in chunks of 4,096 without keeping draws: the peak stays near one chunk.

    All draws at once would need 200,000 x 4 x 5 x 8 bytes = 32 MB per (draw, actor, issue)
    array (several of them); one chunk needs 0.65 MB per array.
    """
    import tracemalloc

    tracemalloc.start()
    try:
        r = monte_carlo(alaska, "weighted_mean", draws=200_000, seed=1, noise={"position": 10},
                        chunk_size=SEED_BLOCK, workers=1, keep_draws=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.draws is None
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_deal_interval_wilson_known_values():
    """Wilson (1927) score interval: 0 deals in 100,000 draws -> upper bound 3.84e-5 (z^2/(n+z^2))."""
    r = monte_carlo(_two(red_lines=[{"actor": "b", "issue": "x", "min": 90, "max": 100}]),
                    "weighted_mean", draws=100_000, seed=1, uncertainty=A_UNIFORM, keep_draws=False,
                    firmness=1.0)
    assert r.deal_probability == 0.0
    lo, hi = r.deal_interval(0.95)
    z2 = 1.959963984540054**2
    assert lo == 0.0 and hi == pytest.approx(z2 / (100_000 + z2), rel=1e-9)


def test_local_tasks_split_so_every_thread_gets_four():
    """chunk_size is an upper bound: on local threads a run is cut into at least four tasks
    per thread (whole seed blocks), so a slow model's last task does not leave threads idle;
    one thread and Dask take chunk_size as given. (The split never changes the numbers:
    test_bit_identical_for_any_chunk_size_and_worker_count.)"""
    from detente.uncertainty.backends import DaskBackend, LocalBackend
    from detente.uncertainty.montecarlo import _blocks_per_task

    chunk = 16 * SEED_BLOCK
    assert _blocks_per_task(chunk, 25, LocalBackend(2)) == 4  # 100,000 draws: 7 tasks, not 2
    assert _blocks_per_task(chunk, 245, LocalBackend(2)) == 16  # 1,000,000: chunk_size rules
    assert _blocks_per_task(chunk, 3, LocalBackend(4)) == 1
    assert _blocks_per_task(chunk, 25, LocalBackend(1)) == 16
    assert _blocks_per_task(chunk, 25, DaskBackend.__new__(DaskBackend)) == 16
    assert _blocks_per_task(SEED_BLOCK + 1, 25, LocalBackend(2)) == 2  # rounded up, never split finer


def test_last_local_tasks_shrink():
    """On local threads the tasks shrink at the end of a run (down to one seed block), so that
    the threads finish together; one thread and Dask keep the chunk size throughout."""
    from detente.uncertainty.backends import DaskBackend, LocalBackend
    from detente.uncertainty.montecarlo import _task_sizes

    sizes = _task_sizes(16, 245, LocalBackend(2))
    assert sum(sizes) == 245 and max(sizes) == 16 and sizes[-1] == 1
    assert sizes == sorted(sizes, reverse=True)
    assert _task_sizes(16, 245, LocalBackend(1)) == [16] * 15 + [5]
    assert _task_sizes(16, 40, DaskBackend.__new__(DaskBackend)) == [16, 16, 8]
    assert _task_sizes(1, 3, LocalBackend(4)) == [1, 1, 1]

