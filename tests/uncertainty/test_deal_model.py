"""deal_probability: the entry point every forecast uses."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.scenario.load import scenario_from_data
from detente.uncertainty.deal_model import (
    FEATURES,
    DealModel,
    deal_features,
    deal_probability,
    default_firmness,
    load_deal_model,
)


@pytest.fixture(scope="module")
def alaska():
    return load_scenario("alaska-2025")


def test_alaska_document(alaska):
    dp = deal_probability(alaska, seed=0)
    d = dp.to_dict()
    assert list(d)[:3] == ["deal_probability", "low", "high"]
    assert 0.0 < d["low"] <= d["deal_probability"] <= d["high"] < 1.0
    assert d["raw_structural_rate"] == dp.raw_structural_rate
    assert len(dp.drivers) == 3
    mags = [abs(x.contribution) for x in dp.drivers]
    assert mags == sorted(mags, reverse=True)
    frame = dp.to_frame()
    assert list(frame.columns) == ["scenario", "feature", "value", "contribution", "driver_rank"]
    assert frame["feature"].tolist() == list(load_deal_model().features)


def test_fast_and_reproducible(alaska):
    deal_probability(alaska, seed=1)
    t0 = time.perf_counter()
    a = deal_probability(alaska, seed=1)
    assert time.perf_counter() - t0 < 1.0
    b = deal_probability(alaska, seed=1)
    assert a.to_dict() == b.to_dict()
    assert deal_probability(alaska, seed=2).seed_entropy == 2


def test_interval_comes_from_parameters_not_draws(alaska):
    few = deal_probability(alaska, seed=0, draws=256)
    many = deal_probability(alaska, seed=0, draws=8192)
    assert few.high - few.low > 0.05
    assert many.high - many.low == pytest.approx(few.high - few.low, abs=0.05)


def test_known_value_from_a_hand_made_model(alaska):
    m = DealModel(features=FEATURES, firmness=1.0, veto_firmness=1.0, intercept=0.5,
                  coef=np.array([0.0, -1.0, 0.0, 0.0]), center=np.zeros(4),
                  boot=np.array([[0.5, 0.0, -1.0, 0.0, 0.0]] * 3))
    dp = deal_probability(alaska, seed=0, model=m)
    v = dp.features["red_line_violation"]
    assert dp.value == pytest.approx(1.0 / (1.0 + math.exp(-(0.5 - v))))
    assert dp.low == pytest.approx(dp.value) and dp.high == pytest.approx(dp.value)
    assert dp.drivers[0].feature == "red_line_violation"


def test_shipped_model_loads_and_default_firmness_is_a_probability():
    from detente.uncertainty.deal_model import CANDIDATE_FEATURES

    m = load_deal_model()
    assert m.features[:len(FEATURES)] == FEATURES  # the structural ones first, then candidates
    assert set(m.features) <= set(CANDIDATE_FEATURES)
    assert 0.0 <= default_firmness() <= 1.0
    assert m.boot.shape[1] == len(m.features) + 1


def _bare(**extra):
    data = {
        "name": "bare",
        "actors": [{"id": "a", "power": 1.0}, {"id": "b", "power": 1.0}],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 10}}],
        "positions": [{"actor": "a", "issue": "x", "position": 2.0, "salience": 0.5},
                      {"actor": "b", "issue": "x", "position": 8.0, "salience": 0.5}],
    }
    data.update(extra)
    return scenario_from_data(data, source="bare.yaml")


def test_no_red_lines_no_walk_away_still_gets_a_probability_with_notes():
    dp = deal_probability(_bare(), seed=0)
    assert 0.0 < dp.value < 1.0
    text = " ".join(dp.notes)
    assert "no binding red lines" in text and "no walk-away values" in text


def test_one_actor_gets_a_probability_with_a_note():
    sc = scenario_from_data({
        "name": "solo", "actors": [{"id": "a", "power": 1.0}],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 10}}],
        "positions": [{"actor": "a", "issue": "x", "position": 2.0, "salience": 0.5}],
    }, source="solo.yaml")
    dp = deal_probability(sc, seed=0)
    assert 0.0 < dp.value < 1.0
    assert any("one actor" in n for n in dp.notes)


def test_outcome_is_never_read(alaska):
    a = deal_features(alaska, firmness=0.5, seed=0)
    b = deal_features(alaska.without_outcome(), firmness=0.5, seed=0)
    assert np.array_equal(a.values, b.values)


def test_bad_draws_and_firmness_raise():
    with pytest.raises(ScenarioError, match="positive integer"):
        deal_probability(_bare(), draws=0)
    with pytest.raises(ScenarioError, match=r"\[0, 1\]"):
        deal_features(_bare(), firmness=1.5)


def test_accepts_a_builtin_name(alaska):
    assert deal_probability("alaska-2025", seed=0).to_dict() == deal_probability(alaska, seed=0).to_dict()


def test_frames_build_without_a_module_level_pandas(alaska):
    from detente.uncertainty.deal_model import features_frame

    feats = deal_features(alaska, firmness=1.0, seed=0)
    df = features_frame([feats])
    assert list(df.columns[:3]) == ["scenario", "firmness", "raw_structural_rate"]
    assert len(deal_probability(alaska, seed=0).to_frame()) == len(load_deal_model().features)


def test_simulator_feature_is_the_simulators_deal_rate(alaska):
    from detente.uncertainty.deal_model import (
        CANDIDATE_FEATURES,
        SIMULATOR_FEATURE,
        simulator_deal_rate,
    )

    k = len(CANDIDATE_FEATURES)
    coef = np.zeros(k)
    coef[-1] = 2.0
    m = DealModel(features=CANDIDATE_FEATURES, firmness=1.0, veto_firmness=1.0, intercept=-1.0,
                  coef=coef, center=np.zeros(k), boot=np.tile(np.r_[-1.0, coef], (3, 1)))
    dp = deal_probability(alaska, seed=0, model=m)
    rate = simulator_deal_rate(alaska, seed=0)
    assert 0.0 <= rate <= 1.0
    assert dp.features[SIMULATOR_FEATURE] == rate
    assert dp.value == pytest.approx(1.0 / (1.0 + math.exp(-(-1.0 + 2.0 * rate))))
    # the shipped model's features alone never run the simulator
    assert SIMULATOR_FEATURE not in deal_features(alaska, firmness=1.0, seed=0).as_dict()


def test_simulator_feature_uses_the_simulate_defaults():
    from detente.service import DEFAULTS
    from detente.uncertainty import deal_model

    assert (deal_model.SIMULATOR_RUNS, deal_model.SIMULATOR_STEPS, deal_model.SIMULATOR_LEVELS) == (
        DEFAULTS.runs, DEFAULTS.steps, DEFAULTS.levels)
    assert DEFAULTS.strategies == "mix" and DEFAULTS.protocol is None


def test_unknown_feature_is_named(alaska):
    with pytest.raises(ScenarioError, match="no_such") as e:
        deal_features(alaska, firmness=1.0, seed=0, features=["no_such"])
    assert e.value.field == "features"


def test_simulator_feature_refuses_a_huge_outcome_space_with_a_note():
    from detente.uncertainty.deal_model import simulator_deal_rate

    issues = [f"i{k}" for k in range(10)]  # 5 ** 10 outcomes: far over the cap
    sc = scenario_from_data({
        "name": "wide",
        "actors": [{"id": a, "power": 1.0} for a in "abc"],
        "issues": [{"id": i, "scale": {"min": 0, "max": 100}} for i in issues],
        "positions": [{"actor": a, "issue": i, "position": 10.0 * k, "salience": 0.5}
                      for k, a in enumerate("abc") for i in issues],
    }, source="wide.yaml")
    notes: list[str] = []
    t0 = time.perf_counter()
    assert math.isnan(simulator_deal_rate(sc, seed=0, notes=notes))
    assert time.perf_counter() - t0 < 1.0
    assert "9,765,625 outcomes" in notes[0] and "library average" in notes[0]
