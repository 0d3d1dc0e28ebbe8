"""Distributions of uncertain inputs, sampled by inverse CDF from uniforms.

Every distribution maps a uniform ``u`` in [0, 1) to a value by its (truncated) inverse CDF,
``ppf(u)``. Monte Carlo feeds it 32-bit uniforms (:func:`detente.rng.unit_design`) and
Sobol/Morris feed it SALib's unit-cube designs, so both go through the same code path. The
normal quantile is our own :func:`detente.uncertainty.normal.ndtri` (Wichura's AS 241), which
a compiled kernel reproduces bit for bit.

Truncation, not clipping: a normal with bounds ``[low, high]`` is the normal *conditioned* on
the interval, ``x = mu + sd * Phi^-1(Phi(a) + u (Phi(b) - Phi(a)))`` with ``a, b`` the
standardised bounds. Its density is the normal density rescaled on the interval; no
probability mass piles up on a bound, as ``clip(normal)`` would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .normal import ndtr, ndtri

__all__ = ["Beta", "Discrete", "Distribution", "TruncNormal", "Triangular", "Uniform"]


@dataclass(frozen=True, slots=True)
class TruncNormal:
    """Normal(mean, sd) truncated to [low, high] (either bound may be infinite)."""

    mean: float
    sd: float
    low: float = -np.inf
    high: float = np.inf
    kind: str = field(default="normal", init=False)

    def _std_bounds(self) -> tuple[float, float, bool]:
        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        # work in the left tail, where Phi is accurate; mirror when the interval is on the right
        if a > 0:
            return -b, -a, True
        return a, b, False

    def mass(self) -> float:
        """Probability of [low, high] under the untruncated normal."""
        a, b, _ = self._std_bounds()
        return float(ndtr(b) - ndtr(a))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, b, flip = self._std_bounds()
        fa, fb = ndtr(a), ndtr(b)
        uu = 1.0 - u if flip else u
        z = ndtri(fa + uu * (fb - fa))
        x = self.mean + (-z if flip else z) * self.sd
        # floating-point rounding only: the result already lies in [low, high] mathematically
        return np.minimum(np.maximum(x, self.low), self.high)

    def describe(self) -> str:
        return f"normal(mean={self.mean:g}, sd={self.sd:g}) on [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform on [low, high]."""

    low: float
    high: float
    kind: str = field(default="uniform", init=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + u * (self.high - self.low)

    def describe(self) -> str:
        return f"uniform on [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True, slots=True)
class Triangular:
    """Triangular on [low, high] with its peak at ``mode``."""

    low: float
    mode: float
    high: float
    kind: str = field(default="triangular", init=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        lo, c, hi = self.low, self.mode, self.high
        w = hi - lo
        fc = (c - lo) / w
        left = lo + np.sqrt(u * w * (c - lo))
        right = hi - np.sqrt((1.0 - u) * w * (hi - c))
        return np.where(u < fc, left, right)

    def describe(self) -> str:
        return f"triangular(low={self.low:g}, mode={self.mode:g}, high={self.high:g})"


@dataclass(frozen=True, slots=True)
class Beta:
    """Beta(a, b) rescaled from [0, 1] to [low, high]."""

    a: float
    b: float
    low: float = 0.0
    high: float = 1.0
    kind: str = field(default="beta", init=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import special  # here: only a beta input needs scipy (0.1 s to import)

        return self.low + (self.high - self.low) * special.betaincinv(self.a, self.b, u)

    def describe(self) -> str:
        return f"beta(a={self.a:g}, b={self.b:g}) on [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True, slots=True)
class Discrete:
    """A list of values with weights (normalised to probabilities)."""

    values: tuple[float, ...]
    weights: tuple[float, ...]
    kind: str = field(default="discrete", init=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        w = np.asarray(self.weights, dtype=float)
        cum = np.cumsum(w) / w.sum()
        k = np.searchsorted(cum, u, side="right")
        return np.asarray(self.values, dtype=float)[np.minimum(k, len(cum) - 1)]

    def describe(self) -> str:
        pairs = ", ".join(f"{v:g} (w {w:g})" for v, w in zip(self.values, self.weights, strict=True))
        return f"discrete: {pairs}"


Distribution = TruncNormal | Uniform | Triangular | Beta | Discrete
