"""``POST /whatif``, ``POST /influence``, ``POST /track`` and ``GET /tracks``: what-ifs, who to
persuade and forecasts over time (:mod:`detente.service`, same defaults as the CLI)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ... import service
from .. import schemas as S
from ._shared import RESPONSES, run

router = APIRouter()


@router.post("/whatif", tags=["forecast"], responses={**RESPONSES})
async def whatif(request: Request, req: S.WhatIfRequest):
    """Forecast the scenario and a changed copy (same models and seed): the changes, every
    model's outcome per issue (base, changed, difference), the deal checks and the calibrated
    deal probability where installed (the JSON of ``detente forecast --set ... --format json``,
    key ``what_if``)."""
    names = service.model_names(req.models)
    sc = service.resolve_request_scenario(req.scenario)
    service.what_if(sc, req.changes)  # bad changes: 422 before any model runs
    params = {k: dict(v) for k, v in req.params.items()}
    return await run(request, lambda: service.what_if_document(
        service.compare(sc, req.changes, names, params=params, seed=req.seed)))


@router.post("/influence", tags=["forecast"], responses={**RESPONSES})
async def influence(request: Request, req: S.InfluenceRequest):
    """Who to persuade, ranked (the JSON of ``detente influence --format json``)."""
    names = service.model_names(req.models) if req.models else None
    sc = service.resolve_request_scenario(req.scenario)
    return await run(request, lambda: service.influence_document(
        service.influence(sc, names, grid=req.grid, seed=req.seed)))


@router.get("/tracks", tags=["forecast"])
async def tracks() -> dict[str, str]:
    """Built-in tracked scenarios (``name: file``), for ``POST /track``."""
    return service.builtin_tracks()


@router.post("/track", tags=["forecast"], responses={**RESPONSES})
async def track(request: Request, req: S.TrackRequest):
    """Every dated version's forecasts and deal checks, against the recorded outcome (the JSON of
    ``detente track --format json``). A track given whole names its base as a built-in scenario
    or gives it whole; the server never opens a path."""
    names = service.model_names(req.models)
    tr = service.load_track(req.track, files=False)
    return await run(request, lambda: service.track_document(service.track(tr, names, seed=req.seed)))


@router.post("/deal_probability", tags=["forecast"], responses={**RESPONSES})
async def deal_probability(request: Request, req: S.DealRequest):
    """The calibrated deal probability after ``changes``: ``{available, deal_probability, low,
    high, ...}``; ``available`` is false (and the probability null) while the calibrated model
    is not installed on this server."""
    sc = service.resolve_request_scenario(req.scenario)
    return await run(request, lambda: service.deal_probability_document(sc, req.changes, seed=req.seed))
