"""The self-contained HTML report (Jinja2 templates in ``detente/report/templates``).

:func:`build_report` returns one HTML document: styles inline, every chart an inline base64
PNG (or SVG) image, no script and nothing fetched from the network, so the file opens offline
and can be mailed as is.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import importlib.util
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DetenteWarning, MissingExtraError, UnknownModelError

__all__ = ["DEFAULT_NOISE", "ReportSection", "build_report", "render_template"]

#: Expert noise used for the uncertainty sections when none is given: +/- 10 scale points
#: (standard deviation) on positions and 20 % on saliences.
DEFAULT_NOISE = {"position": 10.0, "salience": 0.2}


@dataclass(frozen=True, slots=True)
class ReportSection:
    """An optional section of the report (uncertainty, sensitivity, simulator, backtest).

    ``status`` is ``"ok"`` (``images``/``tables``/``text`` filled) or ``"unavailable"`` (the
    capability was requested but is not installed; ``text`` says so).
    """

    key: str
    title: str
    status: str = "ok"
    text: tuple[str, ...] = ()
    images: tuple[tuple[str, str], ...] = ()  # (caption, data URI)
    tables: tuple[str, ...] = ()  # rendered HTML tables
    extra: Mapping[str, Any] = field(default_factory=dict)


def _jinja_env():
    try:
        import jinja2
    except ImportError:
        raise MissingExtraError("jinja2", "web") from None
    return jinja2.Environment(
        loader=jinja2.PackageLoader("detente.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, **context: Any) -> str:
    """Render one of the package's templates with autoescaping and strict undefined names."""
    return _jinja_env().get_template(name).render(**context)


def _module(name: str):
    """Import an optional detente capability, or None when it is not there."""
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def _unavailable(key: str, title: str, module: str) -> ReportSection:
    msg = (f"{title} was requested, but this installation of detente has no {module}; "
           "the section is left out.")
    warnings.warn(msg, DetenteWarning, stacklevel=3)
    return ReportSection(key=key, title=title, status="unavailable", text=(msg,))


def run_models(scenario, models: Sequence[str], params: Mapping[str, Mapping[str, Any]] | None,
               seed: int | None) -> list[Any]:
    """Run every named model on ``scenario``; model k gets child k of ``SeedSequence(seed)``."""
    from ..models.registry import MODELS, get_model
    from ..rng import as_generator, as_seed_sequence

    for n in models:
        if n not in MODELS:
            raise UnknownModelError(n, sorted(MODELS))
    kids = as_seed_sequence(0 if seed is None else seed).spawn(len(models))
    return [
        get_model(n, **dict((params or {}).get(n, {}))).forecast(scenario, rng=as_generator(kid))
        for n, kid in zip(models, kids, strict=True)
    ]


def build_report(
    scenario,
    models: Sequence[str] | None = None,
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int | None = 0,
    forecasts: Sequence[Any] | None = None,
    draws: int | None = None,
    samples: int | None = None,
    runs: int | None = None,
    noise: Mapping[str, float] | None = None,
    monte_carlo: pd.DataFrame | None = None,
    sobol: pd.DataFrame | None = None,
    simulation: Mapping[str, Any] | None = None,
    backtest: pd.DataFrame | None = None,
    image_format: str = "png",
    title: str | None = None,
    generated: _dt.datetime | None = None,
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
    seed : int or None
        Seed for models that draw random numbers (model k gets child k of the SeedSequence).
    forecasts : sequence of Forecast, optional
        Forecasts already computed (the report then runs no model).
    draws, samples, runs : int, optional
        Request a Monte Carlo section (``draws`` per model), a Sobol section (``samples``) and
        a simulator section (``runs``), computed with ``detente.uncertainty`` and
        ``detente.simulate`` when those are installed; otherwise the section says it is
        unavailable and a :class:`~detente.DetenteWarning` is issued.
    noise : mapping, optional
        Expert noise for the Monte Carlo and Sobol sections (see
        ``detente.uncertainty.NoiseSpec``); default :data:`DEFAULT_NOISE`.
    monte_carlo : DataFrame, optional
        Precomputed draws (columns ``issue, outcome`` [``model``]; see
        :func:`detente.report.plots.distribution_chart`).
    sobol : DataFrame, optional
        Precomputed Sobol indices (see :func:`detente.report.plots.sobol_chart`).
    simulation : mapping, optional
        ``{"runs": DataFrame, "x": str, "y": str, "frontier": DataFrame, "points": {...}}``
        (see :func:`detente.report.plots.simulation_chart`).
    backtest : DataFrame, optional
        Backtest errors (see :func:`detente.report.plots.backtest_chart`).
    image_format : {"png", "svg"}
    title : str, optional
    generated : datetime, optional
        The timestamp printed in the report (default: now, UTC).

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ScenarioError, UnknownModelError, ModelParameterError
        For bad input, before any rendering.
    MissingExtraError
        When matplotlib (``plot``) or Jinja2 (``web``) is not installed.
    """
    from .. import __version__
    from ..analysis import zone_of_agreement
    from ..io import load_scenario
    from ..models.registry import MODELS
    from . import plots, tables

    if image_format not in ("png", "svg"):
        raise ValueError(f"image_format must be 'png' or 'svg' (got {image_format!r})")
    sc = load_scenario(scenario)
    _jinja_env()  # fail early, before any work, when Jinja2 is missing
    if forecasts is None:
        names = list(models) if models else list(MODELS)
        forecasts = run_models(sc.without_outcome(), names, params, seed)
    forecasts = list(forecasts)
    zone = zone_of_agreement(sc)

    def img(fig) -> str:
        return plots.to_data_uri(fig, image_format)

    fc = tables.forecast_frame(sc, forecasts).drop(columns=["issue", "scale_min", "scale_max"])
    fc = fc.rename(columns={"name": "issue", "status_quo": "status quo", "real_outcome": "real outcome"})
    if sc.outcome is None:
        fc = fc.drop(columns=["real outcome"])
    model_rows = []
    for f in forecasts:
        trajectories = [(name, img(fig)) for name, fig in plots.forecast_trajectories(f, scenario=sc)]
        other = [
            (name, tables.html_table(f.to_frame(name), max_rows=60, digits=3))
            for name in f.tables if name not in {t for t, _ in trajectories}
        ]
        model_rows.append({
            "name": f.model,
            "reference": MODELS[f.model].reference if f.model in MODELS else "",
            "params": {k: tables.fmt_number(v, 4) for k, v in f.params.items()},
            "notes": list(f.notes),
            "blocked": tables.blocked_by(sc, f),
            "trajectories": trajectories,
            "other_tables": other,
            "seed_entropy": f.seed_entropy,
        })

    sections: list[ReportSection] = []
    noise = dict(noise) if noise else dict(DEFAULT_NOISE)
    sec = _uncertainty_section(sc, forecasts, draws, seed, noise, monte_carlo, img, plots, tables)
    if sec is not None:
        sections.append(sec)
    sec = _sensitivity_section(sc, forecasts, samples, seed, noise, sobol, img, plots, tables)
    if sec is not None:
        sections.append(sec)
    sec = _simulation_section(sc, runs, seed, simulation, img, plots)
    if sec is not None:
        sections.append(sec)
    if backtest is not None:
        sections.append(ReportSection(
            key="backtest", title="Backtest", images=(("error by model", img(plots.backtest_chart(backtest))),),
        ))

    stamp = (generated or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    number_cols = ["status quo", *[f.model for f in forecasts], "real outcome"]
    return render_template(
        "report.html.j2",
        title=title or f"detente report: {sc.title or sc.name}",
        scenario=sc,
        version=__version__,
        generated=stamp,
        seed=seed,
        forecast_table=tables.html_table(fc, number_columns=number_cols),
        positions_table=tables.html_table(tables.positions_frame(sc), number_columns=["power"]),
        zone_table=tables.html_table(tables.zone_frame(zone)),
        zone_empty=[iid for k, iid in enumerate(zone.issues) if zone.empty[k]],
        red_lines=[(r.actor, r.issue, tables.fmt_number(r.min), tables.fmt_number(r.max)) for r in sc.red_lines],
        position_chart=img(plots.position_chart(sc, forecasts)),
        models=model_rows,
        sections=sections,
        citations=tables.citations([f.model for f in forecasts]),
        fmt=tables.fmt_number,
    )


# ---------------------------------------------------------------------------- optional parts
def _noise_text(noise: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in noise.items() if k != "shape")


def _uncertainty_section(sc, forecasts, draws, seed, noise, frame, img, plots, tables) -> ReportSection | None:
    if frame is None and draws is None:
        return None
    text: list[str] = []
    if frame is None:
        mod = _module("detente.uncertainty")
        if mod is None or not callable(getattr(mod, "monte_carlo", None)):
            return _unavailable("uncertainty", "Uncertainty (Monte Carlo)", "detente.uncertainty.monte_carlo")
        from ..models.registry import get_model

        frames = []
        text.append(f"{draws} draws per model with expert noise ({_noise_text(noise)}; see docs/uncertainty.md).")
        for f in forecasts:
            res = mod.monte_carlo(sc.without_outcome(), get_model(f.model, **dict(f.params)), draws=draws,
                                  seed=seed, noise=noise, keep_draws=True)
            df = res.to_frame("draws")
            if "model" not in df.columns:
                df = df.assign(model=f.model)
            frames.append(df)
            p = getattr(res, "deal_probability", None)
            if p is not None and np.ndim(p) == 0 and math.isfinite(float(p)):
                text.append(f"{f.model}: probability of a deal {float(p):.1%}.")
        frame = pd.concat(frames, ignore_index=True)
    if not {"issue", "outcome"} <= set(frame.columns):
        text.append("The Monte Carlo result has no issue/outcome columns to draw.")
        return ReportSection(key="uncertainty", title="Uncertainty (Monte Carlo)", text=tuple(text))
    q = frame.groupby([c for c in ("model", "issue") if c in frame.columns], sort=False)["outcome"]
    summary = q.quantile([0.05, 0.5, 0.95]).unstack()
    summary.columns = ["q05", "median", "q95"]
    summary = summary.reset_index()
    return ReportSection(
        key="uncertainty", title="Uncertainty (Monte Carlo)", text=tuple(text),
        images=(("outcome distributions", img(plots.distribution_chart(frame, scenario=sc))),),
        tables=(tables.html_table(summary),),
    )


def _sensitivity_section(sc, forecasts, samples, seed, noise, frame, img, plots, tables) -> ReportSection | None:
    if frame is None and samples is None:
        return None
    if frame is None:
        mod = _module("detente.uncertainty")
        fn = None if mod is None else getattr(mod, "sensitivity", None)
        if not callable(fn):
            return _unavailable("sensitivity", "Sensitivity (Sobol indices)", "detente.uncertainty.sensitivity")
        from ..models.registry import get_model

        first = forecasts[0]
        res = fn(sc.without_outcome(), get_model(first.model, **dict(first.params)), samples=samples, seed=seed,
                 noise=noise)
        frame = res.to_frame()
        text: tuple[str, ...] = (f"Model {first.model}, {samples} base samples, "
                                 f"expert noise ({_noise_text(noise)}).",)
    else:
        text = ()
    key = "ST" if "ST" in frame.columns else "mu_star" if "mu_star" in frame.columns else None
    ranked = frame.sort_values(key, ascending=False, kind="stable") if key else frame
    top = ranked.groupby("output", sort=False).head(3) if "output" in frame.columns else ranked.head(20)
    return ReportSection(
        key="sensitivity", title="Sensitivity (Sobol indices)",
        text=("Which inputs move the forecast: total-order (ST) and first-order (S1) Sobol indices, "
              "bars with 95% bootstrap intervals.", *text),
        images=(("Sobol indices", img(plots.sobol_chart(frame, top=8))),),
        tables=(tables.html_table(top, digits=3),),
    )


def _utility_plane(sc, x: str, y: str) -> dict[str, Any]:
    """Pareto frontier, Nash and Kalai-Smorodinsky points of the two parties on the plane.

    From the scenario's negotiation domain (``detente.negotiation``), restricted to the two
    parties whose utilities are the axes (``u_<actor>`` columns), with their reservation
    values. Empty when that package or either party is not there.
    """
    try:
        from ..negotiation.from_scenario import scenario_domain
        from ..negotiation.solutions import bargaining_points
    except ImportError:
        return {}
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


def _simulation_section(sc, runs, seed, spec, img, plots) -> ReportSection | None:
    if spec is None and runs is None:
        return None
    if spec is None:
        fn = None
        for module in ("detente.simulate", "detente.simulate.engine"):
            mod = _module(module)
            fn = getattr(mod, "simulate", None) if mod is not None else None
            if callable(fn):
                break
        if not callable(fn):
            return _unavailable("simulation", "Negotiation simulator", "detente.simulate.simulate")
        kw = {"protocol": "summit"} if sc.stages else {}
        res = fn(sc.without_outcome(), runs=runs, seed=seed, **kw)
        df = res.to_frame()
        util = [c for c in df.columns if str(c).startswith(("utility_", "u_"))]
        spec = {"runs": df, "x": util[0], "y": util[1]} if len(util) >= 2 else {"runs": df}
        if "x" in spec:
            spec.update(_utility_plane(sc, spec["x"], spec["y"]))
        if kw:
            spec["note"] = "Protocol: the staged summit over the scenario's stages."
    df = spec["runs"]
    agree = df[plots.agreement_column(df)].astype(bool)
    lo, hi = plots.wilson_interval(int(agree.sum()), len(agree))
    text = [f"Deal rate {agree.mean():.1%} over {len(agree)} simulated negotiations "
            f"(95% Wilson interval {lo:.1%} to {hi:.1%})."]
    if spec.get("note"):
        text.append(spec["note"])
    if "x" not in spec:
        return ReportSection(key="simulation", title="Negotiation simulator", text=tuple(text))
    fig = plots.simulation_chart(df, x=spec["x"], y=spec["y"], frontier=spec.get("frontier"),
                                 points=spec.get("points"))
    return ReportSection(key="simulation", title="Negotiation simulator", text=tuple(text),
                         images=(("simulated outcomes", img(fig)),))
