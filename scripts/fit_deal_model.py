"""Fit the deal-probability model on the case library and write the shipped coefficients.

Usage: python scripts/fit_deal_model.py [--check] [--cases DIR]

Reads every case in ``cases/`` (default) plus the built-in scenarios that record
``outcome.deal``, computes their features (``calibration.MODEL_FEATURES``: the four structural
ones and the simulator's deal rate) on the firmness grid, chooses the default
firmness and the penalty C by leave-one-case-out log loss, fits the logistic model and its
case-bootstrap replicates (:func:`detente.backtest.calibration.fit_deal_model`) and writes
``src/detente/uncertainty/data/deal_model.json``. With ``--check`` it writes nothing and exits 1
if the shipped file differs from what the cases give (tests/backtest/test_calibration.py runs
the same comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from detente.backtest.calibration import MODEL_FEATURES, FeatureTable, feature_table, fit_deal_model
from detente.backtest.cases import builtin_cases
from detente.io import load_scenario
from detente.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
OUT = ROOT / "src" / "detente" / "uncertainty" / "data" / "deal_model.json"
SEED = 0


def library(folder: Path = CASES) -> list[Scenario]:
    """The library's scenarios (sorted by file name) and the built-ins that record a deal flag."""
    out = [load_scenario(p) for p in sorted(folder.glob("*.yaml"))]
    out += [c.scenario for c in builtin_cases()
            if c.scenario.outcome is not None and c.scenario.outcome.deal is not None]
    return out


def document(table: FeatureTable) -> dict[str, Any]:
    """The shipped document from a feature table: the fitted model and the features it rests on
    (every firmness on the grid, so the fit can be checked without recomputing them)."""
    model, _report = fit_deal_model(table, seed=SEED)
    doc = model.to_dict()
    doc["source"] = "cases/*.yaml and built-in scenarios with outcome.deal; scripts/fit_deal_model.py"
    doc["training_features"] = {
        "cases": list(table.cases), "deal": table.deal.tolist(), "grid": list(table.grid),
        "raw": table.raw.tolist(), "values": table.values.tolist(),
    }
    return doc


def stored_table(doc: dict[str, Any]) -> FeatureTable:
    """The feature table stored in a shipped document."""
    t = doc["training_features"]
    return FeatureTable(tuple(t["cases"]), np.array(t["deal"]), tuple(t["grid"]),
                        np.array(t["values"]), np.array(t["raw"]), features=tuple(doc["features"]))


def build(folder: Path = CASES) -> dict[str, Any]:
    t = feature_table(library(folder), seed=SEED, features=MODEL_FEATURES)
    # fit on the features as stored (10 decimals), so the stored table refits to the same file
    t = FeatureTable(t.cases, t.deal, t.grid, t.values.round(10), t.raw.round(10),
                     features=t.features)
    return document(t)


def _round(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 10)
    if isinstance(v, list):
        return [_round(x) for x in v]
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    return v


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(_round(doc), indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped file only")
    ap.add_argument("--cases", type=Path, default=CASES)
    args = ap.parse_args(argv)
    text = dump(build(args.cases))
    if args.check:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        print("deal_model.json is up to date" if same else "deal_model.json differs: rerun the script")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    doc = json.loads(text)
    print(f"wrote {OUT.relative_to(ROOT)}: firmness {doc['firmness']}, C {doc['meta']['C']}, "
          f"{doc['meta']['n_cases']} cases ({doc['meta']['n_deal']} deals)")
    print("intercept", doc["intercept"])
    for name, c in zip(doc["features"], doc["coef"], strict=True):
        print(f"  {name:24s} {c:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
