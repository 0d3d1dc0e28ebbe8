"""detente: model and forecast multi-party negotiations.

The public surface is listed in ``__all__``. The entry points of the subpackages keep their
place there (``detente.simulate.simulate``, ``detente.backtest.backtest``) so that the
subpackage names are never shadowed by a function.

``import detente`` is light: each public name is imported on first use (a module
``__getattr__``, PEP 562), so ``detente.Forecast`` works as before but a command that needs
only the scenario loader never loads pandas, scipy or the backtest and uncertainty packages.
"""

import typing as _typing

from ._lazy import lazy_getattr as _lazy_getattr
from ._version import __version__ as __version__

if _typing.TYPE_CHECKING:  # the static view of the lazy names below
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


def forecast(scenario, models=None, *, params=None, seed=0):
    """Every model's forecast in one call: the notebook entry point.

    Parameters
    ----------
    scenario : Scenario, built-in name (``"alaska-2025"``) or file path
    models : str or sequence of str, optional
        Registered model names (default: every model in :data:`MODELS`).
    params : mapping, optional
        ``{model: {parameter: value}}``.
    seed : None, int or SeedSequence
        Default 0 (repeatable); None draws fresh entropy, recorded in ``seed_entropy``.

    Returns
    -------
    ForecastRun
        ``.forecasts`` (one :class:`Forecast` per model), ``run["nash"]``, the zone of
        agreement and blocked-by analysis, and ``.to_frame()``: one row per model x issue
        (``model, scenario, issue, issue_name, scale_min, scale_max, status_quo, outcome,
        blocked_by``); ``.to_frame("wide")``: one row per model, a column per issue name.

    Example
    -------
    >>> run = detente.forecast("alaska-2025", models=["weighted_mean", "nash"])
    >>> run.to_frame("wide")
    """
    from .service import forecast as _forecast  # lazy: `import detente` stays light

    names = [models] if isinstance(models, str) else models
    return _forecast(scenario, names, params=params, seed=seed)


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
    "forecast",
    "get_model",
    "load_cases",
    "load_scenario",
    "monte_carlo",
    "read_deu",
    "sensitivity",
    "zone_of_agreement",
]

#: where each public name lives (module relative to this package)
_WHERE: dict[str, str] = {
    "BacktestResult": ".backtest",
    "ConvergenceError": ".errors",
    "DetenteError": ".errors",
    "DetenteWarning": ".errors",
    "Forecast": ".results",
    "MODELS": ".models.registry",
    "MissingExtraError": ".errors",
    "ModelError": ".errors",
    "ModelParameterError": ".errors",
    "MonteCarloResult": ".uncertainty",
    "ReferenceDataError": ".errors",
    "Scenario": ".scenario",
    "ScenarioArrays": ".scenario",
    "ScenarioError": ".errors",
    "SensitivityResult": ".uncertainty",
    "SimulationResult": ".simulate",
    "UnknownModelError": ".errors",
    "ZoneOfAgreement": ".analysis",
    "builtin_scenarios": ".scenario",
    "get_model": ".models.registry",
    "load_cases": ".backtest",
    "load_scenario": ".io",
    "monte_carlo": ".uncertainty",
    "read_deu": ".backtest",
    "sensitivity": ".uncertainty",
    "zone_of_agreement": ".analysis",
}


__getattr__ = _lazy_getattr(__name__, _WHERE, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
