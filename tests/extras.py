"""One rule for tests that need an optional extra (matplotlib, fastapi, SALib, dask, ...).

Outside CI a missing package skips the test with the extra to install; in CI (``CI`` true),
where ``.ci/run`` installs the ``dev`` extra with every optional package, it fails instead, so a
broken install can never hide behind a skip. detente's own modules are imported plainly, never
through this helper: an import error in detente must fail.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def require(module: str, extra: str = "dev") -> ModuleType:
    """Import ``module`` (a third-party package) or skip (locally) / fail (in CI)."""
    if module == "detente" or module.startswith("detente."):
        raise ValueError("import detente's own modules directly; an import error must fail")
    try:
        return importlib.import_module(module)
    except ImportError as err:
        msg = f"{module} is not installed (pip install 'detente[{extra}]'): {err}"
        if IN_CI:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg, allow_module_level=True)
        raise  # unreachable: skip raises
