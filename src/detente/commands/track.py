"""``detente track``: forecasts over time (parse -> :func:`detente.service.track` -> table, chart)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .. import service
from ..errors import ScenarioError
from ._common import console, emit, err_console, exit_on_error, fmt_value, write_output

__all__ = ["track_cmd"]


def track_cmd(
    scenario: Annotated[str, typer.Argument(help="A built-in tracked scenario (alaska-2025) or a track file "
                                                 "(base + dated versions; docs/workflows.md).")]
    = service.DEFAULTS.scenario,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model to run (repeatable); default: every registered model."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for models that draw random numbers.")]
    = service.DEFAULTS.forecast_seed,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON/CSV to this file.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write the chart (.png or .svg).")] = None,
) -> None:
    """Forecasts over time: how each model's forecast and the deal chances moved from version to
    version of a tracked scenario, against the recorded outcome."""
    with exit_on_error():
        if fmt not in ("table", "json", "csv"):
            raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")
        if output is not None and fmt == "table":
            raise ScenarioError("--output needs --format json or csv", field="--output")
        img = None
        if plot is not None:
            img = plot.suffix.lower().lstrip(".")
            if img not in ("png", "svg"):
                raise ScenarioError(f"the chart is written as .png or .svg (got {plot.name!r})", field="--plot")
        run = service.track(scenario, model or None, seed=seed)
        chart = service.track_chart_png(run, fmt=img) if img else None  # before any output: all or nothing
        if fmt == "json":
            emit(json.dumps(service.track_document(run), indent=2, allow_nan=False), output)
        elif fmt == "csv":
            buf = io.StringIO()
            run.to_frame().to_csv(buf, index=False, float_format="%.17g")
            emit(buf.getvalue(), output)
        else:
            _tables(run)
        if chart is not None and plot is not None:
            write_output(chart, plot)
            err_console.print(f"wrote {plot}")


def _tables(run: service.TrackRun) -> None:
    tr = run.track
    df = run.to_frame()
    deals = run.deal_frame()
    console.print(f"[bold]{escape(tr.title or tr.name)}[/] ({len(tr.versions)} versions)", highlight=False)
    v = Table(title="Versions", title_justify="left")
    for c in ("#", "date", "version", "changes", "deal", "zone"):
        v.add_column(c, overflow="fold")
    for n, (ver, d) in enumerate(zip(tr.versions, deals.itertuples(index=False), strict=True)):
        deal = f"{d.deals}/{d.n_models} models"
        if d.deal_probability == d.deal_probability:  # not NaN: the calibrated probability
            deal += f"; p={d.deal_probability:.0%}"
        v.add_row(str(n), ver.date, escape(ver.label), str(len(ver.changes)), deal, "open" if d.zone_open else "empty")
    console.print(v)
    for iid in dict.fromkeys(df["issue"]):
        sub = df[df["issue"] == iid]
        t = Table(title=f"{iid}: forecast per version", title_justify="left")
        t.add_column("model", style="bold", no_wrap=True)
        for n in range(len(tr.versions)):
            t.add_column(str(n), justify="right")
        rec = sub["recorded"].iloc[0]
        t.add_column("recorded", justify="right", no_wrap=True)
        for m in dict.fromkeys(sub["model"]):
            vals = sub[sub["model"] == m].sort_values("version")["forecast"]
            t.add_row(escape(m), *[fmt_value(x) for x in vals], fmt_value(rec) if rec == rec else "-")
        console.print(t)
    if tr.outcome is not None:
        console.print(f"recorded outcome ({tr.outcome.date or 'undated'}): "
                      f"{'deal' if tr.outcome.deal else 'no deal' if tr.outcome.deal is False else 'unknown'}",
                      highlight=False)
    console.print(f"seed entropy: {run.seed_entropy}", style="dim")
