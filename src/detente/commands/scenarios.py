"""``detente scenarios``, ``show``, ``validate`` and ``models``: parse -> service -> render."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .. import service
from ..errors import DetenteError, ScenarioError
from ._common import ScenarioArg, console, err_console, exit_on_error, fmt_value, positions_tables

__all__ = ["models_cmd", "register", "scenarios_cmd", "show_cmd", "validate_cmd"]


def scenarios_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the built-in scenarios."""
    with exit_on_error():
        items = service.builtin()
        if fmt == "json":
            typer.echo(json.dumps([{"name": k, "title": v} for k, v in items.items()], indent=2))
            return
        t = Table(title="Built-in scenarios", title_justify="left")
        t.add_column("name", style="bold")
        t.add_column("title")
        for k, v in items.items():
            t.add_row(k + (" (default)" if k == service.DEFAULTS.scenario else ""), v)
        console.print(t)


def _show_tables(sc) -> None:
    # numbers never wrap or get cut at any terminal width; text columns wrap
    a = Table(title="Actors", title_justify="left")
    for c in ("id", "name", "kind", "power", "at table", "delegation"):
        a.add_column(c, no_wrap=c == "power", justify="right" if c == "power" else "left", overflow="fold")
    for act in sc.actors:
        dele = escape(", ".join(f"{m.name or m.id} ({m.role}, {m.weight:g})" for m in act.delegation))
        a.add_row(act.id, escape(act.name), act.kind, fmt_value(act.power),
                  "yes" if act.present else ("absent, veto" if act.veto else "absent"), dele)
    console.print(a)
    i = Table(title="Issues", title_justify="left")
    for c in ("id", "name", "scale", "status quo"):
        i.add_column(c, no_wrap=c == "status quo", justify="right" if c == "status quo" else "left",
                     overflow="fold")
    for iss in sc.issues:
        i.add_row(iss.id, escape(iss.label),
                  escape(f"{fmt_value(iss.scale.min)} ({iss.scale.min_label}) .. "
                         f"{fmt_value(iss.scale.max)} ({iss.scale.max_label})"),
                  fmt_value(iss.status_quo))
    console.print(i)
    if sc.red_lines:
        r = Table(title="Red lines", title_justify="left")
        for c in ("actor", "issue", "acceptable"):
            r.add_column(c, no_wrap=c == "acceptable", overflow="fold")
        for rl in sc.red_lines:
            r.add_row(rl.actor, rl.issue, f"[{fmt_value(rl.min)}, {fmt_value(rl.max)}]")
        console.print(r)
    tables, legend = positions_tables(sc, console.width)
    for t in tables:
        console.print(t)
    for line in legend:
        console.print(f"[dim]{escape(line)}[/]", highlight=False)


def show_cmd(scenario: ScenarioArg = service.DEFAULTS.scenario) -> None:
    """Show a scenario: actors, issues, red lines, every actor's position and salience per
    issue, walk-away values, threats and stages."""
    with exit_on_error():
        sc = service.load(scenario)
        console.print(f"[bold]{escape(sc.title or sc.name)}[/] ({sc.name}) {escape(sc.date)}")
        if sc.description:
            console.print(escape(sc.description), highlight=False)
        _show_tables(sc)
        for w in sc.walk_away:
            val = fmt_value(w.utility) if w.utility is not None else json.dumps(w.positions)
            console.print(f"walk-away: {w.actor}: {val}", highlight=False)
        for th in sc.threats:
            console.print(
                f"threat: {th.issuer} -> {th.target}: cost to target {th.cost_to_target:g}, "
                f"to issuer {th.cost_to_issuer:g}, credibility {th.credibility:g}. {escape(th.description)}",
                highlight=False,
            )
        for k, st in enumerate(sc.stages, 1):
            who = "; ".join(f"{p.actor}" + (f" ({', '.join(p.members)})" if p.members else "")
                            for p in st.participants)
            console.print(f"stage {k}: {st.name or st.id} ({st.kind}): {who}", highlight=False, markup=False)
        for n in sc.notes:
            console.print(f"[dim]note:[/] {escape(n)}", highlight=False)


def validate_cmd(
    files: Annotated[list[str], typer.Argument(help="Scenario files (YAML, JSON or CSV), e.g. cases/*.yaml.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Check scenario files and report every problem (file, line/row, field, value).

    Every file is checked and reported on its own line; the exit code is 2 if any file fails,
    and the last line names each bad file.
    """
    with exit_on_error():
        if fmt not in ("table", "json"):
            raise ScenarioError(f"{fmt!r} is not one of table, json", field="--format")
    results = []
    for file in files:
        try:
            if len(files) == 1 and fmt == "table":
                with exit_on_error():  # one file: one error line, as every command prints it
                    sc = service.load(file)
            else:
                sc = service.load(file)
        except (DetenteError, OSError) as e:
            results.append({"file": file, "ok": False, "error": str(e)})
            if fmt == "table":
                err_console.print(f"[bold red]FAIL[/] {escape(file)}: {type(e).__name__}: {escape(str(e))}",
                                  highlight=False, soft_wrap=True)
            continue
        results.append({"file": file, "ok": True, "scenario": sc.name, "actors": len(sc.actors),
                        "issues": len(sc.issues), "positions": len(sc.positions), "notes": list(sc.notes)})
        if fmt == "table":
            console.print(
                f"[green]OK[/] {escape(file)}: scenario {sc.name!r} with {len(sc.actors)} actors, "
                f"{len(sc.issues)} issues, {len(sc.positions)} positions",
                highlight=False,
            )
            for n in sc.notes:
                console.print(f"[dim]note:[/] {escape(n)}", highlight=False)
    bad = [str(r["file"]) for r in results if not r["ok"]]
    if fmt == "json":
        typer.echo(json.dumps({"files": results, "ok": len(results) - len(bad), "failed": bad}, indent=2))
    elif len(files) > 1:
        console.print(f"{len(results) - len(bad)} of {len(results)} files valid", highlight=False)
    if bad:
        if fmt == "table" and len(files) > 1:
            err_console.print(f"[bold red]{len(bad)} invalid:[/] {escape(', '.join(bad))}",
                              highlight=False, soft_wrap=True)
        raise typer.Exit(2)


def models_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the registered models: what each does (one line), its parameters and citation."""
    with exit_on_error():
        if fmt not in ("table", "json"):
            raise ScenarioError(f"{fmt!r} is not one of table, json", field="--format")
        items = service.catalogue()
        if fmt == "json":
            from ..results import json_ready

            typer.echo(json.dumps([{**m, "parameters": json_ready(m["parameters"])} for m in items],
                                  indent=2, default=str))
            return
        t = Table(title="Models", title_justify="left", show_lines=True)
        t.add_column("name", style="bold")
        t.add_column("what it does")
        t.add_column("parameters (default)", overflow="fold")
        t.add_column("reference", overflow="fold")
        for m in items:
            ps = ", ".join(f"{k}={v!r}" for k, v in m["parameters"].items())
            t.add_row(m["name"], escape(m["description"]), escape(ps) or "-", escape(m["reference"]))
        console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``scenarios``, ``show``, ``validate`` and ``models`` to ``app``."""
    app.command("scenarios")(scenarios_cmd)
    app.command("show")(show_cmd)
    app.command("validate")(validate_cmd)
    app.command("models")(models_cmd)
