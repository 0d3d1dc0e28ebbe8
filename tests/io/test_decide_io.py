"""The Decide input format: parsing, validation, conversion to and from Scenario."""

from __future__ import annotations

from decimal import Decimal

import pytest

from detente.errors import ScenarioError
from detente.io.decide import (
    data_from_scenario,
    is_decide_text,
    parse_decide,
    scenario_from_decide,
    to_decide_text,
)

GOOD = (
    "#O\tA tiny test\n"
    "'#A'\t'a1'\t'Actor One'\t''\n"
    "'#A'\t'b 2'\t'Actor Two'\t''\n"
    "#/\ta comment\n"
    "'#P'\t'tax'\t'Tax'\t'the tax rate'\n"
    "'#M'\t'tax'\t10\n"
    "'#M'\t'tax'\t2\n"
    "'#M'\t'tax'\t6\n"
    "'#P'\t'year'\t'Year'\n"
    "'#D'\t'a1'\t'tax'\t3.5\t0.25\t1.0\n"
    "'#D'\t'b 2'\t'tax'\t9\t0.5\t1.0\tsome\tcomment\n"
    "'#D'\t'a1'\t'year'\t40\t0.75\t1.0\n"
)


def test_parse_good_file():
    d = parse_decide(GOOD, source="t.txt")
    assert d.actors == ("a1", "b 2") and d.issues == ("tax", "year")
    # bounds are the smallest and largest #M (unordered rows work, unlike the reference)
    assert (d.lower["tax"], d.upper["tax"]) == (Decimal(2), Decimal(10))
    assert (d.lower["year"], d.upper["year"]) == (Decimal(0), Decimal(100))
    assert [r.position for r in d.rows] == [Decimal("3.5"), Decimal(9), Decimal(40)]
    assert d.rows[1].comment == "some comment"
    assert d.description == "A tiny test"


def test_unquoted_tab_file():
    text = GOOD.replace("'", "")
    assert parse_decide(text).rows == parse_decide(GOOD).rows


@pytest.mark.parametrize(
    "line, field, fragment",
    [
        ("'#D'\t'b 2'\t'tax'\t3.5\t-0.1\t1", "salience", "-0.1"),
        ("'#D'\t'b 2'\t'tax'\t3.5\t0.1\t101", "power", "101"),
        ("'#D'\t'b 2'\t'tax'\t11\t0.1\t1", "position", "11"),
        ("'#D'\t'b 2'\t'tax'\tx\t0.1\t1", "position", "'x'"),
        ("'#D'\t'zz'\t'tax'\t3\t0.1\t1", "actor", "'zz'"),
        ("'#D'\t'a1'\t'nope'\t3\t0.1\t1", "issue", "'nope'"),
        ("'#X'\t'a1'", "type", "'#X'"),
        ("'#0'\tcomment", "type", "'#0'"),
    ],
)
def test_validation_names_line_and_field(line, field, fragment):
    text = GOOD.replace("'#D'\t'a1'\t'year'\t40\t0.75\t1.0\n", line + "\n")
    text = text.replace("'#D'\t'b 2'\t'tax'\t9", "'#D'\t'b 2'\t'year'\t9")
    with pytest.raises(ScenarioError) as info:
        parse_decide(text, source="t.txt")
    err = info.value
    assert err.location == "line 12" and err.field == field
    assert fragment in str(err) and "t.txt" in str(err)


def test_duplicate_row_and_all_problems_reported():
    text = GOOD + "'#D'\t'a1'\t'tax'\t4\t0.1\t1\n'#D'\t'a1'\t'tax'\t4\t7\t-1\n"
    with pytest.raises(ScenarioError) as info:
        parse_decide(text)
    locs = [(p.location, p.field) for p in info.value.problems]
    assert ("line 13", "") in locs and ("line 14", "power") in locs


def test_is_decide_text():
    assert is_decide_text(GOOD)
    assert is_decide_text("\n#A\tx\tx\n")
    assert not is_decide_text("actor,issue,position,salience,power\n")
    assert not is_decide_text("name: x\nactors: []\n")


def test_to_scenario_and_back():
    d = parse_decide(GOOD, source="tiny.txt")
    s = scenario_from_decide(d)
    assert s.name == "tiny"
    assert s.actor_ids == ("a1", "b_2")  # made safe; the original id kept as the name
    assert s.actor("b_2").name == "Actor Two"
    assert s.issue("tax").scale.min == 2 and s.issue("tax").scale.max == 10
    assert [p.position for p in s.positions] == [3.5, 9.0, 40.0]
    back = parse_decide(to_decide_text(s))
    assert [(r.position, r.salience, r.power) for r in back.rows] == [
        (r.position, r.salience, r.power) for r in data_from_scenario(s).rows
    ]
    assert back.lower["tax"] == 2 and back.upper["tax"] == 10


def test_salience_above_one_cannot_become_a_scenario():
    text = GOOD.replace("3.5\t0.25", "3.5\t25")
    d = parse_decide(text, source="t.txt")  # the Decide format allows it
    with pytest.raises(ScenarioError) as info:
        scenario_from_decide(d)
    assert info.value.field == "salience" and info.value.location == "line 10"


def test_power_must_be_one_per_actor():
    text = GOOD.replace("40\t0.75\t1.0", "40\t0.75\t0.5")
    with pytest.raises(ScenarioError, match="power") as info:
        scenario_from_decide(parse_decide(text))
    assert info.value.location == "line 12"
