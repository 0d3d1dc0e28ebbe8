"""Measure inter-coder disagreement on cases/intercoder and write the default expert noise.

Usage: python scripts/intercoder.py [--check]

Writes cases/intercoder/figures.json (all figures, per case too) and
src/detente/uncertainty/data/coder_noise.json (the noise defaults and what they rest on), and
prints the table for cases/README.md. With --check, writes nothing and exits 1 if either file
differs from what the codings give.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from detente.backtest.intercoder import load_pairs, measure, noise_from_figures

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "cases" / "intercoder" / "figures.json"
NOISE = ROOT / "src" / "detente" / "uncertainty" / "data" / "coder_noise.json"

#: The smallest default noise, in NoiseSpec units with relative=True. These are the project's
#: earlier, unmeasured defaults (10% of the scale on positions and red lines, 20% on salience
#: and power, 0.1 on walk-away utility, 0.2 on threat credibility). They are kept as a floor
#: because the two coders of cases/intercoder share one team's background and sources, and
#: coders who share background knowledge agree more than independent experts do; no published
#: per-field inter-expert figure for these inputs was found in a form we could cite.
FLOOR = {"position": 0.10, "salience": 0.20, "power": 0.20, "red_line": 0.10,
         "walk_away": 0.10, "credibility": 0.20}
FLOOR_SOURCE = (
    "detente's earlier unmeasured defaults, kept as a conservative floor: the two coders share "
    "one team's background, and no citable published per-field inter-expert figure was found"
)


def build() -> tuple[dict, dict]:
    pairs = load_pairs(ROOT / "cases" / "intercoder")
    figures = measure(pairs)
    derived = noise_from_figures(figures, FLOOR)
    record = {
        "source": f"cases/intercoder ({len(pairs)} double-coded cases), scripts/intercoder.py",
        "method": "sd = mean |difference| * sqrt(pi) / 2 (two coders, independent normal errors)",
        "figures": {k: figures[k] for k in ("cases", "fields", "red_lines", "stakes")},
        "floor": FLOOR,
        "floor_source": FLOOR_SOURCE,
        **derived,
    }
    return figures, record


def dump(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def table(figures: dict, record: dict) -> str:
    f = figures["fields"]
    lines = ["| field | n | mean | sd | median | 90th pct | noise sd used | basis |",
             "|---|---|---|---|---|---|---|---|"]
    kinds = {"position": "position", "salience_relative": "salience",
             "power_log_ratio": "power", "red_line_bound": "red_line",
             "walk_away_utility": "walk_away"}
    for field, s in f.items():
        kind = kinds.get(field)
        used = f"{record['noise'][kind]:.3f}" if kind else ""
        basis = record["basis"][kind]["used"] if kind else ""
        if s.get("n"):
            lines.append(f"| {field} | {s['n']} | {s['mean']:.3f} | {s['sd']:.3f} | "
                         f"{s['median']:.3f} | {s['p90']:.3f} | {used} | {basis} |")
        else:
            lines.append(f"| {field} | 0 | | | | | {used} | {basis} |")
    rl = figures["red_lines"]
    lines.append("")
    lines.append(f"Red lines: stated by both coders {rl['stated_by_both']}, by one only "
                 f"{rl['stated_by_one']}. Stakes: actor-issue pairs coded by both "
                 f"{figures['stakes']['coded_by_both']}, by one only "
                 f"{figures['stakes']['coded_by_one']}.")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    figures, record = build()
    if "--check" in argv:
        ok = FIGURES.read_text() == dump(figures) and NOISE.read_text() == dump(record)
        print("up to date" if ok else "stale: run python scripts/intercoder.py")
        return 0 if ok else 1
    FIGURES.write_text(dump(figures))
    NOISE.write_text(dump(record))
    print(table(figures, record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
