"""Exchange model speed against the recorded times of the Decide reference.

Run: ``/work/venv/bin/python benchmarks/bench_exchange.py [--reps N] [--numpy-reps N]`` with
``DETENTE_REFERENCE`` pointing at the reference folder (default ``../shared/reference``).
Prints detente's wall times per variant and backend, the reference's recorded model-only
times (``meta.wall_seconds_model_only`` of the saved runs, 10 rounds on a 2-core machine) and
the ratios. Targets (issue 5): stokman >= 50x faster than the reference on cop21; decide no
slower than the reference; 1,000 REX repetitions of sample_data in under 10 s.

Backends of ``variant="stokman"``: ``numba`` (the compiled kernel, ``detente[fast]``) and
``numpy`` (the fallback without numba); both give identical runs. The first kernel call of a
process loads the compiled code from numba's cache, or compiles it when the cache is missing
or stale; that time is printed separately and excluded from the model times. ``--reps`` sets
the REX repetitions timed with numba, ``--numpy-reps`` with numpy (the decide variant runs at
most 10); a time for 1,000 repetitions is extrapolated when fewer are run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from detente._jit import HAVE_NUMBA
from detente.io.decide import read_decide
from detente.models.exchange import exchange_run


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000, help="REX repetitions timed with numba")
    ap.add_argument("--numpy-reps", type=int, default=200,
                    help="REX repetitions timed with the numpy backend")
    args = ap.parse_args()
    root = Path(os.environ.get("DETENTE_REFERENCE", "../shared/reference")) / "exchange"
    load0 = os.getloadavg()[0]
    backends = ["numba", "numpy"] if HAVE_NUMBA else ["numpy"]
    first = None
    if HAVE_NUMBA:
        tiny = read_decide(root / "inputs" / "rex_fixture_2x2.txt")
        t = time.perf_counter()
        exchange_run(tiny, rule="rex", backend="numba", record=1)
        first = time.perf_counter() - t
    rows = []
    for case in ("sample_data", "cop21"):
        data = read_decide(root / "inputs" / ("cop21.csv" if case == "cop21" else f"{case}.txt"))
        ref_times = [json.loads((root / "outputs" / f"{case}.{run}.json").read_text())["meta"]
                     ["wall_seconds_model_only"] for run in ("equal_gain_noties", "equal_gain_seed42")]
        ref = float(np.mean(ref_times))
        label = f"{case} equal gain 10 rounds"
        for backend in backends:
            t = _best(lambda d=data, b=backend: exchange_run(d, variant="stokman", backend=b,
                                                             record=0), repeat=5)
            rows.append((label, f"stokman/{backend}", t, ref, ref / t))
        t = _best(lambda d=data: exchange_run(d, variant="decide", seed=42, record=0),
                  repeat=3 if case == "sample_data" else 1)
        rows.append((label, "decide", t, ref, ref / t))
    data = read_decide(root / "inputs" / "sample_data.txt")
    ref_rex = json.loads((root / "outputs" / "sample_data.rex_p0.5_seed42.json").read_text())["meta"]
    ref_per_rep = ref_rex["wall_seconds_model_only"] / ref_rex["repetitions"]
    runs = [(f"stokman/{b}", b, args.reps if b == "numba" else args.numpy_reps) for b in backends]
    runs.append(("decide", None, min(args.reps, 10)))
    for name, backend, reps in runs:
        kw = dict(variant="stokman", backend=backend) if backend else dict(variant="decide")
        t = time.perf_counter()
        exchange_run(data, rule="rex", p=0.5, repetitions=reps, seed=42,
                     rng=np.random.default_rng(42), record=0, **kw)
        t = (time.perf_counter() - t) * 1000 / reps
        label = "sample_data REX p=0.5, 1000 reps" + ("" if reps == 1000 else f" (from {reps})")
        rows.append((label, name, t, ref_per_rep * 1000, ref_per_rep * 1000 / t))
    print(f"{'case':44} {'variant/backend':15} {'detente s':>10} {'reference s':>12} "
          f"{'speed-up':>9}")
    for case, variant, t, ref, ratio in rows:
        print(f"{case:44} {variant:15} {t:10.3f} {ref:12.2f} {ratio:8.1f}x")
    if first is not None:
        print(f"first numba call of this process (cache load, or compile if the cache was stale): "
              f"{first:.2f} s")
    else:
        print("numba is not installed: only the numpy backend was timed (pip install 'detente[fast]')")
    print("targets: stokman >= 50x on cop21; decide >= 1x; stokman 1000 REX reps < 10 s")
    print(f"load average at start {load0:.1f}, at end {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores (times on a shared machine are only comparable when it is idle)")


if __name__ == "__main__":
    main()
