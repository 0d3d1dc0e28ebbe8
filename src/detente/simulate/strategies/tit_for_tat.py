"""Naive tit-for-tat (NegMAS 0.16 ``NaiveTitForTatNegotiator``, kindness 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import ScenarioError
from .tables import _INV_EPS, PartyTables, _take_rows, worst_in, worst_in_rows

__all__ = ["NaiveTitForTat"]


def _tft_xnorm(u: np.ndarray, r: np.ndarray, mn0: np.ndarray, mx: np.ndarray) -> np.ndarray:
    """Naive tit-for-tat's normalised utility of ``u`` between the larger of the worst utility
    ``mn0`` and the reservation value ``r``, and the best ``mx`` (1 on a flat range, 0 when
    even the best is below ``r``)."""
    mn = np.where(mn0 < r, r, mn0)
    bad = mx < r
    d = mx - mn
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (u - mn) * (1 / d)
    x = np.where(d < 1e-5, 1.0, x)
    return np.where(bad, 0.0, x)


def _tft_concession(tft: NaiveTitForTat, conc: np.ndarray, ua: np.ndarray, ub: np.ndarray, rng_u: np.ndarray,
                    step: int) -> tuple[np.ndarray, bool]:
    """Naive tit-for-tat's concession at ``step`` (KindConcessionRecommender): none at the
    first step, the partner's concession ``conc`` plus kindness from ``kindness_start_step``
    on, before that the utility gap ``ua - ub`` between the next two ranked outcomes over the
    range ``rng_u``; values outside [-1e-6, 1.0000001] (or not finite) give 0. Second: whether
    the gap was used (the ranking pointer moves on)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (ua - ub + 1e-12) / rng_u
    counted = False
    if step <= 0:
        mc = np.zeros_like(conc)
    elif step >= tft.kindness_start_step:
        mc = conc + tft.kindness
    else:
        mc = gap
        counted = True
    return np.where(np.isfinite(mc) & (mc >= -1e-6) & (mc <= 1.0000001), mc, 0.0), counted



@dataclass(frozen=True, slots=True)
class NaiveTitForTat:
    """Naive tit-for-tat in NegMAS 0.16's form (``NaiveTitForTatNegotiator``, kindness 0).

    Works on its own normalised utility x = (U - m)/(M - m), m = max(min U, r). It reads the
    opponent's concession as c = x(opponent's last offer) (a zero-sum opponent model) and:

    - at step 0 concedes nothing (offers its best outcome);
    - at steps 1 and 2 makes the smallest concession its ranking allows: the k-th such call
      concedes the gap between its (2k)-th and (2k+1)-th best outcomes, over its utility
      range (NegMAS walks its inverter's ``next_worse`` pointer, one pair per call);
    - from step 3 concedes c (+ kindness);
    - offers the worst outcome with normalised utility (over the full range) >= 1 - concession,
      and accepts an offer with x >= 1 - concession.

    ``start_calls`` starts the ranking pointer that many calls in, as NegMAS does when one
    utility object is reused across negotiations (its inverter keeps the pointer).

    Faratin, Sierra & Jennings (1998) for the tit-for-tat family; Axelrod (1984).
    """

    kindness: float = 0.0
    kindness_start_step: int = 3
    start_calls: int = 0
    label: str = "tit_for_tat"

    name: ClassVar[str] = "tit_for_tat"
    deterministic: ClassVar[bool] = True
    reference: ClassVar[str] = (
        "Faratin, Sierra & Jennings (1998), relative tit-for-tat; NegMAS 0.16 "
        "NaiveTitForTatNegotiator (KindConcessionRecommender, ZeroSumModel)"
    )

    def __post_init__(self) -> None:
        if isinstance(self.start_calls, bool) or not isinstance(self.start_calls, (int, np.integer)) or self.start_calls < 0:
            raise ScenarioError(f"must be an integer >= 0 (got {self.start_calls!r})", field="start_calls")

    def init(self, tab: PartyTables, n: int) -> dict[str, np.ndarray]:
        return {"calls": np.full(n, self.start_calls, dtype=np.int64)}

    def _xnorm(self, tab: PartyTables, u: np.ndarray) -> np.ndarray:
        return _tft_xnorm(u, tab.reservation, tab.umin, tab.umax)

    def _concession(self, tab, mem, pc, step, mask):
        s, _ = tab.sorted_all()
        L = s.shape[-1] - 1
        conc = np.where(pc < 0, 0.0, pc)
        calls = mem["calls"]
        k = calls
        ia, ib = L - 2 * k, L - 2 * k - 1
        ua = np.where(ia >= 0, _take_rows(s, np.clip(ia, 0, L)), tab.reservation)
        ub = np.where(ib >= 0, _take_rows(s, np.clip(ib, 0, L)), tab.reservation)
        mc, counted = _tft_concession(self, conc, ua, ub, s[..., L] - s[..., 0], step)
        if counted:
            mem = {**mem, "calls": np.where(mask, calls + 1, calls)}
        return mc, mem

    def respond(self, tab, mem, offer_u, t, step, mask, rng):
        x = self._xnorm(tab, offer_u)
        pc = 1.0 - (x * -1 + 1.0)
        mc, mem = self._concession(tab, mem, pc, step, mask)
        # detente guard: never accept below the reservation value (NegMAS's x >= 1 - mc
        # admits x down to -1e-7)
        return (x >= 1.0 - mc) & (offer_u >= tab.reservation), mem

    def propose(self, tab, mem, partner_u, t, step, mask, rng):
        none = np.isnan(partner_u)
        x = self._xnorm(tab, np.where(none, 0.0, partner_u))
        partner = np.where(none, 1.0, x * -1 + 1.0)
        pc = 1.0 - partner
        mc, mem = self._concession(tab, mem, pc, step, mask)
        target = 1.0 - mc
        s, o = tab.sorted_all()
        if tab.batched:
            d = s[:, -1] - s[:, 0]
            flat = d < _INV_EPS
            lo = np.where(flat, 0.0, target * d + s[:, 0])
            hi = np.where(flat, 0.0, 1.0 * d + s[:, 0])
            lo = np.maximum(lo, tab.reservation)
            return worst_in_rows(s, o, None, lo, hi, tab.first_all(), tab.reservation, key=tab.key("all")), mem
        d = s[-1] - s[0]
        if d < _INV_EPS:
            lo = np.zeros_like(target)
            hi = lo
        else:
            lo = target * d + s[0]
            hi = 1.0 * d + s[0]
        # detente guard: never offer below the reservation value (NegMAS's TFT searches the
        # whole outcome space and can; it never did in the reference runs)
        lo = np.maximum(lo, tab.reservation)
        return worst_in(s, o, lo, np.broadcast_to(hi, lo.shape), first=tab.first_all(), floor=tab.reservation), mem
