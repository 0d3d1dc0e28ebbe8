"""The backtest runs trading models on all of a case's issues, not only the scored ones
(issue 21: the exchange model, which trades across issues, saw only the scored issues)."""

from __future__ import annotations

from detente import service
from detente.backtest.cases import read_case_folder
from tests.backtest._folders import INPUTS, OUTCOMES, write_folder

# t1 has a third input file that outcomes.csv does not name: an issue without a recorded outcome
CONTEXT = "actor,capability,position,salience\nA,2,10,0.2\nB,1,0,0.9\nC,1,6,0.4\n"


def _folder(tmp_path):
    return write_folder(tmp_path / "cases", OUTCOMES, {**INPUTS, "t1__c.csv": CONTEXT})


def test_unscored_input_files_of_a_case_are_context_issues(tmp_path):
    t1, t2 = read_case_folder(_folder(tmp_path))
    assert t1.scenario.issue_ids == ("a", "b", "c")
    assert [t.scenario_issue for t in t1.targets] == ["a", "b"]  # c is seen, not scored
    assert t1.model_input.issue_ids == ("a", "b", "c")
    assert t1.meta["context_issues"] == ["c"]
    assert any("context issues" in n and "c" in n for n in t1.scenario.notes)
    c = t1.scenario.issue("c")
    assert (c.scale.min, c.scale.max) == (0.0, 10.0)  # the case's scale from outcomes.csv
    assert t2.scenario.issue_ids == ("x",)


def test_single_scored_issue_with_context_is_merged(tmp_path):
    outcomes = OUTCOMES.splitlines()[0] + "\n" + OUTCOMES.splitlines()[3] + "\n"
    folder = write_folder(tmp_path / "cases", outcomes,
                          {"t2__x.csv": INPUTS["t2__x.csv"],
                           "t2__y.csv": "actor,capability,position,salience\nP,1,90,0.5\nQ,3,10,0.2\n"})
    (t2,) = read_case_folder(folder)
    assert t2.scenario.issue_ids == ("x", "y") and len(t2.targets) == 1


def test_exchange_backtest_sees_every_issue_and_scores_the_scored(tmp_path):
    folder = _folder(tmp_path)
    res = service.backtest(read_case_folder(folder), ["exchange"], n_boot=10)
    df = res.to_frame()
    ex = df[df["model"] == "exchange"]
    assert sorted(ex[ex["case"] == "t1"]["scenario_issue"]) == ["a", "b"]
    assert (ex["status"] == "ok").all(), ex
    # the context issue changes the trades: the forecast differs from the scored-only run
    only = service.backtest(read_case_folder(write_folder(tmp_path / "only", OUTCOMES, INPUTS)),
                            ["exchange"], n_boot=10).to_frame()
    only = only[(only["model"] == "exchange") & (only["case"] == "t1")].set_index("scenario_issue")
    mine = ex[ex["case"] == "t1"].set_index("scenario_issue")
    assert not (mine["prediction"] == only["prediction"]).all()
