"""Forecasts over time: a scenario's dated versions, each forecast, against the recorded outcome.

A **track file** (YAML or JSON) holds a base scenario and a ``versions:`` list of dated
changes in the what-if syntax (:mod:`detente.service.whatif`)::

    name: alaska-2025-track
    title: "..."
    base: alaska-2025            # a built-in scenario, or a file relative to the track file
    versions:
      - date: "2025-08-15"       # YYYY-MM-DD, in order
        label: Pre-summit coding
        sources: ["..."]         # required: what the version rests on
        changes: []              # the base itself
      - date: "2025-08-18"
        label: Settlement first
        sources: ["[tl 2025-08-16] ..."]
        changes: [usa.ceasefire.position=75, "without europe"]
    outcome: {date: "2026-03-06", deal: false, issues: [...]}   # optional: the recorded outcome

Versions are cumulative: version *n* is the base with the changes of versions 0..n applied in
order, each validated like a file. The optional ``outcome`` (the scenario schema's
``Outcome``) is what the forecasts are compared with; without it the base scenario's own
outcome is used, if any. Built-in tracks: ``alaska-2025`` (see :func:`builtin_tracks`).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..results import json_ready
from ..scenario.schema import Outcome, Scenario
from .defaults import DEFAULTS
from .forecast import ForecastRun, forecast, model_names
from .scenarios import load
from .seeding import SeedLike, resolve_seed, seed_entropy_of
from .whatif import _deals, _point, calibrated_deal_probability, what_if

__all__ = ["TRACK_COLUMNS", "Track", "TrackRun", "TrackVersion", "builtin_tracks", "load_track", "track",
           "track_chart_png", "track_document"]

#: Columns of :meth:`TrackRun.to_frame`.
TRACK_COLUMNS = ("track", "version", "date", "label", "model", "issue", "forecast", "recorded",
                 "recorded_low", "recorded_high")
_DEAL_COLUMNS = ("track", "version", "date", "label", "deals", "n_models", "deal_share",
                 "deal_probability", "zone_open", "recorded_deal")


@dataclass(frozen=True, slots=True)
class TrackVersion:
    """One dated version: its label, sources, its own changes and the scenario it yields."""

    date: str
    label: str
    sources: tuple[str, ...]
    changes: tuple[str, ...]
    scenario: Scenario


@dataclass(frozen=True, slots=True)
class Track:
    """A tracked scenario: its dated versions and the recorded outcome (or None)."""

    name: str
    title: str
    source: str
    versions: tuple[TrackVersion, ...]
    outcome: Outcome | None


def builtin_tracks() -> dict[str, str]:
    """Built-in tracked scenarios: ``{name: track file name}`` (``detente track NAME``)."""
    folder = resources.files("detente.service") / "tracks"
    return {f.name[:-5].replace("_", "-"): f.name for f in sorted(folder.iterdir(), key=lambda p: p.name)
            if f.name.endswith(".yaml")}


def _read(source: Any, files: bool) -> tuple[dict, str, Path | None]:
    import yaml

    if isinstance(source, dict):
        return source, "request" if not files else "<track>", None
    name = str(source)
    tracks = builtin_tracks()
    if name in tracks:
        f = resources.files("detente.service") / "tracks" / tracks[name]
        return yaml.safe_load(f.read_text(encoding="utf-8")), name, None
    p = Path(name)
    if not files or not p.is_file():
        raise ScenarioError(f"no built-in track and no file called {name!r}; built-in tracks: "
                            f"{', '.join(tracks) or '(none)'}", field="scenario")
    from ..scenario.load import read_text

    text = read_text(p)
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise ScenarioError(f"cannot parse: {str(e).splitlines()[0]}", source=str(p)) from None
    return data, str(p), p.parent


def load_track(source: Any, *, files: bool = True) -> Track:
    """A :class:`Track` from a built-in track name, a track file or plain data.

    ``files=False`` (the API): a name is a built-in track only, and the base a built-in
    scenario name or a whole scenario; no path is ever opened.

    Raises
    ------
    ScenarioError
        Naming the file, the version (``versions[3]``), the field and the value: a missing or
        badly ordered date, no sources, a bad change, a bad outcome.
    """
    data, src, folder = _read(source, files)
    if not isinstance(data, dict) or "versions" not in data:
        raise ScenarioError("not a track file: it needs 'base:' and 'versions:' (a list of dated "
                            "changes; see docs/workflows.md)", source=src)
    unknown = set(data) - {"name", "title", "base", "versions", "outcome", "description", "sources"}
    if unknown:
        raise ScenarioError(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: name, title, base, "
                            "versions, outcome, description, sources", source=src)
    base_ref = data.get("base")
    if not isinstance(base_ref, (str, dict)):
        raise ScenarioError(f"must name a built-in scenario or a file (got {base_ref!r})", source=src,
                            field="base")
    if not files:
        from .scenarios import resolve_request_scenario

        try:
            base = resolve_request_scenario(base_ref)
        except ScenarioError as e:
            raise ScenarioError(e.problem, source=src, location=e.location if e.field != "scenario" else "",
                                field="base" if e.field == "scenario" else e.field,
                                problems=e.problems) from None
    else:
        if isinstance(base_ref, str) and folder is not None and (folder / base_ref).is_file():
            base_ref = str(folder / base_ref)
        base = load(base_ref)
    versions = data["versions"]
    if not isinstance(versions, list) or not versions:
        raise ScenarioError("must be a non-empty list of versions", source=src, field="versions")
    out = []
    applied: list[str] = []
    last = ""
    for n, v in enumerate(versions):
        loc = f"versions[{n}]"
        if not isinstance(v, dict):
            raise ScenarioError(f"must be a mapping with date, label, sources, changes (got {v!r})",
                                source=src, location=loc)
        extra = set(v) - {"date", "label", "sources", "changes"}
        if extra:
            raise ScenarioError(f"unknown key(s) {', '.join(sorted(extra))}; allowed: date, label, sources, "
                                "changes", source=src, location=loc)
        date = str(v.get("date", ""))
        try:
            _dt.date.fromisoformat(date)
        except ValueError:
            raise ScenarioError(f"must be a date written YYYY-MM-DD (got {v.get('date')!r})", source=src,
                                location=loc, field="date") from None
        if last and date < last:
            raise ScenarioError(f"versions must be in date order: {date} comes after {last}", source=src,
                                location=loc, field="date")
        last = date
        sources = v.get("sources")
        if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s for s in sources):
            raise ScenarioError(f"every version cites its sources: a non-empty list of strings (got {sources!r})",
                                source=src, location=loc, field="sources")
        changes = v.get("changes") or []
        if not isinstance(changes, list) or not all(isinstance(c, str) for c in changes):
            raise ScenarioError(f"must be a list of what-if changes such as 'russia.territory.position=60' "
                                f"(got {changes!r})", source=src, location=loc, field="changes")
        try:
            sc = what_if(base, applied + changes).scenario
        except ScenarioError as e:
            raise ScenarioError(str(e), source=src, location=loc, field="changes") from None
        applied += changes
        out.append(TrackVersion(date=date, label=str(v.get("label", "")), sources=tuple(sources),
                                changes=tuple(changes), scenario=sc))
    outcome = base.outcome
    if data.get("outcome") is not None:
        try:
            outcome = Outcome.model_validate(data["outcome"])
        except Exception as e:  # pydantic's ValidationError: one readable line
            first = str(e).splitlines()
            raise ScenarioError(f"invalid outcome: {' '.join(first[1:3]) if len(first) > 2 else first[0]}",
                                source=src, field="outcome") from None
    return Track(name=str(data.get("name") or base.name), title=str(data.get("title") or base.title),
                 source=src, versions=tuple(out), outcome=outcome)


@dataclass(frozen=True, slots=True)
class TrackRun:
    """Every version's forecast (same models and seed), deal checks and the recorded outcome.

    Attributes
    ----------
    track : Track
    runs : tuple of ForecastRun
        One per version.
    deals : tuple of tuple of bool
        Per version, per model: is the forecast a deal (red lines, walk-away values, threats).
    deal_probability : tuple of float or None
        Per version, the calibrated deal probability (None while it is not installed).
    seed_entropy : int
    """

    track: Track
    runs: tuple[ForecastRun, ...]
    deals: tuple[tuple[bool, ...], ...]
    deal_probability: tuple[float | None, ...]
    seed_entropy: int

    def to_frame(self) -> pd.DataFrame:
        """One row per version x model x issue (columns :data:`TRACK_COLUMNS`); ``recorded*``
        are the recorded outcome's value and range on the issue (NaN where none)."""
        rec = {}
        if self.track.outcome is not None:
            rec = {o.issue: o for o in self.track.outcome.issues}
        rows = []
        for n, (v, run) in enumerate(zip(self.track.versions, self.runs, strict=True)):
            for f in run.forecasts:
                x = _point(f.outcome)
                for k, iid in enumerate(v.scenario.issue_ids):
                    o = rec.get(iid)
                    rows.append((self.track.name, n, v.date, v.label, f.model, iid, x[k],
                                 np.nan if o is None else o.value,
                                 np.nan if o is None else (o.value if o.low is None else o.low),
                                 np.nan if o is None else (o.value if o.high is None else o.high)))
        return pd.DataFrame(rows, columns=list(TRACK_COLUMNS))

    def deal_frame(self) -> pd.DataFrame:
        """One row per version: ``track, version, date, label, deals, n_models, deal_share,
        deal_probability, zone_open, recorded_deal``."""
        recorded = None if self.track.outcome is None else self.track.outcome.deal
        rows = []
        for n, (v, run, d, p) in enumerate(zip(self.track.versions, self.runs, self.deals,
                                               self.deal_probability, strict=True)):
            rows.append((self.track.name, n, v.date, v.label, sum(d), len(d), sum(d) / len(d) if d else np.nan,
                         np.nan if p is None else p, not bool(run.zone.empty.any()), recorded))
        return pd.DataFrame(rows, columns=list(_DEAL_COLUMNS))


def track(source: Any, models: Sequence[str] | None = None, *, params: Any = None,
          seed: SeedLike = DEFAULTS.forecast_seed, deal_probability: bool = True) -> TrackRun:
    """Forecast every version of a tracked scenario with the same models and seed.

    Parameters
    ----------
    source : Track, built-in track name, track file or data
    models : sequence of str, optional
        Default: every registered model (as ``forecast``).
    seed : None, int or SeedSequence
        Default 0; None draws fresh entropy, recorded.
    deal_probability : bool
        Also the calibrated deal probability per version (when installed).

    Raises
    ------
    ScenarioError, UnknownModelError
    """
    names = model_names(models)
    tr = source if isinstance(source, Track) else load_track(source)
    used = resolve_seed(seed)
    runs = tuple(forecast(v.scenario, names, params=params, seed=used) for v in tr.versions)
    probs = []
    for v in tr.versions:
        dp = calibrated_deal_probability(v.scenario, used) if deal_probability else None
        probs.append(None if dp is None else float(dp.value))
    return TrackRun(track=tr, runs=runs, deals=tuple(_deals(r) for r in runs), deal_probability=tuple(probs),
                    seed_entropy=seed_entropy_of(used))


def track_document(run: TrackRun) -> dict[str, Any]:
    """The track document (``detente track --format json``, ``POST /track``).

    Keys: ``track``, ``title``, ``seed_entropy``, ``models``, ``versions`` (per version:
    ``date, label, sources, changes, forecasts {model: {issue: value}}, deal {model: bool},
    deal_share, deal_probability, zone_open``), ``outcome`` (the recorded outcome or None).
    """
    tr = run.track
    versions = []
    for v, r, d, p in zip(tr.versions, run.runs, run.deals, run.deal_probability, strict=True):
        versions.append({
            "date": v.date, "label": v.label, "sources": list(v.sources), "changes": list(v.changes),
            "forecasts": {f.model: dict(zip(v.scenario.issue_ids, _point(f.outcome).tolist(), strict=True))
                          for f in r.forecasts},
            "deal": {f.model: b for f, b in zip(r.forecasts, d, strict=True)},
            "deal_share": sum(d) / len(d) if d else None,
            "deal_probability": p,
            "zone_open": not bool(r.zone.empty.any()),
        })
    return json_ready({
        "track": tr.name, "title": tr.title, "seed_entropy": run.seed_entropy,
        "models": [f.model for f in run.runs[0].forecasts] if run.runs else [],
        "versions": versions,
        "outcome": None if tr.outcome is None else tr.outcome.model_dump(mode="json"),
    })


def track_chart_png(run: TrackRun, *, fmt: str = "png") -> bytes:
    """The track chart (:func:`detente.report.plots.track_chart`) as PNG bytes (or SVG text
    encoded as UTF-8 for ``fmt="svg"``)."""
    from ..report.plots import to_png, to_svg, track_chart

    fig = track_chart(run.to_frame(), run.deal_frame(), title=run.track.title)
    if fmt == "svg":
        return to_svg(fig).encode("utf-8")
    if fmt != "png":
        raise ScenarioError(f"must be png or svg (got {fmt!r})", field="format")
    return to_png(fig)
