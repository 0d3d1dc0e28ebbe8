"""The REST API through httpx (FastAPI's TestClient): endpoints, errors, limits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente import MODELS, get_model, load_scenario
from detente.service import simulate_fn
from tests.extras import require

from .conftest import make_client, wait_for_job


@pytest.fixture(scope="module")
def alaska_json(client):
    return client.get("/scenarios/alaska-2025").json()


def test_health_and_models(client):
    h = client.get("/health").json()
    assert h["status"] == "ok" and set(h["capabilities"]) >= {"simulate", "sensitivity", "plot"}
    models = client.get("/models").json()
    assert [m["name"] for m in models] == list(MODELS)
    assert all(m["reference"] == MODELS[m["name"]].reference for m in models)
    nash = next(m for m in models if m["name"] == "nash")
    assert nash["parameters"]["loss"] == "linear"


def test_scenarios_round_trip_through_the_library_schema(client, alaska_json):
    names = [s["name"] for s in client.get("/scenarios").json()]
    assert "alaska-2025" in names
    assert load_scenario(alaska_json) == load_scenario("alaska-2025")
    r = client.get("/scenarios/atlantis")
    assert r.status_code == 404 and "alaska-2025" in r.json()["message"]


def test_openapi_uses_one_scenario_schema(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "Scenario" in schemas and not any(k.startswith("Scenario-") for k in schemas)
    req = schemas["ForecastRequest"]["properties"]["scenario"]
    assert {"$ref": "#/components/schemas/Scenario"} in req["anyOf"]
    for path in ("/forecast", "/validate", "/simulate", "/sensitivity", "/jobs/{job_id}", "/models", "/health"):
        assert path in spec["paths"]


def test_forecast_matches_the_library(client, alaska_json):
    r = client.post("/forecast", json={"scenario": alaska_json, "models": ["weighted_mean", "nash"]})
    assert r.status_code == 200, r.text
    body = r.json()
    sc = load_scenario("alaska-2025").without_outcome()
    wm = get_model("weighted_mean").forecast(sc)
    got = body["forecasts"][0]
    assert got["model"] == "weighted_mean"
    assert np.array_equal([got["outcome"][i] for i in sc.issue_ids], wm.outcome)
    assert body["forecasts"][1]["outcome"]["territory"] is None  # Nash: no zone, JSON null
    assert body["zone_of_agreement"]["territory"]["empty"] is True


def test_forecast_by_builtin_name_and_tables(client):
    r = client.post("/forecast", json={"scenario": "alaska-2025", "models": ["expected_utility"], "tables": True})
    if "expected_utility" not in MODELS:
        assert r.status_code == 404
        return
    assert r.status_code == 200, r.text
    tables = r.json()["forecasts"][0]["tables"]
    assert "rounds" in tables and {"round", "actor", "position"} <= set(tables["rounds"][0])


def test_model_params_are_passed_and_checked(client):
    r = client.post("/forecast", json={"scenario": "alaska-2025", "models": ["nash"],
                                       "params": {"nash": {"disagreement": "worst"}}})
    assert r.status_code == 200
    assert r.json()["forecasts"][0]["params"]["disagreement"] == "worst"
    r = client.post("/forecast", json={"scenario": "alaska-2025", "models": ["nash"],
                                       "params": {"nash": {"loss": "cubic"}}})
    assert r.status_code == 422 and "'cubic' is not one of" in r.json()["message"]


def test_scenario_error_is_422_with_location_and_field(client, alaska_json):
    bad = json.loads(json.dumps(alaska_json))
    bad["positions"][3]["salience"] = 1.4
    r = client.post("/forecast", json={"scenario": bad})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "ScenarioError"
    p = body["problems"][0]
    assert p["location"].endswith("positions[3]") and p["field"] == "salience" and "1.4" in p["problem"]


def test_cross_reference_errors_are_all_reported(client, alaska_json):
    bad = json.loads(json.dumps(alaska_json))
    bad["positions"][0]["actor"] = "narnia"
    bad["red_lines"][0]["issue"] = "weather"
    r = client.post("/forecast", json={"scenario": bad})
    assert r.status_code == 422
    text = json.dumps(r.json()["problems"])
    assert "narnia" in text and "weather" in text


def test_unknown_model_is_404(client):
    r = client.post("/forecast", json={"scenario": "alaska-2025", "models": ["oracle"]})
    assert r.status_code == 404
    assert r.json()["error"] == "UnknownModelError" and "weighted_mean" in r.json()["message"]


@pytest.mark.parametrize("ref", ["../../etc/passwd", "/etc/passwd", "pyproject.toml", "C:\\x", "atlantis"])
def test_no_file_system_paths_from_clients(client, ref):
    r = client.post("/forecast", json={"scenario": ref})
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "scenario"


def test_malformed_request_bodies_are_422_not_500(client):
    r = client.post("/forecast", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/forecast", json={"scenario": "alaska-2025", "seed": -1})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "seed"
    r = client.post("/forecast", json={"scenario": 7})
    assert r.status_code == 422 and "scenario object or the name" in r.json()["problems"][0]["problem"]


def test_validate_yaml_json_csv(client, alaska_json):
    r = client.post("/validate?filename=a.json", content=json.dumps(alaska_json), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["valid"] is True
    csv = "actor,issue,position,salience,power\nA,tax,10,0.5,1\nB,tax,90,1,2\n"
    r = client.post("/validate?filename=small.csv", content=csv, headers={"content-type": "text/csv"})
    assert r.status_code == 200
    assert r.json()["scenario"]["issues"][0]["scale"] == {"min": 10.0, "max": 90.0, "min_label": "", "max_label": ""}
    assert "scale is the range of the positions" in r.json()["notes"][0]


def test_validate_reports_the_line_of_a_yaml_error(client):
    r = client.post("/validate?filename=bad.yaml", content="name: x\nactors: [\n", headers={"content-type": "application/yaml"})
    assert r.status_code == 422
    p = r.json()["problems"][0]
    assert p["source"] == "bad.yaml" and p["location"].startswith("line 3") and "malformed YAML" in p["problem"]


def test_validate_refuses_yaml_aliases_and_unknown_types(client):
    bomb = 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n'
    r = client.post("/validate", content=bomb, headers={"content-type": "application/yaml"})
    assert r.status_code == 422 and "aliases" in r.json()["message"]
    r = client.post("/validate", content=b"\x00\x01", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "Content-Type"


def test_filename_is_a_label_never_a_path(client):
    r = client.post("/validate?filename=../../etc/passwd", content="name: [", headers={"content-type": "application/yaml"})
    assert r.status_code == 422
    assert r.json()["problems"][0]["source"] == "passwd"


def test_body_size_limit_is_413():
    with make_client(max_body_bytes=2_000) as c:
        r = c.post("/validate", content="x" * 3_000, headers={"content-type": "application/yaml"})
        assert r.status_code == 413 and "2000 bytes" in r.json()["message"]
        r = c.post("/forecast", json={"scenario": "alaska-2025", "models": ["weighted_mean"]})
        assert r.status_code == 200


def test_time_limit_is_503():
    with make_client(request_timeout_s=1e-6) as c:
        r = c.post("/forecast", json={"scenario": "alaska-2025"})
        assert r.status_code == 503
        assert "time limit" in r.json()["message"] and r.headers["retry-after"]


def test_cors_is_off_by_default_and_configurable(client):
    r = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    with make_client(cors_origins=("https://ok.example",)) as c:
        r = c.get("/health", headers={"Origin": "https://ok.example"})
        assert r.headers["access-control-allow-origin"] == "https://ok.example"
        r = c.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_report_is_a_download(client):
    r = client.post("/report", json={"scenario": "alaska-2025", "models": ["weighted_mean"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="alaska-2025-report.html"'
    assert 'id="model-weighted_mean"' in r.text


def test_simulate(client):
    r = client.post("/simulate", json={"scenario": "alaska-2025", "runs": 50, "seed": 1})
    if simulate_fn() is None:
        assert r.status_code == 501 and "not available" in r.json()["message"]
        return
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["runs"] == 50 and 0.0 <= body["deal_rate"] <= 1.0


def test_simulate_limits(client):
    r = client.post("/simulate", json={"scenario": "alaska-2025", "runs": 10**7})
    assert r.status_code == 422 and r.json()["error"] == "LimitExceeded"
    assert r.json()["problems"][0]["field"] == "runs"


def test_sensitivity_limit_and_unknown_job(client):
    r = client.post("/sensitivity", json={"scenario": "alaska-2025", "samples": 10**6})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "samples"
    r = client.post("/sensitivity", json={"scenario": "alaska-2025", "model": "oracle"})
    assert r.status_code == 404
    assert client.get("/jobs/doesnotexist").status_code == 404


def test_sensitivity_runs_as_a_background_job_with_a_concurrency_limit():
    require("SALib")
    with make_client(max_jobs=1) as c:
        r = c.post("/sensitivity", json={"scenario": "alaska-2025", "samples": 16, "seed": 2})
        assert r.status_code == 202, r.text
        url = r.json()["status_url"]
        assert r.headers["location"] == url
        r2 = c.post("/sensitivity", json={"scenario": "alaska-2025", "samples": 16})
        assert r2.status_code == 429 and r2.headers["retry-after"]
        j = wait_for_job(c, url)
        assert j["status"] == "done", j
        outputs = {row["output"] for row in j["result"]["indices"]}
        assert {"territory", "deal"} <= outputs


def test_web_page_and_static_files(client):
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "http://" not in r.text and "https://" not in r.text
    assert 'option value="alaska-2025"' in r.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "fetch(" in js.text and "http" not in js.text.replace("http://www.w3.org/2000/svg", "")
    assert client.get("/static/../app.py").status_code == 404


def test_montecarlo_sync_and_limits(client):
    import detente.uncertainty  # noqa: F401  (an import error in detente must fail)
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "model": "weighted_mean", "draws": 2000,
                                         "seed": 4, "noise": {"position": 5}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["n_draws"] == 2000 and 0.0 <= body["deal_probability"] <= 1.0
    from detente.uncertainty import monte_carlo

    lib = monte_carlo("alaska-2025", "weighted_mean", draws=2000, seed=4, noise={"position": 5})
    assert body["deal_probability"] == lib.deal_probability
    assert body["issues"]["territory"]["mean"] == pytest.approx(float(lib.mean[1]), rel=1e-12)
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "draws": 10**9})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "draws"
    r = client.post("/montecarlo", json={"scenario": "alaska-2025", "noise": {"mood": 3}})
    assert r.status_code == 422 and "body.noise" in r.json()["problems"][0]["location"]


def test_api_config_from_env_is_strict():
    from detente import ScenarioError
    from detente.api.app import ApiConfig

    cfg = ApiConfig.from_env({"DETENTE_API_MAX_JOBS": "4", "DETENTE_API_JOB_TIMEOUT_S": "12.5",
                              "DETENTE_API_CORS_ORIGINS": "https://a.example, https://b.example"})
    assert cfg.max_jobs == 4 and cfg.job_timeout_s == 12.5
    assert cfg.cors_origins == ("https://a.example", "https://b.example")
    assert ApiConfig.from_env({}) == ApiConfig()
    with pytest.raises(ScenarioError, match="DETENTE_API_MAX_JOBS"):
        ApiConfig.from_env({"DETENTE_API_MAX_JOBS": "many"})
    with pytest.raises(ScenarioError, match="max_jobs"):
        ApiConfig(max_jobs=0)
    with pytest.raises(ScenarioError, match="max_body_bytes"):
        ApiConfig(max_body_bytes=True)


def test_uvicorn_serves_the_app_on_loopback():
    import httpx

    from detente.api.app import create_app
    from detente.api.server import running_server

    with running_server(create_app()) as base:
        assert base.startswith("http://127.0.0.1:")
        r = httpx.post(base + "/forecast", json={"scenario": "alaska-2025", "models": ["weighted_median"]})
        assert r.status_code == 200
        assert r.json()["forecasts"][0]["outcome"]["trilateral"] == 90.0


def test_big_simulation_becomes_a_background_job():
    assert simulate_fn() is not None
    with make_client(sync_runs=10) as c:
        r = c.post("/simulate", json={"scenario": "alaska-2025", "runs": 40, "seed": 9})
        assert r.status_code == 202, r.text
        j = wait_for_job(c, r.json()["status_url"])
        assert j["status"] == "done", j
        assert j["result"]["runs"] == 40 and j["kind"] == "simulate"
