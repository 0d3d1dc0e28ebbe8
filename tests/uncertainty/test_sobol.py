"""Sobol and Morris: analytic Ishigami indices and a scenario with one decisive actor."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.extras import require

require("SALib")

from detente import ScenarioError  # noqa: E402
from detente.scenario.load import scenario_from_data  # noqa: E402
from detente.uncertainty import SensitivityResult, sensitivity, sobol_indices  # noqa: E402
from detente.uncertainty.distributions import Uniform  # noqa: E402
from detente.uncertainty.sobol import DEAL_MARGIN, InputSet  # noqa: E402

from .conftest import dominant_data, two_actor_data  # noqa: E402

A, B = 7.0, 0.1


def ishigami(x: np.ndarray) -> dict[str, np.ndarray]:
    return {"y": np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])}


def ishigami_analytic():
    """Ishigami & Homma (1990); Sobol' & Levitan (1999): closed-form variances."""
    pi = np.pi
    v1 = 0.5 * (1 + B * pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_matches_analytic_within_salib_ci():
    inputs = InputSet(("x1", "x2", "x3"), (Uniform(-np.pi, np.pi),) * 3)
    r = sobol_indices(inputs, ishigami, samples=4096, seed=12345, num_resamples=200)
    s1, st = ishigami_analytic()
    assert r.outputs == ("y",) and r.inputs == ("x1", "x2", "x3")
    np.testing.assert_array_less(np.abs(r.S1[0] - s1), r.S1_conf[0] + 1e-3)
    np.testing.assert_array_less(np.abs(r.ST[0] - st), r.ST_conf[0] + 1e-3)
    assert r.ranking("y") == ["x1", "x2", "x3"]


def test_ishigami_second_order():
    inputs = InputSet(("x1", "x2", "x3"), (Uniform(-np.pi, np.pi),) * 3)
    r = sobol_indices(inputs, ishigami, samples=4096, seed=7, second_order=True)
    _, st = ishigami_analytic()
    s13 = st[2]  # x3 acts only through its interaction with x1
    assert abs(r.S2[0, 0, 2] - s13) < r.S2_conf[0, 0, 2] + 1e-2
    assert abs(r.S2[0, 0, 1]) < r.S2_conf[0, 0, 1] + 1e-2
    df = r.to_frame("second_order")
    assert list(df.columns) == ["model", "scenario", "output", "input_1", "input_2", "S2", "S2_conf"]
    assert len(df) == 3


def _dominant():
    return scenario_from_data(dominant_data(), source="dominant.yaml")


@pytest.mark.parametrize("model", ["weighted_mean", "weighted_median"])
def test_decisive_actor_ranks_first_sobol(model):
    r = sensitivity(_dominant(), model, samples=256, seed=1, noise={"position": 10, "salience": 0.2})
    for k in ("i0", "i1"):
        assert r.ranking(k)[0] == f"position[a2,{k}]", r.to_frame().head()
    g = sensitivity(_dominant(), model, samples=256, seed=1, noise={"position": 10, "salience": 0.2},
                    groups="actor")
    assert g.inputs == ("a0", "a1", "a2", "a3", "a4")
    for k in ("i0", "i1"):
        assert g.ranking(k)[0] == "a2"
        assert g.ST[g.outputs.index(k), 2] > 0.9


def test_decisive_actor_ranks_first_morris():
    r = sensitivity(_dominant(), "weighted_mean", method="morris", samples=40, seed=2,
                    noise={"position": 10})
    for k in ("i0", "i1"):
        assert r.ranking(k)[0] == f"position[a2,{k}]"
    df = r.to_frame()
    assert list(df.columns) == ["model", "scenario", "output", "input", "rank", "mu_star",
                                "mu_star_conf", "mu", "sigma"]


def test_deal_outputs_and_constant_output_note():
    sc = scenario_from_data(two_actor_data(red_lines=[{"actor": "b", "issue": "x", "min": 0, "max": 25}]),
                            source="two.yaml")
    spec = {"inputs": [
        {"field": "position", "actor": "a", "issue": "x", "dist": "uniform", "low": 0, "high": 100},
        {"field": "salience", "actor": "b", "issue": "x", "dist": "uniform", "low": 0.99, "high": 1.0},
    ]}
    r = sensitivity(sc, "weighted_mean", samples=256, seed=3, uncertainty=spec, firmness=1.0)
    assert r.outputs == ("x", "deal", DEAL_MARGIN)
    assert abs(r.output_mean[1] - 0.5) < 0.05
    assert r.ranking("deal")[0] == "position[a,x]"
    assert r.ranking(DEAL_MARGIN)[0] == "position[a,x]"
    # with b's red line out of reach, the deal indicator is constant: NaN indices and a note
    never = scenario_from_data(two_actor_data(red_lines=[{"actor": "b", "issue": "x", "min": 90, "max": 100}]),
                               source="two.yaml")
    r = sensitivity(never, "weighted_mean", samples=64, seed=3, uncertainty=spec, firmness=1.0)
    k = r.outputs.index("deal")
    assert np.all(np.isnan(r.ST[k])) and any("deal: constant" in n for n in r.notes)


def test_same_seed_same_indices_and_result_shape(alaska):
    kw = dict(samples=64, seed=9, noise={"position": 10})
    a = sensitivity(alaska, "weighted_mean", **kw)
    b = sensitivity(alaska, "weighted_mean", **kw)
    np.testing.assert_array_equal(a.ST, b.ST)
    np.testing.assert_array_equal(a.ST_conf, b.ST_conf)
    assert isinstance(a, SensitivityResult)
    assert a.n_evaluations == 64 * (len(a.inputs) + 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.method = "morris"  # type: ignore[misc]
    df = a.to_frame()
    assert list(df.columns) == ["model", "scenario", "output", "input", "rank", "S1", "S1_conf",
                                "ST", "ST_conf"]
    assert len(df) == len(a.outputs) * len(a.inputs)
    s = a.summary(top=3)
    assert len(s["outputs"]["territory"]["ranked"]) == 3


@pytest.mark.parametrize("kw, field", [
    ({"samples": 0}, "samples"), ({"method": "fast"}, "method"), ({"groups": "issue"}, "groups"),
    ({"conf_level": 1.5}, "conf_level"), ({"num_levels": 3, "method": "morris"}, "num_levels"),
])
def test_bad_options(alaska, kw, field):
    with pytest.raises(ScenarioError) as e:
        sensitivity(alaska, "weighted_mean", noise={"position": 10}, **kw)
    assert e.value.field == field


def test_no_inputs_is_an_error(alaska):
    # with hard red lines (firmness 1) and no noise nothing is uncertain; at the fitted firmness
    # each red line's binding is an input itself
    with pytest.raises(ScenarioError) as e:
        sensitivity(alaska, "weighted_mean", samples=8, firmness=1.0)
    assert e.value.field == "uncertainty"
