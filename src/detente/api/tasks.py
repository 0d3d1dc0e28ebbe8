"""Job functions of the API: plain JSON in (a job crosses a process boundary), plain JSON out.

Each takes ``(payload, progress)`` and calls :mod:`detente.service`; the synchronous endpoints
call the same functions, so a request answers the same whether it ran at once or as a job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..results import json_ready

__all__ = ["monte_carlo_job", "sensitivity_job", "simulate_job"]

Progress = Callable[[float], None]


def _fraction(progress: Progress) -> Callable[[int, int], None]:
    return lambda done, total: progress(done / total if total else 0.0)


def monte_carlo_job(payload: dict, progress: Progress) -> dict:
    """Forecast distribution and deal probability (:func:`detente.service.monte_carlo`)."""
    from .. import service

    sc = service.resolve_request_scenario(payload["scenario"])
    if payload["model"] in service.SIMULATOR_NAMES:
        model = service.simulator_model(payload.get("simulator"))
    else:
        model = service.catalogue_model(payload["model"], payload.get("params", {}))
    if payload.get("changes"):  # the base and the changed scenario, same seed
        pair = service.paired(service.monte_carlo, sc, payload["changes"], seed=payload.get("seed"), model=model,
                              draws=payload["draws"], noise=payload.get("noise"), keep_draws=False,
                              firmness=payload.get("firmness"))
        return _with_what_if(pair.changed.result.summary(), pair)
    run = service.monte_carlo(sc, model, draws=payload["draws"], seed=payload.get("seed"),
                              noise=payload.get("noise"), keep_draws=False, progress=_fraction(progress),
                              budget=_budget(payload), firmness=payload.get("firmness"))
    return json_ready(run.result.summary())


def _with_what_if(summary: dict, pair: Any) -> dict:
    return json_ready({**summary, "what_if": {"changes": [c.to_dict() for c in pair.whatif.changes],
                                              "difference": pair.difference()}})


def sensitivity_job(payload: dict, progress: Progress) -> dict:
    """Sobol/Morris indices of a model on a scenario (:func:`detente.service.sensitivity`)."""
    from .. import service

    sc = service.resolve_request_scenario(payload["scenario"])
    model = service.catalogue_model(payload["model"], payload.get("params", {}))
    run = service.sensitivity(sc, model, samples=payload["samples"], seed=payload.get("seed"),
                              method=payload.get("method", service.DEFAULTS.method), noise=payload.get("noise"),
                              progress=_fraction(progress), budget=_budget(payload),
                              firmness=payload.get("firmness"))
    res = run.result
    frame = res.to_frame()
    summary = res.summary() if hasattr(res, "summary") else {}
    return json_ready({"summary": summary,
                       "indices": json.loads(frame.to_json(orient="records", double_precision=15))})


def simulate_job(payload: dict, progress: Progress) -> dict:
    """Simulated negotiations of a scenario (:func:`detente.service.simulate`, shared defaults)."""
    from .. import service

    sc = service.resolve_request_scenario(payload["scenario"])
    kw: dict[str, Any] = {k: payload[k] for k in ("runs", "protocol", "strategies", "steps", "seed")
                          if payload.get(k) is not None}
    if payload.get("changes"):  # the base and the changed scenario, same seed
        seed = kw.pop("seed", None)
        pair = service.paired(service.simulate, sc, payload["changes"], seed=seed, budget=_budget(payload), **kw)
        return _with_what_if(pair.changed.summary(), pair)
    res = service.simulate(sc, **kw, progress=_fraction(progress), budget=_budget(payload))
    return json_ready(res.summary())


# ---------------------------------------------------------------- synchronous requests
# Run in the API's worker processes (:mod:`detente.api.workers`): everything a request computes,
# scenario validation included, happens here and never on the server's event loop.

def _budget(payload: dict) -> Any:
    from ..cost import Budget

    b = payload.get("_budget")
    return None if b is None else Budget(**b)


def request_scenario(ref: Any) -> Any:
    """The request's ``scenario``: a built-in name or scenario data (validated here, in a worker)."""
    from .. import service
    from ..errors import ScenarioError
    from ..scenario.schema import Scenario

    if isinstance(ref, (str, Scenario)):
        return service.resolve_request_scenario(ref)
    if isinstance(ref, dict):
        from ..service.scenarios import scenario_from_request_data

        return scenario_from_request_data(ref, source="request body.scenario")
    raise ScenarioError(f"must be a scenario object or the name of a built-in scenario (got {type(ref).__name__})",
                        source="request", location="body", field="scenario")


def forecast_task(payload: dict) -> dict:
    """``POST /forecast``: the forecast document."""
    from .. import service

    names = service.model_names(payload.get("models"))
    sc = request_scenario(payload["scenario"])
    params = payload.get("params") or {}
    if payload.get("changes"):  # the changed scenario's document, with the difference from the base
        w = service.compare(sc, payload["changes"], names, params=params, seed=payload.get("seed"))
        return {**service.forecast_document(w.changed, tables=bool(payload.get("tables"))),
                "what_if": service.what_if_document(w)}
    run = service.forecast(sc, names, params=params, seed=payload.get("seed"), budget=_budget(payload))
    return service.forecast_document(run, tables=bool(payload.get("tables")))


def report_task(payload: dict) -> tuple[str, str]:
    """``POST /report``: ``(scenario name, HTML)``."""
    from .. import service

    names = service.model_names(payload.get("models"))
    sc = request_scenario(payload["scenario"])
    html = service.build_report(sc, names, params=payload.get("params") or {}, seed=payload.get("seed"),
                                image_format=payload.get("image_format", "png"), budget=_budget(payload),
                                changes=payload.get("changes") or ())
    return sc.name, html


def validate_task(payload: dict) -> dict:
    """``POST /validate``: the scenario as JSON data, and its notes."""
    from .upload import parse_upload

    sc = parse_upload(payload["raw"], payload["content_type"], payload.get("filename"))
    return {"valid": True, "scenario": sc.model_dump(mode="json"), "notes": list(sc.notes)}


def monte_carlo_check(payload: dict) -> dict:
    """``POST /montecarlo`` before it runs: the model, its parameters and the budget checked;
    returns the payload with the scenario as plain data (for a job)."""
    from .. import service
    from ..errors import ScenarioError

    negotiated = payload["model"] in service.SIMULATOR_NAMES
    if not negotiated:
        service.check_models([payload["model"]])
        if payload.get("simulator") is not None:
            raise ScenarioError(f"simulator options need model 'simulator' (got model {payload['model']!r})",
                                location="body", field="simulator")
    if negotiated:
        if payload.get("params"):
            raise ScenarioError("model 'simulator' takes its options in 'simulator', not 'params' "
                                f"(got {sorted(payload['params'])})", location="body", field="params")
        model = service.simulator_model(payload.get("simulator"))
    else:
        model = service.catalogue_model(payload["model"], payload.get("params", {}))
    sc = request_scenario(payload["scenario"])
    from ..service.budget import check, monte_carlo_cost

    check(monte_carlo_cost(sc, model, draws=payload["draws"], chunk_size=service.DEFAULTS.mc_chunk_size,
                           keep_draws=False), _budget(payload), source=sc.name)
    return {**payload, "scenario": sc.model_dump(mode="json")}


def monte_carlo_task(payload: dict) -> dict:
    """``POST /montecarlo`` answered at once."""
    return monte_carlo_job(monte_carlo_check(payload), lambda x: None)


def sensitivity_check(payload: dict) -> dict:
    """``POST /sensitivity`` before the job starts: model, parameters and budget checked."""
    from .. import service
    from ..service.budget import check, sensitivity_cost
    from ..uncertainty.montecarlo import prepare

    service.check_models([payload["model"]])
    model = service.catalogue_model(payload["model"], payload.get("params", {}))
    sc = request_scenario(payload["scenario"])
    noise, _ = service.uncertainty.resolve_noise(payload.get("noise"), False)
    _, pert = prepare(sc, None, noise)
    check(sensitivity_cost(sc, model, n_inputs=pert.n_inputs, samples=payload["samples"],
                           method=payload.get("method", service.DEFAULTS.method), second_order=False),
          _budget(payload), source=sc.name)
    return {**payload, "scenario": sc.model_dump(mode="json")}


def simulate_check(payload: dict) -> dict:
    """``POST /simulate`` before it runs: the budget checked, the scenario as plain data."""
    from .. import service
    from ..service.budget import check, simulation_cost

    sc = request_scenario(payload["scenario"])
    proto = service.simulation.resolve_protocol(sc, payload.get("protocol"))
    check(simulation_cost(sc, runs=payload["runs"], protocol=proto,
                          steps=payload.get("steps") or service.DEFAULTS.steps,
                          levels=service.DEFAULTS.levels, chunk_size=service.DEFAULTS.sim_chunk_size),
          _budget(payload), source=sc.name)
    return {**payload, "scenario": sc.model_dump(mode="json")}


def simulate_task(payload: dict) -> dict:
    """``POST /simulate`` answered at once."""
    return simulate_job(simulate_check(payload), lambda x: None)


def forecast_json(payload: dict) -> bytes:
    """``POST /forecast``: the forecast document as JSON bytes (serialised here, not on the loop)."""
    from .routers._shared import json_bytes

    return json_bytes(forecast_task(payload))


def validate_json(payload: dict) -> bytes:
    """``POST /validate``: the answer as JSON bytes."""
    from .routers._shared import json_bytes

    return json_bytes(validate_task(payload))


def whatif_json(payload: dict) -> bytes:
    """``POST /whatif``: the what-if document (base, changed, difference) as JSON bytes."""
    from .. import service
    from .routers._shared import json_bytes

    names = service.model_names(payload.get("models"))
    sc = request_scenario(payload["scenario"])
    params = {k: dict(v) for k, v in (payload.get("params") or {}).items()}
    run = service.compare(sc, payload["changes"], names, params=params, seed=payload.get("seed"))
    return json_bytes(service.what_if_document(run))


def influence_json(payload: dict) -> bytes:
    """``POST /influence``: who to persuade, ranked, as JSON bytes."""
    from .. import service
    from .routers._shared import json_bytes

    names = service.model_names(payload["models"]) if payload.get("models") else None
    sc = request_scenario(payload["scenario"])
    return json_bytes(service.influence_document(
        service.influence(sc, names, grid=payload.get("grid", service.DEFAULTS.influence_grid),
                          seed=payload.get("seed"))))


def track_json(payload: dict) -> bytes:
    """``POST /track``: every dated version's forecasts, as JSON bytes (never opens a path)."""
    from .. import service
    from .routers._shared import json_bytes

    names = service.model_names(payload.get("models"))
    tr = service.load_track(payload["track"], files=False)
    return json_bytes(service.track_document(service.track(tr, names, seed=payload.get("seed"))))


def deal_json(payload: dict) -> bytes:
    """``POST /deal_probability``: the calibrated deal probability after the changes."""
    from .. import service
    from .routers._shared import json_bytes

    sc = request_scenario(payload["scenario"])
    return json_bytes(service.deal_probability_document(sc, payload.get("changes") or [],
                                                        seed=payload.get("seed")))
