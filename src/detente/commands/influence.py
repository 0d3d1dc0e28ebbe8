"""``detente influence``: who to persuade (parse -> :func:`detente.service.influence` -> table, JSON, CSV)."""

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
from ._common import ScenarioArg, console, emit, exit_on_error, fmt_value

__all__ = ["influence_cmd"]


def influence_cmd(
    scenario: ScenarioArg = service.DEFAULTS.scenario,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model scoring the moves (repeatable); default: weighted_mean and "
                                           "weighted_median."),
    ] = None,
    grid: Annotated[int, typer.Option("--grid", help="Position steps over each scale (100: 1% steps).")]
    = service.DEFAULTS.influence_grid,
    seed: Annotated[int, typer.Option("--seed", help="Seed for models that draw random numbers.")]
    = service.DEFAULTS.forecast_seed,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON/CSV to this file.")] = None,
) -> None:
    """Who to persuade: per actor, the smallest move of its red lines, a position or a salience
    that opens a zone of agreement or brings a deal, ranked, with the resulting forecast
    (in the spirit of KTAB's and Bueno de Mesquita's "what would it take"; docs/cli.md)."""
    with exit_on_error():
        if fmt not in ("table", "json", "csv"):
            raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")
        if output is not None and fmt == "table":
            raise ScenarioError("--output needs --format json or csv", field="--output")
        res = service.influence(scenario, model or None, grid=grid, seed=seed)
        if fmt == "json":
            emit(json.dumps(service.influence_document(res), indent=2, allow_nan=False), output)
            return
        if fmt == "csv":
            buf = io.StringIO()
            res.to_frame().to_csv(buf, index=False, float_format="%.17g")
            emit(buf.getvalue(), output)
            return
        base = (f"[bold]{escape(res.scenario)}[/]: before any move {res.base_deals} of {len(res.models)} "
                f"models forecast a deal; zone of agreement {'open' if res.base_zone_open else 'empty'}")
        if res.base_deal_probability is not None:
            base += f"; deal probability {res.base_deal_probability:.1%}"
        console.print(base, highlight=False)
        t = Table(title=f"Who to persuade ({res.n_candidates:,} candidate moves; models: "
                        f"{', '.join(res.models)})", title_justify="left")
        for c in ("rank", "actor", "smallest move", "size", "zone", "deals", "margin"):
            t.add_column(c, justify="right" if c in ("rank", "size", "deals", "margin") else "left",
                         overflow="fold")
        for r, ai in enumerate(res.ranking, start=1):
            m = ai.best
            if m is None:
                t.add_row(str(r), escape(ai.actor), "no move of its own helps", "-", "-", "-", "-")
                continue
            t.add_row(str(r), escape(ai.actor), escape("; ".join(m.changes)), f"{100 * m.size:.0f}%",
                      "opens" if m.opens_zone and not res.base_zone_open else ("open" if m.opens_zone else "empty"),
                      f"{m.deals}/{len(res.models)}", f"{m.margin - res.base_margin:+.3f}")
        t.caption = ("size: distance moved as a share of the scale (salience: of [0, 1]); margin: gain in the "
                     "smallest slack over the deal conditions")
        console.print(t)
        for r, ai in enumerate(res.ranking, start=1):
            if ai.result is None:
                continue
            df = ai.result.to_frame()
            moved = df[df["difference"].abs() > 1e-9]
            line = ", ".join(f"{row.model} {row.issue} {fmt_value(row.base)}->{fmt_value(row.changed)}"
                             for row in moved.itertuples(index=False)) or "no forecast moves"
            dp = ai.result.changed_deal_probability
            tail = f"; deal probability {dp:.1%}" if dp is not None else ""
            console.print(f"[dim]{r}. {escape(ai.actor)}: resulting forecast:[/] {escape(line)}{tail}",
                          highlight=False)
        console.print(f"seed entropy: {res.seed_entropy}", style="dim")
