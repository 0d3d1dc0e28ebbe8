"""Optional just-in-time compilation with numba (the ``fast`` extra).

numba is never required. :data:`HAVE_NUMBA` says whether it is installed, found without
importing it (importing numba takes ~0.3 s, so modules that use it should be imported only
when needed). :func:`njit` compiles with numba when it is installed and otherwise returns the
function unchanged (plain Python: correct but slow). Code with a numpy alternative checks
:data:`HAVE_NUMBA` (or calls :func:`require_numba` when the user asked for numba explicitly)
and takes the numpy path without it.

Compiled functions are cached on disk (``cache=True`` by default, in the ``__pycache__``
folder next to the module), so the compile cost is paid once per machine and source version,
not once per process.

Example
-------
>>> from detente._jit import njit
>>> @njit
... def total(v):
...     t = 0.0
...     for x in v:
...         t += x
...     return t
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import MissingExtraError

__all__ = ["HAVE_NUMBA", "njit", "require_numba"]

F = TypeVar("F", bound=Callable[..., Any])

#: whether numba is installed (the ``fast`` extra); numba itself is imported by :func:`njit`
HAVE_NUMBA: bool = importlib.util.find_spec("numba") is not None


def njit(fn: F | None = None, /, **options: Any) -> Any:
    """``numba.njit`` with ``cache=True`` by default, or the identity without numba.

    Use bare (``@njit``) or with numba options (``@njit(error_model="numpy")``). Without
    numba the decorated function is returned as it is. ``fastmath`` stays off unless asked
    for, so the compiled code does the same IEEE operations as the Python source.

    ``nrt=False`` compiles without numba's runtime, for kernels that allocate nothing (their
    scratch comes from the caller): numba then emits no reference counting, which otherwise
    costs an atomic increment and decrement for every array view made or array passed to a
    helper in a loop.
    It maps to numba's ``_nrt`` target option and is dropped (slower, same results) by a
    numba without it.
    """
    options.setdefault("cache", True)
    nrt = options.pop("nrt", True)

    def wrap(f: F) -> F:
        if not HAVE_NUMBA:
            return f
        import numba  # here, not at module level: only modules with kernels pay for it
        from numba.core.cpu import CPUTargetOptions

        if not nrt and hasattr(CPUTargetOptions, "_nrt"):
            options["_nrt"] = False
        return numba.njit(**options)(f)

    return wrap if fn is None else wrap(fn)


def require_numba() -> None:
    """Raise :class:`~detente.errors.MissingExtraError` (extra ``fast``) without numba."""
    if not HAVE_NUMBA:
        raise MissingExtraError("numba", "fast")
