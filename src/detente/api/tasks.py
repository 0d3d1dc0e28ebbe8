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
                              draws=payload["draws"], noise=payload.get("noise"), keep_draws=False)
        return _with_what_if(pair.changed.result.summary(), pair)
    run = service.monte_carlo(sc, model, draws=payload["draws"], seed=payload.get("seed"),
                              noise=payload.get("noise"), keep_draws=False, progress=_fraction(progress))
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
                              progress=_fraction(progress))
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
        pair = service.paired(service.simulate, sc, payload["changes"], seed=seed, **kw)
        return _with_what_if(pair.changed.summary(), pair)
    res = service.simulate(sc, **kw, progress=_fraction(progress))
    return json_ready(res.summary())
