"""The case-folder reader and scenarios with an outcome section."""

from __future__ import annotations

import csv

import pytest

from detente.backtest.cases import builtin_cases, case_from_scenario, load_cases, read_case_folder
from detente.errors import ScenarioError
from detente.io import load_scenario
from tests.backtest._folders import INPUTS, OUTCOMES, write_folder
from tests.parity._ref import reference_dir


def test_folder_grouped_by_case(case_folder):
    cases = read_case_folder(case_folder)
    assert [c.name for c in cases] == ["t1", "t2"]
    t1, t2 = cases
    assert t1.scenario.issue_ids == ("a", "b")
    assert [a.id for a in t1.scenario.actors] == ["A", "B", "C"]
    assert [a.power for a in t1.scenario.actors] == [2.0, 1.0, 1.0]
    # the scale is outcomes.csv's, not the range of the positions (0..9 for issue a)
    assert (t1.scenario.issue("a").scale.min, t1.scenario.issue("a").scale.max) == (0.0, 10.0)
    assert t1.scenario.issue("a").status_quo is None
    assert t2.scenario.issue("x").status_quo == 40.0
    ta, tb = t1.targets
    assert (ta.outcome, ta.low, ta.high, ta.ex_ante, ta.confidence) == (2.5, 2.0, 5.0, "yes", "high")
    assert (tb.outcome, tb.low, tb.high, tb.confidence) == (8.0, 8.0, 9.0, "low")
    (tx,) = t2.targets
    assert (tx.low, tx.high, tx.ex_ante, tx.date) == (70.0, 70.0, "no", "2021-05-05")
    # the outcome is in the scenario, for the record; the model input has none
    assert [o.value for o in t1.scenario.outcome.issues] == [2.5, 8.0]
    assert t1.scenario.outcome.confidence == "low"  # the weakest row of the case
    assert t1.model_input.outcome is None
    assert not any("range of the positions" in n for n in t1.scenario.notes)


def test_folder_one_scenario_per_row(case_folder):
    cases = read_case_folder(case_folder, group="row")
    assert [c.name for c in cases] == ["t1/a", "t1/b", "t2"]
    assert cases[1].scenario.issue_ids == ("b",)
    assert cases[1].targets[0].case == "t1"


def test_conflicting_capabilities_are_not_merged(tmp_path):
    inputs = dict(INPUTS)
    inputs["t1__b.csv"] = inputs["t1__b.csv"].replace("A,2,10", "A,3,10")
    cases = read_case_folder(write_folder(tmp_path / "c", inputs=inputs))
    assert [c.name for c in cases] == ["t1/a", "t1/b", "t2"]
    assert "capability" in cases[0].meta["not_merged"]


@pytest.mark.parametrize(
    "edit, field, location",
    [
        (("t2,x,70,0,100", "t2,x,170,0,100"), "outcome", "row 4"),
        (("t2,x,70,0,100", "t2,x,70,100,0"), "scale_max", "row 4"),
        (("2020-01-01,yes,high", "2020-01-01,maybe,high"), "ex_ante", "row 2"),
        (("note a,src a,2,5", "note a,src a,3,5"), "outcome_low", "row 2"),
        (("inputs/t2__x.csv,40", "inputs/t2__x.csv,140"), "status_quo", "row 4"),
        (("t2,x,70,", "t2,x,seventy,"), "outcome", "row 4"),
    ],
)
def test_outcomes_errors_name_row_and_field(tmp_path, edit, field, location):
    folder = write_folder(tmp_path / "c", outcomes=OUTCOMES.replace(*edit))
    with pytest.raises(ScenarioError) as e:
        read_case_folder(folder)
    assert e.value.field == field
    assert e.value.location == location
    assert e.value.source == "outcomes.csv"


def test_position_outside_case_scale(tmp_path):
    inputs = dict(INPUTS)
    inputs["t1__a.csv"] = inputs["t1__a.csv"].replace("B,1,9,", "B,1,12,")
    with pytest.raises(ScenarioError, match=r"12 is outside the case's scale \[0, 10\]") as e:
        read_case_folder(write_folder(tmp_path / "c", inputs=inputs))
    assert e.value.source == "inputs/t1__a.csv" and e.value.location == "row 3"


def test_missing_input_and_not_a_folder(tmp_path):
    inputs = dict(INPUTS)
    del inputs["t2__x.csv"]
    with pytest.raises(ScenarioError, match="input file not found: inputs/t2__x.csv"):
        read_case_folder(write_folder(tmp_path / "c", inputs=inputs))
    with pytest.raises(ScenarioError, match="no outcomes.csv"):
        read_case_folder(tmp_path)
    with pytest.raises(ScenarioError, match="must be a path inside"):
        read_case_folder(write_folder(tmp_path / "d", outcomes=OUTCOMES.replace("inputs/t2__x.csv", "../t2__x.csv")))


def test_scenario_with_outcome_is_a_case():
    sc = load_scenario("alaska-2025")
    case = case_from_scenario(sc)
    assert [t.issue for t in case.targets] == [o.issue for o in sc.outcome.issues]
    cease = case.targets[0]
    assert (cease.outcome, cease.low, cease.high, cease.ex_ante) == (100.0, 90.0, 100.0, "no")
    assert "alaska-2025" in [c.name for c in builtin_cases()]
    with pytest.raises(ScenarioError, match="no outcome section"):
        case_from_scenario(sc.without_outcome())


def test_load_cases_mixes_sources_and_rejects_duplicates(case_folder):
    cases = load_cases([case_folder, "alaska-2025"])
    assert [c.name for c in cases] == ["t1", "t2", "alaska-2025"]
    with pytest.raises(ScenarioError, match="two cases are called 't1'"):
        load_cases([case_folder, case_folder])


def test_shared_reference_cases():
    """shared/reference/cases: every outcomes.csv row becomes one target with its values
    (exact equality with the file, read here with the csv module)."""
    folder = reference_dir("cases")
    with open(folder / "outcomes.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cases = read_case_folder(folder)
    targets = {(t.case, t.issue): t for c in cases for t in c.targets}
    assert len(targets) == len(rows) == 20
    for r in rows:
        t = targets[(r["case"], r["issue"])]
        assert t.outcome == float(r["outcome"])
        assert (t.low, t.high) == (float(r["outcome_low"]), float(r["outcome_high"]))
        assert (t.scale_min, t.scale_max) == (float(r["scale_min"]), float(r["scale_max"]))
        assert (t.ex_ante, t.confidence) == (r["ex_ante"], r["confidence"])
    by_name = {c.name: c for c in cases}
    # COP21: one 13-issue scenario (every actor has one capability across the files)
    assert len(by_name["cop21_2015"].scenario.issues) == 13
    # KTAB: two readings share an input, and capabilities differ between the two spaces
    assert "ktab_china_2014/policy_near_2017" in by_name
    eu = by_name["eu_emissions_1994"].scenario.issue("emission_standards").scale
    assert (eu.min, eu.max) == (4.0, 10.0)
    # the KTAB README's capability x salience weighted means: 35.0 (policy) and 40.0 (cnpc)
    from detente.models.weighted_mean import WeightedMean

    wm = WeightedMean()
    pol = wm.forecast(by_name["ktab_china_2014/policy_near_2017"].model_input).outcome[0]
    cnpc = wm.forecast(by_name["ktab_china_2014/cnpc_near_2017"].model_input).outcome[0]
    assert round(pol, 1) == 35.0 and round(cnpc, 1) == 40.0


def test_malformed_outcomes_csv_is_a_scenario_error(tmp_path):
    """A csv-module error (a field over the size limit) becomes a ScenarioError naming the file."""
    from detente import ScenarioError
    from detente.backtest import load_cases

    (tmp_path / "inputs").mkdir()
    (tmp_path / "outcomes.csv").write_text('case,issue\n"' + "x" * 200_000 + '",y\n')
    with pytest.raises(ScenarioError, match="outcomes.csv"):
        load_cases([tmp_path])
