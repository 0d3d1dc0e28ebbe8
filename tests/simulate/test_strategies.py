"""Each strategy as a pure array policy, checked against its rule written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.simulate.strategies import (
    STRATEGIES,
    BestResponse,
    NaiveTitForTat,
    PartyTables,
    RandomStrategy,
    TimeDependent,
    get_strategy,
)

RNG = np.random.default_rng(0)
# 1 issue with 11 values; my utility rises with the value, the opponent's falls
U = np.linspace(0.2, 1.0, 11)
UO = U[::-1].copy()


def tab(r=0.0, n=5, ropp=0.0):
    return PartyTables(U, np.full(n, r), UO, r, np.full(n, ropp))


def _mask(n=5):
    return np.ones(n, dtype=bool)


@pytest.mark.parametrize("name,e", [("boulware", 4.0), ("linear", 1.0), ("conceder", 0.25), ("hardliner", math.inf)])
def test_exponent_convention(name, e):
    s = get_strategy(name)
    assert s.exponent == e
    if math.isfinite(e):
        assert TimeDependent.from_faratin(1 / e).exponent == pytest.approx(e)  # Faratin beta = 1/e


@pytest.mark.parametrize("name", ["boulware", "linear", "conceder", "aspiration"])
def test_time_dependent_offers_follow_the_curve(name):
    s = get_strategy(name)
    r = 0.3
    tb = tab(r)
    ts = np.linspace(0.01, 0.99, 25)
    prev = np.inf
    for t in ts:
        offer, _ = s.propose(tb, {}, np.full(5, np.nan), t, 1, _mask(), RNG)
        u = U[offer[0]]
        m, M = max(U.min(), r), U.max()
        lo = max(m, m + (1 - t**s.exponent) * (M - m) - s.eps)
        # the worst outcome at or above the level
        want = U[U >= lo - 1e-12].min()
        assert u == pytest.approx(want)
        assert u <= prev + 1e-12  # never concedes backwards
        prev = u
        acc, _ = s.respond(tb, {}, U.copy()[:5], t, 1, _mask(), RNG)
        np.testing.assert_array_equal(acc, U[:5] >= lo)


def test_conceder_concedes_before_boulware():
    b, c = get_strategy("boulware"), get_strategy("conceder")
    ob, _ = b.propose(tab(), {}, np.full(5, np.nan), 0.3, 1, _mask(), RNG)
    oc, _ = c.propose(tab(), {}, np.full(5, np.nan), 0.3, 1, _mask(), RNG)
    assert U[oc[0]] < U[ob[0]]


def test_hardliner_never_concedes():
    h = get_strategy("hardliner")
    for t in (0.01, 0.5, 0.99):
        o, _ = h.propose(tab(), {}, np.full(5, np.nan), t, 1, _mask(), RNG)
        assert U[o[0]] == 1.0
        acc, _ = h.respond(tab(), {}, np.array([0.99, 1.0, 0.5, 0.2, 0.9999]), t, 1, _mask(), RNG)
        assert acc.tolist() == [False, True, False, False, True]  # eps = 1e-4


def test_tit_for_tat_mirrors_the_opponent():
    s = NaiveTitForTat()
    tb = tab()
    mem = s.init(tb, 5)
    first, mem = s.propose(tb, mem, np.full(5, np.nan), 0.01, 0, _mask(), RNG)
    assert np.all(U[first] == 1.0)
    # from step 3: concession = opponent's offer's normalised value x, accept iff x >= 1 - x
    x = np.array([0.1, 0.4, 0.5, 0.6, 0.9])
    offer_u = 0.2 + 0.8 * x
    acc, _ = s.respond(tb, mem, offer_u, 0.5, 5, _mask(), RNG)
    assert acc.tolist() == [False, False, True, True, True]
    out, _ = s.propose(tb, mem, offer_u, 0.5, 5, _mask(), RNG)
    xo = (U[out] - 0.2) / 0.8
    np.testing.assert_allclose(xo, [0.9, 0.6, 0.5, 0.4, 0.1], atol=1e-9)


def test_tit_for_tat_early_steps_concede_one_gap_per_call():
    s = NaiveTitForTat()
    tb = tab()
    mem = s.init(tb, 5)
    m = np.array([True, True, False, True, True])
    _, mem2 = s.respond(tb, mem, np.full(5, 0.5), 0.1, 1, m, RNG)
    assert mem2["calls"].tolist() == [1, 1, 0, 1, 1]  # only where the call happened
    _, mem3 = s.respond(tb, mem2, np.full(5, 0.5), 0.5, 4, m, RNG)
    assert mem3["calls"].tolist() == [1, 1, 0, 1, 1]  # no pointer use from step 3


def test_random_is_seeded_and_rational():
    s = RandomStrategy()
    tb = tab(0.5, n=1000)
    a, _ = s.propose(tb, {}, np.full(1000, np.nan), 0.5, 1, np.ones(1000, bool), np.random.default_rng(7))
    b, _ = s.propose(tb, {}, np.full(1000, np.nan), 0.5, 1, np.ones(1000, bool), np.random.default_rng(7))
    c, _ = s.propose(tb, {}, np.full(1000, np.nan), 0.5, 1, np.ones(1000, bool), np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(U[a] >= 0.5)
    assert set(np.unique(a)) == set(np.flatnonzero(U >= 0.5))
    acc, _ = s.respond(tb, {}, np.full(1000, 0.4), 0.5, 1, np.ones(1000, bool), np.random.default_rng(1))
    assert not acc.any()
    with pytest.raises(ScenarioError, match="p_accept"):
        RandomStrategy(p_accept=2)


@pytest.mark.parametrize("belief", [0.0, 0.3, 0.55, 0.9])
def test_best_response_to_belief(belief):
    s = BestResponse(belief=belief)
    tb = tab()
    out, _ = s.propose(tb, s.init(tb, 5), np.full(5, np.nan), 0.5, 1, _mask(), RNG)
    feasible = UO >= belief
    want = U[feasible].max()
    assert np.all(U[out] == want)
    acc, _ = s.respond(tb, {}, np.array([want, want - 0.01, 1.0, 0.0, want + 1e-9]), 0.5, 1, _mask(), RNG)
    assert acc.tolist() == [True, False, True, False, True]


def test_best_response_default_belief_is_true_reservation():
    s = BestResponse()
    tb = tab(ropp=0.6)
    out, _ = s.propose(tb, s.init(tb, 5), np.full(5, np.nan), 0.5, 1, _mask(), RNG)
    assert np.all(UO[out] >= 0.6) and np.all(U[out] == U[UO >= 0.6].max())


def test_names_and_errors():
    assert set(STRATEGIES) == {"boulware", "linear", "conceder", "hardliner", "aspiration", "tit_for_tat", "random", "best_response"}
    assert isinstance(get_strategy("NaiveTitForTat"), NaiveTitForTat)
    assert get_strategy("Aspiration").eps == 1e-3
    with pytest.raises(ScenarioError) as e:
        get_strategy("sneaky")
    assert "unknown strategy 'sneaky'" in str(e.value) and "boulware" in str(e.value)
    with pytest.raises(ScenarioError, match="exponent"):
        TimeDependent(exponent=0)


def test_best_response_concedes_its_belief_over_time():
    """belief * (1 - concede * t): with belief 1 the ultimatum leaves the opponent its best;
    as t grows the believed reservation falls and the offer improves for the proposer."""
    s = BestResponse(belief=1.0, concede=1.0)
    tb = tab()
    mem = s.init(tb, 5)
    early, _ = s.propose(tb, mem, np.full(5, np.nan), 0.0, 1, _mask(), RNG)
    late, _ = s.propose(tb, mem, np.full(5, np.nan), 0.9, 1, _mask(), RNG)
    assert np.all(UO[early] == 1.0)
    assert np.all(U[late] == U[UO >= 0.1 - 1e-12].max()) and np.all(U[late] > U[early])
    with pytest.raises(ScenarioError, match="concede"):
        BestResponse(concede=2)
