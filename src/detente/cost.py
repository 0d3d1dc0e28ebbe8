"""What a computation will cost before it runs: :class:`Cost` (peak memory and time, estimated
from the sizes of its inputs) and :class:`Budget` (the limits a surface accepts).

Every model has a ``cost(n_actors, n_issues, n_draws=1)`` method, the simulator
:func:`detente.simulate.cost.simulate_cost`, Monte Carlo and sensitivity their own cost
functions; :mod:`detente.service` adds them up and checks them against a :class:`Budget`
*before any work*, so a request that would allocate gigabytes is refused in milliseconds with a
:class:`~detente.errors.BudgetError` that names what is too large and the limit.

The estimates are upper bounds from the dominant arrays and loops of each engine (the constants
were measured on a 2-core machine, Python 3.11, Dec 2026: see ``docs/reliability.md``). They
are meant to separate "seconds and megabytes" from "hours and gigabytes", not to predict a run
to the percent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import BudgetError, ScenarioError

__all__ = ["Budget", "Cost", "format_bytes"]


def format_bytes(n: float) -> str:
    """``1.5 GiB``, ``12 MiB``, ``512 B``."""
    n = float(n)
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def _seconds(s: float) -> str:
    if s >= 86400:
        return f"{s / 86400:.3g} days"
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    return f"{s:.3g} s"


def _frozen(d: Mapping[str, Any] | None) -> MappingProxyType[str, Any]:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True, slots=True)
class Cost:
    """Estimated peak memory and run time of one computation.

    Attributes
    ----------
    what : str
        What is estimated: ``model 'ktab_smp'``, ``simulation``, ``Monte Carlo``.
    bytes : float
        Peak memory (bytes) the computation allocates beyond its inputs.
    seconds : float
        Run time on one core.
    sizes : mapping
        The inputs the estimate depends on (``actors``, ``issues``, ``rounds``, ``draws`` ...),
        quoted by a refusal.
    advice : str
        What to ask for instead (``"fewer rounds or actors"``).
    """

    what: str
    bytes: float
    seconds: float
    sizes: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))
    advice: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", _frozen(self.sizes))
        for name in ("bytes", "seconds"):
            v = float(getattr(self, name))
            object.__setattr__(self, name, v if math.isfinite(v) else math.inf)

    def describe(self) -> str:
        """``model 'exchange' (actors=37, issues=8, rounds=1000000)``."""
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        return f"{self.what} ({sizes})" if sizes else self.what

    def to_frame(self):
        """One row: ``what, bytes, seconds`` and one column per size."""
        import pandas as pd

        return pd.DataFrame([{"what": self.what, "bytes": self.bytes, "seconds": self.seconds,
                              **dict(self.sizes)}])

    def summary(self) -> dict[str, Any]:
        return {"what": self.what, "bytes": self.bytes, "seconds": self.seconds,
                "sizes": dict(self.sizes), "advice": self.advice}


def total(costs: Iterable[Cost], what: str) -> Cost:
    """Costs run one after the other: the largest peak memory, the sum of the times."""
    cs = list(costs)
    sizes: dict[str, Any] = {}
    for c in cs:
        sizes.update(c.sizes)
    return Cost(what, max((c.bytes for c in cs), default=0.0), sum(c.seconds for c in cs), sizes,
                "; ".join(dict.fromkeys(c.advice for c in cs if c.advice)))


@dataclass(frozen=True, slots=True)
class Budget:
    """The most memory and time one request or command may ask for.

    Attributes
    ----------
    max_bytes : float
        Peak memory (bytes) of one computation.
    max_seconds : float
        Estimated run time (seconds, one core).
    """

    max_bytes: float = 2 * 2**30
    max_seconds: float = 120.0

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_seconds"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or not math.isfinite(v):
                raise ScenarioError(f"must be a positive finite number (got {v!r})", source="Budget",
                                    field=name)

    def refusal(self, cost: Cost) -> str | None:
        """Why ``cost`` is over this budget (None when it fits)."""
        if cost.bytes > self.max_bytes:
            why = (f"needs about {format_bytes(cost.bytes)} of memory; the limit is "
                   f"{format_bytes(self.max_bytes)}")
        elif cost.seconds > self.max_seconds:
            why = (f"would run for about {_seconds(cost.seconds)}; the limit is "
                   f"{_seconds(self.max_seconds)}")
        else:
            return None
        return f"{why}" + (f"; ask for {cost.advice}" if cost.advice else "")

    def check(self, cost: Cost, *, source: str = "") -> None:
        """Raise :class:`~detente.errors.BudgetError` when ``cost`` is over this budget.

        The message names what is too large (the computation and its sizes), the estimate and
        the limit, e.g. ``model 'ktab_smp' (actors=1000, issues=10, max_steps=100): needs about
        22.4 GiB of memory; the limit is 2 GiB; ask for fewer actors``.
        """
        why = self.refusal(cost)
        if why is not None:
            raise BudgetError(why, source=source, field=cost.describe())
