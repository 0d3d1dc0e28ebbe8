"""Loading uncertainty sections: from their own files (YAML/JSON), or inline under a scenario
file's top-level ``uncertainty:`` key.

The section's format (expert noise, explicit input distributions) and its typed model are in
:mod:`detente.scenario.uncertainty`; semantic checks against the scenario (ids, ranges,
parameters) are done in :func:`detente.uncertainty.perturb.build_perturbation`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError
from ..io import load_scenario
from ..scenario.load import read_text, scenario_from_data
from ..scenario.schema import Scenario
from ..scenario.uncertainty import (
    FIXED_NUMERIC_FIELDS,
    NON_NUMERIC_FIELDS,
    NUMERIC_FIELDS,
    InputSpec,
    NoiseSpec,
    UncertaintySpec,
    uncertainty_from_data,
)

__all__ = [
    "FIXED_NUMERIC_FIELDS",
    "NON_NUMERIC_FIELDS",
    "NUMERIC_FIELDS",
    "InputSpec",
    "NoiseSpec",
    "UncertaintySpec",
    "load_scenario_with_uncertainty",
    "load_uncertainty",
    "uncertainty_from_data",
]

def _read_data(path: Path) -> tuple[Any, str]:
    text = read_text(path)
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text), text
        return yaml.safe_load(text), text
    except (yaml.YAMLError, json.JSONDecodeError) as e:
        raise ScenarioError(f"malformed file: {str(e).splitlines()[0]}", source=path.name) from None


def load_uncertainty(source: str | Path | Mapping[str, Any] | UncertaintySpec) -> UncertaintySpec:
    """Load an uncertainty section from a file (YAML/JSON) or plain data.

    The file either holds the section itself (keys ``noise``, ``inputs``) or a top-level
    ``uncertainty:`` key (so a scenario file with an inline section works too).

    Raises
    ------
    ScenarioError
        For a missing/malformed file or a bad entry (named by location and field).
    """
    if isinstance(source, (UncertaintySpec, Mapping, list)):
        return uncertainty_from_data(source)
    path = Path(source)
    data, _ = _read_data(path)
    if isinstance(data, Mapping) and "uncertainty" in data:
        data = data["uncertainty"]
    return uncertainty_from_data(data, source=path.name)


def load_scenario_with_uncertainty(
    source: str | Path | Mapping[str, Any] | Scenario,
) -> tuple[Scenario, UncertaintySpec | None]:
    """Load a scenario and its inline ``uncertainty:`` section, if it has one.

    The section is removed before the scenario is validated, so this works whether or not
    the Scenario schema knows the ``uncertainty`` key; a Scenario object (or a built-in one)
    whose schema carries it has it read from ``scenario.uncertainty``.
    """
    if isinstance(source, Scenario):
        inline = getattr(source, "uncertainty", None)  # once the schema carries the section
        return source, (None if inline is None else uncertainty_from_data(inline, source=source.name))
    if isinstance(source, Mapping):
        data = dict(source)
        unc = data.pop("uncertainty", None)
        spec = None if unc is None else uncertainty_from_data(unc, source="<data>")
        return scenario_from_data(data, source="<data>"), spec
    path = Path(str(source))
    if not path.is_file() or path.suffix.lower() not in (".yaml", ".yml", ".json"):
        sc = load_scenario(source)
        inline = getattr(sc, "uncertainty", None)
        return sc, (None if inline is None else uncertainty_from_data(inline, source=sc.name))
    data, text = _read_data(path)
    if not isinstance(data, Mapping) or "uncertainty" not in data:
        sc = load_scenario(source)
        inline = getattr(sc, "uncertainty", None)
        return sc, (None if inline is None else uncertainty_from_data(inline, source=path.name))
    data = dict(data)
    unc = data.pop("uncertainty")
    spec = uncertainty_from_data(unc, source=path.name)
    from ..scenario.load import _lazy_lines  # line numbers for messages, as load_scenario gives

    return scenario_from_data(data, source=path.name, lines=_lazy_lines(text)), spec
