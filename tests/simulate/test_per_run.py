"""Per-run scenarios: every run of a batch negotiates its own scenario draw.

The reference for "run i" is always the single-scenario path: draw i written back into a
Scenario (``_draws.scenario_of_draw``) and simulated alone, which builds its domain with
``scenario_domain`` (no batched code involved).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.negotiation.batch import DomainBatch, scenario_domains
from detente.negotiation.domain import Domain
from detente.scenario.load import scenario_from_data
from detente.simulate.engine import PER_RUN_BUDGET, PER_RUN_BYTES, per_run_chunk, simulate
from detente.uncertainty.perturb import build_perturbation

from ..negotiation._domains import domains
from ..strategies import scenarios
from ._draws import scenario_of_draw

DET = ["boulware", "linear", "conceder", "hardliner", "aspiration", "tit_for_tat", "best_response"]
FIELDS = ("agreement", "reason", "step", "utilities", "n_offers", "last_proposer", "vetoed", "stage", "ended_by")


@pytest.fixture(scope="module")
def alaska():
    return load_scenario("alaska-2025")


def _with(scenario, **changes):
    data = scenario.model_dump(mode="python")
    for th in data["threats"]:
        th.update(changes.get("threat", {}))
    for a in data["actors"]:
        a.update(changes.get("actors", {}).get(a["id"], {}))
    return scenario_from_data(data, source="test")


def _assert_rows_equal(batch, i, one):
    for f in FIELDS:
        a, b = getattr(batch, f), getattr(one, f)
        if a is None and b is None:
            continue
        assert np.array_equal(a[i], b[0]), (f, i, a[i], b[0])


def test_alternating_per_run_equals_each_draw_alone(alaska):
    """Positions, saliences, power, red lines, walk-away and threat credibility all perturbed;
    7 x 7 deterministic strategy pairs; chunks of 7 runs. Run i == draw i simulated alone."""
    pert = build_perturbation(alaska, noise={"position": 15, "salience": 0.3, "power": 0.2, "red_line": 10,
                                             "walk_away": 0.1, "credibility": 0.2})
    arrays, cred = pert.draw(24, np.random.default_rng(5))
    mix = [(a, b) for a in DET for b in DET]
    res = simulate(alaska, arrays=arrays, credibility=cred, strategies=mix, steps=40, seed=3,
                   walk_away=True, chunk_size=7)
    assert res.n_runs == 24 and res.params["per_run"]
    assert len(set(res.reason)) > 1  # the draws really differ in how they end
    for i in range(24):
        one = simulate(scenario_of_draw(alaska, arrays, cred, i), runs=1, strategies=[mix[i % len(mix)]],
                       steps=40, seed=3, walk_away=True)
        _assert_rows_equal(res, i, one)


def test_summit_per_run_equals_each_draw_alone(alaska):
    """The staged summit (delegations, press conference, absent veto, walk-aways). Credibility 1
    so that the threat's carried-out draw cannot differ between a batch and a lone run. Positions
    and saliences stay as coded, so the utility tables are full of ties (tie-breaking is tested
    too); red lines, walk-away values and power vary."""
    sc = _with(alaska, threat={"credibility": 1.0})
    pert = build_perturbation(sc, noise={"power": 0.2, "red_line": 15, "walk_away": 0.15})
    arrays, cred = pert.draw(20, np.random.default_rng(8))
    mix = [(a, b) for a in DET[:5] for b in DET[:5]]
    res = simulate(sc, protocol="summit", arrays=arrays, credibility=cred, strategies=mix, steps=30,
                   seed=1, chunk_size=6)
    assert {"walk_away", "veto"} <= set(res.reason)
    for i in range(20):
        one = simulate(scenario_of_draw(sc, arrays, cred, i), runs=1, protocol="summit",
                       strategies=[mix[i % len(mix)]], steps=30, seed=1, dedup=False)
        _assert_rows_equal(res, i, one)


@pytest.mark.parametrize("protocol, strategies", [("single_text", ("linear", "linear")),
                                                  ("alternating", ("random", "linear")),
                                                  ("summit", ("random", "conceder"))])
def test_identical_draws_reproduce_the_shared_path(alaska, protocol, strategies):
    """A batch whose draws are all the base scenario, with random strategies and the same chunk
    size, consumes the generator exactly as the shared-utility path: identical results."""
    base = alaska.arrays()
    n = 40
    arrays = base.replace(position=np.broadcast_to(base.position, (n, *base.position.shape)))
    kw = dict(protocol=protocol, strategies=strategies, steps=25, seed=9, chunk_size=16)
    per = simulate(alaska, arrays=arrays, **kw)
    shared = simulate(alaska, runs=n, dedup=False, **kw)
    for f in ("agreement", "reason", "step", "utilities", "n_offers", "vetoed"):
        np.testing.assert_array_equal(getattr(per, f), getattr(shared, f))


def _split(n=9):
    sc = np.vstack([np.arange(n), np.arange(n)[::-1]]).astype(float)
    return Domain("split", ("share",), (tuple(range(n)),), ("a", "b"), (sc,), np.ones((2, 1)), np.zeros(2))


def test_domain_batch_per_run_reservations_equal_each_domain_alone():
    dom = _split()
    rng = np.random.default_rng(0)
    r = rng.uniform(0.0, 0.6, size=(30, 2))
    mix = [(a, b) for a in DET for b in DET]
    res = simulate(DomainBatch.from_domain(dom, 30, reservation=r), strategies=mix, steps=20, seed=0, chunk_size=8)
    for i in range(30):
        one = simulate(dom.replace(reservation=r[i]), runs=1, strategies=[mix[i % len(mix)]], steps=20, seed=0)
        _assert_rows_equal(res, i, one)


@given(dom=domains(), a=st.sampled_from(DET + ["random"]), b=st.sampled_from(DET + ["random"]),
       seed=st.integers(0, 5), proto=st.sampled_from(["alternating", "single_text"]))
@settings(max_examples=30, deadline=None)
def test_property_agreements_rational_under_each_runs_own_reservation(dom, a, b, seed, proto):
    """Property: with per-run reservation values and weights, a deal is never below either
    party's own reservation value in that run, and is worth what that run's table says."""
    n = 12
    rng = np.random.default_rng(seed)
    r = rng.choice([0.0, 0.3, 0.5, 0.7, 0.9], size=(n, 2))
    w = rng.uniform(0.1, 1.0, size=(n, 2, dom.n_issues))
    w /= w.sum(axis=-1, keepdims=True)
    batch = DomainBatch.from_domain(dom, n, reservation=r, weights=w)
    res = simulate(batch, protocol=proto, strategies=(a, b), steps=15, seed=seed, chunk_size=5)
    deal = res.agreed
    assert np.all(res.utilities[deal] >= r[deal] - 1e-12)
    U = batch.utilities(np.arange(n))
    np.testing.assert_array_equal(res.utilities[deal], U[:, np.flatnonzero(deal), res.agreement[deal]].T)
    np.testing.assert_array_equal(res.utilities[~deal], r[~deal])


@given(sc=scenarios(max_actors=4, max_issues=3), proto=st.sampled_from(["alternating", "summit"]),
       seed=st.integers(0, 3))
@settings(max_examples=15, deadline=None)
def test_property_scenario_draws_rational_under_their_own_scenario(sc, proto, seed):
    """Property: for perturbed scenario draws, every negotiator's utility of a deal is at least
    its reservation value under its own drawn scenario."""
    pert = build_perturbation(sc, noise={"position": 0.2, "salience": 0.3, "power": 0.3})
    arrays, cred = pert.draw(8, np.random.default_rng(seed))
    present = [k for k, a in enumerate(sc.actors) if a.present]
    strat = [("linear", "conceder"), ("boulware", "tit_for_tat")] if len(present) == 2 else ["linear"]
    res = simulate(sc, protocol=proto, arrays=arrays, credibility=cred if len(sc.threats) else None,
                   strategies=strat, steps=15, seed=seed, levels=3)
    r = scenario_domains(sc, arrays, levels=3, credibility=cred if len(sc.threats) else None).reservation
    deal = res.agreed
    assert np.all(res.utilities[deal][:, present] >= r[deal][:, present] - 1e-9)


def test_chunks_bound_memory_and_do_not_change_results(alaska):
    pert = build_perturbation(alaska, noise={"position": 10})
    arrays, _ = pert.draw(30, np.random.default_rng(2))
    a = simulate(alaska, arrays=arrays, strategies=("linear", "conceder"), steps=20, seed=0)
    b = simulate(alaska, arrays=arrays, strategies=("linear", "conceder"), steps=20, seed=0, chunk_size=4)
    for f in ("agreement", "reason", "step", "utilities"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    # the default chunk holds at most the budgeted tables: 5^5 outcomes x 2 negotiators
    assert a.params["chunk_size"] == per_run_chunk(5**5, 2)
    assert per_run_chunk(5**5, 2) * 5**5 * 2 * PER_RUN_BYTES <= PER_RUN_BUDGET < (per_run_chunk(5**5, 2) + 1) * 5**5 * 2 * PER_RUN_BYTES
    assert per_run_chunk(10**7, 2) == 16  # never below 16 runs


def test_bad_per_run_input(alaska):
    pert = build_perturbation(alaska, noise={"position": 10})
    arrays, _ = pert.draw(5, np.random.default_rng(2))
    with pytest.raises(ScenarioError, match="5 per-run scenarios"):
        simulate(alaska, runs=6, arrays=arrays)
    with pytest.raises(ScenarioError, match="need a scenario"):
        simulate(_split(), arrays=arrays)
    with pytest.raises(ScenarioError, match="summit"):
        simulate(DomainBatch.from_domain(_split(), 3), protocol="summit")
    two = arrays.replace(position=np.broadcast_to(arrays.position, (2, *arrays.position.shape)))
    with pytest.raises(ScenarioError, match="one leading run axis"):
        simulate(alaska, arrays=two)
    wrong = arrays.replace(actors=arrays.actors[::-1])
    with pytest.raises(ScenarioError, match="do not belong"):
        simulate(alaska, arrays=wrong)
    with pytest.raises(ScenarioError, match="run"):
        simulate(alaska, arrays=arrays, credibility=np.full((4, 1), 0.5))


def test_per_run_tables_sort_and_pick_exactly_as_each_run_alone(alaska):
    """Row i of the batched sorted tables is the 1-D table of run i (the same argsort, ties in
    the same order), and every strategy picks the same offer at every level. Positions stay on
    the scenario's round numbers so that the tables are full of ties (perturbed positions make
    ties vanish); walk-away values and red lines vary the rational sets."""
    from detente.simulate.strategies import PartyTables, get_strategy

    pert = build_perturbation(alaska, noise={"walk_away": 0.15, "red_line": 10})
    arrays, cred = pert.draw(12, np.random.default_rng(4))
    b = scenario_domains(alaska, arrays, credibility=cred)
    U = b.utilities(np.arange(12), parties=[0, 1])
    r = b.reservation[:, :2]
    tab = PartyTables(U[0], r[:, 0], U[1], r[:, 0], r[:, 1])
    s_all, o_all = tab.sorted_all()
    s_rat, o_rat, irr_max, irr_id = tab.sorted_rational()
    cnt = tab.rational_count()
    for i in range(12):
        one = PartyTables(U[0, i], r[i:i + 1, 0], U[1, i], float(r[i, 0]), r[i:i + 1, 1])
        s1, o1 = one.sorted_all()
        np.testing.assert_array_equal(o_all[i], o1)
        sr, orr, im, ip = one.sorted_rational()
        assert cnt[i] == sr.size
        np.testing.assert_array_equal(o_rat[i, :cnt[i]], orr)
        assert irr_max[i] == im
    for name in ("boulware", "aspiration", "tit_for_tat", "best_response"):
        strat = get_strategy(name)
        for t in (0.05, 0.5, 0.9, 0.99):
            mem = strat.init(tab, 12)
            batched, _ = strat.propose(tab, mem, np.full(12, 0.4), t, 5, np.ones(12, bool), None)
            for i in range(12):
                one = PartyTables(U[0, i], r[i:i + 1, 0], U[1, i], float(r[i, 0]), r[i:i + 1, 1])
                alone, _ = strat.propose(one, strat.init(one, 1), np.full(1, 0.4), t, 5, np.ones(1, bool), None)
                assert batched[i] == alone[0], (name, t, i)
