"""Parity with NegMAS 0.16.0 on the shared GENIUS domains.

Source: ``$DETENTE_REFERENCE/negotiation/<domain>/{genius/*.xml, domain_info.json, runs.json}``
(NegMAS ``SAOMechanism(n_steps=100, time_limit=None)``, 5x5 ordered pairs of Boulware,
Linear, Conceder, NaiveTitForTat and Aspiration; see that folder's README).

Tolerances: agreement (or none), agreement step, offer count and last proposer must be
identical; utilities equal within 1e-9; Pareto frontier, Nash, Kalai-Smorodinsky, egalitarian
and max-welfare points equal within 1e-12 (they are computed exactly the same way).

All 25 pairs of a domain run in ONE batch (run i plays pair i), as the engine is meant to.

Offer traces: compared offer by offer (utilities of each offer, since tied outcomes may be
picked differently) for every run. NegMAS's tit-for-tat keeps a pointer in the utility
function's cached inverter (``next_worse``) and the reference script reused one utility object
per party across the 25 runs, so in a few runs the pointer started where the previous run left
it; ``NaiveTitForTat(start_calls=...)`` reproduces that carry-over (checked against NegMAS
0.16.0 itself: fresh utility objects give our default, shared ones give the reference traces).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente.negotiation.genius import load_genius_folder
from detente.negotiation.solutions import bargaining_points
from detente.simulate.engine import simulate
from detente.simulate.strategies import NaiveTitForTat, get_strategy

from ._ref import reference_dir

DOMAINS = ["AmsterdamA", "CarB", "EnglandZimbabwe", "Grocery", "ItexvsCypress", "Laptop", "NiceOrDie", "TravelB"]
NAMES = {"Boulware": "boulware", "Linear": "linear", "Conceder": "conceder",
         "NaiveTitForTat": "tit_for_tat", "Aspiration": "aspiration"}


def _load(name):
    folder = reference_dir("negotiation") / name
    if not folder.is_dir():
        pytest.fail(f"reference domain folder missing: {folder}")
    info = json.loads((folder / "domain_info.json").read_text())
    runs = json.loads((folder / "runs.json").read_text())["runs"]
    return folder, info, runs


@pytest.fixture(scope="module", params=DOMAINS)
def domain_case(request):
    folder, info, runs = _load(request.param)
    dom = load_genius_folder(folder)
    pairs = [(NAMES[r["first"]], NAMES[r["second"]]) for r in runs]
    res = simulate(dom, runs=len(pairs), strategies=pairs, steps=100, seed=0, traces=True)
    return dom, info, runs, res


def test_domain_matches_reference(domain_case):
    """Issues, values, outcome count, reservation values and utility ranges (exact)."""
    dom, info, _, _ = domain_case
    assert list(dom.issues) == [i["name"] for i in info["issues"]]
    assert [list(v) for v in dom.values] == [i["values"] for i in info["issues"]]
    assert dom.n_outcomes == info["n_outcomes"]
    assert dom.reservation.tolist() == info["reserved_values"]
    u = dom.utilities()
    got = np.c_[u.min(axis=1), u.max(axis=1)]
    np.testing.assert_allclose(got, np.array(info["utility_ranges_min_max"]), rtol=0, atol=1e-12)


def test_agreements_steps_utilities(domain_case):
    """Same agreement or none, same step, same offer count and last proposer; utilities 1e-9."""
    dom, _, runs, res = domain_case
    U = dom.utilities()
    for i, r in enumerate(runs):
        tag = f"{r['first']} vs {r['second']}"
        assert bool(res.agreed[i]) == r["agreed"], tag
        if r["agreed"]:
            ref_o = dom.outcome_of(r["agreement"])
            np.testing.assert_allclose(U[:, res.agreement[i]], U[:, ref_o], rtol=0, atol=1e-9, err_msg=tag)
            assert res.step[i] == r["agreement_step"], tag
            assert "AB"[res.last_proposer[i]] == r["last_proposer"], tag
        else:
            assert res.reason[i] == "deadline", tag
            assert res.step[i] == -1, tag
        np.testing.assert_allclose(res.utilities[i], r["utilities"], rtol=0, atol=1e-9, err_msg=tag)
        assert res.n_offers[i] == r["n_offers"], tag


def _tft_calls(trace_run: list, party: str, end_step: int | None) -> int:
    """How many concession calls NegMAS's TFT made at steps 1-2 in a reference run (one per
    response and one per proposal), from the run's offer trace."""
    calls = 0
    offers = {(s, p) for s, p, _ in trace_run}
    for s in (1, 2):
        if end_step is not None and s > end_step:
            break
        # at step s >= 1 a party always responds to an offer on the table when its turn comes
        acted = True
        if party == "B" and end_step == s and (s, "A") not in offers:
            acted = False  # A accepted B's offer before B's turn
        if acted:
            calls += 1 + ((s, party) in offers)
    return calls


def test_offer_traces(domain_case):
    """Every offer of every run: same step, same proposer, same utilities (1e-9)."""
    dom, _, runs, res = domain_case
    U = dom.utilities()
    # pointer carry-over of NegMAS TFT between runs that reuse one utility object per party
    start = {"A": 0, "B": 0}
    strategies = []
    for r in runs:
        combo = []
        for p, nm in (("A", r["first"]), ("B", r["second"])):
            if nm == "NaiveTitForTat":
                combo.append(NaiveTitForTat(start_calls=start[p]))
                start[p] += _tft_calls(r["trace"], p, r["agreement_step"])
            else:
                combo.append(get_strategy(NAMES[nm]))
        strategies.append(tuple(combo))
    carried = simulate(dom, runs=len(runs), strategies=strategies, steps=100, seed=0, traces=True)
    np.testing.assert_array_equal(carried.agreement >= 0, res.agreement >= 0)
    for i, r in enumerate(runs):
        mine = [(s, "AB"[p], int(carried.offers[i, s, p])) for s in range(100) for p in range(2) if carried.offers[i, s, p] >= 0]
        assert len(mine) == len(r["trace"]), f"{r['first']} vs {r['second']}"
        for (s, p, o), (rs, rp, ro) in zip(mine, r["trace"], strict=False):
            assert (s, p) == (rs, rp)
            np.testing.assert_allclose(U[:, o], U[:, dom.outcome_of(ro)], rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", DOMAINS)
def test_bargaining_points(name):
    """Pareto frontier (order included), Nash, KS, egalitarian, max-welfare points: 1e-12."""
    folder, info, _ = _load(name)
    bp = bargaining_points(load_genius_folder(folder))
    assert len(bp.frontier) == info["pareto_frontier_size"]
    if "pareto_frontier_utilities" in info:
        np.testing.assert_allclose(bp.frontier, np.array(info["pareto_frontier_utilities"]), rtol=0, atol=1e-12)
    for key, got in (("nash_points", bp.nash), ("ks_points", bp.ks),
                     ("kalai_egalitarian_points", bp.egalitarian), ("max_welfare_points", bp.max_welfare)):
        ref = np.array([p["utilities"] for p in info[key]])
        assert got.shape == ref.shape, key
        np.testing.assert_allclose(np.sort(got, axis=0), np.sort(ref, axis=0), rtol=0, atol=1e-12, err_msg=key)
