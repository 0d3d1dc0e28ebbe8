"""POST /montecarlo with the negotiation simulator as the model (every draw negotiated)."""

from __future__ import annotations

import pytest

import detente.uncertainty  # noqa: F401  (an import error in detente must fail)

from .conftest import make_client, wait_for_job

NOISE = {"position": 5, "salience": 0.1, "credibility": 0.2}
OPTS = {"protocol": "summit", "strategies": "linear,conceder", "steps": 30}


def test_simulator_monte_carlo_equals_the_library(client):
    from detente.uncertainty import monte_carlo
    from detente.uncertainty.simulator import SimulatorModel

    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "model": "simulator", "draws": 300, "seed": 3,
                                         "noise": NOISE, "simulator": OPTS})
    assert r.status_code == 200, r.text
    body = r.json()
    lib = monte_carlo("alaska-2025", SimulatorModel(protocol="summit", strategies="linear,conceder", steps=30),
                      draws=300, seed=3, noise=NOISE)
    assert body["n_draws"] == 300
    assert body["deal_probability"] == lib.deal_probability
    assert body["end_reasons"] == pytest.approx(dict(lib.end_reasons), abs=0)
    assert sum(body["end_reasons"].values()) == pytest.approx(1.0)


def test_simulator_defaults_and_pair_lists(client):
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "model": "simulator", "draws": 50, "seed": 1})
    assert r.status_code == 200, r.text
    assert set(r.json()["end_reasons"]) >= {"walk_away", "veto"}
    r = client.post("/montecarlo", json={
        "scenario": "alaska-2025", "model": "simulator", "draws": 50, "seed": 1,
        "simulator": {"protocol": "alternating", "strategies": [["boulware", "linear"], ["tit_for_tat", "conceder"]],
                      "steps": 20, "walk_away": True}})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("body, field", [
    ({"model": "simulator", "simulator": {"strategies": "linear,nonsense"}}, "strategies"),
    ({"model": "simulator", "simulator": {"strategies": "linear,linear,linear"}}, "strategies"),
    ({"model": "simulator", "params": {"steps": 5}}, "params"),
    ({"model": "weighted_mean", "simulator": {"steps": 5}}, "simulator"),
])
def test_bad_simulator_options_are_422_naming_the_field(client, body, field):
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "draws": 20, **body})
    assert r.status_code == 422, r.text
    problems = r.json()["problems"]
    assert problems and problems[0]["field"] == field, problems


@pytest.mark.parametrize("options", [{"protocol": "bogus"}, {"steps": 0}, {"levels": 1}, {"walk_patience": 2},
                                     {"chunk_size": 5}, {"steps": True}])
def test_simulator_options_schema_is_strict(client, options):
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "model": "simulator", "draws": 20,
                                         "simulator": options})
    assert r.status_code == 422, r.text
    assert any("simulator" in p["location"] for p in r.json()["problems"]), r.json()


def test_unknown_model_is_still_404(client):
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "model": "oracle", "draws": 20})
    assert r.status_code == 404


def test_big_simulator_monte_carlo_becomes_a_background_job():
    """Negotiated draws are answered at once only up to sync_runs (simulations), not sync_draws."""
    with make_client(sync_runs=10, sync_draws=10_000) as c:
        r = c.post("/montecarlo", json={"scenario": "alaska-2025", "model": "simulator", "draws": 40, "seed": 5,
                                        "simulator": {"strategies": "boulware", "steps": 20}})
        assert r.status_code == 202, r.text
        j = wait_for_job(c, r.json()["status_url"])
        assert j["status"] == "done", j
        assert j["result"]["n_draws"] == 40 and j["kind"] == "montecarlo"
