"""``POST /whatif``, ``POST /influence``, ``POST /track`` and ``GET /tracks``: what-ifs, who to
persuade and forecasts over time (:mod:`detente.service`, same defaults as the CLI). The work
runs in a worker process under the server's limits, as every computation does."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ... import service
from .. import schemas as S
from ._shared import RESPONSES, compute, is_answer, payload_of

router = APIRouter()


async def _json(request: Request, target: str, req) -> Response:
    out = await compute(request, target, payload_of(request, req))
    return out if is_answer(out) else Response(out, media_type="application/json")


@router.post("/whatif", tags=["forecast"], responses={**RESPONSES})
async def whatif(request: Request, req: S.WhatIfRequest):
    """Forecast the scenario and a changed copy (same models and seed): the changes, every
    model's outcome per issue (base, changed, difference), the deal checks and the calibrated
    deal probability where installed (the JSON of ``detente forecast --set ... --format json``,
    key ``what_if``)."""
    return await _json(request, "detente.api.tasks:whatif_json", req)


@router.post("/influence", tags=["forecast"], responses={**RESPONSES})
async def influence(request: Request, req: S.InfluenceRequest):
    """Who to persuade, ranked (the JSON of ``detente influence --format json``)."""
    return await _json(request, "detente.api.tasks:influence_json", req)


@router.get("/tracks", tags=["forecast"])
async def tracks() -> dict[str, str]:
    """Built-in tracked scenarios (``name: file``), for ``POST /track``."""
    return service.builtin_tracks()


@router.post("/track", tags=["forecast"], responses={**RESPONSES})
async def track(request: Request, req: S.TrackRequest):
    """Every dated version's forecasts and deal checks, against the recorded outcome (the JSON of
    ``detente track --format json``). A track given whole names its base as a built-in scenario
    or gives it whole; the server never opens a path."""
    return await _json(request, "detente.api.tasks:track_json", req)


@router.post("/deal_probability", tags=["forecast"], responses={**RESPONSES})
async def deal_probability(request: Request, req: S.DealRequest):
    """The calibrated deal probability after ``changes``: ``{available, deal_probability, low,
    high, ...}`` (the same function as every forecast's ``deal_probability``)."""
    return await _json(request, "detente.api.tasks:deal_json", req)
