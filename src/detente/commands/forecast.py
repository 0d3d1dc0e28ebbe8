"""``detente forecast``: parse -> :func:`detente.service.forecast` -> table, JSON or CSV."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .. import service
from ..errors import ScenarioError
from ._common import (
    ScenarioArg,
    console,
    emit,
    exit_on_error,
    fit_tables,
    fmt_value,
    positions_tables,
    write_output,
)
from ._whatif import SetOpt, WithoutOpt, change_list, change_table, forecast_diff_tables

__all__ = ["forecast_cmd", "register"]

def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def _forecast_tables(run: service.ForecastRun, width: int) -> tuple[list[Table], list[str]]:
    """The tables of ``detente forecast`` fitted to ``width`` columns, and their legend lines."""
    sc, forecasts, zone = run.scenario, run.forecasts, run.zone
    rows = []
    for k, iss in enumerate(sc.issues):
        cells = [escape(iss.id), fmt_value(iss.status_quo)]
        for f in forecasts:
            v = float(f.outcome[k]) if f.outcome.ndim == 1 else float("nan")
            cells.append(fmt_value(v) if math.isfinite(v) else "[red]no zone[/]")
        rows.append(cells)
    labels = [service.model_label(f.model) for f in forecasts]
    tables, legend = fit_tables(f"Forecast: {escape(sc.title or sc.name)}", ["issue"],
                                ["status quo", *labels], rows, width=width)
    legend = legend + ["models: " + ", ".join(f"{lab} = {f.model}" for lab, f in zip(labels, forecasts, strict=True))]
    tables = list(tables)

    z = Table(title="Zone of agreement (red lines of actors at the table and absent veto holders)",
              title_justify="left")
    z.add_column("issue", style="bold")
    z.add_column("acceptable to all")
    for k, iss in enumerate(sc.issues):
        desc = zone.describe(iss.id)
        z.add_row(iss.id, f"[red]{escape(desc)}[/]" if zone.empty[k] else escape(desc))
    tables.append(z)

    ptables, plegend = positions_tables(sc, width)
    tables += ptables
    legend += plegend

    blocks = Table(title="Red lines that block a deal", title_justify="left")
    blocks.add_column("model", style="bold")
    blocks.add_column("issue")
    blocks.add_column("forecast rejected by")
    any_block = False
    for f, blocked in zip(forecasts, run.blocked_by, strict=True):
        for iid, who in blocked.items():
            blocks.add_row(f.model, iid, ", ".join(who))
            any_block = True
    for k, iid in enumerate(zone.issues):
        if zone.empty[k]:
            blocks.add_row("(every model)", iid, escape("impasse: " + "; ".join(zone.clash[k])))
            any_block = True
    if any_block:
        tables.append(blocks)
    return tables, legend


def _round_tables(forecasts, width: int) -> list[Table]:
    import numpy as np

    out = []
    for f in forecasts:
        for name, df in f.tables.items():
            if df.empty:
                continue
            shown = df.head(400)
            cols = [str(c) for c in shown.columns]
            rows = [[escape(fmt_value(v, 4) if isinstance(v, (float, np.floating)) else str(v)) for v in row]
                    for row in shown.itertuples(index=False)]
            # the first column names the row; every other cell is kept whole (split, never cut)
            tables, _ = fit_tables(f"{f.model}: {escape(name)}", cols[:1], cols[1:], rows, width=width)
            if len(df) > len(shown):
                tables[-1].caption = f"first {len(shown)} of {len(df)} rows; --format csv/json gives all"
            out.extend(tables)
    return out


def _csv(forecasts, rounds: bool) -> str:
    import pandas as pd

    frames = [f.to_frame() for f in forecasts]
    if rounds:
        frames = []
        for f in forecasts:
            for k in ("outcome", *f.tables):
                df = f.to_frame(k)
                df.insert(0, "table", k)
                if "model" not in df.columns:
                    df.insert(1, "model", f.model)
                frames.append(df)
    buf = io.StringIO()
    pd.concat(frames, ignore_index=True).to_csv(buf, index=False, float_format="%.17g")
    return buf.getvalue()


def forecast_cmd(
    scenario: ScenarioArg = service.DEFAULTS.scenario,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model to run (repeatable); default: every registered model."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Model parameter NAME=VALUE or MODEL.NAME=VALUE (repeatable)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    rounds: Annotated[
        bool, typer.Option("--rounds", help="Show the round-by-round tables of iterative models.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed for models that draw random numbers.")]
    = service.DEFAULTS.forecast_seed,
    set_: SetOpt = None,
    without: WithoutOpt = None,
) -> None:
    """Forecast where the negotiation lands, per issue and model (with --set/--without: on the
    changed scenario, with the difference from the base)."""
    with exit_on_error():
        if fmt not in ("table", "json", "csv"):
            raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")
        names = service.model_names(model)
        params = service.parse_params(list(param or []), names)
        changes = change_list(set_, without)
        wrun = service.compare(scenario, changes, names, params=params, seed=seed) if changes else None
        run = wrun.changed if wrun else service.forecast(scenario, names, params=params, seed=seed)
        if fmt == "json":
            doc = service.forecast_document(run, tables=rounds)
            if wrun:
                doc["what_if"] = service.what_if_document(wrun)
            emit(json.dumps(doc, indent=2, default=_json_default, allow_nan=False), output)
        elif fmt == "csv":
            if wrun:
                buf = io.StringIO()
                wrun.to_frame().to_csv(buf, index=False, float_format="%.17g")
                emit(buf.getvalue(), output)
            else:
                emit(_csv(run.forecasts, rounds), output)
        else:
            width = 140 if output else console.width
            tables, legend = _forecast_tables(run, width)
            tables = ([change_table(wrun.changes), *forecast_diff_tables(wrun)] if wrun else []) + tables
            if rounds:
                tables += _round_tables(run.forecasts, width)
            if output:
                from rich.console import Console

                rec = Console(record=True, width=width, file=io.StringIO())
                for t in tables:
                    rec.print(t)
                for line in legend:
                    rec.print(escape(line), highlight=False)
                write_output(rec.export_text(), output)
                return
            for t in tables:
                console.print(t)
            for line in legend:
                console.print(f"[dim]{escape(line)}[/]", highlight=False)
            notes = list(run.scenario.notes) + [f"{f.model}: {n}" for f in run.forecasts for n in f.notes]
            for note in notes:
                console.print(f"[dim]note:[/] {escape(note)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``detente forecast`` to ``app``."""
    app.command("forecast")(forecast_cmd)
