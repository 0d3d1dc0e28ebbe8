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
from ._common import ScenarioArg, console, emit, exit_on_error, fmt_value, write_output
from ._whatif import SetOpt, WithoutOpt, change_list, change_table, forecast_diff_tables

__all__ = ["forecast_cmd", "register"]

_SHORT = {
    "weighted_mean": "mean",
    "weighted_median": "median",
    "nash": "nash",
    "expected_utility": "EU",
    "ktab_smp": "SMP",
    "exchange": "exchange",
}


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def _forecast_tables(run: service.ForecastRun) -> list[Table]:
    sc, forecasts, zone = run.scenario, run.forecasts, run.zone
    tables = []
    t = Table(title=f"Forecast: {escape(sc.title or sc.name)}", title_justify="left")
    t.add_column("issue", style="bold", overflow="fold")
    t.add_column("status quo", justify="right")
    for f in forecasts:
        t.add_column(_SHORT.get(f.model, f.model), justify="right")
    for k, iss in enumerate(sc.issues):
        cells = [escape(iss.id), fmt_value(iss.status_quo)]
        for f in forecasts:
            v = float(f.outcome[k]) if f.outcome.ndim == 1 else float("nan")
            cells.append(fmt_value(v) if math.isfinite(v) else "[red]no zone[/]")
        t.add_row(*cells)
    t.caption = "columns: " + ", ".join(f"{_SHORT.get(f.model, f.model)} = {f.model}" for f in forecasts)
    tables.append(t)

    z = Table(title="Zone of agreement (red lines of actors at the table and absent veto holders)",
              title_justify="left")
    z.add_column("issue", style="bold")
    z.add_column("acceptable to all")
    for k, iss in enumerate(sc.issues):
        desc = zone.describe(iss.id)
        z.add_row(iss.id, f"[red]{escape(desc)}[/]" if zone.empty[k] else escape(desc))
    tables.append(z)

    p = Table(title="Where every actor stands (position / salience)", title_justify="left")
    p.add_column("actor", style="bold")
    p.add_column("power", justify="right")
    p.add_column("at table")
    for iss in sc.issues:
        p.add_column(iss.id, justify="right")
    cell = {(q.actor, q.issue): q for q in sc.positions}
    for act in sc.actors:
        row = [escape(act.label), fmt_value(act.power),
               "yes" if act.present else ("absent, veto" if act.veto else "absent")]
        for iss in sc.issues:
            q = cell.get((act.id, iss.id))
            row.append("-" if q is None else f"{fmt_value(q.position)} / {fmt_value(q.salience)}")
        p.add_row(*row)
    tables.append(p)

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
    return tables


def _round_tables(forecasts) -> list[Table]:
    import numpy as np
    import pandas as pd

    out = []
    for f in forecasts:
        for name, df in f.tables.items():
            if df.empty:
                continue
            t = Table(title=f"{f.model}: {name}", title_justify="left")
            shown = df.head(400)
            for c in shown.columns:
                t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(shown[c]) else "left")
            for row in shown.itertuples(index=False):
                t.add_row(*[fmt_value(v, 4) if isinstance(v, (float, np.floating)) else str(v) for v in row])
            if len(df) > len(shown):
                t.caption = f"first {len(shown)} of {len(df)} rows; --format csv/json gives all"
            out.append(t)
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
            tables = ([change_table(wrun.changes), *forecast_diff_tables(wrun)] if wrun else []) + _forecast_tables(run)
            if rounds:
                tables += _round_tables(run.forecasts)
            if output:
                from rich.console import Console

                rec = Console(record=True, width=140, file=io.StringIO())
                for t in tables:
                    rec.print(t)
                write_output(rec.export_text(), output)
                return
            for t in tables:
                console.print(t)
            notes = list(run.scenario.notes) + [f"{f.model}: {n}" for f in run.forecasts for n in f.notes]
            for note in notes:
                console.print(f"[dim]note:[/] {escape(note)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``detente forecast`` to ``app``."""
    app.command("forecast")(forecast_cmd)
