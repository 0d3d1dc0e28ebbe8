"""Python in a notebook: detente.forecast(scenario, models=...) and Scenario.to_frame()."""

import math
import subprocess
import sys

import numpy as np
import pytest

import detente
from detente.errors import UnknownModelError
from detente.models.registry import MODELS
from detente.scenario.schema import SCENARIO_COLUMNS
from detente.service.forecast import RUN_COLUMNS


def test_forecast_runs_every_model_by_default_in_one_call():
    run = detente.forecast("alaska-2025")
    assert run.models == tuple(MODELS)
    df = run.to_frame()
    assert list(df.columns) == list(RUN_COLUMNS)
    sc = detente.load_scenario("alaska-2025")
    assert len(df) == len(MODELS) * len(sc.issues)
    for f in run.forecasts:
        sub = df[df["model"] == f.model]
        assert list(sub["issue"]) == list(sc.issue_ids)
        assert list(sub["issue_name"]) == [i.label for i in sc.issues]
        np.testing.assert_array_equal(sub["outcome"].to_numpy(), np.asarray(f.outcome, dtype=float))
    # blocked_by comes from the red-line analysis of each forecast
    wm = df[(df["model"] == "weighted_mean") & (df["issue"] == "territory")]
    assert wm["blocked_by"].item() == ", ".join(run.blocked_by[0]["territory"])


def test_wide_frame_has_one_outcome_column_per_issue_label():
    run = detente.forecast("alaska-2025", models=["weighted_mean", "nash"])
    wide = run.to_frame("wide")
    sc = run.scenario
    assert list(wide.columns) == ["model", *[i.label for i in sc.issues]]
    assert list(wide["model"]) == ["weighted_mean", "nash"]
    assert wide.loc[0, sc.issues[0].label] == pytest.approx(float(run["weighted_mean"].outcome[0]))
    assert math.isnan(wide.loc[1, sc.issues[0].label])  # Nash: no zone of agreement on Alaska
    with pytest.raises(ValueError, match="long"):
        run.to_frame("tall")


def test_forecast_accepts_one_name_and_checks_names():
    run = detente.forecast("eu-emissions-1994", models="weighted_median", seed=3)
    assert run.models == ("weighted_median",) and run.seed_entropy == 3
    with pytest.raises(KeyError, match="weighted_median"):
        run["nash"]
    with pytest.raises(UnknownModelError):
        detente.forecast("alaska-2025", models=["oracle"])


def test_scenario_to_frame_is_the_positions_table():
    sc = detente.load_scenario("alaska-2025")
    df = sc.to_frame()
    assert list(df.columns) == list(SCENARIO_COLUMNS)
    assert len(df) == len(sc.positions)
    for row, p in zip(df.itertuples(index=False), sc.positions, strict=True):
        assert (row.actor, row.issue, row.position, row.salience) == (p.actor, p.issue, p.position, p.salience)
        assert row.actor_name == sc.actor(p.actor).label and row.power == sc.actor(p.actor).power
    red = {(r.actor, r.issue): r for r in sc.red_lines}
    for row in df.itertuples(index=False):
        r = red.get((row.actor, row.issue))
        assert (math.isnan(row.red_min) if r is None else row.red_min == r.min)
    ukr = df[(df["actor"] == "ukraine") & (df["issue"] == "territory")]
    assert not ukr["present"].item() and ukr["veto"].item()


def test_the_notebook_entry_points_keep_import_detente_light():
    code = ("import sys, detente; detente.forecast; detente.Scenario.to_frame; "
            "print('detente.service' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
