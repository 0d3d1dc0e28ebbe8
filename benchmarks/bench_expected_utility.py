"""Benchmark: the expected-utility model against the replication's recorded wall times.

Both computation backends are timed: ``numba`` (the compiled kernel, the ``fast`` extra; what
``backend="auto"``, the default, runs when numba is installed) and ``numpy``.

0. The numba kernel's first call in this process: a load from the on-disk cache (~0.5 s) or,
   after a source change or on a new machine, the one-time compilation.
1. Per reference case (``$DETENTE_REFERENCE/expected-utility``, default ``../shared/reference``
   next to the repository): detente's time for the 10 rounds (the maths,
   :func:`expected_utility_path`) per backend, and for the whole
   :meth:`ExpectedUtility.forecast` (default backend; checks and tables included), each the best
   of several repeats, and the ratio to the ``wall_s`` the ``jmckib_scholz`` run recorded
   (CPython 3.11, 2-core VM). Targets (issue 3): at least 200x on litigation_settle (46
   actors), at least 100x on every case (checked on the default backend's maths).
2. 10,000 Monte Carlo variants of the EU emissions case (10 actors, 10 rounds) as one batched
   ``forecast_arrays`` call per backend: wall time, draws per second and peak memory
   (tracemalloc, which numpy reports to; numba's own allocations are not traced). Target:
   under 5 s and under 1 GiB.
3. Scaling with the number of actors (10..200, random positions, one run of 10 rounds, and a
   batch of draws) per backend: the vote supports make a round O(n^3) per draw.
4. 100,000 Monte Carlo draws of the ``alaska-2025`` default scenario (4 actors x 5 issues, so
   500,000 runs of 10 rounds) through ``forecast_arrays``, per backend: wall and CPU time,
   peak memory. Target (issue 3 follow-up): well under 30 s.

Every section prints the 1-minute load average: on the shared 2-core machine a busy neighbour
slows small-array numpy calls by up to 2x, so compare figures taken at similar load.

Run: ``/work/venv/bin/python benchmarks/bench_expected_utility.py [--draws 10000] [--repeat 5]
[--alaska-draws 100000] [--skip-scaling] [--skip-alaska] [--backends numba,numpy]``
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
from detente._jit import HAVE_NUMBA
from detente.backends import kernel as backend_kernel
from detente.models.expected_utility import ExpectedUtility, expected_utility_path
from detente.rng import as_generator

#: backends timed (numba only when installed); set from --backends
BACKENDS: list[str] = ["numba", "numpy"] if HAVE_NUMBA else ["numpy"]


def _reference() -> Path:
    raw = os.environ.get("DETENTE_REFERENCE")
    root = Path(raw) if raw else Path(__file__).resolve().parents[1] / ".." / "shared" / "reference"
    return (root / "expected-utility").resolve()


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "load average n/a"
    return f"1-minute load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def _best(repeat: int, fn, *args, **kw) -> float:
    """Seconds per call: the best of ``repeat`` samples, each the mean over enough calls to
    last >= 20 ms (as ``timeit`` does), so sub-millisecond calls are not at the mercy of one
    scheduler tick on a shared machine."""
    t0 = time.perf_counter()
    fn(*args, **kw)  # warm-up, and a first estimate of the time per call
    number = max(1, int(0.02 / max(time.perf_counter() - t0, 1e-6)))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn(*args, **kw)
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def bench_first_call() -> None:
    """Section 0: the numba kernel's first call (cache load, or compilation)."""
    print(f"\n0. numba kernel ({_load()})")
    if not HAVE_NUMBA:
        print("   numba is not installed (pip install 'detente[fast]'): numpy only")
        return
    import numba

    x, s, c = np.array([0.0, 1.0, 0.4]), np.array([1.0, 0.5, 0.8]), np.array([1.0, 2.0, 1.0])
    t0, c0 = time.perf_counter(), time.process_time()
    kernel = backend_kernel("numba", "detente.models.expected_utility._kernel")  # imports numba
    t1 = time.perf_counter()
    expected_utility_path(x, s, c, backend="numba")
    t2, c2 = time.perf_counter(), time.process_time()
    stats = kernel.path.stats
    how = "compiled now (cache miss)" if stats.cache_misses else "loaded from the on-disk cache"
    print(f"   numba {numba.__version__}: import {t1 - t0:.2f} s, first call {t2 - t1:.2f} s wall, "
          f"{c2 - c0:.2f} s CPU in all: {how}")
    print("   (delete src/detente/models/expected_utility/__pycache__/_kernel* to time a compile)")


def bench_cases(repeat: int) -> None:
    folder = _reference()
    if not folder.is_dir():
        print(f"reference folder {folder} not found; set DETENTE_REFERENCE (skipping per-case table)")
        return
    print(f"\n1. Reference cases ({folder}), 10 rounds, best of {repeat} samples ({_load()})")
    print("   target: maths ratio >= 100x on every case, >= 200x on litigation_settle (default backend)")
    cols = "".join(f" {b + ' us':>11s} {'ratio':>8s}" for b in BACKENDS)
    head = f"{'case':22s} {'n':>3s} {'ref wall_s':>11s}{cols} {'forecast ms':>12s} {'ratio':>8s}"
    print(head)
    print("-" * len(head))
    model = ExpectedUtility()
    worst: dict[str, float] = {}
    for path in sorted(folder.glob("*.outputs.json")):
        case = path.name.split(".")[0]
        data = json.loads(path.read_text(encoding="utf-8"))
        wall = data["implementations"]["jmckib_scholz"]["wall_s"]
        scenario = detente.load_scenario(folder / f"{case}.csv")
        a = scenario.arrays()
        x, s, c = a.position[:, 0], a.salience[:, 0], a.power
        line = f"{case:22s} {len(x):3d} {wall:11.4f}"
        for b in BACKENDS:
            t = _best(repeat, expected_utility_path, x, s, c, rounds=10, backend=b)
            line += f" {t * 1e6:11.1f} {wall / t:7.0f}x"
            worst[b] = min(worst.get(b, np.inf), wall / t / (2.0 if case == "litigation_settle" else 1.0))
        t_full = _best(repeat, model.forecast, scenario)
        print(f"{line} {t_full * 1e3:12.3f} {wall / t_full:7.0f}x")
    for b in BACKENDS:
        verdict = "met" if worst[b] >= 100 else "MISSED"
        print(f"   {b}: targets {verdict} (smallest ratio / target: {worst[b] / 100:.2f})")
    print(f"   ({_load()} at the end)")


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
    print(f"\n2. Monte Carlo: {n_draws} variants of eu_emissions_1994 ({n} actors, 10 rounds), one call")
    outs = {}
    for b in BACKENDS:
        model = ExpectedUtility(backend=b)
        model.forecast_arrays(a)  # warm-up (numba: load the kernel)
        tracemalloc.start()
        t0 = time.perf_counter()
        outs[b] = model.forecast_arrays(batch)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        t1, c1 = time.perf_counter(), time.process_time()
        model.forecast_arrays(batch)
        dt_untraced, cpu = time.perf_counter() - t1, time.process_time() - c1
        print(f"   {b:6s} wall {dt_untraced:.3f} s, CPU {cpu:.3f} s (with tracemalloc {dt:.3f} s)  ->  "
              f"{n_draws / dt_untraced:,.0f} draws/s; peak memory traced {peak / 2**20:.1f} MiB; "
              f"targets < 5 s {'met' if dt_untraced < 5 else 'MISSED'}, "
              f"< 1 GiB {'met' if peak < 2**30 else 'MISSED'}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"   (1-minute load average {load:.1f} on {os.cpu_count()} cores: wall > CPU means a busy machine)")
    out = outs[BACKENDS[0]]
    if len(outs) > 1:
        diff = np.abs(outs["numba"] - outs["numpy"])[:, 0]
        print(f"   backends: median |difference| {np.median(diff):.1e}; {int((diff > 1e-9).sum())} of "
              f"{n_draws} draws differ by more than 1e-9 (max {diff.max():.2g}): paths on which two "
              "actors come within ~1e-13 of each other and then branch on last-bit rounding "
              "(spec section 7)")
    q = np.quantile(out[:, 0], [0.05, 0.25, 0.5, 0.75, 0.95])
    print(f"   forecast quantiles (5/25/50/75/95%): {np.round(q, 3).tolist()}")


def bench_scaling(repeat: int, seed: int = 1) -> None:
    rng = as_generator(seed)
    print("\n3. Scaling with actors (random positions on 0..100, 10 rounds, maths only)")
    head = (f"{'backend':>7s} {'actors':>6s} {'1 run ms':>9s} {'ns/(n^3 round)':>15s} {'batch':>6s} "
            f"{'batch ms':>10s} {'per draw ms':>12s}")
    print(head)
    print("-" * len(head))
    for n in (10, 20, 50, 100, 200):
        x = rng.uniform(0, 100, n)
        s = rng.uniform(0.1, 1.0, n)
        c = rng.uniform(1, 100, n)
        reps = max(1, repeat // 2) if n <= 50 else 1
        draws = 100 if n <= 50 else 10 if n <= 100 else 2
        xb = np.clip(x + rng.normal(0, 5, (draws, n)), 0, 100)
        for b in BACKENDS:
            t1 = _best(reps, expected_utility_path, x, s, c, record=False, backend=b)
            tb = _best(reps, expected_utility_path, xb, s, c, record=False, backend=b)
            print(
                f"{b:>7s} {n:6d} {t1 * 1e3:9.2f} {t1 / 10 / n**3 * 1e9:15.2f} {draws:6d} "
                f"{tb * 1e3:10.1f} {tb / draws * 1e3:12.3f}"
            )


def bench_alaska(n_draws: int, seed: int = 0) -> None:
    """Section 4: the batched path on the multi-issue default scenario."""
    a = detente.load_scenario("alaska-2025").arrays()
    rng = as_generator(seed)
    n, m = a.n_actors, a.n_issues
    # each draw: positions +- N(0, 5 % of the scale) inside it, salience +- U(-0.1, 0.1) inside
    # [0, 1], capability x lognormal(0, 0.2)
    width = a.scale_max - a.scale_min
    pos = np.clip(a.position[None] + rng.normal(0, 0.05, (n_draws, n, m)) * width, a.scale_min, a.scale_max)
    sal = np.clip(a.salience[None] + rng.uniform(-0.1, 0.1, (n_draws, n, m)), 0.0, 1.0)
    pw = a.power[None] * rng.lognormal(0.0, 0.2, (n_draws, n))
    batch = a.replace(position=pos, salience=sal, power=pw)
    print(f"\n4. Monte Carlo: {n_draws} draws of alaska-2025 ({n} actors x {m} issues, 10 rounds), one call")
    print(f"   ({_load()} at the start)")
    small = batch.replace(position=pos[: n_draws // 10], salience=sal[: n_draws // 10],
                          power=pw[: n_draws // 10])
    for b in BACKENDS:
        model = ExpectedUtility(backend=b)
        model.forecast_arrays(a)  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        out = model.forecast_arrays(batch)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        # memory on a tenth of the draws (tracemalloc slows every allocation): beyond the
        # inputs it should not grow with the draws (numpy: fixed-size chunks; numba: one
        # draw's scratch)
        tracemalloc.start()
        model.forecast_arrays(small)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"   {b:6s} wall {dt:.2f} s, CPU {cpu:.2f} s  ->  {n_draws / dt:,.0f} draws/s "
              f"({n_draws * m / dt:,.0f} issue runs/s); target well under 30 s "
              f"{'met' if dt < 30 else 'MISSED'}; peak memory traced with {n_draws // 10} draws "
              f"{peak / 2**20:.1f} MiB")
    print(f"   ({_load()} at the end)")
    print(f"   forecast medians per issue: {np.round(np.median(out, axis=0), 3).tolist()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--alaska-draws", type=int, default=100_000)
    ap.add_argument("--skip-scaling", action="store_true")
    ap.add_argument("--skip-alaska", action="store_true")
    ap.add_argument("--backends", default=",".join(BACKENDS),
                    help="comma-separated backends to time (default: numba,numpy when numba is installed)")
    args = ap.parse_args()
    BACKENDS[:] = [b.strip() for b in args.backends.split(",") if b.strip()]
    bench_first_call()
    bench_cases(args.repeat)
    bench_monte_carlo(args.draws)
    if not args.skip_scaling:
        bench_scaling(args.repeat)
    if not args.skip_alaska:
        bench_alaska(args.alaska_draws)


if __name__ == "__main__":
    main()
