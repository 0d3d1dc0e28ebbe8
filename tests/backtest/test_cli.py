"""``detente backtest`` through typer's CliRunner (a local app with ``register``, and the real
``detente.cli.app``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from detente import service
from detente.backtest.calibration import FIRMNESS_GRID
from detente.commands.backtest import register
from tests.extras import require
from tests.parity._ref import reference_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()
    register(a)

    @a.command("noop")  # a second command keeps typer from collapsing the app into one command
    def _noop() -> None:
        pass

    return a


def test_json_numbers(app, case_folder):
    res = runner.invoke(app, ["backtest", str(case_folder), "-m", "weighted_mean", "--format", "json",
                              "--n-boot", "100"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    wm = {r["model"]: r for r in doc["summary"]}["weighted_mean"]
    assert wm["mae_norm"] == pytest.approx(40.0 / 3.0)  # see test_harness.test_scores_by_hand
    assert doc["models"] == ["weighted_mean"] and doc["cases"] == ["t1", "t2"]
    assert {"ex_ante", "confidence", "group", "case"} <= set(doc["by"])


def test_csv_predictions(app, case_folder):
    res = runner.invoke(app, ["backtest", str(case_folder), "-m", "weighted_mean", "-m", "nash",
                              "--format", "csv", "--group", "row"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(io.StringIO(res.stdout))
    assert set(df["model"]) == {"weighted_mean", "nash", "baseline:status_quo", "baseline:mean_position"}
    assert sorted(df.loc[df["model"] == "weighted_mean", "prediction"]) == pytest.approx([2.0, 5.0, 65.0])
    assert set(df["case"]) == {"t1/a", "t1/b", "t2"}


def test_table_and_output_folder(app, case_folder, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["backtest", str(case_folder), "--builtin", "-m", "weighted_mean",
                              "--output", str(out), "--by", "case", "--n-boot", "50"])
    assert res.exit_code == 0, res.output
    assert "weighted_mean" in res.stdout and "alaska-2025" in res.stdout
    pred = pd.read_csv(out / "predictions.csv")
    pq = pd.read_parquet(out / "predictions.parquet")
    assert list(pq.columns) == list(pred.columns)
    for col in ("model", "case", "issue", "prediction", "outcome", "norm_error"):
        pd.testing.assert_series_equal(pq[col], pred[col], check_dtype=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary"][0]["model"] == "weighted_mean"
    require("matplotlib")
    assert (out / "error_by_model.png").read_bytes()[:4] == b"\x89PNG"


def test_builtin_only(app):
    res = runner.invoke(app, ["backtest", "--builtin", "-m", "nash", "--format", "json", "--n-boot", "20"])
    assert res.exit_code == 0, res.output
    assert "alaska-2025" in json.loads(res.stdout)["cases"]


def test_deu_fixture(app, tmp_path):
    fixture = reference_dir("deu") / "DEU_III_fixture.csv"
    res = runner.invoke(app, ["backtest", "deu", str(fixture), "--variant", "equal", "--min-actors", "1",
                              "-m", "weighted_mean", "--format", "csv", "--output", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(io.StringIO(res.stdout))
    wm = df[df["model"] == "weighted_mean"].set_index("issue")
    # DEU_III_FORMAT.md: salience-weighted means of the scoreable issues x01i1, x02i2, x03i1
    assert wm.loc["x01i1", "prediction"] == pytest.approx(19000 / 390)
    assert wm.loc["x02i2", "prediction"] == pytest.approx(60.0)
    assert wm.loc["x03i1", "prediction"] == pytest.approx(56.2963, abs=5e-5)
    parsed = pd.read_csv(tmp_path / "o" / "deu_issues_parsed.csv")
    assert list(parsed["isnr"]) == ["x01i1", "x01i2", "x02i1", "x02i2", "x03i1"]


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give a case folder"),
        (["deu"], "usage: detente backtest deu FILE"),
        (["/no/such/folder_or_file.yaml"], "not found"),
        (["--builtin", "-m", "oracle"], "unknown model 'oracle'"),
        (["--builtin", "--format", "xml"], "'xml' is not one of"),
        (["--builtin", "--by", "colour"], "'colour' is not one of"),
    ],
)
def test_errors_exit_2(app, args, message):
    res = runner.invoke(app, ["backtest", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output


def test_real_app_has_backtest(case_folder):
    from detente.cli import app as real_app

    res = runner.invoke(real_app, ["backtest", str(case_folder), "-m", "weighted_mean", "--format", "json",
                                   "--n-boot", "20"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["models"] == ["weighted_mean"]


def test_deu_issue_table_scores_outcome_only_baselines(app):
    """``deu deu_issues.csv``: the status-quo baseline's MAE equals the mean |rp - outcome|
    over the rows with a reference point, recomputed here with the csv module."""
    import csv

    path = reference_dir("deu") / "deu_issues.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["reference_point"].strip()]
    expected = sum(abs(float(r["reference_point"]) - float(r["outcome"])) for r in rows) / len(rows)
    res = runner.invoke(app, ["backtest", "deu", str(path), "--format", "json", "--n-boot", "50"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    sq = {b["baseline"]: b for b in doc["baselines"]}["status_quo"]
    assert sq["n_issues"] == len(rows) and sq["mae"] == pytest.approx(expected, abs=1e-12)


def test_model_parameters_pass_through(app, case_folder):
    base = ["backtest", str(case_folder), "-m", "nash", "--format", "csv"]
    lin = pd.read_csv(io.StringIO(runner.invoke(app, base).stdout))
    res = runner.invoke(app, [*base, "-p", "nash.weights=equal"])
    assert res.exit_code == 0, res.output
    eq = pd.read_csv(io.StringIO(res.stdout))
    pick = lambda df: df.loc[df["model"] == "nash", "prediction"].to_numpy()  # noqa: E731
    assert not np.allclose(pick(lin), pick(eq))
    bad = runner.invoke(app, [*base, "-p", "nash.colour=red"])
    assert bad.exit_code == 2 and "has no parameter 'colour'" in bad.output


SCORE_KEYS = ("brier", "log_loss", "brier_skill", "ece", "coverage", "crps")
LIBRARY = Path(__file__).resolve().parents[2] / "cases"
# two deals and three without, chosen by outcome only (any such set would do)
FEW = ("aceh_helsinki_mou_2005", "austria_ovp_fpo_2025", "algiers_accords_1981",
       "copenhagen_cop15_2009", "crans_montana_cyprus_2017")


def test_scores_on_too_few_cases_are_a_note_not_an_error(app, case_folder):
    res = runner.invoke(app, ["backtest", str(case_folder), "-m", "weighted_mean", "--format", "json",
                              "--n-boot", "20", "--score-n-boot", "20"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    for key in SCORE_KEYS:
        assert key in doc and doc[key] is None
    notes = doc["scores"]["notes"]
    assert any("outcome.deal" in n for n in notes) and any("(got 2)" in n for n in notes)
    assert "note: point forecasts not scored" in res.stderr
    table = runner.invoke(app, ["backtest", str(case_folder), "-m", "weighted_mean", "--n-boot", "20"])
    assert table.exit_code == 0 and "Traceback" not in table.output
    assert "not scored" in table.stdout


def test_no_score_leaves_the_keys_empty(app, case_folder):
    res = runner.invoke(app, ["backtest", str(case_folder), "-m", "weighted_mean", "--format", "json",
                              "--n-boot", "20", "--no-score"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["scores"] is None and all(doc[k] is None for k in SCORE_KEYS)


@pytest.fixture(scope="module")
def few_cases(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("few")
    for name in FEW:
        (folder / f"{name}.yaml").write_text((LIBRARY / f"{name}.yaml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    return folder


def test_scores_in_json_table_and_output_folder(app, few_cases, tmp_path):
    out = tmp_path / "out"
    args = ["backtest", str(few_cases), "-m", "weighted_mean", "-m", "weighted_median",
            "--n-boot", "20", "--score-n-boot", "30"]
    res = runner.invoke(app, [*args, "--format", "json", "--output", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    s = doc["scores"]
    for key in SCORE_KEYS:
        assert doc[key] == s[key]
    assert 0.0 <= doc["brier"] <= 1.0 and doc["log_loss"] > 0 and doc["crps"] > 0
    assert set(doc["coverage"]) == {"0.5", "0.8", "0.9"}
    assert set(s["points"]) == {"weighted_mean", "weighted_median", "ensemble"}
    assert set(s["deal"]) >= {"probability", "base_rate"}
    assert s["n_deal_cases"] == 5 and s["n_deals"] == 2
    assert sum(r["n"] for r in s["reliability"]) == 5
    assert s["settings"]["firmness_grid"] == list(FIRMNESS_GRID)  # the shipped fit's procedure
    assert json.loads((out / "summary.json").read_text())["brier"] == doc["brier"]
    deal = pd.read_csv(out / "deal_forecasts.csv")
    assert len(deal) == 5 and set(deal["deal"]) == {0, 1}
    assert len(pd.read_csv(out / "point_forecasts.csv")) > 0
    require("matplotlib")
    assert (out / "calibration.png").read_bytes()[:4] == b"\x89PNG"
    table = runner.invoke(app, [*args], terminal_width=100)
    assert table.exit_code == 0, table.output
    assert "Deal probability, out of sample" in table.stdout and "ensemble" in table.stdout


def test_cli_scores_are_the_service_scores(app, few_cases):
    from detente.backtest import load_cases

    res = runner.invoke(app, ["backtest", str(few_cases), "-m", "weighted_mean", "--format", "json",
                              "--n-boot", "20", "--score-n-boot", "30"])
    cases = load_cases([few_cases])
    bt = service.backtest(cases, ["weighted_mean"], seed=0, n_boot=20)
    track = service.backtest_scores(cases, result=bt, seed=0, n_boot=30)
    assert json.loads(res.stdout)["scores"] == json.loads(json.dumps(track.to_dict()))


def test_a_scoring_error_is_a_note_by_default_and_an_error_when_asked_for(app, case_folder, monkeypatch):
    from detente.errors import ScenarioError

    def broken(*_a, **_k):
        raise ScenarioError("cannot score this", field="cases")

    monkeypatch.setattr(service, "backtest_scores", broken)
    args = ["backtest", str(case_folder), "-m", "weighted_mean", "--format", "json", "--n-boot", "20"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["scores"] is None
    assert "note: scores not computed (ScenarioError: cases: cannot score this)" in res.stderr
    asked = runner.invoke(app, [*args, "--score"])
    assert asked.exit_code == 2 and "cannot score this" in asked.stderr
