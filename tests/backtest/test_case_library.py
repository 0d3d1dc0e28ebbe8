"""The case library (cases/): every file a valid, sourced case, the mix the library promises,
inputs committed before outcomes, and none of the negotiations kept for independent evaluation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from detente.io import load_scenario

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "cases").glob("*.yaml"))

RESERVED = [
    r"reykjavik", r"camp[ _-]?david", r"dayton", r"hanoi", r"minsk[ _-]?(ii|2)\b",
    r"istanbul", r"rambouillet", r"doha.*2008|2008.*doha", r"cop[ _-]?21|paris.*2015",
    r"eu[ _-]?turkey", r"phase[ _-]?one", r"annan", r"good[ _-]?friday|belfast agreement",
    r"jcpoa", r"brexit.*2019|withdrawal agreement.*2019",
]


@pytest.fixture(scope="module")
def cases():
    return {f.stem: load_scenario(f) for f in FILES}


def test_library_size_and_mix(cases):
    assert len(cases) >= 40
    kinds = Counter(s.case.kind for s in cases.values())
    assert kinds["summit"] >= 10 and kinds["peace"] >= 8 and kinds["trade"] >= 6
    assert kinds["multilateral"] >= 5 and kinds["eu_coalition"] >= 5
    deals = Counter(s.outcome.deal for s in cases.values())
    assert deals[True] >= 15 and deals[False] >= 15


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_case_is_complete_and_sourced(path):
    s = load_scenario(path)
    assert s.case is not None and s.outcome is not None
    assert 3 <= len(s.actors) <= 8, "3-8 actors"
    assert 3 <= len(s.issues) <= 6, "3-6 issues"
    assert s.name == path.stem.replace("_", "-")
    assert s.outcome.ex_ante == "no"
    assert s.outcome.deal in (True, False) and s.outcome.date
    assert s.case.horizon_date and s.outcome.date <= s.case.horizon_date
    assert s.date and s.date <= s.case.horizon_date
    for i in s.issues:
        assert i.scale.min_label and i.scale.max_label, f"issue {i.id}: label both ends"
    assert {o.issue for o in s.outcome.issues} == set(s.issue_ids), "an outcome for every issue"
    for a in s.actors:
        assert a.sources, f"actor {a.id}: power needs a source"
    for p in s.positions:
        assert p.source.strip(), f"position {p.actor}/{p.issue} needs a source"
    for r in s.red_lines:
        assert r.source.strip(), f"red line {r.actor}/{r.issue} needs a source"
    for w in s.walk_away:
        assert w.source.strip(), f"walk-away {w.actor} needs a source"
    for o in s.outcome.issues:
        assert o.sources or s.outcome.sources, f"outcome {o.issue} needs a source"


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_not_a_reserved_negotiation(path):
    s = load_scenario(path)
    text = f"{path.stem} {s.name} {s.title}".lower()
    for pat in RESERVED:
        assert not re.search(pat, text), f"{path.name} looks like a reserved negotiation ({pat})"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


def test_inputs_committed_before_outcomes():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI must run in a git checkout: the case history is part of the test")
        pytest.skip("not a git checkout")
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("shallow clone: the case history is not there")
    for path in FILES:
        rel = path.relative_to(ROOT).as_posix()
        first = _git("log", "--diff-filter=A", "--format=%H", "--", rel).split()[-1]
        added = _git("show", f"{first}:{rel}")
        assert not re.search(r"^outcome:", added, re.M), (
            f"{rel}: the commit that added it ({first[:8]}) already holds the outcome")
