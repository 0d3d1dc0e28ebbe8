"""Read and write KTAB's SMP scenario files (CSV and XML).

CSV (``smpc --csv``)::

    name, description, numActors, numDims[, ...]
    Actor, Description, Capability, <dim 1>, <salience 1>, <dim 2>, <salience 2>, ...
    <actor>, <description>, <capability>, <pos 1>, <sal 1>, <pos 2>, <sal 2>, ...

with or without a final comma. XML (``smpc --xml``, KTAB's ``smpSchema.xsd``): ``<Scenario>``
with ``name``, ``desc``, ``prngSeed``, optional ``ModelParameters`` (the nine options),
``Dimensions/dName``, ``Actors/Actor`` (``name``, ``description``, ``capability``,
``Position/dCoord``, ``Salience/dSal``) and ``IdealAdjustment/iaPair`` (accommodation matrix
entries).

Checks follow KTAB's reader: 3 to 250 actors, at least one dimension, names of 1 to 25
characters, descriptions of at most 256, capability in [0, 1e8], positions and saliences in
[0, 100], and each actor's saliences summing to at most 100. Every problem becomes a
:class:`~detente.errors.ScenarioError` naming the file, the row (CSV) or element (XML) and the
field. Unlike KTAB at commit c57b72a, a missing ``IdealAdjustment`` means the identity (KTAB
rejects the file) and ``prngSeed`` may be absent.

A KTAB file becomes a detente Scenario with issues on [0, 100] (positions as given) and
saliences divided by 100; actor and issue ids are the names made safe (``[A-Za-z0-9_.-]``),
the names themselves are kept as ``name`` (leading blanks are lost: the schema strips them).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MissingExtraError, ScenarioError
from ..scenario.foreign import OPTION_VALUES, XML_OPTION_FIELDS, ktab_inputs
from ..scenario.load import decode_bytes, read_text, scenario_from_data
from ..scenario.schema import Scenario

__all__ = [
    "KtabInput",
    "is_ktab_csv",
    "is_ktab_xml",
    "ktab_from_text",
    "load_ktab",
    "read_ktab",
    "to_ktab_csv",
    "to_ktab_xml",
]

MIN_ACTORS, MAX_ACTORS = 3, 250
MAX_NAME, MAX_DESC = 25, 256
MAX_CAPABILITY = 1e8
_DESC_PREFIX = "KTAB description: "
_SAL_TOL = 1e-9  # slack on "saliences sum to at most 100" for decimal input such as 33.3 + 66.7


@dataclass(frozen=True)
class KtabInput:
    """A KTAB scenario file as read.

    Attributes
    ----------
    scenario : Scenario
    options : dict
        ``ktab_smp`` model parameters set by the file (XML ``ModelParameters`` and
        ``IdealAdjustment``); empty for CSV. The reader returns data only: build the model
        with the ``ktab_smp`` model's ``KtabSMP.from_ktab(inp)``.
    seed : int or None
        The XML ``prngSeed`` (KTAB's seed; used only by stochastic runs in KTAB).
    dimension_names : tuple of str
        Dimension names exactly as KTAB stores them (leading blanks kept).
    format : str
        ``"csv"`` or ``"xml"``.
    """

    scenario: Scenario
    options: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    dimension_names: tuple[str, ...] = ()
    format: str = "csv"


# ---------------------------------------------------------------- detection
def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), skipinitialspace=False))


def is_ktab_csv(text: str) -> bool:
    """Whether ``text`` looks like a KTAB SMP CSV: a first row ``name, desc, numActors,
    numDims`` whose third and fourth cells are integers."""
    try:
        first = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), None)
    except csv.Error:
        return False
    if not first or len(first) < 4:
        return False
    try:
        int(first[2].strip().strip('"'))
        int(first[3].strip().strip('"'))
    except ValueError:
        return False
    return True


def is_ktab_xml(text: str) -> bool:
    """Whether ``text`` looks like a KTAB SMP XML scenario (a ``<Scenario>`` root with actors)."""
    head = text.lstrip("\ufeff \t\r\n")[:4000]
    return "<Scenario" in head and "<Actors" in text


# ---------------------------------------------------------------- reading
def read_ktab(path: str | Path) -> KtabInput:
    """Read a KTAB CSV or XML file (by extension, else by content)."""
    p = Path(path)
    text = read_text(p)
    suffix = p.suffix.lower()
    fmt = "xml" if suffix == ".xml" else "csv" if suffix == ".csv" else None
    return ktab_from_text(text, source=p.name, fmt=fmt)


def load_ktab(path: str | Path) -> Scenario:
    """The detente Scenario of a KTAB CSV or XML file (options are dropped; see read_ktab)."""
    return read_ktab(path).scenario


def ktab_from_text(text: str, *, source: str = "<string>", fmt: str | None = None) -> KtabInput:
    """Parse KTAB CSV or XML text; ``fmt`` None guesses from the content."""
    if isinstance(text, bytes):
        text = decode_bytes(text, source)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ScenarioError("the file is empty", source=source)
    if fmt is None:
        fmt = "xml" if text.lstrip().startswith("<") else "csv"
    if fmt == "xml":
        return _read_xml(text, source)
    if fmt == "csv":
        return _read_csv(text, source)
    raise ScenarioError(f"unknown KTAB format {fmt!r}; allowed: csv, xml", source=source)


def _number(cell: str, *, source: str, location: str, field: str) -> float:
    c = cell.strip().strip('"').strip()
    if c == "":
        raise ScenarioError("is empty; a number is required", source=source, location=location, field=field)
    try:
        v = float(c)
    except ValueError:
        raise ScenarioError(f"{c!r} is not a number", source=source, location=location, field=field) from None
    if not math.isfinite(v):
        raise ScenarioError(f"{c!r} is not a finite number", source=source, location=location, field=field)
    return v


def _integer(cell: str, *, source: str, location: str, field: str) -> int:
    c = cell.strip().strip('"').strip()
    try:
        return int(c)
    except ValueError:
        raise ScenarioError(f"{c!r} is not an integer", source=source, location=location, field=field) from None


def _check_range(v: float, lo: float, hi: float, *, source, location, field) -> None:
    if not lo <= v <= hi:
        raise ScenarioError(f"{v:g} is outside [{lo:g}, {hi:g}]", source=source, location=location, field=field)


def _check_text(v: str, *, source, location, field, max_len, min_len=0) -> None:
    if not min_len <= len(v) <= max_len:
        raise ScenarioError(
            f"must have {min_len} to {max_len} characters (got {len(v)}: {v!r})",
            source=source, location=location, field=field,
        )


def _trim_trailing(row: list[str]) -> list[str]:
    """Drop the empty cells a final comma leaves."""
    r = list(row)
    while r and r[-1].strip() == "":
        r.pop()
    return r


def _read_csv(text: str, source: str) -> KtabInput:
    try:
        rows = _csv_rows(text)
    except csv.Error as e:
        raise ScenarioError(f"malformed CSV: {e}", source=source) from None
    numbered = [(k, r) for k, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise ScenarioError("the file is empty", source=source)
    (r1, first) = numbered[0]
    first = _trim_trailing(first)
    loc1 = f"row {r1}"
    if len(first) < 4:
        raise ScenarioError(
            f"the first row must be 'name, description, numActors, numDims' (got {len(first)} cells)",
            source=source, location=loc1,
        )
    name, desc = first[0].strip('"'), first[1].strip('"')
    n = _integer(first[2], source=source, location=loc1, field="numActors")
    d = _integer(first[3], source=source, location=loc1, field="numDims")
    if not MIN_ACTORS <= n <= MAX_ACTORS:
        raise ScenarioError(f"must be in [{MIN_ACTORS}, {MAX_ACTORS}] (got {n})", source=source, location=loc1, field="numActors")
    if d < 1:
        raise ScenarioError(f"must be at least 1 (got {d})", source=source, location=loc1, field="numDims")
    if len(numbered) < 2:
        raise ScenarioError("the header row is missing", source=source, location=f"row {r1 + 1}")
    rh, header = numbered[1]
    header = _trim_trailing(header)
    if len(header) != 3 + 2 * d:
        raise ScenarioError(
            f"has {len(header)} columns; numDims={d} needs 3 + 2 x {d} = {3 + 2 * d} "
            "(actor, description, capability, then a position and a salience column per dimension)",
            source=source, location=f"row {rh}", field="columns",
        )
    dim_names = [header[3 + 2 * k].strip('"') for k in range(d)]
    sal_names = [header[4 + 2 * k].strip('"') for k in range(d)]
    body = numbered[2:]
    if len(body) < n:
        raise ScenarioError(
            f"numActors is {n} but the file has {len(body)} actor rows", source=source, location=loc1, field="numActors",
        )
    if len(body) > n:
        raise ScenarioError(
            f"numActors is {n} but the file has {len(body)} actor rows (extra row)",
            source=source, location=f"row {body[n][0]}", field="numActors",
        )
    actors = []
    for rk, raw in body:
        loc = f"row {rk}"
        row = _trim_trailing(raw)
        if len(row) != 3 + 2 * d:
            raise ScenarioError(
                f"has {len(row)} cells; with numDims={d} an actor row has {3 + 2 * d} "
                "(a dimension count that differs from the header's)",
                source=source, location=loc, field="numDims",
            )
        aname, adesc = row[0].strip('"'), row[1].strip('"')
        _check_text(aname, source=source, location=loc, field="name", max_len=MAX_NAME, min_len=1)
        _check_text(adesc, source=source, location=loc, field="description", max_len=MAX_DESC)
        cap = _number(row[2], source=source, location=loc, field=header[2].strip() or "capability")
        _check_range(cap, 0.0, MAX_CAPABILITY, source=source, location=loc, field=header[2].strip() or "capability")
        pos, sal = [], []
        for k in range(d):
            p = _number(row[3 + 2 * k], source=source, location=loc, field=dim_names[k].strip())
            s = _number(row[4 + 2 * k], source=source, location=loc, field=sal_names[k].strip())
            _check_range(p, 0.0, 100.0, source=source, location=loc, field=dim_names[k].strip())
            _check_range(s, 0.0, 100.0, source=source, location=loc, field=sal_names[k].strip())
            pos.append(p)
            sal.append(s)
        if sum(sal) > 100.0 + _SAL_TOL:
            raise ScenarioError(
                f"the saliences sum to {sum(sal):g}; KTAB allows at most 100 per actor",
                source=source, location=loc, field="salience",
            )
        actors.append((aname, adesc, cap, pos, sal, loc))
    scenario = _to_scenario(name, desc, dim_names, actors, source)
    return KtabInput(scenario=scenario, dimension_names=tuple(dim_names), format="csv")


def _safe_id(text: str, used: set[str], fallback: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text.strip()).strip("_")[:90] or fallback
    base, k = s, 2
    while s in used:
        s = f"{base}_{k}"
        k += 1
    used.add(s)
    return s


def _to_scenario(name, desc, dim_names, actors, source) -> Scenario:
    issue_ids: set[str] = set()
    issues = []
    for k, dn in enumerate(dim_names):
        iid = _safe_id(dn, issue_ids, f"dim{k}")
        issues.append({"id": iid, "name": dn.strip(), "scale": {"min": 0.0, "max": 100.0}})
    actor_ids: set[str] = set()
    rows: dict[tuple, str] = {}
    data_actors, positions = [], []
    for a, (aname, adesc, cap, pos, sal, loc) in enumerate(actors):
        aid = _safe_id(aname, actor_ids, f"actor{a}")
        rows[("actors", a)] = loc
        data_actors.append({"id": aid, "name": aname.strip(), "power": cap,
                            "sources": [_DESC_PREFIX + adesc.strip()] if adesc.strip() else []})
        for k, iss in enumerate(issues):
            rows[("positions", len(positions))] = loc
            positions.append({"actor": aid, "issue": iss["id"], "position": pos[k],
                              "salience": sal[k] / 100.0})
    data = {
        "name": _safe_id(name, set(), "ktab"),
        "title": name.strip(),
        "description": desc.strip(),
        "actors": data_actors,
        "issues": issues,
        "positions": positions,
        "notes": ["read from a KTAB SMP file: positions on [0, 100] as given, saliences divided by 100"],
    }
    return scenario_from_data(data, source=source, rows=rows)


# ---------------------------------------------------------------- XML
def _xml_module():
    try:
        from defusedxml import ElementTree as ET  # noqa: N817
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError("defusedxml", "xml") from None
    return ET


def _text(el, tag: str, *, source: str, where: str, required: bool = True) -> str | None:
    child = el.find(tag)
    if child is None:
        if required:
            raise ScenarioError(f"the element <{tag}> is missing", source=source, location=f"element {where}", field=tag)
        return None
    return child.text or ""


def _read_xml(text: str, source: str) -> KtabInput:
    ET = _xml_module()
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line, col = getattr(e, "position", (0, 0))
        raise ScenarioError(f"malformed XML: {e}", source=source, location=f"line {line}, column {col}") from None
    except Exception as e:  # defusedxml's refusals (entities, DTDs)
        raise ScenarioError(f"refused XML: {type(e).__name__}: {e}", source=source) from None
    if root.tag != "Scenario":
        raise ScenarioError(f"the root element must be <Scenario> (got <{root.tag}>)", source=source, location="element <Scenario>")
    name = _text(root, "name", source=source, where="<Scenario>")
    desc = _text(root, "desc", source=source, where="<Scenario>", required=False) or ""
    seed = None
    seed_text = _text(root, "prngSeed", source=source, where="<Scenario>", required=False)
    if seed_text is not None:
        st = seed_text.strip()
        if not st.isdigit() or int(st) >= 2**64:
            raise ScenarioError(
                f"must be a decimal unsigned 64-bit integer (got {st!r})",
                source=source, location="element <Scenario>/<prngSeed>", field="prngSeed",
            )
        seed = int(st)
    options: dict[str, Any] = {}
    mp = root.find("ModelParameters")
    if mp is not None:
        for child in mp:
            where = f"element <ModelParameters>/<{child.tag}>"
            if child.tag not in XML_OPTION_FIELDS:
                raise ScenarioError(
                    f"unknown model parameter <{child.tag}>; known: {', '.join(XML_OPTION_FIELDS)}",
                    source=source, location=where, field=child.tag,
                )
            fld = XML_OPTION_FIELDS[child.tag]
            value = (child.text or "").strip()
            if value not in OPTION_VALUES[fld]:
                raise ScenarioError(
                    f"{value!r} is not one of {', '.join(OPTION_VALUES[fld])}",
                    source=source, location=where, field=child.tag,
                )
            options[fld] = value
    dims_el = root.find("Dimensions")
    if dims_el is None:
        raise ScenarioError("the element <Dimensions> is missing", source=source, location="element <Scenario>", field="Dimensions")
    dim_names = [(e.text or "") for e in dims_el.findall("dName")]
    if not dim_names:
        raise ScenarioError("needs at least one <dName>", source=source, location="element <Dimensions>", field="dName")
    d = len(dim_names)
    actors_el = root.find("Actors")
    if actors_el is None:
        raise ScenarioError("the element <Actors> is missing", source=source, location="element <Scenario>", field="Actors")
    actor_els = actors_el.findall("Actor")
    if not MIN_ACTORS <= len(actor_els) <= MAX_ACTORS:
        raise ScenarioError(
            f"must hold {MIN_ACTORS} to {MAX_ACTORS} <Actor> elements (got {len(actor_els)})",
            source=source, location="element <Actors>", field="Actor",
        )
    actors = []
    for a, ael in enumerate(actor_els, start=1):
        where = f"<Actors>/<Actor>[{a}]"
        loc = f"element {where}"
        aname = _text(ael, "name", source=source, where=where)
        adesc = _text(ael, "description", source=source, where=where, required=False) or ""
        _check_text(aname, source=source, location=loc, field="name", max_len=MAX_NAME, min_len=1)
        _check_text(adesc, source=source, location=loc, field="description", max_len=MAX_DESC)
        cap_t = _text(ael, "capability", source=source, where=where)
        cap = _number(cap_t, source=source, location=loc, field="capability")
        _check_range(cap, 0.0, MAX_CAPABILITY, source=source, location=loc, field="capability")
        vecs = []
        for tag, sub in (("Position", "dCoord"), ("Salience", "dSal")):
            vel = ael.find(tag)
            if vel is None:
                raise ScenarioError(f"the element <{tag}> is missing", source=source, location=loc, field=tag)
            cells = vel.findall(sub)
            if len(cells) != d:
                raise ScenarioError(
                    f"has {len(cells)} <{sub}> values but <Dimensions> names {d} (the dimension count differs)",
                    source=source, location=f"element {where}/<{tag}>", field=sub,
                )
            vals = []
            for k, c in enumerate(cells, start=1):
                cloc = f"element {where}/<{tag}>/<{sub}>[{k}]"
                v = _number(c.text or "", source=source, location=cloc, field=sub)
                _check_range(v, 0.0, 100.0, source=source, location=cloc, field=sub)
                vals.append(v)
            vecs.append(vals)
        pos, sal = vecs
        if sum(sal) > 100.0 + _SAL_TOL:
            raise ScenarioError(
                f"the saliences sum to {sum(sal):g}; KTAB allows at most 100 per actor",
                source=source, location=f"element {where}/<Salience>", field="dSal",
            )
        actors.append((aname, adesc, cap, pos, sal, loc))
    scenario = _to_scenario(name, desc, dim_names, actors, source)
    by_name = {a[0]: scenario.actors[k].id for k, a in enumerate(actors)}
    ia = root.find("IdealAdjustment")
    acc = []
    if ia is not None:
        for k, pair in enumerate(ia.findall("iaPair"), start=1):
            where = f"<IdealAdjustment>/<iaPair>[{k}]"
            ids = []
            for tag in ("adjustingIdeal", "referencePos"):
                who = _text(pair, tag, source=source, where=where)
                if who not in by_name:
                    raise ScenarioError(
                        f"unknown actor {who!r}; known: {', '.join(by_name)}",
                        source=source, location=f"element {where}", field=tag,
                    )
                ids.append(by_name[who])
            w = _number(_text(pair, "adjust", source=source, where=where), source=source,
                        location=f"element {where}", field="adjust")
            _check_range(w, 0.0, 1.0, source=source, location=f"element {where}", field="adjust")
            acc.append((ids[0], ids[1], w))
        ids = scenario.actor_ids
        mat = np.eye(len(ids))
        index = {a: k for k, a in enumerate(ids)}
        for a, b, w in acc:
            mat[index[a], index[b]] = w
        rows = mat.sum(axis=1)
        if np.any(rows > 1.0 + 1e-9):
            k = int(np.argmax(rows > 1.0 + 1e-9))
            raise ScenarioError(
                f"the adjustments of actor {actors[k][0]!r} sum to {rows[k]:g} (with the identity "
                "default); each row of the accommodation matrix must sum to at most 1",
                source=source, location="element <IdealAdjustment>", field="adjust",
            )
        if not np.array_equal(mat, np.eye(len(ids))):
            options["accommodation"] = tuple(acc)
    return KtabInput(scenario=scenario, options=options, seed=seed,
                     dimension_names=tuple(dim_names), format="xml")


# ---------------------------------------------------------------- writing
def _ktab_tables(scenario: Scenario):
    """Actor names, dimension names and values on KTAB's [0, 100] scales, plus notes."""
    a = scenario.arrays()
    x, s, cap, notes = ktab_inputs(a)
    on100 = (a.scale_min == 0.0) & (a.scale_max == 100.0)
    pos = np.where(on100 & a.stake, a.filled_position(), x * 100.0)
    sal = s * 100.0
    names = []
    seen = set()
    for k, act in enumerate(scenario.actors):
        nm = act.name if act.name and len(act.name) <= MAX_NAME and "," not in act.name else act.id
        if len(nm) > MAX_NAME or nm in seen:
            nm = act.id[:MAX_NAME]
        if nm in seen:
            raise ScenarioError(
                f"actor names must be unique within KTAB's {MAX_NAME} characters (got {nm!r} twice)",
                source=scenario.name, location=f"actors[{k}]", field="name",
            )
        seen.add(nm)
        names.append(nm)
    dims = [i.name or i.id for i in scenario.issues]
    return names, dims, pos, sal, cap, notes


def _description(actor) -> str:
    """The KTAB description kept in an actor's first source, else its kind."""
    src = actor.sources[0] if actor.sources else ""
    text = src[len(_DESC_PREFIX):] if src.startswith(_DESC_PREFIX) else actor.kind
    return _plain(text)[:MAX_DESC]


def _plain(text: str) -> str:
    """Text KTAB's comma splitter reads back unchanged: no commas, no double quotes."""
    return text.replace(",", ";").replace('"', "'")


def _fmt(v: float) -> str:
    return repr(float(v))


def to_ktab_csv(scenario: Scenario) -> str:
    """KTAB SMP CSV text for a scenario (positions on [0, 100], saliences x 100).

    Issues on other scales are mapped linearly onto [0, 100]; saliences are scaled as the
    ``ktab_smp`` model scales them (see :func:`detente.scenario.foreign.ktab_inputs`).
    """
    names, dims, pos, sal, cap, _ = _ktab_tables(scenario)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([_plain(scenario.title or scenario.name), _plain(scenario.description)[:MAX_DESC],
                len(names), len(dims)])
    head = ["Actor", "Description", "Capability"]
    for dn in dims:
        head += [_plain(dn), f"{_plain(dn)} Salience"]
    w.writerow(head)
    for k, act in enumerate(scenario.actors):
        row = [names[k], _description(act), _fmt(cap[k])]
        for j in range(len(dims)):
            row += [_fmt(pos[k, j]), _fmt(sal[k, j])]
        w.writerow(row)
    return out.getvalue()


def to_ktab_xml(scenario: Scenario, *, model: Any = None, seed: int | None = None) -> str:
    """KTAB SMP XML text for a scenario, with the model's options when ``model`` is given.

    The ``IdealAdjustment`` block is always written (KTAB's reader needs one ``iaPair``): the
    model's accommodation entries, or one identity pair.
    """
    from xml.sax.saxutils import escape

    names, dims, pos, sal, cap, _ = _ktab_tables(scenario)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<Scenario xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:noNamespaceSchemaLocation="smpSchema.xsd">',
             f"  <name>{escape(scenario.title or scenario.name)}</name>",
             f"  <desc>{escape(scenario.description)}</desc>",
             f"  <prngSeed>{15455440707583219804 if seed is None else int(seed)}</prngSeed>"]
    if model is not None:
        lines.append("  <ModelParameters>")
        for tag, fld in XML_OPTION_FIELDS.items():
            lines.append(f"    <{tag}>{getattr(model, fld)}</{tag}>")
        lines.append("  </ModelParameters>")
    lines.append("  <Dimensions>")
    lines += [f"    <dName>{escape(dn)}</dName>" for dn in dims]
    lines.append("  </Dimensions>")
    lines.append("  <Actors>")
    for k, act in enumerate(scenario.actors):
        desc = _description(act)
        lines += ["    <Actor>", f"      <name>{escape(names[k])}</name>",
                  f"      <description>{escape(desc)}</description>",
                  f"      <capability>{_fmt(cap[k])}</capability>", "      <Position>"]
        lines += [f"        <dCoord>{_fmt(v)}</dCoord>" for v in pos[k]]
        lines += ["      </Position>", "      <Salience>"]
        lines += [f"        <dSal>{_fmt(v)}</dSal>" for v in sal[k]]
        lines += ["      </Salience>", "    </Actor>"]
    lines.append("  </Actors>")
    index = {a.id: names[k] for k, a in enumerate(scenario.actors)}
    pairs = list(getattr(model, "accommodation", ()) or ()) or [(scenario.actors[0].id, scenario.actors[0].id, 1.0)]
    lines.append("  <IdealAdjustment>")
    for a, b, w in pairs:
        lines += ["    <iaPair>", f"      <adjustingIdeal>{escape(index[a])}</adjustingIdeal>",
                  f"      <referencePos>{escape(index[b])}</referencePos>",
                  f"      <adjust>{_fmt(w)}</adjust>", "    </iaPair>"]
    lines.append("  </IdealAdjustment>")
    lines.append("</Scenario>")
    return "\n".join(lines) + "\n"
