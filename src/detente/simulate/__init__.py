"""Negotiation simulator: protocols and strategies as array policies, thousands of runs at once.

- :mod:`.protocols`: the protocol registry (one module per protocol, one ``play`` signature);
- :mod:`.strategies`: the strategies, one module per kind, and their registry;
- :mod:`.engine`: :func:`simulate`, chunks and seeds; :mod:`.result`: :class:`SimulationResult`;
- :mod:`.turns`: reason codes and the bookkeeping shared by the protocols and the fast paths
  (:mod:`._fast`, :mod:`._kernel`).
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr as _lazy_getattr

# names load on first use, so `detente --help` and commands that only need the protocol names
# do not pay for numpy and the engine
_WHERE = {
    "PROTOCOLS": ".engine", "simulate": ".engine",
    "alternating_offers": ".protocols", "protocol_names": ".protocols",
    "single_text": ".protocols.single_text",
    "SimulationResult": ".result", "wilson_interval": ".result",
    "MIX": ".strategies", "STRATEGIES": ".strategies", "Aspiration": ".strategies",
    "BestResponse": ".strategies", "NaiveTitForTat": ".strategies", "PartyTables": ".strategies",
    "RandomStrategy": ".strategies", "TimeDependent": ".strategies", "get_strategy": ".strategies",
    "REASONS": ".turns",
}

if TYPE_CHECKING:
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


__getattr__ = _lazy_getattr(__name__, _WHERE, globals())


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
