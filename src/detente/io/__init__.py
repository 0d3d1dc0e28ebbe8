"""File formats: the one scenario loader, and readers and writers for other tools' formats
(Decide, KTAB). Readers return data (scenarios, records), never models."""

from .load import load_scenario, scenario_from_text

__all__ = ["load_scenario", "scenario_from_text"]
