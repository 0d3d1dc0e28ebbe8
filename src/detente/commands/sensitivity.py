"""``detente montecarlo`` and ``detente sensitivity``: parse -> library call -> render."""

from __future__ import annotations

import io
import json
import math
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .. import service
from ..errors import ScenarioError
from ..service.uncertainty import get_backend, load_with_uncertainty, uncertainty_model
from ._common import (
    SafeConsole,
    console,
    emit,
    err_console,
    exit_on_error,
    fit_tables,
    write_output,
)
from ._whatif import SetOpt, WithoutOpt, change_list, change_table, difference_table

__all__ = ["montecarlo_cmd", "register", "sensitivity_cmd"]

_D = service.DEFAULTS

ScenarioArg = Annotated[
    str, typer.Argument(help="A built-in scenario name or a YAML/JSON/CSV file (may hold an `uncertainty:` section).")
]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Registered model name (see `detente models`).")]
McModelOpt = Annotated[list[str] | None, typer.Option("--model", "-m", help="Registered model name (see `detente models`), or 'simulator': negotiate every draw with the simulator (see --protocol, --strategies, --steps). Repeatable: every model runs on the same draws.")]
ProtocolOpt = Annotated[str | None, typer.Option("--protocol", help=f"With --model simulator: {', '.join(service.protocol_names())} (default summit).")]
StrategiesOpt = Annotated[str | None, typer.Option("--strategies", "-s", help="With --model simulator: comma-separated strategy per party, one for all, or 'mix' (default: all pairs of the five NegMAS strategies).")]
StepsOpt = Annotated[int | None, typer.Option("--steps", help="With --model simulator: deadline in steps per bargaining stage (default 100).")]
LevelsOpt = Annotated[int | None, typer.Option("--levels", help="With --model simulator: grid values per issue (default 5).")]
ParamOpt = Annotated[
    list[str] | None, typer.Option("--param", "-p", help="Model parameter NAME=VALUE (repeatable).")
]
UncOpt = Annotated[
    Path | None,
    typer.Option("--uncertainty", "-u", help="YAML/JSON file with an uncertainty section (replaces the scenario's)."),
]
NoisePos = Annotated[float | None, typer.Option("--noise-position", help="Expert noise on positions (scale points).")]
NoiseSal = Annotated[float | None, typer.Option("--noise-salience", help="Expert noise on saliences (relative, 0.2 = 20%).")]
NoisePow = Annotated[float | None, typer.Option("--noise-power", help="Expert noise on power (relative).")]
NoiseRed = Annotated[float | None, typer.Option("--noise-red-line", help="Expert noise on red-line bounds (scale points).")]
NoiseWalk = Annotated[float | None, typer.Option("--noise-walk-away", help="Expert noise on walk-away utilities (absolute).")]
NoiseCred = Annotated[float | None, typer.Option("--noise-credibility", help="Expert noise on threat credibility (absolute).")]
NoiseShape = Annotated[str, typer.Option("--noise-shape", help="normal (noise = sd) or uniform (noise = half-width).")]
BackendOpt = Annotated[str, typer.Option("--backend", help="local or dask.")]
FirmOpt = Annotated[float | None, typer.Option("--firmness", help="Probability that a red line (or an absent veto holder's consent) without a firmness of its own binds in a draw; 1 = hard red lines (default: fitted on the case library).")]
SchedOpt = Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address tcp://HOST:PORT (default: a LocalCluster).")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", help="Local threads, or LocalCluster workers with --backend dask.")]
FmtOpt = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (default: fresh entropy, printed so the run can be repeated).")]


def _noise(pos, sal, powr, red, walk, cred, shape) -> dict | None:
    """The --noise-* options as a noise mapping, or None when none is given (the service then
    uses the scenario's uncertainty section, or its default expert noise)."""
    given = {"position": pos, "salience": sal, "power": powr, "red_line": red, "walk_away": walk,
             "credibility": cred}
    if shape not in ("normal", "uniform"):
        raise ScenarioError(f"{shape!r} is not one of normal, uniform", field="--noise-shape")
    for k, v in given.items():
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ScenarioError(f"must be a finite number >= 0 (got {v})",
                                field=f"--noise-{k.replace('_', '-')}")
    if all(v is None for v in given.values()):
        return None
    return {**{k: (v or 0.0) for k, v in given.items()}, "shape": shape}


def _check_fmt(fmt: str) -> None:
    if fmt not in ("table", "json", "csv"):
        raise ScenarioError(f"{fmt!r} is not one of table, json, csv", field="--format")


@contextmanager
def _progress(label: str):
    prog = Progress(
        TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err_console, transient=True, disable=not err_console.is_terminal,
    )
    with prog:
        task = prog.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        yield update


def _render(tables: list, lines: list[str], output: Path | None) -> None:
    _render_blocks([(tables, lines)], output)


def _render_blocks(blocks: list[tuple[list, list[str]]], output: Path | None) -> None:
    """Print (or write to ``output``) each block's lines, then its tables, block by block."""
    con = console
    if output:

        con = SafeConsole(record=True, width=140, file=io.StringIO())
    for tables, lines in blocks:
        for ln in lines:
            con.print(ln, highlight=False)
        for t in tables:
            con.print(t)
    if output:
        write_output(con.export_text(), output)


def _f(v: Any, digits: int = 2) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def montecarlo_cmd(
    scenario: ScenarioArg = _D.scenario,
    model: McModelOpt = [_D.uncertainty_model],  # noqa: B006  (typer reads it; never mutated)
    param: ParamOpt = None,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Number of Monte Carlo draws.")] = _D.draws,
    uncertainty: UncOpt = None,
    noise_position: NoisePos = None,
    noise_salience: NoiseSal = None,
    noise_power: NoisePow = None,
    noise_red_line: NoiseRed = None,
    noise_walk_away: NoiseWalk = None,
    noise_credibility: NoiseCred = None,
    noise_shape: NoiseShape = "normal",
    backend: BackendOpt = "local",
    scheduler: SchedOpt = None,
    workers: WorkersOpt = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Draws per task (whole blocks of 4096).")] = _D.mc_chunk_size,
    seed: SeedOpt = None,
    firmness: FirmOpt = None,
    fmt: FmtOpt = "table",
    output: OutOpt = None,
    protocol: ProtocolOpt = None,
    strategies: StrategiesOpt = None,
    steps: StepsOpt = None,
    levels: LevelsOpt = None,
    set_: SetOpt = None,
    without: WithoutOpt = None,
) -> None:
    """Monte Carlo over uncertain inputs: forecast distribution and probability of a deal (with
    --set/--without: on the changed scenario, with the difference from the base)."""
    with exit_on_error():
        _check_fmt(fmt)
        if draws <= 0:
            raise ScenarioError(f"must be a positive integer (got {draws})", field="--draws")
        if chunk_size <= 0:
            raise ScenarioError(f"must be a positive integer (got {chunk_size})", field="--chunk-size")
        m = _models(model, param, {"protocol": protocol, "strategies": strategies, "steps": steps,
                                   "levels": levels})
        sc, spec = load_with_uncertainty(scenario, uncertainty)
        noise = _noise(noise_position, noise_salience, noise_power, noise_red_line,
                       noise_walk_away, noise_credibility, noise_shape)
        be = get_backend(backend, scheduler, workers)
        with be, _progress("Monte Carlo") as update:
            if backend == "dask" and getattr(be, "dashboard_link", None):
                err_console.print(f"[dim]Dask dashboard:[/] {be.dashboard_link}", highlight=False)
            changes = change_list(set_, without)
            if changes:  # the base and the changed scenario with the same seed
                pair = service.paired(service.monte_carlo, sc, changes, seed=seed, model=m, draws=draws,
                                      uncertainty=spec, noise=noise, noise_shape=noise_shape, backend=be,
                                      chunk_size=chunk_size, firmness=firmness)
                run, sc = pair.changed, pair.whatif.scenario
            else:
                run = service.monte_carlo(sc, m, draws=draws, seed=seed, uncertainty=spec,
                                          noise=noise, noise_shape=noise_shape, backend=be, chunk_size=chunk_size,
                                          progress=update, firmness=firmness)
        res, note = run.result, run.note
        if changes and fmt == "json":
            doc = res.summary()
            doc["notes"] = [n for n in (note, *doc["notes"]) if n]
            doc["what_if"] = {"changes": [c.to_dict() for c in pair.whatif.changes], "difference": pair.difference()}
            emit(json.dumps(doc, indent=2, allow_nan=False), output)
            return
        if changes and fmt == "table" and output is None:
            console.print(change_table(pair.whatif.changes))
            console.print(difference_table(pair.difference(), "What-if: Monte Carlo, base -> changed"))
        if _emit_machine(res, lambda: res.to_frame("issues"), fmt, note, output):
            return
        if getattr(res, "results", None) is not None:  # several models (MonteCarloResults)
            blocks: list[tuple[list, list[str]]] = [([], [f"[dim]note:[/] {escape(note)}"] if note else [])]
            for r in res:
                t_r, lines_r = _mc_tables(sc, r, be, "", 140 if output else console.width)
                blocks.append((t_r, lines_r))
            d = Table(title=f"Probability of a deal by model ({res.results[0].n_draws:,} draws each, "
                            "the same draws for every model)", title_justify="left")
            for c in ("model", "deal", "95% interval"):
                d.add_column(c, justify="left" if c == "model" else "right", no_wrap=c != "model")
            for r in res:
                lo, hi = r.deal_interval(0.95)
                d.add_row(escape(r.model), f"{100 * r.deal_probability:.2f}%", f"{100 * lo:.2f}-{100 * hi:.2f}%")
            blocks.append(([d], []))
            _render_blocks(blocks, output)
            return
        tables, lines = _mc_tables(sc, res, be, note, 140 if output else console.width)
        _render(tables, lines, output)


def _models(names: list[str] | None, param: list[str] | None, sim: dict[str, Any]) -> Any:
    """The model of ``-m`` (one), or the list of models (several, each at most once)."""
    from ..service.uncertainty import SIMULATOR_NAMES

    names = list(names or [_D.uncertainty_model])
    if len(names) == 1:
        return uncertainty_model(names[0], service.parse_single_params(param), sim)
    registered = [n for n in names if n.strip().lower() not in SIMULATOR_NAMES]
    service.check_models(registered)
    per = service.parse_params(list(param or []), registered)
    given = [k for k, v in sim.items() if v is not None]
    if given and len(registered) == len(names):
        raise ScenarioError(f"{', '.join('--' + k for k in given)} only apply with --model simulator",
                            field="--model")
    return [uncertainty_model(n, per[n]) if n in per else uncertainty_model(n, None, sim) for n in names]


def _mc_tables(sc: Any, res: Any, be: Any, note: str, width: int) -> tuple[list[Table], list[str]]:
    """One model's Monte Carlo tables and the lines printed before them."""
    cols = ["mean", "sd", *[f"q{q:g}" for q in res.quantile_levels], "no outcome"]
    rows = [[escape(iss.label), _f(res.mean[k]), _f(res.sd[k]),
             *[_f(res.quantiles[j, k]) for j in range(len(res.quantile_levels))],
             f"{100 * res.no_outcome_share[k]:.1f}%"] for k, iss in enumerate(sc.issues)]
    # numbers are never cut: narrow terminals get split tables (see fit_tables)
    ts, _legend = fit_tables(f"Monte Carlo: {escape(sc.title or sc.name)} ({res.model}, {res.n_draws:,} draws)",
                             ["issue"], cols, rows, width=width)
    sim = bool(res.end_reasons)
    b = Table(title="Who rules a deal out (share of draws)", title_justify="left")
    b.add_column("actor", style="bold")
    b.add_column("vetoed the table agreement" if sim else "outside its red lines", justify="right", no_wrap=True)
    b.add_column("walked away" if sim else "below its walk-away", justify="right", no_wrap=True)
    for i, act in enumerate(sc.actors):
        b.add_row(escape(act.label), f"{100 * res.red_line_block[i]:.1f}%", f"{100 * res.walk_away_block[i]:.1f}%")
    lines = [f"[dim]note:[/] {escape(n)}" for n in (note, *res.notes) if n]
    if sim:
        lines.append("[bold]How the negotiations ended:[/] " + ", ".join(
            f"{escape(k.replace('_', ' '))} {100 * v:.1f}%" for k, v in res.end_reasons))
    lo, hi = res.deal_interval(0.95)
    lines.append(
        f"[bold]Raw structural deal rate[/] (share of draws that are a deal; not a calibrated "
        f"probability): {100 * res.deal_probability:.2f}% "
        f"(95% sampling interval {100 * lo:.3f}-{100 * hi:.3f}%) over {len(res.inputs)} uncertain "
        f"inputs; seed {res.seed_entropy}; backend {be.describe()}"
    )
    deal = service.calibrated_deal_probability(sc)
    if deal is not None:  # the same number `detente forecast`, the report and the API show
        lines.append(
            f"[bold]Probability of a deal[/] (calibrated on the case library): {100 * deal.value:.0f}% "
            f"({100 * deal.level:.0f}% interval {100 * deal.low:.0f}-{100 * deal.high:.0f}%)")
    return [*ts, b], lines


def sensitivity_cmd(
    scenario: ScenarioArg = _D.scenario,
    model: ModelOpt = _D.uncertainty_model,
    param: ParamOpt = None,
    samples: Annotated[int, typer.Option("--samples", "-n", help="Sobol base sample N (power of 2) or Morris trajectories.")] = _D.samples,
    method: Annotated[str, typer.Option("--method", help="sobol or morris.")] = _D.method,
    second_order: Annotated[bool, typer.Option("--second-order", help="Also second-order Sobol indices.")] = False,
    groups: Annotated[str | None, typer.Option("--groups", help="Group inputs by actor or field.")] = None,
    top: Annotated[int, typer.Option("--top", help="Inputs shown per output in the table.")] = 8,
    uncertainty: UncOpt = None,
    noise_position: NoisePos = None,
    noise_salience: NoiseSal = None,
    noise_power: NoisePow = None,
    noise_red_line: NoiseRed = None,
    noise_walk_away: NoiseWalk = None,
    noise_credibility: NoiseCred = None,
    noise_shape: NoiseShape = "normal",
    backend: BackendOpt = "local",
    scheduler: SchedOpt = None,
    workers: WorkersOpt = None,
    seed: SeedOpt = None,
    firmness: FirmOpt = None,
    fmt: FmtOpt = "table",
    output: OutOpt = None,
) -> None:
    """Which uncertain inputs move each issue and the chance of a deal (Sobol or Morris)."""
    import numpy as np

    with exit_on_error():
        from ..uncertainty.result import DEAL
        from ..uncertainty.sobol import DEAL_MARGIN

        _check_fmt(fmt)
        if method not in ("sobol", "morris"):
            raise ScenarioError(f"{method!r} is not one of sobol, morris", field="--method")
        if samples < 2:
            raise ScenarioError(f"must be an integer >= 2 (got {samples})", field="--samples")
        if top < 1:
            raise ScenarioError(f"must be a positive integer (got {top})", field="--top")
        m = uncertainty_model(model, service.parse_single_params(param))
        sc, spec = load_with_uncertainty(scenario, uncertainty)
        noise = _noise(noise_position, noise_salience, noise_power, noise_red_line,
                       noise_walk_away, noise_credibility, noise_shape)
        be = get_backend(backend, scheduler, workers)
        with be, _progress(f"{method.capitalize()} design") as update:
            run = service.sensitivity(sc, m, samples=samples, method=method, second_order=second_order,
                                      seed=seed, uncertainty=spec, noise=noise, noise_shape=noise_shape,
                                      groups=groups, backend=be, progress=update, firmness=firmness)
        res, note = run.result, run.note
        if _emit_machine(res, res.to_frame, fmt, note, output):
            return
        df = res.to_frame()
        tables = []
        label = {i.id: escape(i.label) for i in sc.issues}
        label[DEAL] = "Deal (1 = deal)"
        label[DEAL_MARGIN] = "Distance to a deal (deal margin)"
        order = [DEAL_MARGIN, DEAL, *[o for o in res.outputs if o not in (DEAL, DEAL_MARGIN)]]
        for out in order:
            k = res.outputs.index(out)
            sub = df[df["output"] == out].head(top)
            title = f"{label.get(out, out)}: what moves it ({res.method})"
            t = Table(title=title, title_justify="left")
            t.add_column("rank", justify="right", no_wrap=True)
            t.add_column("input", style="bold", overflow="fold")  # wraps, never cut
            cols: tuple[tuple[str, str, str], ...]
            if res.method == "sobol":
                cols = (("S1", "S1_conf", "first order"), ("ST", "ST_conf", "total order"))
            else:
                cols = (("mu_star", "mu_star_conf", "mu*"),)
            for _, _, head in cols:
                t.add_column(head, justify="right", no_wrap=True)
            if not np.isfinite(res.score[k]).any():
                t.caption = "not defined: this output does not vary over the design"
                sub = sub.head(0)
            for row in sub.itertuples(index=False):
                r = row._asdict()
                cells = [str(r["rank"]), escape(r["input"])]
                for est, conf, _ in cols:
                    cells.append(f"{_f(r[est], 3)} ± {_f(r[conf], 3)}")
                t.add_row(*cells)
            tables.append(t)
        if res.S2 is not None:
            t2 = Table(title="Distance to a deal: strongest interactions (second order)",
                       title_justify="left")
            for c in ("input 1", "input 2", "S2"):
                t2.add_column(c, justify="right" if c == "S2" else "left")
            for a, b, v, c in res.top_pairs(DEAL_MARGIN, top):
                t2.add_row(escape(a), escape(b), f"{_f(v, 3)} ± {_f(c, 3)}")
            tables.insert(1, t2)
        deal_k = res.outputs.index(DEAL)
        lines = [f"[dim]note:[/] {escape(n)}" for n in (note, *res.notes) if n]
        ranking = res.ranking(DEAL_MARGIN)
        lines.append(
            f"[bold]Share of deals over the design:[/] {100 * res.output_mean[deal_k]:.2f}%; "
            f"what would change that most: {escape(', '.join(ranking[:3]))} "
            f"({res.n_evaluations:,} model runs, seed {res.seed_entropy})"
        )
        _render(tables, lines, output)



def _emit_machine(res, frame, fmt: str, note: str | None, output) -> bool:
    """Write JSON (summary) or CSV (``frame()``, built only then) at full precision; False for
    the table format."""
    if fmt == "json":
        doc = res.summary()
        doc["notes"] = [n for n in (note, *doc["notes"]) if n]
        emit(json.dumps(doc, indent=2, allow_nan=False), output)
        return True
    if fmt == "csv":
        emit(service.frame_to_csv(frame()), output)
        return True
    return False

def register(app: typer.Typer) -> None:
    """Add ``montecarlo`` and ``sensitivity`` to the detente CLI."""
    app.command("montecarlo")(montecarlo_cmd)
    app.command("sensitivity")(sensitivity_cmd)
