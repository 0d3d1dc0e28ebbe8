"""Benchmark: backtest every registered model on a DEU-sized input in the DEU III layout.

Generates a synthetic file like the official ``Dataset_DEU_III.csv`` (semicolon CSV, 75 columns:
141 proposals, about 350 issues, up to 30 actors, decision dates 1999-2019 across all Council
periods, missing-value codes, reference points missing on about a quarter of the issues), reads it
with :func:`detente.backtest.deu.read_deu` and times :func:`detente.backtest.backtest` per model.

Target (issue 8): all models together in under 2 minutes on a 2-core machine. There is no
recorded reference timing for a backtest, so the ratio printed is against that target.

Run: ``/work/venv/bin/python benchmarks/bench_backtest.py [--proposals 141] [--seed 0]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from detente.backtest import backtest, read_deu
from detente.backtest.deu import ACTOR_CODES
from detente.models.registry import MODELS, get_model
from detente.rng import as_generator

TARGET_S = 120.0
_META = ["prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "type", "council", "proc", "counvte",
         "proccde", "issues", "intro", "finact"]
_EU15 = ["at", "be", "dk", "fi", "fr", "de", "el", "ie", "it", "lu", "nl", "pt", "es", "se", "uk"]
_EU25 = _EU15 + ["cy", "cz", "ee", "hu", "lv", "lt", "mt", "pl", "si", "sk"]
_EU27 = _EU25 + ["bu", "ro"]
_EU28 = _EU27 + ["cr"]


def _members(year: int) -> list[str]:
    return _EU15 if year < 2004 else _EU25 if year < 2007 else _EU27 if year < 2013 else _EU28


def generate(path: Path, n_proposals: int = 141, seed: int = 0) -> int:
    """Write a synthetic DEU III file; returns the number of issue rows."""
    rng = as_generator(seed)
    cols = _META + [f"p{a}" for a in ACTOR_CODES] + [f"s{a}" for a in ACTOR_CODES] + ["rp", "out"]
    lines = [";".join(cols)]
    isn = 0
    for k in range(n_proposals):
        year = int(rng.choice([1999, 2000, 2001, 2005, 2006, 2008, 2009, 2016, 2017, 2018]))
        members = _members(year)
        n_issues = int(rng.choice([1, 2, 2, 3, 3, 4]))
        proc = "COD" if rng.random() < 0.55 else "CNS"
        prnr = f"{'d' if proc == 'COD' else 'n'}{year % 100:02d}{k:03d}"
        for i in range(1, n_issues + 1):
            isn += 1
            row = dict.fromkeys(cols, "")
            row.update(prnrnmc=str(k + 1), isnrnmc=str(isn), prnr=prnr, prname=f"dossier{k}",
                       isnr=f"{prnr}i{i}", type="Dir", council="General", proc=proc,
                       intro=f"15-03-{(year - 1) % 100:02d}", finact=f"20-06-{year % 100:02d}")
            coded = ["com", "ep"] + [a for a in members if rng.random() < 0.65]
            grid = rng.random() < 0.5  # DEU issues are often a few named alternatives
            for a in coded:
                x = rng.choice([0, 25, 50, 75, 100]) if grid else rng.integers(0, 101)
                row[f"p{a}"] = str(int(x))
                row[f"s{a}"] = str(int(rng.integers(10, 101)))
            if rng.random() < 0.05:  # a missing-data code
                row[f"p{coded[-1]}"] = "999"
            if rng.random() < 0.75:
                row["rp"] = str(int(rng.choice([0, 100]) if rng.random() < 0.7 else rng.integers(0, 101)))
            row["out"] = "999" if rng.random() < 0.03 else str(int(rng.integers(0, 101)))
            lines.append(";".join(row[c] for c in cols))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return isn


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proposals", type=int, default=141)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Dataset_DEU_III_synthetic.csv"
        n_rows = generate(path, args.proposals, args.seed)
        t0 = time.perf_counter()
        cases, table = read_deu(path)
        t_read = time.perf_counter() - t0
    n_issues = sum(len(c.targets) for c in cases)
    n_actors = max(len(c.scenario.actors) for c in cases)
    print(f"synthetic DEU III file: {n_rows} issue rows, {args.proposals} proposals; "
          f"{len(cases)} cases, {n_issues} scored issues, up to {n_actors} actors per proposal")
    print(f"read + build scenarios: {t_read:.2f} s\n")
    print(f"{'model':<22}{'seconds':>10}{'scored':>9}{'failed cases':>14}{'ratio to 120 s':>16}")
    total = 0.0
    for name in args.models:
        t0 = time.perf_counter()
        r = backtest([get_model(name)], cases, seed=args.seed)
        dt = time.perf_counter() - t0
        total += dt
        s = r.summary().set_index("model").loc[name]
        print(f"{name:<22}{dt:>10.2f}{int(s['n_scored']):>9}{len(r.failures):>14}{dt / TARGET_S:>16.3f}")
    t0 = time.perf_counter()
    backtest([get_model(n) for n in args.models], cases, seed=args.seed)
    together = time.perf_counter() - t0
    print(f"{'sum of the above':<22}{total:>10.2f}{'':>9}{'':>14}{total / TARGET_S:>16.3f}")
    print(f"{'all models, one run':<22}{together:>10.2f}{'':>9}{'':>14}{together / TARGET_S:>16.3f}")
    return 0 if together + t_read < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
