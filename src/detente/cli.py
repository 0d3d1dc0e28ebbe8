"""The ``detente`` command line: parse -> library call -> rich rendering. No maths here."""

from __future__ import annotations

import importlib
import io
import json
import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table

from . import __version__
from .analysis import zone_of_agreement
from .commands._common import console, exit_on_error, write_output
from .errors import ModelParameterError, ScenarioError
from .io import load_scenario
from .models.base import model_parameters
from .models.registry import MODELS, get_model
from .rng import as_generator, seed_entropy
from .scenario.load import builtin_scenarios

__all__ = ["app", "main"]

DEFAULT_SCENARIO = "alaska-2025"

app = typer.Typer(
    name="detente",
    help="Model and forecast multi-party negotiations.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# Command modules written per capability; each exposes register(app). The list is explicit.
COMMAND_MODULES = (
    "detente.commands.simulate",
    "detente.commands.ktab",
    "detente.commands.sensitivity",
    "detente.commands.backtest",
    "detente.commands.report",
    "detente.commands.serve",
)


def _version(value: bool) -> None:
    if value:
        console.print(f"detente {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """detente: where will this negotiation land, how likely is a deal, what would change that?"""
    if ctx.invoked_subcommand is None:
        console.print(ctx.get_help())


# ------------------------------------------------------------------------------- helpers
_SHORT = {
    "weighted_mean": "mean",
    "weighted_median": "median",
    "nash": "nash",
    "expected_utility": "EU",
    "ktab_smp": "SMP",
    "exchange": "exchange",
}

def _fmt(v: float, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:.4g}"


def parse_params(items: list[str], models: list[str]) -> dict[str, dict[str, str]]:
    """Split ``NAME=VALUE`` / ``MODEL.NAME=VALUE`` options per model.

    A bare NAME applies to every selected model that declares it; it is an error when none does.
    """
    out: dict[str, dict[str, str]] = {m: {} for m in models}
    for item in items:
        if "=" not in item:
            raise ModelParameterError(f"--param {item!r}: expected NAME=VALUE (e.g. rounds=10)")
        key, value = item.split("=", 1)
        key, value = key.strip(), value.strip()
        if "." in key:
            model, name = key.split(".", 1)
            if model not in out:
                raise ModelParameterError(
                    f"--param {item!r}: model {model!r} is not selected; selected: {', '.join(models)}"
                )
            if name not in model_parameters(MODELS[model]):
                valid = ", ".join(sorted(model_parameters(MODELS[model]))) or "(none)"
                raise ModelParameterError(
                    f"--param {item!r}: model {model!r} has no parameter {name!r}; its parameters: {valid}"
                )
            out[model][name] = value
            continue
        takers = [m for m in models if key in model_parameters(MODELS[m])]
        if not takers:
            declared = {m: sorted(model_parameters(MODELS[m])) for m in models}
            listing = "; ".join(f"{m}: {', '.join(p) or '(none)'}" for m, p in declared.items())
            raise ModelParameterError(
                f"--param {item!r}: no selected model has a parameter {key!r} ({listing})"
            )
        for m in takers:
            out[m][key] = value
    return out


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    return str(o)


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan_to_none(v) for v in obj]
    return obj


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    # to_dict keeps float64 exactly (to_json caps precision at 15 digits)
    rows = df.to_dict(orient="records")
    return [_nan_to_none({str(k): _plain(v) for k, v in r.items()}) for r in rows]


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


def run_forecasts(scenario, models: list[str], params: dict[str, dict[str, str]], seed: int | None):
    """Run every selected model; one SeedSequence child per model keeps them independent."""
    ss = np.random.SeedSequence(seed) if seed is not None else np.random.SeedSequence(0)
    kids = ss.spawn(len(models))
    out = []
    for name, kid in zip(models, kids, strict=True):
        model = get_model(name, **params.get(name, {}))
        out.append(model.forecast(scenario, rng=as_generator(kid)))
    return out


def forecast_document(scenario, forecasts, zone, *, with_tables: bool) -> dict[str, Any]:
    """The JSON document ``detente forecast --format json`` prints (documented in docs/cli.md)."""
    doc: dict[str, Any] = {
        "detente_version": __version__,
        "scenario": {
            "name": scenario.name,
            "title": scenario.title,
            "issues": [
                {"id": i.id, "name": i.label, "min": i.scale.min, "max": i.scale.max,
                 "status_quo": i.status_quo}
                for i in scenario.issues
            ],
            "actors": [
                {"id": a.id, "name": a.label, "power": a.power, "present": a.present, "veto": a.veto}
                for a in scenario.actors
            ],
            "positions": [
                {"actor": p.actor, "issue": p.issue, "position": p.position, "salience": p.salience}
                for p in scenario.positions
            ],
            "notes": list(scenario.notes),
        },
        "zone_of_agreement": zone.summary(),
        "forecasts": [],
    }
    for f in forecasts:
        s = f.summary()
        s["reference"] = MODELS[f.model].reference
        s["outcome"] = dict(zip(f.issues, s["outcome"], strict=True))
        s["blocked_by"] = _blocked_by(scenario, f)
        if with_tables:
            s["tables"] = {k: _records(f.to_frame(k)) for k in f.tables}
        else:
            s.pop("tables", None)
        doc["forecasts"].append(s)
    return _nan_to_none(doc)


def _blocked_by(scenario, forecast) -> dict[str, list[str]]:
    """Per issue, the binding actors whose red lines exclude the forecast outcome."""
    a = scenario.arrays()
    binding = a.present | a.veto
    out: dict[str, list[str]] = {}
    for k, iid in enumerate(a.issues):
        x = forecast.outcome[k] if forecast.outcome.ndim == 1 else np.nan
        if not np.isfinite(x):
            continue
        who = [
            a.actors[i]
            for i in range(a.n_actors)
            if binding[i] and a.has_red_line[i, k] and not (a.red_low[i, k] <= x <= a.red_high[i, k])
        ]
        if who:
            out[iid] = who
    return out


def _forecast_table(scenario, forecasts, zone) -> list[Table]:
    tables = []
    t = Table(title=f"Forecast: {escape(scenario.title or scenario.name)}", title_justify="left")
    t.add_column("issue", style="bold", overflow="fold")
    t.add_column("status quo", justify="right")
    for f in forecasts:
        t.add_column(_SHORT.get(f.model, f.model), justify="right")
    for k, iss in enumerate(scenario.issues):
        cells = [escape(iss.id), _fmt(iss.status_quo)]
        for f in forecasts:
            v = float(f.outcome[k]) if f.outcome.ndim == 1 else float("nan")
            cells.append(_fmt(v) if math.isfinite(v) else "[red]no zone[/]")
        t.add_row(*cells)
    t.caption = "columns: " + ", ".join(f"{_SHORT.get(f.model, f.model)} = {f.model}" for f in forecasts)
    tables.append(t)

    z = Table(title="Zone of agreement (red lines of actors at the table and absent veto holders)",
              title_justify="left")
    z.add_column("issue", style="bold")
    z.add_column("acceptable to all")
    for k, iss in enumerate(scenario.issues):
        desc = zone.describe(iss.id)
        z.add_row(iss.id, f"[red]{escape(desc)}[/]" if zone.empty[k] else escape(desc))
    tables.append(z)

    p = Table(title="Where every actor stands (position / salience)", title_justify="left")
    p.add_column("actor", style="bold")
    p.add_column("power", justify="right")
    p.add_column("at table")
    for iss in scenario.issues:
        p.add_column(iss.id, justify="right")
    cell = {(q.actor, q.issue): q for q in scenario.positions}
    for act in scenario.actors:
        row = [escape(act.label), _fmt(act.power), "yes" if act.present else ("absent, veto" if act.veto else "absent")]
        for iss in scenario.issues:
            q = cell.get((act.id, iss.id))
            row.append("-" if q is None else f"{_fmt(q.position)} / {_fmt(q.salience)}")
        p.add_row(*row)
    tables.append(p)

    blocks = Table(title="Red lines that block a deal", title_justify="left")
    blocks.add_column("model", style="bold")
    blocks.add_column("issue")
    blocks.add_column("forecast rejected by")
    any_block = False
    for f in forecasts:
        for iid, who in _blocked_by(scenario, f).items():
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
                t.add_row(*[_fmt(v, 4) if isinstance(v, (float, np.floating)) else str(v) for v in row])
            if len(df) > len(shown):
                t.caption = f"first {len(shown)} of {len(df)} rows; --format csv/json gives all"
            out.append(t)
    return out


# ------------------------------------------------------------------------------- commands
ScenarioArg = Annotated[
    str,
    typer.Argument(help="A built-in scenario name (see `detente scenarios`) or a YAML/JSON/CSV file."),
]


@app.command()
def forecast(
    scenario: ScenarioArg = DEFAULT_SCENARIO,
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
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for models that draw random numbers.")] = None,
) -> None:
    """Forecast where the negotiation lands, per issue and model."""
    with exit_on_error():
        if fmt not in ("table", "json", "csv"):
            raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")
        names = list(model) if model else list(MODELS)
        for n in names:
            if n not in MODELS:
                get_model(n)  # raises UnknownModelError listing the valid names
        params = parse_params(list(param or []), names)
        sc = load_scenario(scenario)
        if seed is not None:
            seed_entropy(seed)  # validates
        results = run_forecasts(sc, names, params, seed)
        zone = zone_of_agreement(sc)
        if fmt == "json":
            doc = forecast_document(sc, results, zone, with_tables=rounds)
            text = json.dumps(doc, indent=2, default=_json_default, allow_nan=False)
            _emit(text, output)
        elif fmt == "csv":
            frames = [f.to_frame() for f in results]
            if rounds:
                frames = []
                for f in results:
                    for k in ("outcome", *f.tables):
                        df = f.to_frame(k)
                        df.insert(0, "table", k)
                        if "model" not in df.columns:
                            df.insert(1, "model", f.model)
                        frames.append(df)
            buf = io.StringIO()
            pd.concat(frames, ignore_index=True).to_csv(buf, index=False, float_format="%.17g")
            _emit(buf.getvalue(), output)
        else:
            tables = _forecast_table(sc, results, zone)
            if rounds:
                tables += _round_tables(results)
            notes = list(sc.notes) + [f"{f.model}: {n}" for f in results for n in f.notes]
            if output:
                from rich.console import Console

                rec = Console(record=True, width=140, file=io.StringIO())
                for t in tables:
                    rec.print(t)
                write_output(rec.export_text(), output)
            else:
                for t in tables:
                    console.print(t)
                for note in notes:
                    console.print(f"[dim]note:[/] {escape(note)}", highlight=False)


def _emit(text: str, output: Path | None) -> None:
    if output:
        write_output(text if text.endswith("\n") else text + "\n", output)
    else:
        typer.echo(text.rstrip("\n"))


@app.command()
def scenarios(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the built-in scenarios."""
    with exit_on_error():
        items = builtin_scenarios()
        if fmt == "json":
            typer.echo(json.dumps([{"name": k, "title": v} for k, v in items.items()], indent=2))
            return
        t = Table(title="Built-in scenarios", title_justify="left")
        t.add_column("name", style="bold")
        t.add_column("title")
        for k, v in items.items():
            t.add_row(k + (" (default)" if k == DEFAULT_SCENARIO else ""), v)
        console.print(t)


@app.command()
def show(scenario: ScenarioArg = DEFAULT_SCENARIO) -> None:
    """Show a scenario: actors, issues, positions, red lines, threats and stages."""
    with exit_on_error():
        sc = load_scenario(scenario)
        console.print(f"[bold]{escape(sc.title or sc.name)}[/] ({sc.name}) {escape(sc.date)}")
        if sc.description:
            console.print(escape(sc.description), highlight=False)
        a = Table(title="Actors", title_justify="left")
        for c in ("id", "name", "kind", "power", "at table", "delegation"):
            a.add_column(c)
        for act in sc.actors:
            dele = escape(", ".join(f"{m.name or m.id} ({m.role}, {m.weight:g})" for m in act.delegation))
            a.add_row(act.id, escape(act.name), act.kind, _fmt(act.power),
                      "yes" if act.present else ("absent, veto" if act.veto else "absent"), dele)
        console.print(a)
        i = Table(title="Issues", title_justify="left")
        for c in ("id", "name", "scale", "status quo"):
            i.add_column(c)
        for iss in sc.issues:
            i.add_row(iss.id, escape(iss.label),
                      escape(f"{_fmt(iss.scale.min)} ({iss.scale.min_label}) .. {_fmt(iss.scale.max)} ({iss.scale.max_label})"),
                      _fmt(iss.status_quo))
        console.print(i)
        if sc.red_lines:
            r = Table(title="Red lines", title_justify="left")
            for c in ("actor", "issue", "acceptable"):
                r.add_column(c)
            for rl in sc.red_lines:
                r.add_row(rl.actor, rl.issue, f"[{_fmt(rl.min)}, {_fmt(rl.max)}]")
            console.print(r)
        for w in sc.walk_away:
            val = _fmt(w.utility) if w.utility is not None else json.dumps(w.positions)
            console.print(f"walk-away: {w.actor}: {val}", highlight=False)
        for th in sc.threats:
            console.print(
                f"threat: {th.issuer} -> {th.target}: cost to target {th.cost_to_target:g}, "
                f"to issuer {th.cost_to_issuer:g}, credibility {th.credibility:g}. {escape(th.description)}",
                highlight=False,
            )
        for k, st in enumerate(sc.stages, 1):
            who = "; ".join(f"{p.actor}" + (f" ({', '.join(p.members)})" if p.members else "") for p in st.participants)
            console.print(f"stage {k}: {st.name or st.id} ({st.kind}): {who}", highlight=False, markup=False)
        for n in sc.notes:
            console.print(f"[dim]note:[/] {escape(n)}", highlight=False)


@app.command()
def validate(file: Annotated[str, typer.Argument(help="A scenario file (YAML, JSON or CSV).")]) -> None:
    """Check a scenario file and report every problem (file, line/row, field, value)."""
    with exit_on_error():
        sc = load_scenario(file)
        console.print(
            f"[green]OK[/] {escape(file)}: scenario {sc.name!r} with {len(sc.actors)} actors, "
            f"{len(sc.issues)} issues, {len(sc.positions)} positions",
            highlight=False,
        )
        for n in sc.notes:
            console.print(f"[dim]note:[/] {escape(n)}", highlight=False)


@app.command()
def models() -> None:
    """List the registered models with their parameters and citations."""
    t = Table(title="Models", title_justify="left", show_lines=True)
    t.add_column("name", style="bold")
    t.add_column("parameters (default)")
    t.add_column("reference")
    for name, cls in MODELS.items():
        ps = ", ".join(
            f"{f.name}={getattr(cls(), f.name)!r}" for f in model_parameters(cls).values()
        )
        t.add_row(name, ps or "-", cls.reference)
    console.print(t)


def _register_command_modules() -> None:
    for mod in COMMAND_MODULES:
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name == mod:  # that capability is not built yet
                continue
            raise
        m.register(app)


_register_command_modules()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
