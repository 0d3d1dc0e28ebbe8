"""Small helpers shared by the model modules (array checks, utilities of an outcome)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ScenarioError
from ..scenario.arrays import ScenarioArrays

__all__ = ["check_arrays", "check_sizes", "elementwise_cost", "linear_utilities", "unit_power"]


def check_sizes(n_actors: int, n_issues: int, n_draws: int) -> tuple[int, int, int]:
    """The sizes a model's ``cost`` takes, as ints >= 1 (``ScenarioError`` naming the size)."""
    out = []
    for name, v in (("actors", n_actors), ("issues", n_issues), ("draws", n_draws)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ScenarioError(f"must be a positive integer (got {v!r})", source="cost", field=name)
        out.append(int(v))
    return out[0], out[1], out[2]


def elementwise_cost(what: str, n_actors: int, n_issues: int, n_draws: int, *,
                     bytes_per_cell: float, seconds_per_cell: float, **sizes):
    """Cost of a model that works on (draw, actor, issue) cells a fixed number of times:
    ``bytes_per_cell`` and ``seconds_per_cell`` x draws x actors x issues."""
    from ..cost import Cost

    n, m, d = check_sizes(n_actors, n_issues, n_draws)
    cells = float(d) * n * m
    return Cost(what, 4096 + bytes_per_cell * cells, 1e-3 + seconds_per_cell * cells,
                {"actors": n, "issues": m, **({"draws": d} if d > 1 else {}), **sizes},
                "fewer draws, actors or issues")


_SAFE_POWER = (2.0 ** -32, 2.0 ** 32)


def unit_power(a: ScenarioArrays, *, target: float | None = None) -> ScenarioArrays:
    """The arrays with power brought into a safe range by an exact power-of-two factor.

    Power is scale-free (only ratios matter; the contract tests check it), but a largest
    power of 1e308 overflows and 1e-50 underflows in the models' products and sums (issue 21).
    When the largest power of a scenario (or batch item) lies outside [2^-32, 2^32], every
    power is multiplied by the power of two that brings the largest into [0.5, 1). Scaling
    by a power of two is exact in floating point, so a model that only uses ratios of power
    gives bit-identical results; ordinary inputs (inside the range) are passed unchanged.
    The Scenario keeps the user's values.

    ``target``: for a model whose equations are not exactly scale-free (KTAB's SMP has
    absolute tolerances), out-of-range powers are instead divided by the largest and
    multiplied by ``target``, the model's conventional scale (KTAB: 100).
    """
    p = np.asarray(a.power, dtype=float)
    if p.size == 0:
        return a
    top = np.max(p, axis=-1, keepdims=True)
    if not np.all(np.isfinite(top) & (top > 0)):
        return a  # check_arrays / the schema report these
    lo, hi = _SAFE_POWER
    if np.all((top >= lo) & (top <= hi)):
        return a
    inside = (top >= lo) & (top <= hi)
    if target is not None:
        return dataclasses.replace(a, power=np.where(inside, p, p / top * target))
    _, exp = np.frexp(top)  # top = m * 2**exp with m in [0.5, 1)
    return dataclasses.replace(a, power=np.ldexp(p, -np.where(inside, 0, exp)))


def check_arrays(a: ScenarioArrays, source: str = "", *, power_scale: float | None = None) -> ScenarioArrays:
    """Checks every model relies on; the schema already enforces them for loaded scenarios.

    Returns the arrays with power brought into a safe range (:func:`unit_power`).

    Raises
    ------
    ScenarioError
        When an issue has no positive weight or an array holds a non-finite value.
    """
    for name in ("power", "salience"):
        v = getattr(a, name)
        if not np.all(np.isfinite(v)):
            raise ScenarioError(f"contains a non-finite value (got {v[~np.isfinite(v)][0]})",
                                source=source, field=name)
    x = np.where(a.stake, a.position, 0.0)
    if not np.all(np.isfinite(x)):
        raise ScenarioError("contains a non-finite value", source=source, field="position")
    total = a.weight.sum(axis=-2)
    if np.any(total <= 0):
        k = int(np.argwhere(total <= 0)[0][-1])
        raise ScenarioError(
            f"no actor has power x salience > 0 on issue {a.issues[k]!r}",
            source=source, location=f"issues[{k}]",
        )
    return unit_power(a, target=power_scale)


def linear_utilities(a: ScenarioArrays, outcome: np.ndarray) -> np.ndarray:
    """Each actor's utility of an outcome: salience-weighted mean over its issues of
    ``1 - |x - x_i| / (scale max - scale min)``.

    Parameters
    ----------
    outcome : (..., n_issues)

    Returns
    -------
    (..., n_actors); NaN for an actor with no salience anywhere.
    """
    width = a.scale_max - a.scale_min
    u_issue = 1.0 - np.abs(outcome[..., None, :] - a.filled_position()) / width
    s = np.where(a.stake, a.salience, 0.0)
    tot = s.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (s * u_issue).sum(axis=-1) / np.where(tot > 0, tot, 1.0), np.nan)
