"""Read the DEU III data file (Decision-making in the European Union) into backtest cases.

The official file, ``Dataset_DEU_III.csv`` (Arregui & Perarnaud 2021; CORA.RDR
doi:10.34810/data53, CC BY 4.0), is not shipped: download it and pass its path. Its layout (see
``docs/backtest.md``):

* semicolon-delimited text, one header row, one row per controversial issue;
* metadata columns, among them ``prnr`` (proposal id), ``prname``, ``isnr`` (issue id),
  ``isnrnmc`` (issue number in the policy-scales document), ``proc``, ``intro`` and ``finact``
  (dates ``DD-MM-YY``; ``YY >= 90`` is 19YY, otherwise 20YY);
* ``p<code>`` and ``s<code>`` per actor (position and salience on 0-100) for the Commission
  (``com``), the Parliament (``ep``) and 28 member states;
* ``rp`` (reference point, the status quo) and ``out`` (the adopted outcome).

Columns are looked up by name. A blank cell, a value that is not a number or any value outside
[0, 100] (e.g. the code 999) is missing. An actor takes part in an issue only if its position
and its salience are both valid. An issue is scored only if ``out`` is valid; issues with fewer
than ``min_actors`` valid actors are left out (3 reproduces the 351 scoreable issues of the
literature's replication).

The file has no capabilities. They come from the Council voting-power table by treaty period
(``deu_capabilities.csv``, packaged with detente): the period is the one containing the decision
date (``finact``, else ``intro``); the variant is the exact Shapley-Shubik index (the DEU
convention, Arregui, Stokman & Thomson 2004), the normalised Banzhaf index, the vote share, or
equal capabilities. The Commission and the Parliament have no Council vote; by the convention of
Achen (2006) they get the largest member-state capability of the period (``supranational``).

One scenario per proposal (``prnr``), with one issue per included ``isnr``; saliences are
divided by 100.

References: Thomson, Stokman, Achen & König (eds.) (2006), *The European Union Decides*, CUP;
Thomson et al. (2012), JEPP 19(4): 604-622; Arregui & Perarnaud (2021), JEPP,
doi:10.34810/data53.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..scenario.files import MAX_FILE_BYTES, read_bytes
from ..scenario.load import scenario_from_data, strict_float
from . import metrics
from .cases import Case, Target

__all__ = [
    "ACTOR_CODES",
    "DeuData",
    "deu_cases",
    "load_capabilities",
    "outcome_baselines",
    "read_deu",
    "read_deu_issues",
    "read_deu_table",
]

#: The 30 DEU actor codes in header order (Commission, Parliament, 28 member states).
ACTOR_CODES = (
    "com", "ep", "at", "be", "bu", "cr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "el", "hu",
    "ie", "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "si", "sk", "es", "se", "uk",
)
_SUPRANATIONAL = {"com": "European Commission", "ep": "European Parliament"}
_META = ("prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "type", "council", "proc", "counvte",
         "proccde", "issues", "intro", "finact")
_REQUIRED = ("prnr", "isnr", "rp", "out")
Variant = Literal["shapley_shubik", "banzhaf", "votes", "equal"]
_VARIANT_COLUMN = {"shapley_shubik": "shapley_shubik", "banzhaf": "banzhaf_normalized",
                   "votes": "vote_share"}
_CAPS_DATA = "detente.backtest.data"


# ------------------------------------------------------------------------------ low level
def _decode(raw: bytes, source: str) -> str:
    for enc in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise ScenarioError("contains NUL characters; not a text file", source=source)
        return text
    raise ScenarioError("cannot be decoded as UTF-8 or Latin-1", source=source)  # pragma: no cover


def _read(path: str | Path) -> tuple[str, str]:
    p = Path(path)
    return _decode(read_bytes(p, max_bytes=MAX_FILE_BYTES), p.name), p.name


def _value(cell: str) -> float:
    """A 0-100 value, or NaN for blank, non-numeric or out-of-range cells (missing codes)."""
    c = (cell or "").strip()
    if not c:
        return math.nan
    if "," in c and "." not in c:  # a decimal comma, as semicolon CSVs often have
        c = c.replace(",", ".")
    try:
        v = strict_float(c)
    except ValueError:
        return math.nan
    return v if math.isfinite(v) and 0.0 <= v <= 100.0 else math.nan


def _csv_frame(text: str, src: str, **kw: Any) -> pd.DataFrame:
    """pandas.read_csv with its errors as ScenarioErrors (empty file, ragged rows, bad quoting)."""
    if not text.strip():
        raise ScenarioError("the file is empty", source=src)
    try:
        return pd.read_csv(io.StringIO(text), **kw)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as e:
        m = re.search(r"line (\d+)", str(e))
        raise ScenarioError(f"malformed CSV: {str(e).strip()}", source=src,
                            location=f"row {m.group(1)}" if m else "") from None


_DATE = re.compile(r"^\s*(\d{1,2})[-./](\d{1,2})[-./](\d{2}|\d{4})\s*$")


def _date(cell: str) -> dt.date | None:
    """``DD-MM-YY`` (also ``/`` or ``.``, or a 4-digit year); YY >= 90 is 19YY, else 20YY."""
    m = _DATE.match(cell or "")
    if not m:
        return None
    d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
    year = int(y) if len(y) == 4 else (1900 + int(y) if int(y) >= 90 else 2000 + int(y))
    try:
        return dt.date(year, mo, d)
    except ValueError:
        return None


# ------------------------------------------------------------------------------ the table
@dataclass(frozen=True, slots=True)
class DeuData:
    """A parsed DEU file.

    Attributes
    ----------
    issues : DataFrame
        One row per issue row of the file: ``row`` (file row), ``prnrnmc, isnrnmc, prnr, prname,
        isnr, type, council, proc, intro, finact`` (text as in the file), ``decision_date`` (the
        parsed ``finact``, else ``intro``; None when neither parses), ``rp``, ``out`` (NaN when
        missing), ``n_actors`` (valid actors), ``actors`` (their codes in header order, joined by
        spaces), ``scoreable`` (``out`` valid).
    actors : tuple of str
        Actor codes present in the header (position and salience columns both there).
    position, salience : (n_rows, n_actors)
        0-100; NaN unless both are valid for that actor and issue.
    source : str
    """

    issues: pd.DataFrame
    actors: tuple[str, ...]
    position: np.ndarray
    salience: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        for f in ("position", "salience"):
            a = np.array(getattr(self, f), dtype=float, copy=True)
            a.setflags(write=False)
            object.__setattr__(self, f, a)


def read_deu_table(path: str | Path) -> DeuData:
    """Parse a file in the DEU III layout (semicolon CSV, columns looked up by name).

    Raises
    ------
    ScenarioError
        When the file is not in that layout (naming the missing columns) or a row has the wrong
        number of cells.
    """
    text, src = _read(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ScenarioError("the file is empty", source=src)
    if ";" not in lines[0]:
        raise ScenarioError(
            "the header has no ';': the DEU III file is semicolon-delimited "
            f"(got {lines[0][:80]!r})", source=src, location="row 1")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    try:
        rows = list(reader)
    except csv.Error as e:
        raise ScenarioError(f"malformed CSV: {e}", source=src, location=f"row {reader.line_num}") from None
    header = [h.strip().lower() for h in rows[0]]
    col: dict[str, int] = {}
    for k, h in enumerate(header):
        col.setdefault(h, k)
    missing = [c for c in _REQUIRED if c not in col]
    actors = tuple(a for a in ACTOR_CODES if f"p{a}" in col and f"s{a}" in col)
    if missing or not actors:
        need = ", ".join(missing) if missing else "p<actor>/s<actor> pairs (pcom, scom, ...)"
        raise ScenarioError(
            f"not a DEU III file: missing column(s) {need}; expected ';'-separated columns "
            "prnr, isnr, p<actor> and s<actor> for actors com, ep, at, ..., rp, out",
            source=src, location="row 1")
    records = []
    pos_rows, sal_rows = [], []
    problems = []
    for k, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(header):
            problems.append(ScenarioError(f"has {len(raw)} cells but the header has {len(header)}",
                                          source=src, location=f"row {k}"))
            continue
        get = {h: raw[i].strip() for h, i in col.items()}
        if not get["isnr"] or not get["prnr"]:
            problems.append(ScenarioError("is empty; every row needs prnr and isnr", source=src,
                                          location=f"row {k}", field="isnr" if not get["isnr"] else "prnr"))
            continue
        p = np.array([_value(get[f"p{a}"]) for a in actors])
        s = np.array([_value(get[f"s{a}"]) for a in actors])
        valid = ~np.isnan(p) & ~np.isnan(s)
        p = np.where(valid, p, np.nan)
        s = np.where(valid, s, np.nan)
        pos_rows.append(p)
        sal_rows.append(s)
        fin, intro = _date(get.get("finact", "")), _date(get.get("intro", ""))
        out = _value(get["out"])
        rec: dict[str, Any] = {"row": k}
        rec.update({m: get.get(m, "") for m in _META})
        rec.update({
            "decision_date": fin or intro,
            "rp": _value(get["rp"]),
            "out": out,
            "n_actors": int(valid.sum()),
            "actors": " ".join(a for a, v in zip(actors, valid, strict=True) if v),
            "scoreable": not math.isnan(out),
        })
        records.append(rec)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ScenarioError(f"{len(problems)} problems found", source=src, problems=problems)
    isnrs = [r["isnr"] for r in records]
    dup = sorted(k for k, c in Counter(isnrs).items() if c > 1)
    if dup:
        raise ScenarioError(f"duplicate issue id(s) {', '.join(dup)}", source=src, field="isnr")
    df = pd.DataFrame.from_records(records, columns=["row", *_META, "decision_date", "rp", "out",
                                                      "n_actors", "actors", "scoreable"])
    n = len(records)
    shape = (n, len(actors))
    return DeuData(
        issues=df,
        actors=actors,
        position=np.array(pos_rows).reshape(shape),
        salience=np.array(sal_rows).reshape(shape),
        source=src,
    )


# ------------------------------------------------------------------------------ capabilities
def load_capabilities(path: str | Path | None = None) -> pd.DataFrame:
    """The Council voting-power table by period (``deu_capabilities.csv``).

    Parameters
    ----------
    path : file, optional
        Default: the copy packaged with detente (computed from treaty vote weights; see
        ``docs/backtest.md``).

    Returns
    -------
    DataFrame with at least ``period, start_date, end_date, actor_code, actor_name, vote_share,
    shapley_shubik, banzhaf_normalized``; dates parsed.
    """
    if path is None:
        f = resources.files(_CAPS_DATA) / "deu_capabilities.csv"
        text, src = f.read_text(encoding="utf-8"), "deu_capabilities.csv (packaged)"
    else:
        text, src = _read(path)
    df = _csv_frame(text, src)
    need = ("period", "start_date", "end_date", "actor_code", "actor_name", "vote_share",
            "shapley_shubik", "banzhaf_normalized")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ScenarioError(f"missing column(s) {', '.join(missing)}", source=src, location="row 1")
    for c in ("start_date", "end_date"):
        try:
            df[c] = pd.to_datetime(df[c], format="%Y-%m-%d").dt.date
        except ValueError as e:
            raise ScenarioError(f"dates must be YYYY-MM-DD ({e})", source=src, field=c) from None
    for c in ("vote_share", "shapley_shubik", "banzhaf_normalized"):
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any() or (v < 0).any():
            k = int(np.flatnonzero(v.isna() | (v < 0))[0])
            raise ScenarioError(f"must be a non-negative number (got {df[c].iloc[k]!r})",
                                source=src, location=f"row {k + 2}", field=c)
        df[c] = v.astype(float)
    df["actor_code"] = df["actor_code"].astype(str).str.strip().str.lower()
    return df


def _period_for(date: dt.date | None, periods: pd.DataFrame) -> tuple[str, str]:
    """(period, note) for a decision date; the nearest period when outside all of them."""
    if date is None:
        return "", "no valid finact or intro date"
    inside = periods[(periods["start_date"] <= date) & (periods["end_date"] >= date)]
    if len(inside):
        return str(inside["period"].iloc[0]), ""
    if date < periods["start_date"].min():
        first = periods.sort_values("start_date").iloc[0]
        return str(first["period"]), f"decision date {date} is before {first['period']}; used it"
    last = periods.sort_values("end_date").iloc[-1]
    return str(last["period"]), f"decision date {date} is after {last['period']}; used it"


# ------------------------------------------------------------------------------ cases
def deu_cases(
    data: DeuData,
    *,
    capabilities: pd.DataFrame | str | Path | None = None,
    variant: Variant = "shapley_shubik",
    supranational: float | Literal["max"] = "max",
    min_actors: int = 3,
) -> tuple[list[Case], pd.DataFrame]:
    """One case per proposal from a parsed DEU file.

    Parameters
    ----------
    data : DeuData
    capabilities : DataFrame or file, optional
        The voting-power table (default: the packaged ``deu_capabilities.csv``).
    variant : {"shapley_shubik", "banzhaf", "votes", "equal"}
        Member-state capability: Shapley-Shubik index (default), normalised Banzhaf index,
        vote share (population share under Lisbon), or 1 for every actor.
    supranational : "max" or float
        Capability of the Commission and the Parliament: the period's largest member-state
        capability (default) or a fixed number (ignored for ``equal``).
    min_actors : int
        Issues with fewer valid actors are left out (default 3).

    Returns
    -------
    cases : list of Case
        One per proposal with at least one included, scoreable issue. Issues that are included
        but not scoreable stay in the scenario (models coupling issues see them) without a target.
    issues : DataFrame
        ``data.issues`` plus ``period``, ``included`` (bool) and ``reason`` (why an issue or its
        proposal was left out, or a note; "" otherwise).
    """
    if variant not in ("shapley_shubik", "banzhaf", "votes", "equal"):
        raise ScenarioError(f"{variant!r} is not one of shapley_shubik, banzhaf, votes, equal",
                            field="variant")
    if isinstance(min_actors, bool) or int(min_actors) != min_actors or min_actors < 1:
        raise ScenarioError(f"must be a positive integer (got {min_actors!r})", field="min_actors")
    if supranational != "max":
        try:
            supranational = float(supranational)
        except (TypeError, ValueError):
            raise ScenarioError(f"must be 'max' or a non-negative number (got {supranational!r})",
                                field="supranational") from None
        if not math.isfinite(supranational) or supranational < 0:
            raise ScenarioError(f"must be 'max' or a non-negative number (got {supranational!r})",
                                field="supranational")
    caps = capabilities if isinstance(capabilities, pd.DataFrame) else load_capabilities(capabilities)
    periods = caps.drop_duplicates("period")[["period", "start_date", "end_date"]]
    df = data.issues.copy()
    df["period"] = ""
    df["included"] = False
    df["reason"] = ""
    cases: list[Case] = []
    names = {a: _SUPRANATIONAL.get(a, a) for a in data.actors}
    for _, r in caps.iterrows():
        names[r["actor_code"]] = str(r["actor_name"])
    prnrs = df["prnr"].to_numpy(str)
    for prnr in pd.unique(prnrs):  # in file order
        rows = [int(k) for k in np.flatnonzero(prnrs == prnr)]
        first = df.loc[rows[0]]
        period, pnote = _period_for(first["decision_date"], periods)
        df.loc[rows, "period"] = period
        if variant != "equal" and not period:
            df.loc[rows, "reason"] = f"proposal left out: {pnote}; its Council period is unknown"
            continue
        power, notes = _powers(data.actors, caps, period, variant, supranational)
        if pnote:
            notes.append(pnote)
        actors_used: dict[str, float] = {}
        issues, positions, targets = [], [], []
        for k in rows:
            r = df.loc[k]
            valid = ~np.isnan(data.position[k])
            if r["n_actors"] < min_actors:
                df.loc[k, "reason"] = f"{r['n_actors']} valid actor(s), fewer than min_actors={min_actors}"
                continue
            w = np.array([power[a] for a in data.actors]) * np.nan_to_num(data.salience[k])
            if not np.any(w[valid] > 0):
                df.loc[k, "reason"] = "no valid actor has capability x salience > 0"
                continue
            iid = _safe(r["isnr"])
            iss: dict[str, Any] = {"id": iid, "name": f"{r['prname']} ({r['isnr']})".strip(),
                   "scale": {"min": 0.0, "max": 100.0},
                   "description": f"DEU issue {r['isnr']}; policy-scales number {r['isnrnmc']}".strip(),
                   "sources": [f"{data.source} row {r['row']}"]}
            if not math.isnan(r["rp"]):
                iss["status_quo"] = float(r["rp"])
            issues.append(iss)
            for j, a in enumerate(data.actors):
                if valid[j]:
                    actors_used[a] = power[a]
                    positions.append({"actor": a, "issue": iid, "position": float(data.position[k, j]),
                                      "salience": float(data.salience[k, j]) / 100.0})
            df.loc[k, "included"] = True
            if r["scoreable"]:
                targets.append(Target(
                    case=str(prnr), issue=str(r["isnr"]), scenario_issue=iid, outcome=float(r["out"]),
                    low=float(r["out"]), high=float(r["out"]), scale_min=0.0, scale_max=100.0,
                    ex_ante="no", confidence="high",
                    date=str(first["decision_date"] or ""), group=period or "unknown",
                    cluster=str(prnr)))
            else:
                df.loc[k, "reason"] = "no valid outcome: forecast as context, not scored"
        if not targets:
            for k in rows:
                if df.loc[k, "included"]:
                    df.loc[k, "reason"] = "proposal left out: no scoreable issue"
                    df.loc[k, "included"] = False
            continue
        no_vote = [a for a in actors_used if variant != "equal" and a not in _SUPRANATIONAL
                   and not (caps["period"].eq(period) & caps["actor_code"].eq(a)).any()]
        if no_vote:
            notes.append(f"{', '.join(no_vote)} had no Council vote in period {period}: capability 0")
        date = first["decision_date"]
        data_sc = {
            "name": _safe(str(prnr)),
            "title": str(first["prname"]) or str(prnr),
            "date": date.isoformat() if date else "",
            "actors": [{"id": a, "name": names.get(a, a), "kind": "organisation" if a in _SUPRANATIONAL else "state",
                        "power": p} for a, p in actors_used.items()],
            "issues": issues,
            "positions": positions,
            "outcome": {
                "date": date.isoformat() if date else "",
                "ex_ante": "no",
                "confidence": "high",
                "issues": [{"issue": t.scenario_issue, "value": t.outcome} for t in targets],
                "sources": [data.source],
            },
            "notes": notes,
            "sources": [data.source],
        }
        sc = scenario_from_data(data_sc, source=f"{data.source} proposal {prnr}")
        cases.append(Case(name=str(prnr), scenario=sc, targets=tuple(targets), source=data.source,
                          meta={"period": period, "procedure": str(first["proc"]).strip(),
                                "variant": variant}))
    return cases, df


def _powers(actors, caps: pd.DataFrame, period: str, variant: str, supranational) -> tuple[dict[str, float], list[str]]:
    if variant == "equal":
        return {a: 1.0 for a in actors}, []
    rows = caps[caps["period"] == period]
    col = _VARIANT_COLUMN[variant]
    table = dict(zip(rows["actor_code"], rows[col], strict=True))
    top = max(table.values()) if table else 0.0
    out: dict[str, float] = {}
    notes: list[str] = []
    for a in actors:
        if a in _SUPRANATIONAL:
            out[a] = top if supranational == "max" else float(supranational)
        elif a in table:
            out[a] = float(table[a])
        else:
            out[a] = 0.0
    return out, notes


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("_") or "x"


def read_deu(
    path: str | Path,
    *,
    capabilities: pd.DataFrame | str | Path | None = None,
    variant: Variant = "shapley_shubik",
    supranational: float | Literal["max"] = "max",
    min_actors: int = 3,
) -> tuple[list[Case], pd.DataFrame]:
    """:func:`read_deu_table` then :func:`deu_cases` (same parameters and returns)."""
    return deu_cases(read_deu_table(path), capabilities=capabilities, variant=variant,
                     supranational=supranational, min_actors=min_actors)


# ------------------------------------------------------------------------------ deu_issues.csv
_ISSUE_COLUMNS = ("issue_id", "proposal_id", "scale_min", "scale_max", "reference_point", "outcome")


def read_deu_issues(path: str | Path) -> pd.DataFrame:
    """Read ``deu_issues.csv`` (issue-level outcomes and reference points, no actor data).

    Numeric columns become floats (NaN where blank). Raises ScenarioError for missing columns
    or a value that is not a number.
    """
    text, src = _read(path)
    df = _csv_frame(text, src, dtype=str, keep_default_na=False)
    missing = [c for c in _ISSUE_COLUMNS if c not in df.columns]
    if missing:
        raise ScenarioError(f"missing column(s) {', '.join(missing)}", source=src, location="row 1")
    for c in ("scale_min", "scale_max", "reference_point", "outcome", "src_compromise_forecast",
              "src_challenge_forecast"):
        if c not in df.columns:
            continue
        raw = df[c].str.strip()
        v = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
        bad = v.isna() & (raw != "")
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise ScenarioError(f"{raw.iloc[k]!r} is not a number", source=src,
                                location=f"row {k + 2}", field=c)
        df[c] = v.astype(float)
    if df["outcome"].isna().any():
        k = int(np.flatnonzero(df["outcome"].isna().to_numpy())[0])
        raise ScenarioError("is empty; every row needs an outcome", source=src,
                            location=f"row {k + 2}", field="outcome")
    return df


#: Outcome-only forecasts scored by :func:`outcome_baselines` (column or rule).
BASELINES = {
    "status_quo": "the reference point rp (issues where it is given)",
    "scale_midpoint": "the middle of the scale (50)",
    "src_compromise_forecast": "the source project's compromise-model forecast (in the file)",
    "src_challenge_forecast": "the source project's expected-utility reconstruction (in the file)",
    "outcome_median": "the median of the outcomes themselves (in-sample: a yardstick, not a forecast)",
}


def outcome_baselines(issues: pd.DataFrame, *, seed=0, n_boot: int = 2000, level: float = 0.95) -> pd.DataFrame:
    """Score forecasts that need no actor data against the real outcomes.

    Parameters
    ----------
    issues : DataFrame from :func:`read_deu_issues`
    seed, n_boot, level
        Bootstrap settings; intervals resample whole proposals.

    Returns
    -------
    DataFrame, one row per baseline (see :data:`BASELINES`) present in the file: ``baseline,
    description, n_issues, n_proposals, mae, mae_low, mae_high, rmse, mae_norm``; errors on the
    file's scale (0-100 for DEU), ``mae_norm`` on 0-100.
    """
    y = issues["outcome"].to_numpy(float)
    smin = issues["scale_min"].to_numpy(float)
    smax = issues["scale_max"].to_numpy(float)
    preds = {"status_quo": issues["reference_point"].to_numpy(float),
             "scale_midpoint": 0.5 * (smin + smax)}
    for c in ("src_compromise_forecast", "src_challenge_forecast"):
        if c in issues.columns:
            preds[c] = issues[c].to_numpy(float)
    preds["outcome_median"] = np.full(len(y), float(np.median(y)) if len(y) else np.nan)
    rows = []
    clusters = issues["proposal_id"].to_numpy(str)
    for name, p in preds.items():
        keep = ~np.isnan(p)
        err = metrics.abs_error(p[keep], y[keep])
        lo, hi = metrics.bootstrap_ci(err, clusters=clusters[keep], n_boot=n_boot, level=level, seed=seed)
        rows.append({
            "baseline": name, "description": BASELINES[name], "n_issues": int(keep.sum()),
            "n_proposals": int(len(set(clusters[keep]))), "mae": metrics.mae(err),
            "mae_low": lo, "mae_high": hi, "rmse": metrics.rmse(err),
            "mae_norm": metrics.mae(metrics.normalised_error(p[keep], y[keep], smin[keep], smax[keep])),
        })
    return pd.DataFrame(rows)
