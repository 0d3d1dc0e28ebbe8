"""``detente validate`` (several files), ``show`` (positions table) and ``models`` (descriptions,
JSON), and the short model labels of the forecast table."""

import json
from pathlib import Path

from typer.testing import CliRunner

from detente import service
from detente.cli import app
from detente.commands._common import fmt_value
from detente.models.registry import MODELS
from detente.scenario.load import builtin_path

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "cases").glob("*.yaml"))


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _bad_copy(tmp_path, name="bad.yaml"):
    text = builtin_path("alaska-2025").read_text(encoding="utf-8").replace("weight: 0.70,", "weight: 0.75,", 1)
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_validate_every_case_of_the_library_in_one_call():
    assert len(CASES) >= 40
    r = invoke("validate", *CASES)
    assert r.exit_code == 0, r.output
    for f in CASES:
        assert f"OK {f}" in r.output.replace("\n", " ") or f"OK {f}" in r.output
    assert f"{len(CASES)} of {len(CASES)} files valid" in r.output


def test_validate_several_files_reports_each_and_names_every_bad_one(tmp_path):
    bad1 = _bad_copy(tmp_path, "bad1.yaml")
    bad2 = tmp_path / "missing.yaml"
    good = CASES[0]
    r = invoke("validate", good, bad1, bad2)
    assert r.exit_code == 2
    out = r.output
    assert f"OK {good}" in out
    assert f"FAIL {bad1}" in out and "delegation weights must sum to 1" in out
    assert f"FAIL {bad2}" in out
    assert "1 of 3 files valid" in out
    assert f"2 invalid: {bad1}, {bad2}" in out.replace("\n", "")
    assert "Traceback" not in out


def test_validate_json(tmp_path):
    bad = _bad_copy(tmp_path)
    r = invoke("validate", CASES[0], bad, "--format", "json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["failed"] == [str(bad)] and doc["ok"] == 1
    assert doc["files"][0]["ok"] is True and doc["files"][1]["ok"] is False
    assert "delegation weights" in doc["files"][1]["error"]


def test_show_prints_every_position_and_salience():
    sc = service.load("alaska-2025")
    r = invoke("show", "alaska-2025")
    assert r.exit_code == 0, r.output
    assert "Where every actor stands (position / salience)" in r.output
    for p in sc.positions:
        assert f"{fmt_value(p.position)} / {fmt_value(p.salience)}" in r.output, (p.actor, p.issue)


def test_models_table_and_json_describe_every_model():
    r = invoke("models", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [m["name"] for m in doc] == list(MODELS)
    for m in doc:
        assert m["description"] and "\n" not in m["description"]
        assert m["description"] == MODELS[m["name"]].__doc__.strip().splitlines()[0]
        assert m["reference"] and isinstance(m["parameters"], dict)
    r = invoke("models")
    assert r.exit_code == 0
    assert "what it does" in r.output and "Stokman's" in r.output and "compromise" in r.output
    assert invoke("models", "--format", "xml").exit_code == 2


def test_expected_utility_is_never_labelled_eu():
    # scenarios have actors called EU: the model's short label must not read as one
    labels = service.MODEL_LABELS
    assert "EU" not in {v.upper() for v in labels.values()}
    assert len(set(labels.values())) == len(labels)
    assert service.model_label("expected_utility") == "exp.util"
    r = invoke("forecast", "eu-emissions-1994", "-m", "expected_utility", "-m", "weighted_mean")
    assert r.exit_code == 0, r.output
    header = next(line for line in r.output.splitlines() if line.lstrip().startswith("issue"))
    assert "exp.util" in header and " EU " not in f" {header} "
    assert "exp.util = expected_utility" in r.output


def test_no_surface_spells_a_model_label_eu():
    # tables, plots, the report and the page: no "EU" string for a model anywhere in the code
    # (an actor may be called EU; a scenario's names come from its file, never from here)
    src = ROOT / "src" / "detente"
    hits = []
    for f in [*src.rglob("*.py"), *src.rglob("*.js"), *src.rglob("*.j2"), *src.rglob("*.html")]:
        text = f.read_text(encoding="utf-8")
        for needle in ('"EU"', "'EU'", ">EU<", "`EU`"):
            if needle in text:
                hits.append(f"{f.relative_to(ROOT)}: {needle}")
    assert not hits, hits
