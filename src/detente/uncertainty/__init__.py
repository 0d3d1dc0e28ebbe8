"""Uncertainty and scale: Monte Carlo, Sobol/Morris sensitivity, local and Dask backends.

SALib (``sensitivity`` extra) and dask.distributed (``dist`` extra) are imported only by the
functions that need them.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr as _lazy_getattr

# names load on first use: the deal probability of a single forecast needs the perturbation
# and the deal model, not Sobol, the Dask backend or the simulator wrapper
_WHERE = {
    "DaskBackend": ".backends", "LocalBackend": ".backends",
    "DealProbability": ".deal_model", "deal_probability": ".deal_model",
    "Beta": ".distributions", "Discrete": ".distributions", "Triangular": ".distributions",
    "TruncNormal": ".distributions", "Uniform": ".distributions",
    "SEED_BLOCK": ".montecarlo", "monte_carlo": ".montecarlo",
    "Perturbation": ".perturb", "UncertainInput": ".perturb", "build_perturbation": ".perturb",
    "MonteCarloResult": ".result", "MonteCarloResults": ".result", "SensitivityResult": ".result",
    "SimulatorModel": ".simulator",
    "sensitivity": ".sobol", "sobol_indices": ".sobol",
    "InputSpec": ".spec", "NoiseSpec": ".spec", "UncertaintySpec": ".spec",
    "load_scenario_with_uncertainty": ".spec", "load_uncertainty": ".spec",
}

if TYPE_CHECKING:
    from .backends import DaskBackend, LocalBackend
    from .deal_model import DealProbability, deal_probability
    from .distributions import Beta, Discrete, Triangular, TruncNormal, Uniform
    from .montecarlo import SEED_BLOCK, monte_carlo
    from .perturb import Perturbation, UncertainInput, build_perturbation
    from .result import MonteCarloResult, MonteCarloResults, SensitivityResult
    from .simulator import SimulatorModel
    from .sobol import sensitivity, sobol_indices
    from .spec import (
        InputSpec,
        NoiseSpec,
        UncertaintySpec,
        load_scenario_with_uncertainty,
        load_uncertainty,
    )


__getattr__ = _lazy_getattr(__name__, _WHERE, globals())

__all__ = [
    "SEED_BLOCK",
    "Beta",
    "DaskBackend",
    "DealProbability",
    "Discrete",
    "InputSpec",
    "LocalBackend",
    "MonteCarloResult",
    "MonteCarloResults",
    "NoiseSpec",
    "Perturbation",
    "SensitivityResult",
    "SimulatorModel",
    "Triangular",
    "TruncNormal",
    "UncertainInput",
    "UncertaintySpec",
    "Uniform",
    "build_perturbation",
    "deal_probability",
    "load_scenario_with_uncertainty",
    "load_uncertainty",
    "monte_carlo",
    "sensitivity",
    "sobol_indices",
]
