"""Speed of ``ktab_smp`` against KTAB's own ``smpc`` wall times.

Run: ``/work/venv/bin/python benchmarks/bench_ktab.py [--skip-a160] [--repeat N]``

Reads ``$DETENTE_REFERENCE/ktab`` (default ``../shared/reference/ktab`` next to the repository)
and prints, per scenario, detente's wall and CPU time (best of ``--repeat`` runs, the full
``forecast`` with every per-turn table), the steps run, KTAB's recorded wall time
(``outputs.json``: ``wall_time_s_measured_outside``, 2 cores, SQLite logging included) and the
ratio KTAB / detente. dummyData-a160 has no KTAB time: KTAB was stopped after 189 s without
finishing its first step, so the ratio printed there is a lower bound. Then 1,000 Monte Carlo
variants of SOE-Pol-Comp (positions jittered by N(0, 5) points) as one batched
``forecast_arrays`` call, against 1,000 sequential KTAB runs at its recorded time. Finally the
peak memory of the a160 run (tracemalloc, numpy allocations included).

Targets (issue 4, 2-core machine): a080 < 2 s, a160 to completion < 20 s, 1,000 SOE-Pol-Comp
variants < 10 s, a160 memory < 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from detente.io.ktab import read_ktab
from detente.models.ktab_smp import KtabSMP

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = [
    ("dummyData_3Dim", "dummyData_3Dim.csv"),
    ("SOE-Pol-Comp", "SOE-Pol-Comp.csv"),
    ("SOE-Policy", "SOE-Policy.csv"),
    ("dummyData-a040", "dummyData-a040.csv"),
    ("dummyData-a080", "dummyData-a080.csv"),
    ("dummyData-a160", "dummyData-a160.csv"),
]
TARGETS = {"dummyData-a080": 2.0, "dummyData-a160": 20.0, "monte-carlo": 10.0}
KTAB_A160_LOWER_BOUND = 189.0  # seconds; stopped before the first step finished


def _ref_root() -> Path:
    raw = os.environ.get("DETENTE_REFERENCE")
    root = Path(raw).expanduser() if raw else ROOT.parent / "shared" / "reference"
    path = root / "ktab"
    if not path.is_dir():
        sys.exit(f"reference folder not found: {path} (set DETENTE_REFERENCE)")
    return path


def _timed(fn, repeat: int):
    best_wall, best_cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-a160", action="store_true")
    ap.add_argument("--draws", type=int, default=1000)
    args = ap.parse_args()
    ref = _ref_root()
    rows = []
    for folder, file in SCENARIOS:
        if args.skip_a160 and folder.endswith("a160"):
            continue
        inp = read_ktab(ref / folder / file)
        model = KtabSMP.from_ktab(inp)
        wall, cpu, f = _timed(lambda: model.forecast(inp.scenario), args.repeat)  # noqa: B023
        meta = json.loads((ref / folder / "outputs" / "outputs.json").read_text())
        ktab = meta.get("wall_time_s_measured_outside")
        bound = ktab is None
        ktab = KTAB_A160_LOWER_BOUND if bound else float(ktab)
        rows.append((folder, len(inp.scenario.actors), f.diagnostics["n_steps"], wall, cpu, ktab, bound))

    # Monte Carlo: one batched call
    inp = read_ktab(ref / "SOE-Pol-Comp" / "SOE-Pol-Comp.csv")
    a = inp.scenario.arrays()
    rng = np.random.default_rng(20261128)
    n = args.draws
    pos = np.clip(a.position[None] + rng.normal(0.0, 5.0, (n, *a.position.shape)), 0.0, 100.0)
    batch = a.replace(position=pos, salience=np.broadcast_to(a.salience, pos.shape),
                      power=np.broadcast_to(a.power, (n, a.n_actors)))
    model = KtabSMP.from_ktab(inp)
    wall, cpu, out = _timed(lambda: model.forecast_arrays(batch), args.repeat)
    soe = json.loads((ref / "SOE-Pol-Comp" / "outputs" / "outputs.json").read_text())
    rows.append((f"monte-carlo ({n} x SOE-Pol-Comp)", a.n_actors, None, wall, cpu,
                 n * float(soe["wall_time_s_measured_outside"]), False))

    print(f"{'scenario':34s} {'actors':>6s} {'steps':>5s} {'detente s':>10s} {'cpu s':>8s} "
          f"{'KTAB s':>9s} {'KTAB/detente':>13s}  target")
    for name, n_act, steps, w, c, k, bound in rows:
        key = "monte-carlo" if name.startswith("monte") else name
        tgt = TARGETS.get(key)
        status = "" if tgt is None else (f"< {tgt:g} s " + ("ok" if w < tgt else "MISSED"))
        ratio = f"{'>' if bound else ''}{k / w:.0f}x"
        print(f"{name:34s} {n_act:6d} {'' if steps is None else steps:>5} {w:10.3f} {c:8.3f} "
              f"{('>' if bound else '') + format(k, '.2f'):>9s} {ratio:>13s}  {status}")
    print(f"monte-carlo outcome mean {np.round(out.mean(axis=0), 2)}, sd {np.round(out.std(axis=0), 2)}")

    if not args.skip_a160:
        inp = read_ktab(ref / "dummyData-a160" / "dummyData-a160.csv")
        tracemalloc.start()
        KtabSMP.from_ktab(inp).forecast(inp.scenario)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"dummyData-a160 peak memory (tracemalloc): {peak / 2**20:.0f} MiB (target < 2048 MiB)")


if __name__ == "__main__":
    main()
