"""What-ifs: every kind of path, full validation with located errors, and the comparison with
the base forecast (checked against a forecast of a hand-edited scenario)."""

from __future__ import annotations

import numpy as np
import pytest

from detente import service
from detente.analysis import zone_of_agreement
from detente.errors import ScenarioError
from detente.scenario.load import scenario_from_data

BASE = service.load("alaska-2025")


def _pos(sc, actor, issue):
    return next(p for p in sc.positions if p.actor == actor and p.issue == issue)


def _red(sc, actor, issue):
    return [(r.min, r.max) for r in sc.red_lines if r.actor == actor and r.issue == issue]


def test_position_and_salience():
    w = service.what_if(BASE, ["russia.territory.position=60", "usa.ceasefire.salience=0.3"])
    assert _pos(w.scenario, "russia", "territory").position == 60
    assert _pos(w.scenario, "usa", "ceasefire").salience == 0.3
    assert _pos(w.base, "russia", "territory").position == _pos(BASE, "russia", "territory").position
    c = w.changes[0]
    assert (c.path, c.before, c.after) == ("russia.territory.position", _pos(BASE, "russia", "territory").position, 60)
    # every other position is untouched
    changed = {(p.actor, p.issue) for p in w.scenario.positions if p != _pos(BASE, p.actor, p.issue)}
    assert changed == {("russia", "territory"), ("usa", "ceasefire")}


def test_power_presence_veto():
    w = service.what_if(BASE, ["russia.power=10", "ukraine.veto=false", "europe.present=yes"])
    assert w.scenario.actor("russia").power == 10
    assert w.scenario.actor("ukraine").veto is False
    assert w.scenario.actor("europe").present is True


def test_red_lines_set_widen_remove():
    w = service.what_if(BASE, ["russia.territory.red_line=40:100"])
    assert _red(w.scenario, "russia", "territory") == [(40, 100)]
    w = service.what_if(BASE, ["russia.territory.red_line.min=50"])
    lo, hi = _red(BASE, "russia", "territory")[0]
    assert _red(w.scenario, "russia", "territory") == [(50, hi)]
    w = service.what_if(BASE, ["russia.territory.red_line=none"])
    assert _red(w.scenario, "russia", "territory") == []
    # a new red line on a pair without one starts from the scale
    w = service.what_if(BASE, ["usa.territory.red_line.max=70"])
    assert _red(w.scenario, "usa", "territory") == [(BASE.issue("territory").scale.min, 70)]


def test_walk_away_and_threats_and_status_quo():
    w = service.what_if(BASE, ["usa.walk_away=0.2", "usa.threats[0].credibility=0.9",
                               "usa.threats[0].cost_to_target=0.4", "territory.status_quo=40"])
    wa = [x for x in w.scenario.walk_away if x.actor == "usa"]
    assert len(wa) == 1 and wa[0].utility == 0.2
    th = [t for t in w.scenario.threats if t.issuer == "usa"][0]
    assert (th.credibility, th.cost_to_target) == (0.9, 0.4)
    assert w.scenario.issue("territory").status_quo == 40
    w = service.what_if(BASE, ["russia.walk_away=none", "russia.walk_away.territory=80"])
    wa = [x for x in w.scenario.walk_away if x.actor == "russia"]
    assert wa[0].utility is None and wa[0].positions == {"territory": 80}


def test_without_removes_every_reference():
    w = service.what_if(BASE, ["without usa"])
    sc = w.scenario
    assert "usa" not in sc.actor_ids
    for items, fields in ((sc.positions, ("actor",)), (sc.red_lines, ("actor",)), (sc.walk_away, ("actor",)),
                          (sc.threats, ("issuer", "target"))):
        assert all(getattr(x, f) != "usa" for x in items for f in fields)
    assert all(p.actor != "usa" for st in sc.stages for p in st.participants)
    assert w.changes[0].after == "removed"


@pytest.mark.parametrize(("change", "field", "needles"), [
    ("russia.territory.position=600", "position", ["600", "[0.0, 100.0]"]),
    ("usa.ceasefire.salience=1.4", "salience", ["1.4", "[0, 1]"]),
    ("ukraine.veto=maybe", "", ["maybe", "true or false"]),
    ("russia.power=-3", "power", ["-3", ">= 0"]),
    ("usa.threats[3].credibility=0.5", "threats[3]", ["K must be in 0..0", "3"]),
    ("usa.threats[0].credibility=1.5", "credibility", ["1.5", "[0, 1]"]),
    ("usa.threats[0].colour=1", "colour", ["colour", "credibility"]),
    ("china.power=3", "", ["'china'", "usa, russia, ukraine, europe"]),
    ("russia.terr.position=3", "", ["'terr'", "territory"]),
    ("russia.territory.red_line=70:20", "red_line", ["70", "20", "empty"]),
    ("russia.territory.red_line=seventy", "red_line", ["seventy", "LOW:HIGH"]),
    ("usa.walk_away=2", "walk_away", ["2", "[0, 1]"]),
    ("without nobody", "", ["'nobody'"]),
    ("russia.salience=1", "salience", ["unknown path", "ACTOR.ISSUE"]),
    ("territory.scale=3", "scale", ["status_quo"]),
])
def test_bad_changes_name_change_field_value_and_what_is_allowed(change, field, needles):
    with pytest.raises(ScenarioError) as ei:
        service.what_if(BASE, [change])
    e = ei.value
    assert e.source == f"change {change!r}"
    assert e.field == field
    for n in needles:
        assert n in str(e), (n, str(e))


def test_changes_apply_in_order_and_stop_at_the_first_bad_one():
    with pytest.raises(ScenarioError, match="china"):
        service.what_if(BASE, ["russia.power=5", "china.power=3", "usa.power=1"])
    w = service.what_if(BASE, ["russia.power=5", "russia.power=6"])
    assert w.scenario.actor("russia").power == 6 and [c.before for c in w.changes] == [80, 5]


def test_parse_changes_from_options():
    assert service.parse_changes(["a.b=1"], ["europe"]) == ["a.b=1", "without europe"]
    with pytest.raises(ScenarioError, match="PATH=VALUE"):
        service.parse_changes(["russia.power"], [])


def test_compare_equals_forecast_of_the_hand_edited_scenario():
    models = ["weighted_mean", "weighted_median"]
    run = service.compare(BASE, ["russia.territory.position=60", "without europe"], models, seed=3)
    data = BASE.model_dump()
    data["actors"] = [a for a in data["actors"] if a["id"] != "europe"]
    data["positions"] = [dict(p, position=60.0) if (p["actor"], p["issue"]) == ("russia", "territory") else p
                         for p in data["positions"] if p["actor"] != "europe"]
    data["red_lines"] = [r for r in data["red_lines"] if r["actor"] != "europe"]
    data["walk_away"] = [r for r in data["walk_away"] if r["actor"] != "europe"]
    hand = service.forecast(scenario_from_data(data), models, seed=3)
    base = service.forecast(BASE, models, seed=3)
    df = run.to_frame()
    for fh, fb in zip(hand.forecasts, base.forecasts, strict=True):
        sub = df[df["model"] == fh.model]
        np.testing.assert_allclose(sub["changed"], fh.outcome)
        np.testing.assert_allclose(sub["base"], fb.outcome)
        np.testing.assert_allclose(sub["difference"], fh.outcome - fb.outcome)
    assert list(df.columns) == list(service.whatif.WHATIF_COLUMNS)
    doc = service.what_if_document(run)
    assert doc["changes"][1]["description"] == "without europe (European leaders)"
    assert doc["outcomes"]["weighted_mean"]["territory"]["changed"] == pytest.approx(
        float(hand.forecasts[0].outcome[list(BASE.issue_ids).index("territory")]))


def _two_party(red_a=(0.0, 40.0), red_b=(60.0, 100.0)):
    return scenario_from_data({
        "name": "two", "issues": [{"id": "x", "scale": {"min": 0, "max": 100}}],
        "actors": [{"id": "a", "power": 1}, {"id": "b", "power": 1}],
        "positions": [{"actor": "a", "issue": "x", "position": 0, "salience": 1},
                      {"actor": "b", "issue": "x", "position": 100, "salience": 1}],
        "red_lines": [{"actor": "a", "issue": "x", "min": red_a[0], "max": red_a[1]},
                      {"actor": "b", "issue": "x", "min": red_b[0], "max": red_b[1]}],
    })


def test_deal_checks_follow_the_red_lines():
    sc = _two_party()
    run = service.compare(sc, ["a.x.red_line=0:50", "b.x.red_line=50:100"], ["weighted_mean"])
    # mean 50: outside both lines before, on both edges after
    assert run.base_deal == (False,) and run.changed_deal == (True,)
    assert zone_of_agreement(run.whatif.scenario).empty.tolist() == [False]
    notes = service.what_if_notes(run)
    assert any("now a deal" in n for n in notes) and notes[0].startswith("What-if: a.x.red_line")


def test_calibrated_hook_is_none_or_a_probability():
    run = service.compare(BASE, ["ukraine.veto=false"], ["weighted_mean"])
    for p in (run.base_deal_probability, run.changed_deal_probability):
        assert p is None or 0.0 <= p <= 1.0


def test_paired_runs_use_one_seed_for_both():
    pair = service.paired(service.monte_carlo, BASE, ["russia.territory.position=60"], seed=None,
                          draws=256, chunk_size=4096)
    assert pair.base.result.seed_entropy == pair.changed.result.seed_entropy == pair.seed_entropy
    d = pair.difference()
    assert d["mean:territory"]["difference"] == pytest.approx(
        pair.changed.result.mean[1] - pair.base.result.mean[1])
    assert set(d) >= {"deal_probability", "mean:ceasefire"}


def test_without_takes_the_actors_uncertain_inputs_and_renumbers_threats():
    d = BASE.model_dump()
    d["threats"].append({"issuer": "europe", "target": "russia", "cost_to_target": 0.1, "cost_to_issuer": 0.1,
                         "credibility": 0.3})
    d["uncertainty"] = {"inputs": [
        {"field": "position", "actor": "europe", "issue": "territory", "dist": "normal", "sd": 5},
        {"field": "credibility", "threat": 1, "dist": "uniform", "low": 0.2, "high": 0.8},
        {"field": "credibility", "threat": 0, "dist": "uniform", "low": 0.1, "high": 0.9},
        {"field": "power", "actor": "usa", "dist": "uniform", "low": 80, "high": 120}]}
    sc = scenario_from_data(d)
    w = service.what_if(sc, ["without europe"]).scenario
    inputs = w.uncertainty.inputs
    assert [(i.field, i.actor, i.threat) for i in inputs] == [("credibility", None, 0), ("power", "usa", None)]
    assert inputs[0].low == 0.1  # the input of the usa threat, still threat 0
    d2 = BASE.model_dump()
    d2["threats"].insert(0, d["threats"][-1])
    d2["uncertainty"] = {"inputs": [{"field": "credibility", "threat": 1, "dist": "uniform", "low": 0.2, "high": 0.8}]}
    w2 = service.what_if(scenario_from_data(d2), ["without europe"]).scenario
    assert [i.threat for i in w2.uncertainty.inputs] == [0]  # the usa threat moved from 1 to 0
