"""The CLI's what-ifs (--set/--without on forecast, simulate, montecarlo, report), influence and
track, through typer's runner."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente import service
from detente.cli import app
from tests.extras import require

runner = CliRunner()
FAST = ["-m", "weighted_mean", "-m", "weighted_median"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_forecast_set_states_changes_and_difference():
    r = invoke("forecast", *FAST, "--set", "russia.territory.position=60", "--without", "europe")
    assert r.exit_code == 0, r.output
    assert "What-if: changes" in r.output and "russia.territory.position" in r.output
    assert "without europe" in r.output and "base -> changed" in r.output
    run = service.compare("alaska-2025", ["russia.territory.position=60", "without europe"],
                          ["weighted_mean", "weighted_median"])
    wm = run.to_frame().query("model == 'weighted_mean' and issue == 'territory'").iloc[0]
    assert f"{wm.base:.2f} -> {wm.changed:.2f}" in r.output


def test_forecast_set_json_and_csv(tmp_path):
    r = invoke("forecast", *FAST, "--set", "ukraine.veto=false", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["what_if"]["changes"][0]["path"] == "ukraine.veto"
    assert doc["what_if"]["changes"][0]["before"] is True and doc["what_if"]["changes"][0]["after"] is False
    ukraine = next(a for a in doc["scenario"]["actors"] if a["id"] == "ukraine")
    assert ukraine["veto"] is False  # the document is the changed scenario's
    out = tmp_path / "w.csv"
    r = invoke("forecast", *FAST, "--set", "usa.power=10", "--format", "csv", "-o", out)
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns) == list(service.whatif.WHATIF_COLUMNS)
    assert (df["difference"] != 0).any()


@pytest.mark.parametrize("change", ["russia.territory.position=600", "usa.threats[2].credibility=0.5",
                                    "nobody.power=3"])
def test_bad_set_exits_2_with_one_line(change):
    r = invoke("forecast", *FAST, "--set", change)
    assert r.exit_code == 2
    assert "ScenarioError" in r.output and change in r.output and "Traceback" not in r.output


def test_set_without_equals_sign():
    r = invoke("forecast", *FAST, "--set", "russia.power")
    assert r.exit_code == 2 and "PATH=VALUE" in r.output


def test_simulate_set_shows_base_and_changed():
    r = invoke("simulate", "--runs", 60, "--seed", 1, "--set", "ukraine.veto=false")
    assert r.exit_code == 0, r.output
    assert "What-if: simulation, base -> changed" in r.output and "ukraine.veto" in r.output
    r = invoke("simulate", "--runs", 60, "--seed", 1, "--set", "ukraine.veto=false", "--format", "json")
    doc = json.loads(r.output)
    base = service.simulate("alaska-2025", runs=60, seed=1).summary()["deal_rate"]
    assert doc["what_if"]["difference"]["deal_rate"]["base"] == pytest.approx(base)
    assert doc["summary"]["deal_rate"] == pytest.approx(doc["what_if"]["difference"]["deal_rate"]["changed"])


def test_montecarlo_set():
    r = invoke("montecarlo", "--draws", 300, "--seed", 2, "--chunk-size", 4096,
               "--set", "russia.territory.position=40", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    d = doc["what_if"]["difference"]["mean:territory"]
    assert d["changed"] == pytest.approx(doc["issues"]["territory"]["mean"])
    assert d["difference"] == pytest.approx(d["changed"] - d["base"]) and d["difference"] != 0
    r = invoke("montecarlo", "--draws", 300, "--seed", 2, "--chunk-size", 4096, "--without", "europe")
    assert r.exit_code == 0, r.output
    assert "What-if: Monte Carlo, base -> changed" in r.output


def test_report_set(tmp_path):
    require("matplotlib")
    require("jinja2")
    out = tmp_path / "r.html"
    r = invoke("report", *FAST, "-o", out, "--set", "russia.territory.position=60")
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "What-if: russia.territory.position: 90 -&gt; 60" in html or "What-if: russia.territory.position: 90 -> 60" in html
    assert "(what-if)" in html
    bad = tmp_path / "bad.html"
    r = invoke("report", *FAST, "-o", bad, "--set", "russia.territory.position=600")
    assert r.exit_code == 2 and not bad.exists()


def test_influence_table_and_json():
    r = invoke("influence")
    assert r.exit_code == 0, r.output
    assert "Who to persuade" in r.output and "red_line" in r.output
    r = invoke("influence", "--format", "json")
    doc = json.loads(r.output)
    assert [x["rank"] for x in doc["ranking"]] == list(range(1, len(doc["ranking"]) + 1))
    assert doc["models"] == list(service.DEFAULTS.influence_models)


def test_track_table_json_and_plot(tmp_path):
    r = invoke("track", *FAST)
    assert r.exit_code == 0, r.output
    tr = service.load_track("alaska-2025")
    for v in tr.versions:
        assert v.date in r.output
    assert "recorded outcome (2026-03-06): no deal" in r.output
    png = tmp_path / "t.png"
    r = invoke("track", *FAST, "--format", "json", "--plot", png)
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["versions"]) == len(tr.versions)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_track_errors_leave_nothing_behind(tmp_path):
    out = tmp_path / "t.gif"
    r = invoke("track", *FAST, "--plot", out)
    assert r.exit_code == 2 and ".png or .svg" in r.output and not out.exists()
    r = invoke("track", "no-such-track")
    assert r.exit_code == 2 and "built-in tracks" in r.output
