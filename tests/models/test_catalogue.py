"""The built-in models' catalogue (``detente models``, ``GET /models``) is listed from
:mod:`detente.models._catalogue` without importing the models; it must say exactly what the
model classes say."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from detente import service
from detente.models._catalogue import CATALOGUE
from detente.models.registry import BUILTIN_MODELS, MODELS, builtin_class
from detente.service.models import model_entry

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(BUILTIN_MODELS))
def test_static_entry_is_the_class_entry(name):
    live = model_entry(builtin_class(name))
    assert CATALOGUE[name] == live, (
        f"src/detente/models/_catalogue.py is stale for {name!r}: run "
        "python scripts/write_model_catalogue.py")
    # == would let a list stand for a tuple default; the listing shows repr()
    assert {k: repr(v) for k, v in CATALOGUE[name]["parameters"].items()} == \
        {k: repr(v) for k, v in live["parameters"].items()}


def test_every_builtin_model_has_an_entry():
    assert list(CATALOGUE) == list(BUILTIN_MODELS)


def test_catalogue_lists_a_model_registered_at_run_time():
    @dataclass(frozen=True)
    class Echo:
        """Echo: returns the status quo."""

        name: ClassVar[str] = "echo"
        reference: ClassVar[str] = "nobody (2026)"
        gain: float = 0.5

    MODELS["echo"] = Echo
    try:
        entry = {m["name"]: m for m in service.catalogue()}["echo"]
    finally:
        del MODELS["echo"]
    assert entry["description"] == "Echo: returns the status quo."
    assert entry["reference"] == "nobody (2026)"
    assert entry["parameters"] == {"gain": 0.5}


def test_replaced_builtin_is_listed_from_its_new_class():
    @dataclass(frozen=True)
    class OtherMean:
        """Another mean."""

        name: ClassVar[str] = "weighted_mean"
        reference: ClassVar[str] = "elsewhere"

    old = MODELS["weighted_mean"]
    MODELS["weighted_mean"] = OtherMean
    try:
        entry = {m["name"]: m for m in service.catalogue()}["weighted_mean"]
    finally:
        MODELS["weighted_mean"] = old
    assert entry["reference"] == "elsewhere"


def test_writer_check_passes_on_the_committed_file():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "write_model_catalogue.py"), "--check"],
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""})
    assert out.returncode == 0, out.stderr
