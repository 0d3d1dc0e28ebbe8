"""The one scenario loader: built-in names, native files (YAML, JSON, flat CSV) and the
formats of other tools (KTAB CSV and XML, Decide CSV), recognised by their content.

Native formats are parsed by :mod:`detente.scenario.load`; this module only decides which
reader a file needs, so the scenario layer never depends on the foreign readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..scenario.load import (
    builtin_path,
    builtin_scenarios,
    file_format,
    native_scenario_from_text,
    read_text,
    scenario_from_data,
)
from ..scenario.schema import Scenario

__all__ = ["load_scenario", "scenario_from_text"]


def scenario_from_text(text: str, *, source: str, fmt: str) -> Scenario:
    """Parse scenario text in ``fmt`` ("yaml", "json", "csv" or "xml").

    CSV text in KTAB's or Decide's own layout, and KTAB XML, go to their readers in
    :mod:`detente.io`; everything else to the native parser.
    """
    if not text.strip():
        raise ScenarioError("the file is empty", source=source)
    if fmt == "xml":
        from .ktab import ktab_from_text

        return ktab_from_text(text, source=source, fmt="xml").scenario
    if fmt == "csv":
        # the reference tools' own formats are recognised by their first record
        from . import decide, ktab

        if decide.is_decide_text(text):
            return decide.scenario_from_decide(decide.parse_decide(text, source=source))
        if ktab.is_ktab_csv(text):
            return ktab.ktab_from_text(text, source=source, fmt="csv").scenario
    return native_scenario_from_text(text, source=source, fmt=fmt)


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """Load a scenario from a built-in name, a file path or a dict.

    Parameters
    ----------
    source : str, Path, mapping or Scenario
        ``"alaska-2025"`` (see :func:`~detente.scenario.builtin_scenarios`), a
        ``.yaml``/``.yml``/``.json``/``.csv``/``.xml`` path, or already-parsed data.

    Raises
    ------
    ScenarioError
        Naming file, line/row, field and value for every problem found.
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return scenario_from_data(source, source="<data>")
    s = str(source)
    path = Path(s)
    if not path.exists():
        bi = builtin_path(s)
        if bi is not None and path.suffix == "":
            return native_scenario_from_text(bi.read_text(encoding="utf-8"), source=s, fmt="yaml")
        if path.suffix == "" and "/" not in s:
            raise ScenarioError(
                f"no built-in scenario or file called {s!r}; built-in scenarios: "
                f"{', '.join(builtin_scenarios())}",
                source=s,
            )
    text = read_text(path)
    return scenario_from_text(text, source=path.name, fmt=file_format(path))
