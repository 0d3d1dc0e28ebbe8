"""The party's view of a batch of negotiations (:class:`PartyTables`), the search helpers
every strategy uses ("the worst outcome above a level", row-wise on per-run tables) and the
:class:`Strategy` protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["PartyTables", "Strategy", "row_keys", "searchsorted_rows", "worst_in", "worst_in_rows"]

#: NegMAS inverter tolerance for "nearly equal" utilities (negmas.preferences.inv_ufun._common.EPS)
_INV_EPS = 1e-6


@dataclass(frozen=True, slots=True, eq=False)
class PartyTables:
    """One party's view of the outcome space: shared by every run of a batch, or one per run.

    Attributes
    ----------
    u : (n_outcomes,) or (n_runs, n_outcomes)
        Utility of each outcome; 2-D when every run has its own scenario (``batched``).
    reservation : (n_runs,)
        Reservation value per run.
    opponent_u : (n_outcomes,) or (n_runs, n_outcomes) or None
        The utility of the next party (used by best response, which knows it).
    opponent_reservation : (n_runs,) or None
        The next party's true reservation value per run (best response's default belief).
    nominal_reservation : float or (n_runs,)
        The reservation value the rational-only sort was built for (per run when batched).

    With per-run tables, ``umin``/``umax``/``best`` are (n_runs,) arrays, the sorted tables are
    (n_runs, n_outcomes) and every row is sorted exactly as the 1-D table of that run alone
    (the same ``numpy.argsort`` on the same values), so ties are broken the same way.
    """

    u: np.ndarray
    reservation: np.ndarray
    opponent_u: np.ndarray | None = None
    nominal_reservation: Any = 0.0
    opponent_reservation: np.ndarray | None = None
    _c: dict = field(default_factory=dict, repr=False)

    @property
    def batched(self) -> bool:
        return self.u.ndim == 2

    def at(self, outcome: Any) -> np.ndarray:
        """Utility of one outcome id per run, (n_runs,)."""
        if self.u.ndim == 1:
            return self.u[outcome]
        return self.u[np.arange(self.u.shape[0]), outcome]

    @property
    def umin(self) -> Any:
        if "umin" not in self._c:
            self._c["umin"] = self.u.min(axis=1) if self.batched else float(self.u.min())
        return self._c["umin"]

    @property
    def umax(self) -> Any:
        if "umax" not in self._c:
            self._c["umax"] = self.u.max(axis=1) if self.batched else float(self.u.max())
        return self._c["umax"]

    @property
    def best(self) -> Any:
        if "best" not in self._c:
            self._c["best"] = np.argmax(self.u, axis=1) if self.batched else int(np.argmax(self.u))
        return self._c["best"]

    def sorted_all(self) -> tuple[np.ndarray, np.ndarray]:
        """All outcomes sorted by utility (NegMAS's ``np.argsort`` order, ties included)."""
        if "all" not in self._c:
            if self.batched:
                o = np.argsort(self.u, axis=1)
                su = np.take_along_axis(self.u, o, axis=1)
                self._c["all"] = (su, o)
                self._c["all_first"] = _first_pos_rows(su)
                return self._c["all"]
            o = np.argsort(self.u)
            self._c["all"] = (self.u[o], o)
            self._c["all_first"] = _first_pos(self.u[o])
        return self._c["all"]

    def key(self, table: str) -> np.ndarray:
        """Batched: :func:`row_keys` of the sorted table ``"all"`` or ``"rat"`` (cached)."""
        k = f"{table}_key"
        if k not in self._c:
            s = (self.sorted_all() if table == "all" else self.sorted_rational())[0]
            self._c[k] = row_keys(s)
        return self._c[k]

    def first_all(self) -> np.ndarray:
        self.sorted_all()
        return self._c["all_first"]

    def first_rational(self) -> np.ndarray:
        if "rat_first" not in self._c:
            if self.batched:
                self._c["rat_first"] = _first_pos_rows(self.sorted_rational()[0])
                return self._c["rat_first"]
            self._c["rat_first"] = _first_pos(self.sorted_rational()[0])
        return self._c["rat_first"]

    def sorted_rational(self) -> tuple[np.ndarray, np.ndarray, Any, Any]:
        """Outcomes with U >= r sorted as NegMAS's rational-only inverter sorts them, plus the
        largest irrational utility and its position in the appended (unsorted) tail.

        Batched: (s, o, irr_max, irr_id) with s, o (n_runs, n_outcomes) holding each run's
        rational outcomes first (padded with +inf / 0; ``rational_count`` says how many), the
        largest irrational utility per run (-inf if none) and its outcome id (-1 if none).
        """
        if self.batched:
            return self._sorted_rational_rows()
        if "rat" not in self._c:
            r = self.nominal_reservation
            rat = np.flatnonzero(self.u >= r)
            o = rat[np.argsort(self.u[rat])]
            irr = np.flatnonzero(self.u < r)
            if irr.size:
                k = int(np.argmax(self.u[irr]))
                irr_max, irr_pos = float(self.u[irr][k]), int(rat.size + k)
            else:
                irr_max, irr_pos = -np.inf, -1
            self._c["rat"] = (self.u[o], o, irr_max, irr_pos)
        return self._c["rat"]

    def rational_count(self) -> np.ndarray:
        """Batched: the number of outcomes at or above each run's nominal reservation value."""
        self._sorted_rational_rows()
        return self._c["rat_n"]

    def _sorted_rational_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if "rat" not in self._c:
            u = self.u
            n = u.shape[0]
            nom = np.broadcast_to(np.asarray(self.nominal_reservation, dtype=float), (n,))
            mask = u >= nom[:, None]
            cnt = mask.sum(axis=1)
            # one sort of every row with the irrational outcomes pushed to the end (+inf); a row
            # whose rational utilities are all distinct has exactly one sorted order, the same
            # as the 1-D sort of that run alone. Rows with ties are sorted again at their own
            # length, grouped by their number of rational outcomes (a loop over distinct counts,
            # never over runs), so that ties come out in the order numpy's argsort gives them
            # for that run alone
            self._c["rat"] = _sort_rows(u, mask, cnt)
            self._c["rat_n"] = cnt
        return self._c["rat"]

    def slice(self, rows: np.ndarray) -> PartyTables:
        """The same tables for a subset of runs (caches shared, or sliced when per run)."""
        opp_r = None if self.opponent_reservation is None else self.opponent_reservation[rows]
        if self.batched:
            nom = np.broadcast_to(np.asarray(self.nominal_reservation, dtype=float), self.reservation.shape)
            # row keys bake the row number in: rebuilt on demand, never sliced
            cache = {k: _slice_cache(v, rows) for k, v in self._c.items() if not k.endswith("_key")}
            return PartyTables(self.u[rows], self.reservation[rows],
                               None if self.opponent_u is None else self.opponent_u[rows],
                               nom[rows], opp_r, cache)
        return PartyTables(self.u, self.reservation[rows], self.opponent_u, self.nominal_reservation, opp_r, self._c)



def _sort_rows(u: np.ndarray, mask: np.ndarray, cnt: np.ndarray, *, full_sorted: bool = False
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each row of the per-run utilities ``u`` (n, m) sorted over its valid outcomes (``mask``,
    ``cnt`` per row), the others pushed to the end (+inf): sorted utilities, outcome ids, and
    each row's best invalid utility and its outcome (-inf and -1 where every outcome is
    valid). Rows with ties are sorted again at their own length (grouped by count), so that
    ties come out in numpy's argsort order for that run alone; ``full_sorted``: rows whose
    outcomes are all valid count as sorted already (they were sorted at their own length)."""
    key = np.where(mask, u, np.inf)
    o = np.argsort(key, axis=1)
    s = np.take_along_axis(key, o, axis=1)
    del key
    tied = ((s[:, 1:] == s[:, :-1]) & (s[:, 1:] < np.inf)).any(axis=1)
    n, m = u.shape
    redo = cnt * (tied & (cnt < m)) if full_sorted else cnt * tied
    for c in np.unique(redo):
        if c == 0:
            continue
        rows = np.flatnonzero(redo == c)
        mk = mask[rows]
        vals = u[rows][mk].reshape(rows.size, c)
        ids = np.nonzero(mk)[1].reshape(rows.size, c)
        order = np.argsort(vals, axis=1)
        s[rows, :c] = np.take_along_axis(vals, order, axis=1)
        o[rows, :c] = np.take_along_axis(ids, order, axis=1)
    ui = np.where(mask, -np.inf, u)
    k = np.argmax(ui, axis=1)
    has = cnt < m
    return s, o, np.where(has, ui[np.arange(n), k], -np.inf), np.where(has, k, -1)


def _slice_cache(v: Any, rows: np.ndarray) -> Any:
    if isinstance(v, tuple):
        return tuple(_slice_cache(x, rows) for x in v)
    if isinstance(v, np.ndarray) and v.ndim >= 1:
        return v[rows]
    return v


def _first_pos_rows(s: np.ndarray) -> np.ndarray:
    """:func:`_first_pos` along the last axis of a 2-D array."""
    n, m = s.shape
    new = np.ones((n, m), dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    return np.maximum.accumulate(np.where(new, np.arange(m), 0), axis=1)


def row_keys(s: np.ndarray) -> np.ndarray:
    """Flattened complex keys ``row + 1j * s[row]`` of a row-sorted table: numpy orders complex
    numbers lexicographically (real part, then imaginary part), so the keys are sorted and one
    C-level ``np.searchsorted`` finds a value within its own row, exactly."""
    n, m = s.shape
    key = np.empty((n, m), dtype=np.complex128)
    key.real = np.arange(n, dtype=float)[:, None]
    key.imag = s
    return key.ravel()


def searchsorted_rows(s: np.ndarray, v: np.ndarray, n_valid: Any = None, key: np.ndarray | None = None) -> np.ndarray:
    """Row-wise ``searchsorted(s[i, :n_valid[i]], v[i], side="left")``.

    s : (n, m) sorted along axis 1 (at least in its first n_valid entries, +inf after them);
    v : (n,). With ``key`` (:func:`row_keys` of ``s``) one lexicographic search over the
    flattened table, else a vectorised bisection.
    """
    n, m = s.shape
    if key is not None:
        rows = np.arange(n, dtype=float)
        q = np.empty(n, dtype=np.complex128)
        q.real = rows
        q.imag = v
        pos = np.searchsorted(key, q, side="left") - np.arange(n) * m
        return pos if n_valid is None else np.minimum(pos, n_valid)
    rows = np.arange(n)
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, m, dtype=np.int64) if n_valid is None else np.broadcast_to(
        np.asarray(n_valid, dtype=np.int64), (n,)).copy()
    v = np.broadcast_to(v, (n,))
    while True:
        act = lo < hi
        if not act.any():
            return lo
        mid = (lo + hi) >> 1
        below = s[rows, np.minimum(mid, m - 1)] < v
        go = act & below
        lo = np.where(go, mid + 1, lo)
        hi = np.where(act & ~below, mid, hi)


def worst_in_rows(s: np.ndarray, o: np.ndarray, n_valid: Any, mn: np.ndarray, mx: np.ndarray,
                  first: np.ndarray, floor: Any = -np.inf, irr_max: np.ndarray | None = None,
                  irr_id: np.ndarray | None = None, key: np.ndarray | None = None) -> np.ndarray:
    """:func:`worst_in` with one sorted table per run (rows of ``s``/``o``, the first
    ``n_valid`` entries valid); the largest irrational outcome (``irr_max``, ``irr_id``) is
    resolved here rather than by the caller. Runs without valid entries get outcome 0."""
    n, m = s.shape
    rows = np.arange(n)
    nv = np.broadcast_to(np.asarray(m if n_valid is None else n_valid, dtype=np.int64), (n,))
    L = np.maximum(nv - 1, 0)
    mn = np.broadcast_to(mn, (n,))
    i = np.minimum(searchsorted_rows(s, mn, nv, key), L)
    si = s[rows, i]
    dist = np.abs(si - mn)
    j = np.maximum(i - 1, 0)
    sj = s[rows, j]
    take = (i >= 1) & (si >= mn) & (sj >= mn - _INV_EPS) & (sj <= mx + 2 * _INV_EPS) & ((mn - sj) < dist) & (sj >= floor)
    pos = np.where(take, first[rows, j], i)
    out = o[rows, pos]
    if irr_max is not None:
        bd = np.where(take, mn - sj, dist)
        take_irr = (irr_max >= mn - _INV_EPS) & ((mn - irr_max) < bd) & ~((i == 0) & (si < mn)) & (irr_max >= floor)
        out = np.where(take_irr, irr_id, out)
    return out


def _take_rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """a[i, idx[i]] for a 2-D table, a[idx] for a 1-D one."""
    if a.ndim == 1:
        return a[idx]
    return a[np.arange(a.shape[0]), idx]


def _first_pos(s: np.ndarray) -> np.ndarray:
    """Position of the first element equal to s[i], for every i of a sorted array."""
    new = np.r_[True, s[1:] != s[:-1]]
    return np.maximum.accumulate(np.where(new, np.arange(s.size), 0))


def worst_in(s: np.ndarray, o: np.ndarray, mn: np.ndarray, mx: np.ndarray,
             irr_max: float = -np.inf, irr_pos: int = -1, first: np.ndarray | None = None,
             floor: np.ndarray | float = -np.inf) -> np.ndarray:
    """Outcome with the lowest utility at or above ``mn`` (NegMAS ``worst_in`` semantics).

    ``s``/``o`` are sorted utilities and their outcome ids. As in NegMAS's presorting
    inverter, an outcome up to 1e-6 *below* ``mn`` is taken instead when it is strictly
    nearer to ``mn``; when nothing lies above ``mn`` the best outcome is returned. detente
    never takes that nearer outcome when it is below ``floor`` (the party's reservation value),
    so an offer is never individually irrational.
    """
    L = s.size - 1
    i = np.minimum(np.searchsorted(s, mn, side="left"), L)
    si = s[i]
    dist = np.abs(si - mn)
    j = np.maximum(i - 1, 0)
    sj = s[j]
    take = (i >= 1) & (si >= mn) & (sj >= mn - _INV_EPS) & (sj <= mx + 2 * _INV_EPS) & ((mn - sj) < dist) & (sj >= floor)
    # first position of that utility (NegMAS's argmin picks the first of equal utilities)
    g = first[j] if first is not None else np.searchsorted(s, sj, side="left")
    pos = np.where(take, g, i)
    if irr_pos >= 0:
        bd = np.where(take, mn - sj, dist)
        take_irr = (irr_max >= mn - _INV_EPS) & ((mn - irr_max) < bd) & ~((i == 0) & (si < mn)) & (irr_max >= floor)
        out = np.where(take_irr, -1, o[pos])
        return out  # -1 marks the irrational pick, resolved by the caller
    return o[pos]


@runtime_checkable
class Strategy(Protocol):
    """What the engine needs of a strategy (structural: strategies are plain dataclasses)."""

    label: str

    def init(self, tab: PartyTables, n: int) -> dict[str, np.ndarray]: ...

    def respond(self, tab: PartyTables, mem: dict, offer_u: np.ndarray, t: Any, step: int,
                mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]: ...

    def propose(self, tab: PartyTables, mem: dict, partner_u: np.ndarray, t: Any, step: int,
                mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]: ...
