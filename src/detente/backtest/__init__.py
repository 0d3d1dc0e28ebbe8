"""Backtesting: run models on cases with known outcomes and score them.

See ``docs/backtest.md``. Entry points: :func:`load_cases` / :func:`read_case_folder` (case
folders and scenarios with an outcome), :func:`read_deu` (the DEU III file) and
:func:`backtest`; :func:`score_cases` (deal probabilities and intervals, out of sample).
"""

from .cases import Case, Target, builtin_cases, case_from_scenario, load_cases, read_case_folder
from .deu import load_capabilities, outcome_baselines, read_deu, read_deu_issues, read_deu_table
from .harness import BacktestResult, backtest
from .track_record import TrackRecord, score_cases

__all__ = [
    "BacktestResult",
    "Case",
    "Target",
    "TrackRecord",
    "backtest",
    "builtin_cases",
    "case_from_scenario",
    "load_capabilities",
    "load_cases",
    "outcome_baselines",
    "read_case_folder",
    "read_deu",
    "read_deu_issues",
    "read_deu_table",
    "score_cases",
]
