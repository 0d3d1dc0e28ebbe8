"""The self-contained HTML report (Jinja2 templates in ``detente/report/templates``).

Rendering only: :func:`render_report` lays out results computed by the application layer
(:func:`detente.service.build_report` runs the models, Monte Carlo, sensitivity and the
simulator, then calls it). It returns one HTML document: styles inline, every chart an inline base64
PNG (or SVG) image, no script and nothing fetched from the network, so the file opens offline
and can be mailed as is.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import MissingExtraError

__all__ = ["ReportSection", "render_report", "render_template", "require_renderer", "unavailable_section"]


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


def unavailable_section(key: str, title: str, module: str) -> ReportSection:
    """The section shown when a requested capability is not installed (the caller warns)."""
    msg = (f"{title} was requested, but this installation of detente has no {module}; "
           "the section is left out.")
    return ReportSection(key=key, title=title, status="unavailable", text=(msg,))


def require_renderer() -> None:
    """Raise :class:`~detente.MissingExtraError` now when Jinja2 (``web``) is missing."""
    _jinja_env()


def render_report(
    scenario,
    forecasts: Sequence[Any],
    *,
    zone,
    blocked_by: Sequence[Mapping[str, list[str]]],
    seed: int | None = None,
    monte_carlo: pd.DataFrame | None = None,
    monte_carlo_text: Sequence[str] = (),
    sobol: pd.DataFrame | None = None,
    sobol_text: Sequence[str] = (),
    simulation: Mapping[str, Any] | None = None,
    backtest: pd.DataFrame | None = None,
    calibration: Mapping[str, Any] | None = None,
    unavailable: Sequence[ReportSection] = (),
    image_format: str = "png",
    title: str | None = None,
    generated: _dt.datetime | None = None,
    deal: Any = None,
) -> str:
    """One self-contained HTML report from results computed elsewhere (rendering only).

    The application layer (:func:`detente.service.build_report`) runs the models and the
    optional analyses and calls this.

    Parameters
    ----------
    scenario : Scenario
    forecasts : sequence of Forecast
    zone : ZoneOfAgreement
    blocked_by : sequence of mapping
        Per forecast, ``{issue: [actor, ...]}`` (the binding actors whose red lines reject it).
    seed : int, optional
        The seed printed in the header.
    monte_carlo : DataFrame, optional
        Draws (columns ``issue, outcome`` [``model``]; see
        :func:`detente.report.plots.distribution_chart`), with ``monte_carlo_text`` lines.
    sobol : DataFrame, optional
        Sobol indices (see :func:`detente.report.plots.sobol_chart`), with ``sobol_text``.
    simulation : mapping, optional
        ``{"runs": DataFrame, "x": str, "y": str, "frontier": DataFrame, "points": {...},
        "note": str}`` (see :func:`detente.report.plots.simulation_chart`).
    backtest : DataFrame, optional
        Backtest errors (see :func:`detente.report.plots.backtest_chart`).
    calibration : mapping, optional
        Out-of-sample scores of a backtest: ``{"reliability": DataFrame, "pit_histogram":
        counts, "cases": DataFrame, "text": [str, ...]}`` (see
        :func:`detente.report.plots.calibration_chart`), shown in the backtest section.
    unavailable : sequence of ReportSection
        Sections requested but not computable here (see :func:`unavailable_section`).
    image_format : {"png", "svg"}
    title : str, optional
    generated : datetime, optional
        The timestamp printed in the report (default: now, UTC).
    deal : DealProbability, optional
        The calibrated probability of a deal (shown with the zone of agreement).

    Raises
    ------
    MissingExtraError
        When matplotlib (``plot``) or Jinja2 (``web``) is not installed.
    """
    from .._version import __version__
    from . import plots, tables

    if image_format not in ("png", "svg"):
        raise ValueError(f"image_format must be 'png' or 'svg' (got {image_format!r})")
    sc = scenario
    forecasts = list(forecasts)

    def img(fig) -> str:
        return plots.to_data_uri(fig, image_format)

    fc = tables.forecast_frame(sc, forecasts).drop(columns=["issue", "scale_min", "scale_max"])
    fc = fc.rename(columns={"name": "issue", "status_quo": "status quo", "real_outcome": "real outcome"})
    if sc.outcome is None:
        fc = fc.drop(columns=["real outcome"])
    model_rows = []
    for f, blocked in zip(forecasts, blocked_by, strict=True):
        trajectories = [(name, img(fig)) for name, fig in plots.forecast_trajectories(f, scenario=sc)]
        other = [
            (name, tables.html_table(f.to_frame(name), max_rows=60, digits=3))
            for name in f.tables if name not in {t for t, _ in trajectories}
        ]
        model_rows.append({
            "name": f.model,
            "reference": tables.reference(f.model),
            "params": {k: tables.fmt_number(v, 4) for k, v in f.params.items()},
            "notes": list(f.notes),
            "blocked": dict(blocked),
            "trajectories": trajectories,
            "other_tables": other,
            "seed_entropy": f.seed_entropy,
        })

    sections: list[ReportSection] = []
    by_key = {u.key: u for u in unavailable}
    for key, make in (
        ("uncertainty", lambda: _uncertainty_section(sc, monte_carlo, monte_carlo_text, img, plots, tables)),
        ("sensitivity", lambda: _sensitivity_section(sobol, sobol_text, img, plots, tables)),
        ("simulation", lambda: _simulation_section(simulation, img, plots)),
    ):
        sec = by_key.get(key) or make()
        if sec is not None:
            sections.append(sec)
    if backtest is not None or calibration is not None:
        images = []
        if backtest is not None:
            images.append(("error by model", img(plots.backtest_chart(backtest))))
        text: tuple[str, ...] = ()
        if calibration is not None:
            rel, pit = calibration["reliability"], calibration.get("pit_histogram") or []
            if (len(rel) and rel["n"].sum()) or sum(pit):  # too few cases: the text says why
                images.append(("reliability and PIT (out of sample)", img(plots.calibration_chart(
                    rel, pit, calibration.get("cases")))))
            text = tuple(calibration.get("text", ()))
        sections.append(ReportSection(key="backtest", title="Backtest", images=tuple(images),
                                      text=text))

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
        deal=deal,
    )


# ---------------------------------------------------------------------------- optional parts
def _noise_text(noise: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in noise.items() if k != "shape")


def _uncertainty_section(sc, frame, text, img, plots, tables) -> ReportSection | None:
    if frame is None:
        return None
    text = list(text)
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


def _sensitivity_section(frame, text, img, plots, tables) -> ReportSection | None:
    if frame is None:
        return None
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


def _simulation_section(spec, img, plots) -> ReportSection | None:
    if spec is None:
        return None
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
