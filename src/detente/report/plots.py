"""Static charts with matplotlib (the ``plot`` extra).

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot``: no global
figure registry and no backend switch, so plotting is safe inside the API server's threads and
never opens a window. :func:`to_png`, :func:`to_svg` and :func:`to_data_uri` turn a figure into
bytes for files and the HTML report. Why matplotlib and not Plotly: see ``docs/plots.md``.

Charts of results that other parts of the library produce take plain DataFrames with the
columns documented on each function, so they work on any source that can make such a table:

==========================  ===============================================================
function                    input
==========================  ===============================================================
:func:`position_chart`      a Scenario and Forecasts
:func:`trajectory_chart`    a tidy round table (``Forecast.tables["rounds"]`` ...)
:func:`distribution_chart`  Monte Carlo draws: ``issue, outcome`` [``model``]
:func:`sobol_chart`         Sobol indices: ``input, ST, S1`` [``ST_conf, S1_conf, output``]
:func:`simulation_chart`    simulator runs: ``agreement`` + two utility columns [``reason``]
:func:`backtest_chart`      backtest errors: ``model, abs_error`` (or ``error``)
:func:`calibration_chart`   reliability bins and PIT counts (:mod:`detente.backtest.scores`)
:func:`track_chart`         forecasts over time: ``version, date, model, issue, forecast``
==========================  ===============================================================
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import MissingExtraError
from ..results import wilson_interval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MODEL_COLORS",
    "agreement_column",
    "REPEAT_COLUMNS",
    "ROUND_COLUMNS",
    "VALUE_COLUMNS",
    "backtest_chart",
    "calibration_chart",
    "distribution_chart",
    "forecast_trajectories",
    "model_color",
    "position_chart",
    "simulation_chart",
    "sobol_chart",
    "to_data_uri",
    "to_png",
    "to_svg",
    "trajectory_chart",
    "track_chart",
    "trajectory_columns",
    "wilson_interval",
]

#: Colours per model, shared with the web page's script so a model looks the same everywhere.
MODEL_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79",
)
#: Column names recognised as the round axis of a trajectory table, in order of preference.
ROUND_COLUMNS = ("round", "turn", "iteration", "step")
#: Column names recognised as the value of a trajectory table, in order of preference.
VALUE_COLUMNS = ("position", "outcome", "outcome_after", "median", "forecast", "mean", "value")
#: Columns naming independent repetitions of a run; only the first repetition is drawn.
REPEAT_COLUMNS = ("repetition", "draw", "run")

_RED = "#d62728"
_SQ = "#555555"
_REAL = "#000000"


#: No mathtext anywhere: names and titles come from users, and ``$`` or ``%`` in them
#: (``Tariffs: 25% on $ goods``) must print as written, never parse as TeX or crash a plot.
_LITERAL = {"text.parse_math": False}


def _literal_text(fn):
    """Run a chart function with mathtext off: every Text it creates draws its string as is."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            import matplotlib
        except ImportError:  # the function itself raises MissingExtraError
            return fn(*args, **kwargs)
        with matplotlib.rc_context(_LITERAL):
            return fn(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    """A pyplot-free Figure (its canvas is Agg; nothing global is touched)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
        raise MissingExtraError("matplotlib", "plot") from None
    return Figure(figsize=(width, height), layout="constrained")


def model_color(index: int) -> str:
    """The colour of the ``index``-th model (cycles through :data:`MODEL_COLORS`)."""
    return MODEL_COLORS[index % len(MODEL_COLORS)]


# ------------------------------------------------------------------------------ output
@_literal_text
def to_png(fig: Figure, *, dpi: int = 110) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


@_literal_text
def to_svg(fig: Figure) -> str:
    """SVG text of a figure (fonts as paths, so it renders the same without the fonts)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "detente"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def to_data_uri(fig: Figure, fmt: str = "png") -> str:
    """A ``data:`` URI (base64) of a figure, for ``<img src=...>`` in a self-contained page."""
    if fmt == "png":
        return "data:image/png;base64," + base64.b64encode(to_png(fig)).decode("ascii")
    if fmt == "svg":
        return "data:image/svg+xml;base64," + base64.b64encode(to_svg(fig).encode()).decode("ascii")
    raise ValueError(f"image format must be 'png' or 'svg' (got {fmt!r})")


# ------------------------------------------------------------------------------ positions
def _scale_caption(issue) -> str:
    """``0 = <min label>  |  100 = <max label>`` for the x-axis (empty without labels)."""
    sc = issue.scale
    parts = [f"{v:g} = {lab}" for v, lab in ((sc.min, sc.min_label), (sc.max, sc.max_label)) if lab]
    text = "   |   ".join(parts)
    return text if len(text) <= 150 else text[:147] + "..."


@_literal_text
def position_chart(
    scenario,
    forecasts: Iterable[Any] = (),
    *,
    issues: Sequence[str] | None = None,
    show_outcome: bool = True,
    show_zone: bool = True,
) -> Figure:
    """Where every actor stands on each issue, and where each model says the deal lands.

    One panel per issue, its x-axis the issue's own scale. Actors are points sized by power x
    salience; red-line intervals are bars on the actor's row; each model's forecast is a
    vertical line; the status quo is dashed grey; the real outcome (with its defensible range),
    where the scenario records one, is black. The zone of agreement is shaded green.

    Parameters
    ----------
    scenario : Scenario
    forecasts : iterable of Forecast
        Unbatched forecasts of this scenario (for batched ones the median over draws is drawn).
    issues : sequence of str, optional
        Issue ids to draw (default: all, in scenario order).
    show_outcome, show_zone : bool
        Draw the real outcome / the zone of agreement where known.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        For an issue id the scenario does not have.
    """
    from ..analysis import zone_of_agreement

    forecasts = list(forecasts)
    a = scenario.arrays()
    wanted = list(issues) if issues is not None else list(a.issues)
    for iid in wanted:
        if iid not in a.issues:
            raise KeyError(f"issue {iid!r} is not in scenario {scenario.name!r}; issues: {', '.join(a.issues)}")
    zone = zone_of_agreement(scenario) if show_zone else None
    real = {}
    if show_outcome and scenario.outcome is not None:
        real = {o.issue: o for o in scenario.outcome.issues}
    n_act = a.n_actors
    panel_h = 0.9 + 0.32 * n_act
    fig = _figure(9.0, 0.6 + panel_h * len(wanted))
    axes = fig.subplots(len(wanted), 1, squeeze=False)[:, 0]
    weight = a.weight
    wmax = float(np.nanmax(weight)) if np.nanmax(weight) > 0 else 1.0
    labels = []
    for act in scenario.actors:
        tag = "" if act.present else (" (absent, veto)" if act.veto else " (absent)")
        labels.append(act.label + tag)
    handles: dict[str, Any] = {}
    for ax, iid in zip(axes, wanted, strict=True):
        k = a.issues.index(iid)
        issue = scenario.issue(iid)
        lo, hi = a.scale_min[k], a.scale_max[k]
        span = hi - lo
        ys = np.arange(n_act)[::-1]
        if zone is not None and not zone.empty[k]:
            h = ax.axvspan(zone.low[k], zone.high[k], color="#2ca02c", alpha=0.10, lw=0)
            handles.setdefault("zone of agreement", h)
        for i in range(n_act):
            if a.has_red_line[i, k]:
                h = ax.barh(
                    ys[i], a.red_high[i, k] - a.red_low[i, k], left=a.red_low[i, k], height=0.55,
                    color=_RED, alpha=0.18, edgecolor=_RED, linewidth=0.8,
                )
                handles.setdefault("red line (acceptable interval)", h)
        stake = a.stake[:, k]
        sizes = 30 + 500 * weight[:, k] / wmax
        h = ax.scatter(
            a.position[stake, k], ys[stake], s=sizes[stake], color="#444444", alpha=0.85,
            zorder=3, edgecolor="white", linewidth=0.8,
        )
        handles.setdefault("actor (size = power x salience)", h)
        if not math.isnan(a.status_quo[k]):
            h = ax.axvline(a.status_quo[k], color=_SQ, ls=(0, (4, 3)), lw=1.4, zorder=7)
            handles.setdefault("status quo", h)
        if iid in real:
            o = real[iid]
            if o.low is not None or o.high is not None:
                ax.axvspan(o.low if o.low is not None else o.value,
                           o.high if o.high is not None else o.value,
                           color=_REAL, alpha=0.08, lw=0, hatch="//")
            h = ax.axvline(o.value, color=_REAL, lw=2.2, zorder=4)
            handles.setdefault("real outcome", h)
        no_answer = []
        for m, f in enumerate(forecasts):
            out = np.asarray(f.outcome, dtype=float)
            x = _central(out[..., k])
            if math.isnan(x):
                no_answer.append(f.model)
                continue
            h = ax.axvline(x, color=model_color(m), lw=1.8, zorder=5,
                           ls=("-", "-.", ":", (0, (5, 1)))[m // len(MODEL_COLORS) % 4])
            handles.setdefault(f"forecast: {f.model}", h)
        if no_answer:
            ax.text(1.0, 1.02, "no forecast: " + ", ".join(no_answer), transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=7, color="#777777")
        ax.set_yticks(ys, labels, fontsize=8)
        ax.set_ylim(-0.7, n_act - 0.3)
        ax.set_xlim(lo - 0.03 * span, hi + 0.03 * span)
        ax.set_title(issue.label, fontsize=10, loc="left")
        ax.xaxis.set_major_locator(_locator(lo, hi))
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.25)
        ax.set_xlabel(_scale_caption(issue), fontsize=7, color="#555555")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle(scenario.title or scenario.name, fontsize=11)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center",
               ncol=3, fontsize=8, frameon=False)
    return fig


def _central(values: np.ndarray) -> float:
    """The value of an unbatched outcome, or the median over draws of a batched one."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else math.nan


def _locator(lo: float, hi: float):
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=10, steps=[1, 2, 2.5, 5, 10])


# ------------------------------------------------------------------------------ trajectories
def trajectory_columns(table: pd.DataFrame) -> tuple[str, str, str | None, str | None]:
    """The (round, value, actor, issue) columns of a tidy trajectory table.

    The round column is the first of :data:`ROUND_COLUMNS` present, the value column the first
    of :data:`VALUE_COLUMNS`; ``actor`` and ``issue`` are used when present (None otherwise).

    Raises
    ------
    ValueError
        When no round or value column is found (naming the columns that were there).
    """
    cols = list(table.columns)
    rnd = next((c for c in ROUND_COLUMNS if c in cols), None)
    val = next((c for c in VALUE_COLUMNS if c in cols and pd.api.types.is_numeric_dtype(table[c])), None)
    if rnd is None or val is None:
        raise ValueError(
            "a trajectory table needs a round column (one of "
            f"{', '.join(ROUND_COLUMNS)}) and a numeric value column (one of "
            f"{', '.join(VALUE_COLUMNS)}); got columns {', '.join(map(str, cols)) or '(none)'}"
        )
    return rnd, val, ("actor" if "actor" in cols else None), ("issue" if "issue" in cols else None)


@_literal_text
def trajectory_chart(
    table: pd.DataFrame,
    *,
    title: str = "",
    issues: Sequence[str] | None = None,
    scenario=None,
) -> Figure:
    """Round-by-round trajectories of an iterative model, one panel per issue.

    Parameters
    ----------
    table : DataFrame
        Tidy: one row per round (x actor) (x issue). Columns: a round column (``round``,
        ``turn``, ``iteration`` or ``step``), a numeric value column (``position``,
        ``outcome``, ``median``, ``forecast``, ``mean`` or ``value``), and optionally ``actor``
        (one line per actor) and ``issue`` (one panel per issue). Without ``actor``, every
        column named in :data:`VALUE_COLUMNS` is drawn as its own line (e.g. median and mean).
    title : str
    issues : sequence of str, optional
        Restrict to these issues.
    scenario : Scenario, optional
        When given, each panel's y-axis is the issue's scale and its title the issue's name.

    Raises
    ------
    ValueError
        When the table has no round or value column, or no rows.
    """
    rnd, val, actor, issue = trajectory_columns(table)
    if table.empty:
        raise ValueError("the trajectory table has no rows")
    df = table
    for rep in REPEAT_COLUMNS:
        if rep in df.columns and df[rep].nunique() > 1:
            first = df[rep].iloc[0]
            title = f"{title} ({rep} {first} of {df[rep].nunique()})".strip()
            df = df[df[rep] == first]
    if issue is not None and issues is not None:
        df = df[df[issue].isin(list(issues))]
    panels = list(dict.fromkeys(df[issue])) if issue is not None else [None]
    fig = _figure(8.0, 0.4 + 2.3 * len(panels))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    values = [val] if actor is not None else [
        c for c in VALUE_COLUMNS if c in df.columns and pd.api.types.is_numeric_dtype(df[c])
    ]
    handles: dict[str, Any] = {}
    for ax, iid in zip(axes, panels, strict=True):
        sub = df if iid is None else df[df[issue] == iid]
        if actor is not None:
            for n, (who, g) in enumerate(sub.groupby(actor, sort=False)):
                g = g.sort_values(rnd)
                (h,) = ax.plot(g[rnd], g[val], marker="o", ms=3, lw=1.3, color=model_color(n))
                handles.setdefault(str(who), h)
            # a per-round summary stored beside the actors' positions (e.g. the median voter
            # position) is the model's forecast path: drawn thick and black
            summary = next((c for c in VALUE_COLUMNS if c != val and c in sub.columns
                            and pd.api.types.is_numeric_dtype(sub[c])), None)
            if summary is not None:
                g = sub.groupby(rnd, sort=True)[summary].first()
                (h,) = ax.plot(g.index, g.to_numpy(), color="black", lw=2.4, ls="--")
                handles.setdefault(summary, h)
        else:
            g = sub.sort_values(rnd)
            for n, col in enumerate(values):
                (h,) = ax.plot(g[rnd], g[col], marker="o", ms=3, lw=1.6, color=model_color(n))
                handles.setdefault(col, h)
        name = str(iid) if iid is not None else val
        if scenario is not None and iid is not None and iid in scenario.issue_ids:
            iss = scenario.issue(iid)
            name = iss.label
            ax.set_ylim(iss.scale.min, iss.scale.max)
        ax.set_title(name, fontsize=10, loc="left")
        ax.set_ylabel(val, fontsize=8)
        ax.grid(alpha=0.25)
        ax.xaxis.get_major_locator().set_params(integer=True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xlabel(rnd)
    if title:
        fig.suptitle(title, fontsize=11)
    if len(handles) > 1:
        fig.legend(list(handles.values()), list(handles), loc="outside right center",
                   fontsize=8, frameon=False)
    return fig


@_literal_text
def forecast_trajectories(forecast, *, scenario=None) -> list[tuple[str, Figure]]:
    """A trajectory chart for every table of ``forecast`` that has rounds and values.

    Tables without a round or value column are skipped (they are not trajectories).

    Returns
    -------
    list of (table name, Figure)
    """
    out = []
    for name, table in forecast.tables.items():
        try:
            trajectory_columns(table)
        except ValueError:
            continue
        if table.empty:
            continue
        out.append((name, trajectory_chart(table, title=f"{forecast.model}: {name}", scenario=scenario)))
    return out


# ------------------------------------------------------------------------------ Monte Carlo
def _require(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} needs column(s) {', '.join(missing)}; got {', '.join(map(str, df.columns)) or '(none)'}"
        )


@_literal_text
def distribution_chart(draws: pd.DataFrame, *, scenario=None, bins: int = 40) -> Figure:
    """Monte Carlo outcome distributions, one panel per issue.

    Parameters
    ----------
    draws : DataFrame
        One row per draw x issue with columns ``issue`` and ``outcome`` (the layout of
        ``Forecast.to_frame()`` for a batched forecast), optionally ``model`` (one histogram
        per model, overlaid). NaN outcomes (no answer in that draw) are counted and reported in
        the panel title, not drawn.
    scenario : Scenario, optional
        Gives each panel its issue's scale, name and status quo.
    bins : int

    Raises
    ------
    ValueError
        When a column is missing or there are no rows.
    """
    _require(draws, ("issue", "outcome"), "distribution_chart")
    if draws.empty:
        raise ValueError("distribution_chart: no draws")
    panels = list(dict.fromkeys(draws["issue"]))
    models = list(dict.fromkeys(draws["model"])) if "model" in draws.columns else [None]
    fig = _figure(8.0, 0.5 + 2.1 * len(panels))
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    handles: dict[str, Any] = {}
    for ax, iid in zip(axes, panels, strict=True):
        sub = draws[draws["issue"] == iid]
        rng_lo = float(np.nanmin(sub["outcome"])) if sub["outcome"].notna().any() else 0.0
        rng_hi = float(np.nanmax(sub["outcome"])) if sub["outcome"].notna().any() else 1.0
        name = str(iid)
        if scenario is not None and iid in scenario.issue_ids:
            iss = scenario.issue(iid)
            rng_lo, rng_hi, name = iss.scale.min, iss.scale.max, iss.label
            if iss.status_quo is not None:
                h = ax.axvline(iss.status_quo, color=_SQ, ls="--", lw=1.2)
                handles.setdefault("status quo", h)
        if rng_hi <= rng_lo:
            rng_lo, rng_hi = rng_lo - 0.5, rng_hi + 0.5
        n_nan = 0
        for m, model in enumerate(models):
            x = sub["outcome"] if model is None else sub.loc[sub["model"] == model, "outcome"]
            x = x.to_numpy(dtype=float)
            n_nan += int(np.isnan(x).sum())
            x = x[~np.isnan(x)]
            if x.size == 0:
                continue
            col = model_color(m)
            h = ax.hist(x, bins=bins, range=(rng_lo, rng_hi), density=True, alpha=0.45,
                        color=col, edgecolor=col, linewidth=0.5)[2][0]
            handles.setdefault(model or "draws", h)
            q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
            ax.axvline(q50, color=col, lw=1.8)
            ax.axvspan(q05, q95, color=col, alpha=0.07, lw=0)
        suffix = f"  ({n_nan} draws without an answer)" if n_nan else ""
        ax.set_title(name + suffix, fontsize=10, loc="left")
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    fig.suptitle("Monte Carlo outcome distributions (line: median; band: 5-95%)", fontsize=11)
    if len(handles) > 1:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                   ncol=4, fontsize=8, frameon=False)
    return fig


# ------------------------------------------------------------------------------ Sobol
@_literal_text
def sobol_chart(indices: pd.DataFrame, *, top: int = 15) -> Figure:
    """Sensitivity indices as ranked horizontal bars with confidence intervals.

    Parameters
    ----------
    indices : DataFrame
        One row per input (x output). Sobol: columns ``input``, ``ST`` (total order) and
        ``S1`` (first order), optional ``ST_conf`` and ``S1_conf`` (SALib's half-width of the
        95% bootstrap interval) drawn as error bars. Morris screening: ``input``, ``mu_star``
        and ``sigma``, optional ``mu_star_conf``. Optional ``output`` (an issue id or
        ``"deal"``) gives one panel per output. This is ``SensitivityResult.to_frame()``.
    top : int
        Draw the ``top`` inputs with the largest ST (or mu*) per panel.

    Raises
    ------
    ValueError
        When a column is missing or there are no rows.
    """
    if "ST" not in indices.columns and "mu_star" in indices.columns:
        _require(indices, ("input", "mu_star", "sigma"), "sobol_chart (Morris)")
        main, second = ("mu_star", "mu*"), ("sigma", "sigma")
        xlabel = "Morris elementary effects (bars: 95% confidence interval of mu*)"
    else:
        _require(indices, ("input", "ST", "S1"), "sobol_chart")
        main, second = ("ST", "total order (ST)"), ("S1", "first order (S1)")
        xlabel = "Sobol index (bars: 95% confidence interval)"
    if indices.empty:
        raise ValueError("sobol_chart: no indices")
    outputs = list(dict.fromkeys(indices["output"])) if "output" in indices.columns else [None]
    n_rows = [min(top, int((indices["output"] == o).sum()) if o is not None else len(indices)) for o in outputs]
    fig = _figure(8.0, 0.6 + sum(0.8 + 0.28 * n for n in n_rows))
    axes = fig.subplots(len(outputs), 1, squeeze=False, height_ratios=[0.8 + 0.28 * n for n in n_rows])[:, 0]
    for ax, out in zip(axes, outputs, strict=True):
        sub = indices if out is None else indices[indices["output"] == out]
        sub = sub.sort_values(main[0], ascending=False, kind="stable").head(top)
        y = np.arange(len(sub))[::-1]
        h = 0.38
        for (col, label), shift, color in ((main, h / 2, "#1f77b4"), (second, -h / 2, "#aec7e8")):
            conf = f"{col}_conf"
            err = sub[conf].to_numpy(dtype=float) if conf in sub else None
            ax.barh(y + shift, sub[col], height=h, color=color, xerr=err,
                    error_kw={"lw": 0.9, "capsize": 2}, label=label)
        ax.set_yticks(y, [str(v) for v in sub["input"]], fontsize=8)
        ax.axvline(0, color="#999999", lw=0.8)
        title = f"output: {out}" if out is not None else "sensitivity"
        if sub[main[0]].isna().all():
            title += " (no indices: the output does not vary over the design)"
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.25)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].legend(fontsize=8, frameon=False, loc="lower right")
    axes[-1].set_xlabel(xlabel)
    return fig


# ------------------------------------------------------------------------------ simulator
def agreement_column(runs: pd.DataFrame) -> str:
    """The name of the deal flag in a runs table: ``agreement`` or ``agreed``.

    Raises
    ------
    ValueError
        When neither column is there.
    """
    for c in ("agreement", "agreed"):
        if c in runs.columns:
            return c
    raise ValueError(
        "simulation_chart needs column(s) agreement (or agreed); "
        f"got {', '.join(map(str, runs.columns)) or '(none)'}"
    )


@_literal_text
def simulation_chart(
    runs: pd.DataFrame,
    *,
    x: str,
    y: str,
    frontier: pd.DataFrame | None = None,
    points: Mapping[str, tuple[float, float]] | None = None,
) -> Figure:
    """Simulator outcomes: deal rate (with why talks failed) and agreements on the utility plane.

    Parameters
    ----------
    runs : DataFrame
        One row per simulated negotiation. Columns: ``agreement`` (bool; ``agreed`` is
        accepted too, as ``detente.simulate`` names it), ``x`` and ``y`` (the
        two parties' utilities of the agreement; NaN without one), optional ``reason``
        (``"agreement"``, ``"deadline"``, ``"walk_away"``, ``"veto"`` ...).
    x, y : str
        The utility columns for the horizontal and vertical axes (e.g. ``utility_usa``).
    frontier : DataFrame, optional
        The Pareto frontier as points with the same ``x`` and ``y`` columns.
    points : mapping of str to (float, float), optional
        Named points, e.g. ``{"Nash": (0.6, 0.7), "Kalai-Smorodinsky": (0.62, 0.66)}``.

    Raises
    ------
    ValueError
        When a column is missing or there are no runs.
    """
    flag = agreement_column(runs)
    _require(runs, (x, y), "simulation_chart")
    if runs.empty:
        raise ValueError("simulation_chart: no runs")
    agree = runs[flag].astype(bool).to_numpy()
    n, k = len(agree), int(agree.sum())
    lo, hi = wilson_interval(k, n)
    fig = _figure(10.0, 4.2)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.6])
    if "reason" in runs.columns:
        counts = runs["reason"].astype(str).value_counts()
    else:
        counts = pd.Series({"agreement": k, "no agreement": n - k})
    colors = ["#2ca02c" if str(r) == "agreement" else "#d62728" for r in counts.index]
    left.bar(range(len(counts)), counts.to_numpy() / n, color=colors, width=0.6)
    left.set_xticks(range(len(counts)), [str(r) for r in counts.index], rotation=20, fontsize=8)
    left.set_ylim(0, 1)
    left.set_ylabel("share of runs")
    left.set_title(f"deal rate {k / n:.1%} (95% CI {lo:.1%}-{hi:.1%}), n={n}", fontsize=10, loc="left")
    for side in ("top", "right"):
        left.spines[side].set_visible(False)
    deals = runs[agree]
    right.scatter(deals[x], deals[y], s=10, alpha=0.35, color="#1f77b4", label="agreements", lw=0)
    if frontier is not None and not frontier.empty:
        _require(frontier, (x, y), "simulation_chart frontier")
        fr = frontier.sort_values(x)
        right.plot(fr[x], fr[y], color="#333333", lw=1.5, label="Pareto frontier")
    markers = ("*", "D", "P", "X", "s")
    for m, (name, (px, py)) in enumerate((points or {}).items()):
        right.scatter([px], [py], s=120, marker=markers[m % len(markers)], color=model_color(m + 1),
                      edgecolor="black", zorder=5, label=name)
    right.set_xlabel(x)
    right.set_ylabel(y)
    right.set_title("agreements on the utility plane", fontsize=10, loc="left")
    right.grid(alpha=0.25)
    right.legend(fontsize=8, frameon=False)
    return fig


# ------------------------------------------------------------------------------ backtest
@_literal_text
def backtest_chart(errors: pd.DataFrame, *, unit: str = "error (0-100 scale)") -> Figure:
    """Backtest error by model: every issue's error as a point, the mean as a bar.

    Parameters
    ----------
    errors : DataFrame
        One row per model x case issue. Columns: ``model`` and ``abs_error`` (or ``error``,
        whose absolute value is used). Models are ranked by mean error, best first.
    unit : str
        Axis label.

    Raises
    ------
    ValueError
        When a column is missing or there are no rows.
    """
    col = "abs_error" if "abs_error" in errors.columns else "error"
    _require(errors, ("model", col), "backtest_chart")
    if errors.empty:
        raise ValueError("backtest_chart: no errors")
    e = errors.assign(_abs=errors[col].astype(float).abs())
    means = e.groupby("model", sort=False)["_abs"].mean().sort_values(kind="stable")
    fig = _figure(8.0, 0.9 + 0.45 * len(means))
    ax = fig.subplots()
    y = np.arange(len(means))[::-1]
    ax.barh(y, means.to_numpy(), color="#c6dbef", height=0.6, label="mean absolute error")
    for yi, model in zip(y, means.index, strict=True):
        v = e.loc[e["model"] == model, "_abs"].dropna().to_numpy()
        # deterministic spread of the points inside the bar (no randomness in a chart)
        offs = np.linspace(-0.22, 0.22, len(v)) if len(v) > 1 else np.zeros(len(v))
        ax.scatter(v, yi + offs, s=12, color="#08519c", alpha=0.7, lw=0)
        ax.text(means[model], yi, f" {means[model]:.1f}", va="center", fontsize=8)
    # n per model: models are scored on different numbers of issues (a model with no answer
    # on an issue has no point there), so a mean is only comparable with its n beside it
    counts = e.dropna(subset=["_abs"]).groupby("model", sort=False)["_abs"].size()
    ax.set_yticks(y, [f"{m} (n={int(counts.get(m, 0))})" for m in means.index], fontsize=9)
    ax.set_xlabel(unit)
    ax.set_title("Backtest: error by model (bar: mean; points: issues; n: issues scored)",
                 fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.25)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


@_literal_text
def calibration_chart(reliability: pd.DataFrame, pit_histogram: Sequence[float] | None = None,
                      cases: pd.DataFrame | None = None) -> Figure:
    """The out-of-sample reliability diagram of the deal probability, beside the PIT histogram
    of the point forecasts.

    Parameters
    ----------
    reliability : DataFrame
        One row per probability bin: ``bin_low, bin_high, n, mean_forecast, observed_rate``
        (:func:`detente.backtest.scores.reliability_table`). May be empty (no deal scores).
    pit_histogram : sequence of counts, optional
        Issue rows per equal PIT bin of [0, 1] (flat = calibrated).
    cases : DataFrame, optional
        One row per case: ``probability, deal`` (0/1), drawn as dots at 0 and 1.

    Raises
    ------
    ValueError
        When a column is missing, or there is neither a reliability row nor a PIT count.
    """
    _require(reliability, ("bin_low", "bin_high", "n", "mean_forecast", "observed_rate"),
             "calibration_chart")
    rel = reliability[reliability["n"] > 0]
    pit = np.asarray(pit_histogram if pit_histogram is not None else [], dtype=float)
    if rel.empty and not pit.sum():
        raise ValueError("calibration_chart: nothing to draw (no reliability bins, no PIT counts)")
    fig = _figure(10.0, 4.2)
    ax, bx = fig.subplots(1, 2)
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfect calibration")
    if not rel.empty:
        ax.plot(rel["mean_forecast"], rel["observed_rate"], "o-", color=MODEL_COLORS[0],
                label="deal probability (out of sample)")
        for r in rel.itertuples():
            ax.annotate(f"n={int(r.n)}", (r.mean_forecast, r.observed_rate),
                        textcoords="offset points", xytext=(4, -12), fontsize=8)
    if cases is not None and len(cases):
        _require(cases, ("probability", "deal"), "calibration_chart")
        # a fixed, deterministic spread so dots at the same place stay visible
        jit = np.linspace(-0.03, 0.03, len(cases))
        ax.scatter(cases["probability"], cases["deal"].astype(float) + jit, s=10,
                   color=MODEL_COLORS[0], alpha=0.5, lw=0)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.08, 1.08)
    ax.set_xlabel("forecast probability of a deal")
    ax.set_ylabel("observed share of deals (dots: cases)")
    ax.set_title(f"Reliability, {int(reliability['n'].sum())} cases", fontsize=10, loc="left")
    ax.legend(fontsize=7, loc="lower right")  # the bins' labels crowd the upper left
    if pit.size and pit.sum():
        edges = np.linspace(0.0, 1.0, pit.size + 1)
        bx.bar(edges[:-1], pit, width=np.diff(edges), align="edge", color=MODEL_COLORS[2],
               edgecolor="white")
        bx.axhline(pit.sum() / pit.size, color="0.4", ls="--", lw=1)
        bx.set_title(f"PIT histogram, {int(pit.sum())} issue rows (flat = calibrated)",
                     fontsize=10, loc="left")
    else:
        bx.text(0.5, 0.5, "no point forecasts scored", ha="center", va="center")
    bx.set_xlim(0, 1)
    bx.set_xlabel("PIT of the outcome (ensemble)")
    bx.set_ylabel("issue rows")
    for a in (ax, bx):
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    return fig


# ------------------------------------------------------------------------------ track
def track_chart(forecasts: pd.DataFrame, deals: pd.DataFrame | None = None, *, title: str = "") -> Figure:
    """How each model's forecast (and the deal chances) moved from version to version.

    Parameters
    ----------
    forecasts : DataFrame
        One row per version x model x issue: ``version, date, model, issue, forecast``
        [``recorded, recorded_low, recorded_high``: the recorded outcome, drawn as a dashed
        line and a band].
    deals : DataFrame, optional
        One row per version: ``version, date, deal_share`` [``deal_probability``,
        ``recorded_deal``]: an extra panel with the share of models forecasting a deal and the
        calibrated deal probability where given.
    title : str

    Raises
    ------
    ValueError
        When a column is missing or there are no rows.
    """
    _require(forecasts, ("version", "date", "model", "issue", "forecast"), "track_chart")
    if forecasts.empty:
        raise ValueError("track_chart: no forecasts")
    issues = list(dict.fromkeys(forecasts["issue"]))
    models = list(dict.fromkeys(forecasts["model"]))
    n_panels = len(issues) + (1 if deals is not None else 0)
    cols = 2 if n_panels > 1 else 1
    rows = -(-n_panels // cols)
    fig = _figure(10.0, 0.6 + 2.4 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    versions = sorted(forecasts["version"].unique())
    dates = forecasts.drop_duplicates("version").set_index("version")["date"].reindex(versions)
    ticks = [f"{v}\n{d}" for v, d in zip(versions, dates, strict=True)]
    for ax, iid in zip(axes, issues, strict=False):
        sub = forecasts[forecasts["issue"] == iid]
        for m, model in enumerate(models):
            s = sub[sub["model"] == model].sort_values("version")
            ax.plot(s["version"], s["forecast"].astype(float), marker="o", ms=3, lw=1.2,
                    color=model_color(m), label=model)
        if "recorded" in sub.columns and sub["recorded"].notna().any():
            r = sub.iloc[0]
            ax.axhline(float(r["recorded"]), color=_REAL, ls="--", lw=1, label="recorded outcome")
            if "recorded_low" in sub.columns and np.isfinite(float(r["recorded_low"])):
                ax.axhspan(float(r["recorded_low"]), float(r["recorded_high"]), color=_REAL, alpha=0.08, lw=0)
        ax.set_title(str(iid), fontsize=9, loc="left")
        ax.set_xticks(versions, ticks, fontsize=6)
        ax.grid(alpha=0.25)
    if deals is not None:
        _require(deals, ("version", "deal_share"), "track_chart")
        ax = axes[len(issues)]
        d = deals.sort_values("version")
        ax.plot(d["version"], d["deal_share"].astype(float), marker="s", ms=3, color="#333333",
                label="share of models forecasting a deal")
        if "deal_probability" in d.columns and d["deal_probability"].notna().any():
            ax.plot(d["version"], d["deal_probability"].astype(float), marker="o", ms=3, color=_RED,
                    label="deal probability (calibrated)")
        if "recorded_deal" in d.columns and d["recorded_deal"].notna().any():
            ax.axhline(1.0 if bool(d["recorded_deal"].iloc[-1]) else 0.0, color=_REAL, ls="--", lw=1,
                       label="recorded: deal" if bool(d["recorded_deal"].iloc[-1]) else "recorded: no deal")
        ax.set_ylim(-0.05, 1.05)
        ax.set_title("deal", fontsize=9, loc="left")
        ax.set_xticks(versions, ticks, fontsize=6)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=6, loc="best")
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=6, loc="best")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
