"""`detente montecarlo --model simulator` through typer's CliRunner."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from .test_cli import app  # noqa: F401  (the app fixture)

runner = CliRunner()


def test_simulator_json_matches_the_library(app):  # noqa: F811
    from detente.uncertainty import monte_carlo

    r = runner.invoke(app, ["montecarlo", "--model", "simulator", "--draws", "150", "--seed", "4",
                            "--noise-position", "10", "--protocol", "alternating", "--strategies",
                            "linear,conceder", "--steps", "20", "--levels", "3", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    lib = monte_carlo("alaska-2025", "simulator", draws=150, seed=4, noise={"position": 10.0, "shape": "normal"},
                      simulator={"protocol": "alternating", "strategies": "linear,conceder", "steps": 20, "levels": 3})
    assert doc["model"] == "simulator"
    assert doc["deal_probability"] == lib.deal_probability
    assert doc["end_reasons"] == dict(lib.end_reasons)
    assert any("alternating, strategies linear,conceder, 20 steps, 3 levels" in n for n in doc["notes"])


def test_simulator_table_and_csv(app, tmp_path):  # noqa: F811
    r = runner.invoke(app, ["montecarlo", "-m", "simulator", "--draws", "100", "--seed", "1", "--steps", "15"])
    assert r.exit_code == 0, r.output
    assert "How the negotiations ended" in r.stdout and "vetoed the table agreement" in r.stdout
    out = tmp_path / "sim.csv"
    r = runner.invoke(app, ["montecarlo", "-m", "simulator", "--draws", "100", "--seed", "1", "--steps", "15",
                            "-f", "csv", "-o", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert {"deal_probability", "share_walk_away", "share_veto"} <= set(df["statistic"])


@pytest.mark.parametrize(
    "args, words",
    [
        (["montecarlo", "--draws", "10", "--steps", "5"], "--steps only apply with --model simulator"),
        (["montecarlo", "--draws", "10", "-m", "simulator", "--strategies", "bogus"], "unknown strategy 'bogus'"),
        (["montecarlo", "--draws", "10", "-m", "simulator", "--protocol", "auction"], "unknown protocol"),
        (["montecarlo", "--draws", "10", "-m", "simulator", "--steps", "0"], "steps"),
        (["montecarlo", "--draws", "10", "-m", "simulator", "-p", "a=1"], "--param does not apply"),
    ],
)
def test_bad_simulator_options_exit_2(app, args, words):  # noqa: F811
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert words in " ".join(r.output.split())
