"""Defaults work for any number of parties and are the same in Python, the service, the CLI,
the API and the report (``strategies="mix"``: every ordered pair of the five NegMAS strategies
with two negotiators, each of them for everyone with any other number)."""

from __future__ import annotations

import json

import numpy as np

from detente import service
from detente.simulate import MIX, simulate
from detente.simulate.engine import negotiators
from tests.extras import require

COALITION = "coalition-germany-2021"  # three parties at the table


def test_python_default_strategies_for_three_parties():
    assert len(negotiators(COALITION)) == 3
    res = simulate(COALITION, runs=50, seed=3)
    assert set(res.strategies) == {"/".join([s] * 3) for s in MIX}
    assert res.strategies[:5].tolist() == ["/".join([s] * 3) for s in MIX]  # run i plays i mod 5
    assert set(res.ended_by) <= {"deal", "deadline"} | {f"walk_away:{p}" for p in res.parties}
    two = simulate("alaska-2025", runs=50, seed=3, protocol="alternating")
    assert len(set(two.strategies)) == 25  # every ordered pair with two negotiators


def test_service_defaults_equal_the_python_defaults():
    assert service.DEFAULTS.strategies == "mix"
    a = service.simulate(COALITION, runs=40, seed=5)
    b = simulate(service.load(COALITION).without_outcome(), runs=40, seed=5)
    for f in ("agreement", "reason", "utilities", "strategies", "ended_by"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


def test_cli_json_for_three_parties():
    from typer.testing import CliRunner

    from detente.cli import app

    r = CliRunner().invoke(app, ["simulate", COALITION, "--runs", "40", "--seed", "5", "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    want = service.simulate(COALITION, runs=40, seed=5)
    assert data["summary"]["deals"] == int(want.agreed.sum())
    assert [run["ended_by"] for run in data["runs"]] == want.ended_by.tolist()
    assert data["summary"]["ended_by"] == want.summary()["ended_by"]
    table = CliRunner().invoke(app, ["simulate", COALITION, "--runs", "40", "--seed", "5"])
    assert table.exit_code == 0 and "Who ended the runs" in table.output


def test_api_simulate_three_parties():
    require("fastapi")  # the api extra (skipped locally without it, as tests/api does)
    from fastapi.testclient import TestClient

    from detente.api.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as client:
        r = client.post("/simulate", json={"scenario": COALITION, "runs": 40, "seed": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    want = service.simulate(COALITION, runs=40, seed=5).summary()
    assert body["runs"] == 40 and body["deals"] == want["deals"] and body["ended_by"] == want["ended_by"]
    assert body["strategies"] == want["strategies"]


def test_report_simulation_section_for_three_parties():
    from detente.service.report import _simulation_spec

    sc = service.load(COALITION)
    spec = _simulation_spec(sc, 40, 5)
    df = spec["runs"]
    want = service.simulate(sc, runs=40, seed=5)
    assert df["ended_by"].tolist() == want.ended_by.tolist()
    assert df["strategies"].tolist() == want.strategies.tolist()


def test_report_note_names_strategies_and_how_runs_ended():
    from detente.service.report import _simulation_spec

    sc = service.load("alaska-2025")
    note = _simulation_spec(sc, 100, 1)["note"]
    want = service.simulate(sc, runs=100, seed=1).summary()["ended_by"]
    assert "25 combination(s)" in note and "aspiration/aspiration" in note
    for k, v in want.items():
        assert f"{k.replace(':', ' by ', 1)} {v / 100:.1%}" in note
