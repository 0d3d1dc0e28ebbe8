"""Nash bargaining solution on each issue continuum.

.. math::

    x^{NBS} = \\arg\\max_{x \\in F} \\sum_i a_i \\log\\big(u_i(x) - u_i(d)\\big),
    \\quad F = \\{x \\in [\\min_i x_i, \\max_i x_i] : u_i(x) \\ge u_i(d)\\ \\forall i\\}

with linear loss :math:`u_i(x) = 1 - |x - x_i|/R` (or quadratic :math:`1 - ((x - x_i)/R)^2`),
:math:`R` the range of the positions, and weights :math:`a_i = c_i s_i` (or 1). The
objective is concave, so the (sub)derivative is monotone and a bisection on it finds the
global optimum to machine precision, for every issue and draw at once.

References: Nash (1950); Kalai (1977) for the asymmetric form; Achen (2006) and Thomson et al.
(2006) for its use on EU legislative issues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ..errors import ModelParameterError
from ..results import Forecast
from ._common import check_arrays, linear_utilities

__all__ = ["Nash", "nash_bargaining"]

_BISECT_STEPS = 80


def _utility(x: np.ndarray, xi: np.ndarray | float, R: np.ndarray, loss: str) -> np.ndarray:
    z = np.abs(x - xi) / R
    return 1.0 - (z if loss == "linear" else z * z)


def nash_bargaining(
    position: np.ndarray,
    weight: np.ndarray,
    disagreement: np.ndarray | None = None,
    *,
    loss: Literal["linear", "quadratic"] = "linear",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nash bargaining solution per issue.

    Parameters
    ----------
    position : (..., n_actors, n_issues)
    weight : (..., n_actors, n_issues)
        Bargaining weights a_i >= 0; actors with weight 0 take no part.
    disagreement : (..., n_actors, n_issues), optional
        Each actor's disagreement utility u_i(d) on the issue, on the model's utility scale
        (1 at the actor's own position, 0 at distance R). NaN (or None for all) means the
        worst outcome in the range for that actor.
    loss : {"linear", "quadratic"}

    Returns
    -------
    outcome : (..., n_issues)
        NaN where no outcome gives every actor at least its disagreement utility.
    feasible : (..., n_issues) bool
    low, high : (..., n_issues)
        The feasible interval F (NaN where empty).
    """
    x = np.asarray(position, dtype=float)
    a = np.asarray(weight, dtype=float)
    x, a = np.broadcast_arrays(x, a)
    active = a > 0
    big = np.finfo(float).max
    xmin = np.where(active, x, big).min(axis=-2)
    xmax = np.where(active, x, -big).max(axis=-2)
    R = xmax - xmin
    Rs = np.where(R > 0, R, 1.0)[..., None, :]
    far = np.maximum(x - xmin[..., None, :], xmax[..., None, :] - x)
    worst = _utility(far, 0.0, Rs, loss)
    if disagreement is None:
        d = worst
    else:
        d = np.asarray(disagreement, dtype=float)
        d = np.where(np.isnan(d), worst, d)
    slack = 1.0 - d
    with np.errstate(invalid="ignore"):
        radius = Rs * (slack if loss == "linear" else np.sqrt(np.maximum(slack, 0.0)))
    radius = np.where(slack < 0, -np.inf, radius)  # d above the actor's best: nothing works
    low = np.maximum(xmin, np.where(active, x - radius, -np.inf).max(axis=-2))
    high = np.minimum(xmax, np.where(active, x + radius, np.inf).min(axis=-2))
    eps = 1e-12 * np.maximum(1.0, np.abs(xmax))
    feasible = low <= high + eps
    high = np.maximum(high, low)  # only on the eps-wide rounding band
    lo, hi = low.copy(), high.copy()
    lo = np.where(feasible, lo, 0.0)
    hi = np.where(feasible, hi, 0.0)
    a_act = np.where(active, a, 0.0)
    for _ in range(_BISECT_STEPS):
        m = 0.5 * (lo + hi)
        diff = m[..., None, :] - x
        g = _utility(diff, 0.0, Rs, loss) - d
        if loss == "linear":
            du = -np.sign(diff) / Rs
        else:
            du = -2.0 * diff / (Rs * Rs)
        # g is 0 only on the feasible interval's ends; +-inf there still points inward
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a_act > 0, a_act * du / g, 0.0)
            slope = np.nansum(terms, axis=-2)
        go_right = slope > 0
        lo = np.where(go_right, m, lo)
        hi = np.where(go_right, hi, m)
    outcome = 0.5 * (lo + hi)
    outcome = np.where(R > 0, outcome, xmin)
    outcome = np.where(feasible, outcome, np.nan)
    return (
        outcome,
        feasible,
        np.where(feasible, low, np.nan),
        np.where(feasible, high, np.nan),
    )


@dataclass(frozen=True, slots=True)
class Nash:
    """Asymmetric Nash bargaining solution per issue.

    Parameters
    ----------
    loss : {"linear", "quadratic"}
        Utility loss in distance (default linear, as in the baseline spec).
    weights : {"power_salience", "equal"}
        Bargaining weights a_i: power x salience (default) or 1 for everyone.
    disagreement : {"auto", "status_quo", "worst"}
        The disagreement point. ``auto``: each actor's walk-away value where the scenario gives
        one, else the issue's status quo where given, else the worst outcome in the range.
    """

    loss: Literal["linear", "quadratic"] = "linear"
    weights: Literal["power_salience", "equal"] = "power_salience"
    disagreement: Literal["auto", "status_quo", "worst"] = "auto"

    #: each issue is solved on its own, so a backtest may batch issues of many cases
    issues_independent: ClassVar[bool] = True
    name: ClassVar[str] = "nash"
    reference: ClassVar[str] = (
        "Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162. "
        "doi:10.2307/1907266; Kalai, E. (1977). Nonsymmetric Nash solutions and replications of "
        "2-person bargaining. Int. J. Game Theory 6, 179-187. doi:10.1007/BF01774658; Achen, C. H. "
        "(2006), in Thomson et al. (Eds.), The European Union Decides, Cambridge University Press"
    )

    def __post_init__(self) -> None:
        for fld, allowed in (
            ("loss", ("linear", "quadratic")),
            ("weights", ("power_salience", "equal")),
            ("disagreement", ("auto", "status_quo", "worst")),
        ):
            if getattr(self, fld) not in allowed:
                raise ModelParameterError(
                    f"model 'nash': parameter {fld!r}: {getattr(self, fld)!r} is not one of {allowed}"
                )

    def disagreement_utilities(self, a) -> np.ndarray:
        """u_i(d) per actor and issue on the model's utility scale; NaN = worst case."""
        x = a.filled_position()
        w = a.weight
        active = w > 0
        big = np.finfo(float).max
        xmin = np.where(active, x, big).min(axis=-2)
        xmax = np.where(active, x, -big).max(axis=-2)
        R = np.where(xmax > xmin, xmax - xmin, 1.0)[..., None, :]
        d = np.full(x.shape, np.nan)
        if self.disagreement == "worst":
            return d
        sq = np.broadcast_to(a.status_quo, x.shape)
        d = np.where(np.isnan(sq), d, _utility(sq, x, R, self.loss))
        if self.disagreement == "auto":
            wp = a.walk_position
            d = np.where(np.isnan(wp), d, _utility(wp, x, R, self.loss))
            wu = np.broadcast_to(a.walk_utility[..., :, None], x.shape)
            d = np.where(np.isnan(wu), d, wu)
        return d

    def _solve(self, a):
        x = a.filled_position()
        w = a.weight if self.weights == "power_salience" else (a.weight > 0).astype(float)
        # only the parties whose consent a deal needs bargain: those at the table and
        # absent veto holders
        w = w * (a.present | a.veto)[:, None]
        d = self.disagreement_utilities(a)
        return (*nash_bargaining(x, w, d, loss=self.loss), d)

    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outcome (..., n_issues) for arrays with any leading batch axes (NaN: no zone)."""
        return self._solve(arrays)[0]

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        a = check_arrays(scenario.arrays(), scenario.name)
        out, feasible, low, high, d = self._solve(a)
        notes = []
        for k, iid in enumerate(a.issues):
            if not feasible[k]:
                notes.append(
                    f"issue {iid!r}: no outcome gives every actor at least its disagreement "
                    "utility (no zone of agreement); the forecast is NaN"
                )
        utilities = linear_utilities(a, np.where(np.isnan(out), 0.0, out))
        utilities = np.where(np.all(feasible), utilities, np.nan)
        return Forecast.build(
            self,
            scenario,
            out,
            utilities=utilities,
            diagnostics={
                "feasible": feasible,
                "interval_low": low,
                "interval_high": high,
                "disagreement_utility": d,
            },
            notes=tuple(notes),
        )
