"""Scenarios: schema, native parsers and array views.

Load files with :func:`detente.load_scenario` (:mod:`detente.io`), which also reads other
tools' formats.
"""

from .arrays import ScenarioArrays
from .load import builtin_scenarios
from .schema import Scenario

__all__ = ["Scenario", "ScenarioArrays", "builtin_scenarios"]
