"""Negotiation simulator: protocols and strategies as array policies, thousands of runs at once.

- :mod:`.protocols`: the protocol registry (one module per protocol, one ``play`` signature);
- :mod:`.strategies`: the strategies, one module per kind, and their registry;
- :mod:`.engine`: :func:`simulate`, chunks and seeds; :mod:`.result`: :class:`SimulationResult`;
- :mod:`.turns`: reason codes and the bookkeeping shared by the protocols and the fast paths
  (:mod:`._fast`, :mod:`._kernel`).
"""

from .engine import PROTOCOLS, simulate
from .protocols import alternating_offers, protocol_names
from .protocols.single_text import single_text
from .result import SimulationResult, wilson_interval
from .strategies import (
    MIX,
    STRATEGIES,
    Aspiration,
    BestResponse,
    NaiveTitForTat,
    PartyTables,
    RandomStrategy,
    TimeDependent,
    get_strategy,
)
from .turns import REASONS

__all__ = [
    "Aspiration",
    "BestResponse",
    "MIX",
    "NaiveTitForTat",
    "PROTOCOLS",
    "PartyTables",
    "REASONS",
    "RandomStrategy",
    "STRATEGIES",
    "SimulationResult",
    "TimeDependent",
    "alternating_offers",
    "get_strategy",
    "protocol_names",
    "simulate",
    "single_text",
    "wilson_interval",
]
