"""Tables stay readable at 80 columns: no line wider than the terminal, every number whole."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from detente import service
from detente.commands._common import abbreviate, fit_tables, fmt_value

ROOT = Path(__file__).resolve().parents[2]
ALASKA = "alaska-2025"


def widest_case() -> Path:
    """The case whose positions table needs the most columns (issues x widest cell)."""
    def need(f):
        sc = service.load(f)
        return sum(max(len(i.id), 10) for i in sc.issues)
    return max(sorted((ROOT / "cases").glob("*.yaml")), key=need)


def run80_process(*args) -> str:
    """The real thing: a process in a terminal of COLUMNS=80."""
    env = {**os.environ, "COLUMNS": "80", "LINES": "50", "PYTHONPATH": str(ROOT / "src")}
    env.pop("FORCE_COLOR", None)
    r = subprocess.run([sys.executable, "-m", "detente.cli", *args], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def run80(monkeypatch):
    """In-process (fast): the CLI's console set to 80 columns."""
    from typer.testing import CliRunner

    from detente.cli import app
    from detente.commands._common import console

    monkeypatch.setattr(console, "width", 80)

    def run(*args) -> str:
        r = CliRunner().invoke(app, list(args))
        assert r.exit_code == 0, r.output
        return r.stdout
    return run


def check_lines(out: str) -> None:
    long = [ln for ln in out.splitlines() if cell_len(ln) > 80]
    assert not long, long[:3]
    cut = [ln for ln in out.splitlines() if "…" in ln]  # rich's mark of a cut cell
    assert not cut, cut[:3]


def check_positions(out: str, sc) -> None:
    for p in sc.positions:
        assert f"{fmt_value(p.position)} / {fmt_value(p.salience)}" in out, (p.actor, p.issue)


@pytest.mark.parametrize("which", ["alaska", "widest"])
def test_show_and_forecast_fit_80_columns(which, run80):
    src = ALASKA if which == "alaska" else str(widest_case())
    sc = service.load(src)
    out = run80("show", src)
    check_lines(out)
    check_positions(out, sc)
    out = run80("forecast", src, "-m", "weighted_mean", "-m", "weighted_median", "-m", "exchange",
                "-m", "expected_utility", "-m", "nash", "-m", "ktab_smp")
    check_lines(out)
    check_positions(out, sc)
    run = service.forecast(src)
    for f in run.forecasts:
        for v in f.outcome:
            token = fmt_value(float(v)) if v == v else "no zone"
            assert token in out, (f.model, v)
    # every abbreviation is spelled out
    assert "models: mean = weighted_mean" in " ".join(out.split())


def test_fit_tables_splits_rather_than_cutting_numbers():
    from rich.console import Console

    rows = [["a very long actor name indeed", f"{k}"] + [f"{1000 * k + j}.125 / 0.25" for j in range(9)]
            for k in range(3)]
    tables, legend = fit_tables("T", ["actor", "power"], [f"issue_{j}" for j in range(9)], rows, width=60)
    assert len(tables) > 1
    con = Console(width=60, record=True, file=open(os.devnull, "w"))
    for t in tables:
        con.print(t)
    text = con.export_text()
    assert all(cell_len(ln) <= 60 for ln in text.splitlines())
    for r in rows:
        for cell in r[2:]:
            assert cell in text


def test_abbreviate():
    assert abbreviate("status quo", 8) == "status"
    assert abbreviate("security_guarantees", 9) == "security"
    assert abbreviate("short", 8) == "short"


@pytest.mark.parametrize("args", [
    ["montecarlo", "-m", "weighted_mean", "-m", "weighted_median", "-n", "300", "--seed", "1", "{}"],
    ["sensitivity", "-m", "weighted_mean", "--samples", "16", "--seed", "1", "{}"],
    ["models"],
    ["forecast", "-m", "expected_utility", "-m", "exchange", "-m", "ktab_smp", "--rounds", "{}"],
    ["backtest", "cases", "-m", "weighted_mean", "-m", "weighted_median", "--n-boot", "50", "--by", "case"],
], ids=lambda a: a[0])
def test_other_tables_fit_80_columns_and_cut_nothing(args, run80):
    sources = [ALASKA, str(widest_case())] if "{}" in args else [None]
    for src in sources:
        out = run80(*[src if a == "{}" else str(ROOT / a) if a == "cases" else a for a in args])
        check_lines(out)
    if args[0] == "backtest":  # intervals sit under their values, whole
        assert "[" in out and "]" in out and "MAE" in out


def test_a_terminal_of_80_columns():
    sc = service.load(ALASKA)
    out = run80_process("show", ALASKA)
    check_lines(out)
    check_positions(out, sc)
    assert "…" not in out
