"""Small helpers shared by the model modules (array checks, utilities of an outcome)."""

from __future__ import annotations

import numpy as np

from ..errors import ScenarioError
from ..scenario.arrays import ScenarioArrays

__all__ = ["check_arrays", "check_sizes", "elementwise_cost", "linear_utilities"]


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


def check_arrays(a: ScenarioArrays, source: str = "") -> ScenarioArrays:
    """Checks every model relies on; the schema already enforces them for loaded scenarios.

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
    return a


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
