"""Weighted mean (the compromise model).

.. math:: x^* = \\sum_i w_i x_i / \\sum_i w_i, \\qquad w_i = c_i s_i

References: Achen (2006); Thomson, Stokman, Achen & König (2006), *The European Union Decides*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..results import Forecast
from ._common import check_arrays, elementwise_cost, linear_utilities

__all__ = ["WeightedMean", "weighted_mean"]


def weighted_mean(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted mean per issue.

    Parameters
    ----------
    position, weight : (..., n_actors, n_issues)
        Positions and non-negative weights (power x salience); every issue needs a positive
        total weight.

    Returns
    -------
    (..., n_issues)
    """
    w = np.asarray(weight, dtype=float)
    x = np.asarray(position, dtype=float)
    w, x = np.broadcast_arrays(w, x)
    if w.shape[-2] == 0:
        return np.full(w.shape[:-2] + w.shape[-1:], np.nan)
    # actor by actor, in actor order: one fixed order of operations (einsum and sum pick theirs
    # by shape and CPU), which the fused Monte Carlo kernel repeats bit for bit
    num = w[..., 0, :] * x[..., 0, :]
    den = w[..., 0, :]
    for i in range(1, w.shape[-2]):
        num = num + w[..., i, :] * x[..., i, :]
        den = den + w[..., i, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


@dataclass(frozen=True, slots=True)
class WeightedMean:
    """The compromise model: the power x salience weighted mean of the positions."""

    #: each issue is solved on its own, so a backtest may batch issues of many cases
    issues_independent: ClassVar[bool] = True
    name: ClassVar[str] = "weighted_mean"
    reference: ClassVar[str] = (
        "Achen, C. H. (2006). Evaluating political decision-making models. In R. Thomson, "
        "F. N. Stokman, C. H. Achen & T. König (Eds.), The European Union Decides (pp. 264-298). "
        "Cambridge University Press. doi:10.1017/CBO9780511492082.011"
    )

    def cost(self, n_actors: int, n_issues: int, n_draws: int = 1):
        """Memory and time of a forecast (:class:`~detente.cost.Cost`): a few arrays of
        draws x actors x issues (64 bytes and 0.2 us per cell, measured with the weighted median)."""
        return elementwise_cost(f"model {self.name!r}", n_actors, n_issues, n_draws,
                                bytes_per_cell=64, seconds_per_cell=2e-7)

    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outcome (..., n_issues) for arrays with any leading batch axes."""
        return weighted_mean(arrays.filled_position(), arrays.weight)

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        a = check_arrays(scenario.arrays(), scenario.name)
        out = self.forecast_arrays(a)
        return Forecast.build(self, scenario, out, utilities=linear_utilities(a, out))
