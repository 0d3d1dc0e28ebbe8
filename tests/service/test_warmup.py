"""``detente warmup`` / :func:`detente.service.warmup`: every kernel group compiled and marked."""

from __future__ import annotations

import json
import warnings

from typer.testing import CliRunner

from detente import service
from detente.backends import KERNELS, CompileNotice, compiled_now
from detente.cli import app
from detente.commands.warmup import show_compile_notices

from ..numba_marks import needs_numba


@needs_numba
def test_warmup_compiles_and_marks_every_engine():
    seen = []
    r = service.warmup(progress=lambda label, before: seen.append(label))
    assert r.numba
    assert list(r.engines) == [g.label for g in KERNELS.values()] == seen
    assert all(s > 0 for s in r.seconds) and r.total_seconds == sum(r.seconds)
    assert all(r.marked)
    for module in KERNELS:
        assert compiled_now(module)
    df = r.to_frame()
    assert list(df.columns) == ["engine", "compiled_before", "seconds", "marked"] and len(df) == len(KERNELS)
    # a second warmup finds everything compiled
    assert all(service.warmup().compiled_before)


@needs_numba
def test_warmup_command_reports_its_time():
    res = CliRunner().invoke(app, ["warmup"])
    assert res.exit_code == 0, res.output
    assert "warmup took" in res.output
    for g in KERNELS.values():
        assert f"{g.label}: already compiled" in res.output
    res = CliRunner().invoke(app, ["warmup", "--format", "json"])
    doc = json.loads(res.stdout)
    assert doc["numba"] and len(doc["engines"]) == len(KERNELS)


def test_compile_notice_is_one_note_line_on_stderr(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        show_compile_notices()
        show_compile_notices()  # idempotent: one line, not two
        warnings.warn("compiling the exchange kernels", CompileNotice, stacklevel=1)
    err = capsys.readouterr().err
    assert err.count("note: compiling the exchange kernels") == 1
    assert "Warning" not in err  # not Python's warning format
