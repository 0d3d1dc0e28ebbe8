"""Issue 21: a small request or command must not make detente allocate gigabytes.

Every model, the simulator, Monte Carlo and sensitivity state their cost (``cost(...)``); the
service refuses a run over the budget *before any work*: a ``BudgetError`` (a ScenarioError)
naming what is too large and the limit, exit 2 in the CLI. "Before any allocation" is checked
with tracemalloc: the refusal's peak allocation is a few megabytes where the run would need
gigabytes.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from typer.testing import CliRunner

from detente import service
from detente.cli import app
from detente.cost import Budget, Cost
from detente.errors import BudgetError, ModelParameterError, ScenarioError
from detente.models.registry import MODELS, get_model
from detente.scenario.load import scenario_from_data
from tests.extras import require
from tests.hardening._big import big_data, big_json

_SMALL_PEAK = 64 * 2**20  # what a refusal may allocate (the scenario itself is smaller)


def _refused_cheaply(fn, *words):
    """Run ``fn``; it must raise BudgetError within 2 s, allocating < 64 MiB, and name ``words``."""
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with pytest.raises(BudgetError) as e:
            fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - t < 2.0
    assert peak < _SMALL_PEAK, f"allocated {peak / 2**20:.0f} MiB before refusing"
    for w in words:
        assert w in str(e.value), str(e.value)
    return e.value


@pytest.fixture(scope="module")
def sc_1000x10():
    return scenario_from_data(big_data(1000, 10), source="big.yaml")


@pytest.fixture(scope="module")
def sc_400x9():
    return scenario_from_data(big_data(400, 9), source="big.yaml")


def test_every_model_states_its_cost():
    for name, cls in MODELS.items():
        small, big = cls().cost(5, 3), cls().cost(500, 20)
        assert isinstance(small, Cost) and small.bytes > 0 and small.seconds > 0, name
        assert big.bytes > small.bytes and big.seconds > small.seconds, name
        assert cls().cost(5, 3, 1000).seconds > small.seconds, name  # draws cost time


def test_costs_grow_with_their_parameters():
    ex = get_model("exchange")
    assert get_model("exchange", rounds=1000).cost(4, 5).bytes > 20 * ex.cost(4, 5).bytes
    assert get_model("exchange", repetitions=100, rule="rex").cost(4, 5).seconds > 20 * ex.cost(4, 5).seconds
    assert get_model("ktab_smp", max_steps=1000).cost(50, 3).seconds > 5 * get_model("ktab_smp").cost(50, 3).seconds
    # KTAB's (n, n, n) arrays: 1,000 actors need gigabytes
    assert get_model("ktab_smp").cost(1000, 10).bytes > 7 * 2**30


def test_the_estimate_bounds_a_measured_run():
    """The exchange model's estimate is not below what a run really allocates (tracemalloc)."""
    from tests.contract.model_contract import make_scenario

    rng = np.random.default_rng(1)
    sc = make_scenario(rng.uniform(0, 100, (12, 3)), rng.uniform(0.2, 1, (12, 3)), rng.uniform(1, 9, 12))
    for name, kw in (("exchange", {"rounds": 200}), ("ktab_smp", {}), ("expected_utility", {})):
        model = get_model(name, **kw)
        model.forecast(sc)  # compile first
        tracemalloc.start()
        model.forecast(sc)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert model.cost(12, 3).bytes >= peak, (name, peak)


def test_budget_refusal_names_the_computation_and_the_limit():
    cost = Cost("model 'x'", 3 * 2**30, 1.0, {"actors": 9}, "fewer actors")
    with pytest.raises(BudgetError) as e:
        Budget(max_bytes=2**30).check(cost, source="s.yaml")
    msg = str(e.value)
    assert msg.startswith("s.yaml: model 'x' (actors=9): needs about 3 GiB of memory; the limit is 1 GiB")
    assert "fewer actors" in msg
    assert isinstance(e.value, ScenarioError)
    with pytest.raises(ScenarioError, match="max_bytes"):
        Budget(max_bytes=0)


def test_exchange_rounds_are_capped_and_costed():
    with pytest.raises(ModelParameterError, match=r"rounds.*\[1, 10000\].*1000000"):
        service.forecast("alaska-2025", ["exchange"], params={"exchange": {"rounds": 1_000_000}})
    with pytest.raises(ModelParameterError, match="repetitions"):
        get_model("exchange", repetitions=100_000_000)
    # within the cap, the budget still refuses what would not fit
    _refused_cheaply(lambda: service.forecast("alaska-2025", ["exchange"],
                                              params={"exchange": {"rounds": 10_000}},
                                              budget=Budget(max_bytes=50 * 2**20)),
                     "model 'exchange'", "rounds=10000", "limit")


def test_ktab_1000_actors_refused_before_any_allocation(sc_1000x10):
    e = _refused_cheaply(lambda: service.forecast(sc_1000x10, ["ktab_smp"]), "ktab_smp", "actors=1000", "GiB")
    assert "actors^3" in str(e)


def test_big_scenarios_refused_for_each_heavy_model(sc_1000x10):
    for name in ("exchange", "ktab_smp"):
        _refused_cheaply(lambda n=name: service.forecast(sc_1000x10, [n]), f"model {name!r}")
    # expected utility: n^3 per round and issue, about 200 s for 1,000 x 20
    with pytest.raises(BudgetError, match="would run for about"):
        service.DEFAULTS.budget.check(get_model("expected_utility").cost(1000, 20))


def test_one_models_refusal_is_a_note_in_a_multi_model_forecast(sc_1000x10):
    run = service.forecast(sc_1000x10, ["weighted_median", "ktab_smp", "nash"])
    assert [f.model for f in run.forecasts] == ["weighted_median", "nash"]
    assert len(run.notes) == 1 and "ktab_smp" in run.notes[0] and "limit" in run.notes[0]
    doc = service.forecast_document(run)
    assert doc["notes"] == list(run.notes)
    # the others draw the seeds they would have drawn with it
    alone = service.forecast(sc_1000x10, ["weighted_median", "nash"])
    assert [f.outcome.tolist() for f in run.forecasts] == [f.outcome.tolist() for f in alone.forecasts]


def test_a_model_refusing_the_scenario_is_a_note_too():
    # one actor per issue: valid, but the expected-utility model needs two on some issue
    data = big_data(2, 2)
    data["positions"] = [p for p in data["positions"] if p["actor"][1:] == p["issue"][1:]]
    sc = scenario_from_data(data, source="s.yaml")
    with pytest.raises(ScenarioError, match="at least two actors"):
        service.forecast(sc, ["expected_utility"])
    run = service.forecast(sc, ["weighted_mean", "expected_utility"])
    assert [f.model for f in run.forecasts] == ["weighted_mean"]
    assert "expected_utility" in run.notes[0] and "at least two actors" in run.notes[0]


def test_simulate_400x9_refused(sc_400x9):
    _refused_cheaply(lambda: service.simulate(sc_400x9, runs=10, seed=0), "simulation", "outcomes=1953125")


def test_monte_carlo_500x20_refused():
    sc = scenario_from_data(big_data(500, 20), source="big.yaml")
    _refused_cheaply(lambda: service.monte_carlo(sc, "weighted_median", draws=50_000, seed=0),
                     "Monte Carlo", "draws=50000", "chunk_size")


def test_sensitivity_50x4_4096_refused():
    require("SALib")
    sc = scenario_from_data(big_data(50, 4), source="big.yaml")
    _refused_cheaply(lambda: service.sensitivity(sc, "weighted_median", samples=4096, seed=0),
                     "sensitivity", "samples=4096", "inputs=")


def test_stage_max_steps_is_capped():
    data = big_data(3, 2, stages=True)
    data["stages"][0]["max_steps"] = 10**12
    with pytest.raises(ScenarioError) as e:
        scenario_from_data(data, source="s.yaml")
    assert "max_steps" in str(e.value) and "1000000" in str(e.value).replace("_", "").replace(",", "")


def test_simulator_options_are_capped():
    from detente.uncertainty.simulator import SimulatorModel

    with pytest.raises(ScenarioError, match="levels"):
        SimulatorModel(levels=10**9)
    with pytest.raises(ScenarioError, match="runs"):
        service.simulate("alaska-2025", runs=10**12)


def test_small_runs_still_pass_the_budget():
    assert len(service.forecast("alaska-2025").forecasts) == len(MODELS)
    assert service.simulate("alaska-2025", runs=20, seed=1).n_runs == 20


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    f = tmp_path_factory.mktemp("big") / "big.json"
    f.write_text(big_json(1000, 20), encoding="utf-8")
    return f


@pytest.mark.parametrize("model", ["exchange", "expected_utility", "ktab_smp"])
def test_cli_refuses_a_big_scenario_with_one_line(big_file, model):
    t = time.perf_counter()
    r = CliRunner().invoke(app, ["forecast", str(big_file), "-m", model])
    assert time.perf_counter() - t < 30
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert "BudgetError" in r.output and "limit" in r.output
    assert len([ln for ln in r.output.splitlines() if ln.strip()]) <= 3, r.output


def test_cli_multi_model_forecast_notes_the_refused_model(big_file):
    r = CliRunner().invoke(app, ["forecast", str(big_file), "-m", "weighted_median", "-m", "ktab_smp"])
    assert r.exit_code == 0, r.output
    assert "not run" in r.output and "ktab_smp" in r.output
