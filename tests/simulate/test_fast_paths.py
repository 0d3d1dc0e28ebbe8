"""The fast paths of per-run negotiations give exactly the general path's results.

Three implementations play stacked alternating offers on per-run tables:

- the **general path** (``protocols.alternating_offers`` calling strategy objects group by
  group), the reference here: it is itself tested against each draw simulated alone
  (test_per_run.py) and against NegMAS (tests/parity);
- the **numpy fast path** (``simulate._fast``: strategies merged per party, time-dependent
  offers in blocks of steps), used without numba;
- the **compiled kernel** (``simulate._kernel``, numba: tables built per run in cache, lazy
  bucket sorting, runs with ties handed back to numpy), used with numba.

Each test picks the fast path's engine with ``simulate(..., backend=...)`` (``"numpy"`` or
``"numba"``), switches to the general path with ``fast=False``, and
compares every field of the results bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.io import load_scenario
from detente.negotiation.batch import DomainBatch, scenario_domains
from detente.scenario.load import scenario_from_data
from detente.simulate import _fast
from detente.simulate.engine import simulate
from detente.simulate.protocols import alternating_offers
from detente.simulate.strategies import NaiveTitForTat, PartyTables, TimeDependent, get_strategy
from detente.simulate.turns import Group
from detente.uncertainty.perturb import build_perturbation
from tests.numba_marks import needs_numba

from ..negotiation._domains import domains

FAST = ["boulware", "linear", "conceder", "hardliner", "aspiration", "tit_for_tat"]
FIELDS = ("agreement", "reason", "step", "utilities", "n_offers", "last_proposer", "vetoed", "stage", "ended_by",
          "offers")
#: the fast path's engines: numpy, and the compiled kernel (numba)
BACKENDS = ["numpy", pytest.param("numba", marks=needs_numba)]


@pytest.fixture(scope="module")
def alaska():
    return load_scenario("alaska-2025")




def _equal(a, b) -> None:
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        if x is None and y is None:
            continue
        assert x is not None and y is not None, f
        np.testing.assert_array_equal(x, y, err_msg=f)
        if np.asarray(x).dtype.kind == "f":  # bit for bit, signed zeros included
            assert np.array_equal(np.asarray(x).view(np.int64), np.asarray(y).view(np.int64)), f


def _run(backend, *args, **kw):
    """``simulate`` on the general path (``backend="general"``: ``fast=False``) or on the fast
    path with that backend."""
    return simulate(*args, backend="numpy" if backend == "general" else backend, fast=backend != "general", **kw)


@pytest.mark.parametrize("backend", BACKENDS)
def test_summit_per_run_fast_paths_equal_the_general_path(alaska, monkeypatch, backend):
    """Perturbed Alaska summits (no ties): delegations, walk-aways, threats with per-run
    credibility, press conference, veto; every ordered pair of the six fast strategies; traces."""
    pert = build_perturbation(alaska, noise={"position": 10, "salience": 0.2, "red_line": 10, "walk_away": 0.1,
                                             "credibility": 0.3})
    arrays, cred = pert.draw(144, np.random.default_rng(11))
    mix = [(a, b) for a in FAST for b in FAST]
    kw = dict(arrays=arrays, credibility=cred, protocol="summit", strategies=mix, steps=60, seed=4, traces=True,
              chunk_size=50)
    ref = _run("general", alaska, **kw)
    fast = _run(backend, alaska, **kw)
    assert {"walk_away", "veto"} <= set(ref.reason)
    _equal(ref, fast)


@needs_numba
def test_benchmark_summits_kernel_equals_the_general_path_on_any_split(alaska, monkeypatch):
    """The configuration of the summit benchmark (issue 20): every input perturbed, the 25
    ordered pairs of the NegMAS strategies, 100 steps per stage, walk-away, threats, veto.
    Run for run, the kernel gives the general path's results on one thread or two, in one
    merged batch or in several played at once (the chunks, and with them the threat draws,
    stay the same)."""
    pert = build_perturbation(alaska, noise={"position": 10, "salience": 0.2, "red_line": 10, "walk_away": 0.1,
                                             "credibility": 0.2})
    arrays, cred = pert.draw(1100, np.random.default_rng(20))
    names = ["boulware", "linear", "conceder", "tit_for_tat", "aspiration"]
    kw = dict(arrays=arrays, credibility=cred, protocol="summit", strategies=[(a, b) for a in names for b in names],
              seed=20)
    ref = _run("general", alaska, **kw)
    assert {"walk_away", "veto"} <= set(ref.reason)
    for threads in (1, 2):
        monkeypatch.setattr(_fast, "kernel_threads", lambda n=threads: n)
        _equal(ref, _run("numba", alaska, **kw))
    monkeypatch.setattr(_fast, "KERNEL_BATCH", 300)  # batches of one chunk (372 runs), on two threads
    _equal(ref, _run("numba", alaska, **kw))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("walk_away, time_limit", [(False, None), (True, None), (True, 23.5)])
def test_alternating_per_run_fast_paths_equal_the_general_path(alaska, monkeypatch, backend, walk_away, time_limit):
    """Alternating offers among the actors present, every input perturbed, with and without
    walk-away and a deadline in simulated time."""
    pert = build_perturbation(alaska, noise={"position": 15, "salience": 0.3, "red_line": 10, "walk_away": 0.15})
    arrays, cred = pert.draw(108, np.random.default_rng(3))
    mix = [(a, b) for a in FAST for b in FAST]
    kw = dict(arrays=arrays, credibility=cred, strategies=mix, steps=40, seed=1, traces=True, walk_away=walk_away,
              time_limit=time_limit, chunk_size=40)
    ref = _run("general", alaska, **kw)
    fast = _run(backend, alaska, **kw)
    assert len(set(ref.reason)) > 1
    _equal(ref, fast)


@pytest.mark.parametrize("backend", BACKENDS)
def test_tied_tables_are_played_exactly(alaska, monkeypatch, backend):
    """Positions as coded: the utility tables are full of ties (which of equal outcomes is
    offered is numpy's argsort order); the kernel hands such runs to numpy. Credibility 1, so
    that the threat draws cannot matter; tit-for-tat with a carried-over ranking pointer."""
    data = alaska.model_dump(mode="python")
    for th in data["threats"]:
        th["credibility"] = 1.0
    sc = scenario_from_data(data, source="test")
    pert = build_perturbation(sc, noise={"red_line": 15, "walk_away": 0.15})
    arrays, cred = pert.draw(60, np.random.default_rng(8))
    strategies = [("boulware", NaiveTitForTat(start_calls=3)), ("linear", "tit_for_tat"), ("aspiration", "conceder"),
                  (TimeDependent.from_faratin(0.5, label="faratin"), "hardliner")]
    kw = dict(arrays=arrays, credibility=cred, protocol="summit", strategies=strategies, steps=30, seed=2,
              chunk_size=25)
    _equal(_run("general", sc, **kw), _run(backend, sc, **kw))


@needs_numba
def test_kernel_hands_runs_with_ties_back(alaska):
    """The kernel refuses (fail) exactly where its sorted part holds equal utilities."""
    from detente.simulate._fast import _run_kernel

    b = scenario_domains(alaska, alaska.arrays().replace(
        position=np.broadcast_to(alaska.arrays().position, (4, 4, 5))))
    U = b.utilities(np.arange(4), parties=[0, 1])
    r = b.reservation[:, :2]
    tabs = [PartyTables(U[0], r[:, 0], U[1], r[:, 0], r[:, 1]), PartyTables(U[1], r[:, 1], U[0], r[:, 1], r[:, 0])]
    groups = [[Group(get_strategy("conceder"), np.arange(4))], [Group(get_strategy("conceder"), np.arange(4))]]
    calls = []

    def tables(F):
        calls.append(F)
        return [t.slice(F) for t in tabs]

    VT = np.stack([t.u for t in tabs])[:, :, None, :]
    R = np.stack([t.reservation for t in tabs])
    out = _run_kernel(np.ones((2, 1, 1)), VT, np.zeros((2, 0, 1, VT.shape[-1]), dtype=bool),
                      np.array([VT.shape[-1]]), 0.0, R, R.copy(), tables, groups, 50, True, 0.5, False, None, 1.0)
    assert calls and calls[0].size >= 1  # coded positions: ties near the top of the rankings
    ref = alternating_offers(tabs, groups, 50, np.random.default_rng(0), walk_away=True)
    for k in ("agreement", "reason", "step", "n_offers", "last_proposer", "ended_by", "last_offer"):
        np.testing.assert_array_equal(out[k], ref[k], err_msg=k)


@needs_numba
@pytest.mark.parametrize("rational", [True, False])
def test_kernel_outcomes_equal_domain_batch_utilities(alaska, rational):
    """The kernel never builds a table: it takes each run's extremes from the per-issue terms,
    keeps the groups of blocks of outcomes (all issues but the last two, or the last, fixed)
    worth a threshold or more in the buckets of their bounds, opens them lazily from the top,
    and sums single utilities,
    all with DomainBatch.utilities' operations. Bit for bit against the tables (red-line
    penalties included, per-run and shared value tables): the extremes; after opening down to
    bucket q, the buckets from q up hold exactly the valid outcomes that belong there; at the
    end the first argmax of the table and the largest invalid utility above the threshold
    (first id); any one outcome's utility."""
    from detente.simulate._kernel import (
        _B,
        _BEST,
        _IRR,
        _NF,
        _QS,
        _extremes,
        _open,
        _start,
        _terms,
        _utility,
    )

    pert = build_perturbation(alaska, noise={"position": 10, "salience": 0.2, "red_line": 15})
    arrays, _ = pert.draw(20, np.random.default_rng(0))
    b = scenario_domains(alaska, arrays, members={"usa": ["trump", "rubio"]})
    U = b.utilities(np.arange(20), parties=[1, 0, 3])
    cards = np.asarray(b.base.cardinalities, dtype=np.int64)
    m, n_i, vmax = int(np.prod(cards)), cards.size, int(cards.max())
    ps = [1, 0, 3]
    W = np.ascontiguousarray(b.weights[:, ps].transpose(1, 0, 2))
    VT = np.zeros((3, 20, n_i, vmax))
    AL = np.zeros((3, 20, n_i, vmax), dtype=bool)
    for k in range(n_i):
        VT[:, :, k, :cards[k]] = np.broadcast_to(b.value_tables[k][:, ps], (20, 3, cards[k])).transpose(1, 0, 2)
        AL[:, :, k, :cards[k]] = np.broadcast_to(b.allowed[k][:, ps], (20, 3, cards[k])).transpose(1, 0, 2)
    t, al = np.empty((1, n_i, vmax)), np.empty((1, n_i, vmax), dtype=bool)
    amin, amax, aamax = np.empty(n_i), np.empty(n_i), np.empty(n_i)
    S, F = np.empty(n_i + 1), np.empty(n_i + 1, dtype=bool)
    A, d = np.empty(n_i + 1, dtype=np.int64), np.empty(n_i + 1, dtype=np.int64)
    nb, bmax = m // cards[-1] + m // (cards[-1] * cards[-2]), 64  # blocks and groups of blocks
    bk_a, bk_s, bk_d = np.empty((1, nb), dtype=np.int64), np.empty((1, nb)), np.empty((1, nb), dtype=np.int64)
    bk_f, bk_m, bk_nx = np.empty((1, nb), dtype=bool), np.empty(nb), np.empty((1, nb), dtype=np.int64)
    bhd, vhd = np.empty((1, bmax + 2), dtype=np.int64), np.empty((1, bmax + 2), dtype=np.int64)
    nz = np.zeros((1, (bmax + 2 + 63) // 64), dtype=np.uint64)
    lf_v, lf_o, lf_nx = np.empty((1, m)), np.empty((1, m), dtype=np.int64), np.empty((1, m), dtype=np.int64)
    si, sf = np.zeros((1, 7), dtype=np.int64), np.zeros((1, 5))
    rng = np.random.default_rng(1)
    nom = 0.4
    for p in range(3):
        for i in range(20):
            u = U[p, i]
            _terms(W, VT, AL, cards, p, i, t[0], al[0])
            mn, mx = _extremes(t[0], al[0], cards, 2.0, amin, amax, aamax)
            assert (mn, mx) == (u.min(), u.max())
            for low in (mn - 1.0, *np.quantile(u, [0.3, 0.9])):
                sc = _start(t[0], al[0], cards, 2.0, low, mx, amax, aamax, S, F, A, d, bk_a[0], bk_s[0], bk_f[0],
                            bk_d[0], bk_m, bk_nx[0], bhd[0], vhd[0], nz[0], bmax, si[0], sf[0])
                B = si[0, _B]
                valid = (u >= low) & ((u >= nom) if rational else True)
                with np.errstate(invalid="ignore"):
                    bucket = np.minimum(1 + np.floor((u - low) * sc), B).astype(np.int64)  # the kernel's _bucket_of
                for q in range(B, 0, -1):
                    _open(0, q, t, al, cards, 2.0, rational, nom, low, sc, bhd, bk_a, bk_s, bk_f, bk_d, bk_nx, vhd,
                          lf_v, lf_o, lf_nx, nz, si, sf, True)
                    assert si[0, _QS] == q
                    for qq in (q, B):  # the bucket just opened and the top one: exactly their outcomes
                        held, e = [], vhd[0, qq]
                        while e >= 0:
                            held.append((lf_o[0, e], lf_v[0, e]))
                            e = lf_nx[0, e]
                        want = np.flatnonzero(valid & (bucket == qq))
                        assert sorted(o for o, _ in held) == want.tolist()
                        assert all(np.float64(v).view(np.int64) == u[o].view(np.int64) for o, v in held)
                    assert si[0, _NF] == np.count_nonzero(valid & (bucket >= q))
                assert (sf[0, 0], si[0, _BEST]) == (mx, int(np.argmax(u)))
                irr = np.flatnonzero((u >= low) & ~valid)
                assert (sf[0, 1], si[0, _IRR]) == ((u[irr].max(), int(irr[np.argmax(u[irr])])) if irr.size
                                                   else (-np.inf, -1))
            for o in rng.integers(0, m, size=8):
                assert np.array_equal(np.float64(_utility(t[0], al[0], cards, 2.0, int(o), d)).view(np.int64),
                                      u[o].view(np.int64))


@pytest.mark.parametrize("backend", BACKENDS)
def test_merged_kernel_batches_do_not_change_results(alaska, monkeypatch, backend):
    """Consecutive chunks merged into one kernel batch (threat draws still chunk by chunk):
    the same numbers as chunk by chunk, for any chunk size."""
    pert = build_perturbation(alaska, noise={"position": 10, "credibility": 0.3})
    arrays, cred = pert.draw(90, np.random.default_rng(5))
    mix = [(a, b) for a in FAST[:3] for b in FAST[3:]]
    kw = dict(arrays=arrays, credibility=cred, protocol="summit", strategies=mix, steps=30, seed=7)
    ref = _run("general", alaska, chunk_size=16, **kw)
    monkeypatch.setattr(_fast, "KERNEL_BATCH", 40)
    _equal(ref, _run(backend, alaska, chunk_size=16, **kw))
    assert _fast.merge_chunks([(0, 16, None), (16, 16, None), (32, 16, None), (48, 5, None)], True) == [
        [(0, 16, None), (16, 16, None)], [(32, 16, None), (48, 5, None)]]
    assert _fast.merge_chunks([(0, 16, None), (16, 16, None)], False) == [[(0, 16, None)], [(16, 16, None)]]


def test_only_time_dependent_and_tit_for_tat_take_the_fast_paths():
    tab = PartyTables(np.zeros((3, 4)), np.zeros(3))
    rows = np.arange(3)
    assert _fast.eligible([tab, tab], [[Group(get_strategy("linear"), rows)], [Group(get_strategy("tft"), rows)]])
    for other in ("random", "best_response"):
        assert not _fast.eligible([tab, tab], [[Group(get_strategy(other), rows)], [Group(get_strategy("linear"), rows)]])
    two_tft = [[Group(NaiveTitForTat(), rows[:1]), Group(NaiveTitForTat(start_calls=2), rows[1:])],
               [Group(get_strategy("linear"), rows)]]
    assert not _fast.eligible([tab, tab], two_tft)
    shared = PartyTables(np.zeros(4), np.zeros(3))
    assert not _fast.eligible([shared, shared], [[Group(get_strategy("linear"), rows)]] * 2)


@given(dom=domains(max_issues=3, max_values=4), a=st.sampled_from(FAST), b=st.sampled_from(FAST),
       seed=st.integers(0, 50), walk=st.booleans())
@settings(max_examples=25, deadline=None)
def test_property_fast_paths_equal_general_on_random_domains(dom, a, b, seed, walk):
    """Property: on random small domains (many ties) with per-run reservation values and
    weights, the numpy fast path and the kernel give the general path's results."""
    n = 10
    rng = np.random.default_rng(seed)
    r = rng.choice([0.0, 0.2, 0.5, 0.8], size=(n, 2))
    w = rng.uniform(0.1, 1.0, size=(n, 2, dom.n_issues))
    w /= w.sum(axis=-1, keepdims=True)
    batch = DomainBatch.from_domain(dom, n, reservation=r, weights=w)
    kw = dict(strategies=(a, b), steps=12, seed=seed, walk_away=walk, traces=True)
    results = [simulate(batch, backend=backend, fast=fast, **kw)
               for fast, backend in ((False, "numpy"), (True, "numpy"), (True, "auto"))]
    _equal(results[0], results[1])
    _equal(results[0], results[2])


@given(dom=domains(n_parties=3, max_issues=2, max_values=4), seed=st.integers(0, 20))
@settings(max_examples=10, deadline=None)
def test_property_three_parties_on_tables_directly(dom, seed):
    """Stacked alternating offers among three parties, called on ready tables
    (``alternating_offers`` with per-run PartyTables): numpy fast path and kernel equal the
    general path, offer by offer."""
    n = 9
    rng = np.random.default_rng(seed)
    r = rng.choice([0.0, 0.3, 0.6], size=(n, 3))
    w = rng.uniform(0.1, 1.0, size=(n, 3, dom.n_issues))
    w /= w.sum(axis=-1, keepdims=True)
    b = DomainBatch.from_domain(dom, n, reservation=r, weights=w)
    U = b.utilities(np.arange(n))
    tabs = [PartyTables(U[j], r[:, j], U[(j + 1) % 3], r[:, j], r[:, (j + 1) % 3]) for j in range(3)]
    rows = np.arange(n)
    names = [["conceder", "tit_for_tat", "linear"], ["aspiration", "boulware", "tit_for_tat"],
             ["linear", "hardliner", "conceder"]]
    groups = [[Group(get_strategy(names[p][k]), rows[rows % 3 == k]) for k in range(3)] for p in range(3)]
    outs = [alternating_offers(tabs, groups, 15, np.random.default_rng(0), walk_away=True, trace=True,
                               backend=backend, fast=fast)
            for fast, backend in ((False, "numpy"), (True, "numpy"), (True, "auto"))]
    for out in outs[1:]:
        for k in ("agreement", "reason", "step", "n_offers", "last_proposer", "ended_by", "last_offer", "offers"):
            np.testing.assert_array_equal(out[k], outs[0][k], err_msg=k)


def test_backend_is_validated_and_numba_names_the_extra(alaska, monkeypatch):
    """``simulate(backend=...)`` goes through detente.backends: an unknown name is refused
    up front, and "numba" without numba names the ``fast`` extra while "auto" plays numpy
    (same result)."""
    from detente import backends
    from detente.errors import MissingExtraError, ModelParameterError

    with pytest.raises(ModelParameterError, match="simulate: backend"):
        simulate(alaska, runs=4, steps=5, backend="gpu")
    want = simulate(alaska, runs=6, steps=20, seed=3, backend="numpy")
    monkeypatch.setattr(backends, "HAVE_NUMBA", False)
    assert not _fast.compiled("auto")
    _equal(simulate(alaska, runs=6, steps=20, seed=3), want)
    with pytest.raises(MissingExtraError, match="fast"):
        simulate(alaska, runs=4, steps=5, backend="numba")
