"""The simulation entry point with the shared defaults (:data:`DEFAULTS`).

Defaults (the CLI's): ``runs=1000``; ``protocol=None``, the staged ``summit`` for a scenario
with stages and ``alternating`` otherwise; ``strategies="mix"``, every ordered pair of the five
NegMAS reference strategies (with more than two negotiators: each of them for everyone);
``steps=100``, ``levels=5``; ``seed=None``: fresh entropy, recorded in the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ScenarioError
from .defaults import DEFAULTS
from .seeding import SeedLike, resolve_seed

__all__ = ["MIX", "load_source", "negotiators", "resolve_protocol", "simulate", "strategy_spec"]

#: ``strategies="mix"``: every ordered pair of the five NegMAS reference strategies
MIX = ("boulware", "linear", "conceder", "tit_for_tat", "aspiration")


def load_source(source: Any) -> Any:
    """A Domain or Scenario from a Domain, a Scenario, a built-in name, a scenario file or a
    GENIUS folder."""
    from ..simulate.engine import load_source as _load

    return _load(source)


def _is_scenario(src: Any) -> bool:
    from ..scenario.schema import Scenario

    return isinstance(src, Scenario)


def resolve_protocol(src: Any, protocol: str | None) -> str:
    """The protocol to play: as given, or the default (summit with stages, else alternating)."""
    if protocol is not None:
        return protocol
    return "summit" if _is_scenario(src) and src.stages else "alternating"


def negotiators(src: Any) -> int:
    """Parties at the table (a scenario's present actors, a domain's parties)."""
    return sum(a.present for a in src.actors) if _is_scenario(src) else src.n_parties


def strategy_spec(spec: str | Sequence[Any] | None, n_parties: int = 2) -> Any:
    """Strategies for :func:`detente.simulate.simulate` from ``"mix"``, comma-separated names
    or a sequence (one per party, one for all, or a list of tuples)."""
    if spec is None:
        spec = DEFAULTS.strategies
    if not isinstance(spec, str):
        return list(spec)
    spec = spec.strip()
    if spec.lower() == "mix":
        if n_parties != 2:  # every party plays the same strategy, one batch slice per strategy
            return [(a,) for a in MIX]
        return [(a, b) for a in MIX for b in MIX]
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise ScenarioError("give strategy names separated by commas, or 'mix'", field="--strategies")
    return parts


def simulate(source: Any, *, runs: int = DEFAULTS.runs, protocol: str | None = DEFAULTS.protocol,
             strategies: str | Sequence[Any] | None = DEFAULTS.strategies, steps: int = DEFAULTS.steps,
             seed: SeedLike = None, levels: int = DEFAULTS.levels, walk_away: bool | None = None,
             chunk_size: int = DEFAULTS.sim_chunk_size, time_limit: float | None = None,
             progress: Callable[[int, int], None] | None = None) -> Any:
    """Simulate ``runs`` negotiations (:func:`detente.simulate.simulate`) with the shared
    defaults; returns the :class:`~detente.simulate.SimulationResult`. A scenario's recorded
    outcome is never shown to the negotiators."""
    from ..simulate.engine import simulate as _simulate

    src = load_source(source)
    proto = resolve_protocol(src, protocol)
    strat = strategy_spec(strategies, negotiators(src))
    if _is_scenario(src):
        src = src.without_outcome()
    return _simulate(src, runs=runs, protocol=proto, strategies=strat, steps=steps, seed=resolve_seed(seed),
                     levels=levels, walk_away=walk_away, chunk_size=chunk_size, time_limit=time_limit,
                     progress=progress)
