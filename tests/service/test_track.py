"""Forecasts over time: the track file format, the shipped Alaska track (sources dated no later
than their version), the run on every version and the chart."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from detente import service
from detente.errors import ScenarioError
from tests.extras import require

MODELS = ["weighted_mean", "weighted_median"]


@pytest.fixture(scope="module")
def alaska():
    return service.load_track("alaska-2025")


def _row_dates(text: str) -> list[str]:
    """Dates of the timeline rows a source cites: '[tl 2025-08-20/21]' -> '2025-08-21' (the row's
    last day), '[tl state]' -> the record's end."""
    out = []
    for m in re.finditer(r"\[tl ([^\]]+)\]|\btl (\d{4}-\d{2}-\d{2}(?:/\d{2})?)", text):
        ref = m.group(1) or m.group(2)
        for part in re.split(r",\s*", ref):
            d = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:/(\d{2}))?", part)
            if d:
                out.append(f"{d[1]}-{d[2]}-{d[4] or d[3]}")
            elif part.strip() == "state":
                out.append("2026-03-06")
    return out


def test_alaska_track_versions_are_dated_sourced_and_cumulative(alaska):
    base = service.load("alaska-2025")
    vs = alaska.versions
    assert len(vs) >= 5 and vs[0].changes == () and vs[0].scenario == base
    assert [v.date for v in vs] == sorted(v.date for v in vs)
    applied: list[str] = []
    for v in vs:
        assert v.sources and v.label
        applied += list(v.changes)
        assert v.scenario == service.what_if(base, applied).scenario
    assert alaska.outcome is not None and alaska.outcome.deal is False


def test_alaska_versions_hold_only_what_was_known_on_their_date(alaska):
    text = (Path(service.__file__).parent / "tracks" / "alaska_2025.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    lines = text.splitlines()
    cited_any = 0
    for v_raw, v in zip(raw["versions"], alaska.versions, strict=True):
        cited = _row_dates(" ".join(v_raw["sources"]))
        # the comments next to the changes cite rows too
        for ch in v_raw.get("changes", []):
            line = next(ln for ln in lines if ln.strip().startswith(f"- {ch}"))
            cited += _row_dates(line)
        cited_any += len(cited)
        assert all(d <= v.date for d in cited), (v.date, [d for d in cited if d > v.date])
    assert cited_any > 20


def test_every_timeline_row_cited_exists():
    ref = os.environ.get("DETENTE_REFERENCE", "")
    if not ref:
        why = "DETENTE_REFERENCE is not set (the shared folder holds the timeline in sources/)"
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on"):
            pytest.fail(why + "; CI always sets it")
        pytest.skip(why)
    timeline = Path(ref).parent / "sources" / "alaska-timeline.md"
    assert timeline.is_file(), f"{timeline} is missing"
    rows = set(re.findall(r"^\| (\d{4}-\d{2}-\d{2}(?:/\d{2})?) ", timeline.read_text(encoding="utf-8"), re.M))
    text = (Path(service.__file__).parent / "tracks" / "alaska_2025.yaml").read_text(encoding="utf-8")
    cited = {r for grp in re.findall(r"\[tl ([^\]]+)\]", text) for r in re.split(r",\s*", grp)
             if re.fullmatch(r"\d{4}-\d{2}-\d{2}(/\d{2})?", r)}
    assert cited and cited <= rows, cited - rows


def test_track_run_on_alaska(alaska):
    run = service.track(alaska, MODELS)
    df = run.to_frame()
    n_issues = len(alaska.versions[0].scenario.issues)
    assert len(df) == len(alaska.versions) * len(MODELS) * n_issues
    for n, v in enumerate(alaska.versions):
        direct = service.forecast(v.scenario, MODELS)
        for f in direct.forecasts:
            got = df[(df["version"] == n) & (df["model"] == f.model)]["forecast"].to_numpy()
            np.testing.assert_allclose(got, f.outcome)
    rec = {o.issue: o.value for o in alaska.outcome.issues}
    assert (df["recorded"] == df["issue"].map(rec)).all()
    deals = run.deal_frame()
    assert len(deals) == len(alaska.versions) and (deals["recorded_deal"] == False).all()  # noqa: E712
    assert ((deals["deal_share"] >= 0) & (deals["deal_share"] <= 1)).all()
    doc = service.track_document(run)
    assert [v["date"] for v in doc["versions"]] == [v.date for v in alaska.versions]
    assert doc["outcome"]["deal"] is False
    # the forecasts move between versions (the track is not a flat line)
    assert df.groupby(["model", "issue"])["forecast"].nunique().max() > 1


def test_track_chart(alaska):
    require("matplotlib")
    png = service.track_chart_png(service.track(alaska, ["weighted_mean"]))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def _write(tmp_path, data, name="t.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


def _v(date, changes=(), sources=("a source",)):
    return {"date": date, "label": date, "sources": list(sources), "changes": list(changes)}


def test_track_file_with_a_relative_base(tmp_path):
    base = service.load("alaska-2025").model_dump(mode="json")
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    p = _write(tmp_path, {"base": "base.yaml", "versions": [_v("2025-01-01"), _v("2025-02-01", ["russia.power=10"])]})
    tr = service.load_track(str(p))
    assert tr.versions[1].scenario.actor("russia").power == 10
    assert tr.outcome == tr.versions[0].scenario.outcome  # the base's own outcome


@pytest.mark.parametrize(("versions", "location", "field", "needle"), [
    ([_v("2025-02-01"), _v("2025-01-01")], "versions[1]", "date", "date order"),
    ([_v("1 May")], "versions[0]", "date", "YYYY-MM-DD"),
    ([_v("2025-01-01", sources=())], "versions[0]", "sources", "cites its sources"),
    ([_v("2025-01-01", ["china.power=3"])], "versions[0]", "changes", "china"),
    ([_v("2025-01-01", ["russia.territory.position=600"])], "versions[0]", "changes", "600"),
])
def test_bad_track_files_are_located(tmp_path, versions, location, field, needle):
    p = _write(tmp_path, {"base": "alaska-2025", "versions": versions})
    with pytest.raises(ScenarioError) as ei:
        service.load_track(str(p))
    e = ei.value
    assert (e.source, e.location, e.field) == (str(p), location, field)
    assert needle in str(e)


def test_not_a_track(tmp_path):
    p = _write(tmp_path, {"name": "x"})
    with pytest.raises(ScenarioError, match="not a track file"):
        service.load_track(str(p))
    with pytest.raises(ScenarioError, match="built-in tracks: alaska-2025"):
        service.load_track("no-such-track")


def test_api_mode_never_opens_a_path(tmp_path):
    base = service.load("alaska-2025").model_dump(mode="json")
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    p = _write(tmp_path, {"base": "alaska-2025", "versions": [_v("2025-01-01")]})
    with pytest.raises(ScenarioError, match="built-in tracks"):
        service.load_track(str(p), files=False)
    with pytest.raises(ScenarioError) as ei:
        service.load_track({"base": str(tmp_path / "base.yaml"), "versions": [_v("2025-01-01")]}, files=False)
    assert ei.value.field == "base"
    tr = service.load_track({"base": base, "versions": [_v("2025-01-01", ["russia.power=1"])]}, files=False)
    assert tr.versions[0].scenario.actor("russia").power == 1
