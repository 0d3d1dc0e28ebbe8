"""Weighted median (the median voter position).

The smallest position x_(m) whose cumulative weight reaches half the total; when the
cumulative weight equals exactly half at x_(m), every point up to x_(m+1) is a median: the
lower one is reported and the tie flagged (``diagnostics["tie"]``, ``["upper"]``).

References: Black (1948); Achen (2006).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..results import Forecast
from ._common import check_arrays, elementwise_cost, linear_utilities

__all__ = ["THRESHOLD", "WeightedMedian", "weighted_median", "weighted_median_bounds"]

_TIE_RTOL = 1e-12  # float sums of products rarely hit W/2 exactly; a tie is within this
#: the share of the total weight the cumulative weight must reach: half, less the tie tolerance
#: (one constant, so every path, the fused Monte Carlo kernel too, compares the same numbers)
THRESHOLD = 0.5 * (1 - _TIE_RTOL)


def weighted_median_bounds(
    position: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper weighted median and the tie flag per issue.

    Parameters
    ----------
    position, weight : (..., n_actors, n_issues)

    Returns
    -------
    lower, upper : (..., n_issues)
        Equal unless the cumulative weight hits exactly half the total.
    tie : (..., n_issues) bool
    """
    x = np.asarray(position, dtype=float)
    w = np.asarray(weight, dtype=float)
    x, w = np.broadcast_arrays(x, w)
    order = np.argsort(x, axis=-2, kind="stable")
    xs = np.take_along_axis(x, order, axis=-2)
    ws = np.take_along_axis(w, order, axis=-2)
    cum = np.cumsum(ws, axis=-2)
    half = 0.5 * cum[..., -1:, :]
    reached = cum >= half * (1 - _TIE_RTOL)
    first = np.argmax(reached, axis=-2)
    lower = np.take_along_axis(xs, first[..., None, :], axis=-2)[..., 0, :]
    cum_at = np.take_along_axis(cum, first[..., None, :], axis=-2)[..., 0, :]
    tie = np.abs(cum_at - half[..., 0, :]) <= _TIE_RTOL * half[..., 0, :]
    # upper: the first position above `lower` that carries weight
    above = (xs > lower[..., None, :]) & (ws > 0)
    has_above = above.any(axis=-2)
    nxt = np.argmax(above, axis=-2)
    nxt_x = np.take_along_axis(xs, nxt[..., None, :], axis=-2)[..., 0, :]
    tie = tie & has_above
    upper = np.where(tie, nxt_x, lower)
    return lower, upper, tie


#: a batch with at most this many actors is sorted by a compare-exchange network: numpy's
#: argsort along a short strided axis costs far more per element than a few whole-array ops
_NETWORK_MAX_ACTORS = 5
_NETWORK_MIN_SIZE = 2048


def _weighted_median_network(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`weighted_median` for few actors and a big batch.

    A bubble-sort network over the actor axis carries each weight with its position, then the
    cumulative weight is scanned in sorted order. The reported value is that of the argsort
    path: among equal positions the order differs, but every member of a group of equal
    positions has the same value, and the weight sums before a group are the same numbers.
    """
    n = x.shape[-2]
    xs = [np.array(x[..., i, :]) for i in range(n)]
    ws = [np.array(w[..., i, :]) for i in range(n)]
    for top in range(n - 1, 0, -1):
        for j in range(top):
            a, b = xs[j], xs[j + 1]
            swap = a > b
            xs[j], xs[j + 1] = np.minimum(a, b), np.maximum(a, b)
            wa, wb = ws[j], ws[j + 1]
            ws[j], ws[j + 1] = np.where(swap, wb, wa), np.where(swap, wa, wb)
    cums = [ws[0]]
    for k in range(1, n):
        cums.append(cums[-1] + ws[k])
    thr = THRESHOLD * cums[-1]
    # scan from the top so the smallest crossing position is written last
    res = xs[n - 1]
    for k in range(n - 2, -1, -1):
        res = np.where(cums[k] >= thr, xs[k], res)
    return res


def weighted_median(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted median per issue (the lower one on a tie).

    Parameters
    ----------
    position, weight : (..., n_actors, n_issues)

    Returns
    -------
    (..., n_issues)
    """
    x = np.asarray(position, dtype=float)
    w = np.asarray(weight, dtype=float)
    x, w = np.broadcast_arrays(x, w)
    if x.shape[-2] <= _NETWORK_MAX_ACTORS and x.size >= _NETWORK_MIN_SIZE:
        return _weighted_median_network(x, w)
    order = np.argsort(x, axis=-2, kind="stable")
    cum = np.cumsum(np.take_along_axis(w, order, axis=-2), axis=-2)
    first = np.argmax(cum >= THRESHOLD * cum[..., -1:, :], axis=-2)
    idx = np.take_along_axis(order, first[..., None, :], axis=-2)
    return np.take_along_axis(x, idx, axis=-2)[..., 0, :]


@dataclass(frozen=True, slots=True)
class WeightedMedian:
    """The median voter: the position where cumulative power x salience crosses half."""

    #: each issue is solved on its own, so a backtest may batch issues of many cases
    issues_independent: ClassVar[bool] = True
    name: ClassVar[str] = "weighted_median"
    reference: ClassVar[str] = (
        "Black, D. (1948). On the rationale of group decision-making. Journal of Political "
        "Economy 56(1), 23-34. doi:10.1086/256633; Achen, C. H. (2006), in Thomson et al. (Eds.), "
        "The European Union Decides, Cambridge University Press"
    )

    def cost(self, n_actors: int, n_issues: int, n_draws: int = 1):
        """Memory and time of a forecast (:class:`~detente.cost.Cost`): a sort and a few arrays
        of draws x actors x issues (measured: 55 bytes and 0.2 us per cell)."""
        return elementwise_cost(f"model {self.name!r}", n_actors, n_issues, n_draws,
                                bytes_per_cell=64, seconds_per_cell=2e-7)

    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outcome (..., n_issues) for arrays with any leading batch axes."""
        return weighted_median(arrays.filled_position(), arrays.weight)

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        a = check_arrays(scenario.arrays(), scenario.name)
        lower, upper, tie = weighted_median_bounds(a.filled_position(), a.weight)
        notes = tuple(
            f"issue {i!r}: the cumulative weight is exactly half at {lo:g}; every point in "
            f"[{lo:g}, {hi:g}] is a median and the lower one is reported"
            for i, lo, hi, t in zip(a.issues, lower, upper, tie, strict=True)
            if t
        )
        return Forecast.build(
            self,
            scenario,
            lower,
            utilities=linear_utilities(a, lower),
            diagnostics={"upper": upper, "tie": tie},
            notes=notes,
        )
