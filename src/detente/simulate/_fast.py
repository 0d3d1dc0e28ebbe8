"""Stacked alternating offers on per-run tables, all strategies of a party in one pass.

:func:`detente.simulate.protocols.alternating.alternating_offers` calls strategy objects group by group,
each on its own copy of its runs' tables. With per-run scenarios (one utility table per run)
that costs a copy and a sort per group and a dozen numpy calls per group, party and step on
groups of a few dozen runs. This module plays the same negotiations with the strategies that
the NegMAS reference pairs use (:class:`~.strategies.TimeDependent` in all its forms and
:class:`~.strategies.NaiveTitForTat`) merged per party:

- **one sorted table per run and party**, the one its strategy uses (rational outcomes for
  the time-dependent strategies, all outcomes for aspiration and tit-for-tat), built by one
  batched ``argsort`` (rows with ties re-sorted at their own length, exactly as
  :meth:`PartyTables.sorted_rational` does) and stored as complex search keys
  ``row + 1j * u`` (the utilities are their imaginary part) and int32 outcome ids;
- **time-dependent offers in blocks of steps**: within one negotiation a time-dependent
  party's offer and acceptance band depend on the step only (never on the opponent), so they
  are computed for :data:`BLOCK` steps at once for every run still going, with one search;
- tit-for-tat rows step by step, only the runs in which the call happens.

Every number is computed by the same floating-point operations as the strategy methods in
:mod:`.strategies`, so the results are bit for bit those of the general path (tested).

When the ``backend`` (``"auto"``, ``"numba"`` or ``"numpy"``, resolved by
:mod:`detente.backends`) resolves to numba (the ``fast`` extra), the same negotiations go to the
compiled kernel (:mod:`._kernel`): :func:`play_batch` hands it a DomainBatch's value tables so that each
run's tables are built in cache, never for the whole chunk, and :func:`alternating_offers_rows`
does the same with ready tables. Runs the kernel gives back (ties in a ranking) are played
here, on the numpy path. The engine merges consecutive chunks into kernel batches of
:data:`KERNEL_BATCH` runs when the kernel plays every run (:func:`kernel_plays_combos`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..backends import kernel
from .strategies.tables import _INV_EPS, PartyTables, _sort_rows
from .strategies.time_dependent import TimeDependent, _aspiration
from .strategies.tit_for_tat import NaiveTitForTat, _tft_concession, _tft_xnorm
from .turns import DEADLINE, Group, Turns, step_times

__all__ = ["BLOCK", "KERNEL_BATCH", "RowTables", "alternating_offers_rows", "compiled", "eligible",
           "kernel_plays", "kernel_plays_combos", "kernel_threads", "merge_chunks", "play_batch"]

_KERNEL = "detente.simulate._kernel"


def compiled(backend: str) -> bool:
    """Whether ``backend`` ("auto", "numba" or "numpy") plays on the compiled kernel.

    Raises
    ------
    ModelParameterError
        For an unknown backend name.
    MissingExtraError
        For ``"numba"`` without (a working) numba.
    """
    return kernel(backend, _KERNEL, what="simulate: backend") is not None


#: Runs per kernel call when consecutive chunks can be merged (deterministic strategies all
#: played by the kernel: the merged batch gives the same numbers, with less overhead per run).
KERNEL_BATCH = 8192


def merge_chunks(chunks: list[tuple[int, int, Any]], merge: bool) -> list[list[tuple[int, int, Any]]]:
    """Consecutive chunks grouped into batches of about :data:`KERNEL_BATCH` runs (or one per
    group when ``merge`` is False)."""
    if not merge:
        return [[c] for c in chunks]
    out: list[list[tuple[int, int, Any]]] = []
    for c in chunks:
        if out and sum(x[1] for x in out[-1]) + c[1] <= max(KERNEL_BATCH, out[-1][0][1]):
            out[-1].append(c)
        else:
            out.append([c])
    return out


#: Steps of time-dependent offers computed at once (a run that ends inside a block wastes at
#: most BLOCK - 1 steps of offers, a few numbers per run).
BLOCK = 10


def eligible(tabs: list[PartyTables], groups: list[list[Any]]) -> bool:
    """Whether the fast path plays this batch: per-run tables, and every party's strategies
    time-dependent or (one parametrisation of) naive tit-for-tat."""
    return bool(tabs) and all(t.batched for t in tabs) and _eligible_groups(groups)


def _eligible_groups(groups: list[list[Any]]) -> bool:
    for gs in groups:
        tft = set()
        for g in gs:
            st = g.strategy
            if type(st) is NaiveTitForTat:
                tft.add((st.kindness, st.kindness_start_step, st.start_calls))
            elif type(st) is not TimeDependent:
                return False
        if len(tft) > 1:
            return False
    return True


class RowTables:
    """One party's per-run tables, each row sorted as its own strategy sorts it.

    Parameters
    ----------
    tab : PartyTables
        Batched tables (n_runs, n_outcomes).
    rational : (n_runs,) bool
        Rows whose strategy offers only outcomes at or above the nominal reservation value
        (time-dependent ``rational_only``); the other rows sort all outcomes.
    """

    __slots__ = ("u", "r", "m", "umin", "umax", "best", "K", "s", "o", "cnt", "irr_max", "irr_id")

    def __init__(self, tab: PartyTables, rational: np.ndarray) -> None:
        u = tab.u
        n, m = u.shape
        self.u, self.r, self.m = u, tab.reservation, m
        self.umin, self.umax, self.best = tab.umin, tab.umax, tab.best
        nom = np.broadcast_to(np.asarray(tab.nominal_reservation, dtype=float), (n,))
        mask = u >= nom[:, None]
        mask[~rational] = True
        cnt = mask.sum(axis=1)
        # as PartyTables.sorted_rational: a row with ties among its rational outcomes is sorted
        # again at its own length (numpy's tie order for that run alone); a row whose outcomes
        # are all valid was already sorted at its own length
        s, o, self.irr_max, self.irr_id = _sort_rows(u, mask, cnt, full_sorted=True)
        del mask
        self.o = o.astype(np.int32)
        del o
        K = np.empty((n, m), dtype=np.complex128)
        K.real = np.arange(n, dtype=float)[:, None]
        K.imag = s
        del s
        self.K = K.reshape(-1)
        self.s = K.imag  # a view: the sorted utilities, +inf after each row's valid entries
        self.cnt = cnt

    def search(self, rows: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Row-wise ``searchsorted(s[row], v, side="left")``; v (k,) or (k, B) for rows (k,)."""
        rr = rows if v.ndim == 1 else rows[:, None]
        q = np.empty(v.shape, dtype=np.complex128)
        q.real = rr
        q.imag = v
        return np.searchsorted(self.K, q.reshape(-1), side="left").reshape(v.shape) - rr * self.m

    def worst(self, rows: np.ndarray, mn: np.ndarray, mx: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """:func:`~.strategies.worst_in_rows` for some rows (k,) and levels (k,) or (k, B)."""
        two = mn.ndim == 2
        R = rows[:, None] if two else rows
        fl = floor[:, None] if two else floor
        nv = self.cnt[R]
        L = np.maximum(nv - 1, 0)
        i = np.minimum(np.minimum(self.search(rows, mn), nv), L)
        si = self.s[R, i]
        dist = np.abs(si - mn)
        j = np.maximum(i - 1, 0)
        sj = self.s[R, j]
        take = (i >= 1) & (si >= mn) & (sj >= mn - _INV_EPS) & (sj <= mx + 2 * _INV_EPS) & ((mn - sj) < dist) & (sj >= fl)
        pos = np.where(take, self.search(rows, sj), i) if take.any() else i
        out = self.o[R, pos].astype(np.int64)
        im = self.irr_max[R]
        bd = np.where(take, mn - sj, dist)
        take_irr = (im >= mn - _INV_EPS) & ((mn - im) < bd) & ~((i == 0) & (si < mn)) & (im >= fl)
        return np.where(take_irr, self.irr_id[R], out)


class _Party:
    """One party's strategies merged: time-dependent rows (band and offers per block of steps)
    and tit-for-tat rows (step by step)."""

    def __init__(self, tab: PartyTables, groups: list[Any], n: int, ts: list[float]) -> None:
        self.n = n
        exps: list[float] = []
        eidx = np.zeros(n, dtype=np.int64)
        eps = np.zeros(n)
        rational = np.zeros(n, dtype=bool)
        is_td = np.zeros(n, dtype=bool)
        self.tft: NaiveTitForTat | None = None
        for g in groups:
            st = g.strategy
            if type(st) is TimeDependent:
                if st.exponent not in exps:
                    exps.append(st.exponent)
                eidx[g.rows] = exps.index(st.exponent)
                eps[g.rows] = st.eps
                rational[g.rows] = st.rational_only
                is_td[g.rows] = True
            else:
                self.tft = st
        self.td = np.flatnonzero(is_td)
        self.tf = np.flatnonzero(~is_td)
        self.eidx, self.eps = eidx, eps
        # a(t) per exponent and step: the same scalar call as TimeDependent._band makes
        self.A = np.array([[_aspiration(t, e) for t in ts] for e in exps]).reshape(len(exps), len(ts))
        self.T = RowTables(tab, rational)
        self.calls = np.full(n, 0 if self.tft is None else self.tft.start_calls, dtype=np.int64)
        self.lo = np.full((n, BLOCK), np.inf)
        self.hi = np.full((n, BLOCK), -np.inf)
        self.off = np.full((n, BLOCK), -1, dtype=np.int64)

    # ------------------------------------------------------------------ time-dependent rows
    def block(self, done: np.ndarray, s0: int, width: int) -> None:
        """Bands and offers of the time-dependent rows still going, steps s0 .. s0 + width - 1."""
        R = self.td[~done[self.td]]
        if R.size == 0:
            return
        T = self.T
        a = self.A[self.eidx[R], s0:s0 + width]
        M = T.umax[R][:, None]
        m = np.maximum(T.umin, T.r)[R][:, None]
        lo = (M - m) * a + m
        hi = (M - m) * 1.0 + m
        e = self.eps[R][:, None]
        lo = lo - e
        hi = hi + e
        lo = np.maximum(m, np.minimum(M, lo))
        hi = np.maximum(m, np.minimum(M, np.broadcast_to(hi, lo.shape)))
        out = T.worst(R, lo, hi, T.r[R])
        out = np.where(T.cnt[R][:, None] > 0, out, T.best[R][:, None])
        self.lo[R, :width] = lo
        self.hi[R, :width] = hi
        self.off[R, :width] = out

    # ------------------------------------------------------------------ tit-for-tat rows
    def _xnorm(self, R: np.ndarray, u: np.ndarray) -> np.ndarray:
        T = self.T
        return _tft_xnorm(u, T.r[R], T.umin[R], T.umax[R])

    def _concession(self, R: np.ndarray, pc: np.ndarray, step: int) -> np.ndarray:
        T, tft = self.T, self.tft
        assert tft is not None
        L = T.m - 1
        conc = np.where(pc < 0, 0.0, pc)
        k = self.calls[R]
        ia, ib = L - 2 * k, L - 2 * k - 1
        r = T.r[R]
        ua = np.where(ia >= 0, T.s[R, np.clip(ia, 0, L)], r)
        ub = np.where(ib >= 0, T.s[R, np.clip(ib, 0, L)], r)
        mc, counted = _tft_concession(tft, conc, ua, ub, T.s[R, L] - T.s[R, 0], step)
        if counted:
            self.calls[R] = k + 1
        return mc

    def tft_respond(self, R: np.ndarray, offer_u: np.ndarray, step: int) -> np.ndarray:
        x = self._xnorm(R, offer_u)
        pc = 1.0 - (x * -1 + 1.0)
        mc = self._concession(R, pc, step)
        return (x >= 1.0 - mc) & (offer_u >= self.T.r[R])

    def tft_propose(self, R: np.ndarray, partner_u: np.ndarray, step: int) -> np.ndarray:
        T = self.T
        none = np.isnan(partner_u)
        x = self._xnorm(R, np.where(none, 0.0, partner_u))
        partner = np.where(none, 1.0, x * -1 + 1.0)
        pc = 1.0 - partner
        mc = self._concession(R, pc, step)
        target = 1.0 - mc
        s0 = T.s[R, 0]
        d = T.s[R, T.m - 1] - s0
        flat = d < _INV_EPS
        lo = np.where(flat, 0.0, target * d + s0)
        hi = np.where(flat, 0.0, 1.0 * d + s0)
        r = T.r[R]
        lo = np.maximum(lo, r)
        return T.worst(R, lo, hi, r)


def alternating_offers_rows(
    tabs: list[PartyTables],
    groups: list[list[Any]],
    n_steps: int,
    *,
    walk_away: bool = False,
    walk_patience: float = 0.5,
    trace: bool = False,
    time_limit: float | None = None,
    step_time: float = 1.0,
    backend: str = "auto",
) -> dict[str, Any]:
    """:func:`~.protocols.alternating_offers` for per-run tables and :func:`eligible` strategies
    (same arguments without the generator, which these strategies never use; same result).

    ``backend``: ``"numba"`` plays the runs with the compiled kernel (:mod:`._kernel`), runs
    with ties in their rankings on the numpy path; ``"numpy"`` the numpy path only; ``"auto"``
    (default) the kernel when numba is installed. Same results either way.
    """
    n_p = len(tabs)
    n = tabs[0].reservation.shape[0]
    ts = step_times(n_steps, time_limit, step_time)
    if compiled(backend):
        return _play_compiled(tabs, groups, n_steps, ts, walk_away, walk_patience, trace, time_limit, step_time)
    parties = [_Party(tabs[p], groups[p], n, ts) for p in range(n_p)]
    book = Turns.new(tabs, n_steps, walk_away=walk_away, trace=trace)
    rows_n = np.arange(n)
    for s, t_s in enumerate(ts):
        if book.done.all():
            break
        c = s % BLOCK
        if c == 0:
            for P in parties:
                P.block(book.done, s, min(BLOCK, len(ts) - s))
        for p in range(n_p):
            P = parties[p]
            cur = book.cur
            offer_u = P.T.u[rows_n, np.maximum(cur, 0)]
            active, has = book.exits(p, s, t_s, offer_u, walk_patience)
            if has.any():
                accept = has & (offer_u >= P.lo[:, c]) & (offer_u <= P.hi[:, c])
                if P.tf.size:
                    R = P.tf[has[P.tf]]
                    if R.size:
                        accept[R] = P.tft_respond(R, offer_u[R], s)
            else:
                accept = np.zeros(n, dtype=bool)
            book.accepted(accept, s)
            prop = active & ~accept
            if prop.any():
                new = np.where(prop, P.off[:, c], cur)
                if P.tf.size:
                    R = P.tf[prop[P.tf]]
                    if R.size:
                        pu = np.where(cur[R] >= 0, offer_u[R], np.nan)
                        new[R] = P.tft_propose(R, pu, s)
                book.proposed(p, s, prop, new)
    return book.result()


#: Fewest runs per kernel thread (below that a thread costs more than it saves).
_MIN_ROWS_PER_THREAD = 512


def kernel_threads() -> int:
    """Kernel threads: the CPUs this process may use."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def kernel_plays_combos(combos: list[tuple[Any, ...]], backend: str = "auto", *, fast: bool = True) -> bool:
    """Whether :func:`play_batch` will play every negotiation of these strategy combinations
    on ``backend`` (then chunks can be merged into larger kernel batches: no generator is
    consumed); never with ``fast=False`` (the general path)."""
    if not (fast and combos):
        return False
    return _eligible_groups([[Group(c[p], np.zeros(0, dtype=np.int64)) for c in combos]
                             for p in range(len(combos[0]))]) and compiled(backend)


def kernel_plays(groups: list[list[Any]], backend: str = "auto", *, fast: bool = True) -> bool:
    """Whether :func:`play_batch` plays these strategy groups (``backend`` resolves to numba,
    ``fast`` path enabled)."""
    return bool(fast and _eligible_groups(groups) and compiled(backend))


def play_batch(batch, rows: np.ndarray, parties, reservation: np.ndarray, nominal: np.ndarray,
               groups: list[list[Any]], n_steps: int, *, walk_away: bool = False, walk_patience: float = 0.5,
               trace: bool = False, time_limit: float | None = None, step_time: float = 1.0) -> dict[str, Any]:
    """:func:`~.protocols.alternating.alternating_offers` among ``parties`` (acting order) of a
    :class:`~detente.negotiation.batch.DomainBatch`, for its runs ``rows``, without building
    the utility tables of the whole chunk: the compiled kernel builds each run's tables in
    cache (the same operations as ``DomainBatch.utilities``). ``reservation``/``nominal``
    (len(rows), n_parties) are the current and nominal (table) reservation values; the
    strategies must pass :func:`kernel_plays`. Same result as alternating_offers on the tables.
    """
    rows = np.asarray(rows, dtype=np.int64)
    ps = list(parties)
    n, P = rows.size, len(ps)
    cards = np.asarray(batch.base.cardinalities, dtype=np.int64)
    vmax = int(cards.max())
    lead = n if (batch.weights.shape[0] > 1 or any(v.shape[0] > 1 for v in batch.value_tables)) else 1
    W = np.ascontiguousarray(np.broadcast_to(batch._rows(batch.weights, rows, ps), (lead, P, cards.size)).transpose(1, 0, 2))
    VT = np.zeros((P, lead, cards.size, vmax))
    for k, v in enumerate(batch.value_tables):
        VT[:, :, k, :cards[k]] = np.broadcast_to(batch._rows(v, rows, ps), (lead, P, cards[k])).transpose(1, 0, 2)
    if batch.allowed is None:
        AL = np.zeros((P, 0, cards.size, vmax), dtype=bool)
    else:
        la = n if any(a.shape[0] > 1 for a in batch.allowed) else 1
        AL = np.zeros((P, la, cards.size, vmax), dtype=bool)
        for k, a in enumerate(batch.allowed):
            AL[:, :, k, :cards[k]] = np.broadcast_to(batch._rows(a, rows, ps), (la, P, cards[k])).transpose(1, 0, 2)
    from ..negotiation.domain import VIOLATION_PENALTY

    R = np.ascontiguousarray(np.asarray(reservation, dtype=float).T)
    NOM = np.ascontiguousarray(np.asarray(nominal, dtype=float).T)

    def tables(F: np.ndarray) -> list[PartyTables]:
        U = batch.utilities(rows[F], parties=ps)
        return [PartyTables(U[j], R[j, F], U[(j + 1) % P], NOM[j, F], R[(j + 1) % P, F]) for j in range(P)]

    return _run_kernel(W, VT, AL, cards, float(VIOLATION_PENALTY), R, NOM, tables, groups, n_steps, walk_away,
                       walk_patience, trace, time_limit, step_time)


def _play_compiled(tabs, groups, n_steps, ts, walk_away, walk_patience, trace, time_limit, step_time) -> dict[str, Any]:
    """The kernel on existing tables: each table enters as one 'issue' of weight 1 (0 + 1 * u
    is u), so the kernel's tables are these."""
    n_p = len(tabs)
    n = tabs[0].reservation.shape[0]
    m = tabs[0].u.shape[1]
    VT = np.stack([t.u for t in tabs])[:, :, None, :]
    W = np.ones((n_p, 1, 1))
    AL = np.zeros((n_p, 0, 1, m), dtype=bool)
    R = np.stack([np.broadcast_to(np.asarray(t.reservation, dtype=float), (n,)) for t in tabs])
    NOM = np.stack([np.broadcast_to(np.asarray(t.nominal_reservation, dtype=float), (n,)) for t in tabs])
    return _run_kernel(W, VT, AL, np.array([m], dtype=np.int64), 0.0, R, NOM, lambda F: [t.slice(F) for t in tabs],
                       groups, n_steps, walk_away, walk_patience, trace, time_limit, step_time)


@lru_cache(maxsize=64)
def _aspirations(exponent: float, ts: tuple[float, ...]) -> tuple[float, ...]:
    """a(t) of one exponent at every step time, the scalar calls TimeDependent._band makes
    (remembered: a summit plays the same few exponents and deadlines in every kernel call)."""
    return tuple(float(_aspiration(t, exponent)) for t in ts)


def _run_kernel(W, VT, AL, cards, pen, R, NOM, tables, groups, n_steps, walk_away, walk_patience, trace, time_limit,
                step_time) -> dict[str, Any]:
    """The numba kernel on every run; runs it gives back (ties) on the numpy path."""
    from ._kernel import play_rows

    n_p, n = R.shape
    ts = step_times(n_steps, time_limit, step_time)
    kind = np.zeros((n_p, n), dtype=np.int64)
    eidx = np.zeros((n_p, n), dtype=np.int64)
    eps = np.zeros((n_p, n))
    tft = np.zeros((n_p, 3))
    exps: list[list[float]] = [[] for _ in range(n_p)]
    for p in range(n_p):
        for g in groups[p]:
            st = g.strategy
            if type(st) is TimeDependent:
                if st.exponent not in exps[p]:
                    exps[p].append(st.exponent)
                kind[p, g.rows] = 0 if st.rational_only else 1
                eidx[p, g.rows] = exps[p].index(st.exponent)
                eps[p, g.rows] = st.eps
            else:
                kind[p, g.rows] = 2
                tft[p] = (st.kindness, st.kindness_start_step, st.start_calls)
    n_e = max(1, max(len(e) for e in exps))
    A = np.zeros((n_p, n_e, max(1, len(ts))))
    for p in range(n_p):
        for k, e in enumerate(exps[p]):
            A[p, k, :len(ts)] = _aspirations(e, tuple(ts))
    agreement = np.full(n, -1, dtype=np.int64)
    reason = np.full(n, DEADLINE, dtype=np.int64)
    step_end = np.full(n, -1, dtype=np.int64)
    n_offers = np.zeros(n, dtype=np.int64)
    proposer = np.full(n, -1, dtype=np.int64)
    ended_by = np.full(n, -1, dtype=np.int64)
    last_offer = np.full((n_p, n), -1, dtype=np.int64)
    offers = np.full((n, n_steps, n_p), -1, dtype=np.int32) if trace else np.full((1, 1, 1), -1, dtype=np.int32)
    fail = np.zeros(n, dtype=bool)
    args = (W, VT, AL, cards, pen, R, NOM, kind, eidx, eps, A, tft, np.asarray(ts, dtype=float), bool(walk_away),
            float(walk_patience), bool(trace), agreement, reason, step_end, n_offers, proposer, ended_by,
            last_offer, offers, fail)
    # runs are independent and the kernel releases the GIL: disjoint row ranges on threads
    # (the numbers do not depend on the split)
    k = min(kernel_threads(), max(1, n // _MIN_ROWS_PER_THREAD))
    if k <= 1:
        play_rows(*args, 0, n)
    else:
        from concurrent.futures import ThreadPoolExecutor

        cuts = np.linspace(0, n, k + 1).astype(np.int64)
        with ThreadPoolExecutor(k, thread_name_prefix="detente-kernel") as pool:
            list(pool.map(lambda j: play_rows(*args, int(cuts[j]), int(cuts[j + 1])), range(k)))
    last = np.where(reason == 0, proposer, -1)
    F = np.flatnonzero(fail)
    if F.size:
        where = np.full(n, -1, dtype=np.int64)
        where[F] = np.arange(F.size)
        sub_groups = []
        for gs in groups:
            sg = []
            for g in gs:
                rows = where[g.rows]
                rows = rows[rows >= 0]
                if rows.size:
                    sg.append(Group(g.strategy, rows))
            sub_groups.append(sg)
        sub = alternating_offers_rows(tables(F), sub_groups, n_steps, walk_away=walk_away,
                                      walk_patience=walk_patience, trace=trace, time_limit=time_limit,
                                      step_time=step_time, backend="numpy")
        agreement[F], reason[F], step_end[F] = sub["agreement"], sub["reason"], sub["step"]
        n_offers[F], ended_by[F], last[F] = sub["n_offers"], sub["ended_by"], sub["last_proposer"]
        last_offer[:, F] = sub["last_offer"]
        if trace:
            offers[F] = sub["offers"]
    return {
        "agreement": agreement,
        "reason": reason,
        "step": step_end,
        "n_offers": n_offers,
        "last_proposer": last,
        "ended_by": ended_by,
        "last_offer": last_offer,
        "offers": offers if trace else None,
    }
