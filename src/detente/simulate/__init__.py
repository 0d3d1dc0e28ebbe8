"""Negotiation simulator: protocols and strategies as array policies, thousands of runs at once."""

from .engine import PROTOCOLS, simulate
from .protocols import REASONS, alternating_offers, single_text
from .result import SimulationResult, wilson_interval
from .strategies import (
    STRATEGIES,
    Aspiration,
    BestResponse,
    NaiveTitForTat,
    PartyTables,
    RandomStrategy,
    TimeDependent,
    get_strategy,
)

__all__ = [
    "Aspiration",
    "BestResponse",
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
    "simulate",
    "single_text",
    "wilson_interval",
]
