"""Parse scenarios in detente's own formats (YAML, JSON, flat CSV) and plain dicts.

The loader that also recognises other tools' formats is :func:`detente.io.load_scenario`.

Every problem becomes a :class:`~detente.errors.ScenarioError` naming the file, the line (YAML,
JSON) or CSV row, the field, the offending value and what is allowed; when a file has several
problems they are all reported at once (``ScenarioError.problems``). Input is never changed
silently: what a loader infers (a CSV scale taken from the data) is written to
``Scenario.notes``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import gc
import io
import json
import re
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ScenarioError, known_list
from .files import decode_bytes, read_bytes, read_text
from .ids import IdMaker, safe_name
from .numbers import parse_bool as _bool
from .numbers import parse_number, strict_float, strict_int
from .schema import Scenario

__all__ = [
    "builtin_path",
    "builtin_scenarios",
    "decode_bytes",
    "file_format",
    "native_scenario_from_text",
    "parse_number",
    "read_bytes",
    "read_text",
    "scenario_from_csv_text",
    "scenario_from_data",
    "strict_float",
    "strict_int",
]

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
            with _no_gc():
                data = _load_yaml(text)  # safe: SafeLoader's tags only
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


_STREAM_FROM = 1_000_000  # characters: smaller files take the ordinary loader
_Y = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_Y + t for t in ("null", "bool", "int", "float", "str", "timestamp")}


class _Fallback(Exception):
    """Something the streaming constructor leaves to PyYAML (which also reports errors)."""


def _load_yaml(text: str) -> Any:
    """``yaml.load`` with the safe loader; big files are built straight from parser events.

    PyYAML first builds a node tree of the whole document (about 65 bytes of memory per byte
    of YAML: 1.2 GB for 18 MB) and then the data. For files over a megabyte the data are built
    from the event stream instead, with the same resolver and scalar constructors, duplicate
    keys refused as by :class:`_SafeLoader`, anchors shared (never expanded). Anything
    unusual (explicit or merge tags, complex keys, unknown aliases) goes to the ordinary
    loader, which also produces every error message.
    """
    if len(text) >= _STREAM_FROM:
        try:
            return _stream_yaml(text)
        except _Fallback:
            pass
    return yaml.load(text, Loader=_SAFE_LOADER)


def _stream_yaml(text: str) -> Any:
    loader = _EVENT_LOADER(text)
    ctors = loader.yaml_constructors
    anchors: dict[str, Any] = {}
    # a frame: [container, is_mapping, pending key (mappings), key lines (mappings)]
    stack: list[list[Any]] = []
    root: list[Any] = []
    missing = object()

    def put(value: Any, mark) -> None:
        if not stack:
            root.append(value)
            return
        f = stack[-1]
        if not f[1]:
            f[0].append(value)
        elif f[2] is missing:
            if isinstance(value, (dict, list)):
                raise _Fallback  # a complex key
            if value in f[0] or value in f[3]:
                first = f[3].get(value)
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {value!r} (first given on line {first})", mark)
            f[2] = value
            f[3][value] = mark.line + 1
        else:
            f[0][f[2]] = value
            f[2] = missing

    try:
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, yaml.ScalarEvent):
                tag = ev.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(yaml.ScalarNode, ev.value, ev.implicit)
                if tag not in _SCALAR_TAGS:
                    raise _Fallback
                node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
                value = ctors[tag](loader, node)
                if ev.anchor is not None:
                    anchors[ev.anchor] = value
                put(value, ev.start_mark)
            elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                mapping = isinstance(ev, yaml.MappingStartEvent)
                if ev.tag not in (None, "!", _Y + ("map" if mapping else "seq")):
                    raise _Fallback
                if len(stack) > 1000:
                    raise _Fallback  # the ordinary loader reports "nested too deeply"
                container: Any = {} if mapping else []
                if ev.anchor is not None:
                    anchors[ev.anchor] = container
                stack.append([container, mapping, missing, {}])
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                put(done[0], ev.start_mark)
            elif isinstance(ev, yaml.AliasEvent):
                if ev.anchor not in anchors:
                    raise _Fallback
                put(anchors[ev.anchor], ev.start_mark)
            elif isinstance(ev, yaml.DocumentStartEvent) and root:
                raise _Fallback  # several documents: the ordinary loader says so
    finally:
        loader.dispose()
    if len(root) > 1:
        raise _Fallback
    return root[0] if root else None


@contextlib.contextmanager
def _no_gc():
    """Pause the cyclic garbage collector while a parser allocates millions of small objects.

    The parser's objects hold no cycles that need collecting mid-parse, but each collection
    walks every object made so far: with it on, parsing a 3 MB YAML took 19 s instead of 4 s
    and grew faster than the file. Restored on exit (also on error) if it was enabled.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
    """Line numbers cost a second parse: only pay for it when reporting errors, and then only
    for the paths the errors name (``wanted``)."""
    return lambda wanted: _yaml_lines(text, wanted)


_EVENT_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NODE_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_NODE_LEAF = (yaml.ScalarEvent, yaml.AliasEvent)
_NODE_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _yaml_lines(text: str, wanted) -> dict[tuple, int]:
    """Map each node path in ``wanted`` (tuples of keys/indices) to its 1-based line in ``text``.

    One streaming pass over the parser's events, keeping only the open containers (memory
    grows with the nesting depth, not with the file: an 18 MB file with one error costs a few
    MB here, where a node tree cost gigabytes). Aliases are not followed (alias bombs).
    """
    want = set(wanted)
    out: dict[tuple, int] = {}
    if not want:
        return out
    # a frame: [is_mapping, path (None inside a complex key), next index, key, expecting a key]
    stack: list[list[Any]] = []

    def done() -> None:  # a node is complete: move its parent to the next slot
        if stack:
            f = stack[-1]
            if f[0]:
                f[4] = not f[4]
            else:
                f[2] += 1

    try:
        with _no_gc():
            for ev in yaml.parse(text, Loader=_EVENT_LOADER):
                if isinstance(ev, _NODE_END):
                    stack.pop()
                    done()
                    continue
                if not isinstance(ev, _NODE_START + _NODE_LEAF):
                    continue
                line = ev.start_mark.line + 1
                path: tuple | None
                if not stack:
                    path = ()
                else:
                    f = stack[-1]
                    if f[1] is None:
                        path = None
                    elif f[0] and f[4]:  # a mapping key: record the key's line, like the value's
                        f[3] = ev.value if isinstance(ev, yaml.ScalarEvent) else None
                        kp = f[1] + (f[3],)
                        if kp in want:
                            out[kp] = line
                        path = None  # the key node itself has no path of its own
                    elif f[0]:
                        path = f[1] + (f[3],)
                    else:
                        path = f[1] + (f[2],)
                if path is not None and path in want:
                    out[path] = line
                if isinstance(ev, _NODE_START):
                    stack.append([isinstance(ev, yaml.MappingStartEvent), path, 0, None, True])
                else:
                    done()
    except Exception:  # line numbers are a courtesy; the parse error is reported elsewhere
        return out
    return out


class _Wanted(dict):
    """A stand-in for the line map that records which paths the messages ask for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[tuple] = set()

    def __contains__(self, key: object) -> bool:
        if isinstance(key, tuple):
            self.asked.add(key)
        return False


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
        strict = not any(not e["loc"] for e in exc.errors(include_url=False))
        if callable(lines):  # a dry run collects the paths the messages name, then one pass
            asked = _Wanted()
            dry = _translate(exc, source, asked, rows or {})
            if strict:
                _lenient_cross(data, source, asked, rows or {}, dry)
            lines = lines(asked.asked)
        problems = _translate(exc, source, lines or {}, rows or {})
        if strict:
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
    return safe_name(text, "scenario")


def _csv_header(first: list[str], source: str) -> tuple[list[str], bool, tuple[str, ...]]:
    """The lower-cased header, whether it is the single-issue layout, and its required columns."""
    header = [h.strip().lower() for h in first]
    dup = sorted(h for h, n in Counter(header).items() if n > 1)  # linear, whatever the width
    if dup:
        raise ScenarioError(f"duplicate column(s) {known_list(dup)}", source=source, location="row 1")
    literature = set(_LIT_REQUIRED) <= set(header) and "issue" not in header
    required = _LIT_REQUIRED if literature else _FLAT_REQUIRED
    missing = [c for c in required if c not in header]
    if missing:
        raise ScenarioError(
            f"missing column(s) {', '.join(missing)}; a scenario CSV needs {', '.join(_FLAT_REQUIRED)} "
            f"(or the single-issue layout {', '.join(_LIT_REQUIRED)}); got {known_list(header)}",
            source=source,
            location="row 1",
        )
    allowed = set(required) | _OPTIONAL
    unknown = [h for h in header if h not in allowed]
    if unknown:
        raise ScenarioError(
            f"unknown column(s) {known_list(unknown)}; allowed: {', '.join(sorted(allowed))}",
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
    actor_ids = IdMaker("actor", source=source)
    issue_ids = IdMaker("issue", source=source)
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
        if not literature and not cell["issue"].strip():
            problems.append(ScenarioError("is empty; an issue id is required", source=source, location=row, field="issue"))
            continue
        try:
            aid = actor_ids.id_for(actor_label, where=row)
            iid = stem if literature else issue_ids.id_for(cell["issue"], where=row)
        except ScenarioError as e:  # two labels, one id: never merge them
            problems.append(e)
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
    notes = actor_ids.notes() + issue_ids.notes() + _csv_scales(issues, positions, rows)
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
