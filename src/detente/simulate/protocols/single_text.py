"""Raiffa's single negotiating text with a random-mutation mediator and unanimous voting
(Raiffa 1982, ch. 14; Klein, Faratin, Sayama & Bar-Yam 2003).

References
----------
Raiffa, H. (1982). The Art and Science of Negotiation. Harvard University Press.
Klein, M., Faratin, P., Sayama, H. & Bar-Yam, Y. (2003). Protocols for negotiating complex
contracts. IEEE Intelligent Systems 18(6), 32-38. doi:10.1109/MIS.2003.1249167.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..strategies import PartyTables
from ..turns import AGREEMENT, DEADLINE
from .base import ProtocolSpec, Table

__all__ = ["PROTOCOL", "play", "single_text"]


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


def play(table: Table, rng: np.random.Generator) -> dict[str, Any]:
    """One batch of single-text negotiations at ``table`` (the protocol signature)."""
    return single_text(table.tables(), table.cardinalities, table.n_steps, rng, trace=table.trace)


PROTOCOL = ProtocolSpec(
    name="single_text",
    play=play,
    strategies=False,
    references=("Raiffa (1982) ch. 14", "Klein et al. (2003) doi:10.1109/MIS.2003.1249167"),
)
