"""The staged summit: a scenario's ``stages`` in order, any shape.

Each bargaining stage is a stacked alternating-offers negotiation (:mod:`.alternating`) among
the actors it seats who are present, with the stage's delegation members in the room (its own
domain). Stages may seat different actors: a bilateral and then a plenary, a mediator
shuttling between the parties, a leaders' session after the ministers', with any number of
parties in a stage. The rules (docs/simulation.md, "The staged summit"):

- **Negotiators** are the actors present and seated in some bargaining stage, in order of
  first seat; strategies are given per negotiator (one for all, or one each), so an actor plays
  the same strategy in every stage it sits in.
- A deal at a stage is **final** (it ends the summit, unless an absent veto holder vetoes it:
  reason ``veto``) or **provisional**: the stage's ``final`` when given, else provisional
  exactly when a later bargaining stage seats every actor of this one and more (a bilateral
  before a plenary; a mediator's proximity talks before the joint session), final otherwise
  (the same actors meeting again; alternative bilaterals, as in coalition talks).
- At a provisional agreement the run goes on, and each party to it commits to it as at a press conference (Fearon 1994): conceding below it
  later costs ``audience_cost`` (lambda) per unit of utility, i.e. its reservation value rises
  to (r + lambda U(p)) / (1 + lambda) when U(p) > r; the provisional agreement becomes its last
  offer. A provisional agreement that no final stage confirms is no deal (reason ``deadline``).
- What carries from stage to stage: every actor's reservation value (threats carried out or
  spent after a walk-away, press-conference and provisional-agreement commitments) and each
  actor's last offer (what a press conference commits it to). Nothing else: strategies start
  afresh at each stage (their clock is the stage's deadline), and no offer stays on the table.
- A walk-away ends the stage (the threats between the walker and the others at the table are
  resolved), a timeout passes to the next stage; in the last bargaining stage both end the
  summit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...errors import ScenarioError
from ...negotiation.batch import same_members, scenario_domains
from ...negotiation.from_scenario import actor_reservations, scenario_domain, threat_shifts
from ...rng import chunk_generators
from ...scenario.stages import stage_is_final, stage_negotiators, stage_problems
from .. import _batch as B
from .. import _fast
from .._fast import kernel_plays_combos, merge_chunks
from ..result import SimulationResult, ending_labels
from ..strategies import PartyTables
from ..turns import AGREEMENT, DEADLINE, REASONS, VETO, WALK_AWAY
from .alternating import play
from .base import BatchSource, ProtocolSpec, Table

__all__ = ["PROTOCOL", "play", "run_stages"]

PROTOCOL = ProtocolSpec(
    name="summit",
    play=play,
    staged=True,
    walk_away=True,
    references=("Putnam (1988)", "Schelling (1960)", "Fearon (1994) doi:10.2307/2944796", "Tsebelis (2002)"),
)


def _stage_error(scenario, stages) -> None:
    actors = {a.id: a for a in scenario.actors}
    problems = list(stage_problems(stages, actors))
    if problems:
        loc, msg = problems[0]
        raise ScenarioError(msg, source=scenario.name, location=loc)


def run_stages(scenario, runs, strategies, steps, ss, entropy, traces, chunk_size, levels,
               walk_away, walk_patience, audience_cost, progress, dedup, clock, per_run=None, *,
               backend="auto", fast=True) -> SimulationResult:
    """The staged summit: the scenario's stages in order (rules in the module docstring).

    Randomness enters only through the strategies and through whether a threat is carried out
    on a walk-away; those draws are made per run up front (chunk k from its own generator), so
    with deterministic strategies runs that share a strategy combination and the same
    carried-out pattern are the same negotiation, simulated once (``dedup``).

    ``per_run = (arrays, credibility)``: every run its own scenario draw; each chunk builds the
    base and stage domains of its runs (:func:`scenario_domains`), never all runs at once.
    When the compiled kernel plays every run, chunks are merged into batches, and the batches
    run on a thread pool (one worker per CPU; each batch draws only from its own chunks'
    generators, so the numbers do not depend on it).
    """
    ids = scenario.actor_ids
    stages = list(scenario.stages)
    notes = []
    if not stages:
        from ...scenario.schema import Stage, StageParticipant

        stages = [Stage(id="talks", participants=[StageParticipant(actor=a.id) for a in scenario.actors if a.present])]
        notes.append("the scenario has no stages: one bargaining stage of the actors present")
    _stage_error(scenario, stages)
    neg_ids = stage_negotiators(stages, {a.id: a for a in scenario.actors})
    neg = [ids.index(a) for a in neg_ids]
    if per_run is None:
        base = scenario_domain(scenario, levels=levels)
        r0 = actor_reservations(scenario, base) + threat_shifts(scenario)
    else:
        base = scenario_domain(scenario, levels=levels, reservation=np.zeros(len(ids)))
        r0 = base.reservation
    bargaining = [k for k, st in enumerate(stages) if st.kind == "bargaining"]
    combos = B.combos(strategies, len(neg))
    plan = []
    by_id = {a.id: a for a in scenario.actors}
    for k, st in enumerate(stages):
        seats = list(dict.fromkeys(ids.index(p.actor) for p in st.participants
                                   if scenario.actors[ids.index(p.actor)].present))
        members: dict[str, Sequence[str]] = {p.actor: list(p.members) for p in st.participants}
        dom = None
        if st.kind == "bargaining" and per_run is None:
            dom = scenario_domain(scenario, levels=levels, members=members, reservation=np.zeros(len(ids)))
        plan.append({"stage": st, "seats": seats, "dom": dom, "members": members,
                     "final": st.kind == "bargaining" and stage_is_final(stages, k, by_id),
                     "who": [neg.index(a) for a in seats if a in neg],
                     "whole": same_members(scenario, members, None)})
    deterministic = all(getattr(x, "deterministic", False) for c in combos for x in c)
    ctx = dict(scenario=scenario, plan=plan, base=base, r0=r0, combos=combos, steps=steps, traces=traces,
               walk_away=walk_away, walk_patience=walk_patience, audience_cost=audience_cost, clock=clock, backend=backend,
               fast=fast, n_bargaining=len(bargaining), last_bargaining=bargaining[-1])
    threats = [(ids.index(t.issuer), ids.index(t.target), t.credibility) for t in scenario.threats]
    cred = np.array([t[2] for t in threats]).reshape(-1, 1)
    if chunk_size is None:
        chunk_size = B.per_run_chunk(base.n_outcomes, len(neg)) if per_run is not None else B.DEFAULT_CHUNK
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
        merge = per_run is not None and deterministic and kernel_plays_combos(combos, backend, fast=fast)

        def batch(grp: list) -> tuple[int, dict[str, Any]]:
            start, size = grp[0][0], sum(c[1] for c in grp)
            d = np.concatenate([g.random((len(threats), sz)) for _, sz, g in grp], axis=1)
            pr = None if per_run is None else _chunk_domains(scenario, plan, per_run, start, size, levels)
            return start + size, _summit_batch(ctx, np.arange(start, start + size), d, grp[0][2], pr)

        batches = merge_chunks(chunks, merge)
        workers = min(len(batches), _fast.kernel_threads()) if merge else 1
        if workers > 1:
            # batches are independent (each draws only from its own chunks' generators): while
            # one builds its domains and moves between stages in Python, another's kernel runs
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers, thread_name_prefix="detente-summit") as pool:
                done = pool.map(batch, batches)
                for end, part in done:
                    parts.append(part)
                    if progress is not None:
                        progress(end, runs)
        else:
            for grp in batches:
                end, part = batch(grp)
                parts.append(part)
                if progress is not None:
                    progress(end, runs)
        res = B.concat(parts)
    if per_run is not None:
        notes.append("per-run scenarios: every run negotiates its own scenario draw")
    labels = np.array(["/".join(B.label(s) for s in c) for c in combos], dtype=object)
    vetoers = [k for k, a in enumerate(scenario.actors) if (not a.present) and a.veto]
    return SimulationResult(
        protocol="summit",
        scenario=scenario.name,
        parties=ids,
        issues=base.issues,
        values=base.values,
        strategies=labels[np.arange(runs) % len(combos)],
        agreement=res["agreement"],
        agreement_values=B.values(base, res["agreement"]),
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
                "stages": tuple(st.id for st in stages), "negotiators": tuple(neg_ids),
                "per_run": per_run is not None},
        seed_entropy=entropy,
        notes=tuple(notes),
        walked_out=res["walked_out"],
        ended_by=ending_labels(res["reason"], res["walked_out"], res["veto_mask"], ids, vetoers),
        provisional=res["provisional"],
    )


def _chunk_domains(scenario, plan, per_run, start: int, size: int, levels: int) -> dict[str, Any]:
    """The base and bargaining-stage domains of the runs start..start+size (per-run scenarios)."""
    from ...negotiation.batch import take_runs

    arrays, cred = take_runs(per_run[0], np.arange(start, start + size), per_run[1])
    base = scenario_domains(scenario, arrays, levels=levels, credibility=cred)
    zero = np.zeros((size, len(scenario.actors)))
    # a stage that seats whole delegations has the base's value tables (built once)
    stages = {k: dataclasses.replace(base, reservation=zero) if p["whole"] else
              scenario_domains(scenario, arrays, levels=levels, members=p["members"], reservation=zero)
              for k, p in enumerate(plan) if p["stage"].kind == "bargaining"}
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
    walked_out = np.full(size, -1, dtype=np.int64)
    ended = np.zeros(size, dtype=bool)
    agreement = np.full(size, -1, dtype=np.int64)
    provisional = np.full(size, -1, dtype=np.int64)
    reason = np.full(size, DEADLINE, dtype=np.int64)
    step = np.full(size, -1, dtype=np.int64)
    stage_end = np.full(size, "", dtype=object)
    n_offers = np.zeros(size, dtype=np.int64)
    last_prop = np.full(size, -1, dtype=np.int64)
    pending = np.ones((len(threats), size), dtype=bool)
    last_offer = np.full((len(ids), size), -1, dtype=np.int64)
    vetoed = np.full(size, -1, dtype=np.int64)
    veto_mask = np.zeros(size, dtype=np.int64)
    offers = np.full((size, steps * ctx["n_bargaining"], len(ids)), -1, dtype=np.int32) if traces else None
    b_index = 0
    for k, p in enumerate(ctx["plan"]):
        st, present = p["stage"], p["seats"]
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
        groups = [B.groups(combos, run_ids[rows], j) for j in p["who"]]
        table = Table(_stage_tables(p["dom"], pr, k, rows, present, r, r0), groups, base.cardinalities, n_steps,
                      walk_away=ctx["walk_away"], walk_patience=ctx["walk_patience"], trace=traces,
                      backend=ctx["backend"], fast=ctx["fast"],
                      source=None if pr is None else BatchSource(pr["stages"][k], rows, tuple(present),
                                                                 r[rows][:, present], pr["r0"][rows][:, present]),
                      **ctx["clock"])
        out = PROTOCOL.play(table, rng)
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
        if p["final"]:
            if vetoers:
                blocked = ~f_of(rows, ag)[vetoers]  # (n_vetoers, n_rows): outside its red lines
                vet = ok & blocked.any(axis=0)
                bits = (blocked.astype(np.int64) << np.arange(len(vetoers))[:, None]).sum(axis=0)
                veto_mask[rows[vet]] = bits[vet]
            else:
                vet = np.zeros(rows.size, dtype=bool)
            deal = ok & ~vet
            agreement[rows[deal]] = ag[deal]
            vetoed[rows[vet]] = ag[vet]
            reason[rows[ok]] = np.where(vet[ok], VETO, AGREEMENT)
            step[rows[ok]] = out["step"][ok]
            last_prop[rows[deal]] = np.asarray(present)[out["last_proposer"][deal]]
            ended[rows[ok]] = True
        elif ok.any():
            # provisional agreement among some negotiators: its parties commit to it (conceding
            # below it later costs lambda per unit of utility, as after a press conference), it
            # becomes their last offer, and the run goes on
            pa = rows[ok]
            u = u_of(pa, ag[ok])
            lam = ctx["audience_cost"]
            for a in present:
                rr = r[pa, a]
                r[pa, a] = np.where(u[a] > rr, (rr + lam * u[a]) / (1 + lam), rr)
                last_offer[a, pa] = ag[ok]
            provisional[pa] = ag[ok]
            reason[pa] = DEADLINE
            step[pa] = -1
        stage_end[rows] = st.id
        walked = out["reason"] == WALK_AWAY
        if walked.any():
            wr = rows[walked]
            walker = np.asarray(present)[out["ended_by"][walked]]
            walked_out[wr] = walker
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
            "vetoed": vetoed, "walked_out": np.where(reason == WALK_AWAY, walked_out, -1),
            "veto_mask": np.where(reason == VETO, veto_mask, 0), "provisional": provisional}


def _stage_tables(dom, pr, k: int, rows: np.ndarray, present: list[int], r: np.ndarray, r0: np.ndarray):
    """A callable building the seated parties' tables of bargaining stage ``k`` for ``rows``
    (shared stage domain ``dom``, or the chunk's per-run stage domains ``pr``)."""
    def build() -> list[PartyTables]:
        if pr is None:
            return B.tables(dom.utilities(), present, r[rows], r0)
        U = pr["stages"][k].utilities(rows, parties=present)
        rr, n_pr = r[rows], len(present)
        return [PartyTables(U[j], rr[:, a], U[(j + 1) % n_pr], pr["r0"][rows, a], rr[:, present[(j + 1) % n_pr]])
                for j, a in enumerate(present)]

    return build
