"""``POST /montecarlo`` (answered at once, or a job when big) and ``POST /sensitivity`` (a job)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ... import service
from ...errors import ScenarioError
from .. import schemas as S
from .. import tasks
from ..errors import error, limit_exceeded
from ._shared import RESPONSES, config, request_payload, run, submit

router = APIRouter()


def _not_available(what: str):
    return error(501, "NotAvailable", f"{what} is not available on this server")


@router.post("/montecarlo", tags=["jobs"],
             responses={**RESPONSES, 202: {"model": S.JobAccepted, "description": "started as a job"},
                        429: {"model": S.ErrorBody, "description": "too many jobs running"},
                        501: {"model": S.ErrorBody, "description": "Monte Carlo not installed"}})
async def montecarlo(request: Request, req: S.MonteCarloRequest):
    """Monte Carlo over uncertain inputs: up to ``sync_draws`` answered at once, more as a job."""
    cfg = config(request)
    if req.draws > cfg.max_draws:
        return limit_exceeded("draws", req.draws, cfg.max_draws)
    negotiated = req.model in service.SIMULATOR_NAMES
    if not negotiated:
        service.check_models([req.model])
        if req.simulator is not None:
            raise ScenarioError(f"simulator options need model 'simulator' (got model {req.model!r})",
                                location="body", field="simulator")
    if not service.capability("detente.uncertainty", "monte_carlo"):
        return _not_available("Monte Carlo (detente.uncertainty)")
    if negotiated:
        if service.simulate_fn() is None:
            return _not_available("the negotiation simulator (detente.simulate)")
        if req.params:
            raise ScenarioError("model 'simulator' takes its options in 'simulator', not 'params' "
                                f"(got {sorted(req.params)})", location="body", field="params")
        service.simulator_model(req.simulator.model_dump() if req.simulator else None)  # 422 on bad options
    else:
        service.catalogue_model(req.model, req.params)  # bad parameters: 422 now, not a failed job later
    sc = service.resolve_request_scenario(req.scenario)
    if req.changes:
        service.what_if(sc, req.changes)  # bad changes: 422 now, not a failed job later
    payload = request_payload(req, sc)
    # a negotiated draw costs a simulated negotiation: answered at once up to sync_runs
    if req.draws <= (cfg.sync_runs if negotiated else cfg.sync_draws):
        return await run(request, lambda: tasks.monte_carlo_job(payload, lambda x: None))
    return submit(request, "montecarlo", "detente.api.tasks:monte_carlo_job", payload)


@router.post("/sensitivity", status_code=202, response_model=S.JobAccepted, tags=["jobs"],
             responses={**RESPONSES, 429: {"model": S.ErrorBody, "description": "too many jobs running"},
                        501: {"model": S.ErrorBody, "description": "sensitivity analysis not installed"}})
async def sensitivity(request: Request, req: S.SensitivityRequest):
    """Sobol (or Morris) sensitivity indices, computed as a background job: poll ``status_url``."""
    cfg = config(request)
    if req.samples > cfg.max_samples:
        return limit_exceeded("samples", req.samples, cfg.max_samples)
    service.check_models([req.model])
    if not service.capability("detente.uncertainty", "sensitivity"):
        return _not_available("sensitivity analysis (detente.uncertainty)")
    service.catalogue_model(req.model, req.params)  # bad parameters: 422 now, not a failed job later
    payload = request_payload(req, service.resolve_request_scenario(req.scenario))
    return submit(request, "sensitivity", "detente.api.tasks:sensitivity_job", payload)
