"""The one seeding rule of detente.service: same seed, same document; None draws fresh
entropy, records it, and passing it back repeats the run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente import ScenarioError, service

# KTAB's SMP with stochastic state transitions: its outcome depends on the generator it gets
MODELS = ["weighted_mean", "ktab_smp"]
PARAMS = {"ktab_smp": {"state_transitions": "Stochastic"}}


def _run(seed):
    return service.forecast("alaska-2025", MODELS, params=PARAMS, seed=seed)


def _doc(seed):
    return service.forecast_document(_run(seed))


def test_same_seed_same_document():
    assert json.dumps(_doc(7)) == json.dumps(_doc(7))
    assert _doc(7)["seed_entropy"] == 7


def test_default_seed_is_zero_as_the_cli_always_did():
    assert service.DEFAULTS.forecast_seed == 0
    assert _doc(0) == service.forecast_document(service.forecast("alaska-2025", MODELS, params=PARAMS))


def test_none_draws_fresh_entropy_recorded_in_the_document():
    a, b = _doc(None), _doc(None)
    assert isinstance(a["seed_entropy"], int) and a["seed_entropy"] != b["seed_entropy"]
    assert a["forecasts"][1]["outcome"] != b["forecasts"][1]["outcome"]
    assert _doc(a["seed_entropy"]) == a  # the recorded entropy repeats the run


def test_model_k_draws_from_child_k():
    from detente import get_model

    run = _run(11)
    kid = np.random.SeedSequence(11).spawn(2)[1]
    sc = run.scenario.without_outcome()
    ref = get_model("ktab_smp", **PARAMS["ktab_smp"]).forecast(sc, rng=np.random.default_rng(kid))
    np.testing.assert_array_equal(run.forecasts[1].outcome, ref.outcome)


def test_resolve_seed():
    assert service.resolve_seed(5) == 5
    ss = np.random.SeedSequence(3)
    assert service.resolve_seed(ss) is ss
    assert isinstance(service.resolve_seed(None), int)
    for bad in (True, -1, 1.5, "3"):
        with pytest.raises(ScenarioError, match="seed"):
            service.resolve_seed(bad)


def test_monte_carlo_none_records_entropy_that_repeats():
    run = service.monte_carlo("alaska-2025", "weighted_mean", draws=500, seed=None)
    again = service.monte_carlo("alaska-2025", "weighted_mean", draws=500, seed=run.result.seed_entropy)
    assert again.result.deal_probability == run.result.deal_probability
    np.testing.assert_array_equal(again.result.mean, run.result.mean)
