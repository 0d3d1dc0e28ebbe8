"""The scored track record: out of sample by case, reproducible, with the documented keys."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from detente.backtest.calibration import FeatureTable, loo_deal_forecasts
from detente.backtest.cases import case_from_scenario
from detente.backtest.ensemble import (
    ENSEMBLE,
    PointTable,
    ensemble_weights,
    loo_point_forecasts,
)
from detente.backtest.track_record import TrackRecord, score_cases
from detente.scenario.load import scenario_from_data


def _case(k: int, deal: bool, value: float):
    rng = np.random.default_rng(k)
    pos = rng.uniform(0, 100, size=(3, 2)).round(1)
    data = {
        "name": f"case{k}",
        "actors": [{"id": a, "power": float(p)} for a, p in zip("abc", (1, 2, 3), strict=True)],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 100}},
                   {"id": "y", "scale": {"min": 0, "max": 10}}],
        "positions": [{"actor": a, "issue": i, "salience": 0.5,
                       "position": float(pos[n, j] if i == "x" else pos[n, j] / 10)}
                      for n, a in enumerate("abc") for j, i in enumerate("xy")],
        "walk_away": [{"actor": "a", "utility": float(rng.uniform(0.3, 0.7))}],
        "outcome": {"deal": deal, "date": "2020-01-01",
                    "issues": [{"issue": "x", "value": value}, {"issue": "y", "value": 5.0}]},
    }
    if k % 2:
        data["red_lines"] = [{"actor": "b", "issue": "x", "min": float(pos[1, 0] - 10) if pos[1, 0] > 10 else 0.0,
                              "max": 100.0}]
    return case_from_scenario(scenario_from_data(data, source=f"case{k}.yaml"))


DEALS = [True, False, True, True, False, True, False, False]
VALUES = [40.0, 55.0, 20.0, 70.0, 35.0, 60.0, 50.0, 45.0]
KW = dict(seed=0, models=["weighted_mean", "weighted_median"], draws=128, n_boot=50,
          firmness_grid=(0.5, 1.0), c_grid=(1.0,))


@pytest.fixture(scope="module")
def record() -> TrackRecord:
    return score_cases([_case(k, d, v) for k, (d, v) in enumerate(zip(DEALS, VALUES, strict=True))], **KW)


def test_summary_keys_and_json(record):
    d = record.to_dict()
    for key in ("brier", "log_loss", "brier_skill", "ece", "coverage", "crps"):
        assert key in d
    assert set(d["coverage"]) == {"0.5", "0.8", "0.9"}
    assert set(d["points"]) == {"weighted_mean", "weighted_median", ENSEMBLE}
    json.dumps(d)  # plain JSON
    assert len(record.to_frame("deal")) == 8
    assert set(record.to_frame("points")["forecaster"]) == {"weighted_mean", "weighted_median", ENSEMBLE}
    assert 0.0 <= d["brier"] <= 1.0


def test_same_seed_same_numbers(record):
    again = score_cases([_case(k, d, v) for k, (d, v) in enumerate(zip(DEALS, VALUES, strict=True))], **KW)
    assert again.to_dict() == record.to_dict()


def test_changing_one_outcome_leaves_that_cases_forecasts_unchanged(record):
    deals = list(DEALS)
    deals[2] = not deals[2]
    values = list(VALUES)
    values[2] = 95.0
    other = score_cases([_case(k, d, v) for k, (d, v) in enumerate(zip(deals, values, strict=True))], **KW)
    a, b = record.to_frame("deal").set_index("case"), other.to_frame("deal").set_index("case")
    assert a.loc["case2", "probability"] == b.loc["case2", "probability"]
    assert a.loc["case2", "base_rate"] == b.loc["case2", "base_rate"]
    # the others move, through the fit only
    assert not np.allclose(a.drop("case2")["probability"], b.drop("case2")["probability"])
    cols = ["prediction", "low_50", "high_50", "low_90", "high_90"]
    pa = record.to_frame("points").set_index(["forecaster", "case", "issue"])
    pb = other.to_frame("points").set_index(["forecaster", "case", "issue"])
    own = pa.index.get_level_values("case") == "case2"
    pd.testing.assert_frame_equal(pa[own][cols], pb[own][cols])
    assert not pa[~own][cols].equals(pb[~own][cols])


def _table(deal):
    rng = np.random.default_rng(1)
    n = len(deal)
    x = rng.normal(size=(2, n, 4)) + np.asarray(deal)[None, :, None]
    return FeatureTable(tuple(f"c{i}" for i in range(n)), np.asarray(deal, float), (0.5, 1.0),
                        x, rng.uniform(size=(2, n)))


def test_loo_deal_forecast_ignores_own_outcome():
    deal = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0]
    a = loo_deal_forecasts(_table(deal), c_grid=(1.0,))
    flipped = list(deal)
    flipped[4] = 1
    t = _table(deal).with_deal(flipped)
    b = loo_deal_forecasts(t, c_grid=(1.0,))
    assert a.loc[4, "probability"] == b.loc[4, "probability"]
    assert a.loc[4, "base_rate"] == pytest.approx(5 / 9)  # five deals among the other nine
    assert not np.allclose(a["probability"].drop(4), b["probability"].drop(4))


def _points(outcome):
    f = np.array([[10.0, 30.0], [20.0, 20.0], [50.0, 70.0], [40.0, 40.0], [80.0, 60.0]])
    return PointTable(("m1", "m2"), ("a", "b", "c", "d", "e"), ("x",) * 5, f, np.asarray(outcome, float))


def test_single_model_jackknife_by_hand():
    y = [20.0, 25.0, 60.0, 40.0, 65.0]
    df = loo_point_forecasts(_points(y), levels=(0.5,), ensemble=False)
    row = df[(df.forecaster == "m1") & (df.case == "a")].iloc[0]
    # other cases' m1 errors: 5, 10, 0, 15; level 0.5 * (1 + 1/4) = 0.625 -> the 3rd smallest
    assert row["prediction"] == 10.0
    assert row["low_50"] == 0.0  # 10 - 10 clipped at 0
    assert row["high_50"] == 20.0
    assert row["covered_50"] == 1.0


def test_ensemble_weights_inverse_squared_mae():
    y = [20.0, 25.0, 60.0, 40.0, 65.0]
    w = ensemble_weights(_points(y))
    mae1 = np.mean([10, 5, 10, 0, 15])
    mae2 = np.mean([10, 5, 10, 0, 5])
    expect = np.array([mae1**-2, mae2**-2])
    assert [w["m1"], w["m2"]] == pytest.approx((expect / expect.sum()).tolist())


def test_point_forecast_ignores_own_outcome():
    y = [20.0, 25.0, 60.0, 40.0, 65.0]
    a = loo_point_forecasts(_points(y))
    y2 = list(y)
    y2[2] = 0.0
    b = loo_point_forecasts(_points(y2))
    cols = ["prediction", "low_80", "high_80", "pit"]
    own = a.case == "c"
    assert a[own][cols].drop(columns="pit").equals(b[own][cols].drop(columns="pit"))
    assert not a[~own & (a.forecaster == ENSEMBLE)]["prediction"].equals(
        b[~own & (b.forecaster == ENSEMBLE)]["prediction"])


def test_cases_without_deal_flags_still_get_point_scores():
    cases = [_case(k, None, v) for k, v in enumerate(VALUES[:5])]  # type: ignore[arg-type]
    d = score_cases(cases, **KW).to_dict()
    assert d["brier"] is None and d["n_deal_cases"] == 0
    assert set(d["coverage"]) == {"0.5", "0.8", "0.9"}
    assert d["crps"] > 0


def test_too_few_cases_give_notes_not_errors():
    cases = [_case(k, d, v) for k, (d, v) in enumerate(zip(DEALS[:2], VALUES[:2], strict=True))]
    d = score_cases(cases, **KW).to_dict()
    assert d["brier"] is None and d["crps"] is None
    assert d["deal"] == {} and d["points"] == {}
    assert any("at least 2 cases with a deal and 2 without" in n and "1 and 1" in n for n in d["notes"])
    assert any("at least 3 cases with issue outcomes (got 2)" in n for n in d["notes"])


def test_one_outcome_class_short_is_a_note():
    deals = [True, True, True, False]
    cases = [_case(k, d, v) for k, (d, v) in enumerate(zip(deals, VALUES[:4], strict=True))]
    d = score_cases(cases, **KW).to_dict()
    assert d["brier"] is None and "3 and 1" in d["notes"][0]
    assert d["crps"] is not None  # the point forecasts are still scored


def test_reliability_and_pit_are_in_the_summary(record):
    d = record.to_dict()
    assert sum(r["n"] for r in d["reliability"]) == len(DEALS)
    assert sum(d["pit_histogram"]) == 2 * len(DEALS)  # two scored issues per case
    assert d["settings"]["firmness_grid"] == [0.5, 1.0]


def test_simulator_feature_keeps_own_forecast_unchanged():
    kw = {**KW, "features": ("red_line_violation", "simulator_deal_rate")}
    base = [_case(k, d, v) for k, (d, v) in enumerate(zip(DEALS, VALUES, strict=True))]
    deals = list(DEALS)
    deals[5] = not deals[5]
    flipped = [_case(k, d, v) for k, (d, v) in enumerate(zip(deals, VALUES, strict=True))]
    a = score_cases(base, **kw)
    b = score_cases(flipped, **kw)
    assert a.to_dict()["features"] == ["red_line_violation", "simulator_deal_rate"]
    pa, pb = (r.to_frame("deal").set_index("case")["probability"] for r in (a, b))
    assert pa["case5"] == pb["case5"]
    assert not np.allclose(pa.drop("case5"), pb.drop("case5"))


def test_report_shows_the_scores(record):
    from detente import service
    from tests.extras import require

    require("jinja2")
    require("matplotlib")
    html = service.build_report("alaska-2025", models=["weighted_mean"], scores=record)
    assert "reliability and PIT (out of sample)" in html
    assert f"Brier {record.to_dict()['brier']:.3f}" in html
