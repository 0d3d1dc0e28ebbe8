"""The API under attack: limits, hostile bodies and the malformed-input corpus.

Complements ``tests/api/test_api.py`` (which checks each limit once) with what an exposed server
meets: bodies streamed without a Content-Length, every scenario file of the bad-input corpus
posted to ``/validate``, deeply nested JSON and YAML, numbers of every wrong type for draws,
runs and samples, client strings that name files on the server, a flood of jobs, and time
limits on every synchronous endpoint. Each answer must be a clear 413/422/429/503 JSON error,
never a 5xx, never a traceback, never the content of a server file.

Corpus requests run in a forked child with a time limit (``_isolate.run_isolated``): a request
that makes the server burn CPU past the limit fails its own test and is killed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.extras import require

require("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import detente  # noqa: E402
import detente.api.app as app_module  # noqa: E402
from tests.hardening._isolate import run_isolated  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"
MANIFEST = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))
UPLOADS = [e for e in MANIFEST if e["reader"] in ("scenario", "ktab", "decide")]
_CTYPE = {".yaml": "application/yaml", ".json": "application/json", ".csv": "text/csv", ".txt": "text/plain",
          ".xml": "application/xml"}
BUILTIN_FILE = Path(detente.__file__).parent / "scenario" / "data" / "alaska_2025.yaml"


@pytest.fixture(scope="module", autouse=True)
def _forkserver():
    """Start the API's fork server here, so the forked children of run_isolated share it."""
    from detente.api.workers import warm

    warm()


def client(**config) -> TestClient:
    return TestClient(app_module.create_app(app_module.ApiConfig(**config)), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def api():
    with client() as c:
        yield c


def _clean_error(r, *statuses: int) -> dict:
    assert r.status_code in statuses, f"{r.status_code}: {r.text[:500]}"
    body = r.json()
    assert set(body) >= {"error", "message", "problems"}, body
    assert "Traceback" not in r.text and 'File "/' not in r.text
    return body


# ------------------------------------------------------------------ the corpus through /validate
def _post_file(name: str, timeout_s: float):
    data = (CORPUS / name).read_bytes()
    with client(request_timeout_s=timeout_s) as c:
        r = c.post(f"/validate?filename={name}", content=data,
                   headers={"content-type": _CTYPE.get(Path(name).suffix, "text/plain")})
        return r.status_code, r.text


@pytest.fixture(scope="module", autouse=True)
def _app_imported_in_the_parent():
    """The forked children of ``run_isolated`` get an address-space cap a little above the
    parent's size. What the app imports on first use (lazily) must already be loaded here, or
    a child spends its cap on imports and cannot start a thread: every test of this file
    failed that way when the file ran on its own."""
    _post_file(UPLOADS[0]["file"], 5.0)


@pytest.mark.parametrize("entry", UPLOADS, ids=[e["file"] for e in UPLOADS])
def test_corpus_file_posted_to_validate_is_a_clean_422(entry):
    out = run_isolated(_post_file, entry["file"], 5.0, timeout=30.0)
    assert out.kind == "ok", f"{entry['file']}: {out.describe()}"
    status, text = out.value
    assert status in (413, 422), f"{entry['file']}: {status} {text[:400]}"
    assert "Traceback" not in text and str(CORPUS) not in text
    assert "root:" not in text  # nothing from /etc/passwd (the XXE files name it)


# ------------------------------------------------------------------ bodies
def test_streamed_body_without_content_length_is_413():
    def chunks():
        for _ in range(50):
            yield b"# padding\n" * 1000  # 10 kB each, 500 kB in all

    with client(max_body_bytes=100_000) as c:
        r = c.post("/validate", content=chunks(), headers={"content-type": "application/yaml"})
        _clean_error(r, 413)
        assert "100000 bytes" in r.json()["message"]


@pytest.mark.parametrize("path", ["/forecast", "/montecarlo", "/simulate", "/sensitivity", "/report"])
def test_body_limit_on_every_post_endpoint(path):
    with client(max_body_bytes=5_000) as c:
        big = {"scenario": "alaska-2025", "models": ["weighted_mean"], "pad": "x" * 10_000}
        _clean_error(c.post(path, json=big), 413)


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_deeply_nested_json_body_is_422(api, depth):
    body = '{"scenario": ' + "[" * depth + "]" * depth + "}"
    _clean_error(api.post("/forecast", content=body, headers={"content-type": "application/json"}), 422)


@pytest.mark.parametrize("body", [b"\xff\xfe{\x00", b'{"scenario": "alaska-2025", "seed": NaN}', b"null", b"[]",
                                  b'{"scenario": {"name": "x"}}', b'{"scenario": 12}', b"{" * 10])
def test_hostile_json_bodies_are_422(api, body):
    _clean_error(api.post("/forecast", content=body, headers={"content-type": "application/json"}), 422)


# ------------------------------------------------------------------ numbers per request
@pytest.mark.parametrize("value", [0, -1, 1.5, None, "many", True, 10**30, 1e300, [10]])
@pytest.mark.parametrize(("path", "field"), [("/montecarlo", "draws"), ("/simulate", "runs"), ("/sensitivity", "samples")])
def test_draws_runs_samples_out_of_range_are_422(api, path, field, value):
    body = _clean_error(api.post(path, json={"scenario": "alaska-2025", field: value}), 422)
    assert any(p["field"] == field or field in p["location"] for p in body["problems"]) or field in body["message"], body


@pytest.mark.parametrize(("path", "field", "limit"), [("/montecarlo", "draws", "max_draws"), ("/simulate", "runs", "max_runs"),
                                                       ("/sensitivity", "samples", "max_samples")])
def test_one_over_the_limit_is_422_and_names_it(path, field, limit):
    with client(**{limit: 100}) as c:
        body = _clean_error(c.post(path, json={"scenario": "alaska-2025", field: 101}), 422)
        assert body["error"] == "LimitExceeded" and "at most 100" in body["message"]


# ------------------------------------------------------------------ no server paths
@pytest.mark.parametrize("ref", [str(BUILTIN_FILE), "/etc/passwd", "../../../../etc/passwd", "file:///etc/passwd",
                                 "~/.bashrc", "alaska_2025.yaml", "scenario/data/alaska_2025.yaml",
                                 "tests/bad_inputs/yaml_empty.yaml", "alaska-2025/../alaska-2025", "\\\\server\\share\\x.yaml",
                                 "alaska-2025\x00.yaml"])
@pytest.mark.parametrize("path", ["/forecast", "/montecarlo", "/simulate", "/report"])
def test_a_path_is_never_opened(api, path, ref):
    """An existing, valid scenario file on the server is refused too: names, not paths."""
    body = _clean_error(api.post(path, json={"scenario": ref, "models": ["weighted_mean"]}), 404, 422)
    assert "root:" not in body["message"] and "actors" not in body["message"]


def test_validate_filename_is_only_a_label(api):
    r = api.post(f"/validate?filename={BUILTIN_FILE}", content=b"", headers={"content-type": "application/yaml"})
    body = _clean_error(r, 422)
    assert str(BUILTIN_FILE.parent) not in r.text and body["problems"][0]["source"] == "alaska_2025.yaml"


# ------------------------------------------------------------------ time and concurrency
@pytest.mark.parametrize(("path", "body"), [
    ("/forecast", {"scenario": "alaska-2025"}),
    ("/montecarlo", {"scenario": "alaska-2025", "draws": 5000}),
    ("/simulate", {"scenario": "alaska-2025", "runs": 100}),
    ("/report", {"scenario": "alaska-2025", "models": ["weighted_mean"]}),
])
def test_time_limit_is_503_on_every_synchronous_endpoint(path, body):
    with client(request_timeout_s=1e-6) as c:
        r = c.post(path, json=body)
        b = _clean_error(r, 503)
        assert b["error"] == "Timeout" and int(r.headers["retry-after"]) > 0


def test_job_flood_gets_429_and_the_server_stays_up():
    with client(max_jobs=1, sync_draws=10, job_timeout_s=60) as c:
        # the job must hold the one slot while the 20 requests arrive: a million weighted-mean
        # draws take about 0.1 s now, a million expected-utility draws several seconds
        first = c.post("/montecarlo", json={"scenario": "alaska-2025", "draws": 1_000_000, "seed": 1,
                                            "model": "expected_utility"})
        assert first.status_code == 202, first.text
        refused = [c.post("/montecarlo", json={"scenario": "alaska-2025", "draws": 1_000_000}) for _ in range(20)]
        assert {r.status_code for r in refused} == {429}
        assert all(int(r.headers["retry-after"]) > 0 for r in refused)
        _clean_error(refused[0], 429)
        assert c.get("/health").status_code == 200
        assert c.post("/forecast", json={"scenario": "alaska-2025", "models": ["weighted_mean"]}).status_code == 200


def test_job_over_its_time_limit_is_refused_before_it_starts():
    """A job whose estimated time is over the job time limit is refused (422) before it starts;
    a job that overruns anyway is killed (tests/api/test_jobs.py)."""
    with client(max_jobs=1, sync_draws=10, job_timeout_s=0.5) as c:
        r = c.post("/montecarlo", json={"scenario": "alaska-2025", "draws": 1_000_000, "seed": 1})
        b = _clean_error(r, 422)
        assert "would run for about" in b["message"] and "0.5 s" in b["message"], b
