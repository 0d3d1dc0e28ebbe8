"""Uploaded scenario files (``POST /validate``): format by content type or file name, YAML
aliases refused, then the library's own loader (through :mod:`detente.service`)."""

from __future__ import annotations

import re

from ..errors import ScenarioError

__all__ = ["parse_upload"]

_FORMATS = {
    "application/json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
    "text/csv": "csv",
    "text/plain": None,
}


def _safe_name(name: str | None, default: str) -> str:
    """A display name for messages only (never opened): the last path part, plain characters."""
    if not name:
        return default
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^A-Za-z0-9_.\- ]", "_", base)[:80].strip()
    return base or default


def _reject_yaml_aliases(text: str, source: str) -> None:
    """Anchors/aliases let a tiny YAML document expand to a huge one; the API refuses them."""
    import yaml

    depth = 0
    try:
        # the C parser when there is one: the pure one is quadratic in the nesting depth
        for ev in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > 100:
                    mark = ev.start_mark
                    raise ScenarioError(
                        "YAML nested more than 100 levels deep; a scenario needs a handful",
                        source=source, location=f"line {mark.line + 1}, column {mark.column + 1}" if mark else "",
                    )
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            if isinstance(ev, yaml.AliasEvent):
                mark = ev.start_mark
                raise ScenarioError(
                    "YAML aliases (*name) are not accepted by the API; write the values out",
                    source=source, location=f"line {mark.line + 1}, column {mark.column + 1}" if mark else "",
                )
    except yaml.YAMLError:
        return  # the loader reports the syntax error with its line


def parse_upload(raw: bytes, content_type: str, filename: str | None):
    """A Scenario from an uploaded body: JSON, YAML or CSV (by content type or file suffix)."""
    from ..service.scenarios import decode_upload, scenario_from_upload

    ctype = content_type.split(";")[0].strip().lower()
    fmt = _FORMATS.get(ctype, "?")
    source = _safe_name(filename, {"json": "upload.json", "csv": "upload.csv"}.get(fmt or "", "upload.yaml"))
    suffix = source.rsplit(".", 1)[-1].lower() if filename and "." in source else ""
    if fmt is None or fmt == "?":
        fmt = {"yaml": "yaml", "yml": "yaml", "json": "json", "csv": "csv", "tsv": "csv", "txt": "csv"}.get(suffix, "?")
    if fmt == "?":
        raise ScenarioError(
            f"unsupported content type {ctype or '(none)'!r}; send application/json, application/yaml "
            "or text/csv (or a file name ending .json, .yaml, .yml or .csv)",
            source=source, field="Content-Type",
        )
    text = decode_upload(raw, source)
    if fmt == "yaml":
        _reject_yaml_aliases(text, source)
    return scenario_from_upload(text, source=source, fmt=fmt)


