"""Uncertainty input: loading, and every bad input rejected by name before any work."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from detente import ScenarioError
from detente.scenario.load import scenario_from_data
from detente.uncertainty import (
    build_perturbation,
    load_scenario_with_uncertainty,
    load_uncertainty,
    monte_carlo,
)
from detente.uncertainty.backends import DaskBackend

from .conftest import two_actor_data


def _inp(**kw):
    base = {"field": "position", "actor": "a", "issue": "x", "dist": "normal", "sd": 5}
    base.update(kw)
    return {"inputs": [base]}


@pytest.mark.parametrize(
    "entry, field, words",
    [
        ({"sd": -1}, "sd", "> 0"),
        ({"sd": 0}, "sd", "> 0"),
        ({"sd": None}, "sd", "needs 'sd'"),
        ({"low": 60, "high": 40}, "low", "below high"),
        ({"low": -5}, "low", "valid range"),
        ({"dist": "uniform", "sd": None, "low": 80, "high": 20}, "low", "below high"),
        ({"dist": "beta", "sd": None, "a": 0, "b": 2}, "a", "> 0"),
        ({"dist": "beta", "sd": None, "a": 2, "b": -1}, "b", "> 0"),
        ({"dist": "triangular", "sd": None, "low": 10, "mode": 90, "high": 50}, "mode", "[low, high]"),
        ({"dist": "discrete", "sd": None, "values": [1, 2], "weights": [1]}, "weights", "one weight"),
        ({"dist": "discrete", "sd": None, "values": [1, 200]}, "values", "valid range"),
        ({"dist": "discrete", "sd": None, "values": [1, 2], "weights": [0, 0]}, "weights", "positive sum"),
        ({"field": "veto", "issue": None}, "field", "not a numeric field"),
        ({"field": "present"}, "field", "not a numeric field"),
        ({"field": "status_quo"}, "field", "cannot be uncertain"),
        ({"field": "colour"}, "field", "unknown field"),
        ({"actor": "zz"}, "actor", "unknown actor"),
        ({"issue": "zz"}, "issue", "unknown issue"),
        ({"field": "red_line.min"}, "issue", "no red line"),
        ({"field": "walk_away", "issue": None}, "actor", "no walk-away"),
        ({"field": "credibility", "threat": 0}, "field", "no threats"),
        ({"field": "salience", "dist": "uniform", "sd": None, "low": 0.5, "high": 1.5}, "high", "valid range"),
        ({"field": "power", "issue": None, "dist": "uniform", "sd": None}, "high", "finite"),
        ({"dist": "gamma"}, "dist", "normal"),
    ],
)
def test_bad_input_names_the_field(two_actor, entry, field, words):
    with pytest.raises(ScenarioError) as e:
        build_perturbation(two_actor, _inp(**entry))
    err = e.value
    assert err.field == field, str(err)
    assert "uncertainty.inputs[0]" in str(err)
    assert words in str(err)


def test_duplicate_input(two_actor):
    spec = {"inputs": [_inp()["inputs"][0], _inp(sd=3)["inputs"][0]]}
    with pytest.raises(ScenarioError, match=r"inputs\[1\].*already has a distribution"):
        build_perturbation(two_actor, spec)


def test_negative_noise_rejected(two_actor):
    with pytest.raises(ScenarioError) as e:
        build_perturbation(two_actor, {"noise": {"position": -3}})
    assert e.value.field == "position"


@pytest.mark.parametrize("opt, value", [("draws", 0), ("draws", -5), ("draws", 2.5), ("chunk_size", 0)])
def test_bad_run_options(two_actor, opt, value):
    with pytest.raises(ScenarioError) as e:
        monte_carlo(two_actor, "weighted_mean", noise={"position": 5}, **{opt: value})
    assert e.value.field == opt


def test_bad_backend_and_scheduler(two_actor):
    with pytest.raises(ScenarioError) as e:
        monte_carlo(two_actor, "weighted_mean", draws=10, backend="spark")
    assert e.value.field == "backend"
    with pytest.raises(ScenarioError) as e:
        monte_carlo(two_actor, "weighted_mean", draws=10, backend="dask", scheduler="localhost")
    assert e.value.field == "scheduler" and "tcp://HOST:PORT" in str(e.value)


def test_unreachable_scheduler_fails_before_work(two_actor):
    class Spy:
        name = "spy"
        calls = 0

        def forecast_arrays(self, arrays, *, rng=None):
            Spy.calls += 1
            return arrays.filled_position()[..., 0, :]

    with pytest.raises(ScenarioError) as e:
        monte_carlo(two_actor, Spy(), draws=10, noise={"position": 5},
                    backend=DaskBackend("tcp://127.0.0.1:9", timeout=1))
    assert e.value.field == "scheduler" and "cannot reach" in str(e.value)
    assert Spy.calls == 0


def test_inline_section_and_separate_file(tmp_path):
    unc = {"noise": {"salience": 0.1},
           "inputs": [{"field": "position", "actor": "a", "issue": "x", "dist": "uniform",
                       "low": 0, "high": 100}]}
    f = tmp_path / "two.yaml"
    f.write_text(yaml.safe_dump({**two_actor_data(), "uncertainty": unc}))
    sc, spec = load_scenario_with_uncertainty(f)
    assert sc.name == "two" and spec is not None and spec.noise.salience == 0.1
    p = build_perturbation(sc, spec)
    assert p.names == ("salience[a,x]", "salience[b,x]", "position[a,x]")
    g = tmp_path / "unc.yaml"
    g.write_text(yaml.safe_dump({"uncertainty": unc}))
    assert load_uncertainty(g) == spec.model_copy(update={"source": "unc.yaml"})


def test_inline_section_errors_name_the_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump({**two_actor_data(), "uncertainty": {"inputs": [{"field": "position"}]}}))
    with pytest.raises(ScenarioError) as e:
        load_scenario_with_uncertainty(f)
    assert "bad.yaml" in str(e.value) and e.value.field == "dist"


def test_explicit_input_replaces_noise(two_actor):
    p = build_perturbation(two_actor, _inp(dist="uniform", sd=None, low=0, high=10),
                           noise={"position": 5})
    assert p.names == ("position[b,x]", "position[a,x]")
    x = p.values(np.random.default_rng(0).random((1000, 2)))
    assert x[:, 1].min() >= 0 and x[:, 1].max() <= 10


def test_noise_draws_stay_in_valid_ranges(alaska):
    p = build_perturbation(alaska, noise={"position": 30, "salience": 0.9, "power": 2.0,
                                           "red_line": 40, "walk_away": 0.5, "credibility": 0.8})
    arrays, cred = p.draw(5000, np.random.default_rng(3))
    a = p.base
    pos = arrays.position[:, a.stake]
    assert np.all((pos >= 0) & (pos <= 100))
    assert np.all((arrays.salience >= 0) & (arrays.salience <= 1))
    assert np.all(arrays.power >= 0)
    assert np.all((arrays.red_low >= 0) & (arrays.red_high <= 100))
    assert np.all((arrays.walk_utility >= 0) & (arrays.walk_utility <= 1))
    assert np.all((cred >= 0) & (cred <= 1))
    # expert noise touches only red-line bounds that are set (not the scale's edge)
    assert "red_line.max[russia,territory]" not in p.names
    assert "red_line.min[russia,territory]" in p.names


def test_scenario_without_walk_away_positions_rejects_issue_form():
    sc = scenario_from_data(two_actor_data(walk_away=[{"actor": "a", "utility": 0.5}]), source="w.yaml")
    with pytest.raises(ScenarioError) as e:
        build_perturbation(sc, _inp(field="walk_away"))
    assert e.value.field == "issue" and "walk-away position" in str(e.value)
    p = build_perturbation(sc, _inp(field="walk_away", issue=None, sd=0.1))
    assert p.names == ("walk_away[a]",)


def test_vectorised_normal_path_equals_each_inputs_ppf(alaska):
    """Perturbation.values folds all truncated normals into one ndtri call; it must equal each
    input's own inverse CDF (which test_distributions checks against scipy.stats)."""
    spec = {"noise": {"position": 15, "salience": 0.5, "red_line": 10, "credibility": 0.3},
            "inputs": [{"field": "power", "actor": "usa", "dist": "triangular", "low": 50, "high": 150},
                       {"field": "walk_away", "actor": "usa", "dist": "beta", "a": 2, "b": 3}]}
    p = build_perturbation(alaska, spec)
    u = np.random.default_rng(5).random((500, p.n_inputs))
    x = p.values(u)
    expect = np.column_stack([inp.dist.ppf(u[:, j]) for j, inp in enumerate(p.inputs)])
    np.testing.assert_allclose(x, expect, rtol=1e-12, atol=1e-10)
    arrays, cred = p.arrays_from_values(x)
    j = p.names.index("power[usa]")
    np.testing.assert_array_equal(arrays.power[:, 0], x[:, j])
    j = p.names.index("credibility[usa->russia]")
    np.testing.assert_array_equal(cred[:, 0], x[:, j])


def _scaled(width: float):
    from detente.scenario.load import scenario_from_data

    return scenario_from_data({
        "name": "scaled",
        "actors": [{"id": "a", "power": 1}, {"id": "b", "power": 1}],
        "issues": [{"id": "i", "scale": {"min": 0, "max": width}}],
        "positions": [{"actor": "a", "issue": "i", "position": 0.3 * width, "salience": 0.5},
                      {"actor": "b", "issue": "i", "position": 0.6 * width, "salience": 0.5}],
        "red_lines": [{"actor": "a", "issue": "i", "min": 0, "max": 0.5 * width}],
    }, source="scaled.yaml")


def test_relative_noise_is_the_same_fraction_of_any_scale():
    import numpy as np

    draws = {}
    for width in (20.0, 20_000.0):
        p = build_perturbation(_scaled(width), {"noise": {"position": 0.05, "red_line": 0.05,
                                                          "relative": True}})
        arrays, _ = p.draw(2000, np.random.default_rng(1))
        draws[width] = (arrays.position / width, arrays.red_high / width)
    for a, b in zip(draws[20.0], draws[20_000.0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    spread = draws[20.0][0][:, 0, 0].std()
    assert 0.04 < spread < 0.06  # 5% of the scale, whatever its width


def test_point_noise_is_in_scale_points():
    import numpy as np

    p = build_perturbation(_scaled(20_000.0), {"noise": {"position": 5.0}})
    arrays, _ = p.draw(2000, np.random.default_rng(1))
    assert arrays.position[:, 0, 0].std() < 10  # 5 points on a 20,000-point scale
