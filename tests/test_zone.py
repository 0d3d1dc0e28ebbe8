"""Zone-of-agreement analysis."""

import numpy as np

from detente import load_scenario, zone_of_agreement
from detente.scenario.load import scenario_from_data


def test_alaska_territory_impasse_names_actors():
    z = zone_of_agreement(load_scenario("alaska-2025"))
    k = z.issues.index("territory")
    assert z.empty[k]
    assert "russia [75, 100] vs ukraine [0, 50]" in z.clash[k]
    # Europe is absent without a veto: its red line does not bind
    assert not any("europe" in c for c in z.clash[k])
    assert "europe" not in z.binding_actors
    assert "impasse" in z.describe("territory")


def test_zone_interval_and_frame():
    data = {
        "name": "z",
        "actors": [{"id": "a", "power": 1}, {"id": "b", "power": 1}, {"id": "c", "power": 1, "present": False}],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 10}}],
        "positions": [
            {"actor": "a", "issue": "x", "position": 2, "salience": 1},
            {"actor": "b", "issue": "x", "position": 8, "salience": 1},
        ],
        "red_lines": [
            {"actor": "a", "issue": "x", "min": 0, "max": 6},
            {"actor": "b", "issue": "x", "min": 4, "max": 10},
            {"actor": "c", "issue": "x", "min": 9, "max": 10},
        ],
    }
    z = zone_of_agreement(scenario_from_data(data))
    assert (z.low[0], z.high[0], bool(z.empty[0])) == (4.0, 6.0, False)
    assert (z.binding_low[0], z.binding_high[0]) == ("b", "a")
    df = z.to_frame()
    assert list(df.columns) == ["scenario", "issue", "low", "high", "empty", "binding_low", "binding_high", "clash"]
    data["actors"][2]["veto"] = True
    z2 = zone_of_agreement(scenario_from_data(data))
    assert z2.empty[0] and np.isnan(z2.low[0])
