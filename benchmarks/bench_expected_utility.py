"""Benchmark: the expected-utility model against the replication's recorded wall times.

1. Per reference case (``$DETENTE_REFERENCE/expected-utility``, default ``../shared/reference``
   next to the repository): detente's time for the 10 rounds (the maths,
   :func:`expected_utility_path`) and for the whole :meth:`ExpectedUtility.forecast` (checks and
   tables included), each the best of several repeats, and the ratio to the ``wall_s`` the
   ``jmckib_scholz`` run recorded (CPython 3.11, 2-core VM). Targets (issue 3): at least 200x
   on litigation_settle (46 actors), at least 100x on every case.
2. 10,000 Monte Carlo variants of the EU emissions case (10 actors, 10 rounds) as one batched
   ``forecast_arrays`` call: wall time, draws per second and peak memory (tracemalloc, which
   numpy reports to). Target: under 5 s and under 1 GiB.
3. Scaling with the number of actors (10..200, random positions, one run of 10 rounds, and a
   batch of 100 draws): the vote tensor makes a round O(n^3) per draw.

Run: ``/work/venv/bin/python benchmarks/bench_expected_utility.py [--draws 10000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
import tracemalloc
from pathlib import Path

import numpy as np

import detente
from detente.models.expected_utility import ExpectedUtility, expected_utility_path
from detente.rng import as_generator


def _reference() -> Path:
    raw = os.environ.get("DETENTE_REFERENCE")
    root = Path(raw) if raw else Path(__file__).resolve().parents[1] / ".." / "shared" / "reference"
    return (root / "expected-utility").resolve()


def _best(repeat: int, fn, *args, **kw) -> float:
    fn(*args, **kw)  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args, **kw)
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_cases(repeat: int) -> None:
    folder = _reference()
    if not folder.is_dir():
        print(f"reference folder {folder} not found; set DETENTE_REFERENCE (skipping per-case table)")
        return
    print(f"\n1. Reference cases ({folder}), 10 rounds, best of {repeat}")
    head = f"{'case':22s} {'n':>3s} {'ref wall_s':>11s} {'maths ms':>9s} {'ratio':>8s} {'forecast ms':>12s} {'ratio':>8s}"
    print(head)
    print("-" * len(head))
    model = ExpectedUtility()
    for path in sorted(folder.glob("*.outputs.json")):
        case = path.name.split(".")[0]
        data = json.loads(path.read_text(encoding="utf-8"))
        wall = data["implementations"]["jmckib_scholz"]["wall_s"]
        scenario = detente.load_scenario(folder / f"{case}.csv")
        a = scenario.arrays()
        x, s, c = a.position[:, 0], a.salience[:, 0], a.power
        t_math = _best(repeat, expected_utility_path, x, s, c, rounds=10)
        t_full = _best(repeat, model.forecast, scenario)
        print(
            f"{case:22s} {len(x):3d} {wall:11.4f} {t_math * 1e3:9.3f} {wall / t_math:7.0f}x "
            f"{t_full * 1e3:12.3f} {wall / t_full:7.0f}x"
        )


def _eu_arrays():
    folder = _reference()
    csv = folder / "eu_emissions_1994.csv"
    if csv.is_file():
        return detente.load_scenario(csv).arrays()
    # Scholz et al. (2011) Table 1, so the Monte Carlo part runs without the reference folder
    text = (
        "actor,capability,position,salience\nNetherlands,0.08,4,0.8\nBelgium,0.08,7,0.4\n"
        "Luxembourg,0.03,4,0.2\nGermany,0.16,4,0.8\nFrance,0.16,10,0.6\nItaly,0.16,10,0.6\n"
        "UK,0.16,10,0.9\nIreland,0.05,7,0.1\nDenmark,0.05,4,1.0\nGreece,0.08,7,0.7\n"
    )
    from detente.scenario.load import scenario_from_csv_text

    return scenario_from_csv_text(text, source="eu_emissions_1994.csv").arrays()


def bench_monte_carlo(n_draws: int, seed: int = 0) -> None:
    a = _eu_arrays()
    rng = as_generator(seed)
    n = a.n_actors
    # each draw: positions +- N(0, 0.5) years inside the scale, salience +- U(-0.1, 0.1) inside
    # [0, 1], capability x lognormal(0, 0.2)
    pos = np.clip(a.position[None] + rng.normal(0, 0.5, (n_draws, n, 1)), a.scale_min, a.scale_max)
    sal = np.clip(a.salience[None] + rng.uniform(-0.1, 0.1, (n_draws, n, 1)), 0.0, 1.0)
    pw = a.power[None] * rng.lognormal(0.0, 0.2, (n_draws, n))
    batch = a.replace(position=pos, salience=sal, power=pw)
    model = ExpectedUtility()
    tracemalloc.start()
    t0 = time.perf_counter()
    out = model.forecast_arrays(batch)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t1, c1 = time.perf_counter(), time.process_time()
    model.forecast_arrays(batch)
    dt_untraced, cpu = time.perf_counter() - t1, time.process_time() - c1
    print(f"\n2. Monte Carlo: {n_draws} variants of eu_emissions_1994 ({n} actors, 10 rounds), one call")
    print(f"   wall {dt_untraced:.3f} s, CPU {cpu:.3f} s (with tracemalloc {dt:.3f} s)  ->  "
          f"{n_draws / dt_untraced:,.0f} draws/s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   (1-minute load average {load:.1f} on {os.cpu_count()} cores: wall > CPU means a busy machine)")
    print(f"   peak memory allocated during the call: {peak / 2**20:.1f} MiB (target < 1024 MiB)")
    print(f"   targets: < 5 s {'met' if dt_untraced < 5 else 'MISSED'}, < 1 GiB {'met' if peak < 2**30 else 'MISSED'}")
    q = np.quantile(out[:, 0], [0.05, 0.25, 0.5, 0.75, 0.95])
    print(f"   forecast quantiles (5/25/50/75/95%): {np.round(q, 3).tolist()}")


def bench_scaling(repeat: int, seed: int = 1) -> None:
    rng = as_generator(seed)
    print("\n3. Scaling with actors (random positions on 0..100, 10 rounds, maths only)")
    head = (f"{'actors':>6s} {'1 run ms':>9s} {'ns/(n^3 round)':>15s} {'batch':>6s} {'batch ms':>10s} "
            f"{'per draw ms':>12s}")
    print(head)
    print("-" * len(head))
    for n in (10, 20, 50, 100, 200):
        x = rng.uniform(0, 100, n)
        s = rng.uniform(0.1, 1.0, n)
        c = rng.uniform(1, 100, n)
        reps = max(1, repeat // 2) if n <= 50 else 1
        t1 = _best(reps, expected_utility_path, x, s, c, record=False)
        draws = 100 if n <= 50 else 10 if n <= 100 else 2
        xb = np.clip(x + rng.normal(0, 5, (draws, n)), 0, 100)
        tb = _best(reps, expected_utility_path, xb, s, c, record=False)
        print(
            f"{n:6d} {t1 * 1e3:9.2f} {t1 / 10 / n**3 * 1e9:15.2f} {draws:6d} {tb * 1e3:10.1f} "
            f"{tb / draws * 1e3:12.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-scaling", action="store_true")
    args = ap.parse_args()
    bench_cases(args.repeat)
    bench_monte_carlo(args.draws)
    if not args.skip_scaling:
        bench_scaling(args.repeat)


if __name__ == "__main__":
    main()
