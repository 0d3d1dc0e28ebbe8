"""What a simulation will cost before it runs (:func:`simulate_cost`, a :class:`~detente.cost.Cost`).

A scenario becomes an outcome space of ``levels ** n_issues`` outcomes; every party holds a
utility per outcome, and every negotiator's strategy tables (sorted utilities, ids, tie
positions, search keys) are built per chunk of runs. Measured (Dec 2026, 2 cores, 4 to 40
actors, 125 to 78,125 outcomes): about 60 bytes and up to 8 us per outcome x party (0.05 us per
outcome x party x run when every run has its own utilities, built vectorised), plus the steps
the runs play (0.2 us per run x step x negotiator).
"""

from __future__ import annotations

from ..cost import Cost
from ..errors import ScenarioError

__all__ = ["MAX_LEVELS", "MAX_STEPS", "simulate_cost"]

#: caps on the simulator's numeric options (the engine checks them too)
MAX_STEPS = 1_000_000
MAX_LEVELS = 1_000

_BYTES_PER_OUTCOME_PARTY = 64.0
_SECONDS_PER_OUTCOME_PARTY = 8e-6
_SECONDS_PER_OUTCOME_PARTY_RUN = 5e-8  # per-run utilities, built vectorised over a chunk
_SECONDS_PER_RUN_STEP = 2e-7
_BYTES_PER_RUN = 256.0  # a run's agreement, utilities, reasons and strategy state in a chunk


def _positive(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ScenarioError(f"must be a positive integer (got {v!r})", source="cost", field=name)
    return v


def simulate_cost(*, n_parties: int, n_negotiators: int, n_outcomes: int, runs: int, steps: int,
                  chunk_size: int = 50_000, traces: bool = False, per_run: bool = False,
                  stages: int = 1) -> Cost:
    """Memory and time of :func:`detente.simulate.simulate`, before it starts.

    Parameters
    ----------
    n_parties, n_negotiators : int
        Actors with utilities (present or vetoing) and actors at the table.
    n_outcomes : int
        Size of the outcome space (``levels ** n_issues`` for a scenario).
    runs, steps, chunk_size : int
        Simulated negotiations, deadline per stage, runs per chunk.
    traces : bool
        Every offer kept (runs x steps x negotiators int32).
    per_run : bool
        Every run has its own utilities (Monte Carlo over the simulator): the tables are built
        per run, a chunk of runs at a time.
    stages : int
        Bargaining stages played one after the other (the summit).

    Returns
    -------
    Cost
        ``bytes`` = 64 x outcomes x parties (x the runs of a chunk when per run) + 256 x chunk
        (+ 4 x runs x steps x negotiators with traces); ``seconds`` = 8 us x outcomes x
        parties (0.05 us x outcomes x parties x runs when per run) + 0.2 us x runs x steps x stages x negotiators.
    """
    for name, v in (("parties", n_parties), ("negotiators", n_negotiators), ("outcomes", n_outcomes),
                    ("runs", runs), ("steps", steps), ("chunk_size", chunk_size), ("stages", stages)):
        _positive(name, v)
    chunk = min(chunk_size, runs)
    table = float(n_outcomes) * n_parties
    copies = chunk if per_run else 1
    mem = _BYTES_PER_OUTCOME_PARTY * table * copies + _BYTES_PER_RUN * chunk
    if traces:
        mem += 4.0 * runs * steps * stages * n_negotiators
    per_table = _SECONDS_PER_OUTCOME_PARTY_RUN * runs if per_run else _SECONDS_PER_OUTCOME_PARTY
    secs = (0.05 + per_table * table
            + _SECONDS_PER_RUN_STEP * float(runs) * steps * stages * n_negotiators)
    return Cost("simulation", 65536 + mem, secs,
                {"actors": n_parties, "outcomes": n_outcomes, "runs": runs, "steps": steps,
                 **({"stages": stages} if stages > 1 else {})},
                "fewer issues or levels (outcomes = levels ** issues), actors, runs or steps")
