"""``POST /forecast``: :func:`detente.service.forecast` -> the forecast document."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import schemas as S
from ._shared import RESPONSES, compute, is_answer, payload_of

router = APIRouter()


@router.post("/forecast", response_model=S.ForecastResponse, response_model_exclude_unset=True, tags=["forecast"],
             responses={**RESPONSES})
async def forecast(request: Request, req: S.ForecastRequest):
    """Run models on a scenario (given whole, or by built-in name).

    Everything (the scenario's validation, the budget check, the models) runs in a worker
    process; a model over this server's budget is a note in ``notes`` when several are asked for.
    """
    out = await compute(request, "detente.api.tasks:forecast_json", payload_of(request, req))
    return out if is_answer(out) else Response(out, media_type="application/json")
