"""``GET /health``, ``/models``, ``/scenarios``, ``/scenarios/{id}`` and ``POST /validate``."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ... import __version__, service
from ...results import json_ready
from ...scenario.schema import Scenario
from .. import schemas as S
from ..errors import error
from ..upload import parse_upload
from ._shared import RESPONSES, run

router = APIRouter()


@router.get("/health", response_model=S.Health, tags=["meta"])
def health() -> dict:
    """Liveness and which optional capabilities this server has."""
    return {"status": "ok", "version": __version__, "capabilities": service.capabilities()}


@router.get("/models", response_model=list[S.ModelInfo], tags=["meta"])
def models() -> list[dict]:
    """Registered models with their parameters' defaults and full citations."""
    return [{**m, "parameters": json_ready(m["parameters"])} for m in service.catalogue()]


@router.get("/scenarios", response_model=list[S.ScenarioInfo], tags=["scenarios"])
def scenarios() -> list[dict]:
    """Built-in scenarios (name and title)."""
    return [{"name": k, "title": v} for k, v in service.builtin().items()]


@router.get("/scenarios/{scenario_id}", response_model=Scenario, tags=["scenarios"],
            responses={404: RESPONSES[404]})
def scenario(scenario_id: str):
    """One built-in scenario in the library's Scenario schema."""
    names = service.builtin()
    if scenario_id not in names:
        return error(404, "UnknownScenario",
                     f"no built-in scenario called {scenario_id!r}; built-in: {', '.join(names)}")
    return service.resolve_request_scenario(scenario_id)


@router.post(
    "/validate", response_model=S.ValidateResponse, tags=["scenarios"],
    responses={413: RESPONSES[413], 422: RESPONSES[422]},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Scenario"}},
        "application/yaml": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
    }}},
)
async def validate(request: Request,
                   filename: str | None = Query(None, max_length=200,
                                                description="the file's name, used in messages only")):
    """Check a scenario sent as JSON, YAML or CSV; answer the validated Scenario or every problem.

    The body is the file's content; the format comes from the Content-Type (or from
    ``filename``'s suffix for ``text/plain`` and unknown types).
    """
    raw = await request.body()
    sc = await run(request, lambda: parse_upload(raw, request.headers.get("content-type", ""), filename))
    if isinstance(sc, Response):
        return sc
    return {"valid": True, "scenario": sc, "notes": list(sc.notes)}
