"""docs/workflows.md shows real output: the example scenario and the claims made about it."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente import service

DOCS = Path(__file__).resolve().parents[1] / "docs"
WAGE = DOCS / "examples" / "wage.yaml"
M3 = ["weighted_mean", "weighted_median", "nash"]


def test_wage_example_what_if_as_documented():
    run = service.compare(str(WAGE), ["union.raise.red_line.min=4", "union.walk_away=0.35"], M3)
    assert run.base_deal == (False, False, False)
    assert dict(zip(M3, run.changed_deal, strict=True))["weighted_median"] is True
    text = (DOCS / "workflows.md").read_text(encoding="utf-8")
    wm = run.to_frame().query("model == 'weighted_mean' and issue == 'raise'").iloc[0]
    assert f"{round(wm.base, 2):g} -> {round(wm.changed, 2):g} (0)" in text  # the table's 2 decimals


def test_wage_example_influence_as_documented():
    res = service.influence(str(WAGE), forecasts=False)
    best = {ai.actor: ai.best for ai in res.ranking}
    assert [ai.actor for ai in res.ranking] == ["union", "employer", "ministry"]
    assert best["union"].changes == ("union.raise.red_line=4:10",) and best["union"].size == pytest.approx(0.1)
    assert best["employer"].changes == ("employer.raise.red_line=0:5",)
    assert best["ministry"].kind == "position" and not best["ministry"].opens_zone
