"""``POST /report``: :func:`detente.service.build_report` -> the HTML file as a download."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ... import service
from .. import schemas as S
from ._shared import RESPONSES, run

router = APIRouter()


@router.post("/report", tags=["forecast"],
             responses={**RESPONSES, 200: {"content": {"text/html": {"schema": {"type": "string"}}},
                                           "description": "the report, one self-contained HTML file"}})
async def report(request: Request, req: S.ReportRequest):
    """The self-contained HTML report (download: ``Content-Disposition: attachment``)."""
    names = service.model_names(req.models)
    sc = service.resolve_request_scenario(req.scenario)
    params = {k: dict(v) for k, v in req.params.items()}
    out = await run(request, lambda: service.build_report(sc, names, params=params, seed=req.seed,
                                                          image_format=req.image_format,
                                                          changes=req.changes))
    if isinstance(out, Response):
        return out
    return HTMLResponse(out, headers={"Content-Disposition": f'attachment; filename="{sc.name}-report.html"'})
