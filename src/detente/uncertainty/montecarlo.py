"""Monte Carlo over uncertain inputs: the distribution of a forecast and the chance of a deal.

Draws are generated and evaluated in **seed blocks** of :data:`SEED_BLOCK` draws: block *k*
draws its unit design ``U = detente.rng.unit_design(rng_k, size, n_inputs)`` and runs the
model with ``rng_k``, the generator of child *k* of ``SeedSequence(seed)``
(:func:`detente.rng.chunk_seeds`; each task makes its blocks' generators where it runs). A
chunk (the unit of work and of memory) is a run of whole blocks, so the numbers depend only on
the seed: not on the backend, the number of workers or the chunk size. Within a block the
model sees one batched call (``model.forecast_arrays``), never a loop over draws.

**The random stream.** ``U`` holds 32-bit uniforms: the generator's raw 64-bit words
(``rng_k.bit_generator.random_raw``), each split into two numbers, its low 32 bits first, each
integer ``k`` giving ``u = (k + 0.5) 2^-32``, filled row by row (draw by draw, each draw's inputs
in column order). Truncated normals then go through our own inverse normal CDF
(:func:`detente.uncertainty.normal.ndtri`, Wichura's AS 241). Both replaced
``Generator.random`` and ``scipy.special.ndtri`` in December 2026 (issue 20), which changed
every run's numbers once, for every seed; the old stream cost more than the whole time budget
of a million draws.

**Two paths, one set of numbers.** The weighted mean and the weighted median, with inputs
that are truncated normals, uniforms, triangulars or discrete lists, run on a fused compiled
kernel (:mod:`detente.uncertainty.fused`) when :mod:`detente.backends` resolves the run to
numba (``engine="auto"``, when numba is installed: from 250,000 draws on in a fresh process, from
1,000 once numba is loaded, see :func:`_fused_runs`): it draws, transforms,
forecasts, checks the deal conditions and reduces each seed block in cache. Everything else
runs the general numpy path described here. Both give the same numbers bit for bit, on every
backend, chunk size and thread count.

The negotiation simulator is a model too (``model="simulator"`` with ``simulator={...}``
options, or a :class:`~detente.uncertainty.simulator.SimulatorModel`): each seed block's draws
are negotiated as one batch of per-run scenarios (draw i with its own utilities, red lines
and reservation values); the outcome is the agreement, and a deal is a run that reached one.

Aggregation streams: each chunk returns its outcomes (when kept) or a fine histogram per
issue, and per-block sums; chunks are combined in block order. Quantiles are exact when the
draws are kept (``keep_draws``, default when ``n_draws * n_issues <= 20 million``, i.e. at
most 160 MB), otherwise read from 16,384-bin histograms over each issue's scale (error at most
scale width / 16,384, e.g. 0.006 points on a 0-100 scale).
"""

from __future__ import annotations

import math
import numbers
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..backends import BACKENDS, kernel
from ..cost import Cost
from ..errors import ModelError, ScenarioError
from ..models.registry import get_model
from ..rng import as_seed_sequence, child_generator, chunk_seeds, seed_entropy, unit_design
from ..scenario.schema import Scenario
from .backends import DaskBackend, LocalBackend, get_backend
from .deal import deal_flags
from .fused import (
    HIST_BINS,
    KERNEL_MODULE,
    SUMMARY_BUCKETS,
    FusedPlan,
    fused_plan,
    grid_scale,
    run_blocks,
)
from .perturb import Perturbation, build_perturbation
from .result import MonteCarloResult, MonteCarloResults
from .simulator import SIMULATOR_NAMES, SimulatorModel
from .spec import NoiseSpec, UncertaintySpec, load_scenario_with_uncertainty, load_uncertainty

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_QUANTILES",
    "SEED_BLOCK",
    "evaluate",
    "monte_carlo",
    "monte_carlo_cost",
    "prepare",
]

#: draws per seed block: part of the reproducibility contract (changing it changes the numbers)
SEED_BLOCK = 4096
DEFAULT_CHUNK = 16 * SEED_BLOCK
DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
KEEP_LIMIT = 20_000_000
#: issues whose kept draws the compiled exact summary takes at a time: its bucket counts take
#: 128 KB an issue, per thread in the kernel, per half issue when the summary counts
SUMMARY_ISSUES = 64


def resolve_model(model: Any, simulator: dict[str, Any] | None = None) -> Any:
    """A model instance from a registry name or an instance with ``forecast_arrays``, or the
    simulator (``"simulator"`` with ``simulator`` options, or a SimulatorModel)."""
    if isinstance(model, str) and model.strip().lower() in SIMULATOR_NAMES:
        opts = dict(simulator or {})
        try:
            return SimulatorModel(**opts)
        except TypeError:
            valid = ", ".join(SimulatorModel.__dataclass_fields__)
            raise ScenarioError(f"unknown simulator option in {sorted(opts)}; valid: {valid}",
                                field="simulator") from None
    if simulator:
        raise ScenarioError("simulator options need model='simulator'", field="simulator")
    if isinstance(model, SimulatorModel):
        return model
    m = get_model(model) if isinstance(model, str) else model
    if not callable(getattr(m, "forecast_arrays", None)):
        raise ModelError(
            f"model {getattr(m, 'name', type(m).__name__)!r} has no batched forecast_arrays(); "
            "Monte Carlo and sensitivity need it"
        )
    return m


#: draws for which the fused kernel pays for loading numba in a fresh process: the numpy path
#: runs ~1.5 us of CPU per draw, importing numba and loading the cached kernel ~0.5-1 s
FUSED_FRESH_DRAWS = 250_000


def _fused_runs(n_draws: int) -> int:
    """The job size :func:`detente.backends.kernel` weighs for the fused kernel.

    Both engines give the same numbers bit for bit, so unlike a model's engines the choice may
    depend on the process: once numba is loaded (a warmed-up API server, a batch job), every
    run from :data:`~detente.backends.AUTO_COMPILE_RUNS` draws takes the kernel; in a fresh
    process only runs from :data:`FUSED_FRESH_DRAWS` draws do (the CLI's default 10,000 draws
    finish on numpy in ~15 ms instead of waiting ~0.5-1 s for numba).
    """
    import sys

    from ..backends import AUTO_COMPILE_RUNS

    if "numba" in sys.modules:
        return n_draws
    return n_draws * AUTO_COMPILE_RUNS // FUSED_FRESH_DRAWS


def prepare(
    scenario: Scenario | str | Path | dict,
    uncertainty: UncertaintySpec | dict | str | Path | None = None,
    noise: NoiseSpec | dict | None = None,
    *,
    firmness: float | None = None,
) -> tuple[Scenario, Perturbation]:
    """Load a scenario (with its inline ``uncertainty:`` section) and build its perturbation.

    An explicit ``uncertainty`` replaces the inline section; ``noise`` replaces any expert noise.
    Red lines and absent vetoes that set no ``firmness`` take ``firmness``, by default the one
    fitted on the case library (:func:`~detente.uncertainty.deal_model.default_firmness`; 0.7
    in the shipped fit: each such line's binding is a Bernoulli column of the design). 1.0 keeps
    them hard (no extra column).
    """
    from .deal_model import default_firmness

    sc, inline = load_scenario_with_uncertainty(scenario)
    if uncertainty is None:
        spec = inline
    elif isinstance(uncertainty, (str, Path)):
        spec = load_uncertainty(uncertainty)
    else:
        spec = load_uncertainty(uncertainty)
    f = default_firmness() if firmness is None else firmness
    return sc, build_perturbation(sc, spec, noise=noise, firmness=f, veto_firmness=f)


def evaluate(
    pert: Perturbation, model: Any, unit: np.ndarray, rng: np.random.Generator | None,
    *, scenario: Scenario | None = None, first_draw: int = 0,
) -> tuple[np.ndarray, ...]:
    """Run ``model`` on the ensemble of a unit design.

    The simulator (a model with ``evaluate_draws``) needs the ``scenario`` (its stages,
    delegations and threats) and ``first_draw``, the global index of the design's first row
    (it sets the strategy combination of each draw).

    Returns
    -------
    outcome : (n, n_issues)
    deal, no_outcome : (n,) bool
    red_block, walk_block : (n, n_actors) bool
    margin : (n,)
        Deal margin (see :func:`~detente.uncertainty.deal.deal_flags`; +1/-1 for the simulator).
    """
    return _evaluate(pert, model, unit, rng, scenario, first_draw)[:6]


def _evaluate(pert, model, unit, rng, scenario, first_draw) -> tuple[Any, ...]:
    """:func:`evaluate` plus the simulator's reason codes per draw (None for other models)."""
    arrays, cred = pert.from_unit(unit)
    if callable(getattr(model, "evaluate_draws", None)):
        if scenario is None:
            raise ModelError("the simulator needs the scenario itself (stages, delegations, threats)")
        if rng is None:
            raise ModelError("the simulator needs a random generator")
        return model.evaluate_draws(scenario, arrays, cred if len(pert.threat_cost) else None, rng, first_draw)
    n = unit.shape[0]
    out = np.asarray(model.forecast_arrays(arrays, rng=rng), dtype=float)
    if out.shape != (n, arrays.n_issues):
        raise ModelError(
            f"model {getattr(model, 'name', '?')!r}: forecast_arrays returned shape {out.shape} "
            f"for a batch of {n} draws; expected {(n, arrays.n_issues)}"
        )
    deal, no_out, red, walk, margin = deal_flags(
        arrays, out, credibility=cred, threat_target=pert.threat_target, threat_cost=pert.threat_cost
    )
    return out, deal, no_out, red, walk, margin, None


@dataclass(frozen=True, slots=True)
class _Common:
    pert: Perturbation
    model: Any
    keep: bool
    scenario: Scenario | None = None
    fused: FusedPlan | None = None  # the fused kernel's plan, when the run takes it
    # local threads only: the run's outcomes (n_issues, n_draws), which the fused tasks fill in
    # place (no per-task arrays to concatenate); never sent to Dask workers
    into: np.ndarray | None = None
    # with ``into``: per thread (by its id), the kept outcomes' counts per bucket of the exact
    # summary's selection grid, which the fused kernel adds up as it goes
    counts: dict[int, np.ndarray] | None = None


@dataclass(frozen=True, slots=True)
class _ChunkOut:
    start: int
    size: int
    outcomes: np.ndarray | None
    hist: np.ndarray | None
    block_sum: np.ndarray  # (n_blocks, n_issues)
    block_sq: np.ndarray
    block_n: np.ndarray  # finite draws per block and issue
    deals: int
    red: np.ndarray
    walk: np.ndarray
    reasons: np.ndarray | None = None  # simulator: runs per end reason (REASONS order)


def _histogram(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    m = x.shape[1]
    fin = np.isfinite(x)
    idx = np.floor((x - lo) / (hi - lo) * HIST_BINS)
    idx = np.clip(np.where(fin, idx, 0), 0, HIST_BINS - 1).astype(np.int64)
    flat = (idx + np.arange(m) * HIST_BINS)[fin]
    return np.bincount(flat, minlength=m * HIST_BINS).reshape(m, HIST_BINS)


def _run_chunk(common: _Common, seeds: Sequence[tuple[int, int, Any]]) -> _ChunkOut:
    # each block's generator is made here, on the worker, not before the tasks start
    blocks = [(start, size, child_generator(child)) for start, size, child in seeds]
    if common.fused is not None:
        counts = None
        if common.counts is not None:  # this thread's own counts: no two threads add to one
            tid = threading.get_ident()
            counts = common.counts.get(tid)
            if counts is None:
                counts = common.counts[tid] = np.zeros((common.fused.n_issues, SUMMARY_BUCKETS),
                                                       dtype=np.int64)
        got = run_blocks(common.fused, blocks, into=common.into, counts=counts)
        return _ChunkOut(start=blocks[0][0], size=sum(b[1] for b in blocks), **got)
    pert, model = common.pert, common.model
    a = pert.base
    outs, sums, sqs, ns = [], [], [], []
    hist = None
    deals = 0
    red = np.zeros(a.n_actors, dtype=np.int64)
    walk = np.zeros(a.n_actors, dtype=np.int64)
    reasons = None
    for start, size, rng in blocks:
        unit = unit_design(rng, size, pert.n_inputs)
        out, deal, _no, r, w, _margin, why = _evaluate(pert, model, unit, rng, common.scenario, start)
        if why is not None:
            from ..simulate.protocols import REASONS

            cnt = np.bincount(why, minlength=len(REASONS))
            reasons = cnt if reasons is None else reasons + cnt
        fin = np.isfinite(out)
        z = np.where(fin, out, 0.0)
        # cumulative sums add draw after draw whatever the shape (a sum over one contiguous axis
        # would add pairwise), the order the fused kernel repeats
        sums.append(np.cumsum(z, axis=0)[-1])
        sqs.append(np.cumsum(z * z, axis=0)[-1])
        ns.append(fin.sum(axis=0))
        deals += int(deal.sum())
        red += r.sum(axis=0)
        walk += w.sum(axis=0)
        if common.keep:
            outs.append(out)
        else:
            h = _histogram(out, a.scale_min, a.scale_max)
            hist = h if hist is None else hist + h
    return _ChunkOut(
        start=blocks[0][0],
        size=sum(b[1] for b in blocks),
        outcomes=np.concatenate(outs) if common.keep else None,
        hist=hist,
        block_sum=np.array(sums),
        block_sq=np.array(sqs),
        block_n=np.array(ns),
        deals=deals,
        red=red,
        walk=walk,
        reasons=reasons,
    )


def _linear_points(n: int, levels: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``np.quantile``'s default (linear) method on n sorted values: the ranks of the two
    order statistics around each level and the interpolation weight between them, computed as
    numpy does: virtual index (n - 1) q, its floor, the next rank (both the last one at or
    beyond it), weight = virtual index - floor."""
    q = np.asarray(levels, dtype=np.float64)
    virtual = (n - 1) * q
    prev = np.floor(virtual)
    gamma = virtual - prev
    lower = prev.astype(np.int64)
    upper = lower + 1
    last = virtual >= n - 1
    lower[last] = n - 1
    upper[last] = n - 1
    return lower, upper, gamma


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's quantile interpolation: a + (b - a) t, or b - (b - a)(1 - t) from t = 1/2 on."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _exact_summary(x: np.ndarray, levels: Sequence[float], threads: int, *, kern: Any = None,
                   lo: Any = None, hi: Any = None, counts: np.ndarray | None = None,
                   finite: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles (len(levels), n_issues) and sd per issue of the kept draws (finite ones).

    The quantiles are ``np.quantile``'s (linear method) to the last bit: the order statistics
    around each level, then numpy's interpolation; the sd is ``np.std``'s. With ``kern`` (the
    compiled module, and the issues' scale bounds ``lo`` and ``hi``) and draws stored issue by
    issue (``x.T`` C-contiguous), its summary does every issue whose draws are all finite
    (:func:`_compiled_summary`; ``counts``: the draws' counts per bucket of the selection grid,
    when the kernel made them, with ``finite``, each issue's number of finite draws); the other
    issues, or all without ``kern``, go one by one
    through np.std and the compiled ``order_statistics`` or ``np.partition``. Every route
    returns the same bits. The work runs on up to ``threads`` threads (the compiled passes and
    numpy's partition and reductions release the GIL): the tail after the last chunk is serial
    work.
    """
    m = x.shape[1]
    qs = np.full((len(levels), m), np.nan)
    sd = np.full(m, np.nan)

    def one(k: int) -> None:
        col = x[:, k]
        fin = np.isfinite(col)
        n = int(np.count_nonzero(fin))
        if n == 0:
            return
        lower, upper, gamma = _linear_points(n, levels)
        ranks = np.unique(np.concatenate([lower, upper]))
        if kern is not None:
            found = np.empty(len(ranks))
            kern.order_statistics(col, ranks, float(lo[k]), float(hi[k]), found)
            col = col if n == len(col) else col[fin]
        else:
            col = col if n == len(col) else col[fin]
            found = np.partition(col, ranks)[ranks]
        pos = {int(r): j for j, r in enumerate(ranks)}
        a = found[[pos[int(r)] for r in lower]]
        b = found[[pos[int(r)] for r in upper]]
        qs[:, k] = _lerp(a, b, gamma)
        sd[k] = float(np.std(col))

    workers = max(1, int(threads))
    pool = ThreadPoolExecutor(workers, thread_name_prefix="detente-summary") if workers > 1 else None
    try:
        rest: list[int] = list(range(m))
        if kern is not None and x.shape[0] > 0 and x.T.flags.c_contiguous:
            rest = []
            for k0 in range(0, m, SUMMARY_ISSUES):  # a bounded number of issues at a time
                k1 = min(m, k0 + SUMMARY_ISSUES)
                left = _compiled_summary(
                    kern, x.T[k0:k1], levels, lo[k0:k1], hi[k0:k1],
                    None if counts is None else counts[k0:k1],
                    None if finite is None else finite[k0:k1], qs[:, k0:k1], sd[k0:k1], pool,
                    workers)
                rest += [k0 + k for k in left]
        if pool is None or len(rest) <= 1:
            for k in rest:
                one(k)
        else:
            list(pool.map(one, rest))
    finally:
        if pool is not None:
            pool.shutdown()
    return qs, sd


def _compiled_summary(kern: Any, xt: np.ndarray, levels: Sequence[float], lo: Any, hi: Any,
                      counts: np.ndarray | None, finite: np.ndarray | None, qs: np.ndarray,
                      sd: np.ndarray, pool: ThreadPoolExecutor | None, workers: int) -> list[int]:
    """The compiled summary (see the ``summary_*`` functions of the kernel module) of the draws
    ``xt`` (n_issues, n_draws), filling ``qs`` and ``sd`` for every issue whose draws are all
    finite; returns the other issues. ``counts`` (n_issues, SUMMARY_BUCKETS): the draws'
    counts per bucket of the grid :func:`~detente.uncertainty.fused.grid_scale`, and
    ``finite``, each issue's finite draws; else both are counted here first.

    Each issue's draws split into the two halves of the pairwise summation's first split (one
    item each), and the items split evenly over the threads: with two threads each pass takes
    half of every issue's work, whatever the number of issues.
    """
    m, n = xt.shape
    lower, upper, gamma = _linear_points(n, levels)
    ranks = np.unique(np.concatenate([lower, upper]))
    nr = len(ranks)
    if nr > np.iinfo(np.int16).max:  # the bucket's slots are int16 (a table in L1 cache)
        return list(range(m))
    if n > kern.PW_BLOCK:
        n2 = n // 2 - (n // 2) % 8
        halves = [(0, n2), (n2, n - n2)]
    else:
        halves = [(0, n)]
    h = len(halves)
    items = np.array([(k, first, size) for k in range(m) for first, size in halves], dtype=np.int64)
    n_items = len(items)
    a0 = np.ascontiguousarray(lo, dtype=np.float64)
    scale = np.ascontiguousarray(grid_scale(lo, hi))
    parts = min(workers, n_items)
    cuts = [n_items * p // parts for p in range(parts + 1)]

    def run(fn: Callable[[int, int], None]) -> None:
        if pool is None or parts == 1:
            fn(0, n_items)
        else:
            list(pool.map(fn, cuts[:-1], cuts[1:]))

    if counts is None or finite is None:
        per_item = np.empty((n_items, SUMMARY_BUCKETS), dtype=np.int64)
        bad = np.empty(n_items, dtype=np.int64)
        run(lambda a, b: kern.summary_count(xt, items[a:b], a0, scale, per_item[a:b], bad[a:b]))
        counts = per_item.reshape(m, h, SUMMARY_BUCKETS).sum(axis=1)
        finite = n - bad.reshape(m, h).sum(axis=1)
    done = [k for k in range(m) if finite[k] == n]  # the issues without NaN draws
    rest = [k for k in range(m) if finite[k] != n]
    if not done:
        return rest
    slot = np.full((m, SUMMARY_BUCKETS), -1, dtype=np.int16)
    seg = np.zeros((m, nr, 4), dtype=np.int64)
    start = np.zeros((n_items, nr), dtype=np.int64)  # where item t gathers wanted bucket s
    base = 0
    for k in done:
        nw = kern.summary_select(counts[k], ranks, slot[k], seg[k])
        offsets = np.zeros(nr, dtype=np.int64)
        size = np.zeros(nr, dtype=np.int64)
        offsets[seg[k, :, 0]], size[seg[k, :, 0]] = seg[k, :, 1], seg[k, :, 2]
        for i in range(h):  # each item has room for all of a wanted bucket's values
            start[k * h + i, :nw] = base + offsets[:nw]
            base += int(size[:nw].sum())
    vals = np.empty(base)
    pos = start.copy()
    sums = np.zeros(n_items)
    run(lambda a, b: kern.summary_pass1(xt, items[a:b], a0, scale, slot, pos[a:b], vals, sums[a:b]))
    mean = np.zeros(m)
    for k in done:
        mean[k] = _reduced(sums, k, h) / n
    sq = np.zeros(n_items)
    run(lambda a, b: kern.summary_pass2(xt, items[a:b], mean, sq[a:b]))
    at = {int(r): j for j, r in enumerate(ranks)}
    il, iu = [at[int(r)] for r in lower], [at[int(r)] for r in upper]
    found = np.empty(nr)
    for k in done:
        got = (pos[k * h:(k + 1) * h] - start[k * h:(k + 1) * h]).sum(axis=0)
        if not np.array_equal(got[seg[k, :, 0]], seg[k, :, 2]):  # never: the same buckets counted
            raise RuntimeError(f"exact summary: the draws of issue {k} changed between passes")
        sd[k] = math.sqrt(_reduced(sq, k, h) / n)  # np.std: the mean square, its root
        kern.summary_finish(vals, seg[k], start[k * h:(k + 1) * h], pos[k * h:(k + 1) * h], found)
        qs[:, k] = _lerp(found[il], found[iu], gamma)
    return rest


def _reduced(part: np.ndarray, k: int, h: int) -> float:
    """Issue k's sum as numpy's add.reduce makes it from its h items' pairwise sums: 0.0 plus
    the pairwise sum, whose first split adds the two halves."""
    return 0.0 + (part[2 * k] + part[2 * k + 1]) if h == 2 else 0.0 + part[k]


def _hist_quantiles(hist: np.ndarray, levels: Sequence[float], lo, hi) -> np.ndarray:
    m = hist.shape[0]
    out = np.full((len(levels), m), np.nan)
    width = (hi - lo) / HIST_BINS
    for k in range(m):
        cum = np.cumsum(hist[k])
        total = cum[-1]
        if total == 0:
            continue
        for j, q in enumerate(levels):
            target = q * total
            b = int(np.searchsorted(cum, target, side="left"))
            b = min(b, HIST_BINS - 1)
            before = cum[b - 1] if b > 0 else 0
            frac = (target - before) / hist[k, b] if hist[k, b] else 0.0
            out[j, k] = lo[k] + (b + min(max(frac, 0.0), 1.0)) * width[k]
    return out


def _blocks_per_task(chunk: int, n_blocks: int, be: Any) -> int:
    """Seed blocks per task: ``chunk`` draws' worth, but on local threads no more than gives
    each thread four tasks. 100,000 draws in chunks of 65,536 would otherwise run as one task
    of 65,536 and one of 34,464, and two threads would take 1.3 times as long as needed."""
    per = -(-chunk // SEED_BLOCK)
    if isinstance(be, LocalBackend) and be.workers > 1:
        per = min(per, max(1, -(-n_blocks // (4 * be.workers))))
    return per


def _task_sizes(per: int, n_blocks: int, be: Any) -> list[int]:
    """Seed blocks of each task, in order: ``per`` each, but on local threads the last tasks
    shrink (each at most a 2 x workers-th of the blocks left, down to one block), so that the
    threads finish together instead of one waiting for the other's last whole chunk."""
    sizes = []
    left = n_blocks
    split = 2 * be.workers if isinstance(be, LocalBackend) and be.workers > 1 else 1
    while left > 0:
        size = min(per, left, max(1, -(-left // split)) if split > 1 else per)
        sizes.append(size)
        left -= size
    return sizes


def monte_carlo_cost(model: Any, n_actors: int, n_issues: int, draws: int,
                     chunk_size: int = DEFAULT_CHUNK, *, keep_draws: bool | None = None,
                     workers: int = 1) -> Cost:
    """Memory and time of :func:`monte_carlo`, before it starts.

    A task holds one chunk of draws (``chunk_size`` rounded up to whole seed blocks): the
    perturbed inputs (about 6 arrays of draws x actors x issues) and the model's own arrays for
    that batch (``model.cost(n_actors, n_issues, chunk)``); ``workers`` tasks run at once. The
    time is the model's for all the draws plus the perturbation (0.1 us per cell).
    Kept draws add 8 bytes x draws x issues, and the exact summary's bucket counts (128 KB an
    issue, up to 64 issues, per thread and twice more).
    """
    n_draws = _check_int(draws, "draws")
    chunk = min(n_draws, -(-_check_int(chunk_size, "chunk_size") // SEED_BLOCK) * SEED_BLOCK)
    keep = (n_draws * n_issues <= KEEP_LIMIT) if keep_draws is None else bool(keep_draws)
    per_task = model.cost(n_actors, n_issues, chunk)
    cells = float(chunk) * n_actors * n_issues
    mem = workers * (per_task.bytes + 48.0 * cells) + 8.0 * HIST_BINS * n_issues
    if keep:  # the draws, and the exact summary's bucket counts (per thread, then per half issue)
        mem += 8.0 * n_draws * n_issues
        mem += 8.0 * SUMMARY_BUCKETS * min(n_issues, SUMMARY_ISSUES) * (workers + 2)
    secs = model.cost(n_actors, n_issues, n_draws).seconds + 1e-7 * float(n_draws) * n_actors * n_issues
    return Cost("Monte Carlo", mem, secs,
                {**dict(per_task.sizes), "model": getattr(model, "name", str(model)), "draws": n_draws,
                 "chunk_size": chunk},
                "fewer draws or a smaller chunk_size, " + (per_task.advice or "a smaller scenario"))


def _check_int(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or int(v) <= 0:
        raise ScenarioError(f"must be a positive integer (got {v!r})", field=name)
    return int(v)


def _summarise(sums: list, outcomes: list, hist: Any, keep: bool, levels: tuple[float, ...],
               a: Any, be: Any, fused: bool = False, counts: np.ndarray | None = None) -> tuple:
    """Mean, sd, quantiles (exact from kept draws, else from the merged histograms), the
    quantile method, the draws (or None) and each issue's count of draws with an outcome.
    ``counts``: the kept draws' counts per bucket of the summary's grid, when the fused
    kernel made them."""
    block_sum = np.concatenate([c[0] for c in sums])
    block_sq = np.concatenate([c[1] for c in sums])
    count = np.concatenate([c[2] for c in sums]).sum(axis=0)
    # fsum: correctly rounded, so the mean does not depend on how blocks were grouped
    tot = np.array([math.fsum(block_sum[:, k]) for k in range(a.n_issues)])
    tot2 = np.array([math.fsum(block_sq[:, k]) for k in range(a.n_issues)])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, tot / np.maximum(count, 1), np.nan)
    if keep:
        draws_arr = outcomes[0] if len(outcomes) == 1 else np.concatenate(outcomes)
        outcomes.clear()
        kern = None
        if fused:  # the compiled module is loaded: its summary (the same numbers)
            import importlib

            kern = importlib.import_module(KERNEL_MODULE)
        qs, sd = _exact_summary(draws_arr, levels, getattr(be, "workers", min(4, os.cpu_count() or 1)),
                                kern=kern, lo=a.scale_min, hi=a.scale_max, counts=counts,
                                finite=count)
        return mean, sd, qs, "exact", draws_arr, count
    qs = _hist_quantiles(hist, levels, a.scale_min, a.scale_max)
    with np.errstate(invalid="ignore"):
        var = np.maximum(tot2 / np.maximum(count, 1) - mean * mean, 0.0)
    sd = np.where(count > 0, np.sqrt(var), np.nan)
    return mean, sd, qs, "histogram", None, count


def _notes_and_endings(m: Any, keep: bool, n_inputs: int, reasons: Any, n_draws: int
                       ) -> tuple[list[str], tuple[tuple[str, float], ...]]:
    """A run's notes, and for the simulator the share of runs per way of ending."""
    notes: list[str] = []
    if not keep:
        notes.append(f"quantiles from {HIST_BINS}-bin histograms per issue (draws not kept)")
    if n_inputs == 0:
        notes.append("no uncertain inputs: every draw is the same scenario")
    end_reasons: tuple[tuple[str, float], ...] = ()
    if isinstance(m, SimulatorModel):
        from ..simulate.protocols import REASONS

        cnt = reasons if reasons is not None else np.zeros(len(REASONS), dtype=np.int64)
        end_reasons = tuple((name, int(c) / n_draws) for name, c in zip(REASONS, cnt, strict=True))
        notes.append(f"simulator: {m.describe()}; a deal is a run that reaches an agreement; "
                     "red_line_block = vetoed by the actor, walk_away_block = the actor walked away")
    return notes, end_reasons


def monte_carlo(
    scenario: Scenario | str | Path | dict,
    model: Any = "weighted_median",
    *,
    draws: int = 10_000,
    seed: int | np.random.SeedSequence | None = None,
    uncertainty: UncertaintySpec | dict | str | Path | None = None,
    noise: NoiseSpec | dict | None = None,
    backend: str | LocalBackend | DaskBackend = "local",
    scheduler: str | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int | None = None,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    keep_draws: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    simulator: dict[str, Any] | None = None,
    engine: str = "auto",
    firmness: float | None = None,
) -> MonteCarloResult | MonteCarloResults:
    """Forecast distribution and deal probability over uncertain inputs.

    Parameters
    ----------
    scenario : Scenario, built-in name, file or dict
        A file may carry an inline ``uncertainty:`` section.
    model : str, model instance, or a list of them
        Any registered model (its ``forecast_arrays`` is called once per seed block), or
        ``"simulator"`` / a :class:`~detente.uncertainty.simulator.SimulatorModel`: every draw
        is negotiated by :func:`detente.simulate.simulate` (per-run scenarios); the outcome is
        the agreement (NaN without one) and the deal probability the share of draws that reach
        an agreement (no deadline, walk-away or veto).
    draws : int
        Number of draws (> 0).
    seed : int, SeedSequence or None
        None draws fresh entropy; the result records it (``seed_entropy``).
    uncertainty : UncertaintySpec, dict or file, optional
        Replaces the scenario's inline section.
    noise : NoiseSpec or dict, optional
        Expert noise, e.g. ``{"position": 10, "salience": 0.2}``.
    backend : "local", "dask" or a backend instance
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask scheduler (with ``backend="dask"``).
    chunk_size : int
        Most draws per task, rounded up to whole seed blocks of 4096; bounds the memory per
        task. The local backend uses smaller tasks when that gives each thread at least four,
        and its last tasks shrink down to one seed block, so that no thread waits for another's
        last task (the numbers never depend on the split).
    workers : int, optional
        Threads of the local backend.
    quantiles : sequence of float in [0, 1]
    keep_draws : bool, optional
        Keep every draw's outcome (exact quantiles, ``to_frame("draws")``). Default: when
        ``draws * n_issues <= 20e6``.
    progress : callable(done, total), optional
        Called after each chunk with the draws done so far.
    simulator : dict, optional
        Options of the simulator model (``protocol``, ``strategies``, ``steps``, ``levels``,
        ``walk_away``, ...; see :class:`~detente.uncertainty.simulator.SimulatorModel`), with
        ``model="simulator"``.
    engine : {"auto", "numba", "numpy"}
        Compute engine (:func:`detente.backends.resolve`): ``"numba"`` runs the fused kernel
        where it applies (the weighted mean and median; see :mod:`detente.uncertainty.fused`),
        ``"numpy"`` never compiles, ``"auto"`` takes numba from 250,000 draws in a fresh
        process and from 1,000 once numba is loaded (:func:`_fused_runs`). The numbers are the
        same bit for bit; only the time differs.

    firmness : float in [0, 1], optional
        Probability that a red line (and an absent veto holder's consent) without a
        ``firmness`` of its own binds in a draw. None: the value fitted on the case library
        (:func:`~detente.uncertainty.deal_model.default_firmness`); 1.0: hard red lines.

    Returns
    -------
    MonteCarloResult, or MonteCarloResults when ``model`` is a list
        A list of models (``["weighted_mean", "nash"]``) gives one result per model in a
        :class:`~detente.uncertainty.result.MonteCarloResults`; every model sees the same draws
        (one seed for all), so their differences are the models', not the sampling's.

    Raises
    ------
    ScenarioError
        For draws/chunk_size <= 0, an empty or repeated model list, bad quantiles, bad uncertainty input, an unknown backend
        or engine, or an unreachable scheduler, all before any draw is made.
    MissingExtraError
        For ``engine="numba"`` without numba.
    """
    if isinstance(model, (list, tuple)):
        return _monte_carlo_models(scenario, model, draws=draws, seed=seed, uncertainty=uncertainty,
                                   noise=noise, backend=backend, scheduler=scheduler,
                                   chunk_size=chunk_size, workers=workers, quantiles=quantiles,
                                   keep_draws=keep_draws, progress=progress, simulator=simulator,
                                   engine=engine, firmness=firmness)
    n_draws, chunk, levels = _check_run(engine, draws, chunk_size, quantiles)
    ss = as_seed_sequence(seed)
    m = resolve_model(model, simulator)
    sc, pert = prepare(scenario, uncertainty, noise, firmness=firmness)
    be = get_backend(backend, scheduler=scheduler, workers=workers)
    a = pert.base
    keep = (n_draws * a.n_issues <= KEEP_LIMIT) if keep_draws is None else bool(keep_draws)

    # a SeedSequence of our own (from an int or None): its children made in the tasks
    blocks = chunk_seeds(ss, n_draws, SEED_BLOCK, private=ss is not seed)
    per = _blocks_per_task(chunk, len(blocks), be)
    ends = np.cumsum(_task_sizes(per, len(blocks), be)).tolist()
    tasks = [blocks[k:e] for k, e in zip([0, *ends[:-1]], ends, strict=True)]
    sim = isinstance(m, SimulatorModel)
    plan = None if sim else fused_plan(pert, m, keep=keep)
    if plan is not None and kernel(engine, KERNEL_MODULE, what="engine", n_runs=_fused_runs(n_draws)) is None:
        plan = None  # the numpy engine: the general path (same numbers)
    # issue by issue: the summary then reads each issue's draws contiguously
    into = (np.empty((a.n_issues, n_draws)) if plan is not None and keep
            and isinstance(be, LocalBackend) else None)
    # the kernel counts the kept draws per bucket of the summary's grid (per thread), up to
    # SUMMARY_ISSUES issues; beyond, the summary counts them itself
    counts: dict[int, np.ndarray] | None = (
        {} if into is not None and a.n_issues <= SUMMARY_ISSUES else None)
    agg = _Stream(len(tasks), keep and into is None, n_draws, progress)
    with be:
        be.map(_run_chunk, tasks,
               common=_Common(pert, m, keep, sc if sim else None, plan, into, counts),
               on_done=agg.on_done, keep=False)
    outcomes = agg.outcomes
    if into is not None:
        into.setflags(write=False)  # read-only throughout: the result keeps it without a copy
        outcomes = [into.T]  # (n_draws, n_issues), in Fortran order

    grid = np.add.reduce(list(counts.values())) if counts else None  # the threads' counts
    mean, sd, qs, method, draws_arr, count = _summarise(agg.sums, outcomes, agg.hist, keep, levels,
                                                        a, be, plan is not None, grid)
    notes, end_reasons = _notes_and_endings(m, keep, pert.n_inputs, agg.reasons, n_draws)
    deals, red, walk = agg.deals, agg.red, agg.walk
    return MonteCarloResult(
        model=m.name,
        scenario=sc.name,
        issues=a.issues,
        actors=a.actors,
        inputs=pert.names,
        n_draws=n_draws,
        seed_entropy=seed_entropy(ss),
        backend=be.name,
        chunk_size=per * SEED_BLOCK,
        quantile_levels=levels,
        quantiles=qs,
        quantile_method=method,
        mean=mean,
        sd=sd,
        no_outcome_share=1.0 - count / n_draws,
        deal_probability=deals / n_draws,
        red_line_block=red / n_draws,
        walk_away_block=walk / n_draws,
        draws=draws_arr,
        notes=tuple(notes),
        end_reasons=end_reasons,
    )


def _check_run(engine: str, draws: Any, chunk_size: Any,
               quantiles: Sequence[float]) -> tuple[int, int, tuple[float, ...]]:
    """The run's draws, chunk size and quantile levels, checked before anything is drawn."""
    if engine not in BACKENDS:
        raise ScenarioError(f"must be one of {', '.join(BACKENDS)} (got {engine!r})", field="engine")
    levels = tuple(float(q) for q in quantiles)
    if not levels or any(not 0.0 <= q <= 1.0 for q in levels):
        raise ScenarioError(f"quantile levels must lie in [0, 1] (got {list(quantiles)})",
                            field="quantiles")
    return _check_int(draws, "draws"), _check_int(chunk_size, "chunk_size"), levels


class _Stream:
    """Streaming aggregation of the chunks' results: per-block sums (tiny) always, the outcomes
    only when kept by chunk, else histograms; integer counts and histograms add up in any
    order, so the order in which chunks arrive never matters."""

    def __init__(self, n_tasks: int, keep_outcomes: bool, n_draws: int,
                 progress: Callable[[int, int], None] | None) -> None:
        self.sums: list = [None] * n_tasks
        self.outcomes: list = [None] * n_tasks
        self.keep_outcomes, self.n_draws, self.progress = keep_outcomes, n_draws, progress
        self.hist: np.ndarray | None = None
        self.reasons: np.ndarray | None = None
        self.deals, self.done = 0, 0
        self.red: Any = 0  # per-actor counts once the first chunk arrives
        self.walk: Any = 0

    def on_done(self, k: int, res: _ChunkOut) -> None:
        self.sums[k] = (res.block_sum, res.block_sq, res.block_n)
        if self.keep_outcomes:
            self.outcomes[k] = res.outcomes
        else:
            self.hist = res.hist if self.hist is None else self.hist + res.hist
        self.deals += res.deals
        self.red = self.red + res.red
        self.walk = self.walk + res.walk
        if res.reasons is not None:
            self.reasons = res.reasons if self.reasons is None else self.reasons + res.reasons
        self.done += res.size
        if self.progress is not None:
            self.progress(self.done, self.n_draws)


def _monte_carlo_models(scenario: Any, models: Sequence[Any], *, seed: Any, progress: Any,
                        **kw: Any) -> MonteCarloResults:
    """:func:`monte_carlo` of each model with the same seed (hence the same draws)."""
    if not models:
        raise ScenarioError("give at least one model", field="model")
    resolved = [resolve_model(m, kw.get("simulator") if _is_simulator(m) else None) for m in models]
    names = [m.name for m in resolved]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScenarioError(f"each model may be given once (repeated: {', '.join(dup)})", field="model")
    ss = as_seed_sequence(seed)
    done = [0]
    total = _check_int(kw["draws"], "draws") * len(resolved)

    def step(d: int, _n: int) -> None:  # one progress bar over every model
        if progress is not None:
            progress(done[0] + d, total)

    opts = {k: v for k, v in kw.items() if k not in ("simulator", "backend", "scheduler", "workers")}
    be = get_backend(kw["backend"], scheduler=kw["scheduler"], workers=kw["workers"])
    out = []
    with be:  # one backend (one Dask cluster) for every model
        for m in resolved:
            # a fresh copy per model: spawning children advances a SeedSequence
            same = np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key, pool_size=ss.pool_size,
                                          n_children_spawned=ss.n_children_spawned)
            res = monte_carlo(scenario, m, seed=same, progress=step, backend=be, **opts)
            assert isinstance(res, MonteCarloResult)  # one model in, one result out
            out.append(res)
            done[0] += res.n_draws
    return MonteCarloResults(tuple(out))


def _is_simulator(m: Any) -> bool:
    return isinstance(m, str) and m.strip().lower() in SIMULATOR_NAMES
