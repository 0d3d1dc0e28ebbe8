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

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .errors import MissingExtraError

__all__ = ["HAVE_NUMBA", "cache_folder", "is_compiled", "mark_compiled", "njit", "require_numba"]

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


# ------------------------------------------------------------------ is a kernel compiled yet?
# numba keeps a compiled function in an index file (``*.nbi``) and data files (``*.nbc``) in
# the cache folder of its source file: ``$NUMBA_CACHE_DIR/<folder>_<sha1 of the folder>`` when
# that variable is set, else the ``__pycache__`` folder beside the source when it is writable,
# else numba's user-wide cache folder. Whether every kernel a model needs is in that cache
# cannot be read from numba without importing it (~0.3 s) and unpickling its index; so
# ``detente warmup`` (:func:`detente.service.warmup`), after compiling every kernel of a group,
# writes a small marker beside the index files, stamped with the sources, numba's version and
# Python's. The group counts as compiled while the marker is there and its stamp matches, and
# the marker disappears with the cache it sits in (cleared, or another NUMBA_CACHE_DIR).

_MARKER = "detente-warm.{name}.json"


def cache_folder(source: str | Path) -> Path:
    """The folder where numba caches the kernels of the module file ``source`` (as numba
    picks it: ``NUMBA_CACHE_DIR``, the in-tree ``__pycache__``, or the user-wide cache)."""
    path = Path(os.path.abspath(source))
    sub = f"{path.parent.name}_{hashlib.sha1(str(path.parent).encode()).hexdigest()}"
    user_dir = os.environ.get("NUMBA_CACHE_DIR", "")  # numba's own setting, mirrored
    if user_dir:
        return Path(os.path.abspath(user_dir)) / sub
    in_tree = path.parent / "__pycache__"
    if os.access(in_tree if in_tree.is_dir() else path.parent, os.W_OK):
        return in_tree
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "numba" / sub


def _stamp(sources: tuple[str, ...]) -> dict[str, object]:
    files = {}
    for s in sources:
        st = os.stat(s)
        files[os.path.basename(s)] = [st.st_mtime_ns, st.st_size]
    try:
        import importlib.metadata  # only here: it costs ~20 ms at start-up

        version = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        version = ""
    return {"numba": version, "python": list(sys.version_info[:2]), "sources": files}


def _marker(name: str, sources: tuple[str, ...]) -> Path:
    return cache_folder(sources[0]) / _MARKER.format(name=name)


def is_compiled(name: str, sources: tuple[str, ...]) -> bool:
    """Whether the kernel group ``name`` (its module files ``sources``) was compiled by
    :func:`mark_compiled` into the cache numba would read now, from these very sources.

    Reads one small file; never imports numba. False without numba.
    """
    if not HAVE_NUMBA:
        return False
    try:
        found = json.loads(_marker(name, sources).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(found == _stamp(sources))


def mark_compiled(name: str, sources: tuple[str, ...]) -> Path | None:
    """Record that every kernel of group ``name`` is now in numba's cache (see
    :func:`is_compiled`); the marker's path, or None if the cache folder is not writable."""
    marker = _marker(name, sources)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_name(f".{marker.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_stamp(sources)), encoding="utf-8")
        os.replace(tmp, marker)
    except OSError:
        return None
    return marker
