"""Read and write the input format of the Decide exchange-model package.

A Decide file has one record per line, tab separated, each field optionally quoted with ``'``
(or ``"``). The first field is the record type:

====== ==================================================================================
``#A`` actor: id, full name, comment
``#P`` issue: id, description ... (extra fields are joined into the description)
``#M`` a labelled point on an issue's scale: issue id, position, description
``#D`` an actor's data on an issue: actor id, issue id, position, salience, power, comment
``#/`` comment
``#O`` description of the data set
====== ==================================================================================

An issue's scale runs from its smallest to its largest ``#M`` position (0 to 100 without
``#M`` rows). Validation follows the reference reader (``decide-exchange-model`` 2025.3.1):
salience and power must be numbers in [0, 100], a position must lie between its issue's
``#M`` bounds (an issue without ``#M`` rows is not checked here; a Scenario then checks 0-100),
``#D`` rows may only name defined actors and issues, an (actor, issue) pair may appear once and
an unknown record type is an error. Unlike the reference, every problem is reported at once,
each naming its line and field, and ``#M`` rows may come in any order (the reference keeps the
bounds right only when they are ordered).

Numbers are kept as :class:`decimal.Decimal` parsed from the file text (:class:`DecideData`), so
the exchange model's ``variant="decide"`` sees exactly what the reference sees (the record
types live in :mod:`detente.scenario.foreign`, shared with that model; this module only reads
and writes the format and never imports a model).
:func:`load_decide` converts to a detente :class:`~detente.scenario.schema.Scenario` (salience in
[0, 1], one power per actor) and :func:`scenario_to_decide` / :func:`to_decide_text` go back.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import ScenarioError
from ..scenario.foreign import DecideData, DecideRow
from ..scenario.foreign import decide_data_from_scenario as data_from_scenario
from ..scenario.load import read_text, scenario_from_data
from ..scenario.schema import Scenario

__all__ = [
    "DecideData",
    "DecideRow",
    "data_from_scenario",
    "is_decide_text",
    "load_decide",
    "parse_decide",
    "read_decide",
    "scenario_from_decide",
    "to_decide_text",
]

_TYPES = ("#A", "#P", "#M", "#D", "#/", "#O")
_TYPE_RE = re.compile(r"""^\s*['"]?#[APMDO/]['"]?(\t|$)""")


def is_decide_text(text: str) -> bool:
    """Whether ``text`` looks like a Decide input file (its first record is ``#A``, ``#P`` ...)."""
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip():
            return bool(_TYPE_RE.match(line))
    return False


def _split(text: str) -> list[tuple[int, list[str]]]:
    quote = '"' if re.search(r'^\s*"#', text, re.M) and not re.search(r"^\s*'#", text, re.M) else "'"
    out = []
    lines = text.lstrip("\ufeff").splitlines()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            cells = next(csv.reader([line], delimiter="\t", quotechar=quote))
        except (csv.Error, StopIteration):  # pragma: no cover - csv accepts any single line
            cells = line.split("\t")
        out.append((n, [c.strip() for c in cells]))
    return out


def _dec(cell: str) -> Decimal | None:
    try:
        v = Decimal(cell)
    except (InvalidOperation, ValueError):
        return None
    return v if v.is_finite() else None


def parse_decide(text: str, *, source: str = "<string>") -> DecideData:
    """Parse Decide input text.

    Raises
    ------
    ScenarioError
        Listing every problem, each with ``location="line N"`` and the field concerned.
    """
    problems: list[ScenarioError] = []

    def bad(msg: str, line: int, fld: str = "") -> None:
        problems.append(ScenarioError(msg, source=source, location=f"line {line}", field=fld))

    actors: dict[str, str] = {}
    issues: dict[str, str] = {}
    marks: dict[str, list[Decimal]] = {}
    raw_rows: list[tuple[int, list[str]]] = []
    description = ""
    records = _split(text)
    if not records:
        raise ScenarioError("the file is empty", source=source)
    for n, cells in records:
        kind = cells[0]
        if kind not in _TYPES:
            hint = " ('#0' is not a comment marker: use '#/')" if kind == "#0" else ""
            bad(f"unknown record type {kind!r}; allowed: {', '.join(_TYPES)}{hint}", n, "type")
            continue
        rest = cells[1:]
        if kind == "#/":
            continue
        if kind == "#O":
            description = " ".join(c for c in rest if c)
        elif kind == "#A":
            if not rest or not rest[0]:
                bad("an #A record needs an actor id", n, "id")
            elif rest[0] in actors:
                bad(f"actor id {rest[0]!r} is defined twice", n, "id")
            else:
                actors[rest[0]] = rest[1] if len(rest) > 1 and rest[1] else rest[0]
        elif kind == "#P":
            if not rest or not rest[0]:
                bad("a #P record needs an issue id", n, "id")
            elif rest[0] in issues:
                bad(f"issue id {rest[0]!r} is defined twice", n, "id")
            else:
                issues[rest[0]] = " ".join(c for c in rest[1:] if c) or rest[0]
                marks.setdefault(rest[0], [])
        elif kind == "#M":
            if len(rest) < 2:
                bad(f"an #M record needs an issue id and a position (got {len(rest)} fields)", n)
                continue
            v = _dec(rest[1])
            if v is None:
                bad(f"{rest[1]!r} is not a number", n, "position")
            elif rest[0] not in issues:
                bad(f"unknown issue id {rest[0]!r}; define it with a #P record first", n, "issue")
            else:
                marks[rest[0]].append(v)
        else:  # "#D"
            raw_rows.append((n, rest))

    lower = {i: min(m) if m else Decimal(0) for i, m in marks.items()}
    upper = {i: max(m) if m else Decimal(100) for i, m in marks.items()}
    rows: list[DecideRow] = []
    seen: dict[tuple[str, str], int] = {}
    for n, rest in raw_rows:
        if len(rest) < 5:
            bad(f"a #D record needs actor, issue, position, salience, power (got {len(rest)} fields)", n)
            continue
        a, i = rest[0], rest[1]
        ok = True
        if a not in actors:
            bad(f"unknown actor id {a!r}; defined actors: {', '.join(actors) or '(none)'}", n, "actor")
            ok = False
        if i not in issues:
            bad(f"unknown issue id {i!r}; defined issues: {', '.join(issues) or '(none)'}", n, "issue")
            ok = False
        nums = {}
        for fld, cell in zip(("position", "salience", "power"), rest[2:5], strict=True):
            v = _dec(cell)
            if v is None:
                bad(f"{cell!r} is not a number", n, fld)
                ok = False
                continue
            nums[fld] = v
            if fld != "position" and not Decimal(0) <= v <= Decimal(100):
                bound = "greater than or equal to 0" if v < 0 else "at most 100"
                bad(f"must be {bound}; allowed: [0, 100] (got {cell}) in row {' '.join(rest)!r}", n, fld)
                ok = False
        # like the reference, only an issue with #M rows has bounds to check positions against
        if ok and marks[i] and not lower[i] <= nums["position"] <= upper[i]:
            bad(
                f"{rest[2]} is outside issue {i!r}'s scale [{lower[i]}, {upper[i]}] (its #M rows)",
                n, "position",
            )
            ok = False
        if a in actors and i in issues:
            if (a, i) in seen:
                bad(f"second #D row for actor {a!r} on issue {i!r} (first on line {seen[(a, i)]})", n)
                ok = False
            else:
                seen[(a, i)] = n
        if ok:
            rows.append(DecideRow(a, i, nums["position"], nums["salience"], nums["power"], n,
                                  " ".join(c for c in rest[5:] if c)))
    if not actors:
        problems.append(ScenarioError("no #A (actor) records", source=source))
    if not issues:
        problems.append(ScenarioError("no #P (issue) records", source=source))
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ScenarioError(f"{len(problems)} problems found", source=source, problems=problems)
    return DecideData(
        source=source,
        actors=tuple(actors),
        issues=tuple(issues),
        lower=lower,
        upper=upper,
        rows=tuple(rows),
        actor_names=actors,
        issue_names=issues,
        description=description,
    )


def read_decide(path: str | Path) -> DecideData:
    """Read a Decide input file (see :func:`parse_decide`)."""
    p = Path(path)
    return parse_decide(read_text(p), source=p.name)


def _safe_id(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text.strip()).strip("_")
    return s[:100] or "x"


def scenario_from_decide(data: DecideData, *, name: str | None = None) -> Scenario:
    """Convert Decide data to a detente Scenario.

    Ids are made safe (characters outside ``A-Za-z0-9_.-`` become ``_``; the original id is kept
    as the name). Raises :class:`ScenarioError` where the data do not fit a Scenario: a salience
    above 1 (detente saliences lie in [0, 1]; such files can still be run with
    ``exchange_decide(read_decide(path))``), or an actor whose power differs between issues.
    """
    src = data.source
    problems: list[ScenarioError] = []
    power: dict[str, Decimal] = {}
    for r in data.rows:
        if r.salience > 1:
            problems.append(ScenarioError(
                f"{r.salience} is above 1; detente saliences lie in [0, 1] (the Decide file "
                "can still be run directly with detente.models.exchange.exchange_decide)",
                source=src, location=f"line {r.line}", field="salience"))
        if r.actor in power and power[r.actor] != r.power:
            problems.append(ScenarioError(
                f"{r.power} differs from this actor's power {power[r.actor]} on an earlier issue; "
                "a detente actor has one power", source=src, location=f"line {r.line}", field="power"))
        power.setdefault(r.actor, r.power)
    ids: dict[tuple[str, str], str] = {}
    for kind, names in (("actor", data.actors), ("issue", data.issues)):
        used: dict[str, str] = {}
        for orig in names:
            sid = _safe_id(orig)
            if sid in used:
                problems.append(ScenarioError(
                    f"ids {used[sid]!r} and {orig!r} both become {sid!r}", source=src, field=kind))
            used[sid] = orig
            ids[(kind, orig)] = sid
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ScenarioError(f"{len(problems)} problems found", source=src, problems=problems)
    notes = [f"read from the Decide file {src}"]
    absent = [a for a in data.actors if a not in power]
    if absent:
        notes.append(f"actors without #D rows get power 0: {', '.join(absent)}")
    payload = {
        "name": name or _safe_id(Path(src).stem if src and not src.startswith("<") else "decide"),
        "title": data.description,
        "actors": [
            {"id": ids[("actor", a)], "name": data.actor_names.get(a, a), "power": float(power.get(a, 0))}
            for a in data.actors
        ],
        "issues": [
            {"id": ids[("issue", i)], "name": data.issue_names.get(i, i),
             "scale": {"min": float(data.lower[i]), "max": float(data.upper[i])}}
            for i in data.issues
        ],
        "positions": [
            {"actor": ids[("actor", r.actor)], "issue": ids[("issue", r.issue)],
             "position": float(r.position), "salience": float(r.salience)}
            for r in data.rows
        ],
        "notes": notes,
    }
    rows = {("positions", k): f"line {r.line}" for k, r in enumerate(data.rows)}
    return scenario_from_data(payload, source=src, rows=rows)


def load_decide(path: str | Path) -> Scenario:
    """Read a Decide input file as a detente Scenario (see :func:`scenario_from_decide`)."""
    return scenario_from_decide(read_decide(path))


def to_decide_text(scenario: Scenario | DecideData) -> str:
    """Write a Scenario (or DecideData) in the Decide format, quoted with ``'``."""
    data = scenario if isinstance(scenario, DecideData) else data_from_scenario(scenario)

    def q(s: object) -> str:
        return "'" + str(s).replace("'", "") + "'"

    out = []
    if data.description:
        out.append("\t".join(["#O", q(data.description)]))
    for a in data.actors:
        out.append("\t".join(["#A", q(a), q(data.actor_names.get(a, a)), q("")]))
    for i in data.issues:
        out.append("\t".join(["#P", q(i), q(i), q(data.issue_names.get(i, i))]))
        out.append("\t".join(["#M", q(i), str(data.lower[i])]))
        out.append("\t".join(["#M", q(i), str(data.upper[i])]))
    for r in data.rows:
        out.append("\t".join(["#D", q(r.actor), q(r.issue), str(r.position), str(r.salience), str(r.power)]))
    return "\n".join(out) + "\n"

