"""``detente simulate``: play negotiations out, thousands at once (parse -> simulate -> render)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .. import service
from ..errors import ScenarioError
from ._common import console, err_console, exit_on_error, write_output
from ._whatif import SetOpt, WithoutOpt, change_list, change_table, difference_table

__all__ = ["register", "simulate_cmd"]

#: show a progress bar from this many runs on
PROGRESS_FROM = 20_000


def _json_default(v: Any) -> Any:
    import numpy as np

    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


def _render_json(res) -> str:
    import numpy as np

    df = res.to_frame("runs")
    runs = []
    for row in df.to_dict(orient="records"):
        runs.append({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()})
    return json.dumps({"summary": res.summary(), "runs": runs}, default=_json_default, indent=1) + "\n"


def _render_csv(res) -> str:
    buf = io.StringIO()
    res.to_frame("runs").to_csv(buf, index=False)
    return buf.getvalue()


def _pct(x: float) -> str:
    return f"{x:.1%}" if x == 0 or x >= 0.001 else f"{x:.3%}"


def _render_table(res) -> None:
    s = res.summary()
    lo, hi = s["deal_rate_ci"]
    where = "at the summit" if res.protocol == "summit" else f"({res.protocol})"
    console.print(
        f"[bold]{res.scenario}[/]: deal rate {where} [bold]{s['deal_rate']:.1%}[/] "
        f"({s['deals']} of {s['runs']} runs; {int(s['ci_level'] * 100)}% CI {_pct(lo)} to {_pct(hi)})"
    )
    t = Table(title="How the runs ended")
    t.add_column("reason")
    t.add_column("runs", justify="right")
    t.add_column("share", justify="right")
    for k, v in s["reasons"].items():
        t.add_row(k, str(v), f"{v / s['runs']:.1%}")
    console.print(t)
    if s.get("ended_by"):
        t = Table(title="Who ended the runs")
        t.add_column("ended by")
        t.add_column("runs", justify="right")
        t.add_column("share", justify="right")
        for k, v in s["ended_by"].items():
            t.add_row(k.replace(":", " by ", 1) if ":" in k else k, str(v), f"{v / s['runs']:.1%}")
        console.print(t)
    if s["stages"]:
        t = Table(title="Stage in which the run ended")
        t.add_column("stage")
        t.add_column("runs", justify="right")
        t.add_column("deals", justify="right")
        for k, v in s["stages"].items():
            t.add_row(k, str(v["runs"]), str(v["deals"]))
        console.print(t)
    if len(s["strategies"]) > 1:
        t = Table(title="Deal rate by strategies")
        t.add_column("strategies")
        t.add_column("runs", justify="right")
        t.add_column("deal rate", justify="right")
        agreed = res.agreed
        for k in s["strategies"]:
            sel = res.strategies == k
            t.add_row(k, str(int(sel.sum())), f"{agreed[sel].mean():.1%}")
        console.print(t)
    t = Table(title="Outcome distribution (agreed value per issue)")
    t.add_column("issue")
    t.add_column("values (share of deals)")
    for iss, dist in s["outcome_distribution"].items():
        total = sum(dist.values())
        txt = ", ".join(f"{k}: {v / total:.0%}" for k, v in list(dist.items())[:6]) if total else "no deals"
        t.add_row(iss, txt)
    console.print(t)
    if s["vetoed_outcome_distribution"]:
        t = Table(title="Agreed at the table but vetoed by an absent veto holder")
        t.add_column("issue")
        t.add_column("values (share of vetoed agreements)")
        for iss, dist in s["vetoed_outcome_distribution"].items():
            total = sum(dist.values())
            t.add_row(iss, ", ".join(f"{k}: {v / total:.0%}" for k, v in list(dist.items())[:6]))
        console.print(t)
    t = Table(title="Mean utility", caption="no deal: reservation value")
    t.add_column("party")
    t.add_column("utility", justify="right")
    for k, v in s["mean_utility"].items():
        t.add_row(k, f"{v:.3f}")
    console.print(t)
    console.print(f"seed entropy: {res.seed_entropy}", style="dim")


_D = service.DEFAULTS
#: The protocol choices, from the simulator's registry (``name: summary``).
_PROTOCOLS = service.protocol_help() or "the simulator is not installed"


def simulate_cmd(
    scenario: Annotated[str, typer.Argument(help="Built-in scenario name, scenario file (YAML/JSON/CSV) or GENIUS folder (domain + profiles).")] = _D.scenario,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Number of negotiations.")] = _D.runs,
    protocol: Annotated[str | None, typer.Option("--protocol", help=f"{_PROTOCOLS} (default: summit for a scenario with stages, else alternating).")] = _D.protocol,
    strategies: Annotated[str, typer.Option("--strategies", "-s", help="Comma-separated strategy per party (boulware, linear, conceder, hardliner, aspiration, tit_for_tat, random, best_response), one for all, or 'mix': all pairs of the five NegMAS strategies (with more than two parties: each of them for everyone).")] = _D.strategies,
    steps: Annotated[int, typer.Option("--steps", help="Deadline in steps per bargaining stage.")] = _D.steps,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Also a deadline in simulated time (each step takes 1 unit); relative time is the larger of the two.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (default: fresh entropy, printed).")] = None,
    levels: Annotated[int, typer.Option("--levels", help="Grid values per issue for scenarios.")] = _D.levels,
    walk_away: Annotated[bool | None, typer.Option("--walk-away/--no-walk-away", help="Allow walking away (default: on for the summit).")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Runs per chunk (memory bound).")] = _D.sim_chunk_size,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON/CSV to this file.")] = None,
    set_: SetOpt = None,
    without: WithoutOpt = None,
) -> None:
    """Simulate negotiations: deal rate, how runs end, outcome distribution (with --set/--without:
    on the changed scenario, with the difference from the base)."""
    with exit_on_error():
        if fmt not in ("table", "json", "csv"):
            raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")
        if output is not None and fmt == "table":
            raise ScenarioError("--output needs --format json or csv", field="--output")
        kw: dict[str, Any] = dict(runs=runs, protocol=protocol, strategies=strategies, steps=steps, seed=seed,
                                  levels=levels, walk_away=walk_away, chunk_size=chunk_size, time_limit=time_limit)
        changes = change_list(set_, without)
        if changes:
            kw.pop("seed")
            pair = service.paired(service.simulate, scenario, changes, seed=seed, **kw)
            res = pair.changed
            if fmt == "table":
                console.print(change_table(pair.whatif.changes))
                console.print(difference_table(pair.difference(), "What-if: simulation, base -> changed"))
                _render_table(res)
                return
            doc = json.loads(_render_json(res)) if fmt == "json" else None
            if doc is not None:
                doc["what_if"] = {"changes": [c.to_dict() for c in pair.whatif.changes],
                                  "difference": pair.difference()}
            text = json.dumps(doc, default=_json_default, indent=1) + "\n" if doc is not None else _render_csv(res)
            if output is None:
                typer.echo(text, nl=False)
            else:
                write_output(text, output)
                err_console.print(f"wrote {output}")
            return
        if runs >= PROGRESS_FROM:
            with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
                task = bar.add_task("runs", total=runs)
                res = service.simulate(scenario, progress=lambda d, n: bar.update(task, completed=d), **kw)
        else:
            res = service.simulate(scenario, **kw)
        if fmt == "table":
            _render_table(res)
            return
        text = _render_json(res) if fmt == "json" else _render_csv(res)
        if output is None:
            typer.echo(text, nl=False)
        else:
            write_output(text, output)
            err_console.print(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add ``detente simulate`` to ``app``."""
    app.command("simulate")(simulate_cmd)
