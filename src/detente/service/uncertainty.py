"""Monte Carlo and sensitivity entry points with the shared defaults (:data:`DEFAULTS`).

Expert noise: when neither ``noise`` nor an ``uncertainty:`` section (inline or given) is
there, ``DEFAULTS.noise`` is used and the returned note says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ModelParameterError, ScenarioError
from .defaults import DEFAULTS
from .seeding import SeedLike, resolve_seed

__all__ = [
    "SIMULATOR_NAMES",
    "UncertaintyRun",
    "get_backend",
    "load_with_uncertainty",
    "monte_carlo",
    "resolve_noise",
    "sensitivity",
    "simulator_model",
    "uncertainty_model",
]

#: Model names under which Monte Carlo negotiates every draw with the simulator.
SIMULATOR_NAMES = ("simulator", "simulate")

Progress = Callable[[int, int], None] | None


@dataclass(frozen=True, slots=True)
class UncertaintyRun:
    """A Monte Carlo or sensitivity result and the note on the noise used ("" when none)."""

    result: Any
    note: str = ""


def resolve_noise(noise: Mapping[str, Any] | None, has_section: bool, *, shape: str = "normal"
                  ) -> tuple[dict[str, Any] | None, str]:
    """The expert noise to use and a note: ``DEFAULTS.noise`` when nothing is given (None or
    an empty mapping) and the scenario has no uncertainty section."""
    if noise:
        return dict(noise), ""
    if has_section:
        return None, ""
    d = DEFAULTS.noise
    return {**d, "shape": shape}, (
        "no uncertainty given: using the measured inter-coder noise (sd relative to each "
        f"issue's scale): {d['position']:.0%} of the scale on positions and "
        f"{d['red_line']:.0%} on red lines, {d['salience']:.0%} on saliences and "
        f"{d['power']:.0%} on power, {d['walk_away']:g} on walk-away utilities, "
        f"{d['credibility']:g} on threat credibility (cases/README.md; see --noise-* options)"
    )


def load_with_uncertainty(source: Any, uncertainty: Any = None) -> tuple[Any, Any]:
    """``(scenario, uncertainty spec or None)``: an explicit ``uncertainty`` (file, data or an
    UncertaintySpec) replaces the scenario's inline section."""
    from ..uncertainty.spec import load_scenario_with_uncertainty, load_uncertainty

    sc, inline = load_scenario_with_uncertainty(source)
    return sc, (load_uncertainty(uncertainty) if uncertainty is not None else inline)


def simulator_model(options: Mapping[str, Any] | None) -> Any:
    """:class:`detente.uncertainty.simulator.SimulatorModel` from options (protocol,
    strategies, steps, levels, ...; validated there: ScenarioError naming the field)."""
    from ..uncertainty.simulator import SimulatorModel

    opts = dict(options or {})
    if isinstance(opts.get("strategies"), list):
        opts["strategies"] = [tuple(c) for c in opts["strategies"]]
    return SimulatorModel(**opts)


def uncertainty_model(name: str, params: Mapping[str, Any] | None = None,
                      simulator: Mapping[str, Any] | None = None) -> Any:
    """A registered model with ``params``, or the simulator (``name`` in :data:`SIMULATOR_NAMES`)
    with ``simulator`` options; simulator options with another model are an error."""
    from ..models.registry import get_model

    given = {k: v for k, v in dict(simulator or {}).items() if v is not None}
    if name.strip().lower() in SIMULATOR_NAMES:
        if params:
            raise ModelParameterError("--param does not apply to the simulator; use --protocol, "
                                      "--strategies, --steps, --levels")
        return simulator_model(given)
    if given:
        raise ScenarioError(f"{', '.join('--' + k for k in given)} only apply with --model simulator",
                            field="--model")
    return get_model(name, **dict(params or {}))


def get_backend(backend: Any = "local", scheduler: str | None = None, workers: int | None = None) -> Any:
    """The compute backend (Dask workers are processes, local ones threads)."""
    from ..uncertainty.backends import get_backend as _get

    if not isinstance(backend, str):
        return backend
    kw = {"n_workers": workers} if (backend == "dask" and workers) else {}
    return _get(backend, scheduler=scheduler, workers=workers if backend == "local" else None, **kw)


def _workers(backend: Any) -> int:
    """Tasks in flight at once on this machine (local threads; a Dask cluster's memory is its own)."""
    import os

    if isinstance(backend, str) and backend == "local":
        return max(1, min(os.cpu_count() or 1, 4))
    return 1


def monte_carlo(source: Any, model: Any = DEFAULTS.uncertainty_model, *, draws: int = DEFAULTS.draws,
                seed: SeedLike = None, uncertainty: Any = None, noise: Mapping[str, Any] | None = None,
                noise_shape: str = "normal", backend: Any = "local",
                chunk_size: int = DEFAULTS.mc_chunk_size, keep_draws: bool | None = None,
                progress: Progress = None, budget: Any = None,
                firmness: float | None = None) -> UncertaintyRun:
    """Forecast distribution and deal probability (:func:`detente.uncertainty.monte_carlo`).

    ``model`` is a model instance or a registered name, or a list of them: then the result is
    a :class:`~detente.uncertainty.result.MonteCarloResults` (one result per model, every model
    on the same draws); ``seed=None`` draws fresh entropy, recorded in ``result.seed_entropy``.
    Models never see the scenario's recorded outcome.
    The run's memory and time (:func:`detente.uncertainty.montecarlo.monte_carlo_cost`) are
    checked against ``budget`` (default ``DEFAULTS.budget``) before any draw.
    """
    from ..uncertainty.montecarlo import monte_carlo as _mc
    from .budget import check, monte_carlo_cost

    sc, spec = load_with_uncertainty(source, uncertainty)
    used_noise, note = resolve_noise(noise, spec is not None, shape=noise_shape)
    if isinstance(model, (list, tuple)):
        m: Any = [uncertainty_model(x) if isinstance(x, str) else x for x in model]
    else:
        m = uncertainty_model(model) if isinstance(model, str) else model
    for one in (m if isinstance(m, list) else [m]):
        check(monte_carlo_cost(sc, one, draws=draws, chunk_size=chunk_size, keep_draws=keep_draws,
                               workers=_workers(backend)), budget, source=sc.name)
    res = _mc(sc.without_outcome(), m, draws=draws, seed=resolve_seed(seed), uncertainty=spec,
              noise=used_noise, backend=backend, chunk_size=chunk_size, keep_draws=keep_draws,
              progress=progress, firmness=firmness)
    return UncertaintyRun(res, note)


def sensitivity(source: Any, model: Any = DEFAULTS.uncertainty_model, *, samples: int = DEFAULTS.samples,
                method: str = DEFAULTS.method, second_order: bool = False, seed: SeedLike = None,
                uncertainty: Any = None, noise: Mapping[str, Any] | None = None,
                noise_shape: str = "normal", groups: str | None = None, backend: Any = "local",
                progress: Progress = None, budget: Any = None,
                firmness: float | None = None) -> UncertaintyRun:
    """Sobol or Morris indices (:func:`detente.uncertainty.sensitivity`); defaults as for
    :func:`monte_carlo`, the budget checked first
    (:func:`detente.uncertainty.sobol.sensitivity_cost`: the design has samples x (inputs + 2)
    rows)."""
    from ..uncertainty.montecarlo import prepare
    from ..uncertainty.sobol import sensitivity as _sens
    from .budget import check, sensitivity_cost

    sc, spec = load_with_uncertainty(source, uncertainty)
    used_noise, note = resolve_noise(noise, spec is not None, shape=noise_shape)
    m = uncertainty_model(model) if isinstance(model, str) else model
    if isinstance(samples, int) and not isinstance(samples, bool) and samples > 0:
        _, pert = prepare(sc, spec, used_noise, firmness=firmness)
        check(sensitivity_cost(sc, m, n_inputs=pert.n_inputs, samples=samples, method=method,
                               second_order=second_order, workers=_workers(backend)), budget,
              source=sc.name)
    res = _sens(sc.without_outcome(), m, samples=samples, method=method, second_order=second_order,
                seed=resolve_seed(seed), uncertainty=spec, noise=used_noise, groups=groups,
                backend=backend, progress=progress, firmness=firmness)
    return UncertaintyRun(res, note)
