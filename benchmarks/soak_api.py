"""Soak test of the REST API: moderate load for 10 minutes, server memory must not grow.

Starts the server (as ``bench_api_hardening.py`` does), warms it up, then keeps 4 clients
sending forecasts (every 10th request a small simulation, every 25th a request the server
must refuse: a malformed scenario, an over-limit draw count) for ``--duration`` seconds,
sampling the server's resident memory every ``--every`` seconds. Passes (exit 0) when the
memory at the end is within 10% of the memory after warm-up and no request got an
unexpected status. Not run in CI; the full run is 10 minutes:

    python benchmarks/soak_api.py                 # 600 s
    python benchmarks/soak_api.py --duration 60   # a short check
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time

import numpy as np
from bench_api_hardening import FORECAST_MODELS, api_server, eu_scenario_json, rss_mb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=600.0)
    ap.add_argument("--warmup", type=float, default=None, help="seconds of warm-up (default: 10%% of duration, >= 10 s)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--max-growth", type=float, default=0.10)
    args = ap.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else max(10.0, 0.1 * args.duration)

    import httpx

    eu = eu_scenario_json()
    bad = dict(eu, positions=[dict(eu["positions"][0], salience=1.4)] + eu["positions"][1:])
    counter = itertools.count()
    counts = {"ok": 0, "refused_as_expected": 0, "unexpected": 0}
    unexpected: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def request(c: httpx.Client) -> None:
        k = next(counter)
        if k % 25 == 24:
            body, path, want = ({"scenario": bad}, "/forecast", 422) if k % 50 == 49 else \
                ({"scenario": "alaska-2025", "draws": 10**9}, "/montecarlo", 422)
        elif k % 10 == 9:
            body, path, want = {"scenario": "alaska-2025", "runs": 100, "seed": k}, "/simulate", 200
        else:
            body, path, want = {"scenario": "alaska-2025" if k % 2 else eu, "models": FORECAST_MODELS}, "/forecast", 200
        try:
            r = c.post(path, json=body)
            status = r.status_code
        except httpx.HTTPError as e:
            status = f"{type(e).__name__}"
        with lock:
            if status == want:
                counts["ok" if want == 200 else "refused_as_expected"] += 1
            else:
                counts["unexpected"] += 1
                unexpected.append(f"{path}: {status} (wanted {want})")

    def client() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            while not stop.is_set():
                request(c)
                time.sleep(0.02)

    with api_server() as (base, pid):
        t0 = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        samples: list[tuple[float, float]] = []
        base_rss = None
        while time.monotonic() - t0 < args.duration:
            time.sleep(args.every)
            now = time.monotonic() - t0
            rss = rss_mb(pid)
            samples.append((now, rss))
            if base_rss is None and now >= warmup:
                base_rss = rss
            print(f"t={now:6.0f} s  rss={rss:7.1f} MiB  requests={sum(counts.values())}", flush=True)
        stop.set()
        for t in threads:
            t.join()
        end_rss = rss_mb(pid)
    base_rss = base_rss if base_rss is not None else samples[0][1]
    after = np.array([r for t, r in samples if t >= warmup] or [end_rss])
    growth = end_rss / base_rss - 1.0
    n = sum(counts.values())
    print(f"\nsoak {args.duration:.0f} s ({warmup:.0f} s warm-up), {args.clients} clients: {n} requests "
          f"({n / args.duration:.1f}/s): {counts}")
    print(f"server RSS after warm-up {base_rss:.1f} MiB, peak after warm-up {after.max():.1f} MiB, "
          f"end {end_rss:.1f} MiB: growth {growth:+.1%} (limit {args.max_growth:.0%})")
    for u in unexpected[:10]:
        print("unexpected:", u, file=sys.stderr)
    ok = growth <= args.max_growth and counts["unexpected"] == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
