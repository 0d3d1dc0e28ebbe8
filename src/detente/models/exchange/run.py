"""Running the exchange model: :func:`exchange_run` (one data set, every round and exchange
recorded), :func:`exchange_outcome` (a batch of draws, forecasts only) and the backend choice of
``variant="stokman"`` (the compiled kernel or the numpy engine, through
:func:`detente.backends.kernel`)."""

from __future__ import annotations

import decimal
from typing import Any, Literal

import numpy as np

from ...backends import kernel
from ...rng import as_generator
from ...scenario.foreign import DecideData
from ._numpy import _FLT, _Batch, _candidates
from .data import (
    ExchangeRun,
    _arrays_from_input,
    _decide_data_from_arrays,
    _Input,
    _input_from_decide,
    _raw,
)
from .reference import _CTX, _collect, _Engine

__all__ = ["exchange_decide", "exchange_outcome", "exchange_run"]

_KERNEL = "detente.models.exchange._kernel"
# first REX buffer of the kernel: uniforms per candidate and round (3 per computation)
_REX_BUFFER_PER_CANDIDATE = 6


def _run_batch(x, s, c, stake, *, rule: str, p: float, rngs: list[np.random.Generator],
               rounds: int, record: int, backend: str = "auto") -> dict:
    """Run B draws (x, s, c: (B, n, m), 0..100 scale) with the chosen backend.

    Returns the dict of :meth:`_Batch.run`; exchange records (a list per round of dicts with
    the key ``draw``) are kept for the first ``record`` draws. Both backends give the same
    numbers and exchanges; draw b takes its REX uniforms from ``rngs[b]`` in the same order.
    """
    stake = np.asarray(stake, dtype=bool)
    kern = kernel(backend, _KERNEL, what="exchange model: backend", n_runs=len(x))
    if kern is None:
        return _Batch(x, s, c, stake, rule=rule, p=p, rngs=rngs, record=record > 0).run(rounds)
    x = np.where(stake, np.asarray(x, dtype=float), 0.0)        # (B, n, m), as _Batch has them
    s = np.where(stake, np.asarray(s, dtype=float), 0.0)
    c = np.where(stake, np.asarray(c, dtype=float), 0.0)
    w = s * c
    dsum = w.sum(axis=1)
    wsal = _FLT.w_fix + _FLT.w_sal * (1.0 - s)
    trad = stake & (s != 0) & (c != 0)
    B, n, m = x.shape
    a1, a2, cp, cq, pair, touch = _candidates(stake)
    C = max(a1.size, 1)
    rex = rule == "rex"
    before, voting = np.empty((B, rounds, m)), np.empty((B, rounds, m))
    final = np.empty((B, m))
    n_ex = np.empty((B, rounds), dtype=np.int64)
    work = (np.empty((C, 19)), np.empty((C, 14)), np.empty((C, 11)), np.empty(C),
            np.empty((C, 3)), np.empty(2 * C * n), np.empty((10, C), dtype=np.int64),
            np.empty((n, m)), np.empty((n, m)), np.empty(m), np.empty(m))
    recs = np.empty((rounds * C if record > 0 else 0, kern.N_REC))
    info = np.zeros(2, dtype=np.int64)
    records: list[list[dict]] = [[] for _ in range(rounds)]
    # REX uniforms: a buffer per draw from its own generator; a run that needs more is re-run
    # with a longer buffer (the same stream, continued)
    size = _REX_BUFFER_PER_CANDIDATE * C * rounds
    buf = np.zeros(0)
    for b in range(B):
        if rex:
            buf = rngs[b].random(size)
        while True:
            xb = x[b].copy()
            kern.run_draw(xb, s[b], c[b], w[b], wsal[b], trad[b], dsum[b], a1, a2, cp, cq, pair,
                          touch, rounds, rex, float(p), buf, int(b < record), *work, before[b],
                          voting[b], final[b], n_ex[b], recs, info)
            if info[1] >= 0:
                break
            buf = np.concatenate([buf, rngs[b].random(max(buf.size, 48))])
        x[b] = xb
        if rex:  # the next draw's buffer: what this one needed, with a margin
            size = int(1.25 * info[1]) + 48
        if b < record:
            for row in recs[:info[0]]:
                records[int(row[0])].append(_kernel_record(b, row, kern.REC))
    return {"before": before, "voting": voting, "final": final, "final_positions": x,
            "n_exchanges": n_ex, "exchanges": records}


def _kernel_record(b: int, row: np.ndarray, columns: tuple[str, ...]) -> dict:
    """A kernel record row (``columns``: ``_kernel.REC``) as the dict of
    :meth:`_Batch._records`."""
    r = dict(zip(columns, row.tolist(), strict=True))
    d = {"draw": b, "gain": r["gain"], "valid": bool(r["valid"]),
         "group": "ad" if r["kind"] == 0 else "bc"}
    for tag, a, k, xs, mv, do, eu, em in (("i", "ai", "q", "xi", "mi", "doi", "eui", "emi"),
                                          ("j", "aj", "p", "xj", "mj", "doj", "euj", "emj")):
        d[f"actor_{tag}"] = int(r[a])
        d[f"supply_{tag}"] = int(r[k])
        d[f"x_supply_{tag}"] = r[xs]
        d[f"move_{tag}"] = r[mv]
        d[f"y_{tag}"] = r[xs] + r[mv]
        d[f"d_outcome_{tag}"] = r[do]
        d[f"eu_{tag}"] = r[eu]
        d[f"eu_max_{tag}"] = r[em]
    d.update(u=r["u"], v=r["v"], z=r["z"])
    return d


def _stokman_run(inp: _Input, *, rule: str, p, rounds: int, repetitions: int,
                 rng: np.random.Generator | None, record: int, backend: str = "auto") -> ExchangeRun:
    x, s, c, stake = _arrays_from_input(inp)
    B = repetitions
    rng = rng if rng is not None else np.random.default_rng(0)
    rngs = [rng] if B == 1 else list(rng.spawn(B))
    res = _run_batch(np.broadcast_to(x, (B, *x.shape)), np.broadcast_to(s, (B, *s.shape)),
                     np.broadcast_to(c, (B, *c.shape)), stake, rule=rule, p=float(p), rngs=rngs,
                     rounds=rounds, record=record, backend=backend)
    lower = np.array([float(v) for v in inp.lower])
    step = np.array([float(v) for v in inp.step])
    fpos = np.where(stake, _raw(res["final_positions"], lower, step), np.nan)
    records = []
    for t, recs in enumerate(res["exchanges"]):
        order: dict[int, int] = {}
        for d in recs:
            r = d.pop("draw")
            if r >= record:
                continue
            o = order.get(r, 0)
            order[r] = o + 1
            d.update(repetition=r, round=t, order=o)
            for tag in ("i", "j"):
                d[f"actor_{tag}"] = inp.actors[d[f"actor_{tag}"]]
                d[f"supply_{tag}"] = inp.issues[d[f"supply_{tag}"]]
            records.append(d)
    records.sort(key=lambda d: (d["repetition"], d["round"], d["order"]))
    shape = res["n_exchanges"].shape
    return ExchangeRun(
        inp.issues, inp.actors,
        _raw(res["before"], lower, step), _raw(res["voting"], lower, step),
        res["before"], res["voting"], _raw(res["final"], lower, step), res["final"], fpos,
        res["n_exchanges"], np.zeros(shape, dtype=int), np.zeros(shape, dtype=int), records,
    )


def exchange_run(
    data: DecideData | _Input,
    *,
    variant: Literal["stokman", "decide"] = "stokman",
    rule: Literal["equal_gain", "rex"] = "equal_gain",
    p: float | str = 0.5,
    rounds: int = 10,
    repetitions: int = 1,
    seed: int | None = 0,
    rng: np.random.Generator | None = None,
    allow_random: bool = True,
    record: int = 1,
    backend: Literal["auto", "numba", "numpy"] = "auto",
) -> ExchangeRun:
    """Run the exchange model on Decide data (or a prepared input).

    Parameters
    ----------
    data : DecideData
        E.g. from the Decide reader ``read_decide`` (the type is
        :class:`detente.scenario.foreign.DecideData`); saliences and powers may exceed 1 here
        (the Decide format allows up to 100).
    variant : {"stokman", "decide"}
    rule : {"equal_gain", "rex"}
    p : float or str
        REX randomisation parameter in (0, 1] (ignored for equal gain). The decide variant reads
        it as the Decimal of its text, as the reference does.
    rounds, repetitions : int
        Rounds per repetition (no convergence test, as in the reference); repetitions re-run
        from the data without reseeding (the stream continues, as in the reference).
    seed : int
        decide variant: the seed S of the reference's ``random.seed(S)``, reproduced with a
        private ``random.Random(S)``.
    rng : numpy Generator, optional
        stokman variant: the source of REX draws.
    allow_random : bool
        decide variant: False is the reference's ``ALLOW_RANDOM = False`` (no tie coin flip).
    record : int
        How many repetitions keep their exchange records.
    backend : {"auto", "numba", "numpy"}
        stokman variant: the compiled kernel (numba, ``pip install 'detente[fast]'``) or the
        numpy engine; "auto" takes numba when it is installed. Both give the same exchanges in
        the same order and the same numbers. "numba" without numba raises MissingExtraError.
    """
    exact = variant == "decide"
    inp = data if isinstance(data, _Input) else _input_from_decide(data, exact)
    if not exact:
        return _stokman_run(inp, rule=rule, p=p, rounds=rounds, repetitions=repetitions,
                            rng=rng, record=record, backend=backend)
    with decimal.localcontext(_CTX):
        eng = _Engine(inp, rule=rule, p=p, seed=seed or 0, allow_random=allow_random)
        return _collect(eng, rounds, repetitions, record)


def exchange_decide(data: DecideData, **kw: Any) -> ExchangeRun:
    """:func:`exchange_run` with ``variant="decide"``: the reference's numbers exactly."""
    return exchange_run(data, variant="decide", **kw)


def exchange_outcome(
    position: np.ndarray,
    salience: np.ndarray,
    power: np.ndarray,
    stake: np.ndarray,
    scale_min: np.ndarray,
    scale_max: np.ndarray,
    *,
    variant: Literal["stokman", "decide"] = "stokman",
    rule: Literal["equal_gain", "rex"] = "equal_gain",
    p: float = 0.5,
    rounds: int = 10,
    rng: np.random.Generator | _SeedOnly | None = None,
    backend: Literal["auto", "numba", "numpy"] = "auto",
) -> np.ndarray:
    """Exchange-model forecast for arrays with leading batch axes.

    Parameters
    ----------
    position, salience : (..., n_actors, n_issues)
        Issue scale; ``stake`` (n_actors, n_issues) marks the actor-issues that exist.
    power : (..., n_actors) or (..., n_actors, n_issues)
    scale_min, scale_max : (n_issues,)
    rng : Generator
        REX draws (stokman) or the source of each draw's seed (decide).
    backend : {"auto", "numba", "numpy"}
        stokman variant: see :func:`exchange_run`.

    Returns
    -------
    (..., n_issues)
        The last round's voting outcome per issue, on the issue scale.
    """
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    c = np.asarray(power, dtype=float)
    if c.ndim == x.ndim - 1:
        c = c[..., None]
    x, s, c = np.broadcast_arrays(x, s, c)
    batch = x.shape[:-2]
    n, m = x.shape[-2:]
    stake = np.broadcast_to(np.asarray(stake, dtype=bool), (n, m))
    rng = rng if isinstance(rng, _SeedOnly) else as_generator(rng if rng is not None else 0)
    xs, ss, cs = x.reshape(-1, n, m), s.reshape(-1, n, m), c.reshape(-1, n, m)
    actors = tuple(f"a{k}" for k in range(n))
    issues = tuple(f"i{k}" for k in range(m))
    out = np.empty((xs.shape[0], m))
    # common random numbers: every draw of the batch uses the same stream, so a draw's result
    # does not depend on its place in the batch (and equals a single run with that seed)
    seed = int(rng.integers(2**32))
    for d in range(xs.shape[0] if variant == "decide" else 0):
        if variant == "decide":
            data = _decide_data_from_arrays(xs[d], ss[d], cs[d], stake, scale_min, scale_max,
                                            actors, issues)
            run = exchange_run(data, variant="decide", rule=rule, p=repr(float(p)),
                               rounds=rounds, seed=seed, record=0)
            out[d] = run.voting[0, -1]
    if variant != "decide":
        lo = np.asarray(scale_min, dtype=float)
        step = 100.0 / (np.asarray(scale_max, dtype=float) - lo)
        xn = np.where(stake, (xs - lo) * step, 0.0)
        rngs = [np.random.default_rng(seed) for _ in range(xs.shape[0])]
        res = _run_batch(xn, np.where(stake, ss, 0.0), np.where(stake, cs, 0.0), stake,
                         rule=rule, p=float(p), rngs=rngs, rounds=rounds, record=0,
                         backend=backend)
        out = _raw(res["voting"][:, -1], lo, step)
    return out.reshape(*batch, m)


class _SeedOnly:
    """Hands a fixed seed to :func:`exchange_outcome` (which asks its rng for one integer)."""

    def __init__(self, seed: int):
        self.seed = seed

    def integers(self, *_: Any) -> int:
        return self.seed
