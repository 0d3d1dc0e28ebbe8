"""``detente backtest``: how accurate is each model on negotiations with known outcomes, and
how good are the deal probability and the intervals out of sample?

Usage::

    detente backtest PATH [PATH ...]      case folders, scenario files or built-in names
    detente backtest deu FILE             the official DEU III file (Dataset_DEU_III.csv)
    detente backtest --builtin            every built-in scenario that records an outcome

The CLI is a shell: parse the options, call :mod:`detente.backtest`, render.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .. import service
from ..errors import DetenteError, MissingExtraError, ScenarioError
from ._common import console, echo, err_console, exit_on_error, fit_tables, write_output

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["backtest_cmd", "register", "run_backtest"]

_D = service.DEFAULTS

_FORMATS = ("table", "json", "csv")


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}f}"


def _ci(row: pd.Series, col: str, digits: int = 1, scale: float = 1.0) -> str:
    v = row[col]
    if not isinstance(v, float) or not math.isfinite(v):
        return "-"
    lo, hi = row[f"{col}_low"], row[f"{col}_high"]
    return f"{_fmt(v * scale, digits)} [{_fmt(lo * scale, digits)}, {_fmt(hi * scale, digits)}]"


def _pct(row: pd.Series, col: str) -> str:
    return _ci(row, col, 0, 100.0) if math.isfinite(row[col]) else "-"


def run_backtest(cases, names: list[str], params: dict[str, dict[str, str]], *, seed: int,
                 n_boot: int, level: float, show_progress: bool):
    """The service call, with a rich progress bar over (model, case) on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = service.backtest_plan(names, params, cases)
    with Progress(TextColumn("[bold]backtest[/]"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.description}"), console=err_console,
                  transient=True, disable=not show_progress) as bar:
        task = bar.add_task("", total=total)

        def progress(done: int, _total: int, label: str) -> None:
            bar.update(task, completed=done, description=label[:60])

        return service.backtest(cases, names, params, seed=seed, n_boot=n_boot, level=level, progress=progress)


def summary_tables(result, title: str, width: int) -> list[Table]:
    """The summary per model, fitted to ``width`` columns (split, never cut; see fit_tables);
    the caption goes under the last table."""
    s = result.summary()
    lvl = f"{round(result.level * 100)}%"
    caption = (f"errors on a 0-100 scale per issue; brackets: {lvl} bootstrap interval "
               "resampling whole cases; per-case: mean of the cases' MAEs; range: error to "
               "the outcome's defensible range (0 inside); beats: share of issues with a "
               "smaller error than the plain mean of positions / the status quo")
    rows, hidden = [], []
    for _, r in s.iterrows():
        if r["kind"] == "baseline" and r["n_scored"] == 0:
            hidden.append(str(r["model"]))
            continue
        sq = "-" if r["n_status_quo"] == 0 else f"{_pct(r, 'beats_status_quo')}\n({r['n_status_quo']})"
        dim = r["kind"] == "baseline"
        cells = [
            f"{r['n_scored']}/{r['n_issues']}", _ci(r, "mae_norm"), _fmt(r["mae_norm_macro"]),
            _fmt(r["rmse_norm"]),
            _fmt(r["in_range"] * 100, 0) + "%" if math.isfinite(r["in_range"]) else "-",
            _fmt(r["range_mae_norm"]), _pct(r, "beats_mean"), sq,
        ]
        # an interval goes on its own line under its value, so columns stay narrow
        cells = [c.replace(" [", "\n[") for c in cells]
        name = escape(str(r["model"]))
        rows.append([f"[dim]{name}[/]" if dim else name, *[f"[dim]{c}[/]" if dim else c for c in cells]])
    if hidden:
        caption += f". Not shown (no forecast on any issue): {', '.join(hidden)}"
    few = int(s["n_clusters"].max()) if len(s) else 0
    if few < 10:
        caption += (f". Only {few} independent cases (clusters): the intervals are rough, and "
                    "with 1-3 they say almost nothing")
    tables, _legend = fit_tables(escape(title), ["model"],
                                 ["issues", "MAE", "per-case", "RMSE", "in range", "range", "beats mean",
                                  "beats SQ (n)"], rows, width=width)
    tables[-1].caption = caption
    tables[-1].caption_justify = "left"
    return tables


def breakdown_tables(result, by: str, width: int) -> list[Table]:
    """MAE per model and value of ``by``, fitted to ``width`` columns (split, never cut)."""
    import pandas as pd
    s = result.summary(by)
    levels = [v for v in pd.unique(s[by])]
    models = list(pd.unique(s["model"]))

    def cell(model, v) -> str:
        r = s[(s["model"] == model) & (s[by] == v)]
        if r.empty or r["n_scored"].iloc[0] == 0:
            return "-"
        return f"{_fmt(r['mae_norm'].iloc[0])} ({r['n_scored'].iloc[0]})"

    title = f"MAE (0-100) by {escape(by)} (n)"
    if len(levels) > len(models):  # many levels (e.g. --by case): one row each, a column per model
        rows = [[escape(str(v)), *[cell(m, v) for m in models]] for v in levels]
        tables, legend = fit_tables(title, [escape(by)], [escape(str(m)) for m in models], rows,
                                    width=width, legend_label="models")
    else:
        rows = [[escape(str(m)), *[cell(m, v) for v in levels]] for m in models]
        tables, legend = fit_tables(title, ["model"], [escape(str(v)) for v in levels], rows,
                                    width=width, legend_label=by)
    if legend:
        tables[-1].caption = escape(legend[0])
        tables[-1].caption_justify = "left"
    return tables


def _ci_text(v: Any, ci: Any, digits: int, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    f = f"{{:{'+' if signed else ''}.{digits}f}}"
    text = f.format(v)
    if ci and ci[0] is not None and ci[1] is not None:
        text += f"\n[{f.format(ci[0])}, {f.format(ci[1])}]"
    return text


_DEAL_LABELS = {"probability": "calibrated model", "base_rate": "base rate (LOO)",
                "raw_structural_rate": "raw structural rate",
                "hard_rate": "raw rate, hard red lines"}


def score_tables(track, width: int) -> list[Table]:
    """The out-of-sample scores: the deal probability per forecaster, then the point
    forecasts per model and for the ensemble (fitted to ``width``; notes as a caption)."""
    d = track.to_dict()
    tables: list[Table] = []
    if d["deal"]:
        rows = []
        for name, r in d["deal"].items():
            iv = r["intervals"]
            rows.append([escape(_DEAL_LABELS.get(name, name)),
                         _ci_text(r["brier"], iv["brier"], 3), _ci_text(r["log_loss"], iv["log_loss"], 3),
                         _ci_text(r["brier_skill"], iv["brier_skill"], 3, signed=True),
                         _ci_text(r["ece"], iv["ece"], 3), f"{r['min']:.2f}-{r['max']:.2f}"])
        ts, _ = fit_tables(
            f"Deal probability, out of sample: {d['n_deal_cases']} cases, {d['n_deals']} deals "
            "(nested leave-one-case-out)", ["forecaster"],
            ["Brier", "log loss", "Brier skill", "ECE", "range"], rows, width=width)
        tables += ts
    if d["points"]:
        rows = []
        for name, r in d["points"].items():
            cov = r["coverage"]
            em = r.get("ensemble_minus_model")
            rows.append([escape(name), _ci_text(r["mae"], r["mae_ci"], 1),
                         _ci_text(r["crps"], r["crps_ci"], 1),
                         *[_fmt(cov.get(k), 2) for k in ("0.5", "0.8", "0.9")],
                         "" if em is None else _ci_text(em, r.get("ensemble_minus_model_ci"), 1,
                                                        signed=True)])
        ts, _ = fit_tables(
            f"Point forecasts, out of sample: {d['n_rows']} issue rows (0-100; ensemble and "
            "intervals leave-one-case-out, jackknife+)", ["forecaster"],
            ["MAE", "CRPS", "cov 50%", "cov 80%", "cov 90%", "ensemble - model"], rows,
            width=width)
        tables += ts
    caption = ("brackets: 95% interval resampling whole cases; Brier skill against the "
               "left-one-out base rate; cov: share of outcomes inside the nominal interval")
    notes = list(d.get("notes") or [])
    if tables:
        tables[-1].caption = escape("; ".join([caption, *notes]))
        tables[-1].caption_justify = "left"
    return tables


def failures_table(result) -> Table | None:
    f = result.failures
    if f.empty:
        return None
    t = Table(title="Cases a model could not forecast", title_justify="left")
    for c in ("model", "case", "reason"):
        t.add_column(c)
    for _, r in f.iterrows():
        t.add_row(r["model"], r["case"], r["reason"])
    return t


def plot_errors(result, path: Path) -> None:
    """The report's backtest chart (every issue's 0-100 error, the mean as a bar) as a PNG;
    raises MissingExtraError without matplotlib."""
    png = service.backtest_chart_png(result)
    if png is not None:
        write_output(png, path)


#: the out-of-sample score keys copied to the top of the backtest document
SCORE_KEYS = ("brier", "log_loss", "brier_skill", "ece", "coverage", "crps")


def document(result, track) -> dict[str, Any]:
    """The backtest's JSON document: the harness summary, then ``scores`` (the whole track
    record, or None when not scored) and its headline keys (:data:`SCORE_KEYS`) on top."""
    doc = result.to_dict()
    scores = track.to_dict() if track is not None else None
    for k in SCORE_KEYS:
        doc[k] = scores[k] if scores is not None else None
    doc["scores"] = scores
    return doc


def write_folder(result, folder: Path, deu_table: pd.DataFrame | None, track=None) -> list[str]:
    """predictions.csv/.parquet, summary.json, [deu_issues_parsed.csv], error_by_model.png;
    with scores also deal_forecasts.csv, point_forecasts.csv and calibration.png."""
    folder.mkdir(parents=True, exist_ok=True)
    written, notes = [], []
    df = result.to_frame()
    write_output(service.frame_to_csv(df), folder / "predictions.csv")
    written.append("predictions.csv")
    try:
        import pyarrow  # noqa: F401

        pbuf = io.BytesIO()
        df.to_parquet(pbuf, index=False)
        write_output(pbuf.getvalue(), folder / "predictions.parquet")
        written.append("predictions.parquet")
    except ImportError:
        notes.append(f"predictions.parquet skipped: {MissingExtraError('pyarrow', 'parquet')}")
    write_output(json.dumps(document(result, track), indent=2, allow_nan=False) + "\n",
                 folder / "summary.json")
    written.append("summary.json")
    if track is not None:
        for kind, name in (("deal", "deal_forecasts.csv"), ("points", "point_forecasts.csv")):
            frame = track.to_frame(kind)
            if len(frame):
                write_output(service.frame_to_csv(frame), folder / name)
                written.append(name)
        try:
            png = service.backtest_scores_png(track)
            if png is not None:
                write_output(png, folder / "calibration.png")
                written.append("calibration.png")
        except MissingExtraError as e:
            notes.append(f"calibration.png skipped: {e}")
    if deu_table is not None:
        write_output(service.frame_to_csv(deu_table), folder / "deu_issues_parsed.csv")
        written.append("deu_issues_parsed.csv")
    try:
        if (df["status"] == "ok").any():
            plot_errors(result, folder / "error_by_model.png")
            written.append("error_by_model.png")
    except MissingExtraError as e:  # the error names the package and its extra
        notes.append(f"error_by_model.png skipped: {e}")
    return written + [f"note: {n}" for n in notes]


def _is_issue_table(path: str) -> bool:
    """True for a file in the layout of deu_issues.csv (issue-level outcomes, no actor data)."""
    p = Path(path)
    if not p.is_file():
        return False
    with open(p, encoding="utf-8", errors="replace") as fh:
        head = fh.readline().lower()
    return ";" not in head and "issue_id" in head and "reference_point" in head


def _outcome_only(path: Path, *, fmt: str, output: Path | None, seed: int, n_boot: int, level: float) -> None:
    """Score the outcome-only baselines of a deu_issues.csv-style file."""
    issues, res = service.outcome_baselines(path, seed=seed, n_boot=n_boot, level=level)
    if output:
        output.mkdir(parents=True, exist_ok=True)
        write_output(service.frame_to_csv(res), output / "baselines.csv")
        err_console.print(f"wrote {output / 'baselines.csv'}", highlight=False)
    if fmt == "json":
        recs = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                for r in res.to_dict(orient="records")]
        echo(json.dumps({"source": path.name, "n_issues": len(issues), "level": level,
                               "n_boot": n_boot, "baselines": recs}, indent=2))
        return
    if fmt == "csv":
        echo(service.frame_to_csv(res).rstrip("\n"))
        return
    t = Table(title=f"Outcome-only baselines on {path.name}: {len(issues)} issues (no actor data, so "
                    "no model can run)", title_justify="left",
              caption=f"MAE on the issues' scale; [{round(level * 100)}% bootstrap interval resampling "
                      "proposals]", caption_justify="left")
    for c in ("baseline", "issues", "MAE", "RMSE", "what it is"):
        t.add_column(c, justify="left" if c in ("baseline", "what it is") else "right")
    for _, r in res.iterrows():
        t.add_row(r["baseline"], str(r["n_issues"]),
                  f"{_fmt(r['mae'], 2)} [{_fmt(r['mae_low'], 1)}, {_fmt(r['mae_high'], 1)}]",
                  _fmt(r["rmse"], 2), r["description"])
    console.print(t)


def backtest_cmd(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="Case folder(s) (outcomes.csv + inputs/), scenario files or built-in names "
                 "with an outcome section; or 'deu FILE' for the DEU III data file.",
            show_default=False, metavar="PATH"),
    ] = None,
    builtin: Annotated[bool, typer.Option(
        "--builtin", help="Add every built-in scenario that records an outcome.")] = False,
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Model to run (repeatable); default: every registered model.")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="Model parameter NAME=VALUE or MODEL.NAME=VALUE (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv (per-issue predictions).")] = "table",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Folder for predictions.csv/.parquet, summary.json and the plot.")] = None,
    group: Annotated[str, typer.Option(
        help="Case folders: 'case' = one scenario per case (issues together), 'row' = one per scored row.")] = "case",
    variant: Annotated[str, typer.Option(
        help="DEU capabilities: shapley_shubik, banzhaf, votes or equal.")] = "shapley_shubik",
    capabilities: Annotated[Path | None, typer.Option(
        help="DEU voting-power table (default: the packaged deu_capabilities.csv).")] = None,
    min_actors: Annotated[int, typer.Option(help="DEU: leave out issues with fewer valid actors.")] = 3,
    supranational: Annotated[str, typer.Option(
        help="DEU: capability of Commission and Parliament: 'max' (largest state) or a number.")] = "max",
    by: Annotated[list[str] | None, typer.Option(
        "--by", help="Breakdown tables to show: ex_ante, confidence, group, case (repeatable).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for model draws and the bootstrap.")] = _D.backtest_seed,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = _D.n_boot,
    level: Annotated[float, typer.Option(help="Coverage of the bootstrap intervals.")] = _D.level,
    score: Annotated[bool | None, typer.Option(
        "--score/--no-score",
        help="Out-of-sample scores: Brier, log loss, Brier skill, ECE and reliability of the "
             "deal probability; MAE, CRPS, PIT and coverage of the 50/80/90% intervals per model "
             "and for the ensemble, with case-bootstrap intervals. Default: on, except for "
             "'deu FILE'.", show_default=False)] = None,
    score_n_boot: Annotated[int, typer.Option(
        help="Case-bootstrap resamples for the scores' intervals.")] = _D.score_n_boot,
) -> None:
    """Backtest models on negotiations with known outcomes and report their accuracy.

    [bold]detente backtest PATH...[/] (case folders, scenario files with an outcome),
    [bold]detente backtest deu FILE[/] (the DEU III file, or deu_issues.csv for the
    outcome-only baselines), [bold]detente backtest --builtin[/]. See docs/backtest.md.

    Then, unless --no-score, out-of-sample scores (every case left out of every fit that
    scores it): Brier, log loss, Brier skill and ECE of the calibrated deal probability;
    MAE, CRPS and 50/80/90% interval coverage per model and for the ensemble; JSON keys
    brier, log_loss, brier_skill, ece, coverage, crps and scores. See docs/accuracy.md.
    """
    with exit_on_error():
        if fmt not in _FORMATS:
            raise ScenarioError(f"{fmt!r} is not one of {', '.join(_FORMATS)}", field="--format")
        if score_n_boot < 1:
            raise ScenarioError(f"must be a positive integer (got {score_n_boot})",
                                field="--score-n-boot")
        if group not in ("case", "row"):
            raise ScenarioError(f"{group!r} is not one of case, row", field="--group")
        is_deu = bool(sources) and sources[0] == "deu"  # type: ignore[index]
        # DEU rows share ex-ante status and confidence; its Council period is the useful split
        breakdowns = list(by) if by else (["group"] if is_deu else ["ex_ante", "confidence"])
        for b in breakdowns:
            if b not in ("ex_ante", "confidence", "group", "case"):
                raise ScenarioError(f"{b!r} is not one of ex_ante, confidence, group, case", field="--by")
        names = service.model_names(model)
        params = service.parse_params(list(param or []), names)
        if sources and sources[0] == "deu" and len(sources) == 2 and _is_issue_table(sources[1]):
            _outcome_only(Path(sources[1]), fmt=fmt, output=output, seed=seed, n_boot=n_boot, level=level)
            return
        cases, deu_table, what = service.backtest_sources(
            list(sources or []), builtin=builtin, group=group, variant=variant,
            capabilities=capabilities, min_actors=min_actors, supranational=supranational)
        show = fmt == "table" and err_console.is_terminal
        result = run_backtest(cases, names, params, seed=seed, n_boot=n_boot, level=level,
                              show_progress=show)
        track = None
        if score if score is not None else not is_deu:
            try:
                with err_console.status("scoring out of sample", spinner="dots") if show \
                        else contextlib.nullcontext():
                    track = service.backtest_scores(cases, result=result, seed=seed,
                                                    n_boot=score_n_boot)
            except DetenteError as e:
                if score:  # asked for by name: its failure is the command's
                    raise
                # on by default, the scores must not cost the user the accuracy tables
                err_console.print(f"note: scores not computed ({type(e).__name__}: {e}); "
                                  "--score shows the error, --no-score skips them",
                                  highlight=False, markup=False)
        if track is not None and fmt != "table":  # what could not be scored, and why
            for note in track.summary["notes"]:
                err_console.print(f"note: {note}", highlight=False, markup=False)
        written = write_folder(result, output, deu_table, track) if output else []
        if fmt == "json":
            doc = document(result, track)
            doc["source"] = what
            echo(json.dumps(doc, indent=2, allow_nan=False))
        elif fmt == "csv":
            echo(service.frame_to_csv(result.to_frame()).rstrip("\n"))
        else:
            n_issues = sum(len(c.targets) for c in cases)
            for t in summary_tables(result, f"Backtest on {what}: {len(cases)} cases, {n_issues} scored issues",
                                    console.width):
                console.print(t)
            for b in breakdowns:
                for t in breakdown_tables(result, b, console.width):
                    console.print(t)
            ft = failures_table(result)
            if ft is not None:
                console.print(ft)
            if track is not None:
                for t in score_tables(track, console.width):
                    console.print(t)
                if not track.summary["deal"] and not track.summary["points"]:
                    for note in track.summary["notes"]:
                        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
            if deu_table is not None:
                left = deu_table[~deu_table["included"]]
                console.print(f"[dim]DEU: {int(deu_table['included'].sum())} issues included, "
                              f"{len(left)} left out (see deu_issues_parsed.csv with --output)[/]",
                              highlight=False)
        for w in written:
            err_console.print(w if w.startswith("note:") else f"wrote {output}/{w}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``backtest`` command to ``app``."""
    app.command("backtest")(backtest_cmd)
