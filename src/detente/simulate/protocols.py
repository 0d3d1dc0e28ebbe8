"""Negotiation protocols as array step functions over a batch of runs.

Every protocol advances *all* runs of a batch together; the only Python loops are over
rounds (mechanism steps) and the parties within a round.

- :func:`alternating_offers`: the stacked alternating offers protocol (SAOP) with NegMAS 0.16
  ``SAOMechanism`` semantics (Aydogan et al. 2017; Rubinstein 1982 for two parties): parties
  act in a fixed cyclic order; party 0 opens; each next party accepts the offer on the table or
  rejects it and counter-offers; an offer is agreed once every other party has accepted it in
  sequence (offering counts as accepting). One mechanism step lets every party act once; the
  normalised time during step s of N is t = (s + 1) / (N + 1); a run that has no agreement
  after N steps times out. Optional walk-away (see :func:`alternating_offers`).
- :func:`single_text`: Raiffa's single negotiating text with a random-mutation mediator and
  unanimous voting (Raiffa 1982, ch. 14; Klein, Faratin, Sayama & Bar-Yam 2003).
- The staged summit (:func:`detente.simulate.engine.simulate` with ``protocol="summit"``)
  chains :func:`alternating_offers` over a scenario's stages.

References
----------
Aydogan, R., Festen, D., Hindriks, K. V. & Jonker, C. M. (2017). Alternating offers protocols
for multilateral negotiation. In Modern Approaches to Agent-based Complex Automated
Negotiation, Springer, 153-167. doi:10.1007/978-3-319-51563-2_10.
Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. Econometrica 50(1), 97-109.
Raiffa, H. (1982). The Art and Science of Negotiation. Harvard University Press.
Klein, M., Faratin, P., Sayama, H. & Bar-Yam, Y. (2003). Protocols for negotiating complex
contracts. IEEE Intelligent Systems 18(6), 32-38. doi:10.1109/MIS.2003.1249167.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .strategies import PartyTables

__all__ = ["AGREEMENT", "DEADLINE", "REASONS", "VETO", "WALK_AWAY", "alternating_offers", "single_text"]

AGREEMENT, DEADLINE, WALK_AWAY, VETO = 0, 1, 2, 3
#: Reason codes of a run's end, in code order.
REASONS = ("agreement", "deadline", "walk_away", "veto")
#: Per-run tables with time-dependent / tit-for-tat strategies take the merged fast path
#: (:mod:`._fast`, identical results); tests switch it off to compare with the general path.
_FAST_ROWS = True


@dataclass(slots=True)
class Group:
    """The runs (row indices) in which one party plays one strategy."""

    strategy: Any
    rows: np.ndarray


@dataclass(slots=True)
class Turns:
    """The per-run bookkeeping of a batch of :func:`alternating_offers` negotiations (shared
    with the merged fast path, :func:`._fast.alternating_offers_rows`): the offer on the table,
    who made it, how many parties accept it, which runs are over and why."""

    cur: np.ndarray
    proposer: np.ndarray
    n_acc: np.ndarray
    done: np.ndarray
    agreement: np.ndarray
    reason: np.ndarray
    step_end: np.ndarray
    n_offers: np.ndarray
    ended_by: np.ndarray
    last_offer: np.ndarray
    offers: np.ndarray | None
    reservation: list[np.ndarray]
    hopeless: list[np.ndarray]
    first_u: np.ndarray | None
    first_t: np.ndarray | None

    @classmethod
    def new(cls, tabs: list[PartyTables], n_steps: int, *, walk_away: bool, trace: bool) -> Turns:
        n_p = len(tabs)
        n = tabs[0].reservation.shape[0]
        return cls(
            cur=np.full(n, -1, dtype=np.int64),
            proposer=np.full(n, -1, dtype=np.int64),
            n_acc=np.zeros(n, dtype=np.int64),
            done=np.zeros(n, dtype=bool),
            agreement=np.full(n, -1, dtype=np.int64),
            reason=np.full(n, DEADLINE, dtype=np.int64),
            step_end=np.full(n, -1, dtype=np.int64),
            n_offers=np.zeros(n, dtype=np.int64),
            ended_by=np.full(n, -1, dtype=np.int64),
            last_offer=np.full((n_p, n), -1, dtype=np.int64),
            offers=np.full((n, n_steps, n_p), -1, dtype=np.int32) if trace else None,
            reservation=[t.reservation for t in tabs],
            hopeless=[t.umax < t.reservation for t in tabs],
            first_u=np.full((n_p, n), np.nan) if walk_away else None,
            first_t=np.full((n_p, n), np.nan) if walk_away else None,
        )

    def _end(self, rows: np.ndarray, s: int, p: int) -> None:
        """Runs ``rows`` (mask) end at step ``s``: party ``p`` walks away."""
        self.done |= rows
        self.reason[rows] = WALK_AWAY
        self.step_end[rows] = s
        self.ended_by[rows] = p

    def exits(self, p: int, s: int, t_s: float, offer_u: np.ndarray, walk_patience: float) -> tuple[np.ndarray, np.ndarray]:
        """Party ``p``'s turn at step ``s`` (time ``t_s``) before it responds to the offer on
        the table (worth ``offer_u`` to it): walk-away (when enabled), the hopeless party that
        quits, and the first offer it has seen. Returns the runs still going and those with an
        offer on the table."""
        active = ~self.done
        has = active & (self.cur >= 0)
        first_u, first_t = self.first_u, self.first_t  # None without walk-away
        if first_u is not None and first_t is not None and s > 0:
            fu, ft = first_u[p], first_t[p]
            seen = has & ~np.isnan(fu)
            if t_s >= walk_patience and seen.any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    slope = np.where(t_s > ft, (offer_u - fu) / (t_s - ft), 0.0)
                expect = offer_u + np.maximum(slope, 0.0) * (1.0 - t_s)
                r_p = self.reservation[p]
                walk = seen & (expect < r_p) & (offer_u < r_p)
                if walk.any():
                    self._end(walk, s, p)
                    active = ~self.done
                    has = active & (self.cur >= 0)
        # a party whose best outcome is worth less than no deal has nothing to negotiate
        # for: it ends the negotiation at its first turn (never reached in GENIUS domains,
        # where r <= max U; possible for scenario parties with a strong walk-away value)
        if self.hopeless[p].any():
            quit_ = active & self.hopeless[p]
            if quit_.any():
                self._end(quit_, s, p)
                active = ~self.done
                has = active & (self.cur >= 0)
        if first_u is not None and first_t is not None:
            newly = has & np.isnan(first_u[p])
            if newly.any():
                first_u[p] = np.where(newly, offer_u, first_u[p])
                first_t[p] = np.where(newly, t_s, first_t[p])
        return active, has

    def accepted(self, accept: np.ndarray, s: int) -> None:
        """Count the acceptances of step ``s``; runs every party has accepted agree."""
        self.n_acc += accept
        agreed = accept & (self.n_acc >= len(self.hopeless))
        if agreed.any():
            self.done |= agreed
            self.agreement[agreed] = self.cur[agreed]
            self.reason[agreed] = AGREEMENT
            self.step_end[agreed] = s

    def proposed(self, p: int, s: int, prop: np.ndarray, new: np.ndarray) -> None:
        """Party ``p`` put the offers ``new`` on the table in runs ``prop`` at step ``s``."""
        self.cur = new
        self.proposer[prop] = p
        self.n_acc[prop] = 1
        self.n_offers += prop
        self.last_offer[p] = np.where(prop, new, self.last_offer[p])
        if self.offers is not None:
            self.offers[prop, s, p] = new[prop]

    def result(self) -> dict[str, Any]:
        """The result arrays of :func:`alternating_offers`."""
        return {
            "agreement": self.agreement,
            "reason": self.reason,
            "step": self.step_end,
            "n_offers": self.n_offers,
            "last_proposer": np.where(self.reason == AGREEMENT, self.proposer, -1),
            "ended_by": self.ended_by,
            "last_offer": self.last_offer,
            "offers": self.offers,
        }


def step_times(n_steps: int, time_limit: float | None, step_time: float) -> list[float]:
    """The normalised time of every step played (alternating_offers' clock)."""
    ts: list[float] = []
    for s in range(n_steps):
        t_s = (s + 1) / (n_steps + 1)
        if time_limit is not None:
            if s * step_time >= time_limit:
                break
            t_s = min(1.0, max(t_s, s * step_time / time_limit))
        ts.append(t_s)
    return ts


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

    Returns
    -------
    dict of arrays (n_runs,)
        ``agreement`` (outcome id or -1), ``reason`` (code, see REASONS), ``step`` (0-based
        step of agreement / walk-away, -1 on timeout), ``n_offers``, ``last_proposer``,
        ``ended_by`` (party who walked away, -1 otherwise), ``last_offer`` (n_parties, n_runs)
        each party's last offer (-1 if none), and ``offers`` if traced.
    """
    if _FAST_ROWS:
        from ._fast import alternating_offers_rows, eligible

        if eligible(tabs, groups):
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


def single_text(
    tabs: list[PartyTables],
    cardinalities: tuple[int, ...],
    n_steps: int,
    rng: np.random.Generator,
    *,
    start: np.ndarray | None = None,
    trace: bool = False,
) -> dict[str, Any]:
    """Mediated single-text negotiation, a batch at once.

    The mediator holds one text per run (``start``, default a uniformly random outcome). Each
    round it proposes a random change of one issue (a uniformly drawn issue set to a uniformly
    drawn value); every party votes for it iff it is at least as good for it as the current
    text (U_i(new) >= U_i(text)); under unanimity the text becomes the proposal (Klein et al.
    2003's hill-climbing mediator; Raiffa 1982, single negotiating text). After ``n_steps``
    rounds the text is the agreement if every party gets at least its reservation value,
    otherwise there is no deal (reason ``deadline``). ``step`` is the round in which the final
    text was adopted (0 when the start text stood).
    """
    n_p = len(tabs)
    n = tabs[0].reservation.shape[0]
    cards = np.asarray(cardinalities, dtype=np.int64)
    stride = np.ones(cards.size, dtype=np.int64)
    for k in range(cards.size - 2, -1, -1):
        stride[k] = stride[k + 1] * cards[k + 1]
    n_out = int(np.prod(cards))
    text = rng.integers(0, n_out, size=n) if start is None else np.broadcast_to(np.asarray(start, dtype=np.int64), (n,)).copy()
    last = np.zeros(n, dtype=np.int64)
    texts = np.full((n, n_steps, 1), -1, dtype=np.int32) if trace else None
    U = np.stack([t.u for t in tabs])  # (n_p, n_out), or (n_p, n, n_out) with per-run tables
    rows = np.arange(n)

    def at(o: Any) -> np.ndarray:
        return U[:, o] if U.ndim == 2 else U[:, rows, o]

    for s in range(n_steps):
        issue = rng.integers(0, cards.size, size=n)
        val = np.floor(rng.random(n) * cards[issue]).astype(np.int64)
        cur_val = (text // stride[issue]) % cards[issue]
        new = text + (val - cur_val) * stride[issue]
        ok = np.all(at(new) >= at(text), axis=0)
        changed = ok & (new != text)
        text = np.where(ok, new, text)
        last = np.where(changed, s, last)
        if texts is not None:
            texts[:, s, 0] = text
    r = np.stack([t.reservation for t in tabs])
    deal = np.all(at(text) >= r, axis=0)
    return {
        "agreement": np.where(deal, text, -1),
        "reason": np.where(deal, AGREEMENT, DEADLINE),
        "step": np.where(deal, last, -1),
        "n_offers": np.full(n, n_steps, dtype=np.int64),
        "last_proposer": np.full(n, -1, dtype=np.int64),
        "ended_by": np.full(n, -1, dtype=np.int64),
        "offers": texts,
        "last_offer": np.broadcast_to(text, (n_p, n)).copy(),
    }
