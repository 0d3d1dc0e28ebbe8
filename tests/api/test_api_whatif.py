"""The API's what-ifs (a `changes` field on the requests), POST /whatif, /influence, /track."""

from __future__ import annotations

import pytest

from detente import service
from tests.extras import require

M = ["weighted_mean", "weighted_median"]


def test_whatif_equals_the_service(client):
    r = client.post("/whatif", json={"scenario": "alaska-2025", "changes": ["russia.territory.position=60"],
                                     "models": M})
    assert r.status_code == 200, r.text
    doc = r.json()
    expected = service.what_if_document(service.compare("alaska-2025", ["russia.territory.position=60"], M))
    assert doc == expected


def test_bad_change_is_422_located(client):
    r = client.post("/whatif", json={"scenario": "alaska-2025", "changes": ["usa.threats[0].credibility=1.5"],
                                     "models": M})
    assert r.status_code == 422
    p = r.json()["problems"][0]
    assert p["source"] == "change 'usa.threats[0].credibility=1.5'" and p["field"] == "credibility"
    assert "1.5" in p["problem"] and "[0, 1]" in p["problem"]


def test_forecast_with_changes(client):
    r = client.post("/forecast", json={"scenario": "alaska-2025", "models": M, "changes": ["without europe"]})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert "europe" not in doc["actors"] and doc["what_if"]["changes"][0]["after"] == "removed"
    r = client.post("/forecast", json={"scenario": "alaska-2025", "models": M})
    assert "what_if" not in r.json()  # the plain forecast document is unchanged


def test_montecarlo_and_simulate_with_changes(client):
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "draws": 200, "seed": 1,
                                         "changes": ["russia.territory.position=40"]})
    assert r.status_code == 200, r.text
    d = r.json()["what_if"]["difference"]["mean:territory"]
    assert d["changed"] == pytest.approx(r.json()["issues"]["territory"]["mean"]) and d["difference"] < 0
    r = client.post("/simulate", json={"scenario": "alaska-2025", "runs": 40, "seed": 1,
                                       "changes": ["ukraine.veto=false"]})
    assert r.status_code == 200, r.text
    assert r.json()["what_if"]["changes"][0]["path"] == "ukraine.veto"
    r = client.post("/simulate", json={"scenario": "alaska-2025", "runs": 40, "changes": ["bad"]})
    assert r.status_code == 422


def test_report_with_changes(client):
    require("matplotlib")
    r = client.post("/report", json={"scenario": "alaska-2025", "models": ["weighted_mean"],
                                     "changes": ["russia.power=10"]})
    assert r.status_code == 200 and "What-if: russia.power: 80 -&gt; 10" in r.text


def test_influence(client):
    r = client.post("/influence", json={"scenario": "alaska-2025", "grid": 20})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc == service.influence_document(service.influence("alaska-2025", grid=20))
    assert client.post("/influence", json={"scenario": "alaska-2025", "grid": 1}).status_code == 422


def test_track(client):
    assert client.get("/tracks").json() == service.builtin_tracks()
    r = client.post("/track", json={"track": "alaska-2025", "models": M})
    assert r.status_code == 200, r.text
    assert r.json() == service.track_document(service.track("alaska-2025", M))
    r = client.post("/track", json={"track": {"base": "/etc/hostname", "versions": [
        {"date": "2025-01-01", "sources": ["x"], "changes": []}]}, "models": M})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "base"
