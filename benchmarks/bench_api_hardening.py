"""Bounded loopback load test of the REST API: forecasts and simulations from 8 clients.

Starts ``uvicorn`` (one process, ``detente.api.app:create_app``) on a free 127.0.0.1 port,
sends 2,000 ``POST /forecast`` and 200 ``POST /simulate`` requests, interleaved, from 8
concurrent keep-alive clients, then stops by itself (after the last request or at the
deadline) and stops the server. Prints, per endpoint and overall: requests, errors (anything
but 200; must be 0), requests/s, p50/p99 latency; and the server's resident memory before and
after. Exit status 1 when there were errors. Not run in CI.

    python benchmarks/bench_api_hardening.py [--forecasts 2000] [--simulations 200] [--clients 8]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import numpy as np

FORECAST_MODELS = ["weighted_mean", "weighted_median", "nash"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def api_server(env: dict | None = None) -> Iterator[tuple[str, int]]:
    """A uvicorn server process on loopback; yields (base URL, pid)."""
    import httpx

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "detente.api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > 90:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    import psutil

    p = psutil.Process(pid)
    total = p.memory_info().rss
    for c in p.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += c.memory_info().rss
    return total / 2**20


def eu_scenario_json() -> dict:
    from detente import load_scenario

    return load_scenario("eu-emissions-1994").model_dump(mode="json")


def requests_plan(n_forecast: int, n_sim: int) -> list[tuple[str, str, dict]]:
    """(kind, path, body), simulations spread evenly through the forecasts."""
    eu = eu_scenario_json()
    plan: list[tuple[str, str, dict]] = []
    every = max(1, n_forecast // max(n_sim, 1))
    s = 0
    for k in range(n_forecast):
        sc = "alaska-2025" if k % 2 == 0 else eu  # by name, and as data
        plan.append(("forecast", "/forecast", {"scenario": sc, "models": FORECAST_MODELS}))
        if s < n_sim and k % every == every - 1:
            plan.append(("simulate", "/simulate", {"scenario": "alaska-2025", "runs": 50, "seed": s}))
            s += 1
    while s < n_sim:
        plan.append(("simulate", "/simulate", {"scenario": "alaska-2025", "runs": 50, "seed": s}))
        s += 1
    return plan


def run_load(base: str, plan: list[tuple[str, str, dict]], clients: int, deadline_s: float,
             pace_s: float = 0.0) -> dict:
    """Send ``plan`` from ``clients`` threads; returns per-kind latencies and error lists."""
    import httpx

    work: queue.Queue = queue.Queue()
    for item in plan:
        work.put(item)
    lat: dict[str, list[float]] = {}
    errors: dict[str, list[str]] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline_s

    def client() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            while time.monotonic() < stop_at:
                try:
                    kind, path, body = work.get_nowait()
                except queue.Empty:
                    return
                t = time.perf_counter()
                try:
                    r = c.post(path, json=body)
                    ok, why = r.status_code == 200, f"{r.status_code} {r.text[:120]}"
                except httpx.HTTPError as e:
                    ok, why = False, f"{type(e).__name__}: {e}"
                dt = time.perf_counter() - t
                with lock:
                    lat.setdefault(kind, []).append(dt)
                    if not ok:
                        errors.setdefault(kind, []).append(why)
                if pace_s:
                    time.sleep(pace_s)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"lat": lat, "errors": errors, "wall": wall, "unsent": work.qsize()}


def report(res: dict) -> int:
    rows = []
    all_lat = [x for v in res["lat"].values() for x in v]
    for kind, v in sorted(res["lat"].items()) + [("all", all_lat)]:
        a = np.array(v) * 1000
        n_err = sum(len(e) for e in res["errors"].values()) if kind == "all" else len(res["errors"].get(kind, []))
        rows.append((kind, len(a), n_err, len(a) / res["wall"], np.percentile(a, 50), np.percentile(a, 99), a.max()))
    print(f"{'endpoint':<10} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, n, e, rps, p50, p99, mx in rows:
        print(f"{kind:<10} {n:>8} {e:>6} {rps:>8.1f} {p50:>8.1f} {p99:>8.1f} {mx:>8.1f}")
    print(f"wall time {res['wall']:.1f} s; requests not sent before the deadline: {res['unsent']}")
    for kind, errs in res["errors"].items():
        for e in errs[:5]:
            print(f"error ({kind}): {e}", file=sys.stderr)
    return 1 if res["errors"] or res["unsent"] else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forecasts", type=int, default=2000)
    ap.add_argument("--simulations", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--deadline", type=float, default=900.0, help="seconds before the test stops sending")
    args = ap.parse_args(argv)
    plan = requests_plan(args.forecasts, args.simulations)
    with api_server() as (base, pid):
        before = rss_mb(pid)
        res = run_load(base, plan, args.clients, args.deadline)
        after = rss_mb(pid)
    print(f"loopback load: {args.clients} clients, {args.forecasts} forecasts ({', '.join(FORECAST_MODELS)}; "
          f"alaska-2025 by name and eu-emissions-1994 as data), {args.simulations} simulations (50 runs each)")
    code = report(res)
    print(f"server RSS {before:.0f} MiB before, {after:.0f} MiB after")
    return code


if __name__ == "__main__":
    sys.exit(main())
