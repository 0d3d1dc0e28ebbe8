"""Loader messages: one bad item does not cascade; YAML booleans where text is expected."""

import pytest

from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.scenario.load import builtin_path


def _alaska_with(tmp_path, old, new):
    text = builtin_path("alaska-2025").read_text(encoding="utf-8")
    assert old in text
    f = tmp_path / "a.yaml"
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    return f


@pytest.mark.parametrize("new", ["weight: 0.75,", "weight: 1.7,", "weight: seventy,"])
def test_one_bad_delegation_weight_is_one_problem(tmp_path, new):
    f = _alaska_with(tmp_path, "weight: 0.70,", new)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    e = ei.value
    assert not getattr(e, "problems", None) or len(e.problems) == 1, str(e)
    assert "unknown actor id" not in str(e)
    assert "a.yaml: line" in str(e) and "actors[0]" in str(e)


def test_a_real_unknown_actor_is_still_reported_beside_a_bad_actor(tmp_path):
    f = _alaska_with(tmp_path, "weight: 0.70,", "weight: 0.75,")
    text = f.read_text(encoding="utf-8").replace("actor: russia", "actor: rusia", 1)
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    msg = str(ei.value)
    assert "delegation weights must sum to 1" in msg and "unknown actor id 'rusia'" in msg
    assert "unknown actor id 'usa'" not in msg


NO_YES = """\
name: t
actors:
  - {id: no, name: Norway, power: 1}
  - {id: se, name: Sweden, power: 1, kind: yes}
issues:
  - {id: fish, name: Fish, scale: {min: 0, max: 100}}
positions:
  - {actor: se, issue: fish, position: 90, salience: 0.5}
"""


def test_yaml_booleans_where_text_is_expected_get_a_hint_to_quote(tmp_path):
    f = tmp_path / "nordic.yaml"
    f.write_text(NO_YES, encoding="utf-8")
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    msg = str(ei.value)
    assert "actors[0].id" in msg and 'unquoted no, off or false as the boolean false' in msg
    assert 'e.g. "no"' in msg
    assert "actors[1].kind" in msg and 'unquoted yes, on or true' in msg
    # quoted, the same file loads
    f.write_text(NO_YES.replace("id: no,", 'id: "no",').replace("kind: yes", "kind: state"), encoding="utf-8")
    assert load_scenario(f).actors[0].id == "no"


def test_a_real_boolean_field_gets_no_hint(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text(NO_YES.replace("id: no,", 'id: "no",').replace("kind: yes", "kind: state")
                 .replace("power: 1}", "power: 1, present: maybe}", 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    assert "YAML reads" not in str(ei.value)


def test_an_issue_only_the_bad_actor_cares_about_is_not_reported_as_weightless(tmp_path):
    text = NO_YES.replace("kind: yes", "kind: state").replace(
        "positions:\n", "positions:\n  - {actor: no, issue: fish, position: 10, salience: 0.5}\n")
    text = text.replace("  - {actor: se, issue: fish, position: 90, salience: 0.5}\n", "")
    f = tmp_path / "only.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as ei:
        load_scenario(f)
    msg = str(ei.value)
    assert "actors[0].id" in msg and "no actor has a position" not in msg
