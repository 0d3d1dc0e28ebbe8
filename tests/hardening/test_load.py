"""A loopback load test (issue 21): normal and hostile requests mixed, against ``detente serve``
in its own process. Bounded: 120 requests from 8 clients, under a minute.

Holds: every normal request is answered 200 (a client retries a 503 after its Retry-After, as
clients should); the server (its process and every worker it starts) stays under 1.5 GB of
memory; hostile requests get 4xx/503, never a 500.
"""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.extras import require

require("fastapi")
httpx = require("httpx")
psutil = require("psutil")

from tests.hardening._big import big_data, big_json  # noqa: E402
from tests.hardening.test_server import _amplification_body, _quadratic_csv, _raw_post, served  # noqa: E402

MEMORY_LIMIT = 1.5 * 2**30


def _tree_rss(pid: int) -> int:
    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _requests() -> list[tuple[str, str, bytes, str]]:
    """(kind, path, body, content type): 80 normal, 40 hostile, shuffled with a fixed seed."""
    j = "application/json"
    normal = [
        ("normal", "/forecast", json.dumps({"scenario": "alaska-2025", "models": ["weighted_mean", "nash"]}).encode(), j),
        ("normal", "/forecast", json.dumps({"scenario": big_data(12, 4)}).encode(), j),
        ("normal", "/validate?filename=s.yaml", yaml.safe_dump(big_data(6, 3)).encode(), "application/yaml"),
        ("normal", "/simulate", json.dumps({"scenario": "alaska-2025", "runs": 50, "seed": 1}).encode(), j),
    ]
    hostile = [
        ("hostile", "/forecast", b'{"scenario":"alaska-2025","models":["exchange"],"params":{"exchange":{"rounds":1000000}}}', j),
        ("hostile", "/forecast", _amplification_body(), j),
        ("hostile", "/forecast", json.dumps({"scenario": json.loads(big_json(1000, 10)), "models": ["ktab_smp"]}).encode(), j),
        ("hostile", "/simulate", json.dumps({"scenario": big_data(400, 9), "runs": 10}).encode(), j),
        ("hostile", "/montecarlo", json.dumps({"scenario": big_data(500, 20), "draws": 50_000}).encode(), j),
        ("hostile", "/validate?filename=x.csv", _quadratic_csv(), "text/csv"),
        ("hostile", "/validate", b"\x00" * 500_000, "application/yaml"),
        ("hostile", "/forecast", b"{" * 200_000, j),
    ]
    reqs = [normal[k % len(normal)] for k in range(80)] + [hostile[k % len(hostile)] for k in range(40)]
    random.Random(21).shuffle(reqs)
    return reqs


@pytest.mark.slow
def test_mixed_load_memory_and_answers():
    reqs = _requests()
    with served(request_timeout_s="5", max_body_bytes="2000000", workers="2", queue="16") as (base, proc):
        peak = [0]
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss(proc.pid))
                time.sleep(0.1)

        w = threading.Thread(target=watch)
        w.start()
        t0 = time.perf_counter()

        def send(req) -> tuple[str, int, int]:
            kind, path, body, ctype = req
            tries = 0
            while True:
                tries += 1
                code = _raw_post(base, path, body, ctype, timeout=60)
                if kind == "hostile" or code != 503 or tries >= 20:
                    return kind, code, tries
                time.sleep(0.5)

        try:
            with ThreadPoolExecutor(8) as ex:
                results = list(ex.map(send, reqs))
        finally:
            stop.set()
            w.join()
        elapsed = time.perf_counter() - t0
    normal = [c for k, c, _ in results if k == "normal"]
    hostile = [c for k, c, _ in results if k == "hostile"]
    assert normal.count(200) == len(normal) == 80, sorted(set(normal))
    assert all(c in (408, 413, 422, 503) for c in hostile), sorted(set(hostile))
    assert peak[0] < MEMORY_LIMIT, f"server used {peak[0] / 2**30:.2f} GiB"
    assert elapsed < 60, elapsed
    print(f"\nload: {len(results)} requests in {elapsed:.1f} s, peak server memory "
          f"{peak[0] / 2**20:.0f} MiB, retries {sum(t - 1 for _, _, t in results)}")
