"""How much the actors who are absent without a veto move each forecast.

An actor that is not at the table and holds no veto still has positions and power in the
scenario, and most models count it (the compromise and median models weigh every actor;
KTAB's SMP has no notion of absence). Whether it should is a judgement, so a forecast says
what it rests on: every model is run again without those actors (the same seeds), and each
forecast gets a note with the difference per issue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..results import Forecast
from ..scenario.load import scenario_from_data
from ..scenario.schema import Scenario

__all__ = ["absent_without_veto", "note_absent_effects", "without_actors"]


def absent_without_veto(scenario: Scenario) -> list[str]:
    """Ids of the actors that are not at the table and hold no veto, in scenario order."""
    return [a.id for a in scenario.actors if not a.present and not a.veto]


def without_actors(scenario: Scenario, actors: Sequence[str]) -> Scenario:
    """The scenario with ``actors`` removed, with everything that names them (positions, red
    lines, walk-away values, threats, stage seats), validated again.

    Raises
    ------
    ScenarioError
        When what is left is not a valid scenario (e.g. an issue nobody else cares about).
    """
    drop = set(actors)
    data = scenario.model_dump()
    data["actors"] = [a for a in data["actors"] if a["id"] not in drop]
    for key in ("positions", "red_lines", "walk_away"):
        data[key] = [x for x in data[key] if x["actor"] not in drop]
    data["threats"] = [t for t in data["threats"] if t["issuer"] not in drop and t["target"] not in drop]
    stages = []
    for st in data["stages"]:
        seats = [p for p in st["participants"] if p["actor"] not in drop]
        if seats:
            stages.append({**st, "participants": seats})
    data["stages"] = stages
    try:
        return scenario_from_data(data, source=scenario.name)
    except ScenarioError as e:
        raise ScenarioError(f"the scenario without {', '.join(sorted(drop))} is not valid: "
                            f"{' '.join(str(e).split())}") from None


def _fmt(v: float) -> str:
    return "no answer" if not np.isfinite(v) else f"{v:.4g}"


def note_absent_effects(scenario: Scenario, forecasts: Sequence[Forecast],
                        rerun: Any, params: Mapping[str, Mapping[str, Any]] | None = None
                        ) -> list[Forecast]:
    """``forecasts`` with a note on how much the absent actors without a veto move each one.

    Parameters
    ----------
    scenario : Scenario
        As the models saw it.
    forecasts : sequence of Forecast
        One per model, unbatched.
    rerun : callable(scenario, model names, params) -> list of Forecast
        Runs the models again (the caller's seeding rule: the same seeds).

    Returns
    -------
    list of Forecast
        The same forecasts (unchanged when no actor is absent without a veto), each with one
        more note: ``absent without a veto: europe (European leaders); without them: ceasefire
        38.2 (+2.4), ...`` or that they do not move it.
    """
    absent = absent_without_veto(scenario)
    fs = list(forecasts)
    if not absent or not fs or any(np.ndim(f.outcome) != 1 for f in fs):
        return fs
    who = ", ".join(f"{a} ({scenario.actor(a).label})" if scenario.actor(a).label != a else a for a in absent)
    head = f"absent without a veto: {who}"
    try:
        reduced = without_actors(scenario, absent)
        again = rerun(reduced, [f.model for f in fs], params)
    except ScenarioError as e:
        return [dataclasses.replace(f, notes=(*f.notes, f"{head}; no forecast without them: {e}")) for f in fs]
    out = []
    for f, g in zip(fs, again, strict=True):
        a, b = np.asarray(f.outcome, dtype=float), np.asarray(g.outcome, dtype=float)
        moved = []
        for k, iss in enumerate(scenario.issue_ids):
            if np.isfinite(a[k]) and np.isfinite(b[k]):
                if abs(b[k] - a[k]) > 1e-9 * max(1.0, abs(a[k])):
                    moved.append(f"{iss} {_fmt(b[k])} ({b[k] - a[k]:+.3g})")
            elif np.isfinite(a[k]) != np.isfinite(b[k]):
                moved.append(f"{iss} {_fmt(b[k])} (was {_fmt(a[k])})")
        if moved:
            text = f"{head}; without them this forecast moves: {', '.join(moved)}"
        elif not np.isfinite(a).any():
            text = f"{head}; without them this model still gives no answer"
        else:
            text = f"{head}; without them this forecast does not move"
        out.append(dataclasses.replace(f, notes=(*f.notes, text)))
    return out
