"""Negotiation strategies as vectorised policies: arrays in, arrays out.

Every strategy is a frozen dataclass with two pure methods over a batch of runs:

- ``respond(tab, mem, offer_u, t, step, mask, rng) -> (accept, mem)``: accept the offer on
  the table (its utility to this party is ``offer_u``)?
- ``propose(tab, mem, partner_u, t, step, mask, rng) -> (offer, mem)``: the outcome id to
  offer; ``partner_u`` is the utility of the offer it just rejected (NaN if there was none).

``tab`` (:class:`PartyTables`) holds the party's utility of every outcome, shared by the batch
(or, with per-run scenarios, one table per run: every method then works row-wise on
(n_runs, n_outcomes) tables, with the same results row by row as a lone run), and its
reservation values per run; ``mem`` is a dict of per-run arrays the strategy carries
between turns; ``mask`` marks the runs in which the call really happens (state only changes
there); ``t`` is the normalised time (a float shared by the runs of a step, or an array);
``step`` the 0-based mechanism step. Nothing loops over runs.

Time-dependent concession (Faratin, Sierra & Jennings 1998, doi:10.1016/S0921-8890(98)00029-3)
is written in NegMAS's convention (``PolyAspiration``): the aspiration a(t) = 1 - t**e with
**Boulware e = 4, Linear e = 1, Conceder e = 0.25**, hardliner e = inf. Faratin's/GENIUS's
exponent beta (target = 1 - t**(1/beta) with k = 0; Boulware beta < 1) is e = 1/beta:
``TimeDependent.from_faratin(beta)``. The utility level is lo(t) = m + a(t)(M - m) with
m = max(min U, r) and M = max U, widened by eps; the offer is the worst outcome at or above it
and an offer is accepted when its utility is at least lo(t) (NegMAS 0.16 ``TimeBasedNegotiator``
with ``stochastic=False``). Details that decide ties are reproduced from NegMAS's presorting
inverter so that deterministic pairs reach the same agreements at the same step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ..errors import ScenarioError

__all__ = [
    "STRATEGIES",
    "Aspiration",
    "BestResponse",
    "NaiveTitForTat",
    "PartyTables",
    "RandomStrategy",
    "Strategy",
    "TimeDependent",
    "get_strategy",
    "row_keys",
    "searchsorted_rows",
    "strategy_names",
    "worst_in_rows",
]

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


def _aspiration(t: np.ndarray, exponent: float) -> np.ndarray:
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


def _boulware() -> TimeDependent:
    return TimeDependent(4.0, label="boulware")


#: Built-in strategies by name (NegMAS's default parameters).
STRATEGIES: Mapping[str, Any] = {
    "boulware": _boulware,
    "linear": lambda: TimeDependent(1.0, label="linear"),
    "conceder": lambda: TimeDependent(0.25, label="conceder"),
    "hardliner": lambda: TimeDependent(float("inf"), label="hardliner"),
    "aspiration": Aspiration,
    "tit_for_tat": NaiveTitForTat,
    "random": RandomStrategy,
    "best_response": BestResponse,
}

_ALIASES = {
    "naivetitfortat": "tit_for_tat", "titfortat": "tit_for_tat", "tft": "tit_for_tat",
    "naive_tit_for_tat": "tit_for_tat", "hardheaded": "hardliner", "bestresponse": "best_response",
}


def strategy_names() -> tuple[str, ...]:
    return tuple(STRATEGIES)


def get_strategy(spec: Any) -> Any:
    """A strategy from a name (case-insensitive; ``NaiveTitForTat`` etc. accepted) or an instance.

    Raises
    ------
    ScenarioError
        Unknown name (the message lists the valid ones).
    """
    if not isinstance(spec, str):
        if isinstance(spec, Strategy):
            return spec
        raise ScenarioError(f"not a strategy: {spec!r}", field="strategies")
    key = spec.strip().lower().replace("-", "_")
    key = _ALIASES.get(key.replace("_", ""), _ALIASES.get(key, key))
    if key not in STRATEGIES:
        raise ScenarioError(
            f"unknown strategy {spec!r}; valid: {', '.join(STRATEGIES)}", field="strategies"
        )
    return STRATEGIES[key]()
