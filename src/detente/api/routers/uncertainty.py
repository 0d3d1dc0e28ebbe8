"""``POST /montecarlo`` (answered at once, or a job when big) and ``POST /sensitivity`` (a job)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ... import service
from .. import schemas as S
from ..errors import error, limit_exceeded
from ._shared import RESPONSES, compute, config, is_answer, payload_of, submit

router = APIRouter()


def _not_available(what: str):
    return error(501, "NotAvailable", f"{what} is not available on this server")


@router.post("/montecarlo", tags=["jobs"],
             responses={**RESPONSES, 202: {"model": S.JobAccepted, "description": "started as a job"},
                        429: {"model": S.ErrorBody, "description": "too many jobs running"},
                        501: {"model": S.ErrorBody, "description": "Monte Carlo not installed"}})
async def montecarlo(request: Request, req: S.MonteCarloRequest):
    """Monte Carlo over uncertain inputs: up to ``sync_draws`` answered at once, more as a job.
    The model, its parameters and the run's memory and time are checked first (422)."""
    cfg = config(request)
    if req.draws > cfg.max_draws:
        return limit_exceeded("draws", req.draws, cfg.max_draws)
    negotiated = req.model in service.SIMULATOR_NAMES
    if not service.capability("detente.uncertainty", "monte_carlo"):
        return _not_available("Monte Carlo (detente.uncertainty)")
    if negotiated and service.simulate_fn() is None:
        return _not_available("the negotiation simulator (detente.simulate)")
    # a negotiated draw costs a simulated negotiation: answered at once up to sync_runs
    if req.draws <= (cfg.sync_runs if negotiated else cfg.sync_draws):
        return await compute(request, "detente.api.tasks:monte_carlo_task", payload_of(request, req))
    checked = await compute(request, "detente.api.tasks:monte_carlo_check", payload_of(request, req, job=True))
    if is_answer(checked):
        return checked
    return submit(request, "montecarlo", "detente.api.tasks:monte_carlo_job", checked)


@router.post("/sensitivity", status_code=202, response_model=S.JobAccepted, tags=["jobs"],
             responses={**RESPONSES, 429: {"model": S.ErrorBody, "description": "too many jobs running"},
                        501: {"model": S.ErrorBody, "description": "sensitivity analysis not installed"}})
async def sensitivity(request: Request, req: S.SensitivityRequest):
    """Sobol (or Morris) sensitivity indices, computed as a background job: poll ``status_url``.
    The model, its parameters and the job's memory and time are checked first (422)."""
    cfg = config(request)
    if req.samples > cfg.max_samples:
        return limit_exceeded("samples", req.samples, cfg.max_samples)
    if not service.capability("detente.uncertainty", "sensitivity"):
        return _not_available("sensitivity analysis (detente.uncertainty)")
    checked = await compute(request, "detente.api.tasks:sensitivity_check", payload_of(request, req, job=True))
    if is_answer(checked):
        return checked
    return submit(request, "sensitivity", "detente.api.tasks:sensitivity_job", checked)
