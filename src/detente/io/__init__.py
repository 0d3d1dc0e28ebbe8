"""File formats: the one scenario loader, and readers and writers for other tools' formats
(Decide, KTAB). Readers return data (scenarios, records), never models."""

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr as _lazy_getattr

# loaded on first use: `detente.io.files` (atomic writes) must not pull in the scenario schema
_WHERE = {"load_scenario": ".load", "scenario_from_text": ".load"}

if TYPE_CHECKING:
    from .load import load_scenario, scenario_from_text

__getattr__ = _lazy_getattr(__name__, _WHERE, globals())

__all__ = ["load_scenario", "scenario_from_text"]
