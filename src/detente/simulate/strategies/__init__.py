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

Modules by kind: :mod:`.tables` (the party's tables, search helpers, the :class:`Strategy`
protocol), :mod:`.time_dependent`, :mod:`.tit_for_tat`, :mod:`.random_offers`,
:mod:`.best_response`; the registry :data:`STRATEGIES` below. Adding a strategy: one module (a
frozen dataclass with ``init``/``respond``/``propose``), one registry line, its tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ScenarioError
from .best_response import BestResponse
from .random_offers import RandomStrategy
from .tables import PartyTables, Strategy, row_keys, searchsorted_rows, worst_in_rows
from .time_dependent import Aspiration, TimeDependent
from .tit_for_tat import NaiveTitForTat

__all__ = [
    "MIX",
    "STRATEGIES",
    "Aspiration",
    "BestResponse",
    "NaiveTitForTat",
    "PartyTables",
    "RandomStrategy",
    "Strategy",
    "TimeDependent",
    "get_strategy",
    "mix",
    "row_keys",
    "searchsorted_rows",
    "strategy_names",
    "worst_in_rows",
]


#: ``strategies="mix"``: the five NegMAS reference strategies, every ordered pair of them with two
#: negotiators, each of them for everyone with any other number (the default of every surface).
MIX = ("boulware", "linear", "conceder", "tit_for_tat", "aspiration")


def mix(n_parties: int) -> list[tuple[str, ...]]:
    """The ``"mix"`` combinations for ``n_parties`` negotiators: every ordered pair of
    :data:`MIX` with two, each of them for everyone with any other number (run i plays
    combination i mod len)."""
    if n_parties == 2:
        return [(a, b) for a in MIX for b in MIX]
    return [(a,) * max(1, n_parties) for a in MIX]


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
