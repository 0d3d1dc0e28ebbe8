"""Hypothesis strategy for small random negotiation domains (shared by negotiation/simulate tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from detente.negotiation.domain import Domain


@st.composite
def domains(draw, n_parties: int = 2, max_issues: int = 3, max_values: int = 5, reservation: bool = True):
    m = draw(st.integers(1, max_issues))
    cards = [draw(st.integers(2, max_values)) for _ in range(m)]
    scores = tuple(
        np.array([[draw(st.integers(0, 20)) for _ in range(c)] for _ in range(n_parties)], dtype=float) + np.eye(n_parties, c)
        for c in cards
    )
    w = np.array([[draw(st.integers(1, 10)) for _ in range(m)] for _ in range(n_parties)], dtype=float)
    w = w / w.sum(axis=1, keepdims=True)
    r = [draw(st.sampled_from([0.0, 0.2, 0.4, 0.6])) if reservation else 0.0 for _ in range(n_parties)]
    return Domain(
        name="hyp",
        issues=tuple(f"i{k}" for k in range(m)),
        values=tuple(tuple(f"v{j}" for j in range(c)) for c in cards),
        parties=tuple(f"p{k}" for k in range(n_parties)),
        scores=scores,
        weights=w,
        reservation=np.array(r),
    )
