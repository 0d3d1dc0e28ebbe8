"""Issue 21, output side: what detente writes (terminal, CSV, files, plots) cannot be turned
against the user by the text in a scenario, and output files behave like any other tool's.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import app
from tests.extras import require

runner = CliRunner()


def _scenario(tmp_path: Path, *, title: str, actor: str, issue: str, name="s.yaml") -> Path:
    d = {
        "name": "t", "title": title,
        "actors": [{"id": "a", "name": actor, "power": 1}, {"id": "b", "name": "B", "power": 2}],
        "issues": [{"id": "i", "name": issue, "scale": {"min": 0, "max": 100}},
                   {"id": "j", "name": "J", "scale": {"min": 0, "max": 10}}],
        "positions": [{"actor": "a", "issue": "i", "position": 10, "salience": 0.5},
                      {"actor": "b", "issue": "i", "position": 90, "salience": 0.7},
                      {"actor": "a", "issue": "j", "position": 1.1, "salience": 0.3},
                      {"actor": "b", "issue": "j", "position": 4.4, "salience": 0.9}],
    }
    f = tmp_path / name
    f.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    return f


# ------------------------------------------------------------------ terminal escapes
ESC_TITLE = "T \x1b]0;pwned\x07 \x1b[2J"
ESC_ACTOR = "A\x1b[31mRED\x1b[0m\x9b2J"


@pytest.mark.parametrize("args", [["show"], ["forecast", "-m", "weighted_mean"], ["validate"]],
                         ids=["show", "forecast", "validate"])
def test_escape_sequences_in_names_never_reach_the_terminal(args, tmp_path):
    f = _scenario(tmp_path, title=ESC_TITLE, actor=ESC_ACTOR, issue="I\x1b[1mbold\x08")
    res = runner.invoke(app, [args[0], str(f), *args[1:]])
    assert res.exit_code == 0, res.output
    for bad in ("\x1b", "\x07", "\x9b", "\x08"):
        assert bad not in res.output, (bad, res.output)
    if args[0] == "show":
        assert "\u241b]0;pwned" in res.output  # shown, not executed and not silently dropped


def test_escape_sequences_in_an_error_message_are_shown_not_run(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("name: t\nactors: [{id: a, power: 1}]\nissues: [{id: i, scale: {min: 0, max: 1}}]\n"
                 'positions: [{actor: "x\\e[2Jy", issue: i, position: 0, salience: 1}]\n', encoding="utf-8")
    res = runner.invoke(app, ["validate", str(f)])
    assert res.exit_code == 2
    assert "\x1b" not in res.output and "[2J" in res.output


# ------------------------------------------------------------------ CSV exports
FORMULA = "=cmd|' /C calc'!A0"


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_forecast_csv_neutralises_formula_cells_and_writes_short_numbers(tmp_path):
    f = _scenario(tmp_path, title="t", actor="A", issue="I")
    d = yaml.safe_load(f.read_text())
    for p in d["positions"]:
        if p["issue"] == "j":
            p["position"] = 3.67  # both actors: the forecast is 3.67
    f.write_text(yaml.safe_dump(d), encoding="utf-8")
    res = runner.invoke(app, ["forecast", str(f), "-m", "weighted_mean", "-f", "csv"])
    assert res.exit_code == 0, res.output
    # shortest round-trip numbers: 3.67, not 3.6699999999999999
    assert ",3.67\n" in res.output and "9999999" not in res.output
    values = [float(r["outcome"]) for r in _rows(res.output)]
    assert all(repr(v) in res.output for v in values)


def test_every_text_cell_that_starts_a_formula_is_neutralised():
    import pandas as pd

    from detente.service import frame_to_csv

    leads = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", FORMULA]
    df = pd.DataFrame({"name": leads, "value": [3.67, 0.1 + 0.2, 1e-300, 5.0, -2.5, 1e300, 7.0]})
    rows = _rows(frame_to_csv(df))
    assert [r["name"] for r in rows] == ["'" + s for s in leads]
    assert [float(r["value"]) for r in rows] == df["value"].tolist()  # exact round trip
    assert ",3.67\n" in frame_to_csv(df)
    plain = pd.DataFrame({"name": ["Alaska", "a=b", "x-1"]})
    assert [r["name"] for r in _rows(frame_to_csv(plain))] == ["Alaska", "a=b", "x-1"]


def test_simulate_csv_with_a_formula_actor_name(tmp_path):
    f = _scenario(tmp_path, title="t", actor=FORMULA, issue="@SUM(1)")
    res = runner.invoke(app, ["forecast", str(f), "-m", "weighted_mean", "-f", "csv", "--rounds"])
    assert res.exit_code == 0, res.output
    for cell in (c for line in csv.reader(io.StringIO(res.output)) for c in line):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


def test_ktab_csv_export_neutralises_names(tmp_path):
    f = _scenario(tmp_path, title="=HYPERLINK(1)", actor=FORMULA, issue="+tax")
    out = tmp_path / "k.csv"
    res = runner.invoke(app, ["ktab", "convert", str(f), "-o", str(out)])
    assert res.exit_code == 0, res.output
    for cell in (c for line in csv.reader(io.StringIO(out.read_text())) for c in line):
        assert not cell.startswith(("=", "+", "@")), cell


# ------------------------------------------------------------------ output files
def _forecast_to(f: Path, out: Path):
    return runner.invoke(app, ["forecast", str(f), "-m", "weighted_mean", "-f", "json", "-o", str(out)])


def test_new_output_file_respects_the_umask(tmp_path):
    f = _scenario(tmp_path, title="t", actor="A", issue="I")
    old = os.umask(0o022)
    try:
        res = _forecast_to(f, tmp_path / "a.json")
        os.umask(0o077)
        res2 = _forecast_to(f, tmp_path / "b.json")
    finally:
        os.umask(old)
    assert res.exit_code == 0 and res2.exit_code == 0, res.output + res2.output
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.json").stat().st_mode) == 0o600


def test_existing_output_file_keeps_its_mode(tmp_path):
    f = _scenario(tmp_path, title="t", actor="A", issue="I")
    out = tmp_path / "shared.json"
    out.write_text("old")
    out.chmod(0o664)
    assert _forecast_to(f, out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o664 and out.read_text() != "old"


def test_symlinked_output_is_refused_and_left_alone(tmp_path):
    f = _scenario(tmp_path, title="t", actor="A", issue="I")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    res = _forecast_to(f, link)
    assert res.exit_code == 2 and "symbolic link" in res.output and "Traceback" not in res.output
    assert link.is_symlink() and victim.read_text() == "keep me"


def test_temp_files_of_a_killed_writer_are_cleaned_up(tmp_path):
    """kill -9 during a write leaves ``.NAME.<pid>.*.tmp``; the next write removes it."""
    f = _scenario(tmp_path, title="t", actor="A", issue="I")
    out = tmp_path / "f.json"
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(proc.stdout)  # a process that has exited
    stale = tmp_path / f".f.json.{dead}.abc123.tmp"
    stale.write_text("half")
    alive = tmp_path / f".f.json.{os.getpid()}.zzz.tmp"  # ours: still running, kept
    alive.write_text("x")
    assert _forecast_to(f, out).exit_code == 0
    assert not stale.exists() and alive.exists()
    alive.unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json", "s.yaml"]


# ------------------------------------------------------------------ $ and % in plots
DOLLAR = "Tariffs: 25% on $ goods"


def test_dollar_and_percent_in_names_render_literally_in_the_report(tmp_path):
    require("matplotlib")
    require("jinja2")
    f = _scenario(tmp_path, title=DOLLAR + " $x^2$", actor="US $ team", issue=DOLLAR + ", $5 cap")
    d = yaml.safe_load(f.read_text())
    d["issues"][0]["scale"].update(min_label="$", max_label="25% on $")
    f.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(f), "-m", "weighted_mean", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert DOLLAR in out.read_text(encoding="utf-8")


def test_every_plot_draws_dollar_text_as_written():
    require("matplotlib")
    import numpy as np
    import pandas as pd

    from detente import service
    from detente.report import plots

    sc = service.load("alaska-2025")
    sc = sc.model_copy(update={
        "title": "$x^2$ and " + DOLLAR,
        "issues": [i.model_copy(update={"name": DOLLAR + f" {k} $y$"}) for k, i in enumerate(sc.issues)],
    })
    forecasts = service.forecast(sc, models=["weighted_mean"]).forecasts
    figs = [plots.position_chart(sc, forecasts)]
    figs.append(plots.backtest_chart(pd.DataFrame({"model": ["m $a$", "m $a$"], "issue": ["$1", "2%"],
                                                   "abs_error": [1.0, 2.0]})))
    draws = pd.DataFrame({"draw": np.repeat(np.arange(20), 1), "issue": [sc.issues[0].id] * 20,
                          "outcome": np.linspace(0, 1, 20), "model": ["m $q$"] * 20})
    figs.append(plots.distribution_chart(draws, scenario=sc))
    for fig in figs:
        plots.to_png(fig)  # used to raise ParseException on an unbalanced $
        texts = [t for t in fig.findobj(lambda o: hasattr(o, "get_text") and hasattr(o, "_parse_math"))
                 if "$" in t.get_text()]
        assert texts and all(not t._parse_math for t in texts)
