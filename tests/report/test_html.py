"""The self-contained HTML report."""

from __future__ import annotations

import base64
import html as html_mod
import re
import sys

import numpy as np
import pandas as pd
import pytest

from tests.extras import require

require("matplotlib")
require("jinja2")

from detente import (  # noqa: E402
    MODELS,
    DetenteWarning,
    MissingExtraError,
    UnknownModelError,
    get_model,
    load_scenario,
)
from detente.report.tables import fmt_number  # noqa: E402
from detente.service import build_report  # noqa: E402
from detente.service import report as service_report  # noqa: E402

FAST = ["weighted_mean", "weighted_median", "nash"]


@pytest.fixture(scope="module")
def alaska():
    return load_scenario("alaska-2025")


@pytest.fixture(scope="module")
def report(alaska):
    return build_report(alaska, FAST, seed=3)


def _network_refs(doc: str) -> list[str]:
    """Anything the browser would fetch from elsewhere: src/href/url() to a remote or file."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", doc, flags=re.I)
    refs += re.findall(r"url\(([^)]*)\)", doc, flags=re.I)
    return [r for r in refs if not r.startswith(("#", "data:"))]


def test_report_is_self_contained(report):
    assert report.lstrip().startswith("<!DOCTYPE html>")
    assert _network_refs(report) == []
    assert "<script" not in report.lower() and "<link" not in report.lower()
    uris = re.findall(r'src="(data:image/png;base64,[^"]+)"', report)
    assert uris, "the report has no inline chart"
    assert base64.b64decode(uris[0].split(",", 1)[1])[:4] == b"\x89PNG"


def test_report_shows_every_models_forecast_and_citation(alaska, report):
    for name in FAST:
        assert f'id="model-{name}"' in report
        assert html_mod.escape(MODELS[name].reference) in report
    wm = get_model("weighted_mean").forecast(alaska.without_outcome())
    k = alaska.issue_ids.index("territory")
    assert f'<td class="num">{fmt_number(wm.outcome[k])}</td>' in report
    assert "seed 3" in report


def test_report_has_zone_of_agreement_and_real_outcome(report):
    assert 'id="zone"' in report
    assert "empty: impasse" in report  # territory and security guarantees clash
    assert 'id="outcome"' in report and "No ceasefire and no agreement" in report


def test_report_runs_every_registered_model_by_default(alaska):
    doc = build_report(alaska, generated=None)
    for name in MODELS:
        assert f'id="model-{name}"' in doc


def test_report_draws_round_trajectories_of_iterative_models(alaska):
    iterative = [n for n in MODELS if get_model(n).forecast(alaska.without_outcome()).tables]
    assert iterative, "expected_utility, ktab_smp and exchange publish round tables"
    doc = build_report(alaska, iterative[:1])
    assert f'alt="{iterative[0]}: ' in doc


def test_report_escapes_scenario_text(alaska):
    evil = alaska.model_copy(update={"title": "<script>alert('x')</script>", "description": "a <b>bold</b> claim"})
    doc = build_report(evil, ["weighted_mean"])
    assert "<script>alert" not in doc and "&lt;script&gt;alert" in doc
    assert "&lt;b&gt;bold" in doc


def test_report_sections_from_given_frames(alaska):
    rng = np.random.default_rng(0)
    draws = pd.DataFrame({"model": "weighted_mean", "issue": np.repeat(list(alaska.issue_ids), 50),
                          "outcome": rng.uniform(0, 100, 50 * len(alaska.issues))})
    sobol = pd.DataFrame({"output": "territory", "input": ["a", "b"], "S1": [0.2, 0.5], "ST": [0.3, 0.6],
                          "S1_conf": [0.01, 0.02], "ST_conf": [0.02, 0.03]})
    runs = pd.DataFrame({"agreement": [True, False, True, True], "u_a": [0.5, np.nan, 0.6, 0.7],
                         "u_b": [0.6, np.nan, 0.4, 0.5]})
    errors = pd.DataFrame({"model": ["weighted_mean", "nash"], "abs_error": [10.0, 20.0]})
    doc = build_report(alaska, ["weighted_mean"], monte_carlo=draws, sobol=sobol,
                       simulation={"runs": runs, "x": "u_a", "y": "u_b"}, backtest=errors, image_format="svg")
    for key in ("uncertainty", "sensitivity", "simulation", "backtest"):
        assert f'<section id="{key}">' in doc
    assert "Deal rate 75.0% over 4 simulated negotiations" in doc
    assert 'src="data:image/svg+xml;base64,' in doc and "data:image/png" not in doc
    assert _network_refs(doc) == []


def test_requested_but_missing_capability_is_said_not_hidden(alaska, monkeypatch):
    monkeypatch.setattr(service_report, "_module", lambda name: None)
    with pytest.warns(DetenteWarning, match="detente.simulate"):
        doc = build_report(alaska, ["weighted_mean"], runs=100)
    assert "Negotiation simulator was requested, but this installation of detente has no" in doc


def test_monte_carlo_section_with_the_real_uncertainty_module(alaska):
    import detente.uncertainty  # noqa: F401  (an import error in detente must fail)
    doc = build_report(alaska, ["weighted_median"], draws=300, seed=1)
    assert '<section id="uncertainty">' in doc
    assert "300 draws per model with expert noise (" in doc
    assert "position 0.1" in doc and "relative to each issue" in doc
    assert "raw structural deal rate" in doc and "Probability of a deal" in doc


def test_bad_input_fails_before_rendering(alaska):
    with pytest.raises(UnknownModelError, match="nope"):
        build_report(alaska, ["nope"])
    with pytest.raises(ValueError, match="image_format"):
        build_report(alaska, ["weighted_mean"], image_format="gif")


def test_missing_jinja2_names_the_web_extra(alaska, monkeypatch):
    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(MissingExtraError, match=r"detente\[web\]"):
        build_report(alaska, ["weighted_mean"])


def test_simulator_section_puts_frontier_and_bargaining_points_on_the_plane(alaska):
    import detente.negotiation.solutions  # noqa: F401  (an import error in detente must fail)
    plane = service_report.utility_plane(alaska, "u_usa", "u_russia")
    front = plane["frontier"].to_numpy()
    assert front.shape[1] == 2 and len(front) > 1
    # no frontier point dominates another
    for p in front:
        assert not np.any(np.all(front >= p, axis=1) & np.any(front > p, axis=1))
    for name in ("Nash", "Kalai-Smorodinsky"):
        assert any(np.allclose(plane["points"][name], row) for row in front)
    assert service_report.utility_plane(alaska, "u_usa", "u_atlantis") == {}


def test_simulator_section_with_the_real_simulator(alaska):
    from detente.service import simulate_fn

    assert simulate_fn() is not None
    doc = build_report(alaska, ["weighted_mean"], runs=50, seed=2)
    assert '<section id="simulation">' in doc
    assert "over 50 simulated negotiations" in doc and "staged summit" in doc
