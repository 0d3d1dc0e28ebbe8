"""The DEU III reader, the capability table and the outcome-only baselines."""

from __future__ import annotations

import csv
import datetime as dt
import math

import numpy as np
import pytest

from detente.backtest.deu import (
    ACTOR_CODES,
    deu_cases,
    load_capabilities,
    outcome_baselines,
    read_deu,
    read_deu_issues,
    read_deu_table,
)
from detente.errors import ScenarioError
from detente.models.weighted_mean import WeightedMean
from tests.parity._ref import reference_dir

# Expected parse results tabled at the end of shared/reference/deu/DEU_III_FORMAT.md
EXPECTED = {
    "x01i1": (["com", "ep", "fr", "de", "nl", "uk"], 0.0, 50.0, True, 19000 / 390),
    "x01i2": (["com", "ep", "fr"], None, None, False, 50.0),
    "x02i1": (["com", "it", "es", "se"], 30.0, None, False, 62.6667),
    "x02i2": (["com", "pl"], None, 20.0, True, 60.0),
    "x03i1": (["com", "bu", "cr", "pt", "ro"], None, 100.0, True, 56.2963),
}


@pytest.fixture(scope="module")
def fixture_path():
    return reference_dir("deu") / "DEU_III_fixture.csv"


def _caps_rows():
    with open(reference_dir("deu") / "deu_capabilities.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_fixture_parse(fixture_path):
    """DEU_III_FORMAT.md, "Test fixture" table: valid actors, rp, out, scoreable (exact)."""
    d = read_deu_table(fixture_path)
    assert d.actors == ACTOR_CODES
    assert list(d.issues["isnr"]) == list(EXPECTED)
    for k, (isnr, (actors, rp, out, scoreable, _)) in enumerate(EXPECTED.items()):
        row = d.issues.iloc[k]
        assert row["actors"].split() == actors, isnr
        assert row["n_actors"] == len(actors)
        assert (math.isnan(row["rp"]) if rp is None else row["rp"] == rp), isnr
        assert (math.isnan(row["out"]) if out is None else row["out"] == out), isnr
        assert bool(row["scoreable"]) is scoreable, isnr
        valid = ~np.isnan(d.position[k])
        assert [a for a, v in zip(d.actors, valid, strict=True) if v] == actors
    # x01i2: de has a position but a blank salience; x03i1: pep = 999
    de, ep = d.actors.index("de"), d.actors.index("ep")
    assert np.isnan(d.position[1, de]) and np.isnan(d.position[4, ep])


def test_fixture_dates(fixture_path):
    """x02*: intro 01-10-98, finact 11-12-99 (the 19YY rule); x03i1: blank finact -> intro."""
    d = read_deu_table(fixture_path).issues.set_index("isnr")
    assert d.loc["x02i1", "decision_date"] == dt.date(1999, 12, 11)
    assert d.loc["x02i1", "intro"] == "01-10-98"
    assert d.loc["x03i1", "finact"] == ""
    assert d.loc["x03i1", "decision_date"] == dt.date(2013, 5, 5)
    assert d.loc["x01i1", "decision_date"] == dt.date(2002, 6, 20)


def test_fixture_salience_weighted_means(fixture_path):
    """The format note's salience-weighted mean per issue (4 decimals), through the scenarios
    (equal capabilities, every issue kept) and the weighted-mean model."""
    cases, table = read_deu(fixture_path, variant="equal", min_actors=1)
    got = {}
    for c in cases:
        out = WeightedMean().forecast(c.model_input).outcome
        got.update(dict(zip(c.scenario.issue_ids, out, strict=True)))
    assert set(got) == set(EXPECTED)
    for isnr, exp in EXPECTED.items():
        assert got[isnr] == pytest.approx(exp[4], abs=5e-5), isnr
    assert table["included"].all()


def test_fixture_cases_and_min_actors(fixture_path):
    cases, table = read_deu(fixture_path, min_actors=1)
    assert [c.name for c in cases] == ["x01", "x02", "x03"]
    by = {c.name: c for c in cases}
    # unscoreable issues stay in the scenario as context but get no target
    assert by["x01"].scenario.issue_ids == ("x01i1", "x01i2")
    assert [t.issue for t in by["x01"].targets] == ["x01i1"]
    assert by["x01"].scenario.issue("x01i1").status_quo == 0.0
    assert by["x02"].scenario.issue("x02i1").status_quo == 30.0
    assert [o.value for o in by["x03"].scenario.outcome.issues] == [100.0]
    assert by["x03"].model_input.outcome is None
    # saliences are divided by 100
    sal = {(p.actor, p.issue): p.salience for p in by["x01"].scenario.positions}
    assert sal[("com", "x01i1")] == 0.9
    # the >= 3-actor rule (the default) drops x02i2 and so the whole of x02
    cases3, table3 = read_deu(fixture_path)
    assert [c.name for c in cases3] == ["x01", "x03"]
    t = table3.set_index("isnr")
    assert not t.loc["x02i2", "included"] and "fewer than min_actors=3" in t.loc["x02i2", "reason"]
    assert sum(len(c.targets) for c in cases3) == 2


def test_fixture_capabilities_by_period(fixture_path):
    """Capabilities come from deu_capabilities.csv for the period of the decision date."""
    rows = _caps_rows()
    ss = {(r["period"], r["actor_code"]): float(r["shapley_shubik"]) for r in rows}
    bz = {(r["period"], r["actor_code"]): float(r["banzhaf_normalized"]) for r in rows}
    cases, _ = read_deu(fixture_path, min_actors=1)
    by = {c.name: c for c in cases}
    p01 = {a.id: a.power for a in by["x01"].scenario.actors}  # decided 2002: EU-15
    assert p01["nl"] == ss[("EU15-Amsterdam", "nl")]
    assert p01["com"] == p01["ep"] == max(v for (p, _), v in ss.items() if p == "EU15-Amsterdam")
    p03 = {a.id: a.power for a in by["x03"].scenario.actors}  # 2013-05-05: EU-27, before Croatia
    assert p03["ro"] == ss[("EU27-Nice", "ro")]
    assert p03["cr"] == 0.0
    assert any("cr had no Council vote" in n for n in by["x03"].scenario.notes)
    cases_b, _ = read_deu(fixture_path, min_actors=1, variant="banzhaf", supranational=0.5)
    pb = {a.id: a.power for a in cases_b[0].scenario.actors}
    assert pb["fr"] == bz[("EU15-Amsterdam", "fr")] and pb["com"] == 0.5
    cases_e, _ = read_deu(fixture_path, min_actors=1, variant="equal")
    assert {a.power for c in cases_e for a in c.scenario.actors} == {1.0}


def test_packaged_capabilities_equal_reference():
    """The packaged copy of deu_capabilities.csv equals shared/reference/deu's (exact)."""
    ref = load_capabilities(reference_dir("deu") / "deu_capabilities.csv")
    pkg = load_capabilities()
    assert ref.equals(pkg)
    # README check: EU-15 Shapley-Shubik DE/FR/IT/UK 0.1167, ES 0.0955, LU 0.0207
    eu15 = pkg[pkg["period"] == "EU15-Amsterdam"].set_index("actor_code")["shapley_shubik"]
    assert eu15[["de", "fr", "it", "uk"]].round(4).tolist() == [0.1167] * 4
    assert (round(eu15["es"], 4), round(eu15["lu"], 4)) == (0.0955, 0.0207)


def _deu_text(rows: list[dict[str, str]]) -> str:
    cols = ["prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "type", "council", "proc", "counvte",
            "proccde", "issues", "intro", "finact"]
    cols += [f"p{a}" for a in ACTOR_CODES] + [f"s{a}" for a in ACTOR_CODES] + ["rp", "out"]
    lines = [";".join(cols)]
    for r in rows:
        lines.append(";".join(r.get(c, "") for c in cols))
    return "\n".join(lines) + "\n"


def test_decimal_comma_latin1_and_missing_codes(tmp_path):
    row = {"prnr": "n0062B", "isnr": "n0062Bi1", "prname": "caf\u00e9", "intro": "01-02-03",
           "pcom": "12,5", "scom": "80", "pfr": "-1", "sfr": "50", "pde": "40", "sde": "abc",
           "pit": "60", "sit": "100", "pes": "0", "ses": "0", "rp": "101", "out": "55.5"}
    path = tmp_path / "deu.csv"
    path.write_bytes(_deu_text([row]).encode("latin-1"))
    d = read_deu_table(path)
    r = d.issues.iloc[0]
    assert r["prname"] == "caf\u00e9"
    assert r["actors"].split() == ["com", "it", "es"]  # fr: -1 and de: 'abc' are missing codes
    assert d.position[0, 0] == 12.5 and math.isnan(r["rp"]) and r["out"] == 55.5
    cases, _ = deu_cases(d, min_actors=1)
    assert cases[0].name == "n0062B" and cases[0].targets[0].issue == "n0062Bi1"


def test_reader_errors(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="semicolon"):
        read_deu_table(p)
    p.write_text("prnr;isnr;out\nx;y;1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="missing column.*rp") as e:
        read_deu_table(p)
    assert e.value.location == "row 1"
    p.write_text(_deu_text([{"prnr": "a", "isnr": "ai1"}]).rstrip("\n") + ";extra\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="cells but the header has 75") as e:
        read_deu_table(p)
    assert e.value.location == "row 2"
    p.write_text(_deu_text([{"prnr": "a", "isnr": "ai1"}, {"prnr": "a", "isnr": "ai1"}]), encoding="utf-8")
    with pytest.raises(ScenarioError, match="duplicate issue id"):
        read_deu_table(p)
    p.write_text(_deu_text([{"prnr": "a", "isnr": "ai1", "pcom": "10", "scom": "50", "out": "5"}]),
                 encoding="utf-8")
    d = read_deu_table(p)
    with pytest.raises(ScenarioError, match="not one of") as e:
        deu_cases(d, variant="votes_squared")  # type: ignore[arg-type]
    assert e.value.field == "variant"
    with pytest.raises(ScenarioError) as e:
        deu_cases(d, min_actors=0)
    assert e.value.field == "min_actors"
    with pytest.raises(ScenarioError) as e:
        deu_cases(d, supranational="most")  # type: ignore[arg-type]
    assert e.value.field == "supranational"


def test_status_quo_baseline_equals_recomputation():
    """deu_issues.csv: the status-quo (reference point) baseline's MAE equals the value
    recomputed here from the file with the csv module (tolerance 1e-12)."""
    path = reference_dir("deu") / "deu_issues.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    errs = [abs(float(r["reference_point"]) - float(r["outcome"])) for r in rows if r["reference_point"].strip()]
    expected = sum(errs) / len(errs)
    res = outcome_baselines(read_deu_issues(path), n_boot=200).set_index("baseline")
    assert res.loc["status_quo", "n_issues"] == len(errs)
    assert res.loc["status_quo", "mae"] == pytest.approx(expected, abs=1e-12)
    assert res.loc["status_quo", "mae_low"] < expected < res.loc["status_quo", "mae_high"]
    mid = sum(abs(50.0 - float(r["outcome"])) for r in rows) / len(rows)
    assert res.loc["scale_midpoint", "mae"] == pytest.approx(mid, abs=1e-12)


def test_outcome_baselines_match_references_md():
    """shared/reference/deu/references.md section 4, row "shared (train)": 232 issues, 90
    proposals; MAE compromise 23.25, challenge 26.15, reference point 50.49 (published to 2
    decimals, so tolerance 0.005)."""
    res = outcome_baselines(read_deu_issues(reference_dir("deu") / "deu_issues.csv"), n_boot=200)
    res = res.set_index("baseline")
    assert res.loc["src_compromise_forecast", "n_issues"] == 232
    assert res.loc["src_compromise_forecast", "n_proposals"] == 90
    assert res.loc["src_compromise_forecast", "mae"] == pytest.approx(23.25, abs=0.005)
    assert res.loc["src_challenge_forecast", "mae"] == pytest.approx(26.15, abs=0.005)
    assert res.loc["status_quo", "mae"] == pytest.approx(50.49, abs=0.005)
