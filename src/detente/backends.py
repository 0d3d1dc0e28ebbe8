"""The one place that resolves a compute backend: ``"auto"``, ``"numba"`` or ``"numpy"``.

Every model with a compiled engine and the simulator ask :func:`resolve` (which engine runs)
or :func:`kernel` (the compiled module itself, or ``None`` for the numpy engine). Both engines
give the same numbers to rounding (bit for bit where a test says so); the choice is speed only.

``"auto"`` takes the compiled engine when numba is installed and imports, and numpy otherwise;
``"numba"`` insists (a :class:`~detente.errors.MissingExtraError` naming the ``fast`` extra
without it); ``"numpy"`` never compiles.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Literal

from ._jit import HAVE_NUMBA
from .errors import MissingExtraError, ModelParameterError

__all__ = ["BACKENDS", "Backend", "kernel", "resolve"]

Backend = Literal["auto", "numba", "numpy"]

#: the backend names every entry point accepts
BACKENDS: tuple[str, ...] = ("auto", "numba", "numpy")


def resolve(backend: str, *, what: str = "backend") -> Literal["numba", "numpy"]:
    """Which engine ``backend`` runs: ``"numba"`` or ``"numpy"``.

    Parameters
    ----------
    backend : {"auto", "numba", "numpy"}
    what : str
        The field to name in an error (e.g. ``"exchange model: backend"``).

    Raises
    ------
    ModelParameterError
        For a name outside :data:`BACKENDS`.
    MissingExtraError
        For ``"numba"`` without numba installed.
    """
    if backend not in BACKENDS:
        raise ModelParameterError(
            f"{what} must be one of {', '.join(map(repr, BACKENDS))} (got {backend!r})"
        )
    if backend == "numpy":
        return "numpy"
    if not HAVE_NUMBA:
        if backend == "numba":
            raise MissingExtraError("numba", "fast")
        return "numpy"
    return "numba"


def kernel(backend: str, module: str, *, what: str = "backend") -> ModuleType | None:
    """The compiled kernel module ``module`` (absolute, e.g. ``"detente.models.exchange._kernel"``)
    when ``backend`` resolves to numba, else ``None`` (run the numpy engine).

    An installed but broken numba (the kernel module fails to import) makes ``"auto"`` fall
    back to numpy and ``"numba"`` raise :class:`~detente.errors.MissingExtraError`.
    """
    if resolve(backend, what=what) == "numpy":
        return None
    try:
        return importlib.import_module(module)
    except ImportError as err:
        if backend == "numba":
            raise MissingExtraError("numba", "fast") from err
        return None
