"""Compile every numba kernel ahead of time (``detente warmup``, the API's start-up).

A kernel compiles once per machine and source version (7-20 s per engine, then loads from
numba's on-disk cache in well under a second). :func:`warmup` runs each compiled engine once
on small inputs that reach all of its kernels (single scenario and batched paths), then marks
the engine as compiled (:func:`detente._jit.mark_compiled`): from then on no batch waits on a
compile, and :func:`detente.backends.kernel` announces no compile (it announces one, as a
:class:`~detente.backends.CompileNotice`, only for a group without a valid marker).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._jit import HAVE_NUMBA, mark_compiled
from ..backends import KERNELS, CompileNotice, compiled_now

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WarmupResult", "warmup"]

#: warmup's columns in :meth:`WarmupResult.to_frame`
WARMUP_COLUMNS = ("engine", "compiled_before", "seconds", "marked")


@dataclass(frozen=True, slots=True)
class WarmupResult:
    """What :func:`warmup` did: per compiled engine (``engines``: the labels of
    :data:`detente.backends.KERNELS`), whether it was compiled already, the seconds its
    compile or cache load took, and whether the marker could be written (with a read-only
    cache folder later runs still load the compiled kernels, but announce a compile each
    time). ``numba``: whether numba is installed (without it there is nothing to compile)."""

    numba: bool
    engines: tuple[str, ...]
    compiled_before: tuple[bool, ...]
    seconds: tuple[float, ...]
    marked: tuple[bool, ...]

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds))

    def summary(self) -> dict[str, Any]:
        return {"numba": self.numba, "total_seconds": self.total_seconds,
                "engines": [dict(zip(WARMUP_COLUMNS, r, strict=True)) for r in self._rows()]}

    def _rows(self) -> list[tuple[str, bool, float, bool]]:
        return list(zip(self.engines, self.compiled_before, self.seconds, self.marked, strict=True))

    def to_frame(self) -> pd.DataFrame:
        """Columns: engine, compiled_before, seconds, marked (one row per compiled engine)."""
        import pandas as pd

        return pd.DataFrame(self._rows(), columns=list(WARMUP_COLUMNS))


def _alaska() -> Any:
    from .scenarios import load

    return load("alaska-2025")


def _expected_utility() -> None:
    import numpy as np

    from ..models.expected_utility import ExpectedUtility
    from ..models.expected_utility.engine import expected_utility_path, expected_utility_round

    sc = _alaska()
    model = ExpectedUtility(backend="numba")
    model.forecast(sc)                                   # one scenario: the scalar kernel
    a = sc.arrays()
    reps = 300                                           # a batch: the lockstep (lanes) kernel
    model.forecast_arrays(replace(a, position=a.position + np.linspace(0.0, 5.0, reps)[:, None, None]))
    xi = np.ascontiguousarray(a.position.T)              # (issues, actors): paths and rounds
    si = np.ascontiguousarray(a.salience.T)
    ci = np.broadcast_to(a.power[:, None], a.position.shape).T.copy()
    expected_utility_path(xi, si, ci, backend="numba", record=True)
    expected_utility_path(xi, si, ci, backend="numba")
    expected_utility_round(xi, si, ci * si, np.ptp(xi, axis=1) + 1.0, backend="numba")


def _exchange() -> None:
    from ..models.exchange import Exchange

    sc = _alaska()
    Exchange(backend="numba").forecast(sc)
    Exchange(backend="numba", rule="rex", seed=0).forecast(sc)


def _simulate() -> None:
    import numpy as np

    from ..simulate.engine import simulate

    sc = _alaska().without_outcome()
    simulate(sc, runs=50, backend="numba", seed=0)                          # the summit
    simulate(sc, runs=50, protocol="alternating", strategies=[("boulware", "conceder")],
             backend="numba", seed=0)
    a = sc.arrays()
    per_run = replace(a, position=np.broadcast_to(a.position, (8, *a.position.shape)).copy())
    simulate(sc, arrays=per_run, backend="numba", seed=0)                   # per-run scenarios


def _montecarlo() -> None:
    import numpy as np

    from ..uncertainty import _kernel
    from ..uncertainty.montecarlo import _exact_summary, monte_carlo

    sc = _alaska()
    noise = {"position": 10, "salience": 0.2, "red_line": 10, "walk_away": 0.1, "credibility": 0.2}
    for model in ("weighted_mean", "weighted_median"):       # the fused kernel, both outputs
        for keep in (True, False):
            monte_carlo(sc, model, draws=64, seed=0, noise=noise, engine="numba", keep_draws=keep,
                        workers=1)
    # the exact summary without the kernel's counts (Dask runs), and with a NaN draw
    u = np.linspace(0.0, 1.0, 300)
    x = np.asfortranarray(np.column_stack([u, np.where(np.arange(300) % 3 == 0, np.nan, u)]))
    _exact_summary(x, (0.5,), 1, kern=_kernel, lo=np.zeros(2), hi=np.ones(2))
    _kernel.ndtri(np.linspace(0.0, 1.0, 9))                  # the engine on its own (tests)


_ENGINES: dict[str, Callable[[], None]] = {
    "expected_utility": _expected_utility,
    "exchange": _exchange,
    "simulate": _simulate,
    "montecarlo": _montecarlo,
}


def warmup(*, progress: Callable[[str, bool], None] | None = None) -> WarmupResult:
    """Compile (or load from numba's cache) every compiled engine, and mark it compiled.

    Parameters
    ----------
    progress : callable, optional
        Called as ``progress(label, compiled_before)`` before each engine starts.

    Returns
    -------
    WarmupResult
        Empty (``numba=False``) without numba.
    """
    if not HAVE_NUMBA:
        return WarmupResult(False, (), (), (), ())
    labels, before, seconds, marked = [], [], [], []
    for module, group in KERNELS.items():
        was = compiled_now(module)
        if progress is not None:
            progress(group.label, was)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CompileNotice)  # the caller announced it already
            _ENGINES[group.name]()
        seconds.append(time.perf_counter() - t0)
        labels.append(group.label)
        before.append(was)
        marked.append(mark_compiled(group.name, group.files()) is not None)
    return WarmupResult(True, tuple(labels), tuple(before), tuple(seconds), tuple(marked))
