"""Scenarios: schema, native parsers and array views.

Load files with :func:`detente.load_scenario` (:mod:`detente.io`), which also reads other
tools' formats.

The names below are imported on first use (a module ``__getattr__``), so importing a light
submodule such as :mod:`detente.scenario.arrays` does not build the pydantic schema or load
the YAML parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .arrays import ScenarioArrays
    from .load import builtin_scenarios
    from .schema import Scenario

__all__ = ["Scenario", "ScenarioArrays", "builtin_scenarios"]

_WHERE = {"Scenario": ".schema", "ScenarioArrays": ".arrays", "builtin_scenarios": ".load"}


__getattr__ = lazy_getattr(__name__, _WHERE, globals())
