"""Scenarios: schema, native parsers and array views.

Load files with :func:`detente.load_scenario` (:mod:`detente.io`), which also reads other
tools' formats.

The names below are imported on first use (a module ``__getattr__``), so importing a light
submodule such as :mod:`detente.scenario.arrays` does not build the pydantic schema or load
the YAML parser.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .arrays import ScenarioArrays
    from .load import builtin_scenarios
    from .schema import Scenario

__all__ = ["Scenario", "ScenarioArrays", "builtin_scenarios", "is_scenario"]

_WHERE = {"Scenario": ".schema", "ScenarioArrays": ".arrays", "builtin_scenarios": ".load"}


__getattr__ = lazy_getattr(__name__, _WHERE, globals())


def is_scenario(obj: Any) -> bool:
    """``isinstance(obj, Scenario)`` without importing the schema (pydantic, 0.07 s): no
    Scenario can exist before its module is loaded. For code that also takes a GENIUS domain."""
    schema = sys.modules.get(f"{__name__}.schema")
    return schema is not None and isinstance(obj, schema.Scenario)
