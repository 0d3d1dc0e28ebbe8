"""Multi-issue negotiation domains with linear additive utilities (GENIUS semantics).

A :class:`Domain` is a discrete outcome space (the Cartesian product of its issues' values,
enumerated with the last issue varying fastest, as ``itertools.product`` does) and one
linear additive utility function per party:

.. math::

    U_p(\\omega) = \\sum_i w_{p,i}\\, e_{p,i}(\\omega_i) / \\max_v e_{p,i}(v)
                  \\;-\\; 2\\,[\\omega \\text{ breaks a hard constraint of } p]

``e`` are the raw evaluations (GENIUS ``evaluation`` attributes), ``w`` the issue weights
(divided by their sum), so the best outcome is worth 1. The constraint term is only used for
domains built from scenarios (red lines): an outcome outside a red line is worth at most
-1, below any reservation value in [0, 1]. GENIUS profiles have no constraints.

The utility table is computed issue by issue in a fixed order (``u = 0; u += w_i * v_i``)
so it is bit-for-bit the sum NegMAS's ``LinearAdditiveUtilityFunction`` computes; the
strategies' tie-breaking, and hence parity with the reference runs, depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ScenarioError

__all__ = ["Domain", "VIOLATION_PENALTY", "WEIGHT_SUM_TOLERANCE"]

#: Subtracted from the utility of an outcome that breaks a party's hard constraint.
VIOLATION_PENALTY = 2.0
#: GENIUS weights must sum to 1 within this tolerance (ANAC files carry rounded weights,
#: e.g. Laptop's sum to 1.0000518); they are then divided by their sum.
WEIGHT_SUM_TOLERANCE = 1e-3
#: Largest outcome space a domain may enumerate.
MAX_OUTCOMES = 5_000_000


def _ro(a: Any, dtype=float) -> np.ndarray:
    arr = np.array(a, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class Domain:
    """A discrete multi-issue outcome space with one linear additive utility per party.

    Attributes
    ----------
    name : str
    issues : tuple of str
        Issue names, in order.
    values : tuple of tuple
        Each issue's values (labels for GENIUS issues, numbers for discretised scales).
    parties : tuple of str
        Party names, in order (party 0 offers first in alternating offers).
    scores : tuple of ndarray, each (n_parties, n_values_i)
        Raw evaluations per issue value (any non-negative scale).
    weights : (n_parties, n_issues)
        Issue weights, normalised to sum to 1 per party.
    reservation : (n_parties,)
        Utility of no agreement, on the normalised scale.
    discount : (n_parties,)
        GENIUS discount factor d in (0, 1] (1 = undiscounted). Recorded; the simulator
        applies it only when asked (``discounting="genius"``).
    allowed : tuple of ndarray or None
        Per issue (n_parties, n_values_i) bool: values inside the party's hard constraints
        (red lines). None: no constraints.
    numeric : bool
        True when the values are numbers on a scale (scenario domains).
    source : str
        Where the domain came from (file or scenario name), for messages.
    issue_meta : tuple or None
        GENIUS integer/real issues, for writing them back: per issue None (discrete) or
        (kind, lower, upper, evaluators), evaluators one per party (None: item evaluations).
    """

    name: str
    issues: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    parties: tuple[str, ...]
    scores: tuple[np.ndarray, ...]
    weights: np.ndarray
    reservation: np.ndarray
    discount: np.ndarray = None  # type: ignore[assignment]  # set to ones in __post_init__
    allowed: tuple[np.ndarray, ...] | None = None
    numeric: bool = False
    source: str = ""
    issue_meta: tuple | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "issues", tuple(self.issues))
        object.__setattr__(self, "values", tuple(tuple(v) for v in self.values))
        object.__setattr__(self, "parties", tuple(self.parties))
        n_p, n_i = len(self.parties), len(self.issues)
        src = self.source or self.name
        if n_i == 0:
            raise ScenarioError("a domain needs at least one issue", source=src)
        if n_p == 0:
            raise ScenarioError("a domain needs at least one party", source=src)
        if len(self.values) != n_i or len(self.scores) != n_i:
            raise ScenarioError(
                f"{n_i} issues but {len(self.values)} value lists and {len(self.scores)} score tables",
                source=src,
            )
        scores = []
        for k, (vals, sc) in enumerate(zip(self.values, self.scores, strict=False)):
            sc = np.asarray(sc, dtype=float)
            if len(vals) == 0:
                raise ScenarioError(f"issue {self.issues[k]!r} has no values", source=src)
            if sc.shape != (n_p, len(vals)):
                raise ScenarioError(
                    f"issue {self.issues[k]!r}: scores have shape {sc.shape}, expected {(n_p, len(vals))}",
                    source=src,
                )
            if not np.all(np.isfinite(sc)) or np.any(sc < 0):
                raise ScenarioError(
                    f"issue {self.issues[k]!r}: evaluations must be finite and >= 0 (got {sc.min()})",
                    source=src,
                )
            scores.append(_ro(sc))
        object.__setattr__(self, "scores", tuple(scores))
        w = np.asarray(self.weights, dtype=float)
        if w.shape != (n_p, n_i):
            raise ScenarioError(f"weights have shape {w.shape}, expected {(n_p, n_i)}", source=src)
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ScenarioError(f"weights must be finite and >= 0 (got {w.tolist()})", source=src)
        object.__setattr__(self, "weights", _ro(w))
        r = np.broadcast_to(np.asarray(self.reservation, dtype=float), (n_p,))
        if not np.all(np.isfinite(r)):
            raise ScenarioError(f"reservation values must be finite (got {r.tolist()})", source=src)
        object.__setattr__(self, "reservation", _ro(r))
        d = np.ones(n_p) if self.discount is None else np.broadcast_to(
            np.asarray(self.discount, dtype=float), (n_p,)
        )
        if np.any(~(d > 0) | (d > 1)):
            raise ScenarioError(f"discount factors must lie in (0, 1] (got {d.tolist()})", source=src)
        object.__setattr__(self, "discount", _ro(d))
        if self.allowed is not None:
            al = tuple(_ro(np.broadcast_to(a, (n_p, len(v))), dtype=bool) for a, v in zip(self.allowed, self.values, strict=False))
            object.__setattr__(self, "allowed", al)
        if self.n_outcomes > MAX_OUTCOMES:
            raise ScenarioError(
                f"the outcome space has {self.n_outcomes} outcomes; at most {MAX_OUTCOMES} can be enumerated",
                source=src,
            )

    # ------------------------------------------------------------------ sizes
    @property
    def n_parties(self) -> int:
        return len(self.parties)

    @property
    def n_issues(self) -> int:
        return len(self.issues)

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    @property
    def n_outcomes(self) -> int:
        n = 1
        for c in self.cardinalities:
            n *= c
        return n

    # ------------------------------------------------------------------ outcomes
    def outcome_indices(self) -> np.ndarray:
        """Value index of every outcome on every issue, (n_outcomes, n_issues), last issue fastest."""
        if "idx" not in self._cache:
            cards = self.cardinalities
            n = self.n_outcomes
            cols = []
            rep = n
            for c in cards:
                rep //= c
                cols.append(np.tile(np.repeat(np.arange(c, dtype=np.int32), rep), n // (rep * c)))
            idx = np.stack(cols, axis=1)
            idx.setflags(write=False)
            self._cache["idx"] = idx
        return self._cache["idx"]

    def decode(self, outcome: np.ndarray) -> np.ndarray:
        """Value indices (..., n_issues) of outcome ids (...); -1 ids give -1 rows."""
        o = np.asarray(outcome, dtype=np.int64)
        cards = np.array(self.cardinalities, dtype=np.int64)
        out = np.empty(o.shape + (len(cards),), dtype=np.int64)
        rest = np.where(o >= 0, o, 0)
        for k in range(len(cards) - 1, -1, -1):
            out[..., k] = rest % cards[k]
            rest = rest // cards[k]
        out[o < 0] = -1
        return out

    def encode(self, value_index: np.ndarray) -> np.ndarray:
        """Outcome ids of value-index rows (..., n_issues)."""
        vi = np.asarray(value_index, dtype=np.int64)
        o = np.zeros(vi.shape[:-1], dtype=np.int64)
        for k, c in enumerate(self.cardinalities):
            o = o * c + vi[..., k]
        return o

    def outcome_values(self, outcome: int) -> tuple[Any, ...]:
        """The issue values of one outcome id (None for -1)."""
        if outcome < 0:
            return tuple(None for _ in self.issues)
        vi = self.decode(np.array(outcome))
        return tuple(self.values[k][int(vi[k])] for k in range(self.n_issues))

    def outcome_of(self, values: Any) -> int:
        """The outcome id of a tuple of issue values (labels or numbers)."""
        vi = []
        for k, v in enumerate(values):
            try:
                vi.append(self.values[k].index(v))
            except ValueError:
                raise ScenarioError(
                    f"{v!r} is not a value of issue {self.issues[k]!r}; valid: {list(self.values[k])}",
                    source=self.source or self.name,
                ) from None
        return int(self.encode(np.array(vi)))

    # ------------------------------------------------------------------ utilities
    def value_tables(self) -> tuple[np.ndarray, ...]:
        """Normalised per-issue value utilities e / max e, each (n_parties, n_values_i).

        Integer and real GENIUS issues scored by an evaluator function are already utilities
        in [0, 1] and are used as they are (GENIUS does not rescale them)."""
        out = []
        for k, sc in enumerate(self.scores):
            mx = sc.max(axis=1, keepdims=True)
            vt = np.where(mx > 0, sc / np.where(mx > 0, mx, 1.0), 0.0)
            meta = None if self.issue_meta is None else self.issue_meta[k]
            if meta is not None:
                direct = np.array([ev is not None for ev in meta[3]], dtype=bool)
                vt = np.where(direct[:, None], sc, vt)
            out.append(vt)
        return tuple(out)

    def utilities(self) -> np.ndarray:
        """Utility of every outcome for every party, (n_parties, n_outcomes), read-only."""
        if "u" not in self._cache:
            idx = self.outcome_indices()
            vt = self.value_tables()
            w = self.weights
            u = np.zeros((self.n_parties, self.n_outcomes))
            for k in range(self.n_issues):
                # same operation order as NegMAS: u += w_k * v_k(omega_k)
                u += w[:, k : k + 1] * vt[k][:, idx[:, k]]
            if self.allowed is not None:
                ok = np.ones_like(u, dtype=bool)
                for k in range(self.n_issues):
                    ok &= self.allowed[k][:, idx[:, k]]
                u = np.where(ok, u, u - VIOLATION_PENALTY)
            u.setflags(write=False)
            self._cache["u"] = u
        return self._cache["u"]

    def feasible(self) -> np.ndarray:
        """(n_parties, n_outcomes) bool: the outcome keeps the party's hard constraints."""
        if self.allowed is None:
            return np.ones((self.n_parties, self.n_outcomes), dtype=bool)
        idx = self.outcome_indices()
        ok = np.ones((self.n_parties, self.n_outcomes), dtype=bool)
        for k in range(self.n_issues):
            ok &= self.allowed[k][:, idx[:, k]]
        return ok

    def replace(self, **changes: Any) -> Domain:
        """A copy with some fields changed (caches are not carried over)."""
        kw = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "_cache"}
        kw.update(changes)
        return Domain(**kw)

    def with_parties(self, order: list[int] | tuple[int, ...]) -> Domain:
        """The same domain with parties re-ordered (e.g. to change who offers first)."""
        order = list(order)
        return self.replace(
            parties=tuple(self.parties[i] for i in order),
            scores=tuple(s[order] for s in self.scores),
            weights=self.weights[order],
            reservation=self.reservation[order],
            discount=self.discount[order],
            allowed=None if self.allowed is None else tuple(a[order] for a in self.allowed),
            issue_meta=None if self.issue_meta is None else tuple(
                None if m is None else (*m[:3], tuple(m[3][i] for i in order)) for m in self.issue_meta),
        )
