"""The numpy engine of the expected-utility model: whole paths, many draws at once.

Runs the round of :mod:`.reference` (vectorised over a batch of draws) chunk by chunk, so
memory stays bounded however many draws; a start-of-round state seen before is not run again
(the round depends on it alone), so cycling paths cost only their distinct rounds. Called by
:func:`~.engine.expected_utility_path` when the backend resolves to numpy.
"""

from __future__ import annotations

import math

import numpy as np

from .reference import _NONE, Trajectory, _median, _round

#: elements of the (draws, actors, actors, actors) vote tensor handled per chunk of draws:
#: bounds memory (2 MB per temporary) and keeps the work in cache (measured fastest)
_CHUNK_ELEMENTS = 1 << 18


def _run_chunk(x0, s, w, take_part, *, rounds, tolerance, record, opts):
    B, n = x0.shape
    tp = None if take_part is None or take_part.all() else take_part
    if tp is None:
        lo, hi = x0.min(axis=1), x0.max(axis=1)
    else:
        lo = np.where(tp, x0, np.inf).min(axis=1)
        hi = np.where(tp, x0, -np.inf).max(axis=1)
        # actors outside the issue are masked everywhere; parking them inside the range keeps
        # their (unused) utilities finite
        x0 = np.where(tp, x0, lo[:, None])
    L = hi - lo
    Ls = np.where(L > 0, L, 1.0)
    pos = np.empty((B, rounds + 1, n))
    med = np.empty((B, rounds + 1))
    mean = np.empty((B, rounds + 1))
    rec = None
    if record:
        rec = {
            "risk": np.empty((B, rounds, n)),
            "risk_index": np.empty((B, rounds, n)),
            "security": np.empty((B, rounds, n)),
            "move_type": np.empty((B, rounds, n), dtype=np.int8),
            "move_with": np.empty((B, rounds, n), dtype=np.int64),
            "eu_own": np.empty((B, rounds, n)),
            "eu_other": np.empty((B, rounds, n)),
        }
    x = x0
    pos[:, 0] = x0
    done = np.zeros(B, dtype=bool)
    rounds_run = np.full(B, rounds, dtype=np.int64)
    # the round map depends on the start-of-round positions only (r restarts at 1, L is
    # fixed), so a state seen before repeats its round exactly: reuse it (cycles, stops)
    seen: dict[bytes, tuple] = {}
    for t in range(rounds):
        key = x.tobytes() + done.tobytes()
        res = seen.get(key)
        if res is None:
            with np.errstate(all="ignore"):  # 0/0 only on masked cells, as in expected_utility_round
                full = _round(x, s, w, Ls, B, n, opts["q"], opts["probability"], opts["capitulation"],
                              opts["compromise"], tp, internals=False)
            res = (full.median, full.r, full.R, full.security, full.move_type, full.move_with,
                   full.eu_own, full.eu_other, full.new_position)
            seen[key] = res
        mu, r, R, S, mtype, mwith, eu_own, eu_other, new = res
        med[:, t] = mu
        if done.any():
            stay = done[:, None]
            mtype = np.where(stay, _NONE, mtype).astype(np.int8)
            new = np.where(stay, x, new)
            r, R, S = (np.where(stay, np.nan, v) for v in (r, R, S))
            mwith = np.where(stay, -1, mwith)
            eu_own, eu_other = (np.where(stay, np.nan, v) for v in (eu_own, eu_other))
        if record:
            rec["risk"][:, t] = r
            rec["risk_index"][:, t] = R
            rec["security"][:, t] = S
            rec["move_type"][:, t] = mtype
            rec["move_with"][:, t] = mwith
            rec["eu_own"][:, t] = eu_own
            rec["eu_other"][:, t] = eu_other
        if tolerance is not None:
            step = np.abs(new - x).max(axis=1)
            stop = ~done & (step <= tolerance * L)
            rounds_run[stop] = t + 1
            done = done | stop
        x = new
        pos[:, t + 1] = x
    # the median at the start of round t+1 is the forecast after round t; one more after the last
    med[:, rounds] = _median(x, w, tp)
    mean[:] = (w[:, None, :] * pos).sum(axis=2) / w.sum(axis=1)[:, None]
    return pos, med, mean, rounds_run, L, rec


def _broadcast_inputs(position, salience, power):
    """``x, s, c`` as float arrays of one shape, the batch axes ``lead``, ``n`` actors and
    ``B`` draws."""
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    c = np.asarray(power, dtype=float)
    if not x.shape == s.shape == c.shape:
        x, s, c = np.broadcast_arrays(x, s, c)
    lead, n = x.shape[:-1], x.shape[-1]
    B = math.prod(lead)
    if B == 0:
        raise ValueError(f"no draws to run: the batch axes {lead} are empty")
    return x, s, c, lead, n, B


def _parts(position, salience, power, take_part, *, rounds, q, probability, capitulation,
           compromise, tolerance, record):
    """Inputs of :func:`expected_utility_path` as (B, n) rows, and a generator of
    ``(row slice, chunk result)`` running them chunk by chunk.

    Returns ``lead, n, B, parts``.
    """
    x, s, c, lead, n, B = _broadcast_inputs(position, salience, power)
    w = (c * s).reshape(B, n)
    x = x.reshape(B, n)
    s = s.reshape(B, n)
    opts = dict(q=float(q), probability=probability, capitulation=capitulation, compromise=compromise)
    kw = dict(rounds=rounds, tolerance=tolerance, record=record, opts=opts)

    def parts():
        if take_part is None:
            tp = w > 0
        else:
            tp = np.broadcast_to(np.asarray(take_part, dtype=bool), lead + (n,)).reshape(B, n) & (w > 0)
        chunk = max(1, _CHUNK_ELEMENTS // max(1, n**3))
        for i in range(0, B, chunk):
            sl = slice(i, min(B, i + chunk))
            yield sl, _run_chunk(x[sl], s[sl], w[sl], tp[sl], **kw)

    return lead, n, B, parts()


def path(position, salience, power, take_part, *, rounds, q, probability, capitulation,
         compromise, tolerance, record) -> Trajectory:
    """:func:`~.engine.expected_utility_path` on the numpy engine (same parameters)."""
    lead, n, B, parts = _parts(position, salience, power, take_part, rounds=rounds, q=q,
                               probability=probability, capitulation=capitulation,
                               compromise=compromise, tolerance=tolerance, record=record)
    out: list | None = None
    for sl, part in parts:
        if sl.stop - sl.start == B:  # one part: use its arrays as they are
            out = list(part)
            break
        if out is None:  # fill preallocated arrays chunk by chunk (no concatenation copy)
            out = [np.empty((B, *v.shape[1:]), dtype=v.dtype) for v in part[:5]]
            out.append(None if part[5] is None else
                       {k: np.empty((B, *v.shape[1:]), dtype=v.dtype) for k, v in part[5].items()})
        for dst, v in zip(out[:5], part[:5], strict=True):
            dst[sl] = v
        if part[5] is not None:
            for k, v in part[5].items():
                out[5][k][sl] = v
    assert out is not None  # B > 0, so at least one part
    pos, med, mean, rr, L, rec = out

    def shape(a, *tail):
        return a.reshape(lead + tuple(tail))

    def get(k):
        return None if rec is None else shape(rec[k], rounds, n)

    return Trajectory(
        position=shape(pos, rounds + 1, n),
        median=shape(med, rounds + 1),
        mean=shape(mean, rounds + 1),
        rounds_run=shape(rr),
        position_range=shape(L),
        risk=get("risk"),
        risk_index=get("risk_index"),
        security=get("security"),
        move_type=get("move_type"),
        move_with=get("move_with"),
        eu_own=get("eu_own"),
        eu_other=get("eu_other"),
    )


def final_median(position, salience, power, take_part, **kw) -> np.ndarray:
    """Only the forecast after the last round, (...,), keeping no path (memory O(chunk)
    beyond the inputs); ``kw`` as for :func:`path` without ``record``."""
    lead, n, B, parts = _parts(position, salience, power, take_part, record=False, **kw)
    out = np.empty(B)
    for sl, part in parts:
        out[sl] = part[1][:, -1]
    return out.reshape(lead)
