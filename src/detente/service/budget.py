"""The budget check of every command and request, before any work.

Each entry point of :mod:`detente.service` (forecast, report, Monte Carlo, sensitivity,
simulation, KTAB runs) asks the models, the simulator and the uncertainty engines what the run
will cost (their ``cost`` functions, :class:`~detente.cost.Cost`) and refuses it with a
:class:`~detente.errors.BudgetError` (a ScenarioError: exit 2 in the CLI, 422 in the API)
when the estimate is over the budget. The default budget (``DEFAULTS.budget``) is the same for
the CLI, the API and Python callers; a server may pass a smaller one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..cost import Budget, Cost, total
from .defaults import DEFAULTS

__all__ = [
    "check",
    "forecast_costs",
    "monte_carlo_cost",
    "resolve_budget",
    "sensitivity_cost",
    "simulation_cost",
]


def resolve_budget(budget: Budget | None) -> Budget:
    """``budget`` or the shared default (:data:`DEFAULTS.budget <detente.service.DEFAULTS>`)."""
    return DEFAULTS.budget if budget is None else budget


def check(cost: Cost, budget: Budget | None, *, source: str = "") -> Cost:
    """Raise :class:`~detente.errors.BudgetError` when ``cost`` is over ``budget``."""
    resolve_budget(budget).check(cost, source=source)
    return cost


def _sizes(scenario: Any) -> tuple[int, int]:
    return len(scenario.actors), len(scenario.issues)


def forecast_costs(scenario: Any, models: Sequence[Any]) -> list[Cost]:
    """The cost of each model instance on ``scenario`` (a model without ``cost`` costs nothing
    measurable: a plugin model is not refused)."""
    n, m = _sizes(scenario)
    return [mod.cost(n, m) if hasattr(mod, "cost") else Cost(f"model {mod.name!r}", 0, 0)
            for mod in models]


def simulation_cost(src: Any, *, runs: int, protocol: str, steps: int, levels: int,
                    chunk_size: int, per_run: bool = False) -> Cost:
    """The cost of :func:`detente.simulate.simulate` on a Scenario or a GENIUS Domain."""
    from ..scenario import is_scenario
    from ..simulate.cost import simulate_cost

    if is_scenario(src):
        n_parties = len(src.actors)
        n_neg = max(1, sum(a.present for a in src.actors))
        n_outcomes = int(levels) ** len(src.issues)
        if protocol == "summit" and src.stages:
            stage_steps = [st.max_steps or steps for st in src.stages]
            steps, stages = max(stage_steps), len(stage_steps)
        else:
            stages = 1
    else:  # a negotiation Domain: its outcome space is given
        n_parties = n_neg = int(src.n_parties)
        n_outcomes = int(getattr(src, "n_outcomes", 0) or _product(src.cardinalities))
        stages = 1
    return simulate_cost(n_parties=n_parties, n_negotiators=n_neg, n_outcomes=max(1, n_outcomes),
                         runs=int(runs), steps=int(steps), chunk_size=int(chunk_size), per_run=per_run,
                         stages=stages)


def _product(xs) -> int:
    out = 1
    for x in xs:
        out *= int(x)
    return out


def _stages(scenario: Any) -> int:
    return max(1, len(getattr(scenario, "stages", ()) or ()))


def monte_carlo_cost(scenario: Any, model: Any, *, draws: int, chunk_size: int,
                     keep_draws: bool | None = None, workers: int = 1) -> Cost:
    """The cost of a Monte Carlo run of ``model`` (an instance) on ``scenario``."""
    from ..uncertainty.montecarlo import monte_carlo_cost as _cost
    from ..uncertainty.simulator import SimulatorModel

    n, m = _sizes(scenario)
    if isinstance(model, SimulatorModel):
        stages = _stages(scenario) if model.protocol == "summit" else 1

        class _Staged:  # the simulator's cost with the scenario's stages
            name = model.name

            @staticmethod
            def cost(a: int, i: int, d: int = 1) -> Cost:
                return model.cost(a, i, d, stages=stages)

        return _cost(_Staged(), n, m, draws, chunk_size, keep_draws=keep_draws, workers=workers)
    return _cost(model, n, m, draws, chunk_size, keep_draws=keep_draws, workers=workers)


def sensitivity_cost(scenario: Any, model: Any, *, n_inputs: int, samples: int, method: str,
                     second_order: bool, workers: int = 1) -> Cost:
    """The cost of a sensitivity analysis of ``model`` on ``scenario``."""
    from ..uncertainty.sobol import sensitivity_cost as _cost

    n, m = _sizes(scenario)
    return _cost(model, n, m, n_inputs, samples, method=method, second_order=second_order, workers=workers)


def forecast_total(costs: Sequence[Cost]) -> Cost:
    """Models run one after the other."""
    return total(costs, "forecast")
