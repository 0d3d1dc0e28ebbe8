"""Forecast notes: how much the actors absent without a veto move each model."""

import pytest

from detente import service
from detente.errors import ScenarioError
from detente.scenario.load import scenario_from_data
from detente.service.absent import absent_without_veto, without_actors


def scenario(c_present=False, c_veto=False, c_only_issue=False):
    issues = [{"id": "x", "name": "X", "scale": {"min": 0, "max": 100}}]
    positions = [
        {"actor": "a", "issue": "x", "position": 0, "salience": 1},
        {"actor": "b", "issue": "x", "position": 100, "salience": 1},
        {"actor": "c", "issue": "x", "position": 100, "salience": 1},
    ]
    if c_only_issue:
        issues.append({"id": "y", "name": "Y", "scale": {"min": 0, "max": 10}})
        positions.append({"actor": "c", "issue": "y", "position": 3, "salience": 1})
    return scenario_from_data({
        "name": "t",
        "actors": [{"id": "a", "power": 1}, {"id": "b", "power": 1},
                   {"id": "c", "name": "Onlooker", "power": 1, "present": c_present, "veto": c_veto}],
        "issues": issues,
        "positions": positions,
        "red_lines": [{"actor": "c", "issue": "x", "min": 50, "max": 100}],
    })


def _note(run, model):
    return [n for n in run[model].notes if n.startswith("absent without a veto")]


def test_the_note_gives_the_forecast_without_them_worked_by_hand():
    run = service.forecast(scenario(), ["weighted_mean", "weighted_median"])
    # with c: (0 + 100 + 100) / 3 = 66.67; without c: (0 + 100) / 2 = 50
    assert run["weighted_mean"].outcome[0] == pytest.approx(200 / 3)
    (note,) = _note(run, "weighted_mean")
    assert note == "absent without a veto: c (Onlooker); without them this forecast moves: x 50 (-16.7)"
    assert len(_note(run, "weighted_median")) == 1


@pytest.mark.parametrize("kw", [{"c_present": True}, {"c_veto": True}])
def test_no_note_when_every_absent_actor_holds_a_veto_or_all_are_present(kw):
    run = service.forecast(scenario(**kw), ["weighted_mean"])
    assert _note(run, "weighted_mean") == []


def test_a_scenario_that_is_invalid_without_them_says_so():
    run = service.forecast(scenario(c_only_issue=True), ["weighted_mean"])
    (note,) = _note(run, "weighted_mean")
    assert "no forecast without them" in note and "'y'" in note


def test_without_actors_drops_everything_that_names_them():
    sc = service.load("alaska-2025")
    assert absent_without_veto(sc) == ["europe"]
    less = without_actors(sc, ["europe"])
    assert "europe" not in less.actor_ids
    assert all(p.actor != "europe" for p in less.positions)
    assert all("europe" not in (t.issuer, t.target) for t in less.threats)
    with pytest.raises(ScenarioError, match="not valid"):
        without_actors(scenario(c_only_issue=True), ["c"])


def test_alaska_forecast_notes_name_europe_for_every_model():
    run = service.forecast("alaska-2025")
    for f in run.forecasts:
        assert len(_note(run, f.model)) == 1, f.model
    doc = service.forecast_document(run)
    assert any("European leaders" in n for n in doc["forecasts"][0]["notes"])


def test_a_model_without_an_answer_either_way_says_so():
    run = service.forecast("alaska-2025", ["nash"])  # no zone of agreement on Alaska
    (note,) = _note(run, "nash")
    assert note.endswith("without them this model still gives no answer")


def test_the_second_run_can_be_skipped():
    run = service.forecast(scenario(), ["weighted_mean"], absent_effects=False)
    assert _note(run, "weighted_mean") == []
