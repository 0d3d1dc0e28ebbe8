"""The bookkeeping shared by the protocols and the fast paths: reason codes, strategy groups,
the turn-by-turn state of a batch of alternating-offers negotiations and its clock.

Both :mod:`.protocols` and :mod:`._fast` import this module (and neither imports the other at
module level), so the simulator has no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .strategies import PartyTables

__all__ = ["AGREEMENT", "DEADLINE", "REASONS", "VETO", "WALK_AWAY", "Group", "Turns", "step_times"]

AGREEMENT, DEADLINE, WALK_AWAY, VETO = 0, 1, 2, 3
#: Reason codes of a run's end, in code order.
REASONS = ("agreement", "deadline", "walk_away", "veto")



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
