"""The deployment example of docs/deploy.md, on loopback: ``detente serve --workers 2`` with an
API key and a shared SQLite job file, behind a small Python reverse proxy.

Jobs started through the proxy are read through it from fresh connections (so by either server
process); the job limit holds for both; requests without the key get 401."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.extras import require

require("fastapi")
httpx = require("httpx")

from detente.api.auth import hash_key  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proxy(upstream: str) -> ThreadingHTTPServer:
    """A minimal reverse proxy: every request forwarded to ``upstream`` on a new connection."""

    class Forward(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            headers["X-Forwarded-For"] = self.client_address[0]
            with httpx.Client(timeout=60) as c:  # a new connection each time: either worker
                r = c.request(self.command, upstream + self.path, content=body, headers=headers)
            self.send_response(r.status_code)
            for k, v in r.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        do_GET = do_POST = _forward

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.slow
def test_two_workers_behind_a_reverse_proxy(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
           "DETENTE_API_API_KEYS": hash_key("team-key"),
           "DETENTE_API_JOBS_DB": str(tmp_path / "jobs.sqlite"),
           "DETENTE_API_MAX_JOBS": "1", "DETENTE_API_SYNC_DRAWS": "10", "DETENTE_API_WORKERS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "detente.cli", "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--workers", "2", "--log-level", "warning"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proxy = None
    try:
        upstream = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(upstream + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode()[-2000:] if server.stderr else ""
            assert time.monotonic() < deadline, "detente serve did not start"
            time.sleep(0.3)
        proxy = _proxy(upstream)
        base = f"http://127.0.0.1:{proxy.server_address[1]}"
        key = {"Authorization": "Bearer team-key"}

        assert httpx.get(base + "/health").status_code == 200
        assert httpx.get(base + "/models").status_code == 401
        assert httpx.get(base + "/models", headers=key).status_code == 200

        r = httpx.post(base + "/montecarlo", headers=key, timeout=60,
                       json={"scenario": "alaska-2025", "draws": 20_000, "seed": 1})
        assert r.status_code == 202, r.text
        url = base + r.json()["status_url"]
        # the job limit holds across both server processes
        busy = [httpx.post(base + "/montecarlo", headers=key, timeout=60,
                           json={"scenario": "alaska-2025", "draws": 20_000}).status_code for _ in range(4)]
        seen = []
        deadline = time.monotonic() + 120
        while True:
            j = httpx.get(url, headers=key, timeout=30)
            assert j.status_code == 200, j.text  # never 404: whichever process answers knows it
            seen.append(j.json()["status"])
            if seen[-1] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert seen[-1] == "done", j.text
        assert 429 in busy or "done" in seen[:1]
        for _ in range(6):  # fresh connections, spread over both processes
            assert httpx.get(url, headers=key).json()["status"] == "done"
    finally:
        if proxy is not None:
            proxy.shutdown()
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
