"""Parse scenarios in detente's own formats (YAML, JSON, flat CSV) and plain dicts.

The loader that also recognises other tools' formats is :func:`detente.io.load_scenario`.

Every problem becomes a :class:`~detente.errors.ScenarioError` naming the file, the line (YAML,
JSON) or CSV row, the field, the offending value and what is allowed; when a file has several
problems they are all reported at once (``ScenarioError.problems``). Input is never changed
silently: what a loader infers (a CSV scale taken from the data) is written to
``Scenario.notes``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ScenarioError
from .schema import Scenario

__all__ = [
    "builtin_path",
    "builtin_scenarios",
    "decode_bytes",
    "file_format",
    "native_scenario_from_text",
    "parse_number",
    "read_text",
    "scenario_from_csv_text",
    "scenario_from_data",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
# libyaml's build of the *safe* loader when present (same tag set as yaml.safe_load, ~10x faster)
_SAFE_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_SAFE_BASE):  # type: ignore[misc,valid-type]
    """The safe loader, refusing duplicate mapping keys (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None,
                        f"duplicate key {key!r} (first given on line {seen[key]})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line + 1
            except TypeError:  # unhashable key: the base constructor reports it
                continue
        return super().construct_mapping(node, deep=deep)


_SAFE_LOADER = _SafeLoader
_DATA = "detente.scenario.data"


# ------------------------------------------------------------------ built-in scenarios
def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names mapped to their one-line titles."""
    out = {}
    for f in sorted(resources.files(_DATA).iterdir(), key=lambda p: p.name):
        if f.name.endswith(".yaml"):
            data = yaml.safe_load(f.read_text(encoding="utf-8"))
            out[data["name"]] = data.get("title", "")
    return out


def builtin_path(name: str):
    """The packaged YAML file of a built-in scenario, or None."""
    fname = name.replace("-", "_") + ".yaml"
    f = resources.files(_DATA) / fname
    return f if f.is_file() else None


# ------------------------------------------------------------------ reading
def read_text(path: Path | str, *, source: str | None = None) -> str:
    """Read a text file as UTF-8 (a BOM is accepted), with clear errors."""
    p = Path(path)
    src = source or p.name
    if not p.exists():
        raise ScenarioError(f"file not found: {p}", source=src)
    if p.is_dir():
        raise ScenarioError(f"is a directory, not a file: {p}", source=src)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(f"file is too large ({size} bytes; at most {MAX_FILE_BYTES})", source=src)
    raw = p.read_bytes()
    return decode_bytes(raw, src)


def decode_bytes(raw: bytes, source: str) -> str:
    """Decode UTF-8 (BOM accepted; UTF-16 with a BOM too) or raise a ScenarioError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise ScenarioError(f"not valid UTF-16 text ({e.reason} at byte {e.start})", source=source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(
            f"not valid UTF-8 text (byte {raw[e.start:e.start + 1]!r} at offset {e.start}); save the file as UTF-8",
            source=source,
        ) from None
    if "\x00" in text:
        raise ScenarioError("contains NUL characters; not a text file", source=source)
    return text


def file_format(path: Path) -> str:
    """The format a file's name says it holds: "yaml", "json", "csv" or "xml"."""
    suf = path.suffix.lower()
    if suf in (".yaml", ".yml"):
        return "yaml"
    if suf == ".json":
        return "json"
    if suf in (".csv", ".tsv", ".txt"):
        return "csv"
    if suf == ".xml":
        return "xml"
    raise ScenarioError(
        f"unknown file type {suf or '(none)'!r}; allowed: .yaml, .yml, .json, .csv (incl. KTAB and Decide), .xml (KTAB)",
        source=path.name,
    )


def native_scenario_from_text(text: str, *, source: str, fmt: str) -> Scenario:
    """Parse scenario text in detente's own formats: ``fmt`` "yaml", "json" or "csv" (flat).

    The formats of other tools (KTAB, Decide) are recognised by :func:`detente.io.load_scenario`.
    """
    if not text.strip():
        raise ScenarioError("the file is empty", source=source)
    if fmt == "csv":
        return scenario_from_csv_text(text, source=source)
    if fmt not in ("yaml", "json"):
        raise ScenarioError(f"not a detente scenario format: {fmt!r} (yaml, json or csv)",
                            source=source)
    lines: dict[tuple, int] = {}
    if fmt == "json":
        try:
            data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as e:
            raise ScenarioError(f"malformed JSON: {e.msg}", source=source, location=f"line {e.lineno}, column {e.colno}") from None
        except ValueError as e:
            raise ScenarioError(str(e), source=source) from None
        except RecursionError:
            raise ScenarioError("malformed JSON: nested too deeply", source=source) from None
        lines = _lazy_lines(text)
    else:
        try:
            data = yaml.load(text, Loader=_SAFE_LOADER)  # safe: SafeLoader's tags only
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            loc = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            ctx = getattr(e, "context", None)
            msg = f"malformed YAML: {problem}" + (f" ({ctx})" if ctx else "")
            raise ScenarioError(msg, source=source, location=loc) from None
        except RecursionError:
            raise ScenarioError("malformed YAML: nested too deeply", source=source) from None
        lines = _lazy_lines(text)
    return scenario_from_data(data, source=source, lines=lines)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"malformed JSON: duplicate key {k!r} in one object")
        out[k] = v
    return out


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a scenario (numbers must be finite)")


def _lazy_lines(text: str):
    """Line numbers cost a second (pure-Python) parse: only pay for it when reporting errors."""
    return lambda: _yaml_lines(text)


def _yaml_lines(text: str) -> dict[tuple, int]:
    """Map every node path (tuple of keys/indices) to its 1-based line in ``text``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:  # line numbers are a courtesy; the parse error is reported elsewhere
        return {}
    out: dict[tuple, int] = {}
    stack: list[tuple[tuple, Any]] = [((), root)]
    seen: set[int] = set()
    while stack:
        path, node = stack.pop()
        if node is None:
            continue
        out[path] = node.start_mark.line + 1
        if id(node) in seen:  # an alias: walking it again would be exponential (alias bombs)
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else None
                out[path + (key,)] = k.start_mark.line + 1
                stack.append((path + (key,), v))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                stack.append((path + (i,), v))
    return out


def _loc_str(loc: tuple) -> str:
    s = ""
    for p in loc:
        if isinstance(p, int):
            s += f"[{p}]"
        else:
            s += ("." if s else "") + str(p)
    return s


def _parse_loc(text: str) -> tuple:
    out: list[Any] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(out)


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def scenario_from_data(
    data: Any,
    *,
    source: str = "<data>",
    lines: dict[tuple, int] | None = None,
    rows: dict[tuple, str] | None = None,
) -> Scenario:
    """Validate parsed data into a Scenario, translating every error.

    Parameters
    ----------
    lines : mapping of path tuple -> line number, optional
        For YAML/JSON sources, so messages can name the line.
    rows : mapping of path tuple -> "row N", optional
        For CSV sources, so messages can name the CSV row.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"the top level must be a mapping with keys such as name, actors, issues, positions (got {type(data).__name__})",
            source=source,
        )
    try:
        scenario = Scenario.model_validate(dict(data))
        if scenario.uncertainty is not None and not scenario.uncertainty.source:
            # messages about the section (raised later, against the scenario) name the file
            spec = scenario.uncertainty.model_copy(update={"source": source})
            scenario = scenario.model_copy(update={"uncertainty": spec})
        return scenario
    except ValidationError as exc:
        lines = lines() if callable(lines) else lines
        problems = _translate(exc, source, lines or {}, rows or {})
        if not any(not e["loc"] for e in exc.errors(include_url=False)):
            # field errors stop pydantic before the cross-reference checks: run them on the
            # items that are valid on their own, so the user sees every problem at once
            problems += _lenient_cross(data, source, lines or {}, rows or {}, problems)
    except RecursionError:
        raise ScenarioError("nested too deeply", source=source) from None
    if len(problems) == 1:
        raise problems[0]
    raise ScenarioError(f"{len(problems)} problems found", source=source, problems=problems)


_RANGES = {
    "salience": "[0, 1]", "utility": "[0, 1]", "credibility": "[0, 1]", "weight": "[0, 1]",
    "cost_to_target": "[0, 1]", "cost_to_issuer": "[0, 1]",
}

_LISTS = {
    "actors": "Actor", "issues": "Issue", "positions": "Position", "red_lines": "RedLine",
    "walk_away": "WalkAway", "threats": "Threat", "stages": "Stage",
}


def _lenient_cross(data: Mapping, source: str, lines, rows, already: list) -> list[ScenarioError]:
    from . import schema

    parts: dict[str, Any] = {}
    # ids of actors and issues that exist but failed on their own (already reported): a
    # reference to one is not a second problem (one bad delegation weight used to cascade
    # into "unknown actor id" for every position, walk-away, threat and stage of the actor)
    failed: dict[str, set[str]] = {"actor": set(), "issue": set()}
    any_failed = {"actors": False, "positions": False}
    for key, cls_name in _LISTS.items():
        cls = getattr(schema, cls_name)
        raw = data.get(key)
        items: list[Any] = []
        if isinstance(raw, list):
            for item in raw:
                try:
                    items.append(cls.model_validate(item))
                except (ValidationError, TypeError, ValueError):
                    items.append(None)
                    if key in ("actors", "positions"):
                        any_failed[key] = True
                    if key in ("actors", "issues") and isinstance(item, Mapping) and isinstance(item.get("id"), str):
                        failed["actor" if key == "actors" else "issue"].add(item["id"])
        parts[key] = items
    parts["outcome"] = None
    try:
        lenient = Scenario.model_construct(**parts)
        cross = list(schema._cross_problems(lenient))
    except Exception:  # the strict pass already reported what is wrong; this one is extra
        return []
    seen = {str(p) for p in already}
    follow_ups = tuple(f"unknown {kind} id {i!r};" for kind, ids in failed.items() for i in ids)
    if any_failed["actors"] or any_failed["positions"]:
        # the weights on an issue are unknown while an actor or a position is invalid
        follow_ups += ("no actor has a position with power x salience",)
    out = []
    for where, what in cross:
        if follow_ups and what.startswith(follow_ups):
            continue
        err = _one(source, _parse_loc(where), what, lines, rows)
        if str(err) not in seen:
            out.append(err)
            seen.add(str(err))
    return out


def _where(loc: tuple, lines: dict[tuple, int], rows: dict[tuple, str]) -> str:
    for n in range(len(loc), -1, -1):
        key = loc[:n]
        if key in rows:
            return rows[key]
        if key in lines:
            return f"line {lines[key]}"
    return ""


def _translate(exc: ValidationError, source: str, lines, rows) -> list[ScenarioError]:
    problems: list[ScenarioError] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        msg = str(err.get("msg", ""))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err.get("type") == "value_error" and "|" in msg and not loc:
            for line in msg.splitlines():
                where, _, what = line.partition("|")
                ploc = _parse_loc(where)
                problems.append(_one(source, ploc, what, lines, rows))
            continue
        etype = err.get("type", "")
        fld = str(loc[-1]) if loc else ""
        if etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than") and fld in _RANGES:
            problems.append(_one(source, loc, f"{_short(err.get('input'))} is outside {_RANGES[fld]}", lines, rows))
            continue
        if etype in ("greater_than_equal", "greater_than") and fld == "power":
            problems.append(_one(source, loc, f"{_short(err.get('input'))} is negative; power must be >= 0", lines, rows))
            continue
        if err.get("type") not in ("missing",) and "input" in err and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {_short(err['input'])}{_quote_hint(err['input'], etype)})"
        elif err.get("type") == "missing":
            msg = "is required but missing"
        elif err.get("type") == "extra_forbidden":
            msg = "is not a known field"
        problems.append(_one(source, loc, msg, lines, rows))
    return problems


def _quote_hint(value: Any, etype: str) -> str:
    """Where text was expected but YAML read a bare word as a boolean or a date: say so."""
    if etype not in ("string_type", "literal_error", "enum"):
        return ""
    if isinstance(value, bool):
        words = "yes, on or true" if value else "no, off or false"
        return (f": YAML reads an unquoted {words} as the boolean {str(value).lower()}; "
                f"put the text in quotes, e.g. \"{'yes' if value else 'no'}\"")
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f": YAML reads an unquoted date as a date; put it in quotes, e.g. \"{value.isoformat()}\""
    return ""


def _one(source: str, loc: tuple, msg: str, lines, rows) -> ScenarioError:
    where = _where(loc, lines, rows)
    path = _loc_str(loc[:-1]) if loc and not isinstance(loc[-1], int) else _loc_str(loc)
    field = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
    # a CSV row is what the user can find; the internal data path would only confuse
    location = where if where.startswith("row ") else ", ".join(p for p in (where, path) if p)
    return ScenarioError(msg, source=source, location=location, field=field)


# ------------------------------------------------------------------ CSV
_FLAT_REQUIRED = ("actor", "issue", "position", "salience", "power")
_LIT_REQUIRED = ("actor", "capability", "position", "salience")
_OPTIONAL = {
    "actor_name", "kind", "present", "veto", "issue_name", "scale_min", "scale_max",
    "status_quo", "red_min", "red_max", "unit",
}


def _safe_id(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text.strip()).strip("_")
    return s or "x"


def parse_number(
    cell: str | None, *, source: str, row: str, field: str, problems: list, required: bool = True
) -> float | None:
    """A finite float from a CSV cell, or None with the problem appended to ``problems``.

    An empty cell is a problem only when ``required``; every CSV reader uses this, so the
    messages read the same everywhere.
    """
    c = (cell or "").strip()
    if c == "":
        if required:
            problems.append(ScenarioError("is empty; a number is required", source=source, location=row, field=field))
        return None
    try:
        v = float(c)
    except ValueError:
        problems.append(ScenarioError(f"{c!r} is not a number", source=source, location=row, field=field))
        return None
    if not math.isfinite(v):
        problems.append(ScenarioError(f"{c!r} is not a finite number", source=source, location=row, field=field))
        return None
    return v


def _bool(cell: str, *, source, row, field, problems) -> bool | None:
    c = (cell or "").strip().lower()
    if c in ("1", "true", "yes", "y"):
        return True
    if c in ("0", "false", "no", "n"):
        return False
    problems.append(ScenarioError(f"{cell!r} is not a boolean (true/false, yes/no, 1/0)", source=source, location=row, field=field))
    return None


def _csv_header(first: list[str], source: str) -> tuple[list[str], bool, tuple[str, ...]]:
    """The lower-cased header, whether it is the single-issue layout, and its required columns."""
    header = [h.strip().lower() for h in first]
    dup = sorted(h for h, n in Counter(header).items() if n > 1)  # linear, whatever the width
    if dup:
        raise ScenarioError(f"duplicate column(s) {dup}", source=source, location="row 1")
    literature = set(_LIT_REQUIRED) <= set(header) and "issue" not in header
    required = _LIT_REQUIRED if literature else _FLAT_REQUIRED
    missing = [c for c in required if c not in header]
    if missing:
        raise ScenarioError(
            f"missing column(s) {', '.join(missing)}; a scenario CSV needs {', '.join(_FLAT_REQUIRED)} "
            f"(or the single-issue layout {', '.join(_LIT_REQUIRED)}); got {', '.join(header)}",
            source=source,
            location="row 1",
        )
    allowed = set(required) | _OPTIONAL
    unknown = [h for h in header if h not in allowed]
    if unknown:
        raise ScenarioError(
            f"unknown column(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
            source=source,
            location="row 1",
        )
    return header, literature, required


def _csv_scales(issues: dict[str, dict], positions: list[dict], rows: dict[tuple, str]) -> list[str]:
    """Set each issue's scale (given, or the range of its positions, with a note)."""
    notes = []
    by_issue: dict[str, list[float]] = {}
    for p in positions:
        by_issue.setdefault(p["issue"], []).append(p["position"])
    for k_issue, (iid, iss) in enumerate(issues.items()):
        pos = by_issue.get(iid, [])
        lo = iss.pop("scale_min", None)
        hi = iss.pop("scale_max", None)
        row = iss.pop("_row")
        if not pos and (lo is None or hi is None):
            # every row of this issue had a bad cell (already reported): no scale to infer
            lo = (hi - 1.0 if hi is not None else 0.0) if lo is None else lo
            hi = lo + 1.0 if hi is None else hi
        if lo is None or hi is None:
            lo2 = min(pos) if lo is None else lo
            hi2 = max(pos) if hi is None else hi
            if hi2 <= lo2 and lo is None and hi is None:
                # every actor at one point: a unit-wide scale around it keeps the issue valid
                lo2, hi2 = lo2 - 1.0, hi2 + 1.0
            notes.append(
                f"issue {iid!r}: the file gives no scale_min/scale_max, so the scale is the range of the positions [{lo2:g}, {hi2:g}]"
            )
            lo, hi = lo2, hi2
        iss["scale"] = {"min": lo, "max": hi}
        rows[("issues", k_issue)] = row
    return notes


def scenario_from_csv_text(text: str, *, source: str) -> Scenario:
    """Parse a flat CSV scenario.

    Two layouts are read:

    * flat: ``actor,issue,position,salience,power`` plus optional columns
      ``actor_name, kind, present, veto, issue_name, scale_min, scale_max, status_quo,
      red_min, red_max, unit``;
    * the literature's single-issue table: ``actor,capability,position,salience`` (capability
      means power; the issue is named after the file).

    Without ``scale_min``/``scale_max`` an issue's scale is the range of its positions, and a
    note saying so is added to ``Scenario.notes``.
    """
    dialect = "excel-tab" if "\t" in text.splitlines()[0] and "," not in text.splitlines()[0] else "excel"
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    try:
        all_rows = list(reader)
    except csv.Error as e:
        raise ScenarioError(f"malformed CSV: {e}", source=source) from None
    all_rows = [r for r in all_rows if any(c.strip() for c in r)]
    if not all_rows:
        raise ScenarioError("the file is empty", source=source)
    header, literature, required = _csv_header(all_rows[0], source)
    col = {h: i for i, h in enumerate(header)}
    stem = _safe_id(Path(source).stem) if source and not source.startswith("<") else "scenario"
    problems: list[ScenarioError] = []
    actors: dict[str, dict] = {}
    actor_first_row: dict[str, str] = {}
    issues: dict[str, dict] = {}
    positions: list[dict] = []
    red_lines: list[dict] = []
    rows: dict[tuple, str] = {}
    red_rows: list[str] = []
    for r_idx, raw in enumerate(all_rows[1:], start=2):
        row = f"row {r_idx}"
        if len(raw) != len(header):
            problems.append(ScenarioError(
                f"has {len(raw)} cells but the header has {len(header)}", source=source, location=row))
            continue
        cell = {h: raw[i] for h, i in col.items()}
        actor_label = cell["actor"].strip()
        if not actor_label:
            problems.append(ScenarioError("is empty; an actor id is required", source=source, location=row, field="actor"))
            continue
        aid = _safe_id(actor_label)
        iid = stem if literature else _safe_id(cell["issue"])
        if not literature and not cell["issue"].strip():
            problems.append(ScenarioError("is empty; an issue id is required", source=source, location=row, field="issue"))
            continue
        power_field = "capability" if literature else "power"
        power = parse_number(cell[power_field], source=source, row=row, field=power_field, problems=problems)
        pos = parse_number(cell["position"], source=source, row=row, field="position", problems=problems)
        sal = parse_number(cell["salience"], source=source, row=row, field="salience", problems=problems)
        if aid not in actors:
            actors[aid] = {"id": aid, "name": cell.get("actor_name", "").strip() or actor_label}
            actor_first_row[aid] = row
            if power is not None:
                actors[aid]["power"] = power
            for f in ("kind",):
                if cell.get(f, "").strip():
                    actors[aid][f] = cell[f].strip()
            for f in ("present", "veto"):
                if cell.get(f, "").strip():
                    b = _bool(cell[f], source=source, row=row, field=f, problems=problems)
                    if b is not None:
                        actors[aid][f] = b
        elif literature:
            problems.append(ScenarioError(
                f"actor {actor_label!r} appears twice (first in {actor_first_row[aid]}); the single-issue layout has one row per actor",
                source=source, location=row, field="actor"))
            continue
        elif power is not None and actors[aid].get("power") is not None and power != actors[aid]["power"]:
            problems.append(ScenarioError(
                f"{power:g} differs from {actors[aid]['power']:g} given for actor {aid!r} in {actor_first_row[aid]}; an actor has one power",
                source=source, location=row, field="power"))
        if iid not in issues:
            issues[iid] = {"id": iid, "name": cell.get("issue_name", "").strip() or (Path(source).stem if literature else cell["issue"].strip()),
                           "_row": row}
            for f in ("scale_min", "scale_max", "status_quo"):
                if cell.get(f, "").strip():
                    v = parse_number(cell[f], source=source, row=row, field=f, problems=problems)
                    if v is not None:
                        issues[iid][f] = v
            if cell.get("unit", "").strip():
                issues[iid]["unit"] = cell["unit"].strip()
        if pos is None or sal is None or power is None:
            continue
        rows[("positions", len(positions))] = row
        positions.append({"actor": aid, "issue": iid, "position": pos, "salience": sal})
        has_rmin = bool(cell.get("red_min", "").strip())
        has_rmax = bool(cell.get("red_max", "").strip())
        if has_rmin or has_rmax:
            lo = parse_number(cell["red_min"], source=source, row=row, field="red_min", problems=problems) if has_rmin else None
            hi = parse_number(cell["red_max"], source=source, row=row, field="red_max", problems=problems) if has_rmax else None
            red_lines.append({"actor": aid, "issue": iid, "min": lo, "max": hi})
            red_rows.append(row)
    if len(all_rows) < 2:
        problems.append(ScenarioError("has a header but no data rows", source=source))
    notes = _csv_scales(issues, positions, rows)
    for k, aid in enumerate(actors):
        rows[("actors", k)] = actor_first_row[aid]
    for k, r in enumerate(red_lines):
        sc = issues[r["issue"]]["scale"]
        r["min"] = sc["min"] if r["min"] is None else r["min"]
        r["max"] = sc["max"] if r["max"] is None else r["max"]
        rows[("red_lines", k)] = red_rows[k]
    data = {
        "name": stem,
        "title": Path(source).stem if not source.startswith("<") else "CSV scenario",
        "actors": list(actors.values()),
        "issues": list(issues.values()),
        "positions": positions,
        "red_lines": red_lines,
        "notes": notes,
        "sources": [source],
    }
    if not problems:
        return scenario_from_data(data, source=source, rows=rows)
    # the cells that did parse are still validated, so one run reports every problem
    if positions:
        try:
            scenario_from_data(data, source=source, rows=rows)
        except ScenarioError as e:
            # an issue left without weight only because its bad rows were dropped is no news
            problems += [p for p in (list(e.problems) or [e]) if not p.problem.startswith("no actor has")]
    if len(problems) == 1:
        raise problems[0]
    raise ScenarioError(f"{len(problems)} problems found", source=source, problems=problems)
