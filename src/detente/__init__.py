"""detente: model and forecast multi-party negotiations.

The public surface is listed in ``__all__``. The entry points of the subpackages keep their
place there (``detente.simulate.simulate``, ``detente.backtest.backtest``) so that the
subpackage names are never shadowed by a function.
"""

from ._version import __version__ as __version__
from .analysis import ZoneOfAgreement, zone_of_agreement
from .backtest import BacktestResult, load_cases, read_deu
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
from .io import load_scenario
from .models.registry import MODELS, get_model
from .results import Forecast
from .scenario import Scenario, ScenarioArrays, builtin_scenarios
from .simulate import SimulationResult
from .uncertainty import MonteCarloResult, SensitivityResult, monte_carlo, sensitivity

__all__ = [
    "BacktestResult",
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
    "load_cases",
    "load_scenario",
    "monte_carlo",
    "read_deu",
    "sensitivity",
    "zone_of_agreement",
]
