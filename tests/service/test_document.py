"""One forecast document: the CLI's ``--format json`` and the API's ``POST /forecast`` are the
same JSON, carrying the keys both surfaces had."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from detente import service
from detente.cli import app
from tests.extras import require

CLI_KEYS = {"detente_version", "scenario", "zone_of_agreement", "forecasts"}
API_KEYS = {"scenario", "issues", "actors", "zone_of_agreement", "forecasts"}
CLI_FORECAST_KEYS = {"model", "scenario", "issues", "actors", "outcome", "utilities", "params", "diagnostics",
                     "notes", "seed_entropy", "reference", "blocked_by"}
API_FORECAST_KEYS = {"model", "reference", "outcome", "utilities", "params", "diagnostics", "notes",
                     "seed_entropy", "blocked_by", "tables"}


def test_document_keeps_the_keys_of_both_surfaces():
    doc = service.forecast_document(service.forecast("alaska-2025", ["weighted_mean", "nash"]))
    assert CLI_KEYS | API_KEYS <= set(doc)
    for f in doc["forecasts"]:
        assert CLI_FORECAST_KEYS | API_FORECAST_KEYS <= set(f)
    assert doc["forecasts"][1]["outcome"]["territory"] is None  # Nash: no zone, JSON null
    json.dumps(doc, allow_nan=False)


def test_cli_and_api_print_the_same_document():
    require("fastapi")
    from fastapi.testclient import TestClient

    from detente.api.app import create_app

    r = CliRunner().invoke(app, ["forecast", "-m", "weighted_mean", "-m", "expected_utility", "--rounds",
                                 "--seed", "4", "-f", "json"])
    assert r.exit_code == 0, r.output
    cli_doc = json.loads(r.output)
    with TestClient(create_app()) as c:
        api = c.post("/forecast", json={"scenario": "alaska-2025", "models": ["weighted_mean", "expected_utility"],
                                        "seed": 4, "tables": True})
    assert api.status_code == 200, api.text
    assert api.json() == cli_doc


def test_blocked_by_is_the_analysis_of_every_surface():
    from detente.analysis import blocked_by

    run = service.forecast("alaska-2025", ["weighted_mean", "weighted_median"])
    assert run.blocked_by == tuple(blocked_by(run.scenario, f) for f in run.forecasts)
    doc = service.forecast_document(run)
    assert [f["blocked_by"] for f in doc["forecasts"]] == list(run.blocked_by)
