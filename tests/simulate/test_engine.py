"""The engine and its protocols: rules, properties, batching, results."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.negotiation.domain import Domain
from detente.scenario.load import scenario_from_data
from detente.simulate.engine import simulate
from detente.simulate.result import RUN_COLUMNS, SimulationResult, wilson_interval

from ..negotiation._domains import domains
from ..strategies import scenarios

DET = ["boulware", "linear", "conceder", "hardliner", "aspiration", "tit_for_tat", "best_response"]


def split(n=11, r=(0.0, 0.0)):
    """One issue: party 0's share. U_0 = share, U_1 = 1 - share (scores 0..10)."""
    sc = np.vstack([np.arange(n), np.arange(n)[::-1]]).astype(float)
    return Domain("split", ("share",), (tuple(range(n)),), ("a", "b"), (sc,), np.ones((2, 1)), np.array(r))


def test_alternating_offers_semantics_hardliner_vs_conceder():
    """A (hardliner) opens with its best outcome and never moves; B (conceder, a(t) = 1 - t^0.25)
    accepts at the first step s whose level lo(t_s) = a(t_s) (t_s = (s+1)/(N+1)) falls to B's
    utility of that offer (0, after the eps widening), i.e. when a(t) <= 1e-4... never before the
    deadline: so B must concede by offering, and A accepts nothing but its best. Timeout."""
    res = simulate(split(), runs=3, strategies=("hardliner", "conceder"), steps=20, seed=0, traces=True)
    assert res.reason.tolist() == ["deadline"] * 3
    assert res.step.tolist() == [-1] * 3
    np.testing.assert_array_equal(res.utilities, 0.0)  # reservation values
    tr = res.to_frame("trace")
    first = tr.iloc[0]
    assert (first.step, first.party, first.outcome) == (0, "a", 10)  # A opens with its best
    assert len(tr[tr.run == 0]) == 2 * 20  # every step: A offers, B offers


def test_agreement_step_matches_the_acceptance_rule():
    """Hardliner A always offers its best outcome (value 8), worth 0.3 to B. Linear B
    (a(t) = 1 - t, m = min U_B = 0, M = 1) accepts at the first step s with
    (1 - t_s) - 1e-4 <= 0.3, t_s = (s + 1) / (N + 1); A made that offer, so A is the last
    proposer."""
    sc = np.array([[0, 1, 2, 3, 4, 5, 6, 7, 10, 9, 8],
                   [10, 10, 10, 10, 10, 10, 10, 10, 3, 0, 0]], dtype=float)
    d2 = Domain("d2", ("x",), (tuple(range(11)),), ("a", "b"), (sc,), np.ones((2, 1)), np.zeros(2))
    N = 50
    res = simulate(d2, runs=1, strategies=("hardliner", "linear"), steps=N)
    u_b = 0.3
    s = next(s for s in range(N) if (1 - (s + 1) / (N + 1)) - 1e-4 <= u_b)
    assert res.reason[0] == "agreement"
    assert res.step[0] == s
    assert res.last_proposer[0] == 0
    assert res.n_offers[0] == 2 * s + 1
    np.testing.assert_allclose(res.utilities[0], [1.0, u_b])
    assert res.agreement_values[0].tolist() == [8]


@given(dom=domains(), a=st.sampled_from(DET + ["random"]), b=st.sampled_from(DET + ["random"]),
       steps=st.integers(1, 30), seed=st.integers(0, 10))
@settings(max_examples=60, deadline=None)
def test_deals_are_individually_rational(dom, a, b, steps, seed):
    """Property: an agreement is never below either party's reservation value."""
    res = simulate(dom, runs=8, strategies=(a, b), steps=steps, seed=seed)
    u = res.utilities
    assert np.all(u >= dom.reservation - 1e-12)
    deal = res.agreed
    np.testing.assert_array_equal(u[deal], dom.utilities()[:, res.agreement[deal]].T)
    np.testing.assert_array_equal(u[~deal], np.broadcast_to(dom.reservation, u[~deal].shape))
    assert np.all((res.step >= 0) == (res.reason != "deadline"))
    assert np.all(res.step < steps)


@given(dom=domains(max_issues=2), seed=st.integers(0, 5))
@settings(max_examples=25, deadline=None)
def test_single_text_property(dom, seed):
    """Unanimity: the final text is weakly better for everyone than the start text; a deal is
    individually rational."""
    res = simulate(dom, runs=16, protocol="single_text", steps=40, seed=seed, traces=True)
    assert np.all(res.utilities >= dom.reservation - 1e-12)
    U = dom.utilities()
    texts = res.offers[:, :, 0]
    for i in range(res.n_runs):
        seq = texts[i]
        vals = U[:, seq]
        assert np.all(np.diff(vals, axis=1) >= -1e-12)  # monotone for every party


def test_batch_equals_single_runs_and_chunks_do_not_matter():
    dom = split(9, r=(0.1, 0.2))
    combos = [(a, b) for a in DET for b in DET]
    big = simulate(dom, runs=len(combos) * 2, strategies=combos, steps=30, seed=3, chunk_size=7)
    raw = simulate(dom, runs=len(combos) * 2, strategies=combos, steps=30, seed=3, chunk_size=1000, dedup=False)
    for f in ("agreement", "reason", "step", "n_offers", "utilities"):
        np.testing.assert_array_equal(getattr(big, f), getattr(raw, f))
    for i, c in enumerate(combos[:10]):
        one = simulate(dom, runs=1, strategies=c, steps=30, seed=3)
        assert one.agreement[0] == big.agreement[i] and one.step[0] == big.step[i]
        assert big.strategies[i] == "/".join(c)


def test_random_runs_are_reproducible():
    dom = split()
    a = simulate(dom, runs=200, strategies=("random", "random"), steps=10, seed=11)
    b = simulate(dom, runs=200, strategies=("random", "random"), steps=10, seed=11)
    c = simulate(dom, runs=200, strategies=("random", "random"), steps=10, seed=12)
    np.testing.assert_array_equal(a.agreement, b.agreement)
    assert not np.array_equal(a.agreement, c.agreement)
    assert a.seed_entropy == 11


def test_bad_options():
    dom = split()
    for kw, field in [(dict(steps=0), "steps"), (dict(runs=0), "runs"), (dict(protocol="auction"), "protocol"),
                      (dict(strategies=("boulware", "x")), "strategies"), (dict(strategies=("a", "b", "c")), "strategies")]:
        with pytest.raises(ScenarioError) as e:
            simulate(dom, **kw)
        assert e.value.field == field
    with pytest.raises(ScenarioError, match="summit"):
        simulate(dom, protocol="summit")


def test_result_frame_summary_and_freezing():
    res = simulate(split(), runs=30, strategies=[("linear", "linear"), ("hardliner", "hardliner")], steps=10, seed=0)
    df = res.to_frame()
    assert list(df.columns[: len(RUN_COLUMNS)]) == list(RUN_COLUMNS)
    assert list(df.columns[len(RUN_COLUMNS):]) == ["u_a", "u_b", "share"]
    assert len(res.to_frame("outcomes")) == 30
    s = res.summary()
    assert s["deals"] == 15 and s["deal_rate"] == 0.5
    lo, hi = s["deal_rate_ci"]
    assert lo < 0.5 < hi and (lo, hi) == wilson_interval(15, 30)
    assert s["reasons"] == {"agreement": 15, "deadline": 15, "walk_away": 0, "veto": 0}
    with pytest.raises((AttributeError, TypeError)):
        res.agreement = None  # type: ignore[misc]
    with pytest.raises(ValueError):
        res.utilities[0, 0] = 3
    again = pickle.loads(pickle.dumps(res))
    assert isinstance(again, SimulationResult)
    np.testing.assert_array_equal(again.utilities, res.utilities)
    with pytest.raises(KeyError, match="traces"):
        res.to_frame("trace")


def test_wilson_interval_known_value():
    # Wilson (1927): 0 successes in 10 trials, 95% -> [0, 0.2775]
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.27753, abs=1e-5)


# ------------------------------------------------------------------------- scenarios
def _two_party(veto_red=None, walk=(0.1, 0.1), stages=None, threats=None, present_c=False):
    data = {
        "name": "toy",
        "actors": [
            {"id": "a", "power": 1, "delegation": [
                {"id": "lead", "weight": 0.5},
                {"id": "hawk", "weight": 0.5, "positions": {"x": 100}}]},
            {"id": "b", "power": 1},
            {"id": "c", "power": 1, "present": present_c, "veto": True},
        ],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 100}}],
        "positions": [
            {"actor": "a", "issue": "x", "position": 20, "salience": 1},
            {"actor": "b", "issue": "x", "position": 80, "salience": 1},
            {"actor": "c", "issue": "x", "position": 0, "salience": 1},
        ],
        "walk_away": [{"actor": "a", "utility": walk[0]}, {"actor": "b", "utility": walk[1]}],
    }
    if veto_red is not None:
        data["red_lines"] = [{"actor": "c", "issue": "x", "min": veto_red[0], "max": veto_red[1]}]
    if stages is not None:
        data["stages"] = stages
    if threats is not None:
        data["threats"] = threats
    return scenario_from_data(data, source="toy.yaml")


def test_absent_veto_holder_blocks_deals_outside_its_red_lines():
    free = simulate(_two_party(), runs=5, strategies=("linear", "linear"), levels=11, seed=0)
    assert free.agreed.all()
    blocked = simulate(_two_party(veto_red=(0, 10)), runs=5, strategies=("linear", "linear"), levels=11, seed=0)
    assert (blocked.reason == "veto").all()
    assert not blocked.agreed.any()
    np.testing.assert_array_equal(blocked.vetoed, free.agreement)  # what the table had agreed
    assert blocked.summary()["vetoed_outcome_distribution"]["x"] == {
        k: v for k, v in free.summary()["outcome_distribution"]["x"].items()}
    # the absent veto holder does not offer: the negotiators are a and b only
    assert blocked.params["negotiators"] == ("a", "b")


def test_summit_delegation_changes_the_result():
    """Two-level game: with the hawk in the room, a's aggregate position moves toward b's."""
    st_all = [{"id": "s1", "participants": [{"actor": "a"}, {"actor": "b"}]}]
    st_lead = [{"id": "s1", "participants": [{"actor": "a", "members": ["lead"]}, {"actor": "b"}]}]
    r1 = simulate(_two_party(stages=st_all), runs=4, protocol="summit", strategies=("linear", "linear"), levels=11, seed=0)
    r2 = simulate(_two_party(stages=st_lead), runs=4, protocol="summit", strategies=("linear", "linear"), levels=11, seed=0)
    assert r1.agreed.all() and r2.agreed.all()
    x1, x2 = r1.agreement_values[0, 0], r2.agreement_values[0, 0]
    assert x1 > x2  # the hawk (position 100) pulls a's offers and acceptance up


def test_summit_walk_away_threat_and_press_conference():
    """No zone of agreement: both walk away in each talk. a's threat on b (credibility 0.5) is
    carried out on the first walk-away with probability 0.5: b's reservation goes from its
    expected 0.95 - 0.5 x 0.3 to 0.65 (carried out) or back to 0.95 (not). The press
    conference then commits both to their last offers (audience cost)."""
    stages = [
        {"id": "talk", "participants": [{"actor": "a", "members": ["lead"]}, {"actor": "b"}], "max_steps": 20},
        {"id": "press", "kind": "press_conference", "participants": [{"actor": "a"}, {"actor": "b"}]},
        {"id": "talk2", "participants": [{"actor": "a", "members": ["lead"]}, {"actor": "b"}], "max_steps": 20},
    ]
    threats = [{"issuer": "a", "target": "b", "cost_to_target": 0.3, "cost_to_issuer": 0.1, "credibility": 0.5}]
    s = _two_party(walk=(0.95, 0.95), stages=stages, threats=threats)
    kw = dict(runs=400, protocol="summit", strategies=("boulware", "boulware"), levels=11, seed=1)
    res = simulate(s, audience_cost=0.0, **kw)
    assert (res.reason == "walk_away").all()
    assert set(res.stage) == {"talk2"}
    ub, ua = res.utilities[:, 1], res.utilities[:, 0]
    np.testing.assert_allclose(np.unique(ub), [0.65, 0.95])
    np.testing.assert_allclose(np.unique(ua), [0.85, 0.95])
    carried = np.isclose(ub, 0.65)
    assert np.array_equal(carried, np.isclose(ua, 0.85))
    assert 0.4 < carried.mean() < 0.6
    costly = simulate(s, audience_cost=0.5, **kw)
    assert np.all(costly.utilities[:, :2] >= res.utilities[:, :2] - 1e-12)
    assert np.any(costly.utilities[:, :2] > res.utilities[:, :2] + 1e-6)
    no_walk = simulate(s, runs=5, protocol="summit", strategies=("boulware", "boulware"), levels=11, seed=1, walk_away=False)
    assert (no_walk.reason == "deadline").all()


def test_alaska_summit_default():
    s = load_scenario("alaska-2025")
    res = simulate(s, runs=2000, protocol="summit", strategies=[(a, b) for a in DET[:5] for b in DET[:5]], seed=2026)
    assert res.parties == s.actor_ids
    sm = res.summary()
    assert sm["runs"] == 2000
    assert set(sm["stages"]) <= {"three_on_three", "expanded", "press_conference"}
    # Russia's territory red line (>= 75) and Ukraine's veto (<= 50) leave no admissible deal
    assert sm["deals"] == 0
    assert sm["reasons"]["veto"] + sm["reasons"]["walk_away"] + sm["reasons"]["deadline"] == 2000
    same = simulate(s, runs=2000, protocol="summit", strategies=[(a, b) for a in DET[:5] for b in DET[:5]], seed=2026, dedup=False)
    np.testing.assert_array_equal(res.reason, same.reason)
    np.testing.assert_array_equal(res.utilities, same.utilities)


def test_deadline_in_relative_time():
    """time_limit: steps start while s * step_time < time_limit; t = max(step-based, time-based)."""
    res = simulate(split(), runs=2, strategies=("hardliner", "hardliner"), steps=100, time_limit=10.0)
    assert res.reason.tolist() == ["deadline"] * 2 and res.n_offers.tolist() == [20, 20]
    sc = np.array([[0, 1, 2, 3, 4, 5, 6, 7, 10, 9, 8],
                   [10, 10, 10, 10, 10, 10, 10, 10, 3, 0, 0]], dtype=float)
    d2 = Domain("d2", ("x",), (tuple(range(11)),), ("a", "b"), (sc,), np.ones((2, 1)), np.zeros(2))
    T = 20.0
    res = simulate(d2, runs=1, strategies=("hardliner", "linear"), steps=100, time_limit=T, step_time=1.0)
    s = next(s for s in range(100) if (1 - min(1.0, max((s + 1) / 101, s / T))) - 1e-4 <= 0.3)
    assert res.step[0] == s < 20
    with pytest.raises(ScenarioError, match="time_limit"):
        simulate(d2, time_limit=0)


@given(dom=domains(n_parties=3, max_issues=2, max_values=4), strat=st.sampled_from(DET), seed=st.integers(0, 3))
@settings(max_examples=25, deadline=None)
def test_three_party_stacked_offers_are_rational(dom, strat, seed):
    res = simulate(dom, runs=4, strategies=(strat, "linear", "conceder"), steps=25, seed=seed)
    assert np.all(res.utilities >= dom.reservation - 1e-12)
    assert res.utilities.shape == (4, 3)


def test_three_party_agreement_needs_every_other_party():
    """Party 0 is a hardliner offering its best outcome ("hi"); the offer stands only once
    parties 1 and 2 have both accepted it in sequence. Party 1 likes "hi" and accepts at once;
    party 2 gets 0.3 from it: as a hardliner it never accepts (no deal), as a linear conceder it
    accepts in the first step s with (1 - t_s) - 1e-4 <= 0.3."""
    sc = np.array([[0, 5, 10, 2], [0, 5, 10, 2], [5, 10, 3, 0]], dtype=float)
    dom = Domain("three", ("x",), (("lo", "mid", "hi", "top"),), ("a", "b", "c"), (sc,), np.ones((3, 1)), np.zeros(3))
    res = simulate(dom, runs=1, strategies=("hardliner", "linear", "hardliner"), steps=30)
    assert res.reason[0] == "deadline"
    res = simulate(dom, runs=1, strategies=("hardliner", "linear", "linear"), steps=30, traces=True)
    assert res.reason[0] == "agreement" and res.agreement_values[0, 0] == "hi"
    assert res.last_proposer[0] == 0
    s = next(s for s in range(30) if (1 - (s + 1) / 31) - 1e-4 <= 0.3)
    assert res.step[0] == s
    np.testing.assert_allclose(res.utilities[0], [1.0, 1.0, 0.3])


def test_genius_discounting_reports_discounted_utilities():
    dom = split().replace(discount=np.array([0.5, 0.8]))
    plain = simulate(dom, runs=1, strategies=("linear", "linear"), steps=20)
    disc = simulate(dom, runs=1, strategies=("linear", "linear"), steps=20, discounting="genius")
    t = (plain.step[0] + 1) / 21
    np.testing.assert_allclose(disc.utilities[0], plain.utilities[0] * np.array([0.5, 0.8]) ** t)
    assert disc.step[0] == plain.step[0]


@given(sc=scenarios(max_actors=4, max_issues=3), proto=st.sampled_from(["alternating", "summit", "single_text"]),
       seed=st.integers(0, 3))
@settings(max_examples=20, deadline=None)
def test_scenarios_property(sc, proto, seed):
    """Any valid scenario simulates; deals are individually rational for every negotiator."""
    res = simulate(sc, runs=6, protocol=proto, strategies=[("linear", "conceder"), ("boulware", "tit_for_tat")]
                   if sum(a.present for a in sc.actors) == 2 else ["linear"], steps=15, seed=seed, levels=3)
    from detente.negotiation.from_scenario import scenario_domain

    dom = scenario_domain(sc, levels=3)
    present = [k for k, a in enumerate(sc.actors) if a.present]
    deal = res.agreed
    assert np.all(res.utilities[deal][:, present] >= dom.reservation[present] - 1e-9)
    assert set(res.reason) <= {"agreement", "deadline", "walk_away", "veto"}


def test_first_mover_is_party_zero():
    """Hardliner vs hardliner over a split: nobody concedes; the opening offer is party 0's best,
    and swapping the parties (Domain.with_parties) swaps who opens."""
    res = simulate(split(), runs=1, strategies=("hardliner", "hardliner"), steps=3, traces=True)
    tr = res.to_frame("trace")
    assert tr.iloc[0].party == "a" and tr.iloc[0].outcome == 10
    swapped = simulate(split().with_parties([1, 0]), runs=1, strategies=("hardliner", "hardliner"), steps=3, traces=True)
    tr2 = swapped.to_frame("trace")
    assert tr2.iloc[0].party == "b" and tr2.iloc[0].outcome == 0
