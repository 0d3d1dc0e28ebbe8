"""Locate the reference data for parity tests.

``DETENTE_REFERENCE`` unset (or "0"/"false"/"") -> skip with a reason, except in CI (``CI`` set
true), where it fails: ``.ci/run`` always sets it, so parity tests never skip there; set but the
folder is missing -> fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_FALSE = {"", "0", "false", "no", "off"}


def reference_root() -> Path | None:
    raw = os.environ.get("DETENTE_REFERENCE")
    if raw is None or raw.strip().lower() in _FALSE:
        return None
    return Path(raw).expanduser()


def reference_dir(sub: str = "") -> Path:
    """The reference folder (or one of its subfolders) or skip/fail as documented above."""
    root = reference_root()
    if root is None:
        why = "DETENTE_REFERENCE is not set; parity tests need ../shared/reference"
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on"):
            pytest.fail(why + " (CI must set it: parity tests never skip there)")
        pytest.skip(why)
    path = root / sub if sub else root
    if not path.is_dir():
        pytest.fail(f"DETENTE_REFERENCE={root} is set but {path} does not exist")
    return path
