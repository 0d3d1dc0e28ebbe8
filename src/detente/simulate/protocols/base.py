"""The one signature every protocol implements: ``play(table, rng) -> dict of arrays``.

A :class:`Table` is one batch of negotiations among the parties seated at one table (a whole
negotiation, or one stage of a summit): their utility tables (built on demand), the strategy
groups, the deadline and the options. A protocol module exposes a :class:`ProtocolSpec`
(``PROTOCOL``) whose ``play`` returns per-run arrays (see :data:`RESULT_KEYS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..strategies import PartyTables
from ..turns import Group

__all__ = ["RESULT_KEYS", "BatchSource", "ProtocolSpec", "Table"]

#: What ``play`` returns, each (n_runs,) unless noted: ``agreement`` (outcome id, -1 none),
#: ``reason`` (code, :data:`~detente.simulate.turns.REASONS`), ``step``, ``n_offers``,
#: ``last_proposer`` and ``ended_by`` (seat indices, -1 none), ``last_offer`` (n_seats, n_runs)
#: and ``offers`` (n_runs, n_steps, n_seats) or None.
RESULT_KEYS = ("agreement", "reason", "step", "n_offers", "last_proposer", "ended_by", "last_offer", "offers")


@dataclass(frozen=True, slots=True)
class BatchSource:
    """Per-run value tables a compiled engine may build each run's utilities from (instead of
    the chunk-wide ``Table.tables()``): rows ``rows`` of ``batch`` (a DomainBatch), the seated
    ``parties`` (domain indices, acting order), their current and nominal reservation values
    (n_rows, n_seats)."""

    batch: Any
    rows: np.ndarray
    parties: tuple[int, ...]
    reservation: np.ndarray
    nominal: np.ndarray


@dataclass(frozen=True, slots=True)
class Table:
    """One batch of negotiations at one table.

    Attributes
    ----------
    tables : callable () -> list of PartyTables
        Each seated party's tables in acting order (built only when called).
    groups : list (per seat) of list of Group
        Which strategy each seat plays in which runs; empty for a mediator protocol.
    cardinalities : tuple of int
        Values per issue of the outcome space (outcome ids enumerate their product).
    n_steps : int
        Deadline in steps (rounds).
    walk_away, walk_patience, trace, time_limit, step_time
        As in :func:`detente.simulate.simulate`.
    backend : {"auto", "numba", "numpy"}
        Engine of the fast paths (:mod:`detente.backends`; same results).
    fast : bool
        False plays every strategy object on the general path (what the fast paths are
        tested against).
    source : BatchSource, optional
        Per-run value tables for a compiled engine.
    """

    tables: Callable[[], list[PartyTables]]
    groups: list[list[Group]]
    cardinalities: tuple[int, ...]
    n_steps: int
    walk_away: bool = False
    walk_patience: float = 0.5
    trace: bool = False
    time_limit: float | None = None
    step_time: float = 1.0
    backend: str = "auto"
    fast: bool = True
    source: BatchSource | None = None


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    """A registered protocol.

    Attributes
    ----------
    name : str
        Its registry key (what ``protocol=`` takes).
    play : callable (Table, Generator) -> dict
        One batch of negotiations at one table (:data:`RESULT_KEYS`).
    summary : str
        One line for the CLI help and the API schema (set by the registry,
        :data:`~detente.simulate.protocols.PROTOCOLS`).
    strategies : bool
        Whether the parties play strategies (False: a mediator moves; results carry the label
        ``mediator``).
    staged : bool
        Plays a scenario's ``stages``, one table per bargaining stage (needs a scenario).
    walk_away : bool
        Default of ``walk_away``.
    """

    name: str
    play: Callable[[Table, np.random.Generator], dict[str, Any]]
    summary: str = ""
    strategies: bool = True
    staged: bool = False
    walk_away: bool = False
    references: tuple[str, ...] = field(default=())
