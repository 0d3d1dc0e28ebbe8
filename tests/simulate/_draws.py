"""Test helper: rebuild draw i of a batched ScenarioArrays as a Scenario of its own.

The per-run simulator is checked against the single-scenario path (``scenario_domain`` and
``simulate(scenario)``), which reads Scenario objects; this writes draw i's numbers back into
the scenario's data and validates it again. Independent of the batched code under test.
"""

from __future__ import annotations

import numpy as np

from detente.scenario.load import scenario_from_data


def scenario_of_draw(scenario, arrays, credibility, i: int):
    """The Scenario whose numbers are draw i of ``arrays`` (leading run axis) and ``credibility``."""
    data = scenario.model_dump(mode="python")
    ai = {a: k for k, a in enumerate(scenario.actor_ids)}
    ii = {s: k for k, s in enumerate(scenario.issue_ids)}

    def pick(arr, tail_ndim):
        arr = np.asarray(arr)
        return arr[i] if arr.ndim > tail_ndim else arr

    pos, sal = pick(arrays.position, 2), pick(arrays.salience, 2)
    powr = pick(arrays.power, 1)
    lo, hi = pick(arrays.red_low, 2), pick(arrays.red_high, 2)
    wu, wp = pick(arrays.walk_utility, 1), pick(arrays.walk_position, 2)
    for p in data["positions"]:
        a, s = ai[p["actor"]], ii[p["issue"]]
        p["position"], p["salience"] = float(pos[a, s]), float(sal[a, s])
    for k, act in enumerate(data["actors"]):
        act["power"] = float(powr[k])
    for r in data["red_lines"]:
        a, s = ai[r["actor"]], ii[r["issue"]]
        r["min"], r["max"] = float(lo[a, s]), float(hi[a, s])
    for w in data["walk_away"]:
        a = ai[w["actor"]]
        if w.get("utility") is not None:
            w["utility"] = float(wu[a])
        for iss in list(w.get("positions", {})):
            w["positions"][iss] = float(wp[a, ii[iss]])
    if credibility is not None:
        cred = np.asarray(credibility)
        cred = cred[i] if cred.ndim == 2 else cred
        for t, th in enumerate(data["threats"]):
            th["credibility"] = float(cred[t])
    return scenario_from_data(data, source=f"draw {i}")
