"""Which optional capabilities this installation has (for ``GET /health`` and the report)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

__all__ = ["capabilities", "capability", "module", "simulate_fn"]


def module(name: str) -> Any:
    """Import an optional module, or None when it is not there."""
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def capability(name: str, attr: str | None) -> bool:
    """Whether module ``name`` is installed and has ``attr`` (a capability built and shipped)."""
    try:
        mod = module(name)
    except ImportError:
        return False
    return mod is not None and (attr is None or hasattr(mod, attr))


def simulate_fn() -> Callable[..., Any] | None:
    """The simulator's entry point, ``detente.simulate.simulate``, or None when absent."""
    for name in ("detente.simulate", "detente.simulate.engine"):
        try:
            fn = getattr(module(name), "simulate", None)
        except ImportError:
            continue
        if callable(fn):
            return fn
    return None


def capabilities() -> dict[str, bool]:
    """``{"simulate", "sensitivity", "monte_carlo", "plot"}``: installed or not."""
    return {
        "simulate": simulate_fn() is not None,
        "sensitivity": capability("detente.uncertainty", "sensitivity"),
        "monte_carlo": capability("detente.uncertainty", "monte_carlo"),
        "plot": capability("matplotlib", None),
    }
