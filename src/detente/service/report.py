"""The HTML report: the service computes, :mod:`detente.report` renders.

:func:`build_report` runs the models (the one seeding rule), the red-line analysis and, on
request, Monte Carlo, sensitivity and the simulator through this layer's entry points (so
with the shared :data:`~detente.service.defaults.DEFAULTS`), then hands the results to
:func:`detente.report.html.render_report`.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import DetenteWarning, MissingExtraError
from .capabilities import module as _module_impl
from .deal import calibrated_deal_probability
from .defaults import DEFAULTS
from .forecast import analyse, model_names, run_models, run_models_noting
from .scenarios import load
from .seeding import SeedLike, resolve_seed, seed_entropy_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["build_report", "missing_report_extras", "utility_plane"]


def _installed(package: str) -> bool:  # one seam for tests that hide a package
    import importlib.util

    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def missing_report_extras(*, samples: int | None = None, draws: int | None = None,
                          runs: int | None = None) -> list[tuple[str, str, str]]:
    """The optional packages a report with these sections needs and that are not installed:
    ``(package, extra, what for)``, checked without importing them (so, at once)."""
    need = [("jinja2", "web", "to render the report"), ("matplotlib", "plot", "for its charts")]
    if samples is not None:
        need.append(("SALib", "sensitivity", "for --samples"))
    return [n for n in need if not _installed(n[0])]


def _module(name: str) -> Any:  # one seam for tests that hide a capability
    return _module_impl(name)


def _unavailable(key: str, title: str, module: str):
    from ..report.html import unavailable_section

    sec = unavailable_section(key, title, module)
    warnings.warn(sec.text[0], DetenteWarning, stacklevel=3)
    return sec


def build_report(
    scenario,
    models: Sequence[str] | None = None,
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    seed: SeedLike = DEFAULTS.forecast_seed,
    forecasts: Sequence[Any] | None = None,
    draws: int | None = None,
    samples: int | None = None,
    runs: int | None = None,
    noise: Mapping[str, float] | None = None,
    monte_carlo: pd.DataFrame | None = None,
    sobol: pd.DataFrame | None = None,
    simulation: Mapping[str, Any] | None = None,
    backtest: pd.DataFrame | None = None,
    scores: Any = None,
    image_format: str = "png",
    title: str | None = None,
    generated: _dt.datetime | None = None,
    changes: Sequence[str] = (),
    budget: Any = None,
) -> str:
    """One self-contained HTML report on a scenario.

    Parameters
    ----------
    scenario : Scenario, str or path
        A Scenario or anything :func:`detente.load_scenario` accepts.
    models : sequence of str, optional
        Registered model names to run (default: every registered model). Ignored when
        ``forecasts`` is given.
    params : mapping, optional
        ``{model: {parameter: value}}``.
    seed : None, int or SeedSequence
        Default 0. Model k gets child k of ``SeedSequence(seed)``; Monte Carlo, sensitivity and
        the simulator use ``seed`` itself. None draws fresh entropy (printed in the report).
    forecasts : sequence of Forecast, optional
        Forecasts already computed (the report then runs no model).
    draws, samples, runs : int, optional
        Request a Monte Carlo section (``draws`` per model), a Sobol section (``samples``, on the
        first model) and a simulator section (``runs``, with the shared simulation defaults),
        when those capabilities are installed; otherwise the section says it is unavailable
        and a :class:`~detente.DetenteWarning` is issued.
    noise : mapping, optional
        Expert noise for the Monte Carlo and Sobol sections; default ``DEFAULTS.noise``.
    monte_carlo, sobol, simulation, backtest
        Precomputed results (see :func:`detente.report.html.render_report`).
    scores : TrackRecord, optional
        Out-of-sample scores of a backtest (:func:`detente.service.backtest_scores`, the same
        function ``detente backtest`` calls): the backtest section then shows the reliability
        diagram and the PIT histogram, with the headline figures.
    image_format : {"png", "svg"}
    title : str, optional
    generated : datetime, optional
    changes : sequence of str, optional
        What-if changes (:mod:`detente.service.whatif`): the report is on the changed scenario,
        and its notes state every change and how each model's forecast moved from the base.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ScenarioError, UnknownModelError, ModelParameterError
        For bad input, before any rendering.
    MissingExtraError
        Before any work, naming every missing extra at once: Jinja2 (``web``) and matplotlib
        (``plot``) always, SALib (``sensitivity``) with ``samples``.
    """
    import pandas as pd

    from ..report.html import render_report, require_renderer
    from .absent import note_absent_effects

    if image_format not in ("png", "svg"):
        raise ValueError(f"image_format must be 'png' or 'svg' (got {image_format!r})")
    sc = load(scenario)
    missing = missing_report_extras(samples=samples if sobol is None else None, draws=draws, runs=runs)
    if missing:  # every missing extra in one message, before any work
        raise MissingExtraError(" and ".join(f"{p} ({why})" for p, _, why in missing),
                                ",".join(dict.fromkeys(e for _, e, _ in missing)))
    require_renderer()  # fail early, before any work, when Jinja2 is missing
    used = resolve_seed(seed)
    notes: list[str] = []
    if changes:
        from .whatif import compare, what_if_notes

        wrun = compare(sc, list(changes), model_names(models), params=params, seed=used)
        sc = wrun.whatif.scenario.model_copy(update={"notes": [*wrun.whatif.scenario.notes, *what_if_notes(wrun)]})
        forecasts = wrun.changed.forecasts if forecasts is None else forecasts
        title = title or f"{sc.title or sc.name} (what-if)"
    if forecasts is None:  # checked against the budget first; a refusing model is a note
        seen = sc.without_outcome()
        forecasts, notes = run_models_noting(seen, model_names(models), params, used, budget=budget)
        forecasts = note_absent_effects(seen, forecasts, lambda s, m, p: run_models(s, m, p, used), params)
    run = analyse(sc, forecasts, seed_entropy=seed_entropy_of(used), notes=notes)
    noise = dict(noise) if noise else dict(DEFAULTS.noise)
    unavailable = []
    mc_text: list[str] = []
    if monte_carlo is None and draws is not None:
        sec = _monte_carlo_frame(sc, run.forecasts, draws, used, noise, mc_text)
        if isinstance(sec, pd.DataFrame):
            monte_carlo = sec
        else:
            unavailable.append(sec)
    sobol_text: list[str] = []
    if sobol is None and samples is not None:
        sec = _sobol_frame(sc, run.forecasts, samples, used, noise, sobol_text)
        if isinstance(sec, pd.DataFrame):
            sobol = sec
        else:
            unavailable.append(sec)
    if simulation is None and runs is not None:
        spec = _simulation_spec(sc, runs, used)
        if isinstance(spec, Mapping):
            simulation = spec
        else:
            unavailable.append(spec)
    return render_report(
        sc, run.forecasts, zone=run.zone, blocked_by=run.blocked_by, seed=seed_entropy_of(used),
        monte_carlo=monte_carlo, monte_carlo_text=mc_text, sobol=sobol, sobol_text=sobol_text,
        simulation=simulation, backtest=backtest, calibration=_calibration(scores),
        unavailable=unavailable, image_format=image_format,
        title=title, generated=generated,
        deal=calibrated_deal_probability(sc, seed=used),
    )


def _calibration(scores: Any) -> dict[str, Any] | None:
    """The report's view of a TrackRecord: reliability bins, PIT counts, cases, headline text."""
    if scores is None:
        return None
    d = scores.to_dict()

    def fmt(v: Any, digits: int = 3) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    text = [f"Out of sample (a case never takes part in the fit that scores it): deal "
            f"probability on {d['n_deal_cases']} cases, Brier {fmt(d['brier'])}, log loss "
            f"{fmt(d['log_loss'])}, Brier skill against the base rate {fmt(d['brier_skill'])}, "
            f"ECE {fmt(d['ece'])}; ensemble point forecasts on {d['n_rows']} issue rows, CRPS "
            f"{fmt(d['crps'], 1)}, coverage of the 50/80/90% intervals "
            + "/".join(fmt((d["coverage"] or {}).get(k), 2) for k in ("0.5", "0.8", "0.9")) + ".",
            *d.get("notes", [])]
    return {"reliability": scores.to_frame("reliability"), "pit_histogram": d.get("pit_histogram"),
            "cases": scores.to_frame("deal"), "text": text}


def _noise_text(noise: Mapping[str, Any]) -> str:
    text = ", ".join(f"{k} {v:g}" for k, v in noise.items() if k not in ("shape", "relative"))
    return text + ("; relative to each issue's scale" if noise.get("relative") else "")


def _monte_carlo_frame(sc, forecasts, draws, seed, noise, text: list[str]):
    import numpy as np
    import pandas as pd

    mod = _module("detente.uncertainty")
    if mod is None or not callable(getattr(mod, "monte_carlo", None)):
        return _unavailable("uncertainty", "Uncertainty (Monte Carlo)", "detente.uncertainty.monte_carlo")
    from ..models.registry import get_model
    from .uncertainty import monte_carlo

    frames = []
    text.append(f"{draws} draws per model with expert noise ({_noise_text(noise)}; see docs/uncertainty.md).")
    for f in forecasts:
        res = monte_carlo(sc, get_model(f.model, **dict(f.params)), draws=draws, seed=seed, noise=noise,
                          keep_draws=True).result
        df = res.to_frame("draws")
        if "model" not in df.columns:
            df = df.assign(model=f.model)
        frames.append(df)
        p = getattr(res, "deal_probability", None)
        if p is not None and np.ndim(p) == 0 and math.isfinite(float(p)):
            text.append(f"{f.model}: raw structural deal rate (share of draws that are a deal; the calibrated probability is in the zone-of-agreement section) {float(p):.1%}.")
    return pd.concat(frames, ignore_index=True)


def _sobol_frame(sc, forecasts, samples, seed, noise, text: list[str]):
    mod = _module("detente.uncertainty")
    if mod is None or not callable(getattr(mod, "sensitivity", None)):
        return _unavailable("sensitivity", "Sensitivity (Sobol indices)", "detente.uncertainty.sensitivity")
    from ..models.registry import get_model
    from .uncertainty import sensitivity

    first = forecasts[0]
    res = sensitivity(sc, get_model(first.model, **dict(first.params)), samples=samples, seed=seed,
                      noise=noise).result
    text.append(f"Model {first.model}, {samples} base samples, expert noise ({_noise_text(noise)}).")
    return res.to_frame()


def _simulation_spec(sc, runs, seed):
    if _module("detente.simulate") is None:
        return _unavailable("simulation", "Negotiation simulator", "detente.simulate.simulate")
    from .simulation import resolve_protocol, simulate

    res = simulate(sc, runs=runs, seed=seed)
    df = res.to_frame()
    util = [c for c in df.columns if str(c).startswith(("utility_", "u_"))]
    spec: dict[str, Any] = {"runs": df, "x": util[0], "y": util[1]} if len(util) >= 2 else {"runs": df}
    if "x" in spec:
        spec.update(utility_plane(sc, spec["x"], spec["y"]))
    notes = ["Protocol: the staged summit over the scenario's stages."] if resolve_protocol(sc, None) == "summit" else []
    combos = sorted(set(res.strategies.tolist()))
    notes.append(f"Strategies: {len(combos)} combination(s), run i playing combination i mod {len(combos)} "
                 f"({', '.join(combos[:3])}{', ...' if len(combos) > 3 else ''}).")
    ended = res.summary()["ended_by"]
    notes.append("How the runs ended: " + ", ".join(
        f"{k.replace(':', ' by ', 1)} {v / res.n_runs:.1%}" for k, v in ended.items()) + ".")
    spec["note"] = " ".join(notes)
    return spec


def utility_plane(sc, x: str, y: str) -> dict[str, Any]:
    """Pareto frontier, Nash and Kalai-Smorodinsky points of the two parties on the plane.

    From the scenario's negotiation domain (``detente.negotiation``), restricted to the two
    parties whose utilities are the axes (``u_<actor>`` columns), with their reservation
    values. Empty when either party is not there.
    """
    import pandas as pd

    from ..negotiation.from_scenario import scenario_domain
    from ..negotiation.solutions import bargaining_points

    dom = scenario_domain(sc.without_outcome())
    px, py = (c.split("_", 1)[1] if "_" in c else c for c in (x, y))
    if px not in dom.parties or py not in dom.parties:
        return {}
    idx = [dom.parties.index(px), dom.parties.index(py)]
    bp = bargaining_points(dom.utilities()[idx], dom.reservation[idx])
    out: dict[str, Any] = {"frontier": pd.DataFrame({x: bp.frontier[:, 0], y: bp.frontier[:, 1]})}
    points = {}
    if bp.nash.size:
        points["Nash"] = (float(bp.nash[0, 0]), float(bp.nash[0, 1]))
    if bp.ks.size:
        points["Kalai-Smorodinsky"] = (float(bp.ks[0, 0]), float(bp.ks[0, 1]))
    out["points"] = points
    return out
