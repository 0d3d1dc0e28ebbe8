"""Bounded loopback load test of the REST API: POST /forecast from concurrent clients.

Starts ``uvicorn`` (one worker, the app factory ``detente.api.app:create_app``) on a free
127.0.0.1 port in a child process, sends REQUESTS forecast requests from CLIENTS concurrent
clients (httpx, keep-alive), stops by itself (after the last request, or at the deadline),
stops the server, and prints requests/s, p50/p90/p99 latency and the error count, which
must be 0 (exit status 1 otherwise). Not run in CI.

    python benchmarks/bench_api_load.py [--requests 2000] [--clients 8] [--models weighted_mean,...]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--models", default="weighted_mean,weighted_median,nash")
    ap.add_argument("--deadline", type=float, default=600.0, help="seconds before the test gives up")
    args = ap.parse_args(argv)

    import httpx

    from detente import load_scenario

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "detente.api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() - t0 > 60:
                print("error: the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)

        body = json.dumps({"scenario": load_scenario("alaska-2025").model_dump(mode="json"),
                           "models": args.models.split(",")})
        expected = None
        with httpx.Client(base_url=base) as c:
            expected = c.post("/forecast", content=body, headers={"content-type": "application/json"}).json()

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        counter = iter(range(args.requests))
        deadline = time.monotonic() + args.deadline

        def client() -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                while time.monotonic() < deadline:
                    with lock:
                        if next(counter, None) is None:
                            return
                    t = time.perf_counter()
                    try:
                        r = c.post("/forecast", content=body, headers={"content-type": "application/json"})
                        ok = r.status_code == 200 and r.json() == expected
                        why = f"status {r.status_code}" if r.status_code != 200 else "different answer"
                    except httpx.HTTPError as e:
                        ok, why = False, f"{type(e).__name__}: {e}"
                    dt = time.perf_counter() - t
                    with lock:
                        latencies.append(dt)
                        if not ok:
                            errors.append(why)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    lat = np.array(latencies) * 1000
    done = len(lat)
    print(f"POST /forecast, models {args.models}, Alaska scenario ({len(body)} bytes), "
          f"{args.clients} clients, uvicorn 1 worker on 127.0.0.1")
    print(f"{'requests':>10} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    if done:
        print(f"{done:>10} {wall:>8.2f} {done / wall:>8.1f} {np.percentile(lat, 50):>8.1f} "
              f"{np.percentile(lat, 90):>8.1f} {np.percentile(lat, 99):>8.1f} {lat.max():>8.1f} {len(errors):>7}")
    missing = args.requests - done
    if missing:
        print(f"stopped at the deadline: {missing} requests not sent")
    if errors:
        print("first errors:", errors[:5])
    return 0 if not errors and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
