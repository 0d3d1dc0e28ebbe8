"""The surfaces hold no forecast-document, seeding or red-line code of their own: they call
detente.service (checked on the source, as a reviewer would with grep)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import detente

SRC = Path(detente.__file__).parent
SURFACES = [SRC / "cli.py", *sorted((SRC / "commands").rglob("*.py")), *sorted((SRC / "api").rglob("*.py")),
            *sorted((SRC / "report").rglob("*.py"))]

#: what only detente.service (and below) may do
FORBIDDEN = {
    "seeding": re.compile(r"SeedSequence\(|\.spawn\(|as_generator|as_seed_sequence|default_rng"),
    "forecast document": re.compile(r"[\"']detente_version[\"']|[\"']zone_of_agreement[\"']\s*:|def forecast_document"),
    # drawing a red line is rendering; checking an outcome against it is analysis
    "red-line check": re.compile(r"red_low\[[^]]*\]\s*<=|<=\s*\w+\.red_high|def blocked_by"),
    "model runs": re.compile(r"(?<!service)\.forecast\(|get_model\("),
    "private defaults": re.compile(r"DEFAULT_NOISE|DEFAULT_SCENARIO"),
}


@pytest.mark.parametrize("path", SURFACES, ids=lambda p: str(p.relative_to(SRC)))
def test_surface_has_no_logic_of_the_service(path):
    text = path.read_text(encoding="utf-8")
    found = {what: rx.findall(text) for what, rx in FORBIDDEN.items()}
    assert not {k: v for k, v in found.items() if v}, f"{path.name} does work of detente.service"


@pytest.mark.parametrize("path", sorted((SRC / "report").rglob("*.py")), ids=lambda p: p.name)
def test_report_does_not_import_the_layer_above(path):
    assert not re.search(r"\bservice\b", "\n".join(
        ln for ln in path.read_text(encoding="utf-8").splitlines() if "import" in ln))


def test_cli_registers_commands_explicitly():
    text = (SRC / "cli.py").read_text(encoding="utf-8")
    assert "importlib" not in text and "import_module" not in text
    from detente.cli import app

    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == {"forecast", "scenarios", "show", "validate", "models", "simulate", "montecarlo",
                     "sensitivity", "backtest", "report", "serve", "ktab", "influence", "track", "warmup"}
