"""The fused Monte Carlo path: when it applies, and the flat plan its compiled kernel reads.

:func:`fused_plan` says whether a run can take the fused kernel
(:func:`detente.uncertainty._kernel.monte_carlo_blocks`) and lays the scenario out for it; the
caller (``montecarlo.monte_carlo``) takes it only when :mod:`detente.backends` resolves the run
to numba. It applies to the weighted mean and the weighted median (their ``forecast_arrays``)
with inputs that are truncated normals, uniforms, triangulars or discrete lists (soft red lines
and vetoes included); anything else (a beta input, another model, the simulator) runs on the
general path. Both paths give the same numbers bit for bit, so the choice is speed only.

:func:`run_blocks` runs a task's seed blocks through the kernel and returns what the general
path's chunk runner returns. Each block reads the raw words of its own generator
(:func:`detente.rng.raw_words`), as the general path's :func:`detente.rng.unit_design` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..models.weighted_mean import WeightedMean
from ..models.weighted_median import THRESHOLD, WeightedMedian
from ..rng import pcg64_state
from .distributions import Discrete, Triangular, TruncNormal, Uniform
from .perturb import _ARRAY_OF, Perturbation

__all__ = ["KERNEL_MODULE", "SUMMARY_BUCKETS", "FusedPlan", "fused_plan", "grid_scale", "run_blocks"]

#: the compiled module, as :func:`detente.backends.kernel` is asked for it
KERNEL_MODULE = "detente.uncertainty._kernel"

#: histogram bins per issue (montecarlo.HIST_BINS; the kernel has the same constant)
HIST_BINS = 16384
#: buckets of the exact summary's selection grid over each issue's scale (the kernel counts the
#: kept outcomes per bucket; the summary gathers the draws of the buckets that hold a quantile)
SUMMARY_BUCKETS = 16384


def grid_scale(lo: Any, hi: Any) -> np.ndarray:
    """The scale of each issue's selection grid over [lo, hi] (value x is in bucket
    floor((x - lo) * scale), clipped to the grid): SUMMARY_BUCKETS / (hi - lo), or 0 (every value
    in bucket 0) for an empty or unbounded scale. The kernel and the summary both take it
    from here, so they put every value in the same bucket."""
    span = np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((span > 0) & np.isfinite(span), SUMMARY_BUCKETS / span, 0.0)

# the order of the scenario's arrays in the flat state (the kernel's L_* offsets)
_STATE = ("position", "salience", "power", "red_low", "red_high", "walk_utility", "walk_position",
          "red_binds", "veto_binds", "credibility")
_KINDS = {TruncNormal: 0, Uniform: 1, Triangular: 2, Discrete: 3}


@dataclass(frozen=True, slots=True)
class FusedPlan:
    """A scenario and its uncertain inputs as the flat arrays of the fused kernel (see
    :func:`detente.uncertainty._kernel.monte_carlo_blocks` for their layout)."""

    model: str
    keep: bool
    n_inputs: int
    n_actors: int
    n_issues: int
    coli: np.ndarray
    colf: np.ndarray
    dtab: np.ndarray
    lay: np.ndarray
    state: np.ndarray
    sf: np.ndarray
    actors: np.ndarray
    cells: np.ndarray
    threats: np.ndarray
    half: float


def fused_plan(pert: Perturbation, model: Any, *, keep: bool) -> FusedPlan | None:
    """The kernel's plan for ``model`` on ``pert``, or None when the fused path does not apply.

    Parameters
    ----------
    pert : Perturbation
    model : a model instance
        Only :class:`~detente.models.weighted_mean.WeightedMean` and
        :class:`~detente.models.weighted_median.WeightedMedian` themselves (not subclasses,
        which may change ``forecast_arrays``).
    keep : bool
        Whether the run keeps every draw's outcome (else it fills histograms).
    """
    if type(model) is WeightedMean:
        model_id = 0
    elif type(model) is WeightedMedian:
        model_id = 1
    else:
        return None
    if any(type(inp.dist) not in _KINDS for inp in pert.inputs):
        return None
    a = pert.base
    n_act, m = a.n_actors, a.n_issues
    ones_am, ones_a = np.ones((n_act, m)), np.ones(n_act)
    parts = {
        "position": a.filled_position(), "salience": a.salience, "power": a.power,
        "red_low": a.red_low, "red_high": a.red_high, "walk_utility": a.walk_utility,
        "walk_position": a.walk_position, "red_binds": ones_am, "veto_binds": ones_a,
        "credibility": pert.threat_credibility,
    }
    offsets: dict[str, int] = {}
    flat = []
    at = 0
    for name in _STATE:
        arr = np.asarray(parts[name], dtype=np.float64)
        offsets[name] = at
        flat.append(arr.reshape(-1))
        at += arr.size
    state = np.concatenate(flat) if flat else np.zeros(0)

    J = pert.n_inputs
    coli = np.zeros((J, 3), dtype=np.int64)
    colf = np.zeros((J, 12))
    k_max = max([len(inp.dist.values) for inp in pert.inputs if isinstance(inp.dist, Discrete)],
                default=1)
    dtab = np.zeros((J, 2, k_max))
    if pert._normal:
        cols, _full, c0, c1, mean, scale, low, high = pert._normal
        colf[cols, 0], colf[cols, 1], colf[cols, 2] = c0, c1, mean
        colf[cols, 3], colf[cols, 4], colf[cols, 5] = scale, low, high
    for j, inp in enumerate(pert.inputs):
        d = inp.dist
        attr = "credibility" if inp.target == "credibility" else _ARRAY_OF[inp.target]
        shape = np.shape(parts[attr])
        coli[j, 0] = _KINDS[type(d)]
        coli[j, 1] = offsets[attr] + int(np.ravel_multi_index(inp.index, shape))
        if isinstance(d, Uniform):
            colf[j, 6:8] = d.low, d.high - d.low  # Uniform.ppf: low + u * (high - low)
        elif isinstance(d, Triangular):
            w = d.high - d.low  # Triangular.ppf's numbers, computed the same way
            colf[j, 6:12] = d.low, d.high, w, d.mode - d.low, d.high - d.mode, (d.mode - d.low) / w
        elif isinstance(d, Discrete):
            wts = np.asarray(d.weights, dtype=float)
            cum = np.cumsum(wts) / wts.sum()  # Discrete.ppf's table
            coli[j, 2] = len(cum)
            dtab[j, 0, : len(cum)] = cum
            dtab[j, 1, : len(cum)] = d.values

    width = a.scale_max - a.scale_min
    sf = np.array([a.scale_min, a.scale_max, width, 1.0 / width, a.status_quo,
                   grid_scale(a.scale_min, a.scale_max)], dtype=np.float64)
    has_pos = (~np.isnan(a.walk_position)).any(axis=-1)
    actors = np.array([a.present, has_pos], dtype=np.int64).reshape(2, n_act)
    binding = (a.present | a.veto)[:, None] & a.has_red_line
    cells = np.argwhere(binding).astype(np.int64).reshape(-1, 2)
    threats = np.array([pert.threat_target, pert.threat_cost], dtype=np.float64).T.reshape(-1, 2)
    lay = np.array([offsets[n] for n in _STATE] + [model_id, int(keep), int(has_pos.any())],
                   dtype=np.int64)
    return FusedPlan(model=model.name, keep=bool(keep), n_inputs=J, n_actors=n_act, n_issues=m,
                     coli=coli, colf=np.ascontiguousarray(colf), dtab=dtab, lay=lay,
                     state=state, sf=np.ascontiguousarray(sf), actors=actors,
                     cells=np.ascontiguousarray(cells), threats=np.ascontiguousarray(threats),
                     half=float(THRESHOLD))


_MASK64 = 0xFFFFFFFFFFFFFFFF


def _generator_state(rng: np.random.Generator, n_draws: int, n_inputs: int) -> tuple[int, ...]:
    """What the kernel needs to make a block's raw words itself: its generator's PCG64 state
    and increment (high and low words each); ``rng`` moves on past the block's words, as after
    :func:`detente.rng.raw_words`."""
    state, inc = pcg64_state(rng, -(-(n_draws * n_inputs) // 2))
    return state >> 64, state & _MASK64, inc >> 64, inc & _MASK64


def run_blocks(plan: FusedPlan, blocks: Any, *, into: np.ndarray | None = None,
               counts: np.ndarray | None = None) -> dict[str, Any]:
    """Run a task's seed blocks ``[(start, size, Generator), ...]`` through the kernel.

    ``into``: the run's outcomes, (n_issues, n_draws) issue by issue (local threads), written
    in place at the blocks' columns instead of returning the task's outcomes. ``counts``
    (n_issues, SUMMARY_BUCKETS) int64, with kept outcomes: added to, the outcomes per bucket of
    the selection grid (:func:`grid_scale`; NaN in bucket 0), for the exact summary.

    Returns
    -------
    dict
        ``outcomes`` ((draws, n_issues); None when not kept or written ``into``),
        ``hist`` ((n_issues, HIST_BINS) or None),
        per block ``block_sum``, ``block_sq``, ``block_n`` (n_blocks, n_issues), ``deals``,
        ``red`` and ``walk`` (per actor): the numbers of the general path's chunk runner.
    """
    import importlib

    kern = importlib.import_module(KERNEL_MODULE)
    n_act, m = plan.n_actors, plan.n_issues
    total = sum(b[1] for b in blocks)
    first = blocks[0][0]
    # issue by issue (m, draws), handed to the kernel flat with the row stride and the first
    # column: one array type whether or not the kernel writes into the run's array
    if not plan.keep:
        outcomes = None
        flat, stride, col0 = np.empty(0), 0, 0
    elif into is not None:
        outcomes = into
        flat, stride, col0 = into.reshape(-1), into.shape[1], first  # blocks of a task are consecutive
    else:
        outcomes = np.empty((m, total))
        flat, stride, col0 = outcomes.reshape(-1), total, 0
    if not plan.keep:
        hist = np.zeros((m, HIST_BINS), dtype=np.int64)
    else:  # the selection grid's counts, or nothing to count
        hist = counts if counts is not None else np.zeros((1, 1), dtype=np.int64)
    nb = len(blocks)
    acc = np.empty((nb, 2, m))
    cnt = np.zeros((nb, 2 * n_act + m), dtype=np.int64)
    sizes = np.array([b[1] for b in blocks], dtype=np.int64)
    firsts = col0 + np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.int64)
    st = np.array([_generator_state(rng, size, plan.n_inputs) for _start, size, rng in blocks],
                  dtype=np.uint64).reshape(nb, 4)
    deals = int(kern.monte_carlo_blocks(
        st, sizes, firsts, kern.lane_jumps(plan.n_inputs), plan.coli, plan.colf, plan.dtab,
        plan.lay, plan.state, plan.sf, plan.actors, plan.cells, plan.threats, plan.half, flat,
        stride, hist, acc, cnt))
    return {
        "outcomes": outcomes.T if outcomes is not None and into is None else None,
        "hist": hist if not plan.keep else None,
        "block_sum": acc[:, 0, :].copy(),
        "block_sq": acc[:, 1, :].copy(),
        "block_n": cnt[:, 2 * n_act:].copy(),
        "deals": deals,
        "red": cnt[:, :n_act].sum(axis=0),
        "walk": cnt[:, n_act:2 * n_act].sum(axis=0),
    }
