"""Negotiation protocols: one module each, one signature, one registry, one dispatch point.

Every protocol advances *all* runs of a batch together; the only Python loops are over rounds
(mechanism steps) and the parties within a round. A protocol is a module exposing
``PROTOCOL``, a :class:`~.base.ProtocolSpec` whose ``play(table, rng) -> dict`` plays one batch
of negotiations at one :class:`~.base.Table` (the seated parties' tables, their strategy groups,
the deadline and options) and returns the per-run arrays of :data:`~.base.RESULT_KEYS`.

- :mod:`.alternating`: the stacked alternating offers protocol (SAOP) with NegMAS 0.16
  ``SAOMechanism`` semantics (Aydogan et al. 2017; Rubinstein 1982 for two parties);
- :mod:`.single_text`: Raiffa's single negotiating text with a random-mutation mediator and
  unanimous voting (Raiffa 1982, ch. 14; Klein, Faratin, Sayama & Bar-Yam 2003);
- :mod:`.summit`: a scenario's stages in order, any shape (``staged``: its stage runner
  :func:`.summit.run_stages` chains the tables; each stage is played by alternating offers).

:data:`PROTOCOLS` is the registry: the engine (:func:`detente.simulate.simulate`) dispatches
through :func:`play`, and the CLI help, the API schemas and ``SimulatorModel`` take their
choices from :func:`protocol_names`.

Adding a protocol (three files)
-------------------------------
1. ``src/detente/simulate/protocols/<name>.py``: ``def play(table: Table, rng) -> dict`` that
   returns :data:`~.base.RESULT_KEYS` arrays over the table's runs (``table.tables()`` gives the
   seated parties' :class:`~detente.simulate.strategies.PartyTables`; ``table.groups`` which
   strategy each seat plays in which runs; draw randomness only from ``rng``), and
   ``PROTOCOL = ProtocolSpec(name="<name>", play=play)``
   (``strategies=False`` for a mediator protocol, ``walk_away=True`` to default walk-away on).
2. One line in ``_SUMMARIES`` below: the name (also the module's name) and a one-line summary
   for the help.
3. ``tests/simulate/test_<name>.py``: its rules on a small domain, the same seed giving the
   same result, and a run through ``simulate(..., protocol="<name>")``.

The CLI (``detente simulate --protocol <name>``), ``POST /simulate``, Monte Carlo over the
simulator and the report pick it up from the registry; nothing else changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..._lazy import LazyRegistry, lazy_getattr
from ...errors import ScenarioError

if TYPE_CHECKING:
    import numpy as np

    from ..turns import AGREEMENT, DEADLINE, REASONS, VETO, WALK_AWAY, Group
    from .alternating import alternating_offers
    from .base import RESULT_KEYS, BatchSource, ProtocolSpec, Table
    from .single_text import single_text as single_text_offers

__all__ = [
    "AGREEMENT",
    "DEADLINE",
    "PROTOCOLS",
    "REASONS",
    "RESULT_KEYS",
    "VETO",
    "WALK_AWAY",
    "BatchSource",
    "Group",
    "ProtocolSpec",
    "Table",
    "alternating_offers",
    "get_protocol",
    "play",
    "protocol_names",
    "protocol_summaries",
    "single_text_offers",
]


#: The protocol registry, one line per protocol: name -> one line for the CLI help and the API
#: schema. The protocol itself is ``PROTOCOL`` of this package's module ``<name>.py``, imported
#: when first looked up in :data:`PROTOCOLS` (the CLI's help needs only names and summaries).
_SUMMARIES = {
    "alternating": "stacked alternating offers among the parties at the table (NegMAS SAO semantics)",
    "single_text": "a mediator's single negotiating text, changed under unanimity",
    "summit": "the scenario's stages in order, each a stacked alternating-offers negotiation among its seats",
}
PROTOCOLS: LazyRegistry[ProtocolSpec] = LazyRegistry(
    {name: f"{__name__}.{name}:PROTOCOL" for name in _SUMMARIES},
    finish=lambda name, spec: replace(spec, summary=_SUMMARIES[name]),
)

#: names this package re-exports from its modules, loaded on first use (PEP 562)
_LAZY = {
    "AGREEMENT": "..turns", "DEADLINE": "..turns", "REASONS": "..turns", "VETO": "..turns",
    "WALK_AWAY": "..turns", "Group": "..turns",
    "RESULT_KEYS": ".base", "BatchSource": ".base", "ProtocolSpec": ".base", "Table": ".base",
    "alternating_offers": ".alternating", "single_text_offers": ".single_text:single_text",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def protocol_names() -> tuple[str, ...]:
    """The registered protocol names, in registry order."""
    return tuple(PROTOCOLS)


def protocol_summaries() -> dict[str, str]:
    """name -> one-line summary, in registry order (no protocol module is loaded)."""
    return {k: _SUMMARIES[k] if k in _SUMMARIES else PROTOCOLS[k].summary for k in PROTOCOLS}


def get_protocol(name: Any) -> ProtocolSpec:
    """The registered protocol ``name``.

    Raises
    ------
    ScenarioError
        Unknown name (the message lists the valid ones).
    """
    if not isinstance(name, str) or name not in PROTOCOLS:
        raise ScenarioError(f"unknown protocol {name!r}; valid: {', '.join(PROTOCOLS)}", field="protocol")
    return PROTOCOLS[name]


def play(protocol: str, table: Table, rng: np.random.Generator) -> dict[str, Any]:
    """Play one batch of negotiations at ``table`` with ``protocol`` (the dispatch point)."""
    return get_protocol(protocol).play(table, rng)
