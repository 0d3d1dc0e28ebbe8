"""Time-dependent concession: Boulware, Linear, Conceder, hardliner and aspiration
(Faratin, Sierra & Jennings 1998; NegMAS 0.16 ``TimeBasedNegotiator`` / ``PolyAspiration``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ...errors import ScenarioError
from .tables import PartyTables, worst_in, worst_in_rows

__all__ = ["Aspiration", "TimeDependent"]


def _aspiration(t: Any, exponent: float) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore"):
        return 1.0 * (1.0 - np.power(t, exponent))


@dataclass(frozen=True, slots=True)
class TimeDependent:
    """Time-dependent concession (Boulware / Linear / Conceder / hardliner).

    Parameters
    ----------
    exponent : float
        NegMAS exponent e of a(t) = 1 - t**e (e > 1 Boulware, 1 Linear, < 1 Conceder,
        inf hardliner). Faratin's beta is 1/e.
    eps : float
        Tolerance that widens the acceptance band (NegMAS: 1e-4 for the TB classes).
    rational_only : bool
        Offer only from outcomes at or above the reservation value (NegMAS TB default).
    label : str
        Display name.
    """

    exponent: float = 4.0
    eps: float = 1e-4
    rational_only: bool = True
    label: str = "boulware"

    name: ClassVar[str] = "time_dependent"
    deterministic: ClassVar[bool] = True
    reference: ClassVar[str] = (
        "Faratin, P., Sierra, C. & Jennings, N. R. (1998). Negotiation decision functions for "
        "autonomous agents. Robotics and Autonomous Systems 24(3-4), 159-182; NegMAS 0.16 "
        "PolyAspiration / TimeBasedConcedingNegotiator"
    )

    def __post_init__(self) -> None:
        if not self.exponent > 0:
            raise ScenarioError(f"must be > 0 (got {self.exponent})", field="exponent")
        if not self.eps >= 0:
            raise ScenarioError(f"must be >= 0 (got {self.eps})", field="eps")

    @classmethod
    def from_faratin(cls, beta: float, **kw: Any) -> TimeDependent:
        """From Faratin et al.'s / GENIUS's exponent beta (target 1 - t**(1/beta))."""
        if not beta > 0:
            raise ScenarioError(f"must be > 0 (got {beta})", field="beta")
        return cls(exponent=1.0 / beta, **kw)

    def init(self, tab: PartyTables, n: int) -> dict[str, np.ndarray]:
        return {}

    def _band(self, tab: PartyTables, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        M = tab.umax
        m = np.maximum(tab.umin, tab.reservation)
        a = _aspiration(t, self.exponent)
        lo = (M - m) * a + m
        hi = (M - m) * 1.0 + m
        lo = lo - self.eps
        hi = hi + self.eps
        lo = np.maximum(m, np.minimum(M, lo))
        hi = np.maximum(m, np.minimum(M, hi))
        return lo, hi

    def respond(self, tab, mem, offer_u, t, step, mask, rng):
        lo, hi = self._band(tab, t)
        return (offer_u >= lo) & (offer_u <= hi), mem

    def propose(self, tab, mem, partner_u, t, step, mask, rng):
        lo, hi = self._band(tab, t)
        if tab.batched:
            if self.rational_only:
                s, o, irr_max, irr_id = tab.sorted_rational()
                cnt = tab.rational_count()
                out = worst_in_rows(s, o, cnt, lo, hi, tab.first_rational(), tab.reservation, irr_max, irr_id,
                                    tab.key("rat"))
                return np.where(cnt > 0, out, tab.best), mem
            s, o = tab.sorted_all()
            return worst_in_rows(s, o, None, lo, hi, tab.first_all(), tab.reservation, key=tab.key("all")), mem
        if self.rational_only:
            s, o, irr_max, irr_pos = tab.sorted_rational()
            if s.size == 0:
                return np.full(lo.shape, tab.best, dtype=np.int64), mem
            out = worst_in(s, o, lo, hi, irr_max, irr_pos, tab.first_rational(), floor=tab.reservation)
            if irr_pos >= 0 and np.any(out < 0):
                irr = np.flatnonzero(tab.u < tab.nominal_reservation)
                out = np.where(out < 0, irr[irr_pos - s.size], out)
            return out, mem
        s, o = tab.sorted_all()
        return worst_in(s, o, lo, hi, first=tab.first_all(), floor=tab.reservation), mem


def Aspiration(exponent: float = 4.0, eps: float = 1e-3) -> TimeDependent:  # noqa: N802
    """NegMAS ``AspirationNegotiator``: Boulware (e = 4), tolerance 1e-3, all outcomes sorted."""
    return TimeDependent(exponent=exponent, eps=eps, rational_only=False, label="aspiration")
