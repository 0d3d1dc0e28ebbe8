"""Backtest entry points with the shared defaults (seed 0, 2000 bootstrap resamples, 95 %)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from .defaults import DEFAULTS
from .forecast import check_models

__all__ = ["backtest", "backtest_chart_png", "load_sources", "outcome_baselines", "plan", "scores",
           "scores_chart_png"]


def load_sources(sources: Sequence[str], *, builtin: bool, group: str, variant: str,
                 capabilities: Path | None, min_actors: int, supranational: str):
    """``(cases, DEU parse table or None, description)`` for case folders, scenario files,
    built-in names, ``["deu", FILE]`` and/or the built-in scenarios with an outcome."""
    from ..backtest.cases import builtin_cases, load_cases
    from ..backtest.deu import read_deu

    sources = list(sources)
    if sources and sources[0] == "deu":
        if len(sources) != 2:
            raise ScenarioError(
                "usage: detente backtest deu FILE (one DEU III file, e.g. Dataset_DEU_III.csv)",
                field="PATH")
        sup: float | str = supranational if supranational == "max" else _float(supranational)
        cases, table = read_deu(sources[1], capabilities=capabilities, variant=variant,  # type: ignore[arg-type]
                                supranational=sup, min_actors=min_actors)  # type: ignore[arg-type]
        if not cases:
            raise ScenarioError("no proposal has an issue that can be scored", source=sources[1])
        if builtin:
            cases += builtin_cases()
        return cases, table, f"DEU {Path(sources[1]).name} ({variant} capabilities)"
    if not sources and not builtin:
        raise ScenarioError(
            "give a case folder or scenario file, 'deu FILE', or --builtin "
            "(see detente backtest --help)", field="PATH")
    cases = load_cases(sources, group=group) if sources else []  # type: ignore[arg-type]
    if builtin:
        cases += builtin_cases()
    what = ", ".join(sources + (["built-in scenarios"] if builtin else []))
    return cases, None, what


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ScenarioError(f"must be 'max' or a number (got {text!r})", field="--supranational") from None


def _models(names: Sequence[str], params: Mapping[str, Mapping[str, Any]] | None) -> list[Any]:
    from ..models.registry import get_model

    check_models(names)
    return [get_model(n, **dict((params or {}).get(n, {}))) for n in names]


def plan(names: Sequence[str], params: Mapping[str, Mapping[str, Any]] | None, cases) -> int:
    """Units of work (model x case) of a backtest, for a progress bar."""
    from ..backtest.harness import plan_units

    return plan_units(_models(names, params), cases)


def backtest(cases, names: Sequence[str], params: Mapping[str, Mapping[str, Any]] | None = None, *,
             seed: int = DEFAULTS.backtest_seed, n_boot: int = DEFAULTS.n_boot, level: float = DEFAULTS.level,
             progress: Callable[[int, int, str], None] | None = None):
    """Backtest the named models on ``cases`` (:func:`detente.backtest.backtest`)."""
    from ..backtest.harness import backtest as _backtest

    return _backtest(_models(names, params), cases, seed=seed, n_boot=n_boot, level=level, progress=progress)


def outcome_baselines(path: Path, *, seed: int = DEFAULTS.backtest_seed, n_boot: int = DEFAULTS.n_boot,
                      level: float = DEFAULTS.level):
    """``(issues, baselines table)``: the outcome-only baselines of a deu_issues.csv-style file."""
    from ..backtest.deu import outcome_baselines as _baselines
    from ..backtest.deu import read_deu_issues

    issues = read_deu_issues(path)
    return issues, _baselines(issues, seed=seed, n_boot=n_boot, level=level)


def backtest_chart_png(result) -> bytes | None:
    """The report's backtest chart (every issue's 0-100 error, the mean as a bar) as PNG bytes,
    or None when no forecast was scored; raises MissingExtraError without matplotlib."""
    from ..report.plots import backtest_chart, to_png

    df = result.to_frame()
    ok = df[df["status"] == "ok"]
    if ok.empty:
        return None
    errors = ok[["model", "norm_error"]].rename(columns={"norm_error": "abs_error"})
    return to_png(backtest_chart(errors))


def scores(cases, names: Sequence[str] | None = None,
           params: Mapping[str, Mapping[str, Any]] | None = None, *, result=None,
           seed: int = DEFAULTS.backtest_seed, n_boot: int = DEFAULTS.score_n_boot):
    """Out-of-sample scores of the deal probability and the point forecasts on ``cases``
    (:func:`detente.backtest.score_cases`): Brier score, log loss, Brier skill against the
    left-one-out base rate, ECE and the reliability table of the calibrated deal probability;
    MAE, CRPS, PIT histogram and coverage of the 50/80/90% intervals per model and for the
    ensemble; case-bootstrap intervals. A case never takes part in the fit that scores it; the
    deal model is refitted by the procedure that made the shipped one (its firmness and C
    grids, nested leave-one-case-out).

    Parameters
    ----------
    cases : sequence of Case
    names, params
        The models (default: every registered model); ignored when ``result`` is given.
    result : BacktestResult, optional
        A backtest already run on ``cases`` (its forecasts are reused, not recomputed).
    seed, n_boot
        As ``detente backtest`` (seed 0; ``DEFAULTS.score_n_boot`` resamples).

    Returns
    -------
    TrackRecord
        ``.to_dict()`` has ``brier``, ``log_loss``, ``brier_skill``, ``ece``, ``coverage``
        (per nominal level) and ``crps``; ``summary["notes"]`` says what could not be scored
        (too few cases) and why.
    """
    from ..backtest.track_record import score_cases

    if result is not None:
        return score_cases(cases, seed=seed, n_boot=n_boot, predictions=result.to_frame())
    models = _models(names or _all_models(), params)
    return score_cases(cases, seed=seed, n_boot=n_boot, models=models)


def _all_models() -> list[str]:
    from .forecast import model_names

    return list(model_names(None))


def scores_chart_png(track) -> bytes | None:
    """The reliability diagram and PIT histogram of a :class:`TrackRecord` as PNG bytes, or
    None when nothing was scored; raises MissingExtraError without matplotlib."""
    from ..report.plots import calibration_chart, to_png

    rel = track.to_frame("reliability")
    pit = track.summary.get("pit_histogram")
    if (rel.empty or not rel["n"].sum()) and not pit:
        return None
    return to_png(calibration_chart(rel, pit, track.to_frame("deal")))
