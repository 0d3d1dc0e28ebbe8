"""``GET /jobs/{id}``: a background job's status, progress and result."""

from __future__ import annotations

from fastapi import APIRouter, Request

from .. import schemas as S
from ..errors import error
from ._shared import RESPONSES

router = APIRouter()


@router.get("/jobs/{job_id}", response_model=S.JobOut, tags=["jobs"], responses={404: RESPONSES[404]})
def job(request: Request, job_id: str):
    """A background job: status (queued, running, done, failed, timed_out), progress, result."""
    j = request.app.state.jobs.get(job_id)
    if j is None:
        return error(404, "UnknownJob", f"no job {job_id!r} on this server (finished jobs are kept "
                                        "for a while, then forgotten)")
    return j.as_dict()
