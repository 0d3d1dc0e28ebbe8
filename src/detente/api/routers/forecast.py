"""``POST /forecast``: :func:`detente.service.forecast` -> the forecast document."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ... import service
from .. import schemas as S
from ._shared import RESPONSES, run

router = APIRouter()


@router.post("/forecast", response_model=S.ForecastResponse, response_model_exclude_unset=True, tags=["forecast"],
             responses={**RESPONSES})
async def forecast(request: Request, req: S.ForecastRequest):
    """Run models on a scenario (given whole, or by built-in name)."""
    names = service.model_names(req.models)
    sc = service.resolve_request_scenario(req.scenario)
    params = {k: dict(v) for k, v in req.params.items()}
    if req.changes:  # the changed scenario's document, with the difference from the base
        def _what_if():
            w = service.compare(sc, req.changes, names, params=params, seed=req.seed)
            return {**service.forecast_document(w.changed, tables=req.tables),
                    "what_if": service.what_if_document(w)}

        return await run(request, _what_if)
    return await run(request, lambda: service.forecast_document(
        service.forecast(sc, names, params=params, seed=req.seed), tables=req.tables))
