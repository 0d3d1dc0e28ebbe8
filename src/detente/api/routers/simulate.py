"""``POST /simulate``: simulated negotiations, answered at once or as a job when big."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ... import service
from .. import schemas as S
from .. import tasks
from ..errors import error, limit_exceeded
from ._shared import RESPONSES, config, request_payload, run, submit

router = APIRouter()


@router.post("/simulate", tags=["jobs"],
             responses={**RESPONSES, 202: {"model": S.JobAccepted, "description": "started as a job"},
                        429: {"model": S.ErrorBody, "description": "too many jobs running"},
                        501: {"model": S.ErrorBody, "description": "simulator not installed"}})
async def simulate(request: Request, req: S.SimulateRequest):
    """Simulated negotiations: up to ``sync_runs`` answered at once, more as a background job."""
    cfg = config(request)
    if req.runs > cfg.max_runs:
        return limit_exceeded("runs", req.runs, cfg.max_runs)
    if service.simulate_fn() is None:
        return error(501, "NotAvailable",
                     "the negotiation simulator (detente.simulate) is not available on this server")
    sc = service.resolve_request_scenario(req.scenario)
    if req.changes:
        service.what_if(sc, req.changes)  # bad changes: 422 now, not a failed job later
    payload = request_payload(req, sc)
    if req.runs <= cfg.sync_runs:
        return await run(request, lambda: tasks.simulate_job(payload, lambda x: None))
    return submit(request, "simulate", "detente.api.tasks:simulate_job", payload)
