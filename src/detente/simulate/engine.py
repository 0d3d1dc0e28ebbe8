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
from ..negotiation.from_scenario import scenario_domain
from ..rng import as_seed_sequence, chunk_generators, seed_entropy
from . import _batch as B
from ._batch import DEFAULT_CHUNK, MAX_RUNS, PER_RUN_BUDGET, PER_RUN_BYTES, per_run_chunk
from ._fast import kernel_plays_combos, merge_chunks
from .protocols import PROTOCOLS, BatchSource, Table, get_protocol, play
from .protocols.summit import run_stages
from .result import SimulationResult, ending_labels
from .strategies import PartyTables
from .turns import DEADLINE, REASONS, VETO

__all__ = ["PROTOCOLS", "load_source", "negotiators", "simulate"]

__all__ += ["DEFAULT_CHUNK", "MAX_RUNS", "PER_RUN_BUDGET", "PER_RUN_BYTES", "per_run_chunk"]


def negotiators(source: Any, protocol: str = "alternating") -> tuple[str, ...]:
    """The parties that negotiate (and take one strategy each) when ``source`` is played with
    ``protocol``: a domain's parties; a scenario's actors present, or for a staged protocol the
    actors present and seated in a bargaining stage, in order of first seat."""
    from ..scenario.stages import stage_negotiators

    src = source if isinstance(source, (Domain, DomainBatch)) else load_source(source)
    if isinstance(src, DomainBatch):
        src = src.base
    if isinstance(src, Domain):
        return tuple(src.parties)
    if get_protocol(protocol).staged and src.stages:
        return tuple(stage_negotiators(list(src.stages), {a.id: a for a in src.actors}))
    return tuple(a.id for a in src.actors if a.present)


def load_source(source: Any) -> Any:
    """A Domain or Scenario from a Domain, a Scenario, a built-in name, a scenario file or a
    GENIUS folder."""
    if isinstance(source, Domain):
        return source
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        # before the scenario schema is imported: a GENIUS domain never needs it (0.07 s)
        from ..negotiation.genius import load_genius_folder

        return load_genius_folder(source)
    from ..io import load_scenario
    from ..scenario.schema import Scenario

    return source if isinstance(source, Scenario) else load_scenario(source)


def _per_run_sizes(src: Any, arrays: Any, credibility: Any, runs: int | None) -> tuple[Any, int]:
    """The per-run arrays and the number of runs they hold (checked against ``runs``)."""
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
    if B.check_int("runs", runs, 1, MAX_RUNS) != n_per:
        raise ScenarioError(f"{runs} runs but {n_per} per-run scenarios; give one scenario per run",
                            field="runs")
    return arrays, runs


def simulate(
    source: Any,
    *,
    runs: int | None = None,
    protocol: str = "alternating",
    strategies: Any = "mix",
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
    fast: bool = True,
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
    protocol : str
        A registered protocol (:data:`detente.simulate.protocols.PROTOCOLS`): ``alternating``
        (stacked alternating offers, NegMAS SAO semantics), ``single_text`` (the mediated
        single text) or ``summit`` (the scenario's ``stages``, any shape).
    strategies : "mix", sequence or list of sequences
        ``"mix"`` (default, as on every surface): every ordered pair of the five NegMAS
        reference strategies with two negotiators, each of the five for everyone with any
        other number. Or one strategy per negotiating party (name or instance; in a summit,
        per negotiator in order of first seat), or one for all; a list of such tuples mixes
        combinations in one batch (run i plays combination i mod len).
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
    fast : bool
        True (default): per-run tables with time-dependent and tit-for-tat strategies take the
        merged fast paths (numpy or the compiled kernel, same results bit for bit); False plays
        every strategy object on the general path (what the fast paths are tested against).

    Returns
    -------
    SimulationResult

    Raises
    ------
    ScenarioError
        Unknown protocol or strategy, runs/steps <= 0, a summit without a scenario.
    """
    resolve(backend, what="simulate: backend")
    steps = B.check_int("steps", steps, 1, 1_000_000)
    if chunk_size is not None:
        chunk_size = B.check_int("chunk_size", chunk_size, 1)
    spec = get_protocol(protocol)
    _check_options(discounting, audience_cost, walk_patience, time_limit, step_time)
    clock = {"time_limit": time_limit, "step_time": step_time}
    src = source if isinstance(source, DomainBatch) else load_source(source)
    per_run = isinstance(src, DomainBatch) or arrays is not None or credibility is not None
    if per_run:
        arrays, runs = _per_run_sizes(src, arrays, credibility, runs)
    runs = B.check_int("runs", 1000 if runs is None else runs, 1, MAX_RUNS)
    if resolve(backend, what="simulate: backend", n_runs=runs) == "numpy":
        backend = "numpy"  # "auto" compiles a cold kernel only for a batch worth it (detente.backends)
    ss = as_seed_sequence(seed)
    entropy = seed_entropy(ss)
    walk = spec.walk_away if walk_away is None else bool(walk_away)
    if per_run:
        return _run_per_run(src, arrays, credibility, runs, protocol, strategies, steps, ss, entropy, traces,
                            chunk_size, levels, walk, walk_patience, audience_cost, discounting, progress, clock,
                            backend=backend, fast=fast)
    chunk_size = DEFAULT_CHUNK if chunk_size is None else chunk_size
    if isinstance(src, Domain):
        if spec.staged:
            raise ScenarioError(f"the {protocol} protocol needs a scenario with stages, not a GENIUS domain",
                                field="protocol")
        return _run_domain(src, None, runs, protocol, strategies, steps, ss, entropy, traces, chunk_size,
                           walk, walk_patience, discounting, progress, dedup, clock, backend=backend, fast=fast)
    scenario = src
    if spec.staged:
        return run_stages(scenario, runs, strategies, steps, ss, entropy, traces, chunk_size, levels,
                          walk, walk_patience, audience_cost, progress, dedup, clock, backend=backend, fast=fast)
    dom = scenario_domain(scenario, levels=levels)
    return _run_domain(dom, scenario, runs, protocol, strategies, steps, ss, entropy, traces, chunk_size,
                       walk, walk_patience, discounting, progress, dedup, clock, backend=backend, fast=fast)


def _check_options(discounting: str, audience_cost: float, walk_patience: float, time_limit: float | None,
                   step_time: float) -> None:
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


def _chunk_part(out: dict[str, Any], size: int, neg: Sequence[int], vetoers: Sequence[int],
                feasible: Callable[[np.ndarray], np.ndarray], utility: Callable[[np.ndarray], np.ndarray],
                r: np.ndarray, discount: np.ndarray, steps: int, discounting: str) -> dict[str, Any]:
    """One chunk's protocol result ``out`` (``size`` runs among the parties ``neg``) made a part
    of the simulation result: agreements vetoed by ``vetoers`` (``feasible(agreement)``: whether
    each run's outcome is feasible for each party, (n_parties, size)), every party's utility
    (``utility(agreement)``, (n_parties, size); reservation values ``r`` without a deal),
    discounted GENIUS-style if asked, ``walked_out`` (who walked away) as a party index of the
    domain and ``veto_mask`` (bit v: vetoer v blocked the agreement)."""
    ag = out["agreement"]
    out["veto_mask"] = np.zeros(size, dtype=np.int64)
    if vetoers:
        ok = ag >= 0
        blocked = ~feasible(ag)[vetoers]  # (n_vetoers, size): outside the vetoer's red lines
        vet = ok & blocked.any(axis=0)
        bits = (blocked.astype(np.int64) << np.arange(len(vetoers))[:, None]).sum(axis=0)
        out["veto_mask"] = np.where(vet, bits, 0)
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
    out["walked_out"] = np.where(eb >= 0, np.asarray(neg)[np.maximum(eb, 0)], -1)
    return {k: v for k, v in out.items() if k != "last_offer"}


def _domain_result(dom: Domain, protocol: str, combos: list[tuple[Any, ...]], runs: int,
                   parts: list[dict[str, Any]], vetoers: Sequence[int], entropy: Any,
                   params: dict[str, Any]) -> SimulationResult:
    """The result of ``runs`` negotiations over ``dom``'s outcome space from the chunks' parts
    (:func:`_chunk_part`); run i played strategy combination i mod len(combos)."""
    res = B.concat(parts)
    if get_protocol(protocol).strategies:
        labels = np.array(["/".join(B.label(s) for s in c) for c in combos], dtype=object)
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
        agreement_values=B.values(dom, res["agreement"]),
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
        walked_out=res["walked_out"],
        ended_by=ending_labels(res["reason"], res["walked_out"], res["veto_mask"], dom.parties, vetoers),
    )


def _run_domain(dom, scenario, runs, protocol, strategies, steps, ss, entropy, traces, chunk_size,
                walk_away, walk_patience, discounting, progress, dedup, clock, *, backend="auto",
                fast=True) -> SimulationResult:
    """Every run over one shared domain ``dom`` (a GENIUS domain, or a scenario's)."""
    U = dom.utilities()
    spec = get_protocol(protocol)
    if scenario is not None:
        neg = [k for k, a in enumerate(scenario.actors) if a.present]
        vetoers = [k for k, a in enumerate(scenario.actors) if (not a.present) and a.veto]
    else:
        neg = list(range(dom.n_parties))
        vetoers = []
    if len(neg) < 2:
        raise ScenarioError(f"a negotiation needs at least two parties at the table (got {[dom.parties[k] for k in neg]})", field="actors")
    combos = B.combos(strategies, len(neg)) if spec.strategies else []
    use_dedup = dedup and bool(combos) and all(getattr(x, "deterministic", False) for c in combos for x in c)
    feas = dom.feasible() if vetoers else None

    def feasible(ag: np.ndarray) -> np.ndarray:
        assert feas is not None
        return feas[:, np.maximum(ag, 0)]

    parts = []
    done = 0
    for start, size, rng in chunk_generators(ss, runs, chunk_size):
        r = np.broadcast_to(dom.reservation, (size, dom.n_parties)).copy()
        tabs = B.tables(U, neg, r, dom.reservation)
        opts = dict(walk_away=walk_away, walk_patience=walk_patience, trace=traces, backend=backend, fast=fast, **clock)
        if use_dedup and size > len(combos):
            # identical deterministic runs: one per strategy combination, copied out
            # row i plays combo (start + i) mod C, the same as row i mod C
            rep = np.arange(len(combos))
            inv = np.arange(size) % len(combos)
            sub = [t.slice(rep) for t in tabs]
            groups = [B.groups(combos, start + rep, p) for p in range(len(neg))]
            out = play(protocol, Table(partial(list, sub), groups, dom.cardinalities, steps, **opts), rng)
            out = {k: (None if v is None else (v[:, inv] if k == "last_offer" else v[inv])) for k, v in out.items()}
        else:
            ids = np.arange(start, start + size)
            groups = [B.groups(combos, ids, p) for p in range(len(neg))] if combos else []
            out = play(protocol, Table(partial(list, tabs), groups, dom.cardinalities, steps, **opts), rng)
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
                 clock, *, backend="auto", fast=True) -> SimulationResult:
    """Every run with its own scenario draw (or its own row of a DomainBatch).

    The tables of a chunk are built for that chunk's runs only (vectorised over them), so
    memory is bounded by ``chunk_size`` whatever the number of runs.
    """
    from ..negotiation.batch import take_runs

    spec = get_protocol(protocol)
    if spec.staged:
        if isinstance(src, DomainBatch):
            raise ScenarioError(f"the {protocol} protocol needs a scenario with stages, not a DomainBatch",
                                field="protocol")
        return run_stages(src, runs, strategies, steps, ss, entropy, traces, chunk_size, levels, walk_away,
                          walk_patience, audience_cost, progress, False, clock, per_run=(arrays, credibility),
                          backend=backend, fast=fast)
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
    combos = B.combos(strategies, len(neg)) if spec.strategies else []
    if chunk_size is None:
        chunk_size = per_run_chunk(base.n_outcomes, len(neg))
    walk = walk_away
    parts = []
    done = 0
    merge = kernel_plays_combos(combos, backend, fast=fast)
    for grp in merge_chunks(chunk_generators(ss, runs, chunk_size), merge):
        # merged only when the kernel plays every run (no generator is consumed)
        start, size, rng = grp[0][0], sum(c[1] for c in grp), grp[0][2]
        rows = np.arange(start, start + size)
        b = chunk_batch(rows)
        local = np.arange(size)
        r = b.reservation.copy()
        groups = [B.groups(combos, rows, p) for p in range(len(neg))] if combos else []

        def tables(b: DomainBatch = b, local: np.ndarray = local, r: np.ndarray = r) -> list[PartyTables]:
            U = b.utilities(local, parties=neg)  # (n_neg, size, n_outcomes)
            return [PartyTables(U[j], r[:, a], U[(j + 1) % len(neg)], b.reservation[:, a], r[:, neg[(j + 1) % len(neg)]])
                    for j, a in enumerate(neg)]

        source = BatchSource(b, local, tuple(neg), r[:, neg], b.reservation[:, neg])
        out = play(protocol, Table(tables, groups, base.cardinalities, steps, walk_away=walk, walk_patience=walk_patience,
                                   trace=traces, backend=backend, fast=fast, source=source, **clock), rng)
        parts.append(_chunk_part(out, size, neg, vetoers, partial(b.feasible_of, local),
                                 partial(b.utility_of, local), r, base.discount, steps, discounting))
        done += size
        if progress is not None:
            progress(done, runs)
    return _domain_result(base, protocol, combos, runs, parts, vetoers, entropy, {
        "steps": steps, "runs": runs, "chunk_size": chunk_size, "walk_away": walk,
        "discounting": discounting, **clock, "negotiators": tuple(base.parties[k] for k in neg),
        "per_run": True})
