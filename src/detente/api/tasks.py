"""Work the API runs: shared by synchronous endpoints and background jobs.

Every function takes plain JSON data (a job crosses a process boundary) and returns JSON-ready
data. The optional capabilities (``detente.uncertainty``, ``detente.simulate``) are imported
inside the function, so this module imports cheaply in a job's child process.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from ..results import json_ready

__all__ = [
    "SIMULATOR_MODELS",
    "capability",
    "clean",
    "forecast_document",
    "monte_carlo_job",
    "resolve_scenario",
    "sensitivity_job",
    "simulate_fn",
    "simulate_job",
    "simulator_model",
]


def capability(module: str, attr: str | None) -> bool:
    """Whether ``module`` is installed and has ``attr`` (a capability built and shipped)."""
    try:
        if importlib.util.find_spec(module) is None:
            return False
        return attr is None or hasattr(importlib.import_module(module), attr)
    except ImportError:
        return False


#: JSON-ready copies for responses (the library's one converter)
clean = json_ready


def resolve_scenario(ref: Any):
    """A Scenario from a request: the object itself, a built-in name, or plain data.

    A name is looked up among the built-in scenarios only, never as a file path.

    Raises
    ------
    ScenarioError
        For an unknown name (listing the valid ones) or invalid data.
    """
    from ..io import scenario_from_text
    from ..scenario.load import builtin_path, builtin_scenarios, scenario_from_data
    from ..scenario.schema import Scenario

    if isinstance(ref, Scenario):
        return ref
    if isinstance(ref, str):
        names = builtin_scenarios()
        if ref not in names:
            from ..errors import ScenarioError

            raise ScenarioError(
                f"no built-in scenario called {ref!r}; built-in scenarios: {', '.join(names)}",
                location="body", field="scenario",
            )
        return scenario_from_text(builtin_path(ref).read_text(encoding="utf-8"), source=ref, fmt="yaml")
    return scenario_from_data(ref, source="request")


def forecast_document(scenario, forecasts, *, tables: bool = False) -> dict[str, Any]:
    """The body of ``POST /forecast`` (see :class:`detente.api.schemas.ForecastResponse`)."""
    from ..analysis import zone_of_agreement
    from ..models.registry import MODELS
    from ..report.tables import blocked_by

    zone = zone_of_agreement(scenario)
    out = []
    for f in forecasts:
        s = f.summary()
        doc = {
            "model": f.model,
            "reference": MODELS[f.model].reference if f.model in MODELS else "",
            "outcome": dict(zip(f.issues, clean(np.asarray(f.outcome).tolist()), strict=True))
            if f.outcome.ndim == 1 else {i: None for i in f.issues},
            "utilities": None if f.utilities is None or f.utilities.ndim != 1
            else dict(zip(f.actors, clean(f.utilities.tolist()), strict=True)),
            "params": clean(s["params"]),
            "diagnostics": clean(s["diagnostics"]),
            "notes": list(f.notes),
            "seed_entropy": f.seed_entropy,
            "blocked_by": blocked_by(scenario, f),
            "tables": None,
        }
        if tables:
            doc["tables"] = {
                k: clean(json.loads(f.to_frame(k).to_json(orient="records", double_precision=15)))
                for k in f.tables
            }
        out.append(doc)
    return {
        "scenario": scenario.name,
        "issues": list(scenario.issue_ids),
        "actors": list(scenario.actor_ids),
        "zone_of_agreement": clean(zone.summary()),
        "forecasts": out,
    }


def run_forecast(scenario, models: list[str], params: dict, seed: int | None, tables: bool) -> dict:
    """Run the models (model k gets child k of ``SeedSequence(seed or 0)``) and document them."""
    from ..report.html import run_models

    return forecast_document(scenario, run_models(scenario.without_outcome(), models, params, seed),
                             tables=tables)


# ------------------------------------------------------------------------------ jobs
def monte_carlo_job(payload: dict, progress: Callable[[float], None]) -> dict:
    """Forecast distribution and deal probability (``detente.uncertainty.monte_carlo``)."""
    from ..models.registry import get_model
    from ..report.html import DEFAULT_NOISE
    from ..uncertainty import monte_carlo

    sc = resolve_scenario(payload["scenario"])
    if payload["model"] in SIMULATOR_MODELS:
        model = simulator_model(payload.get("simulator"))
    else:
        model = get_model(payload["model"], **payload.get("params", {}))
    res = monte_carlo(
        sc.without_outcome(), model, draws=payload["draws"], seed=payload.get("seed"),
        noise=payload.get("noise") or DEFAULT_NOISE, keep_draws=False,
        progress=lambda done, total: progress(done / total if total else 0.0),
    )
    return clean(res.summary())


#: Model names under which the Monte Carlo endpoint runs the negotiation simulator.
SIMULATOR_MODELS = ("simulator", "simulate")


def simulator_model(options: dict | None) -> Any:
    """:class:`detente.uncertainty.simulator.SimulatorModel` from the request's ``simulator``
    options (validated there: ScenarioError naming the field)."""
    from ..uncertainty.simulator import SimulatorModel

    opts = dict(options or {})
    if isinstance(opts.get("strategies"), list):
        opts["strategies"] = [tuple(c) for c in opts["strategies"]]
    return SimulatorModel(**opts)


def sensitivity_job(payload: dict, progress: Callable[[float], None]) -> dict:
    """Sobol/Morris indices of a model on a scenario (``detente.uncertainty.sensitivity``)."""
    from ..models.registry import get_model
    from ..report.html import DEFAULT_NOISE
    from ..uncertainty import sensitivity

    sc = resolve_scenario(payload["scenario"])
    model = get_model(payload["model"], **payload.get("params", {}))
    res = sensitivity(
        sc.without_outcome(), model, samples=payload["samples"], seed=payload.get("seed"),
        method=payload.get("method", "sobol"), noise=payload.get("noise") or DEFAULT_NOISE,
        progress=lambda done, total: progress(done / total if total else 0.0),
    )
    frame = res.to_frame()
    summary = res.summary() if hasattr(res, "summary") else {}
    return clean({"summary": summary,
                  "indices": json.loads(frame.to_json(orient="records", double_precision=15))})


def simulate_fn() -> Callable[..., Any] | None:
    """The simulator's entry point, ``detente.simulate.simulate``, or None when absent."""
    for module, attr in (("detente.simulate", "simulate"), ("detente.simulate.engine", "simulate")):
        try:
            fn = getattr(importlib.import_module(module), attr, None)
        except ImportError:
            continue
        if callable(fn):
            return fn
    return None


def simulate_job(payload: dict, progress: Callable[[float], None]) -> dict:
    """Simulated negotiations of a scenario (``detente.simulate.simulate``).

    Without a ``protocol``, a scenario with stages runs as the staged summit, any other as
    alternating offers.
    """
    fn = simulate_fn()
    if fn is None:
        from ..errors import MissingExtraError

        raise MissingExtraError("detente.simulate", "simulate")
    sc = resolve_scenario(payload["scenario"])
    kw = {k: payload[k] for k in ("runs", "protocol", "strategies", "steps", "seed")
          if payload.get(k) is not None}
    if "protocol" not in kw and sc.stages:
        kw["protocol"] = "summit"
    res = fn(sc.without_outcome(), **kw,
             progress=lambda done, total: progress(done / total if total else 0.0))
    return clean(res.summary())
