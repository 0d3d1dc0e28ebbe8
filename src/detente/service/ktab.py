"""KTAB SMP files: read (CSV/XML or any scenario), convert, and run with the file's options."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelParameterError, ScenarioError
from .defaults import DEFAULTS

__all__ = ["convert", "read_any", "run", "scenario_to_yaml"]

_KTAB_SUFFIXES = (".csv", ".xml")


def scenario_to_yaml(scenario, *, header: list[str] | None = None) -> str:
    """A detente scenario as YAML text (defaults left out), with optional comment lines."""
    import yaml

    data = scenario.model_dump(mode="json", exclude_defaults=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    lines = [f"# {h}" for h in (header or [])]
    return "\n".join(lines) + ("\n" if lines else "") + text


def read_any(path: str) -> Any:
    """A KTAB file (CSV with KTAB's first row, or XML) or any detente scenario."""
    from ..io import load_scenario
    from ..io.ktab import is_ktab_csv, ktab_from_text
    from ..scenario.load import read_text

    p = Path(path)
    if p.suffix.lower() in _KTAB_SUFFIXES and p.exists():
        text = read_text(p)
        if p.suffix.lower() == ".xml" or is_ktab_csv(text):
            return ktab_from_text(text, source=p.name, fmt="xml" if p.suffix.lower() == ".xml" else "csv")
    return load_scenario(path)


def _model_with(inp, params: Sequence[str]):
    from ..models.base import with_params
    from ..models.ktab_smp import KtabSMP

    # a KTAB file carries its model options; a detente scenario runs with the defaults
    model = KtabSMP.from_ktab(inp) if hasattr(inp, "options") else KtabSMP()
    kv: dict[str, Any] = {}
    for item in params:
        if "=" not in item:
            raise ModelParameterError(f"--param {item!r}: expected NAME=VALUE (e.g. voting_rule=Cubic)")
        k, v = item.split("=", 1)
        kv[k.strip()] = v.strip()
    return with_params(model, kv) if kv else model


def convert(file: str, suffix: str) -> tuple[Any, str, list[str]]:
    """``(scenario, text, notes)``: ``file`` converted to ``.yaml``/``.yml``/``.json``
    (detente) or ``.csv``/``.xml`` (KTAB)."""
    from ..io.ktab import to_ktab_csv, to_ktab_xml
    from ..models.ktab_smp import ktab_inputs

    src = read_any(file)
    scenario = getattr(src, "scenario", src)
    options: Mapping[str, Any] = dict(getattr(src, "options", {}) or {})
    notes: list[str] = []
    if suffix in (".yaml", ".yml"):
        header = [f"converted from {Path(file).name} by detente ktab convert"]
        if options:
            header.append("KTAB model options of the source (ktab_smp parameters):")
            header += [f"  {k} = {v!r}" for k, v in options.items()]
        text = scenario_to_yaml(scenario, header=header)
    elif suffix == ".json":
        text = json.dumps(scenario.model_dump(mode="json", exclude_defaults=True), indent=2) + "\n"
        if options:
            notes.append(f"the source's KTAB options are not stored in JSON: {dict(options)}")
    elif suffix == ".csv":
        text = to_ktab_csv(scenario)
        notes += ktab_inputs(scenario.arrays())[3]
        if options:
            notes.append("KTAB CSV cannot hold model options; write .xml to keep them")
    elif suffix == ".xml":
        text = to_ktab_xml(scenario, model=_model_with(src, []), seed=getattr(src, "seed", None))
        notes += ktab_inputs(scenario.arrays())[3]
    else:
        raise ScenarioError(
            f"unknown output type {suffix or '(none)'!r}; allowed: .yaml, .yml, .json, .csv, .xml",
            field="--output",
        )
    return scenario, text, notes


def run(file: str, params: Sequence[str] = (), *, seed: int | None = None) -> tuple[Any, Any]:
    """``(scenario, Forecast)``: KTAB's SMP with the file's own options (XML ModelParameters,
    IdealAdjustment) and ``NAME=VALUE`` overrides. ``seed`` (for StateTransitions=Stochastic)
    defaults to ``DEFAULTS.forecast_seed``, as for every forecast."""
    from ..rng import as_generator

    src = read_any(file)
    scenario = getattr(src, "scenario", src)
    model = _model_with(src, list(params))
    f = model.forecast(scenario, rng=as_generator(DEFAULTS.forecast_seed if seed is None else seed))
    return scenario, f
