"""What the routers share: the server's config and jobs, timed calls, job submission."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from .. import schemas as S
from ..errors import error
from ..jobs import JobsBusy
from ..limits import timed

__all__ = ["RESPONSES", "config", "request_payload", "run", "submit"]

_ERR = {
    404: "unknown scenario, model or job",
    413: "request body too large",
    422: "invalid input, located (source, location, field)",
    503: "the computation exceeded the time limit",
}
#: OpenAPI error answers shared by the routes
RESPONSES: dict[int | str, dict[str, Any]] = {k: {"model": S.ErrorBody, "description": v} for k, v in _ERR.items()}


def config(request: Request):
    """The :class:`~detente.api.app.ApiConfig` of the server answering ``request``."""
    return request.app.state.config


async def run(request: Request, fn):
    """Run ``fn`` in a worker thread under the server's time limit (503 after it)."""
    limit = config(request).request_timeout_s
    try:
        return await timed(fn, limit)
    except TimeoutError:
        return error(503, "Timeout",
                     f"the computation exceeded this server's time limit of {limit:g} s; "
                     "try a smaller scenario or fewer models", headers={"Retry-After": "30"})


def submit(request: Request, kind: str, target: str, payload: dict):
    """Start a background job (202 + ``Location``), or 429 when too many are running."""
    try:
        job = request.app.state.jobs.submit(kind, target, payload)
    except JobsBusy as e:
        return error(429, "TooManyJobs", str(e), headers={"Retry-After": "10"})
    return JSONResponse({"job_id": job.id, "status_url": f"/jobs/{job.id}"}, status_code=202,
                        headers={"Location": f"/jobs/{job.id}"})


def request_payload(req, scenario) -> dict:
    """A job's payload: the request as JSON with the scenario resolved to plain data."""
    return {**req.model_dump(mode="json", exclude={"scenario"}), "scenario": scenario.model_dump(mode="json")}
