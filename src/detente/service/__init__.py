"""The application layer: what the CLI, the API and the report call to get work done.

What it is for
--------------
``detente.cli`` / ``detente.commands`` (typer) and ``detente.api`` (FastAPI) are shells: they
parse input, call this package and render what it returns. ``detente.report`` only renders
(``detente.service.build_report`` computes, then calls ``detente.report.render_report``). All
three therefore share, from here:

* **one seeding rule** (:mod:`detente.service.seeding`): ``seed`` is None, an int >= 0 or a
  SeedSequence; None means fresh OS entropy, drawn once at the entry point, recorded in the
  result or document (``seed_entropy``) and printed by the CLI, so passing it back repeats the
  run; model *k* of a forecast draws from child *k* of ``SeedSequence(seed)``. Forecasts and
  reports default to seed 0 (repeatable), Monte Carlo, sensitivity and simulation to None;
* **the red-line analysis** (zone of agreement and blocked-by, :func:`analyse`, built on
  :mod:`detente.analysis`);
* **one forecast document** (:func:`forecast_document`): the JSON of
  ``detente forecast --format json`` and of ``POST /forecast``;
* **one set of defaults** (:data:`DEFAULTS`, a frozen :class:`Defaults`) for Monte Carlo,
  sensitivity, simulation and backtest (:func:`monte_carlo`, :func:`sensitivity`,
  :func:`simulate`, :func:`backtest`), used by the CLI options, the API schemas and Python.

Functions take a Scenario (or a source: built-in name, file, data) and options, and return
result objects or plain JSON-ready documents. They never print.

Layering: ``cli`` -> ``commands`` | ``api`` -> ``service`` -> ``report`` | ``backtest`` |
``uncertainty`` -> ``simulate`` -> ``models`` | ``negotiation`` | ``analysis`` -> ``io`` ->
``scenario`` -> core. This package imports only from the layers below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from .backtest import backtest, backtest_chart_png, outcome_baselines
from .backtest import load_sources as backtest_sources
from .backtest import plan as backtest_plan
from .backtest import scores as backtest_scores
from .backtest import scores_chart_png as backtest_scores_png
from .capabilities import capabilities, capability, simulate_fn
from .defaults import DEFAULTS, Defaults
from .forecast import (
    ForecastRun,
    analyse,
    check_models,
    forecast,
    forecast_document,
    model_names,
    run_models,
)
from .influence import Influence, influence, influence_document
from .models import (
    MODEL_LABELS,
    catalogue,
    catalogue_model,
    describe_model,
    model_label,
    parse_params,
    parse_single_params,
)
from .report import build_report
from .scenarios import builtin, load, resolve_request_scenario
from .seeding import model_seeds, resolve_seed, seed_entropy_of
from .simulation import protocol_help, protocol_names, simulate, strategy_spec
from .track import TrackRun, builtin_tracks, load_track, track, track_chart_png, track_document
from .uncertainty import (
    SIMULATOR_NAMES,
    UncertaintyRun,
    load_with_uncertainty,
    monte_carlo,
    sensitivity,
    simulator_model,
)
from .warmup import WarmupResult, warmup
from .whatif import (
    PairedRun,
    WhatIf,
    WhatIfRun,
    calibrated_deal_probability,
    compare,
    deal_probability_document,
    paired,
    paired_difference,
    parse_changes,
    what_if,
    what_if_document,
    what_if_notes,
)

if TYPE_CHECKING:
    from ..io.files import write_atomic
    from ..results import frame_to_csv


# two helpers re-exported from lower layers load on first use: importing them here would pull
# the scenario schema and numpy into `detente --help`
__getattr__ = lazy_getattr(__name__, {"write_atomic": "..io.files", "frame_to_csv": "..results"}, globals())


__all__ = [
    "calibrated_deal_probability",
    "DEFAULTS",
    "Defaults",
    "ForecastRun",
    "Influence",
    "PairedRun",
    "MODEL_LABELS",
    "SIMULATOR_NAMES",
    "TrackRun",
    "UncertaintyRun",
    "WhatIf",
    "WhatIfRun",
    "WarmupResult",
    "analyse",
    "backtest",
    "backtest_chart_png",
    "backtest_plan",
    "backtest_scores",
    "backtest_scores_png",
    "backtest_sources",
    "build_report",
    "builtin",
    "builtin_tracks",
    "capabilities",
    "capability",
    "catalogue",
    "catalogue_model",
    "check_models",
    "compare",
    "deal_probability_document",
    "describe_model",
    "forecast",
    "forecast_document",
    "influence",
    "influence_document",
    "frame_to_csv",
    "load",
    "load_track",
    "load_with_uncertainty",
    "model_label",
    "model_names",
    "model_seeds",
    "monte_carlo",
    "outcome_baselines",
    "paired",
    "paired_difference",
    "parse_changes",
    "parse_params",
    "parse_single_params",
    "protocol_help",
    "protocol_names",
    "resolve_request_scenario",
    "resolve_seed",
    "run_models",
    "seed_entropy_of",
    "sensitivity",
    "simulate",
    "simulate_fn",
    "simulator_model",
    "strategy_spec",
    "track",
    "track_chart_png",
    "track_document",
    "what_if",
    "what_if_document",
    "what_if_notes",
    "warmup",
    "write_atomic",
]
