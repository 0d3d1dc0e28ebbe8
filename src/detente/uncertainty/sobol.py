"""Which uncertain input moves the forecast: Sobol indices and Morris screening via SALib.

The sampling path is the Monte Carlo one: SALib draws a design on the unit cube (a scrambled
Sobol' sequence in Saltelli's cross-sampling scheme, or Morris trajectories), each column goes
through its input's inverse CDF (:meth:`Perturbation.values`), the batched model runs on the
ensemble, and SALib's analyzers estimate the indices with bootstrap confidence intervals.

Outputs: every issue's outcome, ``deal`` (1 for a deal, 0 otherwise; its mean is the deal
probability) and ``deal_margin`` (the smallest slack over the deal conditions, see
:mod:`detente.uncertainty.deal`; informative when the deal indicator hardly varies).

References
----------
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. & Tarantola, S. (2010).
Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index. Computer Physics Communications 181(2), 259-270.
doi:10.1016/j.cpc.2009.09.018

Herman, J. & Usher, W. (2017). SALib: An open-source Python library for sensitivity analysis.
Journal of Open Source Software 2(9), 97. doi:10.21105/joss.00097

Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33(2), 161-174. doi:10.1080/00401706.1991.10484804
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..cost import Cost
from ..errors import MissingExtraError, ScenarioError
from ..rng import as_seed_sequence, chunk_generators, seed_entropy
from ..scenario.schema import Scenario
from .backends import DaskBackend, LocalBackend, get_backend
from .distributions import Distribution
from .montecarlo import SEED_BLOCK, evaluate, prepare, resolve_model
from .perturb import Perturbation
from .result import DEAL, SensitivityResult
from .spec import NoiseSpec, UncertaintySpec

__all__ = ["DEAL_MARGIN", "InputSet", "sensitivity", "sensitivity_cost", "sobol_indices"]

DEAL_MARGIN = "deal_margin"
#: Morris levels are mapped into [q, 1 - q] of each input's distribution (q = 1 %), so inputs
#: with unbounded support never hit an infinite quantile
MORRIS_TAIL = 0.01
_U_MAX = float(np.nextafter(1.0, 0.0))


@dataclass(frozen=True, slots=True)
class InputSet:
    """Named inputs with distributions, for functions that are not scenarios (e.g. test
    functions). ``values(U)`` applies each input's inverse CDF column by column."""

    names: tuple[str, ...]
    dists: tuple[Distribution, ...]

    @property
    def n_inputs(self) -> int:
        return len(self.names)

    def values(self, unit: np.ndarray) -> np.ndarray:
        return np.column_stack([d.ppf(unit[:, j]) for j, d in enumerate(self.dists)])


def _salib():
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise MissingExtraError("SALib", "sensitivity") from None
    return sobol_sample, sobol_analyze, morris_sample, morris_analyze


def _salib_seed(ss: np.random.SeedSequence, k: int) -> int:
    # SALib tests `if seed:`, so 0 would mean unseeded; keep seeds in [1, 2**31)
    return int(ss.generate_state(k + 1)[k] % (2**31 - 1)) + 1


def _check(samples: Any, method: str, conf_level: Any, num_resamples: Any, num_levels: Any) -> None:
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or samples < 2:
        raise ScenarioError(f"must be an integer >= 2 (got {samples!r})", field="samples")
    if method not in ("sobol", "morris"):
        raise ScenarioError(f"{method!r} is not one of sobol, morris", field="method")
    if not isinstance(conf_level, numbers.Real) or not 0 < float(conf_level) < 1:
        raise ScenarioError(f"must lie in (0, 1) (got {conf_level!r})", field="conf_level")
    if isinstance(num_resamples, bool) or not isinstance(num_resamples, numbers.Integral) or num_resamples < 1:
        raise ScenarioError(f"must be a positive integer (got {num_resamples!r})", field="num_resamples")
    if isinstance(num_levels, bool) or not isinstance(num_levels, numbers.Integral) or num_levels < 2 \
            or num_levels % 2:
        raise ScenarioError(f"must be an even integer >= 2 (got {num_levels!r})", field="num_levels")


def _design(method, problem, samples, second_order, num_levels, ss):
    sobol_sample, _, morris_sample, _ = _salib()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns on N not a power of 2; documented instead
        if method == "sobol":
            u = sobol_sample.sample(problem, samples, calc_second_order=second_order,
                                    scramble=True, seed=_salib_seed(ss, 0))
        else:
            u = morris_sample.sample(problem, samples, num_levels=num_levels,
                                     seed=_salib_seed(ss, 0))
    return np.clip(np.asarray(u, dtype=float), 0.0, _U_MAX)


def sobol_indices(
    inputs: InputSet | Perturbation,
    func: Callable[[np.ndarray], Mapping[str, np.ndarray]],
    *,
    samples: int = 1024,
    method: str = "sobol",
    second_order: bool = False,
    seed: int | np.random.SeedSequence | None = None,
    groups: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 100,
    num_levels: int = 4,
    evaluate_unit: Callable[[np.ndarray], Mapping[str, np.ndarray]] | None = None,
    labels: tuple[str, str] = ("", ""),
) -> SensitivityResult:
    """Sobol (or Morris) indices of any vectorised function of uncertain inputs.

    Parameters
    ----------
    inputs : InputSet or Perturbation
        Names and inverse CDFs (``values(U)``).
    func : callable
        ``func(X) -> {output: (n,)}`` on input values X (n, n_inputs). Ignored when
        ``evaluate_unit`` is given (which receives the unit design itself).
    samples : int
        Sobol: base sample N (a power of 2 is best); rows = N (2D + 2) with second order,
        N (D + 2) without. Morris: number of trajectories; rows = N (D + 1).
    groups : sequence of str, optional
        A group name per input; indices are then per group.

    Returns
    -------
    SensitivityResult
    """
    _check(samples, method, conf_level, num_resamples, num_levels)
    _, sobol_analyze, _, morris_analyze = _salib()
    ss = as_seed_sequence(seed)
    names = list(inputs.names)
    d = len(names)
    if d == 0:
        raise ScenarioError("there are no uncertain inputs; give an uncertainty section or "
                            "expert noise (e.g. --noise-position 10)", field="uncertainty")
    if method == "sobol":
        bounds = [[0.0, 1.0]] * d
    else:
        bounds = [[MORRIS_TAIL, 1.0 - MORRIS_TAIL]] * d
    problem: dict[str, Any] = {"num_vars": d, "names": names, "bounds": bounds}
    labels_out = names
    if groups is not None:
        groups = [str(g) for g in groups]
        if len(groups) != d:
            raise ScenarioError(f"needs one group per input ({d}), got {len(groups)}", field="groups")
        problem["groups"] = groups
        labels_out = list(dict.fromkeys(groups))
    if method == "sobol" and second_order and len(labels_out) < 2:
        second_order = False
    unit = _design(method, problem, samples, second_order, num_levels, ss)
    ys = evaluate_unit(unit) if evaluate_unit is not None else func(inputs.values(unit))
    outputs = list(ys)
    k_in = len(labels_out)
    shape = (len(outputs), k_in)
    res: dict[str, np.ndarray] = {}
    keys = (("S1", "S1_conf", "ST", "ST_conf") if method == "sobol"
            else ("mu_star", "mu_star_conf", "mu", "sigma"))
    for key in keys:
        res[key] = np.full(shape, np.nan)
    if method == "sobol" and second_order:
        res["S2"] = np.full((len(outputs), k_in, k_in), np.nan)
        res["S2_conf"] = np.full((len(outputs), k_in, k_in), np.nan)
    means, sds, notes = [], [], []
    for k, out in enumerate(outputs):
        y = np.asarray(ys[out], dtype=float)
        means.append(float(np.mean(y)))
        sds.append(float(np.std(y)))
        if not np.all(np.isfinite(y)):
            notes.append(f"{out}: the model gave no outcome for {int((~np.isfinite(y)).sum())} of "
                         f"{y.size} design points; indices not computed")
            continue
        if not np.ptp(y) > 0:
            notes.append(f"{out}: constant ({y[0]:g}) over the whole design; no input moves it "
                         "(indices not defined)")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "sobol":
                r = sobol_analyze.analyze(problem, y, calc_second_order=second_order,
                                          num_resamples=num_resamples, conf_level=conf_level,
                                          seed=_salib_seed(ss, 1 + k))
            else:
                r = morris_analyze.analyze(problem, unit, y, num_resamples=num_resamples,
                                           conf_level=conf_level, num_levels=num_levels,
                                           seed=_salib_seed(ss, 1 + k))
        for key in res:
            res[key][k] = np.asarray(r[key], dtype=float)
    return SensitivityResult(
        model=labels[0],
        scenario=labels[1],
        method=method,
        outputs=tuple(outputs),
        inputs=tuple(labels_out),
        n_evaluations=int(unit.shape[0]),
        seed_entropy=seed_entropy(ss),
        output_mean=np.array(means),
        output_sd=np.array(sds),
        conf_level=float(conf_level),
        notes=tuple(notes),
        **res,
    )


@dataclass(frozen=True, slots=True)
class _SCommon:
    pert: Perturbation
    model: Any
    scenario: Any = None  # the simulator needs the Scenario itself


def sensitivity_cost(model: Any, n_actors: int, n_issues: int, n_inputs: int, samples: int, *,
                     method: str = "sobol", second_order: bool = False, workers: int = 1) -> Cost:
    """Memory and time of :func:`sensitivity`, before it starts.

    The design has N (D + 2) rows for Sobol (N (2D + 2) with second order) and N (D + 1) for
    Morris, D = ``n_inputs`` uncertain inputs, N = ``samples``. Memory: the unit design and
    SALib's copy of it (16 bytes x rows x D), the outputs (8 x rows x (issues + 2)) and one seed
    block of model evaluations per worker; time: the model on every row, plus the design and
    the analysis (0.1 us per row x input).
    """
    d = int(n_inputs)
    if method == "sobol":
        rows = samples * ((2 * d + 2) if second_order else (d + 2))
    else:
        rows = samples * (d + 1)
    block = model.cost(n_actors, n_issues, min(rows, SEED_BLOCK))
    mem = 16.0 * rows * d + 8.0 * rows * (n_issues + 2) + workers * (block.bytes + 48.0 * SEED_BLOCK * n_actors * n_issues)
    secs = model.cost(n_actors, n_issues, max(rows, 1)).seconds + 1e-7 * float(rows) * d
    return Cost("sensitivity", mem, secs,
                {"actors": n_actors, "issues": n_issues, "inputs": d, "samples": samples, "rows": rows,
                 "model": getattr(model, "name", str(model))},
                "fewer samples or uncertain inputs (the design has samples x (inputs + 2) rows)")


def _sens_chunk(common: _SCommon, task) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    unit, rng, start = task
    out, deal, _no, _red, _walk, margin = evaluate(common.pert, common.model, unit, rng,
                                                   scenario=common.scenario, first_draw=start)
    return out, deal.astype(float), margin


def sensitivity(
    scenario: Scenario | str | Path | dict,
    model: Any = "weighted_median",
    *,
    samples: int = 1024,
    method: str = "sobol",
    second_order: bool = False,
    seed: int | np.random.SeedSequence | None = None,
    uncertainty: UncertaintySpec | dict | str | Path | None = None,
    noise: NoiseSpec | dict | None = None,
    groups: str | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 100,
    num_levels: int = 4,
    backend: str | LocalBackend | DaskBackend = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    firmness: float | None = None,
) -> SensitivityResult:
    """Sobol indices (or Morris screening) of a model's forecast over the uncertain inputs.

    Parameters
    ----------
    scenario, model, uncertainty, noise, backend, scheduler, workers
        As for :func:`~detente.uncertainty.monte_carlo`.
    samples : int
        Sobol base sample N (power of 2 best) or Morris trajectories.
    method : {"sobol", "morris"}
    second_order : bool
        Also second-order Sobol indices (doubles the design).
    groups : {None, "actor", "field"}
        Indices per input, per actor (all of an actor's numbers together; a threat counts for
        its issuer) or per kind of field.

    firmness : float in [0, 1], optional
        Probability that a red line (and an absent veto holder's consent) without a
        ``firmness`` of its own binds in a design row. None: the value fitted on the case library
        (:func:`~detente.uncertainty.deal_model.default_firmness`); 1.0: hard red lines.

    Returns
    -------
    SensitivityResult
        Outputs: each issue, ``deal`` and ``deal_margin``; inputs ranked by total order (Sobol)
        or mu* (Morris).

    Raises
    ------
    ScenarioError
        For bad options or input, before any model run. MissingExtraError without SALib.
    """
    _check(samples, method, conf_level, num_resamples, num_levels)
    if groups not in (None, "actor", "field"):
        raise ScenarioError(f"{groups!r} is not one of actor, field (or none)", field="groups")
    _salib()
    ss = as_seed_sequence(seed)
    m = resolve_model(model)
    sc, pert = prepare(scenario, uncertainty, noise, firmness=firmness)
    if pert.n_inputs == 0:
        raise ScenarioError("there are no uncertain inputs; give an uncertainty section or "
                            "expert noise (e.g. --noise-position 10)", field="uncertainty")
    be = get_backend(backend, scheduler=scheduler, workers=workers)
    grp = None
    if groups == "actor":
        grp = [inp.actor for inp in pert.inputs]
    elif groups == "field":
        grp = [inp.target for inp in pert.inputs]
    design_ss, eval_ss = ss.spawn(2)

    def evaluate_unit(unit: np.ndarray) -> dict[str, np.ndarray]:
        n = unit.shape[0]
        blocks = chunk_generators(eval_ss, n, SEED_BLOCK)
        tasks = [(unit[s:s + size], rng, s) for s, size, rng in blocks]
        done = [0]

        def on_done(k, res):
            done[0] += res[0].shape[0]
            if progress is not None:
                progress(done[0], n)

        with be:
            parts = be.map(_sens_chunk, tasks, common=_SCommon(pert, m, sc if hasattr(m, "evaluate_draws") else None),
                           on_done=on_done)
        out = np.concatenate([p[0] for p in parts])
        ys = {iss: out[:, k] for k, iss in enumerate(sc.issue_ids)}
        ys[DEAL] = np.concatenate([p[1] for p in parts])
        ys[DEAL_MARGIN] = np.concatenate([p[2] for p in parts])
        return ys

    r = sobol_indices(
        pert, func=lambda x: {}, samples=samples, method=method, second_order=second_order,
        seed=design_ss, groups=grp, conf_level=conf_level, num_resamples=num_resamples,
        num_levels=num_levels, evaluate_unit=evaluate_unit, labels=(m.name, sc.name),
    )
    deal_k = r.outputs.index(DEAL)
    note = f"share of deals over the design: {r.output_mean[deal_k]:.4g}"
    if r.output_sd[deal_k] == 0:
        note += "; the deal indicator never changes, so see deal_margin for what moves it closer"
    object.__setattr__(r, "notes", (*r.notes, note))
    return r
