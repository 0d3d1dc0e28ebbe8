"""Scenarios for the surfaces: load from a name or file, or resolve an API request's reference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError

if TYPE_CHECKING:
    from ..scenario.schema import Scenario

# The loaders (pydantic schema, YAML, foreign formats) are imported inside the functions, so
# that `detente --help` and the other commands that load no scenario never pay for them.

__all__ = ["builtin", "load", "decode_upload", "resolve_request_scenario", "scenario_from_request_data",
           "scenario_from_upload"]


def builtin() -> dict[str, str]:
    """Built-in scenarios: ``{name: title}``."""
    from ..scenario.load import builtin_scenarios

    return builtin_scenarios()


def load(source: Any) -> Scenario:
    """A Scenario from a Scenario, a built-in name, a file path or plain data."""
    from ..io import load_scenario
    from ..scenario.schema import Scenario

    return source if isinstance(source, Scenario) else load_scenario(source)


def resolve_request_scenario(ref: Any) -> Scenario:
    """A Scenario from a request: the object itself, a built-in name, or plain data.

    A name is looked up among the built-in scenarios only, never as a file path.

    Raises
    ------
    ScenarioError
        For an unknown name (listing the valid ones) or invalid data.
    """
    from ..io import scenario_from_text
    from ..scenario.load import builtin_path, builtin_scenarios, scenario_from_data
    from ..scenario.schema import Scenario

    if isinstance(ref, Scenario):
        return ref
    if isinstance(ref, str):
        names = builtin_scenarios()
        if ref not in names:
            raise ScenarioError(
                f"no built-in scenario called {ref!r}; built-in scenarios: {', '.join(names)}",
                location="body", field="scenario",
            )
        # read the packaged file directly: a request never makes the server open a path
        return scenario_from_text(builtin_path(ref).read_text(encoding="utf-8"), source=ref, fmt="yaml")
    return scenario_from_data(ref, source="request")


def scenario_from_request_data(data: Any, *, source: str = "request") -> Scenario:
    """A Scenario from plain request data (every problem located as in a file)."""
    from ..scenario.load import scenario_from_data

    return scenario_from_data(data, source=source)


def scenario_from_upload(text: str, *, source: str, fmt: str) -> Scenario:
    """A Scenario from an uploaded file's text in ``fmt`` (json, yaml or csv)."""
    from ..io import scenario_from_text

    return scenario_from_text(text, source=source, fmt=fmt)


def decode_upload(raw: bytes, source: str) -> str:
    """An uploaded file's text (UTF-8, a BOM accepted), with a located error otherwise."""
    from ..scenario.load import decode_bytes

    return decode_bytes(raw, source)
