"""Loading scenarios: built-ins, YAML/JSON/CSV, and every kind of bad input."""

import json

import numpy as np
import pytest
import yaml
from hypothesis import given, settings

from detente import ScenarioError, builtin_scenarios, load_scenario
from detente.scenario.load import scenario_from_data
from tests.strategies import broken_scenarios, scenario_data

FIVE_ERRORS = """\
name: five
actors:
  - {id: a, power: 10}
  - {id: b, power: 5}
  - {id: a, power: 3}
issues:
  - id: x
    scale: {min: 0, max: 10}
positions:
  - {actor: a, issue: x, position: 5, salience: 1.7}
  - {actor: b, issue: x, position: 12, salience: 0.5}
  - {actor: zed, issue: x, position: 3, salience: 0.5}
red_lines:
  - {actor: a, issue: x, min: 8, max: 2}
"""


def test_builtins_listed_and_load():
    names = builtin_scenarios()
    assert {"alaska-2025", "eu-emissions-1994", "coalition-germany-2021"} <= set(names)
    for n in names:
        s = load_scenario(n)
        assert s.name == n


def test_alaska_content():
    s = load_scenario("alaska-2025")
    assert set(s.actor_ids) == {"usa", "russia", "ukraine", "europe"}
    assert {"ceasefire", "territory", "sanctions", "security_guarantees", "trilateral"} <= set(s.issue_ids)
    usa = s.actor("usa")
    assert [m.id for m in usa.delegation] == ["trump", "rubio", "witkoff"]
    assert [m.id for m in s.actor("russia").delegation] == ["putin", "lavrov", "ushakov"]
    assert not s.actor("ukraine").present and not s.actor("europe").present
    assert [st.kind for st in s.stages] == ["bargaining", "bargaining", "press_conference"]
    assert s.threats[0].issuer == "usa" and s.threats[0].target == "russia"
    assert any(w.actor == "usa" for w in s.walk_away)
    assert s.outcome is not None and s.outcome.deal is False
    assert all(p.source for p in s.positions), "every coded number cites a source"


def test_five_errors_all_reported(tmp_path):
    f = tmp_path / "five.yaml"
    f.write_text(FIVE_ERRORS)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    e = ei.value
    assert len(e.problems) == 5
    text = str(e)
    for needle in (
        "line 10, positions[0].salience: 1.7 is outside [0, 1]",
        "line 14, red_lines[0]",
        "line 5, actors[2].id: duplicate actor id 'a'",
        "line 11, positions[1].position: 12.0 is outside",
        "line 12, positions[2].actor: unknown actor id 'zed'",
    ):
        assert needle in text
    assert all(p.source == "five.yaml" for p in e.problems)


def test_json_same_as_yaml(tmp_path):
    data = yaml.safe_load(FIVE_ERRORS)
    data["positions"][0]["salience"] = 0.7
    data["positions"][1]["position"] = 7
    data["positions"][2]["actor"] = "b"
    data["actors"].pop()
    data["red_lines"] = []
    data["positions"].pop()
    f = tmp_path / "ok.json"
    f.write_text(json.dumps(data))
    s = load_scenario(f)
    assert s.positions[1].position == 7


def test_json_nan_rejected(tmp_path):
    f = tmp_path / "nan.json"
    f.write_text('{"name": "x", "actors": [{"id": "a", "power": NaN}]}')
    with pytest.raises(ScenarioError, match="NaN"):
        load_scenario(f)


def test_json_syntax_error_names_line(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('{\n "name": "x",\n "actors": [\n}')
    with pytest.raises(ScenarioError, match=r"bad.json: line 4"):
        load_scenario(f)


@pytest.mark.parametrize(
    "text,needle",
    [
        ("", "empty"),
        ("name: x\nactors: [\n", "malformed YAML"),
        ("- a\n- b\n", "top level must be a mapping"),
        ('name: !!python/object/apply:os.system ["echo hi"]\n', "could not determine a constructor"),
    ],
)
def test_bad_yaml(tmp_path, text, needle):
    f = tmp_path / "s.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=needle):
        load_scenario(f)


def test_not_utf8(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ScenarioError, match="UTF-8"):
        load_scenario(f)


def test_bom_accepted(tmp_path):
    f = tmp_path / "s.csv"
    f.write_bytes(b"\xef\xbb\xbfactor,capability,position,salience\nA,1,2,0.5\nB,2,4,1\n")
    s = load_scenario(f)
    assert s.actor_ids == ("A", "B")


def test_unknown_name_lists_builtins():
    with pytest.raises(ScenarioError, match="alaska-2025"):
        load_scenario("no-such-scenario")


def test_unknown_suffix(tmp_path):
    f = tmp_path / "s.docx"
    f.write_text("x")
    with pytest.raises(ScenarioError, match="unknown file type"):
        load_scenario(f)


# ---------------------------------------------------------------- CSV
def test_flat_csv(tmp_path):
    f = tmp_path / "flat.csv"
    f.write_text(
        "actor,issue,position,salience,power,scale_min,scale_max,red_min,red_max\n"
        "A,tax,10,0.5,3,0,100,,\n"
        "B,tax,60,1,1,0,100,40,80\n"
        "A,wage,2,0.4,3,0,10,,\n"
    )
    s = load_scenario(f)
    assert s.issue_ids == ("tax", "wage")
    assert s.issue("wage").scale.max == 10
    assert s.red_lines[0].min == 40 and s.red_lines[0].max == 80
    assert s.notes == []


def test_literature_csv_scale_inferred_and_reported(tmp_path):
    f = tmp_path / "case.csv"
    f.write_text("actor,capability,position,salience\nA,1,2,0.5\nB,2,4,1\n")
    s = load_scenario(f)
    assert s.issue("case").scale.min == 2 and s.issue("case").scale.max == 4
    assert "range of the positions" in s.notes[0]
    assert s.actor("B").power == 2


def test_csv_every_problem_with_row(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("actor,capability,position,salience\nA,1,abc,0.5\nB,-1,3,1.4\nC,2,3\n")
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    text = str(ei.value)
    assert "row 2, position: 'abc' is not a number" in text
    assert "row 4: has 3 cells but the header has 4" in text
    assert "row 3, salience: 1.4 is outside [0, 1]" in text
    assert "row 3, power: -1.0 is negative" in text


def test_csv_missing_column(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("actor,position,salience\nA,1,0.5\n")
    with pytest.raises(ScenarioError, match=r"row 1: missing column\(s\) issue"):
        load_scenario(f)


def test_csv_inconsistent_power(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("actor,issue,position,salience,power\nA,x,1,0.5,3\nA,y,1,0.5,4\nB,x,2,1,1\nB,y,2,1,1\n")
    with pytest.raises(ScenarioError, match="row 3, power: 4 differs from 3"):
        load_scenario(f)


def test_missing_position_is_not_zero_filled():
    data = {
        "name": "gap",
        "actors": [{"id": "a", "power": 1}, {"id": "b", "power": 1}],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 10}}, {"id": "y", "scale": {"min": 0, "max": 10}}],
        "positions": [
            {"actor": "a", "issue": "x", "position": 1, "salience": 1},
            {"actor": "b", "issue": "x", "position": 9, "salience": 1},
            {"actor": "a", "issue": "y", "position": 3, "salience": 1},
        ],
    }
    a = scenario_from_data(data).arrays()
    assert np.isnan(a.position[1, 1]) and not a.stake[1, 1]
    assert a.weight[1, 1] == 0


def test_nothing_changed_on_load():
    data = {
        "name": "keep",
        "actors": [{"id": "a", "power": 3.25}, {"id": "b", "power": 0.5}],
        "issues": [{"id": "x", "scale": {"min": -3, "max": 17}, "status_quo": 2.5}],
        "positions": [
            {"actor": "a", "issue": "x", "position": 16.9, "salience": 0.33},
            {"actor": "b", "issue": "x", "position": -2.1, "salience": 1.0},
        ],
    }
    s = scenario_from_data(data)
    dumped = s.model_dump(exclude_defaults=True)
    for k in ("actors", "issues", "positions"):
        for orig, back in zip(data[k], dumped[k], strict=True):
            for key, v in orig.items():
                assert back[key] == v


@settings(max_examples=60, deadline=None)
@given(case=broken_scenarios())
def test_every_invalid_scenario_names_its_field(case):
    data, field = case
    with pytest.raises(ScenarioError) as ei:
        scenario_from_data(data, source="fuzz.yaml")
    problems = ei.value.problems or (ei.value,)
    assert any(field in f"{p.location}.{p.field}" for p in problems), str(ei.value)
    assert "fuzz.yaml" in str(ei.value)


@settings(max_examples=40, deadline=None)
@given(data=scenario_data())
def test_valid_scenarios_load(data):
    s = scenario_from_data(data)
    a = s.arrays()
    assert a.position.shape == (len(data["actors"]), len(data["issues"]))
    assert not a.position.flags.writeable


@pytest.mark.parametrize(
    "name,text,needle",
    [
        ("dup.yaml", "name: a\nactors: []\nname: b\n", "line 3, column 1: malformed YAML: duplicate key 'name' (first given on line 1)"),
        ("dup.json", '{"name": "a", "name": "b"}', "duplicate key 'name'"),
    ],
)
def test_duplicate_keys_are_errors(tmp_path, name, text, needle):
    """YAML and JSON would keep the last of two equal keys silently; we refuse instead."""
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    assert needle in str(ei.value)
