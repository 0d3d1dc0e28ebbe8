"""``simulate()``: run a batch of negotiations as array operations over the batch axis.

The batch is cut into fixed-size chunks (``chunk_size``); chunk *k* draws from child *k* of
``SeedSequence(seed)`` (:func:`detente.rng.chunk_generators`), so results do not depend on how
the work is split, and memory stays bounded (a chunk's arrays are (chunk_size,) per party, plus
(chunk_size, n_steps, n_parties) when traces are kept). Inside a chunk, protocols loop over
rounds and parties only, never over runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..backends import resolve
from ..errors import ScenarioError
from ..negotiation.batch import DomainBatch, _n_runs, scenario_domains
from ..negotiation.domain import Domain
from ..negotiation.from_scenario import actor_reservations, scenario_domain, threat_shifts
from ..rng import as_seed_sequence, chunk_generators, seed_entropy
from ._fast import kernel_plays, kernel_plays_combos, merge_chunks, play_batch
from .protocols import (
    AGREEMENT,
    DEADLINE,
    REASONS,
    VETO,
    WALK_AWAY,
    Group,
    alternating_offers,
    single_text,
)
from .result import SimulationResult
from .strategies import PartyTables, get_strategy

__all__ = ["PROTOCOLS", "load_source", "simulate"]

PROTOCOLS = ("alternating", "single_text", "summit")
MAX_RUNS = 100_000_000
DEFAULT_CHUNK = 50_000
#: Memory budget of one chunk's per-run tables (utility tables, sorted copies) when every run
#: has its own scenario; sets the default chunk size of that path.
PER_RUN_BUDGET = 160 * 2**20
#: Bytes per outcome and negotiating party held by a chunk with per-run tables (measured:
#: about 67): the party's utility table and its copy per strategy group with the opponent's
#: (8 + 16), sorted utilities, ids and tie positions (24), the search keys (16), temporaries.
PER_RUN_BYTES = 72


def per_run_chunk(n_outcomes: int, n_negotiators: int, budget: int = PER_RUN_BUDGET) -> int:
    """Default runs per chunk when every run has its own scenario (bounded memory)."""
    return int(max(16, min(DEFAULT_CHUNK, budget // max(1, n_outcomes * n_negotiators * PER_RUN_BYTES))))


def load_source(source: Any) -> Any:
    """A Domain or Scenario from a Domain, a Scenario, a built-in name, a scenario file or a
    GENIUS folder."""
    from ..io import load_scenario
    from ..scenario.schema import Scenario

    if isinstance(source, (Domain, Scenario)):
        return source
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        from ..negotiation.genius import load_genius_folder

        return load_genius_folder(source)
    return load_scenario(source)


def _check_int(name: str, v: Any, lo: int = 1, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (hi is not None and v > hi):
        allowed = f">= {lo}" + (f" and <= {hi}" if hi else "")
        raise ScenarioError(f"must be an integer {allowed} (got {v!r})", field=name)
    return int(v)


def _combos(strategies: Any, n_parties: int) -> list[tuple[Any, ...]]:
    """Normalise ``strategies`` into a list of per-party tuples of strategy objects."""
    if isinstance(strategies, str):
        strategies = [s for s in strategies.split(",")]
    strategies = list(strategies)
    if strategies and all(isinstance(c, (list, tuple)) for c in strategies):
        combos = [tuple(c) for c in strategies]
    else:
        combos = [tuple(strategies)]
    out = []
    for c in combos:
        if len(c) == 1:
            c = c * n_parties
        if len(c) != n_parties:
            raise ScenarioError(
                f"give one strategy per negotiating party ({n_parties}) or one for all (got {len(c)}: {list(map(str, c))})",
                field="strategies",
            )
        out.append(tuple(get_strategy(s) for s in c))
    return out


def _label(s: Any) -> str:
    return getattr(s, "label", type(s).__name__)


def _groups(combos, run_ids: np.ndarray, party: int) -> list[Group]:
    """Partition rows 0..len(run_ids)-1 by the strategy party plays (run i -> combo i % C)."""
    which = run_ids % len(combos)
    found: list[list] = []  # [strategy, combo indices]; equal strategies share one group
    for c, combo in enumerate(combos):
        for entry in found:
            if entry[0] is combo[party] or entry[0] == combo[party]:
                entry[1].append(c)
                break
        else:
            found.append([combo[party], [c]])
    groups = []
    for strat, cs in found:
        rows = np.flatnonzero(np.isin(which, cs))
        if rows.size:
            groups.append(Group(strat, rows))
    return groups


def _tables(U: np.ndarray, neg: Sequence[int], r: np.ndarray, nominal: np.ndarray) -> list[PartyTables]:
    n_p = len(neg)
    out = []
    for k, a in enumerate(neg):
        b = neg[(k + 1) % n_p]
        out.append(PartyTables(U[a], r[:, a], U[b], float(nominal[a]), r[:, b]))
    return out


def simulate(
    source: Any,
    *,
    runs: int | None = None,
    protocol: str = "alternating",
    strategies: Any = ("boulware", "boulware"),
    steps: int = 100,
    seed: None | int | np.random.SeedSequence = None,
    traces: bool = False,
    chunk_size: int | None = None,
    levels: int = 5,
    walk_away: bool | None = None,
    walk_patience: float = 0.5,
    audience_cost: float = 0.5,
    discounting: str = "none",
    dedup: bool = True,
    time_limit: float | None = None,
    step_time: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
    arrays: Any = None,
    credibility: np.ndarray | None = None,
    backend: str = "auto",
) -> SimulationResult:
    """Simulate ``runs`` negotiations at once.

    Parameters
    ----------
    source : Domain, DomainBatch, Scenario, built-in name, scenario file or GENIUS folder
        A :class:`~detente.negotiation.batch.DomainBatch` gives every run its own utilities,
        red lines and reservation values over one outcome space.
    runs : int, optional
        Number of negotiations (the batch axis); default 1000, or the number of per-run
        scenarios (``arrays``, a DomainBatch).
    protocol : {"alternating", "single_text", "summit"}
        Stacked alternating offers (NegMAS SAO semantics), the mediated single text, or the
        staged summit over a scenario's ``stages``.
    strategies : sequence or list of sequences
        One strategy per negotiating party (name or instance), or one for all; a list of
        such tuples mixes strategy pairs in one batch (run i plays pair i mod len).
        Names: boulware, linear, conceder, hardliner, aspiration, tit_for_tat, random,
        best_response (see :mod:`detente.simulate.strategies`).
    steps : int
        Deadline in mechanism steps per bargaining stage (> 0); a summit stage's
        ``max_steps`` overrides it.
    seed : None, int or SeedSequence
    traces : bool
        Keep every offer (memory: runs x steps x parties int32).
    chunk_size : int, optional
        Runs per chunk (memory bound; results do not depend on it for deterministic
        strategies, and for random ones they depend only on it, never on the machine).
        Default 50,000; with per-run scenarios :func:`per_run_chunk` (about 192 MiB of tables
        per chunk, a function of the outcome-space size only).
    levels : int
        Grid values per issue when a scenario is discretised.
    walk_away : bool, optional
        Allow walk-away (default: True for the summit, False otherwise).
    walk_patience : float
        Fraction of a stage's deadline before a party considers walking away.
    audience_cost : float
        Press-conference audience cost lambda >= 0 (summit).
    discounting : {"none", "genius"}
        "genius": report U * d**t for a deal at normalised time t (GENIUS discount factors);
        strategies are unaffected.
    dedup : bool
        With deterministic strategies only, simulate each distinct run state once per chunk
        and copy the result to the identical runs (same output, less work). False: every run
        is simulated (what the throughput benchmark measures).
    time_limit, step_time : float, optional
        Deadline in relative (simulated) time as well as in steps (alternating offers and the
        summit): each step takes ``step_time``; the run also ends once ``time_limit`` has
        elapsed, and strategies see t = max((s + 1)/(steps + 1), elapsed / time_limit).
    progress : callable(done_runs, total_runs), optional
        Called after every chunk (the CLI's progress bar).
    arrays : ScenarioArrays, optional
        **Per-run scenarios** (with a Scenario source): arrays with one leading run axis on any
        of position, salience, power, red_low/red_high, walk_utility, walk_position (e.g. a
        Monte Carlo ensemble, :meth:`detente.uncertainty.Perturbation.draw`). Run i negotiates
        draw i: its own utilities, red lines and reservation values (built vectorised,
        :func:`~detente.negotiation.batch.scenario_domains`). With deterministic strategies
        run i gives exactly the result of simulating draw i alone. ``dedup`` does not apply.
    credibility : (n_runs, n_threats), optional
        Per-run threat credibilities (with ``arrays``; default the scenario's).
    backend : {"auto", "numba", "numpy"}
        Engine of the alternating-offers fast path, resolved by :mod:`detente.backends` (same results).

    Returns
    -------
    SimulationResult

    Raises
    ------
    ScenarioError
        Unknown protocol or strategy, runs/steps <= 0, a summit without a scenario.
    """
    resolve(backend, what="simulate: backend")
    steps = _check_int("steps", steps, 1, 1_000_000)
    if chunk_size is not None:
        chunk_size = _check_int("chunk_size", chunk_size, 1)
    if protocol not in PROTOCOLS:
        raise ScenarioError(f"unknown protocol {protocol!r}; valid: {', '.join(PROTOCOLS)}", field="protocol")
    if discounting not in ("none", "genius"):
        raise ScenarioError(f"must be 'none' or 'genius' (got {discounting!r})", field="discounting")
    if not audience_cost >= 0:
        raise ScenarioError(f"must be >= 0 (got {audience_cost})", field="audience_cost")
    if not 0 <= walk_patience <= 1:
        raise ScenarioError(f"must lie in [0, 1] (got {walk_patience})", field="walk_patience")
    if time_limit is not None and not time_limit > 0:
        raise ScenarioError(f"must be > 0 (got {time_limit})", field="time_limit")
    if not step_time > 0:
        raise ScenarioError(f"must be > 0 (got {step_time})", field="step_time")
    clock = {"time_limit": time_limit, "step_time": step_time}
    src = source if isinstance(source, DomainBatch) else load_source(source)
    per_run = isinstance(src, DomainBatch) or arrays is not None or credibility is not None
    if per_run:
        if isinstance(src, DomainBatch):
            if arrays is not None or credibility is not None:
                raise ScenarioError("a DomainBatch already holds its runs; do not pass arrays/credibility too",
                                    field="arrays")
            n_per = src.n_runs
        elif isinstance(src, Domain):
            raise ScenarioError("per-run arrays need a scenario; for a GENIUS domain pass "
                                "DomainBatch.from_domain(domain, runs, reservation=...)", field="arrays")
        else:
            if arrays is None:
                arrays = src.arrays()
            n_per = _n_runs(arrays, credibility)
        if runs is None:
            runs = n_per
        if _check_int("runs", runs, 1, MAX_RUNS) != n_per:
            raise ScenarioError(f"{runs} runs but {n_per} per-run scenarios; give one scenario per run",
                                field="runs")
    runs = _check_int("runs", 1000 if runs is None else runs, 1, MAX_RUNS)
    ss = as_seed_sequence(seed)
    entropy = seed_entropy(ss)
    if per_run:
        return _run_per_run(src, arrays, credibility, runs, protocol, strategies, steps, ss, entropy, traces,
                            chunk_size, levels, walk_away, walk_patience, audience_cost, discounting, progress, clock, backend=backend)
    chunk_size = DEFAULT_CHUNK if chunk_size is None else chunk_size
    if isinstance(src, Domain):
        if protocol == "summit":
            raise ScenarioError("the summit protocol needs a scenario with stages, not a GENIUS domain", field="protocol")
        return _run_domain(src, None, runs, protocol, strategies, steps, ss, entropy, traces, chunk_size,
                           bool(walk_away), walk_patience, discounting, progress, dedup, clock, backend=backend)
    scenario = src
    if protocol == "summit":
        return _run_summit(scenario, runs, strategies, steps, ss, entropy, traces, chunk_size, levels,
                           True if walk_away is None else bool(walk_away), walk_patience, audience_cost, progress, dedup, clock, backend=backend)
    dom = scenario_domain(scenario, levels=levels)
    return _run_domain(dom, scenario, runs, protocol, strategies, steps, ss, entropy, traces, chunk_size,
                       bool(walk_away), walk_patience, discounting, progress, dedup, clock, backend=backend)


def _chunk_part(out: dict[str, Any], size: int, neg: Sequence[int], vetoers: Sequence[int],
                feasible: Callable[[np.ndarray], np.ndarray], utility: Callable[[np.ndarray], np.ndarray],
                r: np.ndarray, discount: np.ndarray, steps: int, discounting: str) -> dict[str, Any]:
    """One chunk's protocol result ``out`` (``size`` runs among the parties ``neg``) made a part
    of the simulation result: agreements vetoed by ``vetoers`` (``feasible(agreement)``: whether
    each run's outcome is feasible for each party, (n_parties, size)), every party's utility
    (``utility(agreement)``, (n_parties, size); reservation values ``r`` without a deal),
    discounted GENIUS-style if asked, and ``ended_by`` as a party index of the domain."""
    ag = out["agreement"]
    if vetoers:
        ok = ag >= 0
        vet = ok & ~np.all(feasible(ag)[vetoers], axis=0)
        out["reason"] = np.where(vet, VETO, out["reason"])
        out["vetoed"] = np.where(vet, ag, -1)
        out["agreement"] = ag = np.where(vet, -1, ag)
    else:
        out["vetoed"] = np.full(size, -1, dtype=np.int64)
    util = np.where(ag[:, None] >= 0, utility(ag).T, r)
    if discounting == "genius":
        t = (out["step"] + 1) / (steps + 1)
        util = np.where(ag[:, None] >= 0, util * discount[None, :] ** t[:, None], util)
    out["utilities"] = util
    eb = out.pop("ended_by")
    out["ended_by"] = np.where(eb >= 0, np.asarray(neg)[np.maximum(eb, 0)], -1)
    return {k: v for k, v in out.items() if k != "last_offer"}


def _domain_result(dom: Domain, protocol: str, combos: list[tuple[Any, ...]], runs: int,
                   parts: list[dict[str, Any]], vetoers: Sequence[int], entropy: Any,
                   params: dict[str, Any]) -> SimulationResult:
    """The result of ``runs`` negotiations over ``dom``'s outcome space from the chunks' parts
    (:func:`_chunk_part`); run i played strategy combination i mod len(combos)."""
    res = _concat(parts)
    if protocol == "alternating":
        labels = np.array(["/".join(_label(s) for s in c) for c in combos], dtype=object)
        strat = labels[np.arange(runs) % len(combos)]
    else:
        strat = np.full(runs, "mediator", dtype=object)
    return SimulationResult(
        protocol=protocol,
        scenario=dom.name,
        parties=dom.parties,
        issues=dom.issues,
        values=dom.values,
        strategies=strat,
        agreement=res["agreement"],
        agreement_values=_values(dom, res["agreement"]),
        reason=np.array(REASONS, dtype=object)[res["reason"]],
        utilities=res["utilities"],
        step=np.where(res["reason"] == DEADLINE, -1, res["step"]),
        stage=np.full(runs, "", dtype=object),
        n_offers=res["n_offers"],
        last_proposer=res["last_proposer"],
        offers=res["offers"],
        vetoed=res["vetoed"] if vetoers else None,
        params=params,
        seed_entropy=entropy,
        notes=(),
        ended_by=res["ended_by"],
    )


def _concat(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in parts[0]:
        vals = [p[k] for p in parts]
        out[k] = None if vals[0] is None else np.concatenate(vals, axis=0)
    return out


def _values(dom: Domain, agreement: np.ndarray) -> np.ndarray:
    vi = dom.decode(agreement)
    out = np.empty(vi.shape, dtype=object)
    for k in range(dom.n_issues):
        vals = np.array(list(dom.values[k]) + [None], dtype=object)
        out[:, k] = vals[np.where(vi[:, k] >= 0, vi[:, k], len(dom.values[k]))]
    return out


def _run_domain(dom, scenario, runs, protocol, strategies, steps, ss, entropy, traces, chunk_size,
                walk_away, walk_patience, discounting, progress, dedup, clock, *, backend="auto") -> SimulationResult:
    U = dom.utilities()
    if scenario is not None:
        neg = [k for k, a in enumerate(scenario.actors) if a.present]
        vetoers = [k for k, a in enumerate(scenario.actors) if (not a.present) and a.veto]
    else:
        neg = list(range(dom.n_parties))
        vetoers = []
    if len(neg) < 2:
        raise ScenarioError(f"a negotiation needs at least two parties at the table (got {[dom.parties[k] for k in neg]})", field="actors")
    combos = _combos(strategies, len(neg)) if protocol == "alternating" else []
    use_dedup = dedup and bool(combos) and all(getattr(x, "deterministic", False) for c in combos for x in c)
    feas = dom.feasible() if vetoers else None

    def feasible(ag: np.ndarray) -> np.ndarray:
        assert feas is not None
        return feas[:, np.maximum(ag, 0)]

    parts = []
    done = 0
    for start, size, rng in chunk_generators(ss, runs, chunk_size):
        r = np.broadcast_to(dom.reservation, (size, dom.n_parties)).copy()
        tabs = _tables(U, neg, r, dom.reservation)
        if protocol == "alternating":
            ids = np.arange(start, start + size)
            if use_dedup and size > len(combos):
                # identical deterministic runs: one per strategy combination, copied out
                # row i plays combo (start + i) mod C, the same as row i mod C
                rep = np.arange(len(combos))
                inv = np.arange(size) % len(combos)
                sub = [t.slice(rep) for t in tabs]
                groups = [_groups(combos, start + rep, p) for p in range(len(neg))]
                out = alternating_offers(sub, groups, steps, rng, walk_away=walk_away, walk_patience=walk_patience, trace=traces,
                                         backend=backend, **clock)
                out = {k: (None if v is None else (v[:, inv] if k == "last_offer" else v[inv])) for k, v in out.items()}
            else:
                groups = [_groups(combos, ids, p) for p in range(len(neg))]
                out = alternating_offers(tabs, groups, steps, rng, walk_away=walk_away, walk_patience=walk_patience, trace=traces,
                                         backend=backend, **clock)
        else:
            out = single_text(tabs, dom.cardinalities, steps, rng, trace=traces)
        parts.append(_chunk_part(out, size, neg, vetoers, feasible,
                                 lambda ag: U[:, np.maximum(ag, 0)], r, dom.discount, steps, discounting))
        done += size
        if progress is not None:
            progress(done, runs)
    return _domain_result(dom, protocol, combos, runs, parts, vetoers, entropy, {
        "steps": steps, "runs": runs, "chunk_size": chunk_size, "walk_away": walk_away,
        "discounting": discounting, **clock, "negotiators": tuple(dom.parties[k] for k in neg)})


# ---------------------------------------------------------------------------- per-run scenarios
def _run_per_run(src, arrays, credibility, runs, protocol, strategies, steps, ss, entropy, traces,
                 chunk_size, levels, walk_away, walk_patience, audience_cost, discounting, progress,
                 clock, *, backend="auto") -> SimulationResult:
    """Every run with its own scenario draw (or its own row of a DomainBatch).

    The tables of a chunk are built for that chunk's runs only (vectorised over them), so
    memory is bounded by ``chunk_size`` whatever the number of runs.
    """
    from ..negotiation.batch import take_runs

    if protocol == "summit":
        if isinstance(src, DomainBatch):
            raise ScenarioError("the summit protocol needs a scenario with stages, not a DomainBatch", field="protocol")
        return _run_summit(src, runs, strategies, steps, ss, entropy, traces, chunk_size, levels,
                           True if walk_away is None else bool(walk_away), walk_patience, audience_cost,
                           progress, False, clock, per_run=(arrays, credibility), backend=backend)
    scenario = None if isinstance(src, DomainBatch) else src
    if scenario is None:
        base = src.base
        neg = list(range(base.n_parties))
        vetoers: list[int] = []

        def chunk_batch(rows: np.ndarray) -> DomainBatch:
            return src.take(rows)
    else:
        base = scenario_domain(scenario, levels=levels, reservation=np.zeros(len(scenario.actors)))
        neg = [k for k, a in enumerate(scenario.actors) if a.present]
        vetoers = [k for k, a in enumerate(scenario.actors) if (not a.present) and a.veto]

        def chunk_batch(rows: np.ndarray) -> DomainBatch:
            a, c = take_runs(arrays, rows, credibility)
            return scenario_domains(scenario, a, levels=levels, credibility=c)
    if len(neg) < 2:
        raise ScenarioError(f"a negotiation needs at least two parties at the table (got {[base.parties[k] for k in neg]})", field="actors")
    combos = _combos(strategies, len(neg)) if protocol == "alternating" else []
    if chunk_size is None:
        chunk_size = per_run_chunk(base.n_outcomes, len(neg))
    walk = bool(walk_away)
    parts = []
    done = 0
    merge = protocol == "alternating" and kernel_plays_combos(combos, backend)
    for grp in merge_chunks(chunk_generators(ss, runs, chunk_size), merge):
        # merged only when the kernel plays every run (no generator is consumed)
        start, size, rng = grp[0][0], sum(c[1] for c in grp), grp[0][2]
        rows = np.arange(start, start + size)
        b = chunk_batch(rows)
        local = np.arange(size)
        r = b.reservation.copy()
        groups = [_groups(combos, rows, p) for p in range(len(neg))] if protocol == "alternating" else []
        if groups and kernel_plays(groups, backend):
            # compiled kernel: each run's tables built in cache, never the chunk's (same result)
            out = play_batch(b, local, neg, r[:, neg], b.reservation[:, neg], groups, steps, walk_away=walk,
                             walk_patience=walk_patience, trace=traces, **clock)
        else:
            U = b.utilities(local, parties=neg)  # (n_neg, size, n_outcomes)
            tabs = [PartyTables(U[j], r[:, a], U[(j + 1) % len(neg)], b.reservation[:, a], r[:, neg[(j + 1) % len(neg)]])
                    for j, a in enumerate(neg)]
            if protocol == "alternating":
                out = alternating_offers(tabs, groups, steps, rng, walk_away=walk, walk_patience=walk_patience,
                                         trace=traces, backend=backend, **clock)
            else:
                out = single_text(tabs, base.cardinalities, steps, rng, trace=traces)
            del U, tabs
        parts.append(_chunk_part(out, size, neg, vetoers, partial(b.feasible_of, local),
                                 partial(b.utility_of, local), r, base.discount, steps, discounting))
        done += size
        if progress is not None:
            progress(done, runs)
    return _domain_result(base, protocol, combos, runs, parts, vetoers, entropy, {
        "steps": steps, "runs": runs, "chunk_size": chunk_size, "walk_away": walk,
        "discounting": discounting, **clock, "negotiators": tuple(base.parties[k] for k in neg),
        "per_run": True})


# ---------------------------------------------------------------------------- summit
def _run_summit(scenario, runs, strategies, steps, ss, entropy, traces, chunk_size, levels,
                walk_away, walk_patience, audience_cost, progress, dedup, clock, per_run=None, *,
                backend="auto") -> SimulationResult:
    """The staged summit: the scenario's stages in order (rules in docs/simulation.md).

    Randomness enters only through the strategies and through whether a threat is carried out
    on a walk-away; those draws are made per run up front (chunk k from its own generator), so
    with deterministic strategies runs that share a strategy combination and the same
    carried-out pattern are the same negotiation, simulated once (``dedup``).

    ``per_run = (arrays, credibility)``: every run its own scenario draw; each chunk builds the
    base and stage domains of its runs (:func:`scenario_domains`), never all runs at once.
    """
    ids = scenario.actor_ids
    stages = list(scenario.stages)
    notes = []
    if not stages:
        from ..scenario.schema import Stage, StageParticipant

        stages = [Stage(id="talks", participants=[StageParticipant(actor=a.id) for a in scenario.actors if a.present])]
        notes.append("the scenario has no stages: one bargaining stage of the actors present")
    if per_run is None:
        base = scenario_domain(scenario, levels=levels)
        r0 = actor_reservations(scenario, base) + threat_shifts(scenario)
    else:
        base = scenario_domain(scenario, levels=levels, reservation=np.zeros(len(ids)))
        r0 = base.reservation
    bargaining = [k for k, st in enumerate(stages) if st.kind == "bargaining"]
    if not bargaining:
        raise ScenarioError("the scenario's stages include no bargaining stage", field="stages")
    plan = []
    combos: list[tuple[Any, ...]] = []
    for st in stages:
        present = [ids.index(p.actor) for p in st.participants if scenario.actors[ids.index(p.actor)].present]
        members: dict[str, Sequence[str]] = {p.actor: list(p.members) for p in st.participants}
        dom = None
        if st.kind == "bargaining":
            if len(present) < 2:
                raise ScenarioError(f"stage {st.id!r} has fewer than two actors present", field="stages")
            if per_run is None:
                dom = scenario_domain(scenario, levels=levels, members=members, reservation=np.zeros(len(ids)))
            c = _combos(strategies, len(present))
            if not combos:
                combos = c
            elif len(c[0]) != len(combos[0]):
                raise ScenarioError("every bargaining stage must seat the same number of actors present", field="stages")
        plan.append((st, present, dom, members))
    deterministic = all(getattr(x, "deterministic", False) for c in combos for x in c)
    ctx = dict(scenario=scenario, plan=plan, base=base, r0=r0, combos=combos, steps=steps, traces=traces,
               walk_away=walk_away, walk_patience=walk_patience, audience_cost=audience_cost, clock=clock, backend=backend,
               n_bargaining=len(bargaining), last_bargaining=bargaining[-1])
    threats = [(ids.index(t.issuer), ids.index(t.target), t.credibility) for t in scenario.threats]
    cred = np.array([t[2] for t in threats]).reshape(-1, 1)
    if chunk_size is None:
        chunk_size = per_run_chunk(base.n_outcomes, len(combos[0])) if per_run is not None else DEFAULT_CHUNK
    chunks = chunk_generators(ss, runs, chunk_size)
    if dedup and deterministic and per_run is None:
        draws = np.concatenate([rng.random((len(threats), size)) for _, size, rng in chunks], axis=1)
        key = np.vstack([np.arange(runs) % len(combos), draws < cred]).T
        _, rep, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inv = inv.ravel()
        out = _summit_batch(ctx, rep, draws[:, rep], chunks[0][2])
        res: dict[str, Any] = {k: (None if v is None else v[inv]) for k, v in out.items()}
        if progress is not None:
            progress(runs, runs)
    else:
        parts = []
        # per-run tables played by the compiled kernel: consecutive chunks in one batch (each
        # chunk's threat draws from its own generator, which is all the generators are used for)
        merge = per_run is not None and deterministic and kernel_plays_combos(combos, backend)
        for grp in merge_chunks(chunks, merge):
            start, size = grp[0][0], sum(c[1] for c in grp)
            d = np.concatenate([g.random((len(threats), sz)) for _, sz, g in grp], axis=1)
            pr = None if per_run is None else _chunk_domains(scenario, plan, per_run, start, size, levels)
            parts.append(_summit_batch(ctx, np.arange(start, start + size), d, grp[0][2], pr))
            if progress is not None:
                progress(start + size, runs)
        res = _concat(parts)
    present_ids = tuple(a.id for a in scenario.actors if a.present)
    if per_run is not None:
        notes.append("per-run scenarios: every run negotiates its own scenario draw")
    labels = np.array(["/".join(_label(s) for s in c) for c in combos], dtype=object)
    return SimulationResult(
        protocol="summit",
        scenario=scenario.name,
        parties=ids,
        issues=base.issues,
        values=base.values,
        strategies=labels[np.arange(runs) % len(combos)],
        agreement=res["agreement"],
        agreement_values=_values(base, res["agreement"]),
        reason=np.array(REASONS, dtype=object)[res["reason"]],
        utilities=res["utilities"],
        step=res["step"],
        stage=res["stage"],
        n_offers=res["n_offers"],
        last_proposer=res["last_proposer"],
        offers=res["offers"],
        vetoed=res["vetoed"],
        params={"steps": steps, "runs": runs, "chunk_size": chunk_size, "levels": levels, "walk_away": walk_away,
                "walk_patience": walk_patience, "audience_cost": audience_cost, **clock,
                "stages": tuple(st.id for st in stages), "negotiators": present_ids,
                "per_run": per_run is not None},
        seed_entropy=entropy,
        notes=tuple(notes),
        ended_by=res["ended_by"],
    )


def _chunk_domains(scenario, plan, per_run, start: int, size: int, levels: int) -> dict[str, Any]:
    """The base and bargaining-stage domains of the runs start..start+size (per-run scenarios)."""
    from ..negotiation.batch import take_runs

    arrays, cred = take_runs(per_run[0], np.arange(start, start + size), per_run[1])
    base = scenario_domains(scenario, arrays, levels=levels, credibility=cred)
    n_a = len(scenario.actors)
    stages = {k: scenario_domains(scenario, arrays, levels=levels, members=members,
                                  reservation=np.zeros((size, n_a)))
              for k, (st, _present, _dom, members) in enumerate(plan) if st.kind == "bargaining"}
    c = None if cred is None else np.broadcast_to(cred, (size, len(scenario.threats)))
    return {"base": base, "stages": stages, "r0": base.reservation, "cred": c}


def _summit_batch(ctx: dict, run_ids: np.ndarray, draws: np.ndarray, rng: np.random.Generator,
                  pr: dict[str, Any] | None = None) -> dict[str, Any]:
    """Play the summit's stages for the runs ``run_ids`` (threat draws (n_threats, n) given).

    ``pr``: per-run domains of these runs (:func:`_chunk_domains`), row i = run_ids[i].
    """
    scenario, base, r0, combos = ctx["scenario"], ctx["base"], ctx["r0"], ctx["combos"]
    steps, traces = ctx["steps"], ctx["traces"]
    ids = scenario.actor_ids
    vetoers = [k for k, a in enumerate(scenario.actors) if (not a.present) and a.veto]
    threats = [(ids.index(t.issuer), ids.index(t.target), t.credibility, t.cost_to_target, t.cost_to_issuer)
               for t in scenario.threats]
    size = run_ids.size
    if pr is None:
        feas = base.feasible()
        Ub = base.utilities()

        def u_of(rows: np.ndarray, o: np.ndarray) -> np.ndarray:
            return Ub[:, np.maximum(o, 0)]

        def f_of(rows: np.ndarray, o: np.ndarray) -> np.ndarray:
            return feas[:, np.maximum(o, 0)]

        r = np.broadcast_to(r0, (size, len(ids))).copy()
    else:
        u_of, f_of = pr["base"].utility_of, pr["base"].feasible_of
        r = pr["r0"].copy()
    cred = None if pr is None else pr["cred"]
    ended_by = np.full(size, -1, dtype=np.int64)
    ended = np.zeros(size, dtype=bool)
    agreement = np.full(size, -1, dtype=np.int64)
    reason = np.full(size, DEADLINE, dtype=np.int64)
    step = np.full(size, -1, dtype=np.int64)
    stage_end = np.full(size, "", dtype=object)
    n_offers = np.zeros(size, dtype=np.int64)
    last_prop = np.full(size, -1, dtype=np.int64)
    pending = np.ones((len(threats), size), dtype=bool)
    last_offer = np.full((len(ids), size), -1, dtype=np.int64)
    vetoed = np.full(size, -1, dtype=np.int64)
    offers = np.full((size, steps * ctx["n_bargaining"], len(ids)), -1, dtype=np.int32) if traces else None
    b_index = 0
    for k, (st, present, dom, _members) in enumerate(ctx["plan"]):
        rows = np.flatnonzero(~ended)
        if rows.size == 0:
            break
        if st.kind == "press_conference":
            # public commitment to one's last offer: conceding below it later costs lambda per
            # unit of utility, i.e. the reservation value rises to (r + lambda u(c)) / (1 + lambda)
            lam = ctx["audience_cost"]
            for a in present:
                c = last_offer[a, rows]
                uc = u_of(rows, c)[a]
                rr = r[rows, a]
                r[rows, a] = np.where((c >= 0) & (uc > rr), (rr + lam * uc) / (1 + lam), rr)
            stage_end[rows] = st.id
            continue
        n_steps = st.max_steps or steps
        groups = [_groups(combos, run_ids[rows], p) for p in range(len(present))]
        if pr is not None and kernel_plays(groups, ctx["backend"]):
            # compiled kernel: each run's tables built in cache, never the chunk's (same result)
            out = play_batch(pr["stages"][k], rows, present, r[rows][:, present], pr["r0"][rows][:, present], groups,
                             n_steps, walk_away=ctx["walk_away"], walk_patience=ctx["walk_patience"], trace=traces,
                             **ctx["clock"])
        else:
            if pr is None:
                tabs = _tables(dom.utilities(), present, r[rows], r0)
            else:
                U = pr["stages"][k].utilities(rows, parties=present)
                rr, n_pr = r[rows], len(present)
                tabs = [PartyTables(U[j], rr[:, a], U[(j + 1) % n_pr], pr["r0"][rows, a], rr[:, present[(j + 1) % n_pr]])
                        for j, a in enumerate(present)]
            out = alternating_offers(tabs, groups, n_steps, rng, walk_away=ctx["walk_away"],
                                     walk_patience=ctx["walk_patience"], trace=traces, backend=ctx["backend"],
                                     **ctx["clock"])
            del tabs
        n_offers[rows] += out["n_offers"]
        if offers is not None:
            w = min(n_steps, steps)
            for j, a in enumerate(present):
                offers[rows, b_index * steps : b_index * steps + w, a] = out["offers"][:, :w, j]
        for j, a in enumerate(present):
            lo = out["last_offer"][j]
            last_offer[a, rows] = np.where(lo >= 0, lo, last_offer[a, rows])
        ag = out["agreement"]
        ok = ag >= 0
        if vetoers:
            vet = ok & ~np.all(f_of(rows, ag)[vetoers], axis=0)
        else:
            vet = np.zeros(rows.size, dtype=bool)
        deal = ok & ~vet
        agreement[rows[deal]] = ag[deal]
        vetoed[rows[vet]] = ag[vet]
        reason[rows[ok]] = np.where(vet[ok], VETO, AGREEMENT)
        step[rows[ok]] = out["step"][ok]
        last_prop[rows[deal]] = np.asarray(present)[out["last_proposer"][deal]]
        ended[rows[ok]] = True
        stage_end[rows] = st.id
        walked = out["reason"] == WALK_AWAY
        if walked.any():
            wr = rows[walked]
            walker = np.asarray(present)[out["ended_by"][walked]]
            ended_by[wr] = walker
            for ti, (iss, tgt, cr, ct, ci) in enumerate(threats):
                if iss not in present or tgt not in present:
                    continue
                hit = pending[ti, wr] & ((walker == iss) | (walker == tgt))
                if cred is not None:  # per-run credibility
                    cr = cred[wr, ti]
                carried = draws[ti, wr] < cr
                sel = hit & carried
                c = cr[sel] if cred is not None else cr
                h = wr[sel]  # carried out: the full cost instead of the expected one
                r[h, tgt] -= (1 - c) * ct
                r[h, iss] -= (1 - c) * ci
                sel = hit & ~carried
                c = cr[sel] if cred is not None else cr
                h = wr[sel]  # not carried out: the threat is spent
                r[h, tgt] += c * ct
                r[h, iss] += c * ci
                pending[ti, wr[hit]] = False
            reason[wr] = WALK_AWAY
            step[wr] = out["step"][walked]
            if k == ctx["last_bargaining"]:
                ended[wr] = True
        timed = out["reason"] == DEADLINE
        reason[rows[timed]] = DEADLINE
        step[rows[timed]] = -1
        b_index += 1
    util = np.where(agreement[:, None] >= 0, u_of(np.arange(size), agreement).T, r)
    return {"agreement": agreement, "reason": reason, "step": step, "stage": stage_end,
            "n_offers": n_offers, "last_proposer": last_prop, "utilities": util, "offers": offers,
            "vetoed": vetoed, "ended_by": np.where(reason == WALK_AWAY, ended_by, -1)}
