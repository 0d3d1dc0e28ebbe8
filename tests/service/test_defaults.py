"""One set of defaults: the CLI options, the API schemas and the service's Python entry points
all take their values from ``detente.service.DEFAULTS``."""

from __future__ import annotations

import inspect

import pytest
import typer

from detente import service
from detente.commands import backtest, forecast, influence, report, sensitivity, simulate, track
from detente.service import DEFAULTS
from tests.extras import require


def _cli_default(fn, name):
    default = inspect.signature(fn).parameters[name].default
    return default.default if isinstance(default, typer.models.ParameterInfo) else default


def _py_default(fn, name):
    return inspect.signature(fn).parameters[name].default


@pytest.mark.parametrize(("cmd", "param", "value"), [
    (forecast.forecast_cmd, "scenario", DEFAULTS.scenario),
    (forecast.forecast_cmd, "seed", DEFAULTS.forecast_seed),
    (report.report_cmd, "seed", DEFAULTS.forecast_seed),
    (simulate.simulate_cmd, "runs", DEFAULTS.runs),
    (simulate.simulate_cmd, "protocol", DEFAULTS.protocol),
    (simulate.simulate_cmd, "strategies", DEFAULTS.strategies),
    (simulate.simulate_cmd, "steps", DEFAULTS.steps),
    (simulate.simulate_cmd, "levels", DEFAULTS.levels),
    (simulate.simulate_cmd, "chunk_size", DEFAULTS.sim_chunk_size),
    (simulate.simulate_cmd, "seed", None),
    (sensitivity.montecarlo_cmd, "draws", DEFAULTS.draws),
    (sensitivity.montecarlo_cmd, "model", [DEFAULTS.uncertainty_model]),  # -m is repeatable
    (sensitivity.montecarlo_cmd, "chunk_size", DEFAULTS.mc_chunk_size),
    (sensitivity.montecarlo_cmd, "seed", None),
    (sensitivity.sensitivity_cmd, "samples", DEFAULTS.samples),
    (sensitivity.sensitivity_cmd, "model", DEFAULTS.uncertainty_model),
    (sensitivity.sensitivity_cmd, "method", DEFAULTS.method),
    (backtest.backtest_cmd, "seed", DEFAULTS.backtest_seed),
    (backtest.backtest_cmd, "n_boot", DEFAULTS.n_boot),
    (backtest.backtest_cmd, "level", DEFAULTS.level),
    (backtest.backtest_cmd, "score_n_boot", DEFAULTS.score_n_boot),
    (influence.influence_cmd, "grid", DEFAULTS.influence_grid),
    (influence.influence_cmd, "seed", DEFAULTS.forecast_seed),
    (track.track_cmd, "seed", DEFAULTS.forecast_seed),
])
def test_cli_uses_the_shared_defaults(cmd, param, value):
    assert _cli_default(cmd, param) == value


@pytest.mark.parametrize(("fn", "param", "value"), [
    (service.forecast, "seed", DEFAULTS.forecast_seed),
    (service.build_report, "seed", DEFAULTS.forecast_seed),
    (service.simulate, "runs", DEFAULTS.runs),
    (service.simulate, "protocol", DEFAULTS.protocol),
    (service.simulate, "strategies", DEFAULTS.strategies),
    (service.simulate, "steps", DEFAULTS.steps),
    (service.simulate, "levels", DEFAULTS.levels),
    (service.simulate, "chunk_size", DEFAULTS.sim_chunk_size),
    (service.simulate, "seed", None),
    (service.monte_carlo, "draws", DEFAULTS.draws),
    (service.monte_carlo, "model", DEFAULTS.uncertainty_model),
    (service.monte_carlo, "chunk_size", DEFAULTS.mc_chunk_size),
    (service.monte_carlo, "seed", None),
    (service.sensitivity, "samples", DEFAULTS.samples),
    (service.sensitivity, "model", DEFAULTS.uncertainty_model),
    (service.sensitivity, "method", DEFAULTS.method),
    (service.backtest, "seed", DEFAULTS.backtest_seed),
    (service.backtest, "n_boot", DEFAULTS.n_boot),
    (service.backtest, "level", DEFAULTS.level),
    (service.backtest_scores, "seed", DEFAULTS.backtest_seed),
    (service.backtest_scores, "n_boot", DEFAULTS.score_n_boot),
    (service.influence, "grid", DEFAULTS.influence_grid),
    (service.influence, "seed", DEFAULTS.forecast_seed),
    (service.track, "seed", DEFAULTS.forecast_seed),
    (service.compare, "seed", DEFAULTS.forecast_seed),
])
def test_python_uses_the_shared_defaults(fn, param, value):
    assert _py_default(fn, param) == value


def test_api_uses_the_shared_defaults():
    require("fastapi")
    from detente.api import schemas as S

    def d(model, name):
        return model.model_fields[name].get_default(call_default_factory=True)

    assert d(S.ForecastRequest, "seed") == DEFAULTS.forecast_seed
    assert d(S.ReportRequest, "seed") == DEFAULTS.forecast_seed
    assert d(S.SimulateRequest, "runs") == DEFAULTS.runs
    assert d(S.SimulateRequest, "protocol") == DEFAULTS.protocol
    assert d(S.SimulateRequest, "steps") == DEFAULTS.steps
    assert d(S.SimulateRequest, "strategies") is None  # None: the service's DEFAULTS.strategies
    assert d(S.SimulateRequest, "seed") is None
    assert d(S.MonteCarloRequest, "draws") == DEFAULTS.draws
    assert d(S.MonteCarloRequest, "model") == DEFAULTS.uncertainty_model
    assert d(S.MonteCarloRequest, "noise") is None  # None: the service's DEFAULTS.noise
    assert d(S.SensitivityRequest, "samples") == DEFAULTS.samples
    assert d(S.SensitivityRequest, "model") == DEFAULTS.uncertainty_model
    assert d(S.SensitivityRequest, "method") == DEFAULTS.method
    assert d(S.SimulatorOptions, "strategies") == DEFAULTS.strategies
    assert d(S.SimulatorOptions, "steps") == DEFAULTS.steps
    assert d(S.SimulatorOptions, "levels") == DEFAULTS.levels
    assert d(S.InfluenceRequest, "grid") == DEFAULTS.influence_grid
    assert d(S.InfluenceRequest, "seed") == DEFAULTS.forecast_seed
    assert d(S.InfluenceRequest, "models") is None  # None: the service's DEFAULTS.influence_models
    assert d(S.WhatIfRequest, "seed") == DEFAULTS.forecast_seed
    assert d(S.TrackRequest, "seed") == DEFAULTS.forecast_seed


def test_strategies_default_mix_and_noise_default():
    pairs = service.strategy_spec(None, 2)
    assert pairs == service.strategy_spec(DEFAULTS.strategies, 2) and len(pairs) == 25
    from detente.service.uncertainty import resolve_noise

    noise, note = resolve_noise(None, has_section=False)
    assert noise == {**DEFAULTS.noise, "shape": "normal"} and "inter-coder noise" in note
    assert resolve_noise(None, has_section=True) == (None, "")
    assert resolve_noise({"position": 3.0}, has_section=False) == ({"position": 3.0}, "")


def test_defaults_are_frozen():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.runs = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULTS.noise["position"] = 1.0  # type: ignore[index]
