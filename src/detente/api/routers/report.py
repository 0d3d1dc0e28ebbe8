"""``POST /report``: :func:`detente.service.build_report` -> the HTML file as a download."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .. import schemas as S
from ._shared import RESPONSES, compute, is_answer, payload_of

router = APIRouter()


@router.post("/report", tags=["forecast"],
             responses={**RESPONSES, 200: {"content": {"text/html": {"schema": {"type": "string"}}},
                                           "description": "the report, one self-contained HTML file"}})
async def report(request: Request, req: S.ReportRequest):
    """The self-contained HTML report (download: ``Content-Disposition: attachment``)."""
    out = await compute(request, "detente.api.tasks:report_task", payload_of(request, req))
    if is_answer(out):
        return out
    name, html = out
    return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{name}-report.html"'})
