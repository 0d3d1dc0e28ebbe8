"""Domains, utilities, scenario conversion and bargaining points."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.negotiation.domain import Domain
from detente.negotiation.from_scenario import scenario_domain, threat_shifts
from detente.negotiation.solutions import bargaining_points, pareto_frontier, pareto_mask

from ._domains import domains


@given(domains())
@settings(max_examples=40, deadline=None)
def test_utilities_match_formula_and_enumeration(dom):
    """U = sum_i w_i e_i / max e_i over itertools.product order; best outcome worth 1."""
    u = dom.utilities()
    vt = [sc / sc.max(axis=1, keepdims=True) for sc in dom.scores]
    for o, combo in enumerate(itertools.product(*[range(c) for c in dom.cardinalities])):
        want = [sum(dom.weights[p, k] * vt[k][p, j] for k, j in enumerate(combo)) for p in range(dom.n_parties)]
        np.testing.assert_allclose(u[:, o], want, atol=1e-12)
        assert dom.encode(np.array(combo)) == o
        assert tuple(dom.decode(np.array(o))) == combo
    np.testing.assert_allclose(u.max(axis=1), 1.0)


def test_domain_validation():
    with pytest.raises(ScenarioError, match="discount"):
        Domain("d", ("a",), (("x", "y"),), ("p", "q"), (np.ones((2, 2)),), np.ones((2, 1)), np.zeros(2), discount=np.array([1.2, 1.0]))
    with pytest.raises(ScenarioError, match="scores have shape"):
        Domain("d", ("a",), (("x", "y"),), ("p", "q"), (np.ones((2, 3)),), np.ones((2, 1)), np.zeros(2))
    with pytest.raises(ScenarioError, match="not a value"):
        Domain("d", ("a",), (("x", "y"),), ("p", "q"), (np.ones((2, 2)),), np.ones((2, 1)), np.zeros(2)).outcome_of(("z",))


def _brute_pareto(pts):
    keep = []
    for _i, a in enumerate(pts):
        dom = any(np.all(b >= a) and np.any(b > a) for b in pts)
        keep.append(not dom)
    return np.array(keep)


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_pareto_mask_matches_brute_force(rows):
    pts = np.array(rows, dtype=float)
    np.testing.assert_array_equal(pareto_mask(pts), _brute_pareto(pts))
    np.testing.assert_array_equal(pareto_mask(pts[:, :2]), _brute_pareto(pts[:, :2]))


@given(domains())
@settings(max_examples=40, deadline=None)
def test_bargaining_points_are_on_the_frontier_and_rational(dom):
    bp = bargaining_points(dom)
    u = dom.utilities()
    front, ids = pareto_frontier(u, dom.reservation)
    np.testing.assert_array_equal(bp.frontier, front)
    np.testing.assert_array_equal(u[:, ids].T, front)
    if len(front):
        assert np.all(front >= dom.reservation)
        # welfare descending
        assert np.all(np.diff(front.sum(axis=1)) <= 1e-12)
    for pts in (bp.nash, bp.ks, bp.egalitarian):
        for p in pts:
            assert any(np.array_equal(p, f) for f in front)
            assert np.all(p >= bp.disagreement - 1e-12)
    if len(bp.nash):
        prods = np.prod(front - bp.disagreement, axis=1)
        assert np.prod(bp.nash[0] - bp.disagreement) >= prods.max() - 1e-12


def test_nash_and_ks_on_a_known_split():
    """Split 10 units: U_A = x/10, U_B = (1 - x/10)**2 (concave). Nash maximises x(1-x)^2 ->
    x = 1/3 (grid 0.3); KS equalises gains x = (1-x)^2 -> x ~ 0.382 (grid 0.4)."""
    xs = np.arange(11) / 10
    u = np.vstack([xs, (1 - xs) ** 2])
    bp = bargaining_points(u)
    np.testing.assert_allclose(bp.nash, [[0.3, 0.49]])
    np.testing.assert_allclose(bp.ks, [[0.4, 0.36]])


def test_scenario_domain_rules():
    s = load_scenario("alaska-2025")
    dom = scenario_domain(s, levels=5)
    u = dom.utilities()
    ids = s.actor_ids
    # red lines: Russia's territory >= 75 -> every outcome with territory < 75 below its reservation
    t = dom.issues.index("territory")
    vals = np.array(dom.values[t])[dom.outcome_indices()[:, t]]
    ru = ids.index("russia")
    assert np.all(u[ru, vals < 75] < dom.reservation[ru])
    assert dom.feasible()[ru, vals < 75].sum() == 0
    # walk-away utilities are reservation values, shifted by threats (US threat on Russia)
    assert dom.reservation[ids.index("ukraine")] == pytest.approx(0.45)
    assert dom.reservation[ru] == pytest.approx(0.6 - 0.5 * 0.25)
    assert dom.reservation[ids.index("usa")] == pytest.approx(0.55 - 0.5 * 0.05)
    np.testing.assert_allclose(threat_shifts(s)[[ids.index("usa"), ru]], [-0.025, -0.125])
    # delegation: Trump alone vs the three-member US delegation changes US utilities
    alone = scenario_domain(s, levels=5, members={"usa": ["trump"]}).utilities()
    assert not np.allclose(alone[ids.index("usa")], u[ids.index("usa")])
    np.testing.assert_allclose(alone[ru], u[ru])
    with pytest.raises(ScenarioError, match="levels"):
        scenario_domain(s, levels=1)
