"""A batch of negotiation domains that share one outcome space: one scenario draw per run.

:class:`DomainBatch` holds a leading **run axis** on everything a draw of the scenario can
change: the per-issue value utilities, the issue weights, the red-line masks and the
reservation values. The outcome space (issues, values, enumeration order) is shared, so an
outcome id means the same thing in every run. Utility tables are never built for the whole
batch at once: :meth:`DomainBatch.utilities` builds them for the rows of one chunk, so memory
is bounded by the chunk, not by the number of runs.

:func:`scenario_domains` builds a batch from a Scenario and batched
:class:`~detente.scenario.arrays.ScenarioArrays` (e.g. a Monte Carlo ensemble from
:mod:`detente.uncertainty.perturb`) with the rules of :func:`~.from_scenario.scenario_domain`,
vectorised over the runs (loops only over actors, issues and delegation members), and with the
same floating-point operations in the same order: run i of the batch gives bit for bit the
utilities and reservation values of ``scenario_domain`` on draw i alone (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ScenarioError
from .domain import VIOLATION_PENALTY, Domain, _ro
from .from_scenario import _grid, _members, _score, scenario_domain

__all__ = ["DomainBatch", "same_members", "scenario_domains", "scenario_reservations", "take_runs"]

#: ScenarioArrays fields that may carry a run axis, with their unbatched number of dimensions
_RUN_FIELDS = {"position": 2, "salience": 2, "power": 1, "red_low": 2, "red_high": 2,
               "walk_utility": 1, "walk_position": 2}


@dataclass(frozen=True, slots=True, eq=False)
class DomainBatch:
    """One domain per run over a shared outcome space.

    Attributes
    ----------
    base : Domain
        The shared outcome space (issues, values, parties) and the labels of results; its own
        utilities are not used.
    value_tables : tuple of ndarray, each (n_runs or 1, n_parties, n_values_i)
        Normalised value utilities e / max e per issue (1 on the leading axis: shared).
    weights : (n_runs or 1, n_parties, n_issues)
        Issue weights (sum 1 per party, or 0 for a party without stakes).
    reservation : (n_runs, n_parties)
    allowed : tuple of ndarray (n_runs or 1, n_parties, n_values_i) bool, or None
        Values inside each party's hard constraints (red lines).
    """

    base: Domain
    value_tables: tuple[np.ndarray, ...]
    weights: np.ndarray
    reservation: np.ndarray
    allowed: tuple[np.ndarray, ...] | None = None

    def __post_init__(self) -> None:
        d = self.base
        r = np.asarray(self.reservation, dtype=float)
        if r.ndim != 2 or r.shape[1] != d.n_parties or r.shape[0] < 1:
            raise ScenarioError(f"reservation values must have shape (n_runs, {d.n_parties}) (got {r.shape})",
                                field="reservation")
        if not np.all(np.isfinite(r)):
            raise ScenarioError("reservation values must be finite", field="reservation")
        n = r.shape[0]
        object.__setattr__(self, "reservation", _ro(r))
        vts = []
        for k, vt in enumerate(self.value_tables):
            vt = np.asarray(vt, dtype=float)
            if vt.ndim != 3 or vt.shape[0] not in (1, n) or vt.shape[1:] != (d.n_parties, d.cardinalities[k]):
                raise ScenarioError(f"issue {d.issues[k]!r}: value table has shape {vt.shape}, expected "
                                    f"({n} or 1, {d.n_parties}, {d.cardinalities[k]})", field="value_tables")
            vts.append(_ro(vt))
        if len(vts) != d.n_issues:
            raise ScenarioError(f"{len(vts)} value tables for {d.n_issues} issues", field="value_tables")
        object.__setattr__(self, "value_tables", tuple(vts))
        w = np.asarray(self.weights, dtype=float)
        if w.ndim != 3 or w.shape[0] not in (1, n) or w.shape[1:] != (d.n_parties, d.n_issues):
            raise ScenarioError(f"weights have shape {w.shape}, expected ({n} or 1, {d.n_parties}, {d.n_issues})",
                                field="weights")
        object.__setattr__(self, "weights", _ro(w))
        if self.allowed is not None:
            al = []
            for k, a in enumerate(self.allowed):
                a = np.asarray(a, dtype=bool)
                if a.ndim != 3 or a.shape[0] not in (1, n) or a.shape[1:] != (d.n_parties, d.cardinalities[k]):
                    raise ScenarioError(f"issue {d.issues[k]!r}: red-line mask has shape {a.shape}", field="allowed")
                al.append(_ro(a, dtype=bool))
            object.__setattr__(self, "allowed", tuple(al))

    # ------------------------------------------------------------------ sizes
    @property
    def n_runs(self) -> int:
        return int(self.reservation.shape[0])

    @property
    def n_parties(self) -> int:
        return self.base.n_parties

    @property
    def n_outcomes(self) -> int:
        return self.base.n_outcomes

    @classmethod
    def from_domain(cls, domain: Domain, n_runs: int, *, reservation: np.ndarray | None = None,
                    weights: np.ndarray | None = None) -> DomainBatch:
        """A batch of ``n_runs`` copies of one domain, optionally with per-run reservation values
        (n_runs, n_parties) and issue weights (n_runs, n_parties, n_issues)."""
        r = np.asarray(domain.reservation if reservation is None else reservation, dtype=float)
        if r.shape not in ((domain.n_parties,), (n_runs, domain.n_parties)):
            raise ScenarioError(f"reservation values must have shape ({n_runs}, {domain.n_parties}) "
                                f"(got {r.shape})", field="reservation")
        r = np.broadcast_to(r, (n_runs, domain.n_parties))
        w = domain.weights[None] if weights is None else np.asarray(weights, dtype=float)
        if w.ndim == 2:
            w = w[None]
        return cls(
            base=domain,
            value_tables=tuple(v[None] for v in domain.value_tables()),
            weights=w,
            reservation=r,
            allowed=None if domain.allowed is None else tuple(a[None] for a in domain.allowed),
        )

    def _rows(self, a: np.ndarray, rows: np.ndarray, parties) -> np.ndarray:
        a = a if parties is None else a[:, parties]
        return a if a.shape[0] == 1 else a[rows]

    def utilities(self, rows: np.ndarray, parties: Sequence[int] | None = None) -> np.ndarray:
        """Utility tables of some runs, (n_parties, len(rows), n_outcomes), C-contiguous per party.

        Each outcome's utility is summed issue by issue in the order of :meth:`Domain.utilities`
        (``u = 0; u += w_k v_k``), so each row is bit for bit the table of that run's domain
        alone; the Cartesian product is built by broadcasting (one addition per outcome and
        issue prefix), never by gathering every issue's value for every outcome.
        """
        rows = np.asarray(rows, dtype=np.int64)
        ps = list(range(self.n_parties)) if parties is None else list(parties)
        n = rows.size
        acc = np.zeros((len(ps), n, 1))
        for k in range(self.base.n_issues):
            w = self._rows(self.weights, rows, ps)[:, :, k]  # (n or 1, P)
            vt = self._rows(self.value_tables[k], rows, ps)  # (n or 1, P, V)
            term = (w[:, :, None] * vt).transpose(1, 0, 2)  # (P, n or 1, V)
            acc = _outer(acc, term, np.add)
        if self.allowed is not None:
            ok = self.feasible(rows, ps)
            np.subtract(acc, VIOLATION_PENALTY, out=acc, where=~ok)
        return acc

    def feasible(self, rows: np.ndarray, parties: Sequence[int] | None = None) -> np.ndarray:
        """(n_parties, len(rows), n_outcomes) bool: the outcome keeps the party's red lines."""
        rows = np.asarray(rows, dtype=np.int64)
        ps = list(range(self.n_parties)) if parties is None else list(parties)
        if self.allowed is None:
            return np.ones((len(ps), rows.size, self.n_outcomes), dtype=bool)
        ok = np.ones((len(ps), rows.size, 1), dtype=bool)
        for k in range(self.base.n_issues):
            al = self._rows(self.allowed[k], rows, ps).transpose(1, 0, 2)
            ok = _outer(ok, al, np.logical_and)
        return ok

    def utility_of(self, rows: np.ndarray, outcome: np.ndarray) -> np.ndarray:
        """Every party's utility of one outcome per run, (n_parties, len(rows)); the same value as
        the run's utility table at that outcome (NaN-free; -1 ids give the utility of outcome 0)."""
        rows = np.asarray(rows, dtype=np.int64)
        vi = self.base.decode(np.maximum(np.asarray(outcome, dtype=np.int64), 0))
        n = rows.size
        u = np.zeros((self.n_parties, n))
        ok = np.ones((self.n_parties, n), dtype=bool)
        col = np.arange(n)
        for k in range(self.base.n_issues):
            w = self._rows(self.weights, rows, None)[:, :, k]
            vt = self._rows(self.value_tables[k], rows, None)
            v = vt[np.minimum(col, vt.shape[0] - 1), :, vi[:, k]]  # (n, P)
            u += (w * v).T if w.shape[0] == n else w.T * v.T
            if self.allowed is not None:
                al = self._rows(self.allowed[k], rows, None)
                ok &= al[np.minimum(col, al.shape[0] - 1), :, vi[:, k]].T
        if self.allowed is not None:
            u = np.where(ok, u, u - VIOLATION_PENALTY)
        return u

    def feasible_of(self, rows: np.ndarray, outcome: np.ndarray) -> np.ndarray:
        """(n_parties, len(rows)) bool: each run's outcome keeps each party's red lines."""
        rows = np.asarray(rows, dtype=np.int64)
        n = rows.size
        ok = np.ones((self.n_parties, n), dtype=bool)
        if self.allowed is None:
            return ok
        vi = self.base.decode(np.maximum(np.asarray(outcome, dtype=np.int64), 0))
        col = np.arange(n)
        for k in range(self.base.n_issues):
            al = self._rows(self.allowed[k], rows, None)
            ok &= al[np.minimum(col, al.shape[0] - 1), :, vi[:, k]].T
        return ok

    def take(self, rows: np.ndarray) -> DomainBatch:
        """The batch of some runs (rows renumbered 0..len(rows)-1)."""
        rows = np.asarray(rows, dtype=np.int64)

        def cut(a: np.ndarray) -> np.ndarray:
            return a if a.shape[0] == 1 else a[rows]

        return DomainBatch(
            base=self.base,
            value_tables=tuple(cut(v) for v in self.value_tables),
            weights=cut(self.weights),
            reservation=self.reservation[rows],
            allowed=None if self.allowed is None else tuple(cut(a) for a in self.allowed),
        )

    def table_bytes(self) -> int:
        """Bytes of one run's utility tables (all parties), for sizing chunks."""
        return 8 * self.n_parties * self.n_outcomes


def _outer(acc: np.ndarray, term: np.ndarray, op) -> np.ndarray:
    """``op(acc[:, :, :, None], term[:, :, None, :])`` flattened to (P, n, N * V): the outcome
    grid extended by one issue (its values varying fastest). Written value by value, so that
    every numpy call runs over the N outcomes of the prefix rather than over the V values of
    one issue (the same elementwise operations, many times fewer inner loops)."""
    P, n, N = acc.shape
    V = term.shape[-1]
    out = np.empty((P, n, N, V), dtype=np.result_type(acc, term))
    for j in range(V):
        op(acc, term[:, :, j:j + 1], out=out[:, :, :, j])
    return out.reshape(P, n, N * V)


def take_runs(arrays, rows: np.ndarray, credibility: np.ndarray | None = None):
    """Some runs of per-run ScenarioArrays (and credibilities): fields with a run axis are cut."""
    rows = np.asarray(rows, dtype=np.int64)
    changes = {}
    for f, nd in _RUN_FIELDS.items():
        v = getattr(arrays, f)
        if v.ndim > nd:
            changes[f] = v[rows]
    cut = arrays.replace(**changes) if changes else arrays
    cred = None
    if credibility is not None:
        c = np.asarray(credibility, dtype=float)
        cred = c[rows] if c.ndim == 2 else c
    return cut, cred


def _batch(x: np.ndarray, n: int, tail: tuple[int, ...]) -> np.ndarray:
    try:
        return np.broadcast_to(np.asarray(x, dtype=float), (n, *tail))
    except ValueError:
        raise ScenarioError(f"array has shape {np.shape(x)}, expected ({n}, {', '.join(map(str, tail))}) "
                            "or no run axis", field="arrays") from None


def _n_runs(arrays, credibility) -> int:
    shapes = [arrays.position.shape[:-2], arrays.salience.shape[:-2], arrays.power.shape[:-1],
              arrays.red_low.shape[:-2], arrays.red_high.shape[:-2], arrays.walk_utility.shape[:-1],
              arrays.walk_position.shape[:-2]]
    if credibility is not None:
        shapes.append(np.shape(credibility)[:-1])
    lead = {s for s in shapes if s}
    if any(len(s) != 1 for s in lead):
        raise ScenarioError(f"per-run arrays need exactly one leading run axis (got leading shapes {sorted(lead)})",
                            field="arrays")
    sizes = {s[0] for s in lead}
    if len(sizes) > 1:
        raise ScenarioError(f"per-run arrays disagree on the number of runs ({sorted(sizes)})", field="arrays")
    return sizes.pop() if sizes else 1


def _check_arrays(scenario, arrays) -> None:
    if tuple(arrays.actors) != tuple(scenario.actor_ids) or tuple(arrays.issues) != tuple(scenario.issue_ids):
        raise ScenarioError("the per-run arrays do not belong to this scenario (actors or issues differ)",
                            field="arrays")


def scenario_domains(
    scenario,
    arrays,
    *,
    levels: int = 5,
    members: dict[str, Sequence[str]] | None = None,
    credibility: np.ndarray | None = None,
    reservation: np.ndarray | None = None,
) -> DomainBatch:
    """One negotiation domain per scenario draw, as a :class:`DomainBatch`.

    Parameters
    ----------
    scenario : Scenario
        The scenario the draws perturb (delegations, stages, threat costs, issue scales).
    arrays : ScenarioArrays
        With one leading run axis (n_runs, ...) on any of position, salience, power, red_low,
        red_high, walk_utility, walk_position (unbatched arrays are shared by all runs).
    levels : int
        Grid values per issue.
    members : dict actor id -> member ids, optional
        Delegation members in the room.
    credibility : (n_runs, n_threats), optional
        Per-run threat credibilities (default: the scenario's).
    reservation : (n_runs, n_actors), optional
        Use these reservation values instead of :func:`scenario_reservations`.
    """
    _check_arrays(scenario, arrays)
    n = _n_runs(arrays, credibility)
    grids = _grid(scenario, levels)
    n_a, n_i = len(scenario.actors), len(scenario.issues)
    pos = _batch(arrays.position, n, (n_a, n_i))
    sal = _batch(arrays.salience, n, (n_a, n_i))
    red_low = _batch(arrays.red_low, n, (n_a, n_i))
    red_high = _batch(arrays.red_high, n, (n_a, n_i))
    stake = np.asarray(arrays.stake, dtype=bool)
    members = members or {}
    vts, allowed, raw_max = [], [], []
    for j, iss in enumerate(scenario.issues):
        width = iss.scale.max - iss.scale.min
        g = grids[j][None, :]
        sc = np.ones((n, n_a, levels))
        for k, actor in enumerate(scenario.actors):
            if not stake[k, j]:
                continue
            own = pos[:, k, j][:, None]
            mem = _members(actor, members.get(actor.id))
            sc[:, k] = sum(w * _score(g, p.get(iss.id, own), width) for w, p in mem)
        sc = np.maximum(sc, 0.0)
        mx = sc.max(axis=-1, keepdims=True)
        raw_max.append(mx[..., 0])
        vts.append(np.where(mx > 0, sc / np.where(mx > 0, mx, 1.0), 0.0))
        tol = 1e-9 * max(1.0, abs(width))
        allowed.append((g[None] >= red_low[:, :, j:j + 1] - tol) & (g[None] <= red_high[:, :, j:j + 1] + tol))
    s = np.where(stake, sal, 0.0)
    tot = s.sum(axis=-1, keepdims=True)
    weights = np.where(tot > 0, s / np.where(tot > 0, tot, 1.0), 0.0)
    base = scenario_domain(scenario, levels=levels, members=members, reservation=np.zeros(n_a))
    if reservation is None:
        reservation = _reservations(scenario, arrays, n, weights, raw_max, credibility)
    r = np.broadcast_to(np.asarray(reservation, dtype=float), (n, n_a))
    return DomainBatch(base=base, value_tables=tuple(vts), weights=weights, reservation=r, allowed=tuple(allowed))


def same_members(scenario, a: dict[str, Sequence[str]] | None, b: dict[str, Sequence[str]] | None) -> bool:
    """Whether two choices of delegation members in the room (as ``members`` of
    :func:`scenario_domains`) weigh every actor's members alike, so that they give the same
    value tables (e.g. a stage that seats whole delegations, named or not)."""
    a, b = a or {}, b or {}
    return all(_members(x, a.get(x.id)) == _members(x, b.get(x.id)) for x in scenario.actors)


def scenario_reservations(scenario, arrays, *, credibility: np.ndarray | None = None,
                          levels: int = 5) -> np.ndarray:
    """Reservation value per run and actor, (n_runs, n_actors):
    :func:`~.from_scenario.actor_reservations` plus :func:`~.from_scenario.threat_shifts`,
    vectorised over the runs (the same numbers as the single-scenario functions on each draw)."""
    return scenario_domains(scenario, arrays, levels=levels, credibility=credibility).reservation


def _reservations(scenario, arrays, n: int, weights: np.ndarray, raw_max: list[np.ndarray],
                  credibility: np.ndarray | None) -> np.ndarray:
    """The rules of ``actor_reservations`` + ``threat_shifts`` over a batch. ``raw_max[j]`` is
    (n, n_actors) the clipped raw score of each actor's best grid value on issue j (the domain's
    normaliser, as ``dom.scores[j].max()`` in the single-scenario code)."""
    n_a, n_i = len(scenario.actors), len(scenario.issues)
    pos = _batch(arrays.position, n, (n_a, n_i))
    walk_u = _batch(arrays.walk_utility, n, (n_a,))
    walk_p = _batch(arrays.walk_position, n, (n_a, n_i))
    stake = np.asarray(arrays.stake, dtype=bool)
    sq = np.asarray(arrays.status_quo, dtype=float)
    mid = 0.5 * (np.asarray(arrays.scale_min) + np.asarray(arrays.scale_max))
    filled = np.where(stake, pos, mid)
    w_all = np.broadcast_to(weights, (n, n_a, n_i))
    r = np.zeros((n, n_a))
    for k, actor in enumerate(scenario.actors):
        has_pos = np.any(~np.isnan(walk_p[:, k]), axis=-1)
        fill = np.where(np.isnan(sq), filled[:, k], sq)
        x_walk = np.where(np.isnan(walk_p[:, k]), fill, walk_p[:, k])
        x = np.where(has_pos[:, None], x_walk, np.broadcast_to(sq, (n, n_i)))
        total = np.zeros(n)
        mem = _members(actor, None)
        for j, iss in enumerate(scenario.issues):
            if not stake[k, j]:
                continue
            width = iss.scale.max - iss.scale.min
            e = sum(w * _score(x[:, j], p.get(iss.id, pos[:, k, j]), width) for w, p in mem)
            mx = raw_max[j][:, k]
            total = total + w_all[:, k, j] * np.where(mx > 0, e / np.where(mx > 0, mx, 1.0), 0.0)
        from_pos = np.where(has_pos | ~np.any(np.isnan(sq)), total, 0.0)
        r[:, k] = np.where(np.isnan(walk_u[:, k]), from_pos, walk_u[:, k])
    ids = scenario.actor_ids
    d = np.zeros((n, n_a))
    cred = (np.broadcast_to(np.asarray(credibility, dtype=float), (n, len(scenario.threats)))
            if credibility is not None else None)
    for t, th in enumerate(scenario.threats):
        c = th.credibility if cred is None else cred[:, t]
        d[:, ids.index(th.target)] -= c * th.cost_to_target
        d[:, ids.index(th.issuer)] -= c * th.cost_to_issuer
    return r + d
