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
from ..scenario import is_scenario
from .defaults import DEFAULTS
from .seeding import SeedLike, resolve_seed

__all__ = ["MIX", "load_source", "negotiators", "protocol_help", "protocol_names", "resolve_protocol", "simulate",
           "strategy_spec"]

#: ``strategies="mix"``: every ordered pair of the five NegMAS reference strategies
MIX = ("boulware", "linear", "conceder", "tit_for_tat", "aspiration")


def load_source(source: Any) -> Any:
    """A Domain or Scenario from a Domain, a Scenario, a built-in name, a scenario file or a
    GENIUS folder."""
    from ..simulate.engine import load_source as _load

    return _load(source)


def resolve_protocol(src: Any, protocol: str | None) -> str:
    """The protocol to play: as given, or the default (summit with stages, else alternating)."""
    if protocol is not None:
        return protocol
    return "summit" if is_scenario(src) and src.stages else "alternating"


def negotiators(src: Any, protocol: str | None = None) -> int:
    """How many parties negotiate (take one strategy each) when ``src`` is played with
    ``protocol`` (default: :func:`resolve_protocol`'s): a domain's parties, a scenario's actors
    present, or in a staged summit those seated in a bargaining stage."""
    from ..simulate.engine import negotiators as _negotiators

    return len(_negotiators(src, resolve_protocol(src, protocol)))


def protocol_names() -> tuple[str, ...]:
    """The simulator's registered protocols (``detente.simulate.protocols.PROTOCOLS``), in
    registry order; () when the simulator is not installed."""
    from .capabilities import module

    try:
        mod = module("detente.simulate.protocols")
    except ImportError:
        return ()
    return tuple(mod.PROTOCOLS) if mod is not None else ()


def protocol_help() -> str:
    """One line per protocol, ``name: summary`` (the CLI help and the API schema)."""
    from .capabilities import module

    try:
        mod = module("detente.simulate.protocols")
    except ImportError:
        return ""
    return "; ".join(f"{k}: {v}" for k, v in mod.protocol_summaries().items()) if mod is not None else ""


def strategy_spec(spec: str | Sequence[Any] | None, n_parties: int = 2) -> Any:
    """Strategies for :func:`detente.simulate.simulate` from ``"mix"``, comma-separated names
    or a sequence (one per party, one for all, or a list of tuples)."""
    if spec is None:
        spec = DEFAULTS.strategies
    if not isinstance(spec, str):
        return list(spec)
    spec = spec.strip()
    if spec.lower() == "mix":  # the simulator's one rule (detente.simulate.strategies.mix)
        from ..simulate.strategies import mix

        return mix(n_parties)
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise ScenarioError("give strategy names separated by commas, or 'mix'", field="--strategies")
    return parts


def simulate(source: Any, *, runs: int = DEFAULTS.runs, protocol: str | None = DEFAULTS.protocol,
             strategies: str | Sequence[Any] | None = DEFAULTS.strategies, steps: int = DEFAULTS.steps,
             seed: SeedLike = None, levels: int = DEFAULTS.levels, walk_away: bool | None = None,
             chunk_size: int = DEFAULTS.sim_chunk_size, time_limit: float | None = None,
             progress: Callable[[int, int], None] | None = None, budget: Any = None) -> Any:
    """Simulate ``runs`` negotiations (:func:`detente.simulate.simulate`) with the shared
    defaults; returns the :class:`~detente.simulate.SimulationResult`. A scenario's recorded
    outcome is never shown to the negotiators.

    The run's memory and time (:func:`detente.simulate.cost.simulate_cost`: outcomes =
    ``levels ** issues`` x actors, runs x steps) are checked against ``budget`` (default
    ``DEFAULTS.budget``) first: :class:`~detente.errors.BudgetError` when over it."""
    from ..simulate.cost import MAX_LEVELS, MAX_STEPS
    from ..simulate.engine import MAX_RUNS
    from ..simulate.engine import simulate as _simulate
    from .budget import check, simulation_cost

    for name, v, lo, hi in (("runs", runs, 1, MAX_RUNS), ("steps", steps, 1, MAX_STEPS),
                            ("levels", levels, 2, MAX_LEVELS), ("chunk_size", chunk_size, 1, MAX_RUNS)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ScenarioError(f"must be an integer in [{lo}, {hi}] (got {v!r})", field=name)
    src = load_source(source)
    proto = resolve_protocol(src, protocol)
    check(simulation_cost(src, runs=runs, protocol=proto, steps=steps, levels=levels,
                          chunk_size=chunk_size), budget, source=getattr(src, "name", ""))
    strat = strategy_spec(strategies, negotiators(src, proto))
    if is_scenario(src):
        src = src.without_outcome()
    return _simulate(src, runs=runs, protocol=proto, strategies=strat, steps=steps, seed=resolve_seed(seed),
                     levels=levels, walk_away=walk_away, chunk_size=chunk_size, time_limit=time_limit,
                     progress=progress)
