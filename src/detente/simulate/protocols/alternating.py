"""Stacked alternating offers (SAOP) with NegMAS 0.16 ``SAOMechanism`` semantics.

Aydogan et al. 2017; Rubinstein 1982 for two parties: parties act in a fixed cyclic order;
party 0 opens; each next party accepts the offer on the table or rejects it and counter-offers;
an offer is agreed once every other party has accepted it in sequence (offering counts as
accepting). One mechanism step lets every party act once; the normalised time during step s of
N is t = (s + 1) / (N + 1); a run that has no agreement after N steps times out. Optional
walk-away (see :func:`alternating_offers`).

References
----------
Aydogan, R., Festen, D., Hindriks, K. V. & Jonker, C. M. (2017). Alternating offers protocols
for multilateral negotiation. In Modern Approaches to Agent-based Complex Automated
Negotiation, Springer, 153-167. doi:10.1007/978-3-319-51563-2_10.
Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. Econometrica 50(1), 97-109.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._fast import alternating_offers_rows, eligible, kernel_plays, play_batch
from ..strategies import PartyTables
from ..turns import Group, Turns, step_times
from .base import ProtocolSpec, Table

__all__ = ["PROTOCOL", "alternating_offers", "play"]


def alternating_offers(
    tabs: list[PartyTables],
    groups: list[list[Group]],
    n_steps: int,
    rng: np.random.Generator,
    *,
    walk_away: bool = False,
    walk_patience: float = 0.5,
    trace: bool = False,
    time_limit: float | None = None,
    step_time: float = 1.0,
    backend: str = "auto",
    fast: bool = True,
) -> dict[str, Any]:
    """Run a batch of stacked alternating-offers negotiations.

    Parameters
    ----------
    tabs : list of PartyTables, one per party (in acting order)
        Each with reservation values per run, shape (n_runs,).
    groups : list (per party) of list of Group
        Which strategy the party plays in which runs (a partition of the runs).
    n_steps : int
        Deadline in mechanism steps (> 0).
    rng : Generator
        For stochastic strategies.
    walk_away : bool
        If True, a party about to respond ends the negotiation when its expected utility of
        going on falls below its reservation value: it extrapolates the utilities of the offers
        it has received linearly in time to the deadline, E = u_last + max(0, slope) (1 - t);
        it walks when E < r, once t >= ``walk_patience`` and it has seen two offers. Whatever
        this option, a party whose best outcome is worth less than its reservation value ends
        the negotiation at its first turn (reason ``walk_away``).
    trace : bool
        Keep every offer: ``offers`` (n_runs, n_steps, n_parties), -1 where none was made.
    time_limit, step_time : float, optional
        A deadline in (simulated) time as well: every step takes ``step_time``; a step starts
        only while the elapsed time s * step_time is below ``time_limit``, and the normalised
        time is the larger of the step-based and the time-based one, capped at 1 (NegMAS's
        rule, with a deterministic clock).
    backend : {"auto", "numba", "numpy"}
        Engine of the fast path for per-run tables (:mod:`._fast`): the compiled kernel or
        numpy (:mod:`detente.backends`; same results).
    fast : bool
        Per-run tables with time-dependent / tit-for-tat strategies take the merged fast path
        (:mod:`.._fast`, identical results); False plays the strategy objects group by group
        (the general path the fast ones are tested against).

    Returns
    -------
    dict of arrays (n_runs,)
        ``agreement`` (outcome id or -1), ``reason`` (code, see REASONS), ``step`` (0-based
        step of agreement / walk-away, -1 on timeout), ``n_offers``, ``last_proposer``,
        ``ended_by`` (party who walked away, -1 otherwise), ``last_offer`` (n_parties, n_runs)
        each party's last offer (-1 if none), and ``offers`` if traced.
    """
    if fast and eligible(tabs, groups):
        return alternating_offers_rows(tabs, groups, n_steps, walk_away=walk_away, walk_patience=walk_patience,
                                       trace=trace, time_limit=time_limit, step_time=step_time, backend=backend)
    n_p = len(tabs)
    n = tabs[0].reservation.shape[0]
    book = Turns.new(tabs, n_steps, walk_away=walk_away, trace=trace)
    # a group covering every run is called on the full arrays (no gathers)
    full = [[g.rows.size == n for g in groups[p]] for p in range(n_p)]
    subtabs = [[tabs[p] if f else tabs[p].slice(g.rows) for g, f in zip(groups[p], full[p], strict=False)] for p in range(n_p)]
    mems = [[g.strategy.init(st, g.rows.size) for g, st in zip(groups[p], subtabs[p], strict=False)] for p in range(n_p)]
    for s, t_s in enumerate(step_times(n_steps, time_limit, step_time)):
        if book.done.all():
            break
        for p in range(n_p):
            cur = book.cur
            offer_u = tabs[p].at(np.maximum(cur, 0))
            active, has = book.exits(p, s, t_s, offer_u, walk_patience)
            accept = np.zeros(n, dtype=bool)
            if has.any():
                for k, g in enumerate(groups[p]):
                    if full[p][k]:
                        acc, mems[p][k] = g.strategy.respond(subtabs[p][k], mems[p][k], offer_u, t_s, s, has, rng)
                        accept |= acc & has
                        continue
                    r = g.rows
                    m = has[r]
                    if not m.any():
                        continue
                    acc, mems[p][k] = g.strategy.respond(subtabs[p][k], mems[p][k], offer_u[r], t_s, s, m, rng)
                    accept[r] = acc & m
            book.accepted(accept, s)
            prop = active & ~accept
            if prop.any():
                partner_u = np.where(cur >= 0, offer_u, np.nan)
                new = cur.copy()
                for k, g in enumerate(groups[p]):
                    if full[p][k]:
                        out, mems[p][k] = g.strategy.propose(subtabs[p][k], mems[p][k], partner_u, t_s, s, prop, rng)
                        new = np.where(prop, out, new)
                        continue
                    r = g.rows
                    m = prop[r]
                    if not m.any():
                        continue
                    out, mems[p][k] = g.strategy.propose(subtabs[p][k], mems[p][k], partner_u[r], t_s, s, m, rng)
                    new[r] = np.where(m, out, new[r])
                book.proposed(p, s, prop, new)
    return book.result()


def play(table: Table, rng: np.random.Generator) -> dict[str, Any]:
    """One batch of stacked alternating-offers negotiations at ``table`` (the protocol
    signature): the compiled kernel on per-run value tables when it plays every strategy, else
    :func:`alternating_offers` on the tables."""
    src = table.source
    if src is not None and kernel_plays(table.groups, table.backend, fast=table.fast):
        # compiled kernel: each run's tables built in cache, never the chunk's (same result)
        return play_batch(src.batch, src.rows, src.parties, src.reservation, src.nominal, table.groups,
                          table.n_steps, walk_away=table.walk_away, walk_patience=table.walk_patience,
                          trace=table.trace, time_limit=table.time_limit, step_time=table.step_time)
    return alternating_offers(table.tables(), table.groups, table.n_steps, rng, walk_away=table.walk_away,
                              walk_patience=table.walk_patience, trace=table.trace, backend=table.backend,
                              fast=table.fast, time_limit=table.time_limit, step_time=table.step_time)


PROTOCOL = ProtocolSpec(
    name="alternating",
    play=play,
    references=("Rubinstein (1982)", "Aydogan et al. (2017) doi:10.1007/978-3-319-51563-2_10"),
)
