"""Best response to a belief about the opponent's reservation value (Rubinstein 1982;
Raiffa 1982 ch. 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import ScenarioError
from .tables import PartyTables, _take_rows, searchsorted_rows

__all__ = ["BestResponse"]


@dataclass(frozen=True, slots=True)
class BestResponse:
    """Best response to a belief about the opponent's reservation value.

    Believing the opponent accepts anything worth at least ``belief`` to it (its reservation
    value; ``None``: its true one), the party offers the outcome best for itself among those
    (an ultimatum), and accepts an offer at least as good for it as that outcome
    (Rubinstein 1982's last-proposer logic; Raiffa 1982, ch. 4). With ``concede`` > 0 the
    believed value falls linearly in time, ``belief * (1 - concede * t)``, so a belief set too high is corrected before the deadline.
    """

    belief: float | None = None
    concede: float = 0.0
    label: str = "best_response"

    name: ClassVar[str] = "best_response"
    deterministic: ClassVar[bool] = True
    reference: ClassVar[str] = (
        "Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. Econometrica 50(1), "
        "97-109; Raiffa, H. (1982). The Art and Science of Negotiation. Harvard University Press"
    )

    def __post_init__(self) -> None:
        if not 0 <= self.concede <= 1:
            raise ScenarioError(f"must lie in [0, 1] (got {self.concede})", field="concede")

    def init(self, tab, n):
        if tab.opponent_u is None:
            raise ScenarioError("best response needs the opponent's utilities (a domain with 2+ parties)", field="strategies")
        return {}

    def _tables(self, tab: PartyTables):
        key = "br"
        if key not in tab._c and tab.batched:
            ou = tab.opponent_u
            assert ou is not None  # checked in init()
            order = np.argsort(-ou, axis=1, kind="stable")
            own = np.take_along_axis(tab.u, order, axis=1)
            run = np.maximum.accumulate(own, axis=1)
            is_new = np.ones(own.shape, dtype=bool)
            is_new[:, 1:] = own[:, 1:] > run[:, :-1]
            best_pos = np.maximum.accumulate(np.where(is_new, np.arange(own.shape[1]), 0), axis=1)
            tab._c[key] = (np.sort(ou, axis=1), order, best_pos)
        if key not in tab._c:
            ou = tab.opponent_u
            assert ou is not None  # checked in init()
            order = np.argsort(-ou, kind="stable")  # opponent utility descending
            own = tab.u[order]
            best_pos = np.zeros(own.size, dtype=np.int64)
            run = np.maximum.accumulate(own)
            # position of the first maximum within each prefix
            is_new = np.r_[True, own[1:] > run[:-1]]
            best_pos = np.maximum.accumulate(np.where(is_new, np.arange(own.size), 0))
            tab._c[key] = (np.sort(ou), order, best_pos)
        return tab._c[key]

    def _target(self, tab, t, opp_r):
        asc, order, best_pos = self._tables(tab)
        b = opp_r if self.belief is None else np.full(np.shape(opp_r), float(self.belief))
        b = b * (1.0 - self.concede * t)
        m = asc.shape[-1]
        if tab.batched:
            count = np.clip(m - searchsorted_rows(asc, b), 1, m)
            return _take_rows(order, _take_rows(best_pos, count - 1))
        count = asc.size - np.searchsorted(asc, b, side="left")  # outcomes with opp_u >= b
        count = np.clip(count, 1, asc.size)
        out = order[best_pos[count - 1]]
        return out

    def respond(self, tab, mem, offer_u, t, step, mask, rng):
        out = self._target(tab, t, self._opp_r(tab, t))
        target_u = tab.at(out)
        return (offer_u >= target_u) & (offer_u >= tab.reservation), mem

    def propose(self, tab, mem, partner_u, t, step, mask, rng):
        out = self._target(tab, t, self._opp_r(tab, t))
        # an ultimatum below one's own reservation value is not worth making: offer the best
        return np.where(tab.at(out) >= tab.reservation, out, tab.best), mem

    @staticmethod
    def _opp_r(tab, t):
        if tab.opponent_reservation is None:
            return np.zeros(tab.reservation.shape)
        return np.asarray(tab.opponent_reservation, dtype=float)
