"""``report`` says at once, before any work, every extra it needs that is missing."""

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import MissingExtraError
from detente.service import build_report
from detente.service import report as service_report


@pytest.fixture
def hide(monkeypatch):
    def _hide(*packages):
        real = service_report._installed
        monkeypatch.setattr(service_report, "_installed", lambda p: p not in packages and real(p))

        def no_work(*a, **k):
            raise AssertionError("the report started working before naming the missing extras")

        monkeypatch.setattr(service_report, "run_models", no_work)
    return _hide


def test_every_missing_extra_is_named_in_one_message(hide):
    hide("jinja2", "matplotlib", "SALib")
    with pytest.raises(MissingExtraError) as ei:
        build_report("alaska-2025", ["weighted_mean"], samples=64, draws=100)
    msg = str(ei.value)
    assert "jinja2" in msg and "matplotlib" in msg and "SALib" in msg
    assert "pip install 'detente[web,plot,sensitivity]'" in msg


def test_salib_only_matters_when_sensitivity_is_asked_for(hide):
    hide("SALib")
    assert service_report.missing_report_extras() == []
    assert [e for _, e, _ in service_report.missing_report_extras(samples=8)] == ["sensitivity"]


def test_cli_report_exits_2_with_the_pip_line(hide, tmp_path):
    hide("matplotlib")
    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", "-m", "weighted_mean", "-o", str(out)])
    assert r.exit_code == 2
    assert "pip install 'detente[plot]'" in r.output and "Traceback" not in r.output
    assert not out.exists()
