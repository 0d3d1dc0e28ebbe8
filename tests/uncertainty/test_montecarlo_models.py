"""Monte Carlo of several models at once: Python (MonteCarloResults) and ``montecarlo -m A -m B``."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente import monte_carlo
from detente.cli import app
from detente.errors import ScenarioError
from detente.uncertainty import MonteCarloResult, MonteCarloResults

NOISE = {"position": 10, "salience": 0.2}


def test_a_list_of_models_gives_one_result_each_on_the_same_draws():
    res = monte_carlo("alaska-2025", ["weighted_mean", "weighted_median"], draws=3000, seed=11, noise=NOISE)
    assert isinstance(res, MonteCarloResults)
    assert res.models == ("weighted_mean", "weighted_median") and len(res) == 2
    for name in res.models:
        alone = monte_carlo("alaska-2025", name, draws=3000, seed=11, noise=NOISE)
        assert isinstance(alone, MonteCarloResult)
        got = res[name]
        np.testing.assert_array_equal(got.mean, alone.mean)
        np.testing.assert_array_equal(got.quantiles, alone.quantiles)
        assert got.deal_probability == alone.deal_probability
        assert got.seed_entropy == alone.seed_entropy == 11
    assert not np.array_equal(res[0].mean, res[1].mean)  # two models, not one twice
    df = res.to_frame()
    assert set(df["model"]) == {"weighted_mean", "weighted_median"}
    assert list(df.columns) == list(res[0].to_frame().columns)
    assert set(res.deal_probability) == set(res.models)
    assert res.summary()["models"] == ["weighted_mean", "weighted_median"]


def test_fresh_entropy_is_shared_by_every_model():
    res = monte_carlo("alaska-2025", ["weighted_mean", "weighted_median"], draws=100, noise=NOISE)
    assert res[0].seed_entropy == res[1].seed_entropy == res.seed_entropy
    again = monte_carlo("alaska-2025", "weighted_median", draws=100, noise=NOISE, seed=res.seed_entropy)
    np.testing.assert_array_equal(again.mean, res["weighted_median"].mean)


@pytest.mark.parametrize("models", [[], ["weighted_mean", "weighted_mean"]])
def test_an_empty_or_repeated_list_is_refused(models):
    with pytest.raises(ScenarioError, match="model"):
        monte_carlo("alaska-2025", models, draws=10, seed=1)


def test_unknown_name_in_result_lookup():
    res = monte_carlo("alaska-2025", ["weighted_mean", "weighted_median"], draws=50, seed=1, noise=NOISE)
    with pytest.raises(KeyError, match="weighted_mean, weighted_median"):
        res["nash"]


def test_cli_runs_every_model_given():
    runner = CliRunner()
    args = ["montecarlo", "alaska-2025", "-m", "weighted_mean", "-m", "weighted_median", "-n", "2000", "--seed", "4"]
    r = runner.invoke(app, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["models"] == ["weighted_mean", "weighted_median"]
    assert [x["model"] for x in doc["results"]] == doc["models"]
    alone = json.loads(runner.invoke(app, [*args[:2], "-m", "weighted_mean", *args[6:], "--format", "json"]).stdout)
    assert doc["results"][0]["issues"] == alone["issues"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "weighted_mean, 2,000 draws" in r.output and "weighted_median, 2,000 draws" in r.output
    assert "Probability of a deal by model" in r.output
    r = runner.invoke(app, [*args, "--format", "csv"])
    assert r.exit_code == 0 and "weighted_median" in r.stdout and "weighted_mean" in r.stdout
    r = runner.invoke(app, ["montecarlo", "-m", "weighted_mean", "-m", "weighted_mean", "-n", "10"])
    assert r.exit_code == 2 and "repeated" in r.output
    r = runner.invoke(app, ["montecarlo", "-m", "weighted_mean", "-m", "nash", "--steps", "5", "-n", "10"])
    assert r.exit_code == 2 and "--steps" in r.output
