"""`detente montecarlo` and `detente sensitivity` through typer's CliRunner."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from detente.commands.sensitivity import register

from .conftest import two_actor_data

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    """The lead's app when it registers this module, else a local app with register()."""
    try:
        from detente.cli import app as main_app

        names = {c.name for c in main_app.registered_commands}
        if {"montecarlo", "sensitivity"} <= names:
            return main_app
    except ImportError:
        pass
    local = typer.Typer()
    register(local)

    @local.command("noop")
    def _noop() -> None:  # a second command keeps typer in multi-command mode
        pass

    return local


def test_montecarlo_json_default_noise(app):
    r = runner.invoke(app, ["montecarlo", "--draws", "2000", "--seed", "3", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["n_draws"] == 2000 and doc["seed_entropy"] == 3 and doc["scenario"] == "alaska-2025"
    assert any("inter-coder noise" in n for n in doc["notes"])
    # the measured default: positions, saliences, powers, red-line bounds, walk-away values and
    # threat credibilities are all uncertain
    kinds = {name.split("[")[0] for name in doc["inputs"]}
    assert {"position", "salience", "power", "walk_away"} <= kinds
    assert 0 <= doc["deal_probability"] <= 1


def test_montecarlo_table_and_csv(app, tmp_path):
    r = runner.invoke(app, ["montecarlo", "-m", "weighted_mean", "--draws", "1000", "--seed", "1",
                            "--noise-position", "5", "--noise-red-line", "10"])
    assert r.exit_code == 0, r.output
    assert "Probability of a deal" in r.stdout and "Who rules a deal out" in r.stdout
    out = tmp_path / "mc.csv"
    r = runner.invoke(app, ["montecarlo", "--draws", "1000", "--seed", "1", "--noise-position", "5",
                            "--format", "csv", "--output", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns) == ["model", "scenario", "issue", "statistic", "value"]
    assert "deal_probability" in set(df["statistic"])


def test_montecarlo_uses_inline_uncertainty(app, tmp_path):
    f = tmp_path / "two.yaml"
    unc = {"inputs": [{"field": "position", "actor": "a", "issue": "x", "dist": "uniform",
                       "low": 0, "high": 100}]}
    f.write_text(yaml.safe_dump({**two_actor_data(red_lines=[{"actor": "b", "issue": "x", "min": 0,
                                                              "max": 25}]), "uncertainty": unc}))
    r = runner.invoke(app, ["montecarlo", str(f), "-m", "weighted_mean", "--draws", "20000",
                            "--seed", "2", "--format", "json", "--firmness", "1"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["inputs"] == ["position[a,x]"]
    assert abs(doc["deal_probability"] - 0.5) < 0.015


@pytest.mark.parametrize(
    "args, words",
    [
        (["montecarlo", "--draws", "0"], "--draws"),
        (["montecarlo", "--draws", "10", "--chunk-size", "0"], "--chunk-size"),
        (["montecarlo", "--draws", "10", "--backend", "spark"], "backend"),
        (["montecarlo", "--draws", "10", "--backend", "dask", "--scheduler", "nowhere"], "scheduler"),
        (["montecarlo", "--draws", "10", "--noise-position", "-1"], "--noise-position"),
        (["montecarlo", "--draws", "10", "--format", "xml"], "--format"),
        (["montecarlo", "--draws", "10", "-m", "oracle"], "unknown model"),
        (["sensitivity", "--samples", "1"], "--samples"),
        (["sensitivity", "--method", "fast"], "--method"),
        (["sensitivity", "--groups", "issue", "--samples", "8"], "groups"),
    ],
)
def test_bad_options_exit_2_naming_the_option(app, args, words):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert words in r.output


def test_bad_uncertainty_file_names_field(app, tmp_path):
    f = tmp_path / "unc.yaml"
    f.write_text(yaml.safe_dump({"inputs": [{"field": "veto", "actor": "usa", "dist": "normal", "sd": 1}]}))
    r = runner.invoke(app, ["montecarlo", "--draws", "10", "--uncertainty", str(f)])
    assert r.exit_code == 2
    assert "unc.yaml" in r.output and "field" in r.output and "not a numeric field" in r.output


def test_sensitivity_table_json_csv(app, tmp_path):
    base = ["sensitivity", "-m", "weighted_mean", "--samples", "32", "--seed", "4",
            "--noise-position", "10", "--noise-red-line", "10"]
    r = runner.invoke(app, base + ["--top", "3"])
    assert r.exit_code == 0, r.output
    assert "what would change that most" in r.stdout and "Distance to a deal" in r.stdout
    assert "position[usa,ceasefire]" in r.stdout  # names are printed literally, not as markup
    r = runner.invoke(app, base + ["--format", "json"])
    doc = json.loads(r.stdout)
    assert doc["method"] == "sobol" and "deal" in doc["outputs"] and "deal_margin" in doc["outputs"]
    ranked = doc["outputs"]["territory"]["ranked"]
    assert [x["rank"] for x in ranked] == sorted(x["rank"] for x in ranked)
    out = tmp_path / "s.csv"
    r = runner.invoke(app, base + ["--format", "csv", "-o", str(out), "--method", "morris"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(out.read_text()))
    assert {"mu_star", "mu_star_conf", "rank"} <= set(df.columns)


def test_sensitivity_grouped_by_actor(app):
    r = runner.invoke(app, ["sensitivity", "-m", "weighted_mean", "--samples", "32", "--seed", "4",
                            "--noise-position", "10", "--groups", "actor", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert sorted(json.loads(r.stdout)["inputs"]) == ["europe", "russia", "ukraine", "usa"]


def test_sensitivity_second_order(app):
    base = ["sensitivity", "-m", "weighted_mean", "--samples", "16", "--seed", "4",
            "--noise-position", "10", "--groups", "actor", "--second-order"]
    r = runner.invoke(app, base)
    assert r.exit_code == 0, r.output
    assert "interactions (second order)" in r.stdout
    doc = json.loads(runner.invoke(app, base + ["--format", "json"]).stdout)
    pairs = doc["outputs"]["deal_margin"]["second_order"]
    assert 1 <= len(pairs) <= 6 and {"input_1", "input_2", "S2", "S2_conf"} <= set(pairs[0])
