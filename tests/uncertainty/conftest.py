"""Small scenarios with known answers for the uncertainty tests."""

from __future__ import annotations

import pytest

from detente.io import load_scenario
from detente.scenario.load import scenario_from_data
from tests.extras import require


def two_actor_data(**extra) -> dict:
    """Actors a (uncertain position) and b (position 0), power 1, salience 1, one issue 0-100.

    Under the weighted mean the outcome is a's position / 2.
    """
    data = {
        "name": "two",
        "actors": [{"id": "a", "power": 1.0}, {"id": "b", "power": 1.0}],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 100}, "status_quo": 50}],
        "positions": [
            {"actor": "a", "issue": "x", "position": 50.0, "salience": 1.0},
            {"actor": "b", "issue": "x", "position": 0.0, "salience": 1.0},
        ],
    }
    data.update(extra)
    return data


@pytest.fixture
def two_actor():
    return scenario_from_data(two_actor_data(), source="two.yaml")


@pytest.fixture(scope="module")
def cluster():
    """A real dask.distributed LocalCluster on loopback TCP (2 workers, 1 thread each)."""
    distributed = require("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp://", host="127.0.0.1", dashboard_address=None,
                                  silence_logs=40) as c:
        yield c


@pytest.fixture(scope="session")
def alaska():
    return load_scenario("alaska-2025")


def dominant_data(n_actors: int = 5, n_issues: int = 2, boss: int = 2) -> dict:
    """Actor ``a{boss}`` has 1000x the power of the others: it alone moves every outcome."""
    actors = [{"id": f"a{i}", "power": 1000.0 if i == boss else 1.0} for i in range(n_actors)]
    issues = [{"id": f"i{k}", "scale": {"min": 0, "max": 100}} for k in range(n_issues)]
    positions = [
        {"actor": f"a{i}", "issue": f"i{k}", "position": 10.0 + 17.0 * i + 5.0 * k, "salience": 0.8}
        for i in range(n_actors) for k in range(n_issues)
    ]
    return {"name": "dominant", "actors": actors, "issues": issues, "positions": positions}
