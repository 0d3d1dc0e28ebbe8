"""Random offers and acceptances, the baseline (NegMAS 0.16 ``RandomNegotiator``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import ScenarioError
from .tables import _take_rows, searchsorted_rows

__all__ = ["RandomStrategy"]


@dataclass(frozen=True, slots=True)
class RandomStrategy:
    """Offers a uniformly random outcome at or above its reservation value; accepts an offer at
    or above its reservation value with probability ``p_accept``. Seeded by the run's generator."""

    p_accept: float = 0.5
    label: str = "random"

    name: ClassVar[str] = "random"
    deterministic: ClassVar[bool] = False
    reference: ClassVar[str] = "NegMAS 0.16 RandomNegotiator (baseline)"

    def __post_init__(self) -> None:
        if not 0 <= self.p_accept <= 1:
            raise ScenarioError(f"must lie in [0, 1] (got {self.p_accept})", field="p_accept")

    def init(self, tab, n):
        return {}

    def respond(self, tab, mem, offer_u, t, step, mask, rng):
        draw = rng.random(np.shape(offer_u))
        return (offer_u >= tab.reservation) & (draw < self.p_accept), mem

    def propose(self, tab, mem, partner_u, t, step, mask, rng):
        s, o = tab.sorted_all()
        m = s.shape[-1]
        if tab.batched:
            start = searchsorted_rows(s, tab.reservation, key=tab.key("all"))
        else:
            start = np.searchsorted(s, tab.reservation, side="left")
        start = np.minimum(start, m - 1)
        k = start + np.floor(rng.random(start.shape) * (m - start)).astype(np.int64)
        return _take_rows(o, np.minimum(k, m - 1)), mem
