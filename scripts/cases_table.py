"""Print the table of the case library (cases/*.yaml) for cases/README.md, with the counts.

Usage: python scripts/cases_table.py
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from detente.io import load_scenario

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"summit": "summit / crisis", "peace": "peace / ceasefire", "trade": "trade / economic",
         "multilateral": "climate / multilateral", "eu_coalition": "EU / coalition"}


def main() -> None:
    rows, kinds, deals = [], Counter(), Counter()
    for f in sorted((ROOT / "cases").glob("*.yaml")):
        s = load_scenario(f)
        c, o = s.case, s.outcome
        assert c is not None and o is not None, f
        kinds[c.kind] += 1
        deals[o.deal] += 1
        src = "; ".join(s.sources[:2]) if s.sources else "; ".join(o.sources[:2])
        src = src if len(src) <= 110 else src[:107] + "..."
        rows.append(f"| [{f.stem}]({f.name}) | {KINDS[c.kind]} | {c.horizon} ({c.horizon_date}) | "
                    f"{'deal' if o.deal else 'no deal'} ({o.date}) | {len(s.actors)} / "
                    f"{len(s.issues)} | {c.confidence} / {o.confidence} | {src} |")
    print("| case | kind | horizon | outcome | actors / issues | confidence (inputs / outcome) | main sources |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print(f"{len(rows)} cases: " + ", ".join(f"{KINDS[k]} {kinds[k]}" for k in KINDS)
          + f"; deal {deals[True]}, no deal {deals[False]}.")


if __name__ == "__main__":
    main()
