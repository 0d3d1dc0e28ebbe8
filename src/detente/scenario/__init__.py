"""Scenarios: schema, loaders and array views."""

from .arrays import ScenarioArrays
from .load import builtin_scenarios, load_scenario
from .schema import Scenario

__all__ = ["Scenario", "ScenarioArrays", "builtin_scenarios", "load_scenario"]
