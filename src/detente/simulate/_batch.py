"""Batch helpers shared by the engine and the staged protocols: chunk sizes, strategy
combinations and their groups of runs, party tables, result assembly.

Strategies are given per **negotiator** (an actor seated at a table in some stage, in order of
first seat), never per seat, so a stage that seats only some of the negotiators plays each of
them with its own strategy (:func:`combos`, :func:`groups`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..negotiation.domain import Domain
from .strategies import PartyTables, get_strategy, mix
from .turns import Group

__all__ = ["DEFAULT_CHUNK", "MAX_RUNS", "PER_RUN_BUDGET", "PER_RUN_BYTES", "check_int", "combos", "concat",
           "groups", "label", "per_run_chunk", "tables", "values"]

MAX_RUNS = 100_000_000
DEFAULT_CHUNK = 50_000
#: Memory budget of one chunk's per-run tables (utility tables, sorted copies) when every run
#: has its own scenario; sets the default chunk size of that path.
PER_RUN_BUDGET = 160 * 2**20
#: Bytes per outcome and negotiating party held by a chunk with per-run tables (measured:
#: about 67): the party's utility table and its copy per strategy group with the opponent's
#: (8 + 16), sorted utilities, ids and tie positions (24), the search keys (16), temporaries.
PER_RUN_BYTES = 72


def per_run_chunk(n_outcomes: int, n_negotiators: int, budget: int = PER_RUN_BUDGET) -> int:
    """Default runs per chunk when every run has its own scenario (bounded memory)."""
    return int(max(16, min(DEFAULT_CHUNK, budget // max(1, n_outcomes * n_negotiators * PER_RUN_BYTES))))


def check_int(name: str, v: Any, lo: int = 1, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (hi is not None and v > hi):
        allowed = f">= {lo}" + (f" and <= {hi}" if hi else "")
        raise ScenarioError(f"must be an integer {allowed} (got {v!r})", field=name)
    return int(v)


def combos(strategies: Any, n_parties: int) -> list[tuple[Any, ...]]:
    """Normalise ``strategies`` into a list of per-negotiator tuples of strategy objects.

    ``"mix"`` (any case): every ordered pair of the five NegMAS reference strategies
    (:data:`~detente.simulate.strategies.MIX`) with two negotiators, each of the five for
    everyone with any other number; a comma-separated string or a sequence: one strategy per
    negotiator, or one for all; a list of such tuples: run i plays tuple i mod len.
    """
    if isinstance(strategies, str):
        if strategies.strip().lower() == "mix":
            strategies = mix(n_parties)
        else:
            strategies = [s for s in strategies.split(",")]
    strategies = list(strategies)
    if strategies and all(isinstance(c, (list, tuple)) for c in strategies):
        given = [tuple(c) for c in strategies]
    else:
        given = [tuple(strategies)]
    out = []
    for c in given:
        if len(c) == 1:
            c = c * n_parties
        if len(c) != n_parties:
            raise ScenarioError(
                f"give one strategy per negotiating party ({n_parties}) or one for all (got {len(c)}: {list(map(str, c))})",
                field="strategies",
            )
        out.append(tuple(get_strategy(s) for s in c))
    return out


def label(s: Any) -> str:
    return getattr(s, "label", type(s).__name__)


def groups(combos: list[tuple[Any, ...]], run_ids: np.ndarray, party: int) -> list[Group]:
    """Partition rows 0..len(run_ids)-1 by the strategy negotiator ``party`` plays (run i ->
    combo i % C)."""
    which = run_ids % len(combos)
    found: list[list] = []  # [strategy, combo indices]; equal strategies share one group
    for c, combo in enumerate(combos):
        for entry in found:
            if entry[0] is combo[party] or entry[0] == combo[party]:
                entry[1].append(c)
                break
        else:
            found.append([combo[party], [c]])
    out = []
    for strat, cs in found:
        rows = np.flatnonzero(np.isin(which, cs))
        if rows.size:
            out.append(Group(strat, rows))
    return out


def tables(U: np.ndarray, neg: Sequence[int], r: np.ndarray, nominal: np.ndarray) -> list[PartyTables]:
    """The tables of the parties ``neg`` (acting order) of shared utilities ``U`` (n_parties,
    n_outcomes), reservation values ``r`` (n_runs, n_parties); each party's opponent is the next
    one in acting order."""
    n_p = len(neg)
    out = []
    for k, a in enumerate(neg):
        b = neg[(k + 1) % n_p]
        out.append(PartyTables(U[a], r[:, a], U[b], float(nominal[a]), r[:, b]))
    return out


def concat(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in parts[0]:
        vals = [p[k] for p in parts]
        out[k] = None if vals[0] is None else np.concatenate(vals, axis=0)
    return out


def values(dom: Domain, agreement: np.ndarray) -> np.ndarray:
    """The agreed value on each issue, (n_runs, n_issues) objects (None without a deal)."""
    vi = dom.decode(agreement)
    out = np.empty(vi.shape, dtype=object)
    for k in range(dom.n_issues):
        vals = np.array(list(dom.values[k]) + [None], dtype=object)
        out[:, k] = vals[np.where(vi[:, k] >= 0, vi[:, k], len(dom.values[k]))]
    return out
