"""The CLI through typer's runner: default forecast, formats, errors."""

import json

import pytest
from typer.testing import CliRunner

from detente import __version__
from detente.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_version():
    r = invoke("--version")
    assert r.exit_code == 0 and __version__ in r.output


def test_default_forecast_table():
    r = invoke("forecast")
    assert r.exit_code == 0, r.output
    for needle in ("Alaska", "weighted_mean", "weighted_median", "nash", "impasse", "russia", "ukraine"):
        assert needle in r.output


def test_forecast_json_full_precision():
    r = invoke("forecast", "eu-emissions-1994", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    means = [f for f in doc["forecasts"] if f["model"] == "weighted_mean"][0]
    assert means["outcome"]["emission_standards"] == pytest.approx(7.3899556868537664, abs=1e-15)
    assert "Achen" in means["reference"]
    assert doc["zone_of_agreement"]["emission_standards"]["empty"] is False


def test_forecast_csv_and_output_file(tmp_path):
    out = tmp_path / "f.csv"
    r = invoke("forecast", "--format", "csv", "--output", str(out), "-m", "weighted_mean")
    assert r.exit_code == 0, r.output
    lines = out.read_text().splitlines()
    assert lines[0] == "model,scenario,draw,issue,outcome"
    assert len(lines) == 1 + 5
    assert "35.831485587583146" in out.read_text()


def test_forecast_param_and_errors():
    r = invoke("forecast", "-m", "nash", "-p", "loss=quadratic", "-p", "disagreement=worst", "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["forecasts"][0]["params"]["loss"] == "quadratic"
    r = invoke("forecast", "-m", "nash", "-p", "loss=cubic")
    assert r.exit_code == 2 and "cubic" in r.output and "Traceback" not in r.output
    r = invoke("forecast", "-m", "nash", "-p", "bogus=1")
    assert r.exit_code == 2 and "bogus" in r.output
    r = invoke("forecast", "-m", "oracle")
    assert r.exit_code == 2 and "valid names" in r.output
    r = invoke("forecast", "-f", "xml")
    assert r.exit_code == 2 and "--format" in r.output


def test_validate_reports_all_problems(tmp_path):
    from tests.scenario.test_load import FIVE_ERRORS

    f = tmp_path / "five.yaml"
    f.write_text(FIVE_ERRORS)
    r = invoke("validate", str(f))
    assert r.exit_code == 2
    assert "5 problems" in r.output and r.output.count("five.yaml: line") == 5
    assert "Traceback" not in r.output


def test_validate_ok_and_show_and_list():
    assert invoke("validate", "alaska-2025").exit_code == 0
    r = invoke("show", "alaska-2025")
    assert r.exit_code == 0 and "Rubio" in r.output and "press_conference" in r.output
    r = invoke("scenarios")
    assert r.exit_code == 0 and "alaska-2025" in r.output
    r = invoke("models")
    assert r.exit_code == 0 and "nash" in r.output


def test_missing_file():
    r = invoke("forecast", "nowhere/none.yaml")
    assert r.exit_code == 2 and "not found" in r.output


def test_output_not_written_on_error(tmp_path):
    out = tmp_path / "keep.json"
    out.write_text("old")
    r = invoke("forecast", "-m", "oracle", "-f", "json", "-o", str(out))
    assert r.exit_code == 2 and out.read_text() == "old"


def test_forecast_rounds_json_and_table():
    r = invoke("forecast", "eu-emissions-1994", "-m", "expected_utility", "--rounds", "-f", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    rounds = doc["forecasts"][0]["tables"]["rounds"]
    assert rounds and {"round", "actor", "position"} <= set(rounds[0])
    r = invoke("forecast", "eu-emissions-1994", "-m", "expected_utility", "--rounds")
    assert r.exit_code == 0 and "expected_utility: rounds" in r.output


def test_forecast_reads_reference_formats():
    """KTAB CSV and Decide files go through their own readers in `detente forecast`."""
    from tests.parity._ref import reference_dir

    ref = reference_dir()
    r = invoke("forecast", str(ref / "ktab/SOE-Pol-Comp/SOE-Pol-Comp.csv"), "-m", "weighted_mean", "-f", "csv")
    assert r.exit_code == 0, r.output
    r = invoke("forecast", str(ref / "exchange/inputs/sample_data.txt"), "-m", "weighted_mean", "-f", "csv")
    assert r.exit_code == 0, r.output
    r = invoke("validate", str(ref / "exchange/inputs/copenhagen_with_errors.csv"))
    assert r.exit_code == 2 and "line 87" in r.output and "power" in r.output
