"""The expected-utility model class: parameters, input checks and the Forecast it builds.

The maths is in :mod:`.reference` (one round) and runs on the engine its ``backend`` picks
(:mod:`.engine`); the tables are built in :mod:`.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...backends import BACKENDS, Backend
from ...errors import ModelParameterError, ScenarioError
from ...results import Forecast
from .._common import linear_utilities
from .engine import _final_median, expected_utility_path
from .reference import _NONE, CompromiseChoice, Probability, Trajectory
from .tables import _tables

__all__ = ["ExpectedUtility"]

_PROBABILITY_NOTE = (
    "the expected-utility model uses salience as a probability (the chance that a challenged "
    "actor resists), so it must lie in [0, 1] and is not rescaled; divide saliences given on "
    "0..100 by 100"
)


def _where(draw: tuple, actor: str | None, issue: str | None) -> str:
    parts = []
    if draw:
        parts.append("draw " + ",".join(map(str, draw)))
    if actor is not None:
        parts.append(f"actor {actor!r}")
    if issue is not None:
        parts.append(f"issue {issue!r}")
    return ", ".join(parts)


def _check_inputs(a, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate ScenarioArrays (any leading batch axes) for the model.

    Returns position, salience, power (broadcast to (..., n_actors, n_issues)) and the
    take-part mask.

    Raises
    ------
    ScenarioError
        Naming the field, the actor/issue (and draw) and the value, for a non-finite value,
        a salience outside [0, 1] (used as a probability), a negative or zero total
        capability, or no issue with at least two actors taking part.
    """
    stake = np.asarray(a.stake, dtype=bool)
    x = np.asarray(a.position, dtype=float)
    s = np.asarray(a.salience, dtype=float)
    c = np.asarray(a.power, dtype=float)[..., :, None]
    x, s, c = np.broadcast_arrays(x, s, c)
    stake = np.broadcast_to(stake, x.shape)

    def fail(mask, field, problem):
        idx = tuple(int(v) for v in np.argwhere(mask)[0])
        draw, i, k = idx[:-2], idx[-2], idx[-1]
        got = {"position": x, "salience": s, "power": c}[field][idx]
        raise ScenarioError(
            problem.format(got=got), source=source,
            location=_where(draw, a.actors[i], a.issues[k]), field=field,
        )

    bad = stake & ~np.isfinite(x)
    if bad.any():
        fail(bad, "position", "must be a finite number (got {got})")
    bad = stake & ~np.isfinite(s)
    if bad.any():
        fail(bad, "salience", "must be a finite number (got {got})")
    bad = ~np.isfinite(c) | (c < 0)
    if bad.any():
        fail(bad, "power", "capability must be a finite number >= 0 (got {got})")
    bad = stake & ((s < 0) | (s > 1))
    if bad.any():
        fail(bad, "salience", "must lie in [0, 1] (got {got}): " + _PROBABILITY_NOTE)
    w = np.where(stake, c * s, 0.0)
    take_part = stake & (w > 0)
    total = w.sum(axis=-2)
    if np.any(total <= 0):
        idx = tuple(int(v) for v in np.argwhere(total <= 0)[0])
        raise ScenarioError(
            "total capability x salience is 0: no actor with power > 0 cares about the issue, "
            "so there is nothing to forecast",
            source=source, location=_where(idx[:-1], None, a.issues[idx[-1]]), field="power",
        )
    # an issue with one actor in it simply stays at that actor's position (forecast notes it);
    # with nobody to bargain with on any issue there is no negotiation to model
    count = take_part.sum(axis=-2).max(axis=-1)
    if np.any(count < 2):
        idx = tuple(int(v) for v in np.argwhere(count < 2)[0])
        who = [a.actors[i] for i in np.flatnonzero(take_part[idx].any(axis=-1))]
        raise ScenarioError(
            "the expected-utility model needs at least two actors with power x salience > 0 on "
            f"some issue (got {len(who)}: {', '.join(map(repr, who))})",
            source=source, location=_where(idx, None, None), field="actors",
        )
    return x, s, c, take_part


def _per_issue(v: np.ndarray) -> np.ndarray:
    """(..., n_actors, n_issues) -> (..., n_issues, n_actors)."""
    return np.swapaxes(v, -1, -2)


@dataclass(frozen=True, slots=True)
class ExpectedUtility:
    """Bueno de Mesquita's expected-utility model in the Scholz et al. (2011) replication.

    Each issue is run on its own (the model is one-dimensional); the forecast is the
    weighted median after the last round.

    Parameters
    ----------
    rounds : int
        Rounds to run (default 10, as in the replication).
    q : float
        Probability Q that the status quo holds if an actor does not challenge (default 1:
        the T, U^b, U^w terms vanish). For Q < 1, T = 1 when the challenger is nearer the
        median than its target.
    probability : {"replication", "paper"}
        ``"replication"`` (default, parity): Scholz's code divides the supporting votes by
        one global normaliser, the sum of all absolute votes over every voter and pair.
        ``"paper"``: the printed per-pair share, so P_ij + P_ji = 1.
    capitulation : bool
        Apply the capitulation rule (b > 0 > a, |a| > b: i moves to x_j). The replication code
        never reaches it (default False).
    compromise : {"weight_point", "smallest_move"}
        Among several compromises, take the one with the lowest weight point
        ``(|a| x_i + |b| x_j)/(|a| + |b|)`` (the replication code, default) or the smallest move.
    tolerance : float or None
        Stop early once no actor moves by more than ``tolerance`` x the initial position range
        in a round (0: once nobody moves). None (default): always run ``rounds`` rounds.
    backend : {"auto", "numba", "numpy"}
        How the maths runs, not what it computes: ``"numba"`` a compiled kernel (the ``fast``
        extra, ``pip install 'detente[fast]'``; compiled once per machine, then cached),
        ``"numpy"`` vectorised numpy, ``"auto"`` (default) numba when it is installed. The
        two agree to the last few bits (the order of a few floating-point sums differs).

    Notes
    -----
    Actors with no stake, or with power x salience = 0, on an issue take no part in it
    (they cannot vote and would otherwise be free targets that set the position range); an
    issue with a single actor in it stays at that actor's position. ``present`` and ``veto``
    are not used by this model.

    Tables (``Forecast.to_frame(name)``):

    * ``rounds``: ``issue, round, actor, position, median, mean``; one row per issue, round
      (0 = initial positions) and actor taking part; median and mean after that round.
    * ``moves``: ``issue, round, actor, type, counterpart, eu_own, eu_other, old_position,
      new_position``; ``type`` is conflict, compromise or capitulation, ``eu_own`` =
      EU^i(i challenges counterpart), ``eu_other`` = EU^i(counterpart challenges i).
    * ``risk``: ``issue, round, actor, security, R_i, r_i``: S_i, the risk index and the risk
      exponent used in that round.
    """

    rounds: int = 10
    q: float = 1.0
    probability: Probability = "replication"
    capitulation: bool = False
    compromise: CompromiseChoice = "weight_point"
    tolerance: float | None = None
    backend: Backend = "auto"

    name: ClassVar[str] = "expected_utility"
    reference: ClassVar[str] = (
        "Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De Mesquita's "
        "group decision model. Journal of Theoretical Politics 23(4), 510-531. "
        "doi:10.1177/0951629811418142; Bueno de Mesquita, B. (1994). Political forecasting: an "
        "expected utility method. In B. Bueno de Mesquita & F. N. Stokman (Eds.), European "
        "Community Decision Making (pp. 71-104). Yale University Press; Bueno de Mesquita, B. "
        "(2002). Predicting Politics. Ohio State University Press"
    )

    def __post_init__(self) -> None:
        def bad(field, msg):
            raise ModelParameterError(f"model 'expected_utility': parameter {field!r}: {msg}")

        if isinstance(self.rounds, bool) or not isinstance(self.rounds, (int, np.integer)):
            bad("rounds", f"{self.rounds!r} is not an integer")
        if not 1 <= self.rounds <= 100_000:
            bad("rounds", f"must be between 1 and 100000 (got {self.rounds})")
        if isinstance(self.q, bool) or not isinstance(self.q, (int, float, np.floating)):
            bad("q", f"{self.q!r} is not a number")
        if not 0.0 <= float(self.q) <= 1.0:
            bad("q", f"is a probability and must lie in [0, 1] (got {self.q})")
        if self.probability not in ("replication", "paper"):
            bad("probability", f"{self.probability!r} is not one of 'replication', 'paper'")
        if not isinstance(self.capitulation, (bool, np.bool_)):
            bad("capitulation", f"{self.capitulation!r} is not a boolean")
        if self.compromise not in ("weight_point", "smallest_move"):
            bad("compromise", f"{self.compromise!r} is not one of 'weight_point', 'smallest_move'")
        if self.tolerance is not None:
            if isinstance(self.tolerance, bool) or not isinstance(
                self.tolerance, (int, float, np.floating)
            ):
                bad("tolerance", f"{self.tolerance!r} is not a number")
            if not (np.isfinite(self.tolerance) and self.tolerance >= 0):
                bad("tolerance", f"must be a finite number >= 0 or None (got {self.tolerance})")
        if self.backend not in BACKENDS:
            bad("backend", f"{self.backend!r} is not one of {', '.join(map(repr, BACKENDS))}")

    def _inputs(self, a, source: str) -> tuple[tuple, dict]:
        """Checked per-issue inputs ``(x, s, c, take_part)`` and the model's options."""
        x, s, c, take_part = _check_inputs(a, source)
        x = np.where(take_part, x, 0.0)  # no-stake cells carry no weight and never move
        opts = dict(
            rounds=int(self.rounds),
            q=float(self.q),
            probability=self.probability,
            capitulation=bool(self.capitulation),
            compromise=self.compromise,
            tolerance=None if self.tolerance is None else float(self.tolerance),
            backend=self.backend,
        )
        return (_per_issue(x), _per_issue(s), _per_issue(c), _per_issue(take_part)), opts

    def _path(self, a, source: str, *, record: bool) -> Trajectory:
        (x, s, c, take_part), opts = self._inputs(a, source)
        return expected_utility_path(x, s, c, take_part=take_part, record=record, **opts)

    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Median after the last round, (..., n_issues), for arrays with leading batch axes.

        Only the final medians are kept (the batch runs in chunks), so memory beyond the
        inputs stays bounded however many draws. ``rng`` is unused: the model is deterministic.
        """
        (x, s, c, take_part), opts = self._inputs(arrays, "")
        return _final_median(x, s, c, take_part, **opts)

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        """Run every issue of ``scenario`` (rng unused: the model is deterministic)."""
        a = scenario.arrays()
        path = self._path(a, scenario.name, record=True)
        x0 = np.asarray(a.position, dtype=float)
        take_part = np.asarray(a.stake) & (np.asarray(a.weight) > 0)
        outcome = path.median[..., -1]
        notes = []
        for k, iid in enumerate(a.issues):
            out = [a.actors[i] for i in np.flatnonzero(a.stake[:, k] & ~take_part[:, k])]
            if out:
                notes.append(
                    f"issue {iid!r}: {', '.join(map(repr, out))} hold(s) a position but power x "
                    "salience = 0, so take no part in the model on this issue"
                )
            if take_part[:, k].sum() == 1:
                notes.append(
                    f"issue {iid!r}: only {a.actors[int(np.argmax(take_part[:, k]))]!r} takes part, "
                    "so the forecast is its position"
                )
            elif path.position_range[k] == 0:
                notes.append(f"issue {iid!r}: every actor holds the same position; nobody moves")
            rr = int(path.rounds_run[k])
            if rr < self.rounds:
                notes.append(f"issue {iid!r}: stopped after {rr} rounds (no move above the tolerance)")
            elif rr > 1 and path.median[k, rr] != path.median[k, rr - 1]:
                notes.append(
                    f"issue {iid!r}: the median still moved in the last round "
                    f"({path.median[k, rr - 1]:g} -> {path.median[k, rr]:g}); the path need not "
                    "converge, see the 'rounds' table"
                )
        n_moves = (np.asarray(path.move_type) != _NONE).sum(axis=(-1, -2))
        return Forecast.build(
            self,
            scenario,
            outcome,
            utilities=linear_utilities(a, outcome),
            diagnostics={
                "mean": path.mean[..., -1],
                "initial_median": path.median[..., 0],
                "initial_mean": path.mean[..., 0],
                "rounds_run": path.rounds_run,
                "moves": n_moves,
                "position_range": path.position_range,
            },
            notes=tuple(notes),
            tables=_tables(a, path, take_part, x0),
        )
