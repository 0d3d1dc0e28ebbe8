"""detente: model and forecast multi-party negotiations.

The public surface is listed in ``__all__``; modules not re-exported here are internal.
"""

from .analysis import ZoneOfAgreement, zone_of_agreement
from .errors import (
    ConvergenceError,
    DetenteError,
    DetenteWarning,
    MissingExtraError,
    ModelError,
    ModelParameterError,
    ReferenceDataError,
    ScenarioError,
    UnknownModelError,
)
from .models.registry import MODELS, get_model
from .results import Forecast
from .scenario import Scenario, ScenarioArrays, builtin_scenarios, load_scenario
from .simulate import SimulationResult, simulate
from .uncertainty import MonteCarloResult, SensitivityResult, monte_carlo, sensitivity

__version__ = "0.1.0"

__all__ = [
    "ConvergenceError",
    "DetenteError",
    "DetenteWarning",
    "Forecast",
    "MODELS",
    "MissingExtraError",
    "ModelError",
    "ModelParameterError",
    "MonteCarloResult",
    "ReferenceDataError",
    "Scenario",
    "ScenarioArrays",
    "ScenarioError",
    "SensitivityResult",
    "SimulationResult",
    "UnknownModelError",
    "ZoneOfAgreement",
    "builtin_scenarios",
    "get_model",
    "load_scenario",
    "monte_carlo",
    "sensitivity",
    "simulate",
    "zone_of_agreement",
]
