"""``detente report`` and ``detente serve`` through typer's CliRunner."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from tests.extras import require

require("matplotlib")
require("jinja2")

from detente.cli import app  # noqa: E402

runner = CliRunner()


def test_report_writes_a_self_contained_file(tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", "alaska-2025", "--output", str(out), "-m", "weighted_mean",
                              "-m", "nash", "--seed", "5"])
    assert res.exit_code == 0, res.output
    doc = out.read_text(encoding="utf-8")
    assert 'id="model-weighted_mean"' in doc and 'id="model-nash"' in doc
    assert 'id="model-weighted_median"' not in doc
    assert "seed 5" in doc
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", doc)


def test_report_default_scenario_and_params(tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", "-o", str(out), "-m", "nash", "-p", "nash.loss=quadratic"])
    assert res.exit_code == 0, res.output
    doc = out.read_text(encoding="utf-8")
    assert "alaska-2025" in doc and "loss=quadratic" in doc


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-m", "oracle"], "unknown model 'oracle'"),
        (["--images", "gif"], "'gif' is not one of png, svg"),
        (["--draws", "0"], "must be a positive integer"),
        (["-m", "nash", "-p", "nash.loss=cubic"], "cubic"),
        (["no-such-scenario"], "no built-in scenario or file called"),
        (["--noise", "position"], "expected KIND=VALUE"),
    ],
)
def test_report_bad_input_exits_2_and_writes_nothing(tmp_path, args, needle):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", *args, "-o", str(out)])
    assert res.exit_code == 2
    assert needle in " ".join(res.output.split())
    assert not out.exists()


def test_serve_help_lists_host_and_port():
    res = runner.invoke(app, ["serve", "--help"])
    assert res.exit_code == 0
    assert "--host" in res.output and "--port" in res.output and "127.0.0.1" in res.output
