"""The expected-utility model's entry points on arrays: one round, a whole path, the final
forecast; each runs the engine that ``backend`` resolves to (:mod:`detente.backends`).

``"numba"``: the compiled kernels (:mod:`._kernel`, :mod:`._lanes`; the ``fast`` extra);
``"numpy"``: the numpy engine (:mod:`._numpy`, running the round of :mod:`.reference`);
``"auto"``: numba when it is installed. The engines compute the same maths; results agree to
the last few bits.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

from ...backends import BACKENDS, Backend, kernel
from . import _numpy
from .reference import CompromiseChoice, Probability, Round, Trajectory, _round

__all__ = ["BACKENDS", "Backend", "expected_utility_path", "expected_utility_round"]

_KERNEL = "detente.models.expected_utility._kernel"
_WHAT = "expected-utility model: backend"


def _engine(backend: str, position: np.ndarray) -> ModuleType | None:
    """The scalar kernel module when ``backend`` resolves to numba, else None (numpy).

    ``position`` (..., n): one run per leading index (issue, draw), for the cost model of
    ``"auto"``."""
    return kernel(backend, _KERNEL, what=_WHAT, n_runs=math.prod(np.shape(position)[:-1]))


def expected_utility_round(
    position: np.ndarray,
    salience: np.ndarray,
    weight: np.ndarray,
    position_range: np.ndarray,
    *,
    q: float = 1.0,
    probability: Probability = "replication",
    capitulation: bool = False,
    compromise: CompromiseChoice = "weight_point",
    take_part: np.ndarray | None = None,
    backend: Backend = "auto",
) -> Round:
    """One round of the model from the positions at its start.

    Parameters
    ----------
    position, salience, weight : (B, n)
        Current positions, salience in [0, 1] (a probability) and capability x salience.
    position_range : (B,)
        L, the range of the initial positions (1 may stand in where it is 0: no one moves).
    q : float
        Probability that the status quo holds if i does not challenge.
    probability : {"replication", "paper"}
        Global vote normaliser of Scholz's code, or the paper's per-pair share.
    capitulation : bool
        Apply the capitulation rule (the replication code never reaches it).
    compromise : {"weight_point", "smallest_move"}
        Which of several compromises an actor takes: the lowest weight point
        ``(|a| x_i + |b| x_j) / (|a| + |b|)`` (the replication code) or the smallest move.
    take_part : (B, n) bool, optional
        Actors in the issue; the others neither vote, offer nor move. Default: all.
    backend : {"auto", "numba", "numpy"}
        The compiled kernel or the vectorised numpy code (same maths; the internals agree to
        ~1e-15). "auto": numba when installed.

    Returns
    -------
    Round

    Raises
    ------
    MissingExtraError
        ``backend="numba"`` without numba (``pip install 'detente[fast]'``).
    """
    x = position
    B, n = x.shape
    L = position_range
    w = weight
    s = salience
    if _engine(backend, x) is not None:
        from ._compiled import _nb_round

        return _nb_round(x, s, w, L, take_part, q=q, probability=probability,
                         capitulation=capitulation, compromise=compromise)
    with np.errstate(all="ignore"):  # 0/0 only on masked cells (equal positions, diagonal)
        return _round(x, s, w, L, B, n, q, probability, capitulation, compromise, take_part)




def expected_utility_path(
    position: np.ndarray,
    salience: np.ndarray,
    power: np.ndarray,
    *,
    rounds: int = 10,
    q: float = 1.0,
    probability: Probability = "replication",
    capitulation: bool = False,
    compromise: CompromiseChoice = "weight_point",
    tolerance: float | None = None,
    take_part: np.ndarray | None = None,
    record: bool = True,
    backend: Backend = "auto",
) -> Trajectory:
    """Run the model for ``rounds`` rounds on one issue, for every draw at once.

    Parameters
    ----------
    position, salience, power : (..., n_actors)
        Positions, salience in [0, 1] and capability (broadcast against each other; leading
        axes are batch axes, e.g. draws or issues). Inputs are not validated here: see
        :class:`ExpectedUtility` for the checks.
    rounds : int
        Rounds to run.
    q, probability, capitulation, compromise
        As in :func:`expected_utility_round`.
    tolerance : float, optional
        Stop a draw once no actor moves by more than ``tolerance * L`` in a round (its later
        rounds repeat the last positions). None: always run ``rounds`` rounds.
    take_part : (..., n_actors) bool, optional
        Actors in the issue (default: capability x salience > 0).
    record : bool
        Keep the per-round moves and risk exponents (False saves memory in large batches).
    backend : {"auto", "numba", "numpy"}
        ``"numba"``: the compiled kernel (the ``fast`` extra), a loop over draws and actors
        with no per-call overhead; ``"numpy"``: the vectorised code; ``"auto"`` (default):
        numba when it is installed. Same maths; results agree to the last few bits (~1e-15
        in a round, ~1e-13 after ten rounds, as the model amplifies rounding differences).

    Returns
    -------
    Trajectory

    Raises
    ------
    MissingExtraError
        ``backend="numba"`` without numba installed.

    Notes
    -----
    Cost per round is O(B n^3) time for the vote tensor and O(B n^2) for the rest. numba runs
    the draws one after the other in compiled loops (:mod:`._kernel`); numpy processes the
    batch in chunks so memory stays bounded (:mod:`._numpy`). A start-of-round state seen
    before is not run again (the round depends on it alone), so cycling paths cost only their
    distinct rounds.
    """
    if _engine(backend, position) is not None:
        from ._compiled import _nb_path

        return _nb_path(position, salience, power, take_part, rounds, q, probability,
                        capitulation, compromise, tolerance, record)
    return _numpy.path(position, salience, power, take_part, rounds=rounds, q=q,
                       probability=probability, capitulation=capitulation,
                       compromise=compromise, tolerance=tolerance, record=record)


def _final_median(position, salience, power, take_part, *, backend="auto", **kw) -> np.ndarray:
    """Only the forecast after the last round, (...,): what :meth:`ExpectedUtility.
    forecast_arrays` needs, without keeping any path (memory O(chunk) beyond the inputs)."""
    if _engine(backend, position) is not None:
        from ._compiled import _nb_final, _nb_inputs

        lead, n, B, xsc, tp = _nb_inputs(position, salience, power, take_part)
        return _nb_final(xsc, tp, kw["rounds"], kw["q"], kw["probability"], kw["capitulation"],
                         kw["compromise"], kw["tolerance"]).reshape(lead)
    return _numpy.final_median(position, salience, power, take_part, **kw)
