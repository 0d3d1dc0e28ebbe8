"""``detente ktab``: KTAB SMP files (convert, run with the file's options).

Parse -> library call (:mod:`detente.io.ktab`, :class:`~detente.models.ktab_smp.KtabSMP`) ->
render. Forecasting any scenario with the model also works through
``detente forecast FILE --model ktab_smp``; ``detente ktab run`` additionally applies the model
options an XML file carries (``ModelParameters``, ``IdealAdjustment``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
import yaml
from rich.markup import escape
from rich.table import Table

from ..errors import ModelParameterError, ScenarioError
from ._common import console, exit_on_error, write_output

__all__ = ["register", "scenario_to_yaml"]

_KTAB_SUFFIXES = (".csv", ".xml")


def scenario_to_yaml(scenario, *, header: list[str] | None = None) -> str:
    """A detente scenario as YAML text (defaults left out), with optional comment lines."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    lines = [f"# {h}" for h in (header or [])]
    return "\n".join(lines) + ("\n" if lines else "") + text


def _read_any(path: str):
    """A KTAB file (CSV with KTAB's first row, or XML) or any detente scenario."""
    from ..io.ktab import is_ktab_csv, ktab_from_text
    from ..scenario.load import load_scenario, read_text

    p = Path(path)
    if p.suffix.lower() in _KTAB_SUFFIXES and p.exists():
        text = read_text(p)
        if p.suffix.lower() == ".xml" or is_ktab_csv(text):
            return ktab_from_text(text, source=p.name, fmt="xml" if p.suffix.lower() == ".xml" else "csv")
    return load_scenario(path)


def _model_with(inp, params: list[str]):
    from ..models.base import with_params
    from ..models.ktab_smp import KtabSMP

    model = KtabSMP.from_ktab(inp) if hasattr(inp, "options") else KtabSMP()
    kv: dict[str, Any] = {}
    for item in params:
        if "=" not in item:
            raise ModelParameterError(f"--param {item!r}: expected NAME=VALUE (e.g. voting_rule=Cubic)")
        k, v = item.split("=", 1)
        kv[k.strip()] = v.strip()
    return with_params(model, kv) if kv else model


def register(app: typer.Typer) -> None:
    """Add the ``ktab`` command group to the detente CLI."""
    group = typer.Typer(help="KTAB Spatial Model of Politics files: convert and run.", no_args_is_help=True)

    @group.command("convert")
    def convert(
        file: Annotated[str, typer.Argument(help="A KTAB CSV/XML file, or a detente scenario (file or built-in name).")],
        output: Annotated[Path, typer.Option("--output", "-o", help="Output file: .yaml/.yml/.json (detente), .csv or .xml (KTAB).")],
    ) -> None:
        """Convert between KTAB's CSV/XML and detente's YAML (the format follows --output)."""
        from ..io.ktab import to_ktab_csv, to_ktab_xml
        from ..models.ktab_smp import ktab_inputs

        with exit_on_error():
            src = _read_any(file)
            scenario = getattr(src, "scenario", src)
            options = dict(getattr(src, "options", {}) or {})
            suffix = output.suffix.lower()
            notes: list[str] = []
            if suffix in (".yaml", ".yml"):
                header = [f"converted from {Path(file).name} by detente ktab convert"]
                if options:
                    header.append("KTAB model options of the source (ktab_smp parameters):")
                    header += [f"  {k} = {v!r}" for k, v in options.items()]
                text = scenario_to_yaml(scenario, header=header)
            elif suffix == ".json":
                text = json.dumps(scenario.model_dump(mode="json", exclude_defaults=True), indent=2) + "\n"
                if options:
                    notes.append(f"the source's KTAB options are not stored in JSON: {options}")
            elif suffix == ".csv":
                text = to_ktab_csv(scenario)
                notes += ktab_inputs(scenario.arrays())[3]
                if options:
                    notes.append("KTAB CSV cannot hold model options; write .xml to keep them")
            elif suffix == ".xml":
                model = _model_with(src, [])
                text = to_ktab_xml(scenario, model=model, seed=getattr(src, "seed", None))
                notes += ktab_inputs(scenario.arrays())[3]
            else:
                raise ScenarioError(
                    f"unknown output type {suffix or '(none)'!r}; allowed: .yaml, .yml, .json, .csv, .xml",
                    field="--output",
                )
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
        from ..rng import as_generator

        with exit_on_error():
            if fmt not in ("table", "json", "csv"):
                raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")
            if table not in ("outcome", "positions", "probabilities", "stopping"):
                raise ScenarioError(
                    f"{table!r} is not one of outcome, positions, probabilities, stopping", field="--table"
                )
            src = _read_any(file)
            scenario = getattr(src, "scenario", src)
            model = _model_with(src, list(param or []))
            f = model.forecast(scenario, rng=as_generator(0 if seed is None else seed))
            df = f.to_frame(table)
            if fmt == "csv":
                buf = io.StringIO()
                df.to_csv(buf, index=False, float_format="%.17g")
                text = buf.getvalue()
            elif fmt == "json":
                doc = f.summary()
                doc["table"] = table
                doc["rows"] = json.loads(df.to_json(orient="records", double_precision=15))
                text = json.dumps(doc, indent=1) + "\n"
            else:
                t = Table(title=f"ktab_smp: {scenario.name} ({table}; {f.diagnostics['n_steps']} steps)",
                          title_justify="left")
                for c in df.columns:
                    t.add_column(str(c))
                for row in df.head(500).itertuples(index=False):
                    t.add_row(*[f"{v:.4f}" if isinstance(v, (float, np.floating)) else str(v) for v in row])
                if len(df) > 500:
                    t.caption = f"first 500 of {len(df)} rows; --format csv gives all"
                if output:
                    from rich.console import Console

                    rec = Console(record=True, width=140, file=io.StringIO())
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
                typer.echo(text.rstrip("\n"))

    app.add_typer(group, name="ktab")
