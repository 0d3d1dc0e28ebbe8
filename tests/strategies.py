"""Hypothesis strategies for scenarios, reused by every model's tests.

``scenarios()`` builds valid scenarios (2-12 actors, 1-5 issues) by construction;
``broken_scenarios()`` yields (data, field) pairs whose validation error must name ``field``.
"""

from __future__ import annotations

import copy

from hypothesis import strategies as st

from detente.scenario.load import scenario_from_data


def _f(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def scenario_data(draw, min_actors: int = 2, max_actors: int = 12, min_issues: int = 1,
                  max_issues: int = 5, status_quo: bool = True, grid: bool = False) -> dict:
    """A valid scenario as plain data."""
    n = draw(st.integers(min_actors, max_actors))
    m = draw(st.integers(min_issues, max_issues))
    actors = [
        {"id": f"a{i}", "power": draw(_f(0.01, 100.0)), "present": True} for i in range(n)
    ]
    issues = []
    positions = []
    for k in range(m):
        lo = draw(st.sampled_from([0.0, -10.0, 1.0, 4.0]))
        width = draw(st.sampled_from([1.0, 10.0, 100.0]))
        iss = {"id": f"i{k}", "scale": {"min": lo, "max": lo + width}}
        if status_quo and draw(st.booleans()):
            iss["status_quo"] = draw(_f(lo, lo + width))
        issues.append(iss)
        for i in range(n):
            if grid:
                x = lo + width * draw(st.integers(0, 10)) / 10
            else:
                x = draw(_f(lo, lo + width))
            positions.append(
                {"actor": f"a{i}", "issue": f"i{k}", "position": x, "salience": draw(_f(0.05, 1.0))}
            )
    return {"name": "hyp", "actors": actors, "issues": issues, "positions": positions}


def scenarios(**kw):
    """Valid :class:`~detente.Scenario` objects."""
    return scenario_data(**kw).map(lambda d: scenario_from_data(d, source="hyp.yaml"))


@st.composite
def broken_scenarios(draw):
    """(data, expected_field) where data is invalid in exactly one named way."""
    data = copy.deepcopy(draw(scenario_data(max_actors=5, max_issues=3)))
    kind = draw(st.sampled_from([
        "salience_high", "salience_negative", "power_negative", "position_outside",
        "unknown_actor", "unknown_issue", "duplicate_actor", "power_all_zero",
        "empty_red_line", "scale_reversed", "missing_field",
    ]))
    k = draw(st.integers(0, len(data["positions"]) - 1))
    p = data["positions"][k]
    if kind == "salience_high":
        p["salience"] = draw(_f(1.0001, 50.0))
        return data, "salience"
    if kind == "salience_negative":
        p["salience"] = -draw(_f(0.001, 5.0))
        return data, "salience"
    if kind == "power_negative":
        data["actors"][0]["power"] = -draw(_f(0.001, 5.0))
        return data, "power"
    if kind == "position_outside":
        iss = next(i for i in data["issues"] if i["id"] == p["issue"])
        p["position"] = iss["scale"]["max"] + draw(_f(0.5, 100.0))
        return data, "position"
    if kind == "unknown_actor":
        p["actor"] = "nobody"
        return data, "actor"
    if kind == "unknown_issue":
        p["issue"] = "nothing"
        return data, "issue"
    if kind == "duplicate_actor":
        data["actors"].append(dict(data["actors"][0]))
        return data, "id"
    if kind == "power_all_zero":
        for a in data["actors"]:
            a["power"] = 0.0
        return data, "actors"
    if kind == "empty_red_line":
        iss = data["issues"][0]
        data["red_lines"] = [{"actor": "a0", "issue": iss["id"], "min": iss["scale"]["max"], "max": iss["scale"]["min"]}]
        return data, "red_lines"
    if kind == "scale_reversed":
        iss = data["issues"][0]
        iss["scale"] = {"min": iss["scale"]["max"], "max": iss["scale"]["min"]}
        return data, "scale"
    del p["salience"]
    return data, "salience"
