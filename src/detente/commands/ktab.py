"""``detente ktab``: KTAB SMP files (convert, run with the file's options).

Parse -> :mod:`detente.service.ktab` (KTAB readers and writers, the KtabSMP model) -> render. Forecasting any scenario with the model also works through
``detente forecast FILE --model ktab_smp``; ``detente ktab run`` additionally applies the model
options an XML file carries (``ModelParameters``, ``IdealAdjustment``).
"""

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
from ..service import ktab
from ..service.ktab import scenario_to_yaml
from ._common import SafeConsole, console, echo, exit_on_error, write_output

__all__ = ["ktab_app", "register", "scenario_to_yaml"]

ktab_app = typer.Typer(help="KTAB Spatial Model of Politics files: convert and run.", no_args_is_help=True)
group = ktab_app


@group.command("convert")
def convert(
    file: Annotated[str, typer.Argument(help="A KTAB CSV/XML file, or a detente scenario (file or built-in name).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file: .yaml/.yml/.json (detente), .csv or .xml (KTAB).")],
) -> None:
    """Convert between KTAB's CSV/XML and detente's YAML (the format follows --output)."""
    with exit_on_error():
        scenario, text, notes = ktab.convert(file, output.suffix.lower())
        write_output(text, output)
        console.print(f"[green]wrote[/] {escape(str(output))}: {len(scenario.actors)} actors, "
                      f"{len(scenario.issues)} issues", highlight=False)
        for n in notes:
            console.print(f"[dim]note:[/] {escape(n)}", highlight=False)

@group.command("run")
def run(
    file: Annotated[str, typer.Argument(help="A KTAB CSV/XML file, or a detente scenario (file or built-in name).")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Override a model option NAME=VALUE (repeatable)."),
    ] = None,
    table: Annotated[
        str, typer.Option("--table", "-t", help="outcome, positions, probabilities or stopping.")
    ] = "outcome",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for StateTransitions=Stochastic.")] = None,
) -> None:
    """Run KTAB's SMP with the file's own options (XML ModelParameters, IdealAdjustment)."""
    import numpy as np

    with exit_on_error():
        if fmt not in ("table", "json", "csv"):
            raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")
        if table not in ("outcome", "positions", "probabilities", "stopping"):
            raise ScenarioError(
                f"{table!r} is not one of outcome, positions, probabilities, stopping", field="--table"
            )
        scenario, f = ktab.run(file, list(param or []), seed=seed)
        if fmt == "csv":
            text = service.frame_to_csv(f.to_frame(table))
        elif fmt == "json":
            doc = f.summary()
            doc["table"] = table
            doc["rows"] = json.loads(f.to_frame(table).to_json(orient="records", double_precision=15))
            text = json.dumps(doc, indent=1) + "\n"
        else:
            # from the column arrays: the table needs no DataFrame (pandas costs 0.2 s to import)
            cols = f.columns(table)
            n_rows = len(next(iter(cols.values()))) if cols else 0
            t = Table(title=f"ktab_smp: {scenario.name} ({table}; {f.diagnostics['n_steps']} steps)",
                      title_justify="left")
            for c in cols:
                t.add_column(str(c))
            for r in range(min(n_rows, 500)):
                t.add_row(*[f"{v:.4f}" if isinstance(v, (float, np.floating)) else str(v)
                            for v in (col[r] for col in cols.values())])
            if n_rows > 500:
                t.caption = f"first 500 of {n_rows} rows; --format csv gives all"
            if output:

                rec = SafeConsole(record=True, width=140, file=io.StringIO())
                rec.print(t)
                text = rec.export_text()
            else:
                console.print(t)
                console.print(f"most probable final position: p = {f.diagnostics['outcome_probability']:.4f}",
                              highlight=False)
                for n in f.notes:
                    console.print(f"[dim]note:[/] {escape(n)}", highlight=False)
                return
        if output:
            write_output(text, output)
        else:
            echo(text.rstrip("\n"))


def register(app: typer.Typer) -> None:
    """Add the ``ktab`` command group to the detente CLI."""
    app.add_typer(ktab_app, name="ktab")
