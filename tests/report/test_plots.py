"""Charts: each test reads back what was drawn (positions, sizes, lines, order) from the Figure."""

from __future__ import annotations

import base64
import sys

import numpy as np
import pandas as pd
import pytest

from tests.extras import require

require("matplotlib")

from detente import MODELS, Forecast, MissingExtraError, get_model, load_scenario  # noqa: E402
from detente.report import plots  # noqa: E402


@pytest.fixture(scope="module")
def alaska():
    return load_scenario("alaska-2025")


@pytest.fixture(scope="module")
def forecasts(alaska):
    return [get_model(n).forecast(alaska.without_outcome()) for n in ("weighted_mean", "weighted_median", "nash")]


def _vlines(ax):
    """x of every vertical line on an axes, with its colour."""
    out = []
    for ln in ax.get_lines():
        x = np.asarray(ln.get_xdata(), dtype=float)
        if x.size == 2 and x[0] == x[1]:
            out.append((float(x[0]), ln.get_color()))
    return out


def test_position_chart_draws_actors_sized_by_power_times_salience(alaska, forecasts):
    fig = plots.position_chart(alaska, forecasts)
    assert len(fig.axes) == len(alaska.issues)
    ax = fig.axes[alaska.issue_ids.index("territory")]
    dots = ax.collections[-1]
    xs = dots.get_offsets()[:, 0]
    expected = [p.position for a in alaska.actors for p in alaska.positions
                if p.actor == a.id and p.issue == "territory"]
    assert list(xs) == expected
    sizes = dict(zip(alaska.actor_ids, dots.get_sizes(), strict=True))
    # Russia (80 x 1.0) outweighs the US (100 x 0.4), which outweighs Ukraine (35 x 1.0)
    assert sizes["russia"] > sizes["usa"] > sizes["ukraine"]


def test_position_chart_draws_each_forecast_status_quo_and_real_outcome(alaska, forecasts):
    fig = plots.position_chart(alaska, forecasts)
    k = alaska.issue_ids.index("sanctions")
    lines = _vlines(fig.axes[k])
    for m, f in enumerate(forecasts[:2]):
        assert (pytest.approx(float(f.outcome[k])), plots.model_color(m)) in [(x, c) for x, c in lines]
    real = next(o.value for o in alaska.outcome.issues if o.issue == "sanctions")
    assert (real, "#000000") in lines
    assert any(x == alaska.issue("sanctions").status_quo and c == "#555555" for x, c in lines)


def test_position_chart_red_lines_are_bars_with_the_interval(alaska):
    fig = plots.position_chart(alaska, [])
    ax = fig.axes[alaska.issue_ids.index("territory")]
    bars = sorted((round(p.get_x(), 9), round(p.get_width(), 9)) for p in ax.patches
                  if p.get_height() < 1 and p.get_width() < 100 + 1e-9 and p.get_width() > 0)
    want = sorted((r.min, r.max - r.min) for r in alaska.red_lines if r.issue == "territory")
    assert bars == want


def test_position_chart_names_models_without_an_answer(alaska, forecasts):
    fig = plots.position_chart(alaska, forecasts)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("nash" in t for t in texts)  # Nash has no zone on Alaska's issues


def test_position_chart_subset_and_unknown_issue(alaska):
    assert len(plots.position_chart(alaska, issues=["territory"]).axes) == 1
    with pytest.raises(KeyError, match="nope"):
        plots.position_chart(alaska, issues=["nope"])


def _traj_table():
    rows = []
    for r in range(4):
        for iss in ("a", "b"):
            for act, base in (("x", 10.0), ("y", 60.0)):
                rows.append({"round": r, "issue": iss, "actor": act, "position": base + r * (1 if iss == "a" else -1)})
    return pd.DataFrame(rows)


def test_trajectory_chart_one_panel_per_issue_one_line_per_actor():
    df = _traj_table()
    fig = plots.trajectory_chart(df, title="t")
    assert len(fig.axes) == 2
    lines = fig.axes[1].get_lines()
    assert len(lines) == 2
    assert list(lines[0].get_ydata()) == [10.0, 9.0, 8.0, 7.0]


def test_trajectory_chart_draws_a_summary_column_beside_positions():
    df = _traj_table()
    df["median"] = df["round"] * 100.0
    fig = plots.trajectory_chart(df)
    ys = [list(ln.get_ydata()) for ln in fig.axes[0].get_lines()]
    assert [0.0, 100.0, 200.0, 300.0] in ys


def test_trajectory_chart_without_actor_draws_each_value_column():
    df = pd.DataFrame({"step": [0, 1, 2], "median": [1.0, 2.0, 3.0], "mean": [3.0, 2.0, 1.0]})
    fig = plots.trajectory_chart(df)
    assert [list(ln.get_ydata()) for ln in fig.axes[0].get_lines()] == [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]


def test_trajectory_chart_keeps_the_first_repetition_only():
    df = pd.concat([_traj_table().assign(repetition=0), _traj_table().assign(repetition=1, position=-5.0)])
    fig = plots.trajectory_chart(df)
    assert all(min(ln.get_ydata()) > 0 for ln in fig.axes[0].get_lines())
    assert "repetition 0 of 2" in fig._suptitle.get_text()


def test_trajectory_chart_rejects_tables_without_rounds_or_values():
    with pytest.raises(ValueError, match="round column"):
        plots.trajectory_chart(pd.DataFrame({"actor": ["x"], "position": [1.0]}))
    with pytest.raises(ValueError, match="got columns round, actor"):
        plots.trajectory_chart(pd.DataFrame({"round": [0], "actor": ["x"]}))
    with pytest.raises(ValueError, match="no rows"):
        plots.trajectory_chart(_traj_table().iloc[:0])


def test_forecast_trajectories_picks_only_trajectory_tables(alaska):
    f = Forecast.build(get_model("weighted_mean"), alaska, np.zeros(len(alaska.issues)),
                       tables={"rounds": _traj_table(), "moves": pd.DataFrame({"round": [0], "who": ["x"]})})
    figs = plots.forecast_trajectories(f)
    assert [name for name, _ in figs] == ["rounds"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forecast_trajectories_on_every_registered_model(alaska, name):
    """Iterative models (expected utility, KTAB SMP, exchange) publish round tables; every
    table with a round and a value column must draw; the others are skipped."""
    f = get_model(name).forecast(alaska.without_outcome())
    drawable = []
    for t, df in f.tables.items():
        try:
            plots.trajectory_columns(df)
        except ValueError:
            continue
        if not df.empty:
            drawable.append(t)
    figs = plots.forecast_trajectories(f, scenario=alaska)
    assert [n for n, _ in figs] == drawable
    for _, fig in figs:
        assert plots.to_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_distribution_chart_counts_missing_draws_and_overlays_models(alaska):
    rng = np.random.default_rng(1)
    n = 200
    rows = []
    for model in ("m1", "m2"):
        for iss in ("territory", "sanctions"):
            x = rng.uniform(0, 100, n)
            if model == "m2" and iss == "sanctions":
                x[:7] = np.nan
            rows.append(pd.DataFrame({"model": model, "issue": iss, "outcome": x}))
    fig = plots.distribution_chart(pd.concat(rows), scenario=alaska)
    assert len(fig.axes) == 2
    assert "7 draws without an answer" in fig.axes[1].get_title(loc="left")
    assert fig.axes[0].get_title(loc="left") == alaska.issue("territory").label
    bins = [p for p in fig.axes[0].patches if p.get_width() == pytest.approx(100 / 40)]
    assert len(bins) == 2 * 40
    area = sum(p.get_height() * p.get_width() for p in bins)
    assert area == pytest.approx(2.0, rel=1e-6)  # two density histograms, each of area 1
    with pytest.raises(ValueError, match="outcome"):
        plots.distribution_chart(pd.DataFrame({"issue": ["a"]}))


def test_sobol_chart_ranks_by_total_order_with_error_bars():
    df = pd.DataFrame({
        "output": ["territory"] * 3 + ["deal"] * 2,
        "input": ["power[usa]", "position[russia,territory]", "salience[ukraine,territory]", "a", "b"],
        "S1": [0.1, 0.5, 0.02, 0.3, 0.1],
        "S1_conf": [0.01, 0.05, 0.01, 0.02, 0.02],
        "ST": [0.2, 0.7, 0.05, 0.1, 0.6],
        "ST_conf": [0.02, 0.06, 0.01, 0.03, 0.04],
    })
    fig = plots.sobol_chart(df)
    assert len(fig.axes) == 2
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ys = [t.get_position()[1] for t in fig.axes[0].get_yticklabels()]
    top_down = [lab for _, lab in sorted(zip(ys, labels, strict=True), reverse=True)]
    assert top_down == ["position[russia,territory]", "power[usa]", "salience[ukraine,territory]"]
    assert fig.axes[1].get_title(loc="left") == "output: deal"
    from matplotlib.container import BarContainer

    bars = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
    assert len(bars) == 2  # ST and S1, each with error bars
    assert all(b.errorbar is not None for b in bars)
    assert [r.get_width() for r in bars[0]] == [0.7, 0.2, 0.05]
    with pytest.raises(ValueError, match="ST"):
        plots.sobol_chart(df.drop(columns=["ST"]))


def test_wilson_interval_matches_the_published_formula():
    # Wilson (1927) interval for 8 successes in 10 trials at 95%: 0.4902 .. 0.9433
    lo, hi = plots.wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)
    assert all(np.isnan(plots.wilson_interval(0, 0)))


def test_simulation_chart_reports_deal_rate_frontier_and_points():
    runs = pd.DataFrame({
        "agreement": [True, True, False, True, False],
        "reason": ["agreement", "agreement", "deadline", "agreement", "walk_away"],
        "utility_usa": [0.6, 0.7, np.nan, 0.8, np.nan],
        "utility_russia": [0.7, 0.6, np.nan, 0.5, np.nan],
    })
    frontier = pd.DataFrame({"utility_usa": [1.0, 0.5, 0.0], "utility_russia": [0.0, 0.8, 1.0]})
    fig = plots.simulation_chart(runs, x="utility_usa", y="utility_russia", frontier=frontier,
                                 points={"Nash": (0.55, 0.75)})
    left, right = fig.axes
    assert left.get_title(loc="left").startswith("deal rate 60.0%")
    assert sorted(round(p.get_height(), 9) for p in left.patches) == [0.2, 0.2, 0.6]
    fr = right.get_lines()[0]
    assert list(fr.get_xdata()) == [0.0, 0.5, 1.0]
    assert len(right.collections[0].get_offsets()) == 3  # only the agreements are scattered
    with pytest.raises(ValueError, match="utility_x"):
        plots.simulation_chart(runs, x="utility_x", y="utility_russia")


def test_backtest_chart_ranks_models_by_mean_absolute_error():
    df = pd.DataFrame({"model": ["a", "a", "b", "b", "c"], "error": [-10.0, 30.0, 5.0, -5.0, 12.0]})
    fig = plots.backtest_chart(df)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ys = [t.get_position()[1] for t in ax.get_yticklabels()]
    # each label carries n, the number of issues scored for the model
    assert [lab for _, lab in sorted(zip(ys, labels, strict=True), reverse=True)] == [
        "b (n=2)", "c (n=1)", "a (n=2)"]
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == [5.0, 12.0, 20.0]


def test_backtest_chart_n_counts_only_scored_issues():
    df = pd.DataFrame({"model": ["a", "a", "a", "b"], "abs_error": [1.0, float("nan"), 3.0, 4.0]})
    labels = {t.get_text() for t in plots.backtest_chart(df).axes[0].get_yticklabels()}
    assert labels == {"a (n=2)", "b (n=1)"}


def test_outputs_png_svg_and_data_uri(alaska):
    fig = plots.position_chart(alaska, issues=["territory"])
    assert plots.to_png(fig).startswith(b"\x89PNG")
    svg = plots.to_svg(fig)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    uri = plots.to_data_uri(fig, "svg")
    assert base64.b64decode(uri.split(",", 1)[1]).decode().count("<svg") == 1
    with pytest.raises(ValueError, match="png"):
        plots.to_data_uri(fig, "gif")


def test_missing_matplotlib_names_the_plot_extra(alaska, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingExtraError, match=r"detente\[plot\]"):
        plots.position_chart(alaska)


def test_sobol_chart_draws_morris_screening_too():
    df = pd.DataFrame({"output": "x", "input": ["a", "b", "c"], "mu_star": [0.1, 3.0, 1.0],
                       "mu_star_conf": [0.05, 0.2, 0.1], "sigma": [0.1, 0.5, 2.0]})
    fig = plots.sobol_chart(df)
    from matplotlib.container import BarContainer

    bars = [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]
    assert [r.get_width() for r in bars[0]] == [3.0, 1.0, 0.1]
    assert "Morris" in fig.axes[0].get_xlabel()


def test_sobol_chart_on_a_real_sensitivity_result(alaska):
    require("SALib")
    from detente.uncertainty import sensitivity

    res = sensitivity(alaska.without_outcome(), "weighted_mean", samples=16, seed=1, noise={"position": 10})
    frame = res.to_frame()
    fig = plots.sobol_chart(frame, top=5)
    assert len(fig.axes) == frame["output"].nunique()


def test_distribution_chart_on_real_monte_carlo_draws(alaska):
    import detente.uncertainty as mc
    res = mc.monte_carlo(alaska.without_outcome(), "weighted_median", draws=500, seed=2,
                         noise={"position": 10}, keep_draws=True)
    fig = plots.distribution_chart(res.to_frame("draws"), scenario=alaska)
    assert len(fig.axes) == len(alaska.issues)


def test_simulation_chart_on_real_simulator_runs(alaska):
    from detente.service import simulate_fn

    simulate = simulate_fn()
    assert simulate is not None
    res = simulate(alaska.without_outcome(), runs=60, protocol="alternating", seed=3)
    runs = res.to_frame()
    util = [c for c in runs.columns if str(c).startswith("u_")]
    fig = plots.simulation_chart(runs, x=util[0], y=util[1])
    rate = runs["agreed"].mean()
    assert fig.axes[0].get_title(loc="left").startswith(f"deal rate {rate:.1%}")


def test_calibration_chart_draws_the_bins_and_the_pit_counts():
    rel = pd.DataFrame({"bin_low": [0.0, 0.5], "bin_high": [0.5, 1.0], "n": [3, 0],
                        "mean_forecast": [0.3, np.nan], "observed_rate": [0.25, np.nan]})
    pit = [4, 1, 0, 5]
    fig = plots.calibration_chart(rel, pit, pd.DataFrame({"probability": [0.2, 0.4], "deal": [0, 1]}))
    ax, bx = fig.axes
    curve = [ln for ln in ax.get_lines() if ln.get_marker() == "o"][0]
    assert list(curve.get_xdata()) == [0.3] and list(curve.get_ydata()) == [0.25]  # empty bin left out
    assert [p.get_height() for p in bx.patches] == pit
    assert "10 issue rows" in bx.get_title(loc="left")


def test_calibration_chart_needs_something_to_draw():
    empty = pd.DataFrame(columns=["bin_low", "bin_high", "n", "mean_forecast", "observed_rate"])
    with pytest.raises(ValueError, match="nothing to draw"):
        plots.calibration_chart(empty, [0, 0])
    with pytest.raises(ValueError, match="mean_forecast"):
        plots.calibration_chart(pd.DataFrame({"bin_low": [0.0]}), [1])
