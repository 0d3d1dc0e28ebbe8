"""Soft red lines: firmness in the schema, Bernoulli switches in the draws, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ScenarioError
from detente.models.weighted_mean import WeightedMean
from detente.scenario.load import scenario_from_data
from detente.uncertainty import build_perturbation, monte_carlo
from detente.uncertainty.deal import deal_flags


def _data(firmness=None, veto_firmness=None, veto=False, present=True) -> dict:
    """a at 80, b at 20 on 0-100; a's red line [60, 100], so the mean 50 breaks it."""
    rl = {"actor": "a", "issue": "x", "min": 60, "max": 100}
    if firmness is not None:
        rl["firmness"] = firmness
    b = {"id": "b", "power": 1.0}
    c = {"id": "c", "power": 0.0, "present": present, "veto": veto}
    if veto_firmness is not None:
        c["veto_firmness"] = veto_firmness
    return {
        "name": "soft",
        "actors": [{"id": "a", "power": 1.0}, b, c],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 100}}],
        "positions": [
            {"actor": "a", "issue": "x", "position": 80.0, "salience": 1.0},
            {"actor": "b", "issue": "x", "position": 20.0, "salience": 1.0},
            {"actor": "c", "issue": "x", "position": 50.0, "salience": 1.0},
        ],
        "red_lines": [rl],
    }


def _share(scenario, n=20000, seed=0, **kw) -> float:
    pert = build_perturbation(scenario, None, **kw)
    rng = np.random.default_rng(seed)
    arrays, cred = pert.from_unit(rng.random((n, pert.n_inputs)))
    out = WeightedMean().forecast_arrays(arrays)
    return float(deal_flags(arrays, out)[0].mean())


@pytest.mark.parametrize("bad", [1.4, -0.1, float("nan")])
def test_firmness_outside_unit_interval_names_field_and_value(bad):
    with pytest.raises(ScenarioError) as e:
        scenario_from_data(_data(firmness=bad), source="soft.yaml")
    msg = str(e.value)
    assert "red_lines[0].firmness" in msg and "[0, 1]" in msg and str(bad) in msg


def test_veto_firmness_out_of_range_and_without_veto():
    with pytest.raises(ScenarioError, match=r"actors\[2\]\.veto_firmness.*\[0, 1\].*2"):
        scenario_from_data(_data(veto_firmness=2, veto=True, present=False), source="s.yaml")
    with pytest.raises(ScenarioError, match="veto_firmness.*holds no veto"):
        scenario_from_data(_data(veto_firmness=0.5), source="s.yaml")


def test_default_firmness_argument_is_checked():
    sc = scenario_from_data(_data(), source="s.yaml")
    with pytest.raises(ScenarioError, match="must lie in") as e:
        build_perturbation(sc, None, firmness=1.5)
    assert e.value.field == "firmness"


def test_hard_by_default_and_no_extra_columns():
    sc = scenario_from_data(_data(), source="s.yaml")
    pert = build_perturbation(sc, None, noise={"position": 5})
    assert not any("binds" in n for n in pert.names)
    assert _share(sc) == 0.0
    # firmness 1 is a hard line: no column, the same design as before
    assert build_perturbation(sc, None, noise={"position": 5}, firmness=1.0).names == pert.names


@pytest.mark.parametrize("f", [0.0, 0.3, 0.8])
def test_red_line_binds_with_probability_firmness(f):
    sc = scenario_from_data(_data(firmness=f), source="s.yaml")
    assert build_perturbation(sc, None).names == ("red_line.binds[a,x]",)
    # the mean (50) breaks the line exactly when it binds
    assert _share(sc) == pytest.approx(1.0 - f, abs=0.015)


def test_scenario_firmness_beats_the_default():
    sc = scenario_from_data(_data(firmness=1.0), source="s.yaml")
    assert _share(sc, firmness=0.0) == 0.0
    sc2 = scenario_from_data(_data(), source="s.yaml")
    assert _share(sc2, firmness=0.0) == 1.0


def test_absent_veto_holder_binds_with_veto_firmness():
    data = _data(veto=True, present=False, veto_firmness=0.25)
    data["red_lines"] = [{"actor": "c", "issue": "x", "min": 0, "max": 40, "firmness": 1.0}]
    sc = scenario_from_data(data, source="s.yaml")
    pert = build_perturbation(sc, None)
    assert pert.names == ("veto.binds[c]",)
    assert _share(sc) == pytest.approx(0.75, abs=0.015)


def test_absent_actor_without_veto_gets_no_switch():
    data = _data(present=False)
    data["red_lines"].append({"actor": "c", "issue": "x", "min": 0, "max": 40})
    sc = scenario_from_data(data, source="s.yaml")
    assert build_perturbation(sc, None, firmness=0.5).names == ("red_line.binds[a,x]",)


def test_same_seed_same_numbers_on_every_chunk_size():
    sc = scenario_from_data(_data(firmness=0.4), source="s.yaml")
    a = monte_carlo(sc, "weighted_mean", draws=9000, seed=7, noise={"position": 5},
                    chunk_size=4096)
    b = monte_carlo(sc, "weighted_mean", draws=9000, seed=7, noise={"position": 5},
                    chunk_size=65536, workers=2)
    assert a.deal_probability == b.deal_probability
    assert np.array_equal(a.draws, b.draws)
    assert 0.5 < a.deal_probability < 0.7


def test_open_red_line_does_not_shrink_the_margin():
    sc = scenario_from_data(_data(firmness=0.0), source="s.yaml")
    pert = build_perturbation(sc, None)
    arrays, _ = pert.from_unit(np.zeros((1, 1)))
    # outcome at the scale's edge: an opened line gives no slack, so the margin is not 0
    margin = deal_flags(arrays, np.array([[0.0]]))[4]
    assert margin[0] == 1.0


def test_prepare_applies_the_fitted_default():
    from detente.uncertainty.deal_model import default_firmness
    from detente.uncertainty.montecarlo import prepare

    sc = scenario_from_data(_data(), source="s.yaml")
    _, pert = prepare(sc)
    has_switch = any("binds" in n for n in pert.names)
    assert has_switch == (default_firmness() < 1.0)
    _, soft = prepare(sc, firmness=0.5)
    assert soft.names == ("red_line.binds[a,x]",)


@settings(max_examples=30, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_firmness_is_accepted_exactly_on_the_unit_interval(f):
    if 0.0 <= f <= 1.0:
        sc = scenario_from_data(_data(firmness=f), source="s.yaml")
        assert sc.red_lines[0].firmness == f
    else:
        with pytest.raises(ScenarioError, match=r"red_lines\[0\]\.firmness"):
            scenario_from_data(_data(firmness=f), source="s.yaml")
