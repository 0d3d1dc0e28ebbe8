"""Backtest cases: scenarios whose real outcome is known.

A :class:`Case` is a :class:`~detente.scenario.schema.Scenario` with its ``outcome`` section set,
plus one :class:`Target` per scored issue (the outcome, its defensible range and the row's
ex-ante status and confidence). The outcome lives only there: the harness hands models
``case.scenario.without_outcome()``.

Three sources of cases:

* a **case folder** in the layout of ``shared/reference/cases`` (:func:`read_case_folder`):
  ``outcomes.csv`` (one row per scored issue), ``inputs/<case>__<issue>.csv`` in the literature's
  single-issue layout ``actor,capability,position,salience`` and optionally
  ``scale_labels.csv``. The issue scale is the row's ``scale_min``/``scale_max``, never the range
  of the positions. An optional ``outcomes.csv`` column ``status_quo`` sets the issue's status quo
  (an input the models may read);
* a **scenario file or built-in scenario** with an ``outcome`` section (:func:`case_from_scenario`,
  :func:`builtin_cases`);
* the **DEU III** file (:mod:`detente.backtest.deu`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ..errors import ScenarioError
from ..io import load_scenario
from ..scenario.load import (
    builtin_scenarios,
    parse_number,
    read_text,
    scenario_from_csv_text,
    scenario_from_data,
    strict_float,
)
from ..scenario.schema import Scenario

__all__ = [
    "Case",
    "Target",
    "builtin_cases",
    "case_from_scenario",
    "load_cases",
    "read_case_folder",
]

OUTCOME_COLUMNS = (
    "case", "issue", "outcome", "scale_min", "scale_max", "outcome_date", "ex_ante", "confidence",
    "mapping_note", "source", "outcome_low", "outcome_high", "input_file",
)
_REQUIRED = ("case", "issue", "outcome", "scale_min", "scale_max", "input_file")
_EX_ANTE = ("yes", "no", "unknown")
_CONFIDENCE = ("high", "medium", "low")
_CONF_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, slots=True)
class Target:
    """One scored issue: what really happened, on the issue's own scale.

    Attributes
    ----------
    case : str
        The case this row belongs to (``cop21_2015``; a DEU proposal id).
    issue : str
        The scored row's id (``policy_near_2017``; a DEU ``isnr``).
    scenario_issue : str
        The issue id in the case's scenario that the row scores.
    outcome, low, high : float
        The real outcome and its defensible range (``low == high == outcome`` when certain).
    scale_min, scale_max : float
        The issue's scale.
    ex_ante : {"yes", "no", "unknown"}
        Whether the inputs were coded before the outcome was known.
    confidence : {"high", "medium", "low"}
        Confidence in the outcome's placement on the scale.
    date : str
        When the outcome was decided.
    group : str
        A free grouping label for breakdowns (the case; a DEU Council period).
    cluster : str
        Resampling unit for bootstrap intervals (the case; a DEU proposal).
    """

    case: str
    issue: str
    scenario_issue: str
    outcome: float
    low: float
    high: float
    scale_min: float
    scale_max: float
    ex_ante: Literal["yes", "no", "unknown"] = "unknown"
    confidence: Literal["high", "medium", "low"] = "medium"
    date: str = ""
    group: str = ""
    cluster: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    """A scenario with its real outcome and the issues to score.

    Attributes
    ----------
    name : str
        Unique within a backtest (``cop21_2015``; ``ktab_china_2014/policy_near_2017``).
    scenario : Scenario
        The model input, with ``outcome`` set. Give models ``scenario.without_outcome()``.
    targets : tuple of Target
        The scored issues.
    source : str
        Where the case was read from.
    meta : mapping
        Anything else the loader knows (scale labels, mapping notes).
    """

    name: str
    scenario: Scenario
    targets: tuple[Target, ...]
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        known = set(self.scenario.issue_ids)
        for t in self.targets:
            if t.scenario_issue not in known:
                raise ScenarioError(
                    f"target {t.issue!r} scores issue {t.scenario_issue!r}, which is not in "
                    f"scenario {self.scenario.name!r} (issues: {', '.join(sorted(known))})",
                    source=self.source,
                )

    @property
    def model_input(self) -> Scenario:
        """What a model may see: the scenario without its outcome."""
        return self.scenario.without_outcome()


# ------------------------------------------------------------------------------ scenarios
def case_from_scenario(scenario: Scenario, *, source: str = "") -> Case:
    """A case from a scenario that has an ``outcome`` section with at least one issue.

    Raises
    ------
    ScenarioError
        When the scenario records no outcome on any issue.
    """
    src = source or (scenario.sources[0] if scenario.sources else scenario.name)
    if scenario.outcome is None or not scenario.outcome.issues:
        raise ScenarioError(
            "has no outcome section with issue values, so it cannot be backtested; add "
            "outcome: {issues: [{issue: ID, value: X}]}",
            source=src,
            field="outcome",
        )
    o = scenario.outcome
    targets = []
    for io_ in o.issues:
        iss = scenario.issue(io_.issue)
        targets.append(
            Target(
                case=scenario.name,
                issue=io_.issue,
                scenario_issue=io_.issue,
                outcome=float(io_.value),
                low=float(io_.value if io_.low is None else io_.low),
                high=float(io_.value if io_.high is None else io_.high),
                scale_min=float(iss.scale.min),
                scale_max=float(iss.scale.max),
                ex_ante=o.ex_ante,
                confidence=o.confidence,
                date=o.date or scenario.date,
                group=scenario.name,
                cluster=scenario.name,
            )
        )
    return Case(name=scenario.name, scenario=scenario, targets=tuple(targets), source=src)


def builtin_cases() -> list[Case]:
    """Every built-in scenario that records an outcome, as a case (sorted by name)."""
    out = []
    for name in builtin_scenarios():
        sc = load_scenario(name)
        if sc.outcome is not None and sc.outcome.issues:
            out.append(case_from_scenario(sc, source=f"built-in {name}"))
    return out


# ------------------------------------------------------------------------------ case folder
@dataclass(frozen=True, slots=True)
class _Row:
    line: str
    case: str
    issue: str
    outcome: float
    low: float
    high: float
    scale_min: float
    scale_max: float
    status_quo: float | None
    date: str
    ex_ante: str
    confidence: str
    note: str
    source: str
    input_file: str


def _cell_num(cell: dict[str, str], name: str, *, src: str, line: str, problems: list,
              required: bool = True) -> float | None:
    return parse_number(cell.get(name), source=src, row=line, field=name, problems=problems,
                        required=required)


def _read_outcomes(folder: Path) -> list[_Row]:
    path = folder / "outcomes.csv"
    src = "outcomes.csv"
    if not path.is_file():
        raise ScenarioError(
            f"not a case folder: {folder} has no outcomes.csv (a case folder holds outcomes.csv "
            "and inputs/<case>__<issue>.csv; see docs/backtest.md)",
            source=str(folder),
        )
    text = read_text(path, source=src)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise ScenarioError(f"malformed CSV: {e}", source=src) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ScenarioError("the file is empty", source=src)
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise ScenarioError(
            f"missing column(s) {', '.join(missing)}; outcomes.csv needs {', '.join(_REQUIRED)} "
            f"(optional: outcome_low, outcome_high, outcome_date, ex_ante, confidence, "
            f"mapping_note, source, status_quo); got {', '.join(header)}",
            source=src, location="row 1",
        )
    problems: list[ScenarioError] = []
    out: list[_Row] = []
    seen: dict[tuple[str, str], str] = {}
    for k, raw in enumerate(rows[1:], start=2):
        line = f"row {k}"
        if len(raw) != len(header):
            problems.append(ScenarioError(f"has {len(raw)} cells but the header has {len(header)}",
                                          source=src, location=line))
            continue
        cell = dict(zip(header, raw, strict=True))
        case, issue = cell["case"].strip(), cell["issue"].strip()
        for name, val in (("case", case), ("issue", issue), ("input_file", cell["input_file"].strip())):
            if not val:
                problems.append(ScenarioError("is empty", source=src, location=line, field=name))
        if (case, issue) in seen:
            problems.append(ScenarioError(
                f"duplicate row for case {case!r}, issue {issue!r} (first in {seen[(case, issue)]})",
                source=src, location=line, field="issue"))
            continue
        seen[(case, issue)] = line
        n = len(problems)
        value = _cell_num(cell, "outcome", src=src, line=line, problems=problems)
        smin = _cell_num(cell, "scale_min", src=src, line=line, problems=problems)
        smax = _cell_num(cell, "scale_max", src=src, line=line, problems=problems)
        low = _cell_num(cell, "outcome_low", src=src, line=line, problems=problems, required=False)
        high = _cell_num(cell, "outcome_high", src=src, line=line, problems=problems, required=False)
        sq = _cell_num(cell, "status_quo", src=src, line=line, problems=problems, required=False)
        ex_ante = (cell.get("ex_ante") or "unknown").strip().lower() or "unknown"
        conf = (cell.get("confidence") or "medium").strip().lower() or "medium"
        if ex_ante not in _EX_ANTE:
            problems.append(ScenarioError(f"{ex_ante!r} is not one of {', '.join(_EX_ANTE)}",
                                          source=src, location=line, field="ex_ante"))
        if conf not in _CONFIDENCE:
            problems.append(ScenarioError(f"{conf!r} is not one of {', '.join(_CONFIDENCE)}",
                                          source=src, location=line, field="confidence"))
        if len(problems) > n:
            continue
        assert value is not None and smin is not None and smax is not None
        if not smax > smin:
            problems.append(ScenarioError(f"scale_max {smax:g} must be greater than scale_min {smin:g}",
                                          source=src, location=line, field="scale_max"))
            continue
        for name, v in (("outcome", value), ("outcome_low", low), ("outcome_high", high), ("status_quo", sq)):
            if v is not None and not smin <= v <= smax:
                problems.append(ScenarioError(f"{v:g} is outside the scale [{smin:g}, {smax:g}]",
                                              source=src, location=line, field=name))
        low = value if low is None else low
        high = value if high is None else high
        if not low <= value <= high:
            problems.append(ScenarioError(
                f"the range [{low:g}, {high:g}] must contain the outcome {value:g}",
                source=src, location=line, field="outcome_low"))
        if len(problems) > n:
            continue
        out.append(_Row(line, case, issue, value, low, high, smin, smax, sq,
                        (cell.get("outcome_date") or "").strip(), ex_ante, conf,
                        (cell.get("mapping_note") or "").strip(), (cell.get("source") or "").strip(),
                        cell["input_file"].strip()))
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ScenarioError(f"{len(problems)} problems found", source=src, problems=problems)
    if not out:
        raise ScenarioError("has a header but no data rows", source=src)
    return out


def _read_labels(folder: Path) -> dict[tuple[str, str], list[tuple[float, str]]]:
    path = folder / "scale_labels.csv"
    if not path.is_file():
        return {}
    text = read_text(path, source="scale_labels.csv")
    out: dict[tuple[str, str], list[tuple[float, str]]] = {}
    try:
        label_rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as e:
        raise ScenarioError(f"malformed CSV: {e}", source="scale_labels.csv") from None
    for k, row in enumerate(label_rows, start=2):
        try:
            v = strict_float(row["value"])
        except (KeyError, TypeError, ValueError):
            raise ScenarioError(f"{row.get('value')!r} is not a number", source="scale_labels.csv",
                                location=f"row {k}", field="value") from None
        out.setdefault((row.get("case", "").strip(), row.get("issue", "").strip()), []).append(
            (v, (row.get("label") or "").strip()))
    return out


def _input_scenario(folder: Path, row: _Row) -> Scenario:
    """The validated single-issue scenario of an input file (scale still inferred)."""
    rel = Path(row.input_file)
    if rel.is_absolute() or ".." in rel.parts:
        raise ScenarioError(f"{row.input_file!r} must be a path inside the case folder",
                            source="outcomes.csv", location=row.line, field="input_file")
    path = folder / rel
    if not path.is_file():
        raise ScenarioError(f"input file not found: {row.input_file}",
                            source="outcomes.csv", location=row.line, field="input_file")
    text = read_text(path, source=str(rel))
    sc = scenario_from_csv_text(text, source=str(rel))
    if len(sc.issues) != 1:
        raise ScenarioError(
            f"an input file must hold one issue in the layout actor,capability,position,salience "
            f"(got {len(sc.issues)} issues)", source=str(rel))
    return sc


def _row_data(folder: Path, row: _Row, issue_id: str) -> tuple[dict, list[dict], list[dict]]:
    """(issue, actors, positions) of one row, on the row's scale, checked against it."""
    sc = _input_scenario(folder, row)
    src = row.input_file
    iid0 = sc.issues[0].id
    problems = []
    for k, p in enumerate(sc.positions):
        if not row.scale_min <= p.position <= row.scale_max:
            problems.append(ScenarioError(
                f"{p.position:g} is outside the case's scale [{row.scale_min:g}, {row.scale_max:g}] "
                f"given in outcomes.csv {row.line}", source=src, location=f"row {k + 2}", field="position"))
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ScenarioError(f"{len(problems)} problems found", source=src, problems=problems)
    issue: dict[str, Any] = {"id": issue_id, "name": row.issue, "scale": {"min": row.scale_min, "max": row.scale_max},
             "sources": [src]}
    if row.status_quo is not None:
        issue["status_quo"] = row.status_quo
    actors = [a.model_dump(exclude_defaults=True) | {"power": a.power} for a in sc.actors]
    positions = [
        {"actor": p.actor, "issue": issue_id, "position": p.position, "salience": p.salience}
        for p in sc.positions
        if p.issue == iid0
    ]
    return issue, actors, positions


def _outcome_section(rows: list[_Row], issue_ids: list[str]) -> dict:
    ex = {r.ex_ante for r in rows}
    conf = min((r.confidence for r in rows), key=_CONF_RANK.__getitem__)
    return {
        "date": rows[0].date if len({r.date for r in rows}) == 1 else "",
        "ex_ante": ex.pop() if len(ex) == 1 else "unknown",
        "confidence": conf,
        "issues": [
            {"issue": iid, "value": r.outcome, "low": r.low, "high": r.high, "note": r.note,
             "sources": [r.source] if r.source else []}
            for r, iid in zip(rows, issue_ids, strict=True)
        ],
        "sources": sorted({r.source for r in rows if r.source}),
    }


def _target(row: _Row, scenario_issue: str) -> Target:
    return Target(
        case=row.case, issue=row.issue, scenario_issue=scenario_issue, outcome=row.outcome,
        low=row.low, high=row.high, scale_min=row.scale_min, scale_max=row.scale_max,
        ex_ante=row.ex_ante, confidence=row.confidence,  # type: ignore[arg-type]
        date=row.date, group=row.case, cluster=row.case,
    )


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("_") or "x"


def read_case_folder(
    path: str | Path, *, group: Literal["case", "row"] = "case"
) -> list[Case]:
    """Read a case folder into cases.

    Parameters
    ----------
    path : folder
        Holds ``outcomes.csv``, the input files it names and optionally ``scale_labels.csv``.
    group : {"case", "row"}
        ``"row"``: one single-issue scenario per ``outcomes.csv`` row. ``"case"`` (default):
        the rows of one case become one multi-issue scenario, as the negotiation was one event
        (models that couple issues, such as vote trading, need that), provided every row has its
        own input file and each actor has the same capability in every file of the case;
        otherwise that case falls back to one scenario per row (recorded in ``Case.meta``).
        Issue-by-issue models give the same numbers under both.

    Returns
    -------
    list of Case, in the order of ``outcomes.csv``.

    Raises
    ------
    ScenarioError
        Naming the file, the row and the field of every problem.
    """
    if group not in ("case", "row"):
        raise ScenarioError(f"{group!r} is not one of 'case', 'row'", field="group")
    folder = Path(path)
    if not folder.is_dir():
        raise ScenarioError(f"not a folder: {folder}", source=str(folder))
    rows = _read_outcomes(folder)
    labels = _read_labels(folder)
    by_case: dict[str, list[_Row]] = {}
    for r in rows:
        by_case.setdefault(r.case, []).append(r)
    cases: list[Case] = []
    for case, crows in by_case.items():
        merged = None
        reason = ""
        extras = _context_rows(folder, case, crows) if group == "case" else []
        if group == "case" and len(crows) + len(extras) > 1:
            merged, reason = _merge_case(folder, case, crows, labels, extras)
        if merged is not None:
            cases.append(merged)
            continue
        for r in crows:
            iid = _safe(r.issue)
            issue, actors, positions = _row_data(folder, r, iid)
            data = {
                "name": _safe(f"{case}__{r.issue}"),
                "title": f"{case}: {r.issue}",
                "actors": actors,
                "issues": [issue],
                "positions": positions,
                "outcome": _outcome_section([r], [iid]),
                "sources": [r.input_file],
            }
            sc = scenario_from_data(data, source=r.input_file)
            meta = {"scale_labels": {r.issue: labels.get((r.case, r.issue), [])},
                    "mapping_notes": {r.issue: r.note}}
            if reason:
                meta["not_merged"] = reason
            name = case if len(crows) == 1 else f"{case}/{r.issue}"
            cases.append(Case(name=name, scenario=sc, targets=(_target(r, iid),),
                              source=str(folder / r.input_file), meta=meta))
    return cases


def _context_rows(folder: Path, case: str, rows: list[_Row]) -> list[_Row]:
    """The case's input files that no ``outcomes.csv`` row names: issues of the same
    negotiation without a recorded outcome. They are not scored, but models that trade across
    issues (exchange) must see them: the negotiation had them (issue 21).

    Looked for beside the rows' own input files, named ``<case>__<issue>.csv``; their scale is
    the rows' scale when all rows share one (else the file's own range is used, with a note).
    """
    named = {(folder / r.input_file).resolve() for r in rows}
    dirs = {(folder / r.input_file).parent for r in rows}
    scales = {(r.scale_min, r.scale_max) for r in rows}
    lo, hi = scales.pop() if len(scales) == 1 else (math.nan, math.nan)
    out: list[_Row] = []
    for d in sorted(dirs):
        if not d.is_dir():
            continue
        for f in sorted(d.glob(f"{case}__*.csv")):
            if f.resolve() in named or not f.is_file():
                continue
            issue = f.stem[len(case) + 2:]
            rel = str(f.relative_to(folder))
            out.append(_Row(line=f"file {rel}", case=case, issue=issue, outcome=math.nan,
                            low=math.nan, high=math.nan, scale_min=lo, scale_max=hi, status_quo=None,
                            date="", ex_ante="unknown", confidence="low",
                            note="context issue: no recorded outcome, not scored", source="",
                            input_file=rel))
    return out


def _add_row(folder: Path, r: _Row, iid: str, actors: dict[str, dict], issues: list,
             positions: list) -> str:
    """Add one row's issue, positions and actors to a case being built (scored and context rows
    alike); the clash message when its actors contradict those already merged, else ""."""
    issue, acts, pos = _row_data(folder, r, iid)
    clash = _merge_actors(actors, acts, r.input_file)
    if clash:
        return clash
    issues.append(issue)
    positions.extend(pos)
    return ""


def _merge_actors(actors: dict[str, dict], acts: list[dict], input_file: str) -> str:
    """Add one input file's actors to ``actors``; the reason it cannot, or "" (one power each)."""
    for a in acts:
        old = actors.get(a["id"])
        if old is not None and old["power"] != a["power"]:
            return (f"actor {a['id']!r} has capability {old['power']:g} in one file and "
                    f"{a['power']:g} in {input_file}; one scenario has one power per actor")
        actors.setdefault(a["id"], a)
    return ""


def _merge_case(folder: Path, case: str, rows: list[_Row], labels,
                extras: list[_Row] = ()) -> tuple[Case | None, str]:  # type: ignore[assignment]
    files = [r.input_file for r in rows]
    if len(set(files)) < len(files):
        dup = sorted(k for k, c in Counter(files).items() if c > 1)
        return None, f"rows share an input file ({', '.join(dup)}): they are readings of one issue, kept apart"
    actors: dict[str, dict] = {}
    issues: list[dict] = []
    positions: list[dict] = []
    ids: list[str] = []
    for r in rows:
        iid = _safe(r.issue)
        clash = _add_row(folder, r, iid, actors, issues, positions)
        if clash:
            return None, clash
        ids.append(iid)
    context = []
    for r in extras:
        if math.isnan(r.scale_min):  # rows on different scales: the file's own range
            sc0 = _input_scenario(folder, r)
            r = dataclasses.replace(r, scale_min=sc0.issues[0].scale.min, scale_max=sc0.issues[0].scale.max)
        iid = _safe(r.issue)
        if iid in ids:
            continue
        clash = _add_row(folder, r, iid, actors, issues, positions)
        if clash:
            return None, clash
        context.append(r.issue)
    data = {
        "name": _safe(case),
        "title": case,
        "actors": list(actors.values()),
        "issues": issues,
        "positions": positions,
        "outcome": _outcome_section(rows, ids),
        "sources": files + [r.input_file for r in extras],
    }
    if context:
        data["notes"] = [f"context issues without a recorded outcome (seen by the models, not scored): "
                         f"{', '.join(context)}"]
    sc = scenario_from_data(data, source=f"{case} ({len(rows) + len(context)} input files)")
    meta: dict[str, Any] = {"scale_labels": {r.issue: labels.get((r.case, r.issue), []) for r in rows},
            "mapping_notes": {r.issue: r.note for r in rows}}
    if context:
        meta["context_issues"] = context
    targets = tuple(_target(r, iid) for r, iid in zip(rows, ids, strict=True))
    return Case(name=case, scenario=sc, targets=targets, source=str(folder), meta=meta), ""


# ------------------------------------------------------------------------------ any source
def _scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files directly in ``folder`` (YAML or JSON), in name order."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json"))


def load_cases(sources: Iterable[str | Path | Scenario], *, group: Literal["case", "row"] = "case") -> list[Case]:
    """Cases from case folders, scenario files/built-in names with an outcome, or Scenarios.

    Raises
    ------
    ScenarioError
        For a source that is neither a case folder nor a scenario with an outcome, or when two
        cases get the same name.
    """
    out: list[Case] = []
    for s in sources:
        if isinstance(s, Scenario):
            out.append(case_from_scenario(s))
        elif Path(s).is_dir() and not (Path(s) / "outcomes.csv").is_file() and _scenario_files(s):
            # a case library: one scenario file per case (cases/), each with its outcome
            for f in _scenario_files(s):
                out.append(case_from_scenario(load_scenario(f), source=str(f)))
        elif Path(s).is_dir():
            out.extend(read_case_folder(s, group=group))
        else:
            sc = load_scenario(s)
            out.append(case_from_scenario(sc, source=str(s)))
    names = [c.name for c in out]
    dup = sorted(k for k, c in Counter(names).items() if c > 1)
    if dup:
        raise ScenarioError(f"two cases are called {', '.join(map(repr, dup))}; case names must be unique")
    return out
