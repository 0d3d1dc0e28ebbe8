"""Output is written atomically and input files are never touched.

* ``--output F`` interrupted at any point (the rename fails, the write dies half-way, Ctrl-C
  before the rename) leaves F exactly as it was (absent, or its old bytes) and no temporary
  file behind; every command with ``--output`` is checked.
* A scenario file the user gave is byte-for-byte the same (and not rewritten: same mtime)
  after every command that reads it, and the command writes nothing beside it but its output.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

runner = CliRunner()
SCENARIO = "eu_emissions_1994.yaml"  # small, with an outcome (so backtest can read it)
OLD = b"previous results: must survive a failed write\n"


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _commands_with_output(sc: str) -> list[tuple[str, list[str]]]:
    cmds = [
        ("forecast-json", ["forecast", sc, "-m", "weighted_mean", "--format", "json"]),
        ("forecast-table", ["forecast", sc, "-m", "weighted_mean"]),
        ("ktab-convert", ["ktab", "convert", sc]),
    ]
    if _have("detente.commands.simulate"):
        cmds.append(("simulate", ["simulate", sc, "--runs", "4", "--seed", "1", "--strategies", "linear", "--format", "json"]))
    if _have("detente.commands.sensitivity"):
        cmds.append(("montecarlo", ["montecarlo", sc, "-m", "weighted_mean", "--draws", "64", "--seed", "1", "--format", "json"]))
        cmds.append(("sensitivity", ["sensitivity", sc, "-m", "weighted_mean", "--samples", "8", "--seed", "1", "--format", "json"]))
    if _have("detente.commands.report"):
        cmds.append(("report", ["report", sc, "-m", "weighted_mean"]))
    return cmds


@pytest.fixture
def user_scenario(tmp_path: Path) -> Path:
    src = resources.files("detente.scenario.data") / SCENARIO
    p = tmp_path / "input" / "talks.yaml"
    p.parent.mkdir()
    p.write_bytes(src.read_bytes())
    return p


def _suffix(name: str) -> str:
    return {"ktab-convert": ".csv", "report": ".html"}.get(name, ".out")


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.mark.parametrize("name", [c[0] for c in _commands_with_output("x")])
def test_failed_rename_keeps_old_file(name, user_scenario, tmp_path, monkeypatch):
    """The temp file is written, then the rename fails: the old file is intact, no temp left."""
    args = dict(_commands_with_output(str(user_scenario)))[name]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / f"result{_suffix(name)}"
    target.write_bytes(OLD)
    calls = []

    def failing_replace(src, dst):
        calls.append((src, dst))
        assert Path(src).read_bytes(), "the temporary file holds the full output before the rename"
        raise OSError(28, "No space left on device (injected)")

    monkeypatch.setattr(os, "replace", failing_replace)
    r = runner.invoke(app, [*args, "--output", str(target)])
    assert calls, f"{name}: the output was not written through write_output: {r.output}"
    assert r.exit_code == 2, r.output
    assert "No space left" in r.output and "Traceback" not in r.output
    assert target.read_bytes() == OLD
    assert _leftovers(out_dir, {target.name}) == []


class _DyingFile:
    """A file object that writes half of what it is given, then fails."""

    def __init__(self, fh, exc):
        self._fh, self._exc = fh, exc

    def write(self, data):
        self._fh.write(data[: len(data) // 2])
        self._fh.flush()
        raise self._exc

    def __getattr__(self, k):
        return getattr(self._fh, k)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


@pytest.mark.parametrize("exc", [OSError(5, "Input/output error (injected)"), KeyboardInterrupt()],
                         ids=["io-error", "ctrl-c"])
@pytest.mark.parametrize("existing", [True, False], ids=["existing", "new"])
def test_write_dies_half_way(exc, existing, user_scenario, tmp_path, monkeypatch):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "forecast.json"
    if existing:
        target.write_bytes(OLD)
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: _DyingFile(real_fdopen(fd, *a, **k), exc))
    r = runner.invoke(app, ["forecast", str(user_scenario), "-m", "weighted_mean", "--format", "json",
                            "--output", str(target)])
    assert r.exit_code == (130 if isinstance(exc, KeyboardInterrupt) else 2), r.output
    if existing:
        assert target.read_bytes() == OLD
    else:
        assert not target.exists()
    assert _leftovers(out_dir, {target.name}) == []


def test_error_before_writing_keeps_old_file(user_scenario, tmp_path):
    target = tmp_path / "forecast.json"
    target.write_bytes(OLD)
    r = runner.invoke(app, ["forecast", str(user_scenario), "-m", "no_such_model", "--output", str(target)])
    assert r.exit_code == 2
    assert target.read_bytes() == OLD


def test_successful_write_replaces_whole_file(user_scenario, tmp_path):
    """The control: without a fault the output is complete JSON and no temp file is left."""
    import json

    target = tmp_path / "forecast.json"
    target.write_bytes(OLD * 1000)  # longer than the new content: no stale tail may remain
    r = runner.invoke(app, ["forecast", str(user_scenario), "-m", "weighted_mean", "--format", "json",
                            "--output", str(target)])
    assert r.exit_code == 0, r.output
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["forecasts"][0]["model"] == "weighted_mean"
    assert _leftovers(tmp_path, {target.name, "input"}) == []


# ------------------------------------------------------------------ inputs are read-only
def _reading_commands(sc: str, ktab_csv: str, out: Path) -> list[tuple[str, list[str]]]:
    cmds = [
        ("forecast", ["forecast", sc]),
        ("forecast-output", ["forecast", sc, "-m", "weighted_mean", "--format", "csv", "-o", str(out / "f.csv")]),
        ("validate", ["validate", sc]),
        ("show", ["show", sc]),
        ("ktab-convert", ["ktab", "convert", sc, "-o", str(out / "k.xml")]),
        ("ktab-run", ["ktab", "run", ktab_csv]),
    ]
    if _have("detente.commands.simulate"):
        cmds.append(("simulate", ["simulate", sc, "--runs", "4", "--seed", "1", "--strategies", "linear"]))
    if _have("detente.commands.backtest"):
        cmds.append(("backtest", ["backtest", sc, "-m", "weighted_mean", "--n-boot", "10", "-o", str(out / "bt")]))
    if _have("detente.commands.report"):
        cmds.append(("report", ["report", sc, "-m", "weighted_mean", "-o", str(out / "r.html")]))
    if _have("detente.commands.sensitivity"):
        cmds.append(("montecarlo", ["montecarlo", sc, "-m", "weighted_mean", "--draws", "64", "--seed", "1"]))
        cmds.append(("sensitivity", ["sensitivity", sc, "-m", "weighted_mean", "--samples", "8", "--seed", "1"]))
    return cmds


def _names(ktab_csv="k.csv", out=Path("o")):
    return [c[0] for c in _reading_commands("s", ktab_csv, out)]


@pytest.mark.parametrize("name", _names())
def test_input_file_never_modified(name, user_scenario, tmp_path, monkeypatch):
    from detente.io import load_scenario
    from detente.io.ktab import to_ktab_csv

    ktab_csv = user_scenario.parent / "talks_ktab.csv"
    ktab_csv.write_text(to_ktab_csv(load_scenario(user_scenario)), encoding="utf-8")
    os.chmod(user_scenario, 0o644)
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in user_scenario.parent.iterdir()}
    args = dict(_reading_commands(str(user_scenario), str(ktab_csv), out))[name]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, f"{name}: {r.output}"
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in user_scenario.parent.iterdir()}
    assert after == before, f"{name} changed the input folder"
    assert list(work.iterdir()) == [], f"{name} wrote into the working directory: {list(work.iterdir())}"
    shutil.rmtree(out)
