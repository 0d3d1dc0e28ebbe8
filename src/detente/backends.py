"""The one place that resolves a compute backend: ``"auto"``, ``"numba"`` or ``"numpy"``.

Every model with a compiled engine and the simulator ask :func:`resolve` (which engine runs)
or :func:`kernel` (the compiled module itself, or ``None`` for the numpy engine). Both engines
give the same numbers to rounding (bit for bit where a test says so); the choice is speed only.

``"numba"`` insists (a :class:`~detente.errors.MissingExtraError` naming the ``fast`` extra
without it); ``"numpy"`` never compiles. ``"auto"`` follows a cost model, so that no single
forecast waits on a compile, and the engine depends only on the job, never on the machine's
cache or on what the process loaded before (the two engines agree only to the last few bits,
so a rule that looked at the cache would make a forecast's last digits depend on whether
``detente warmup`` had run):

* without numba (or with a numba that fails to import): numpy;
* a batch of at least :data:`AUTO_COMPILE_RUNS` runs (draws, variants, negotiations) in one
  call: numba, compiling first if need be (7-20 s per engine, once per machine and source
  version, then cached on disk; ``detente warmup`` does it ahead of time);
* anything smaller, a single scenario in particular: numpy, at once. Even with the kernels
  compiled, loading numba and them into a fresh process costs about 0.8 s of CPU and 120 MiB
  (measured: ``detente forecast eu-emissions-1994 -m expected_utility``, numba from a warm
  cache 1.7 s CPU / 255 MiB against numpy 0.9 s / 133 MiB), far more than a numpy engine
  needs for one scenario (0.02-8 ms).

When the compiled engine is picked and its kernels are not yet compiled (checked without
importing numba: :func:`compiled_now`), :func:`kernel` first issues a :class:`CompileNotice` (a
:class:`~detente.errors.DetenteWarning`) saying so: the CLI prints it on stderr before the
compile starts.
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

#: under ``"auto"``, the smallest batch (runs in one call) that takes the compiled engine: the
#: numpy engines cost 0.05-10 ms a run more than the compiled ones, a compile 7-20 s (once per
#: machine), loading cached kernels 0.5-1 s; from 1,000 runs on the compiled engine wins once
#: its kernels are cached, and a first compile costs at most a few times the numpy run
AUTO_COMPILE_RUNS = 1000


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
        KernelGroup("montecarlo", "detente.uncertainty._kernel",
                    ("uncertainty/_kernel.py", "uncertainty/_pcg.py", "uncertainty/_summary.py",
                     "uncertainty/normal.py"), "Monte Carlo"),
    )
}


def compiled_now(module: str) -> bool:
    """Whether the kernels of ``module`` (a key of :data:`KERNELS`) are in numba's cache."""
    group = KERNELS.get(module)
    return group is not None and is_compiled(group.name, group.files())


def resolve(backend: str, *, what: str = "backend", n_runs: int | None = None) -> Literal["numba", "numpy"]:
    """Which engine ``backend`` runs: ``"numba"`` or ``"numpy"``.

    Parameters
    ----------
    backend : {"auto", "numba", "numpy"}
    what : str
        The field to name in an error (e.g. ``"exchange model: backend"``).
    n_runs : int, optional
        How many runs (draws, variants, issues, negotiations) the call computes; ``"auto"``
        takes numba from :data:`AUTO_COMPILE_RUNS` on. None: unknown, treated as a batch (the
        behaviour of callers that predate the cost model).

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
    return "numpy"


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
    if resolve(backend, what=what, n_runs=n_runs) == "numpy":
        return None
    loaded = sys.modules.get(module)
    if loaded is not None:  # the common case: a few-microsecond kernel call must not pay an import lookup
        return loaded
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
