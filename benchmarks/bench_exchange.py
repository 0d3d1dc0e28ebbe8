"""Exchange model speed against the recorded times of the Decide reference.

Run: ``/work/venv/bin/python benchmarks/bench_exchange.py [--reps N]`` with ``DETENTE_REFERENCE``
pointing at the reference folder (default ``../shared/reference``). Prints detente's wall times,
the reference's recorded model-only times (``meta.wall_seconds_model_only`` of the saved runs,
10 rounds on a 2-core machine) and the ratios. Targets: stokman >= 50x faster than the
reference on cop21; decide no slower than the reference; 1,000 REX repetitions of sample_data
in under 10 s. ``--reps`` sets how many REX repetitions are timed (the 1,000-repetition time is
extrapolated when fewer are run).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

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
    ap.add_argument("--reps", type=int, default=1000, help="REX repetitions to time")
    args = ap.parse_args()
    root = Path(os.environ.get("DETENTE_REFERENCE", "../shared/reference")) / "exchange"
    rows = []
    for case in ("sample_data", "cop21"):
        data = read_decide(root / "inputs" / ("cop21.csv" if case == "cop21" else f"{case}.txt"))
        ref_times = [json.loads((root / "outputs" / f"{case}.{run}.json").read_text())["meta"]
                     ["wall_seconds_model_only"] for run in ("equal_gain_noties", "equal_gain_seed42")]
        ref = float(np.mean(ref_times))
        for variant in ("stokman", "decide"):
            t = _best(lambda d=data, v=variant: exchange_run(d, variant=v, seed=42, record=0),
                      repeat=3 if case == "sample_data" else 1)
            rows.append((f"{case} equal gain 10 rounds", variant, t, ref, ref / t))
    data = read_decide(root / "inputs" / "sample_data.txt")
    ref_rex = json.loads((root / "outputs" / "sample_data.rex_p0.5_seed42.json").read_text())["meta"]
    ref_per_rep = ref_rex["wall_seconds_model_only"] / ref_rex["repetitions"]
    for variant, reps in (("stokman", args.reps), ("decide", min(args.reps, 10))):
        t = time.perf_counter()
        exchange_run(data, variant=variant, rule="rex", p=0.5, repetitions=reps, seed=42,
                     rng=np.random.default_rng(42), record=0)
        t = (time.perf_counter() - t) * 1000 / reps
        label = "sample_data REX p=0.5, 1000 reps" + ("" if reps == 1000 else f" (from {reps})")
        rows.append((label, variant, t, ref_per_rep * 1000, ref_per_rep * 1000 / t))
    print(f"{'case':44} {'variant':8} {'detente s':>10} {'reference s':>12} {'speed-up':>9}")
    for case, variant, t, ref, ratio in rows:
        print(f"{case:44} {variant:8} {t:10.3f} {ref:12.2f} {ratio:8.1f}x")
    print("targets: stokman >= 50x on cop21; decide >= 1x; stokman 1000 REX reps < 10 s")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(times on a shared machine are only comparable when it is idle)")


if __name__ == "__main__":
    main()
