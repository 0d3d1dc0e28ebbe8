"""Uncertainty and scale: Monte Carlo, Sobol/Morris sensitivity, local and Dask backends.

SALib (``sensitivity`` extra) and dask.distributed (``dist`` extra) are imported only by the
functions that need them.
"""

from .backends import DaskBackend, LocalBackend
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

__all__ = [
    "SEED_BLOCK",
    "Beta",
    "DaskBackend",
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
    "load_scenario_with_uncertainty",
    "load_uncertainty",
    "monte_carlo",
    "sensitivity",
    "sobol_indices",
]
