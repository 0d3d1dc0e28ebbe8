"""How much two coders of the same negotiation disagree, and the expert noise that follows.

``cases/intercoder/NAME/`` holds two independent codings of one case, ``coder_a.yaml`` and
``coder_b.yaml``, with the same actors and issues fixed in advance (``cases/CODING.md``).
:func:`measure` compares every pair field by field:

* **position**: ``|x_A - x_B| / (scale max - scale min)`` for every actor-issue pair both coded;
* **salience**: ``|s_A - s_B|`` on [0, 1], and the symmetric relative difference
  ``|s_A - s_B| / ((s_A + s_B) / 2)``;
* **power**: ``|log(p_A / p_B)|`` of each actor's *share* of the case's total power (coders may
  use different scales, and the models are scale-free in power);
* **red lines**: how many (actor, issue) red lines both coders stated, and how many only one
  did; where both did, each bound's difference as a fraction of the scale;
* **walk-away utility**: ``|u_A - u_B|`` where both gave one;
* **stake**: actor-issue pairs one coder gave a position and the other did not.

:func:`noise_from_figures` turns the figures into the default expert noise of Monte Carlo and
sensitivity analysis. If each coder's value is the truth plus independent normal noise of
standard deviation ``sd``, the difference of two codings has mean absolute value
``2 sd / sqrt(pi)``; so ``sd = mean |difference| * sqrt(pi) / 2``. Position, red-line and
walk-away-position noise are fractions of each issue's scale (``NoiseSpec.relative``); salience
and power noise are relative to the value, walk-away utility and threat credibility absolute.
Where a published inter-expert figure, or the floor recorded in
``detente/uncertainty/data/coder_noise.json``, is larger than the measured one, the larger
is used and the file says which.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io import load_scenario
from ..scenario.schema import Scenario

__all__ = ["CodingPair", "load_pairs", "measure", "noise_from_figures"]

#: sd of one coder from the mean absolute difference of two: E|X_A - X_B| = 2 sd / sqrt(pi)
MAD_TO_SD = math.sqrt(math.pi) / 2.0


@dataclass(frozen=True)
class CodingPair:
    """Two independent codings of one case."""

    case: str
    a: Scenario
    b: Scenario


def load_pairs(folder: str | Path) -> list[CodingPair]:
    """Every ``NAME/coder_a.yaml`` + ``NAME/coder_b.yaml`` pair below ``folder``, by name."""
    root = Path(folder)
    pairs = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        fa, fb = sub / "coder_a.yaml", sub / "coder_b.yaml"
        if fa.is_file() and fb.is_file():
            pairs.append(CodingPair(sub.name, load_scenario(fa), load_scenario(fb)))
    return pairs


def _summary(values: Iterable[float]) -> dict[str, Any]:
    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        return {"n": 0}
    return {
        "n": int(v.size),
        "mean": float(v.mean()),
        "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0,
        "median": float(np.median(v)),
        "p90": float(np.quantile(v, 0.9)),
    }


def _pair_rows(p: CodingPair) -> dict[str, list[float]]:
    a, b = p.a, p.b
    width = {i.id: i.scale.max - i.scale.min for i in a.issues}
    pos_a = {(x.actor, x.issue): x for x in a.positions}
    pos_b = {(x.actor, x.issue): x for x in b.positions}
    rows: dict[str, list[float]] = {k: [] for k in (
        "position", "salience", "salience_relative", "power_log_ratio", "red_line_bound",
        "walk_away_utility", "stake_one_only", "stake_both", "red_line_both",
        "red_line_one_only")}
    for key in sorted(pos_a.keys() & pos_b.keys()):
        xa, xb = pos_a[key], pos_b[key]
        rows["position"].append(abs(xa.position - xb.position) / width[key[1]])
        rows["salience"].append(abs(xa.salience - xb.salience))
        mean_s = (xa.salience + xb.salience) / 2
        if mean_s > 0:
            rows["salience_relative"].append(abs(xa.salience - xb.salience) / mean_s)
    rows["stake_both"].append(len(pos_a.keys() & pos_b.keys()))
    rows["stake_one_only"].append(len(pos_a.keys() ^ pos_b.keys()))
    pa = {x.id: x.power for x in a.actors}
    pb = {x.id: x.power for x in b.actors}
    ta, tb = sum(pa.values()), sum(pb.values())
    for k in sorted(pa.keys() & pb.keys()):
        if pa[k] > 0 and pb[k] > 0 and ta > 0 and tb > 0:
            rows["power_log_ratio"].append(abs(math.log((pa[k] / ta) / (pb[k] / tb))))
    rl_a = {(r.actor, r.issue): r for r in a.red_lines}
    rl_b = {(r.actor, r.issue): r for r in b.red_lines}
    rows["red_line_both"].append(len(rl_a.keys() & rl_b.keys()))
    rows["red_line_one_only"].append(len(rl_a.keys() ^ rl_b.keys()))
    for key in sorted(rl_a.keys() & rl_b.keys()):
        w = width[key[1]]
        rows["red_line_bound"].append(abs(rl_a[key].min - rl_b[key].min) / w)
        rows["red_line_bound"].append(abs(rl_a[key].max - rl_b[key].max) / w)
    wa = {w.actor: w.utility for w in a.walk_away if w.utility is not None}
    wb = {w.actor: w.utility for w in b.walk_away if w.utility is not None}
    for k in sorted(wa.keys() & wb.keys()):
        rows["walk_away_utility"].append(abs(float(wa[k]) - float(wb[k])))  # type: ignore[arg-type]
    return rows


def measure(pairs: list[CodingPair]) -> dict[str, Any]:
    """Disagreement figures over all pairs: per field, pooled over cases and per case.

    Returns a plain document (JSON-ready): ``cases`` (names), ``fields`` (per field the pooled
    ``n``, ``mean``, ``sd``, ``median`` and ``p90`` of the absolute differences), ``per_case``
    (the mean per field for each case), ``red_lines`` and ``stakes`` (agreement counts).
    """
    pooled: dict[str, list[float]] = {}
    per_case: dict[str, dict[str, float]] = {}
    for p in pairs:
        rows = _pair_rows(p)
        for k, v in rows.items():
            pooled.setdefault(k, []).extend(v)
        per_case[p.case] = {k: float(np.mean(v)) for k, v in rows.items()
                            if v and k not in ("stake_both", "stake_one_only",
                                               "red_line_both", "red_line_one_only")}
    counts = {k: int(sum(pooled.get(k, []))) for k in (
        "red_line_both", "red_line_one_only", "stake_both", "stake_one_only")}
    stated = counts["red_line_both"] + counts["red_line_one_only"]
    return {
        "cases": [p.case for p in pairs],
        "fields": {k: _summary(pooled.get(k, [])) for k in (
            "position", "salience", "salience_relative", "power_log_ratio", "red_line_bound",
            "walk_away_utility")},
        "red_lines": {
            "stated_by_both": counts["red_line_both"],
            "stated_by_one": counts["red_line_one_only"],
            "agreement": (counts["red_line_both"] / stated) if stated else None,
        },
        "stakes": {
            "coded_by_both": counts["stake_both"],
            "coded_by_one": counts["stake_one_only"],
        },
        "per_case": per_case,
    }


def noise_from_figures(figures: dict[str, Any], floor: dict[str, float]) -> dict[str, Any]:
    """The default expert noise from measured figures, never below ``floor``.

    Parameters
    ----------
    figures : the document of :func:`measure`.
    floor : per noise kind, the smallest noise to use (a published inter-expert figure, or a
        recorded conservative floor), in the units of :class:`~detente.uncertainty.NoiseSpec`
        with ``relative=True``.

    Returns
    -------
    dict with ``noise`` (the NoiseSpec data) and ``basis`` (per kind: ``"measured"`` or
    ``"floor"``, with both numbers).
    """
    f = figures["fields"]

    def sd(field: str) -> float | None:
        s = f.get(field, {})
        return s["mean"] * MAD_TO_SD if s.get("n") else None

    measured = {
        "position": sd("position"),
        "salience": sd("salience_relative"),
        # log-share differences: for small sd a log-normal factor is a relative sd
        "power": sd("power_log_ratio"),
        "red_line": sd("red_line_bound"),
        "walk_away": sd("walk_away_utility"),
        "credibility": None,  # threats are too few in the pairs to measure
    }
    noise: dict[str, Any] = {"shape": "normal", "relative": True}
    basis: dict[str, Any] = {}
    for kind, m in measured.items():
        fl = float(floor.get(kind, 0.0))
        use_floor = m is None or fl > m
        noise[kind] = round(fl if use_floor or m is None else float(m), 4)
        basis[kind] = {"measured": None if m is None else round(float(m), 4), "floor": fl,
                       "used": "floor" if use_floor else "measured"}
    return {"noise": noise, "basis": basis}
