"""``detente scenarios``, ``show``, ``validate`` and ``models``: parse -> service -> render."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .. import service
from ._common import ScenarioArg, console, exit_on_error, fmt_value

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
    a = Table(title="Actors", title_justify="left")
    for c in ("id", "name", "kind", "power", "at table", "delegation"):
        a.add_column(c)
    for act in sc.actors:
        dele = escape(", ".join(f"{m.name or m.id} ({m.role}, {m.weight:g})" for m in act.delegation))
        a.add_row(act.id, escape(act.name), act.kind, fmt_value(act.power),
                  "yes" if act.present else ("absent, veto" if act.veto else "absent"), dele)
    console.print(a)
    i = Table(title="Issues", title_justify="left")
    for c in ("id", "name", "scale", "status quo"):
        i.add_column(c)
    for iss in sc.issues:
        i.add_row(iss.id, escape(iss.label),
                  escape(f"{fmt_value(iss.scale.min)} ({iss.scale.min_label}) .. "
                         f"{fmt_value(iss.scale.max)} ({iss.scale.max_label})"),
                  fmt_value(iss.status_quo))
    console.print(i)
    if sc.red_lines:
        r = Table(title="Red lines", title_justify="left")
        for c in ("actor", "issue", "acceptable"):
            r.add_column(c)
        for rl in sc.red_lines:
            r.add_row(rl.actor, rl.issue, f"[{fmt_value(rl.min)}, {fmt_value(rl.max)}]")
        console.print(r)


def show_cmd(scenario: ScenarioArg = service.DEFAULTS.scenario) -> None:
    """Show a scenario: actors, issues, positions, red lines, threats and stages."""
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


def validate_cmd(file: Annotated[str, typer.Argument(help="A scenario file (YAML, JSON or CSV).")]) -> None:
    """Check a scenario file and report every problem (file, line/row, field, value)."""
    with exit_on_error():
        sc = service.load(file)
        console.print(
            f"[green]OK[/] {escape(file)}: scenario {sc.name!r} with {len(sc.actors)} actors, "
            f"{len(sc.issues)} issues, {len(sc.positions)} positions",
            highlight=False,
        )
        for n in sc.notes:
            console.print(f"[dim]note:[/] {escape(n)}", highlight=False)


def models_cmd() -> None:
    """List the registered models with their parameters and citations."""
    t = Table(title="Models", title_justify="left", show_lines=True)
    t.add_column("name", style="bold")
    t.add_column("parameters (default)")
    t.add_column("reference")
    for m in service.catalogue():
        ps = ", ".join(f"{k}={v!r}" for k, v in m["parameters"].items())
        t.add_row(m["name"], ps or "-", m["reference"])
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``scenarios``, ``show``, ``validate`` and ``models`` to ``app``."""
    app.command("scenarios")(scenarios_cmd)
    app.command("show")(show_cmd)
    app.command("validate")(validate_cmd)
    app.command("models")(models_cmd)
