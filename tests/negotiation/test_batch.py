"""DomainBatch and scenario_domains: one domain per scenario draw, built vectorised."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.negotiation.batch import (
    DomainBatch,
    scenario_domains,
    scenario_reservations,
    take_runs,
)
from detente.negotiation.from_scenario import scenario_domain
from detente.uncertainty.perturb import build_perturbation

from ..simulate._draws import scenario_of_draw
from ._domains import domains

NOISE = {"position": 10, "salience": 0.2, "power": 0.2, "red_line": 10, "walk_away": 0.1, "credibility": 0.2}


@pytest.fixture(scope="module")
def draws():
    sc = load_scenario("alaska-2025")
    arrays, cred = build_perturbation(sc, noise=NOISE).draw(15, np.random.default_rng(1))
    return sc, arrays, cred


def test_each_row_is_the_domain_of_that_draw_alone(draws):
    """Bit for bit: utilities, red-line feasibility, reservation values (walk-away utilities,
    walk-away positions, threat shifts with per-draw credibility)."""
    sc, arrays, cred = draws
    b = scenario_domains(sc, arrays, credibility=cred)
    rows = np.arange(15)
    U, F = b.utilities(rows), b.feasible(rows)
    for i in rows:
        d = scenario_domain(scenario_of_draw(sc, arrays, cred, i))
        np.testing.assert_array_equal(U[:, i], d.utilities())
        np.testing.assert_array_equal(F[:, i], d.feasible())
        np.testing.assert_array_equal(b.reservation[i], d.reservation)
    np.testing.assert_array_equal(scenario_reservations(sc, arrays, credibility=cred), b.reservation)


def test_delegation_members_in_the_room(draws):
    sc, arrays, cred = draws
    members = {"usa": ["trump", "witkoff"], "russia": ["putin"]}
    b = scenario_domains(sc, arrays, credibility=cred, members=members, reservation=np.zeros((15, 4)))
    U = b.utilities(np.arange(15), parties=[1, 0])
    for i in range(15):
        d = scenario_domain(scenario_of_draw(sc, arrays, cred, i), members=members, reservation=np.zeros(4))
        np.testing.assert_array_equal(U[:, i], d.utilities()[[1, 0]])


def test_point_lookups_and_take_agree_with_the_tables(draws):
    sc, arrays, cred = draws
    b = scenario_domains(sc, arrays, credibility=cred)
    rows = np.array([3, 7, 11])
    o = np.array([0, 1234, 3124])
    U, F = b.utilities(rows), b.feasible(rows)
    np.testing.assert_array_equal(b.utility_of(rows, o), U[:, np.arange(3), o])
    np.testing.assert_array_equal(b.feasible_of(rows, o), F[:, np.arange(3), o])
    t = b.take(rows)
    assert t.n_runs == 3
    np.testing.assert_array_equal(t.utilities(np.arange(3)), U)
    a2, c2 = take_runs(arrays, rows, cred)
    np.testing.assert_array_equal(scenario_domains(sc, a2, credibility=c2).utilities(np.arange(3)), U)


def test_from_domain_shares_tables_and_takes_per_run_values():
    from hypothesis import given, settings

    @given(dom=domains())
    @settings(max_examples=15, deadline=None)
    def check(dom):
        r = np.linspace(0.0, 0.5, 4)[:, None] * np.ones((1, 2))
        b = DomainBatch.from_domain(dom, 4, reservation=r)
        U = b.utilities(np.arange(4))
        for i in range(4):
            np.testing.assert_array_equal(U[:, i], dom.utilities())
        np.testing.assert_array_equal(b.reservation, r)

    check()


def test_bad_batches():
    sc = load_scenario("alaska-2025")
    d = scenario_domain(sc)
    with pytest.raises(ScenarioError, match="reservation"):
        DomainBatch.from_domain(d, 3, reservation=np.zeros((3, 2)))
    with pytest.raises(ScenarioError, match="weights"):
        DomainBatch(base=d, value_tables=tuple(v[None] for v in d.value_tables()), weights=np.ones((2, 4, 5)),
                    reservation=np.zeros((3, 4)))
    with pytest.raises(ScenarioError, match="value table"):
        DomainBatch(base=d, value_tables=tuple(v[None, :, :2] for v in d.value_tables()), weights=d.weights[None],
                    reservation=np.zeros((3, 4)))
    with pytest.raises(ScenarioError, match="finite"):
        DomainBatch.from_domain(d, 2, reservation=np.full((2, 4), np.nan))
