"""The compiled engines of the expected-utility model, seen from numpy: input packing, output
shaping and which kernel a draw takes.

Imported only once :mod:`detente.backends` has resolved the backend to numba (it imports the
scalar kernel :mod:`._kernel`, hence numba); the lockstep kernel :mod:`._lanes` is imported on
first use of :func:`_nb_final`.
"""

from __future__ import annotations

import numpy as np

from . import _kernel
from ._numpy import _broadcast_inputs
from .reference import Round, Trajectory


def _contiguous(v: np.ndarray, dtype) -> np.ndarray:
    """``v`` as a writable C-contiguous array of ``dtype`` (one compiled signature for all)."""
    if v.dtype != dtype or not v.flags.c_contiguous or not v.flags.writeable:
        return np.array(v, dtype=dtype, order="C")
    return v


_NO_TAKE_PART = np.zeros((0, 0), dtype=bool)  # "everyone with capability x salience > 0"


def _nb_inputs(position, salience, power, take_part):
    """Inputs of :func:`expected_utility_path` for the kernel: ``lead, n, B, xsc, take_part``
    with ``xsc`` (3, B, n) C-contiguous (position, salience, power; one copy) and
    ``take_part`` (B, n), or (0, 0) for None."""
    x, s, c, lead, n, B = _broadcast_inputs(position, salience, power)
    xsc = np.array((x, s, c)).reshape(3, B, n)
    if take_part is None:
        return lead, n, B, xsc, _NO_TAKE_PART
    tp = np.broadcast_to(np.asarray(take_part, dtype=bool), x.shape).reshape(B, n)
    return lead, n, B, xsc, _contiguous(tp, np.bool_)


def _nb_run(xsc, tp, rounds, q, probability, capitulation, compromise, tolerance, record, keep):
    """:func:`_run_chunk` through the numba kernel, for all B draws in one call.

    Returns the kernel's outputs ``pos (B', rounds + 1, n), mm (2, B', rounds + 1) (median,
    mean), rounds_run (B,), Lf (2, B) (L, last median), rec (5, B'', rounds, n) (risk,
    risk_index, security, eu_own, eu_other), move_type, move_with (B'', rounds, n)``, with
    B' = B if ``keep`` else 1 and B'' = B if ``record`` else 1 (then they hold the last draw).
    """
    _, B, n = xsc.shape
    nb = B if keep else 1
    nr = B if record else 1
    e = np.empty
    out = (e((nb, rounds + 1, n)), e((2, nb, rounds + 1)), e(B, dtype=np.int64), e((2, B)),
           e((5, nr, rounds, n)), e((nr, rounds, n), dtype=np.int8),
           e((nr, rounds, n), dtype=np.int64))
    _kernel.path(
        xsc, tp, int(rounds), float(q), probability == "paper", bool(capitulation),
        compromise == "weight_point", tolerance is not None,
        0.0 if tolerance is None else float(tolerance), keep, record, *out,
    )
    return out


def _nb_final(xsc, tp, rounds, q, probability, capitulation, compromise, tolerance) -> np.ndarray:
    """The forecast after the last round of each of the B draws of ``xsc`` (3, B, n), through
    the numba kernels.

    Draws with Q = 1, every actor in the issue and finite inputs run in the lockstep kernel
    (:mod:`._lanes`), however few; the others one by one in
    :func:`._kernel.path`. Which kernel a draw takes depends on the draw alone,
    never on the batch around it, so a Monte Carlo result does not depend on the chunking.
    """
    _, B, n = xsc.shape

    def scalar(x, t):
        return _nb_run(x, t, rounds, q, probability, capitulation, compromise, tolerance,
                       False, False)[3][1]

    if not (q == 1.0 and rounds >= 1):
        return scalar(xsc, tp)
    from . import _lanes as lock  # imported with the scalar kernel's numba on first use

    ok = np.empty(B, dtype=bool)
    lock.eligible(xsc, tp, ok)
    lanes = np.flatnonzero(ok)
    out = np.empty(B)
    if lanes.size:
        lock.final_medians(xsc, lanes, int(rounds), probability == "paper", bool(capitulation),
                           compromise == "weight_point", tolerance is not None,
                           0.0 if tolerance is None else float(tolerance), out,
                           lock.lane_count(n, int(lanes.size)))
    if lanes.size < B:
        rest = np.flatnonzero(~ok)
        out[rest] = scalar(np.ascontiguousarray(xsc[:, rest]), tp[rest] if tp.shape[0] else tp)
    return out


def _nb_path(position, salience, power, take_part, rounds, q, probability, capitulation,
             compromise, tolerance, record) -> Trajectory:
    """:func:`expected_utility_path` with the numba backend. At 5 actors the kernel takes a
    few microseconds and every array operation or call around it ~0.2-0.5 us, so they are
    kept few (positional calls, few arrays)."""
    lead, n, B, xsc, tp = _nb_inputs(position, salience, power, take_part)
    pos, mm, rr, Lf, rec, mt, mw = _nb_run(xsc, tp, rounds, q, probability, capitulation,
                                           compromise, tolerance, record, True)
    recs: tuple
    if not lead:  # one draw: drop the kernel's draw axis
        out = (pos[0], mm[0, 0], mm[1, 0], rr.reshape(()), Lf[0, 0, ...])
        recs = (rec[0, 0], rec[1, 0], rec[2, 0], mt[0], mw[0], rec[3, 0], rec[4, 0])
    else:
        R1, Rn = lead + (rounds + 1,), lead + (rounds, n)
        out = (pos.reshape(R1 + (n,)), mm[0].reshape(R1), mm[1].reshape(R1), rr.reshape(lead),
               Lf[0].reshape(lead))
        recs = (rec[0].reshape(Rn), rec[1].reshape(Rn), rec[2].reshape(Rn), mt.reshape(Rn),
                mw.reshape(Rn), rec[3].reshape(Rn), rec[4].reshape(Rn)) if record else ()
    return Trajectory(*out, *(recs if record else (None,) * 7))


def _nb_round(x, s, w, L, take_part, *, q, probability, capitulation, compromise) -> Round:
    """:func:`expected_utility_round` through the numba kernel (a Python loop over draws:
    this entry point serves internals and tests, so it reuses the kernel's one compiled
    round instead of compiling a batched variant)."""
    K = _kernel
    B, n = x.shape
    tp = np.ones((B, n), dtype=bool) if take_part is None else _contiguous(take_part, np.bool_)
    L = np.asarray(L, dtype=float)
    xsc = np.zeros((3, B, n))
    xsc[1] = s  # the round reads the saliences there
    rec = np.empty((5, B, 1, n))  # as the path records one round: risk, R, security, EUs
    mtype = np.empty((B, 1, n), dtype=np.int8)
    mwith = np.empty((B, 1, n), dtype=np.int64)
    pos = np.empty((B, 2, n))
    M, V, first = np.empty((K.N_MATS, n, n)), np.empty((K.N_VECS, n)), np.empty(n, dtype=np.int64)
    internals = np.empty((5, B, n, n))
    median, D1, D2 = np.empty(B), np.empty(B), np.empty(B)
    paper, wp = probability == "paper", compromise == "weight_point"
    for b in range(B):
        V[K._X], V[K._WS], V[K._XL] = x[b], w[b], np.nan
        median[b], D1[b], D2[b] = K.round_one(
            xsc, b, tp[b], bool(tp[b].all()), float(L[b]), float(q), paper, bool(capitulation),
            wp, M, V, first, rec, mtype, mwith, pos, b, b, 0,
        )
        internals[:, b] = M[[K._P1, K._EU1, K._P2, K._A, K._B]]
    P1, eu1, P2, a, b_ = internals
    risk, R, security, eu_own, eu_other = rec[:, :, 0]
    return Round(median=median, D1=D1, D2=D2, move_type=mtype[:, 0], move_with=mwith[:, 0], P1=P1,
                 eu1=eu1, P2=P2, a=a, b=b_, security=security, R=R, r=risk, eu_own=eu_own,
                 eu_other=eu_other, new_position=pos[:, 1])
