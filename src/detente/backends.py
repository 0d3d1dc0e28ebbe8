"""The one place that resolves a compute backend: ``"auto"``, ``"numba"`` or ``"numpy"``.

Every model with a compiled engine and the simulator ask :func:`resolve` (which engine runs)
or :func:`kernel` (the compiled module itself, or ``None`` for the numpy engine). Both engines
give the same numbers to rounding (bit for bit where a test says so); the choice is speed only.

``"numba"`` insists (a :class:`~detente.errors.MissingExtraError` naming the ``fast`` extra
without it); ``"numpy"`` never compiles. ``"auto"`` follows a cost model, so that no single
forecast waits on a compile:

* without numba (or with a numba that fails to import): numpy;
* a batch of at least :data:`AUTO_COMPILE_RUNS` runs (draws, variants, negotiations): numba,
  compiling first if need be (7-20 s per engine, once per machine, then cached for good);
* a smaller job whose kernels are already compiled into numba's cache (``detente warmup`` did
  it; checked by reading one marker file, without importing numba): numba when numba is
  already loaded in this process (a server, a notebook that ran a batch) or the job has at
  least :data:`AUTO_LOAD_RUNS` runs. Loading numba and the cached kernels into a fresh process
  costs about 0.8 s of CPU and 120 MiB (measured: ``detente forecast eu-emissions-1994 -m
  expected_utility``, numba 1.7 s CPU / 255 MiB against numpy 0.9 s / 133 MiB), far more than
  the numpy engines need for one scenario (0.02-8 ms);
* anything else (a single scenario, a small batch): numpy, at once.

When the compiled engine is picked and its kernels are not yet compiled, :func:`kernel` first
issues a :class:`CompileNotice` (a :class:`~detente.errors.DetenteWarning`) saying so: the CLI
prints it on stderr before the compile starts.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from ._jit import HAVE_NUMBA, is_compiled
from .errors import DetenteWarning, MissingExtraError, ModelParameterError

__all__ = [
    "AUTO_COMPILE_RUNS",
    "AUTO_LOAD_RUNS",
    "BACKENDS",
    "KERNELS",
    "Backend",
    "CompileNotice",
    "KernelGroup",
    "compiled_now",
    "kernel",
    "resolve",
]

Backend = Literal["auto", "numba", "numpy"]

#: the backend names every entry point accepts
BACKENDS: tuple[str, ...] = ("auto", "numba", "numpy")

#: under ``"auto"``, the smallest batch (runs in one call) worth a compile of a cold kernel: the
#: numpy engines cost 0.05-10 ms a run more than the compiled ones, a compile 7-20 s, so a
#: compile pays back within one call from a few thousand runs on; from 1,000 on it costs at
#: most a few times the numpy run, and is cached for every later call
AUTO_COMPILE_RUNS = 1000

#: under ``"auto"``, the smallest job that loads numba and compiled kernels from the cache into
#: a process that has not loaded numba yet (about 0.5-1 s of start-up, see above)
AUTO_LOAD_RUNS = 64


class CompileNotice(DetenteWarning):
    """Issued just before numba compiles a kernel group (once per machine and source version)."""


@dataclass(frozen=True)
class KernelGroup:
    """The compiled engine of one model or protocol: its entry module and the module files whose
    kernels it compiles (relative to the ``detente`` package folder)."""

    name: str
    module: str
    sources: tuple[str, ...]
    label: str

    def files(self) -> tuple[str, ...]:
        spec = importlib.util.find_spec("detente")
        assert spec is not None and spec.submodule_search_locations
        root = Path(next(iter(spec.submodule_search_locations)))
        return tuple(str(root / s) for s in self.sources)


#: every compiled engine, by the module :func:`kernel` is asked for
KERNELS: dict[str, KernelGroup] = {
    g.module: g
    for g in (
        KernelGroup("expected_utility", "detente.models.expected_utility._kernel",
                    ("models/expected_utility/_kernel.py", "models/expected_utility/_lanes.py",
                     "_vecmath.py"), "expected utility"),
        KernelGroup("exchange", "detente.models.exchange._kernel",
                    ("models/exchange/_kernel.py",), "exchange"),
        KernelGroup("simulate", "detente.simulate._kernel", ("simulate/_kernel.py",), "simulator"),
    )
}


def compiled_now(module: str) -> bool:
    """Whether the kernels of ``module`` (a key of :data:`KERNELS`) are in numba's cache."""
    group = KERNELS.get(module)
    return group is not None and is_compiled(group.name, group.files())


def resolve(backend: str, *, what: str = "backend", module: str | None = None,
            n_runs: int | None = None) -> Literal["numba", "numpy"]:
    """Which engine ``backend`` runs: ``"numba"`` or ``"numpy"``.

    Parameters
    ----------
    backend : {"auto", "numba", "numpy"}
    what : str
        The field to name in an error (e.g. ``"exchange model: backend"``).
    module : str, optional
        The compiled engine asked for (a key of :data:`KERNELS`); ``"auto"`` takes it for a
        small job only when its kernels are already compiled (see the module docstring).
    n_runs : int, optional
        How many runs (draws, variants, negotiations) the call computes; ``"auto"`` compiles
        cold kernels for :data:`AUTO_COMPILE_RUNS` or more. None: unknown, treated as a batch
        (the behaviour of callers that predate the cost model).

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
    if backend == "numba" or n_runs is None or n_runs >= AUTO_COMPILE_RUNS:
        return "numba"
    loaded = "numba" in sys.modules or n_runs >= AUTO_LOAD_RUNS
    return "numba" if loaded and module is not None and compiled_now(module) else "numpy"


def kernel(backend: str, module: str, *, what: str = "backend",
           n_runs: int | None = None) -> ModuleType | None:
    """The compiled kernel module ``module`` (absolute, e.g. ``"detente.models.exchange._kernel"``)
    when ``backend`` resolves to numba (see :func:`resolve`), else ``None`` (run the numpy
    engine).

    An installed but broken numba (the kernel module fails to import) makes ``"auto"`` fall
    back to numpy and ``"numba"`` raise :class:`~detente.errors.MissingExtraError`. Before the
    first import in a process of a kernel group that is not compiled yet, a
    :class:`CompileNotice` says that a compile follows.
    """
    if resolve(backend, what=what, module=module, n_runs=n_runs) == "numpy":
        return None
    if module not in sys.modules and module in KERNELS and not compiled_now(module):
        warnings.warn(
            f"compiling the {KERNELS[module].label} kernels (once per machine, 5-30 s; "
            "`detente warmup` does it ahead of time)",
            CompileNotice, stacklevel=3,
        )
    try:
        return importlib.import_module(module)
    except ImportError as err:
        if backend == "numba":
            raise MissingExtraError("numba", "fast") from err
        return None
