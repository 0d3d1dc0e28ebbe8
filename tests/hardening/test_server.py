"""Issue 21: no request can take the server down, and a team can deploy it.

A live server on loopback (uvicorn in a thread, :func:`detente.api.server.running_server`) is
attacked while ``/health`` is timed: computations run in killable worker processes (memory
limit, concurrency cap, timeouts that stop the work), error bodies are bounded, slow clients
time out; API keys, the Host allow-list, jobs shared through SQLite and self-hosted docs.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.extras import require

require("fastapi")
httpx = require("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from detente.api.app import ApiConfig, create_app  # noqa: E402
from detente.api.auth import hash_key  # noqa: E402
from detente.api.jobs import JobManager  # noqa: E402
from detente.api.server import running_server  # noqa: E402
from detente.api.workers import WorkerPool, WorkerTimeout, warm  # noqa: E402
from detente.errors import ScenarioError  # noqa: E402
from tests.hardening._big import big_data  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _forkserver():
    warm()


@contextlib.contextmanager
def served(**env: str):
    """``detente serve`` in its own process on a free loopback port (as deployed: the clients
    of a test never share the server's interpreter), configured by DETENTE_API_* variables."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    e = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
         **{"DETENTE_API_" + k.upper(): v for k, v in env.items()}}
    proc = subprocess.Popen([sys.executable, "-m", "detente.cli", "serve", "--port", str(port),
                             "--log-level", "warning"], env=e, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


_PROBE = """
import sys, time, httpx
with httpx.Client(base_url=sys.argv[1], timeout=10) as c:
    c.get("/health")
    print("ready", flush=True)
    end = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < end:
        t = time.perf_counter()
        r = c.get("/health")
        print(time.perf_counter() - t if r.status_code == 200 else 99.0, flush=True)
        time.sleep(0.05)
"""


@contextlib.contextmanager
def health_probe(base: str, seconds: float):
    """Time ``GET /health`` every 50 ms from another process (so the attacking threads of the
    test never slow the probe itself); yields a list filled with the times when it ends."""
    p = subprocess.Popen([sys.executable, "-c", _PROBE, base, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    times: list[float] = []
    try:
        yield times
    finally:
        out, _ = p.communicate(timeout=seconds + 60)
        times.extend(float(x) for x in out.split())


def _amplification_body() -> bytes:
    """6,000 positions naming an unknown actor (about 500 KB)."""
    data = big_data(20, 5)
    data["positions"] += [{"actor": f"ghost{k}", "issue": "i0", "position": 1.0, "salience": 0.5}
                          for k in range(6000)]
    return json.dumps({"scenario": data, "models": ["weighted_mean"]}).encode()


def test_amplification_gets_a_small_422_and_health_stays_fast():
    body = _amplification_body()
    assert len(body) > 300_000
    with served(request_timeout_s="20") as (base, _), health_probe(base, 4.0) as times:
        with httpx.Client(base_url=base, timeout=60) as c:
            r = c.post("/forecast", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    assert len(r.content) < 30_000, len(r.content)
    b = r.json()
    assert b["error"] == "ScenarioError" and 0 < len(b["problems"]) <= 20
    assert "ghost" in r.text
    assert times and max(times) < 0.5, max(times)


def _quadratic_csv() -> bytes:
    """A 240 KB CSV whose header has 30,000 columns (the duplicate-column check was quadratic)."""
    header = ",".join(f"c{k}" for k in range(30_000))
    return (header + "\n" + ",".join("1" for _ in range(30_000)) + "\n").encode()


def _raw_post(base: str, path: str, body: bytes, ctype: str, timeout: float = 60.0) -> int:
    """POST over a bare socket (cheap for the attacking side); the answer's status code."""
    host, port = base.removeprefix("http://").split(":")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(head + body)
        first = s.makefile("rb").readline()
    return int(first.split()[1])


def test_45_concurrent_hostile_uploads_leave_health_fast():
    raw = _quadratic_csv()
    results: list[int] = []
    with served(request_timeout_s="3", workers="2", queue="8") as (base, _):
        with health_probe(base, 8.0) as times:
            t0 = time.perf_counter()
            ups = [threading.Thread(target=lambda: results.append(_raw_post(base, "/validate?filename=x.csv",
                                                                            raw, "text/csv")))
                   for _ in range(45)]
            for u in ups:
                u.start()
            for u in ups:
                u.join()
            elapsed = time.perf_counter() - t0
        with httpx.Client(base_url=base, timeout=10) as c:  # still serving normal work
            ok = c.post("/forecast", json={"scenario": "alaska-2025", "models": ["weighted_mean"]})
    assert len(results) == 45 and set(results) <= {413, 422, 503}, results
    assert max(times) < 0.5, max(times)
    assert elapsed < 60
    assert ok.status_code == 200


def test_exchange_with_a_million_rounds_gets_422_in_under_a_second():
    body = b'{"scenario":"alaska-2025","models":["exchange"],"params":{"exchange":{"rounds":1000000}}}'
    assert len(body) < 100
    with TestClient(create_app()) as c:
        c.post("/forecast", json={"scenario": "alaska-2025", "models": ["weighted_mean"]})  # a worker up
        t = time.perf_counter()
        r = c.post("/forecast", content=body, headers={"content-type": "application/json"})
        dt = time.perf_counter() - t
    assert r.status_code == 422 and "rounds" in r.text, r.text
    assert dt < 1.0, dt


@pytest.mark.parametrize("path,body", [
    ("/simulate", {"scenario": big_data(400, 9), "runs": 10}),
    ("/montecarlo", {"scenario": big_data(500, 20), "draws": 50_000}),
    ("/sensitivity", {"scenario": big_data(50, 4), "samples": 4096}),
    ("/forecast", {"scenario": big_data(1000, 10), "models": ["ktab_smp"]}),
], ids=["simulate-400x9", "montecarlo-500x20", "sensitivity-50x4", "ktab-1000x10"])
def test_big_requests_are_refused_with_the_limit(path, body):
    cfg = ApiConfig(max_body_bytes=2_000_000, max_draws=100_000)
    with TestClient(create_app(cfg), raise_server_exceptions=False) as c:
        t = time.perf_counter()
        r = c.post(path, json=body)
        dt = time.perf_counter() - t
    assert r.status_code == 422, r.text[:400]
    assert "limit" in r.json()["message"], r.text[:400]
    assert dt < 15, dt  # parsing the scenario in the worker; no computation


def test_a_timeout_stops_the_work():
    import asyncio

    import psutil

    pool = WorkerPool(size=1, memory_bytes=1 << 30, queue=2)
    try:
        async def go():
            return await pool.run("tests.hardening._workfns:spin", {"seconds": 60}, 1.0)

        with pytest.raises(WorkerTimeout):
            asyncio.run(go())
        time.sleep(0.2)
        assert pool.killed == 1 and pool.pids() == []  # the worker that overran is gone
        kind, value = asyncio.run(pool.run("tests.hardening._workfns:echo", {"x": 1}, 20.0))
        assert (kind, value) == ("ok", {"x": 1})  # and a new one answers
        assert all(psutil.pid_exists(p) for p in pool.pids())
    finally:
        pool.shutdown()


def test_a_worker_has_a_memory_limit():
    import asyncio

    pool = WorkerPool(size=1, memory_bytes=200 * 2**20, queue=2)
    try:
        kind, (status, body) = asyncio.run(pool.run("tests.hardening._workfns:allocate",
                                                    {"bytes": 2 * 2**30}, 20.0))
        assert kind == "error" and status == 503 and body["error"] == "MemoryLimit", body
        kind, value = asyncio.run(pool.run("tests.hardening._workfns:allocate", {"bytes": 50 * 2**20}, 20.0))
        assert kind == "ok"  # under the limit, in the same worker
    finally:
        pool.shutdown()


def test_concurrency_cap_answers_503_beyond_the_queue():
    with running_server(create_app(ApiConfig(request_timeout_s=2, workers=1, queue=1))) as base:
        codes: list[int] = []

        def post() -> None:
            # a forecast of every model (with the deal probability and the absent-actor runs)
            # keeps the one worker busy for a while, whatever the machine's speed; parsing a
            # file is now too fast to fill the queue reliably
            with httpx.Client(base_url=base, timeout=30) as c:
                codes.append(c.post("/forecast", json={"scenario": "alaska-2025"}).status_code)

        ths = [threading.Thread(target=post) for _ in range(6)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
    assert codes.count(503) >= 1 and len(codes) == 6


def test_slow_client_gets_408():
    with running_server(create_app(ApiConfig(read_timeout_s=1))) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\n"
                      b"Content-Length: 1000\r\n\r\nname: x\n")
            t = time.perf_counter()
            answer = s.recv(4096)
            dt = time.perf_counter() - t
    assert b" 408 " in answer.split(b"\r\n", 1)[0], answer[:200]
    assert dt < 5


def test_api_keys():
    cfg = ApiConfig(api_keys=(hash_key("s3cret"),))
    with TestClient(create_app(cfg), raise_server_exceptions=False) as c:
        assert c.get("/health").status_code == 200  # open for load balancers
        r = c.get("/models")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.get("/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/models", headers={"X-API-Key": "s3cret"}).status_code == 200
    with pytest.raises(ScenarioError, match="digest"):
        ApiConfig(api_keys=("s3cret",))  # a key in clear is refused


def test_host_allow_list():
    with TestClient(create_app(ApiConfig(allowed_hosts=("127.0.0.1", "localhost"))),
                    base_url="http://localhost") as c:
        assert c.get("/health").status_code == 200
        assert c.get("/health", headers={"Host": "evil.example"}).status_code == 400


def test_jobs_are_shared_through_sqlite(tmp_path):
    db = str(tmp_path / "jobs.sqlite")
    a = JobManager(max_running=1, timeout_s=60, db=db)
    b = JobManager(max_running=1, timeout_s=60, db=db)
    try:
        job = a.submit("test", "tests.api.jobfns:ok", {"xs": [1, 2, 3]})
        deadline = time.monotonic() + 60
        while b.get(job.id).status in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert b.get(job.id).as_dict()["result"] == {"sum": 6}
        slow = a.submit("test", "tests.api.jobfns:sleepy", {"seconds": 30})
        from detente.api.jobs import JobsBusy

        with pytest.raises(JobsBusy):  # the cap holds across managers
            b.submit("test", "tests.api.jobfns:ok", {"xs": [1]})
        assert b.get(slow.id).status == "running"
    finally:
        a.shutdown()
        b.shutdown()


def test_docs_load_nothing_from_a_cdn():
    with TestClient(create_app()) as c:
        for path in ("/docs", "/redoc"):
            r = c.get(path)
            assert r.status_code == 200
            assert "cdn." not in r.text and "fonts.googleapis" not in r.text
            for src in [p.split('"')[0] for p in r.text.split('src="')[1:]]:
                assert src.startswith("/"), src
                assert c.get(src).status_code == 200, src


def test_dask_dashboard_binds_loopback():
    require("distributed")
    psutil = require("psutil")
    from detente.uncertainty.backends import DaskBackend

    with DaskBackend(n_workers=1, processes=False) as be:
        link = be.dashboard_link
        if link is None:
            pytest.skip("no dashboard (bokeh missing)")
        port = int(link.rsplit(":", 1)[1].split("/")[0])
        listening = [c.laddr.ip for c in psutil.Process().net_connections()
                     if c.status == "LISTEN" and c.laddr.port == port]
    assert link.startswith("http://127.0.0.1:")
    assert listening == ["127.0.0.1"], listening


def test_config_file_and_serve_refuses_the_network_without_keys(tmp_path):
    from typer.testing import CliRunner

    from detente.cli import app

    f = tmp_path / "server.toml"
    f.write_text(f'max_jobs = 4\napi_keys = ["{hash_key("k")}"]\nallowed_hosts = ["a.example"]\n')
    cfg = ApiConfig.from_file(str(f), env={"DETENTE_API_MAX_JOBS": "3"})
    assert (cfg.max_jobs, cfg.api_keys, cfg.allowed_hosts) == (3, (hash_key("k"),), ("a.example",))
    (tmp_path / "bad.toml").write_text("max_job = 4\n")
    with pytest.raises(ScenarioError, match="unknown setting.*max_job"):
        ApiConfig.from_file(str(tmp_path / "bad.toml"))
    r = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "0"], env={"DETENTE_API_API_KEYS": ""})
    assert r.exit_code == 2 and "API keys" in r.output, r.output
    r = CliRunner().invoke(app, ["serve", "--hash-key"], input="k\n")
    assert r.exit_code == 0 and r.output.strip() == hash_key("k")
