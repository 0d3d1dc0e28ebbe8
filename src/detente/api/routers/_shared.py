"""What the routers share: the server's config and jobs, computations in worker processes,
job submission."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from .. import schemas as S
from ..errors import error
from ..jobs import JobsBusy
from ..workers import PoolBusy, WorkerFailed, WorkerTimeout

__all__ = ["RESPONSES", "compute", "config", "json_bytes", "payload_of", "submit"]

_ERR = {
    404: "unknown scenario, model or job",
    413: "request body too large",
    422: "invalid input, located (source, location, field), or a computation over this server's budget",
    503: "the computation exceeded the time or memory limit, or the server is busy",
}
#: OpenAPI error answers shared by the routes
RESPONSES: dict[int | str, dict[str, Any]] = {k: {"model": S.ErrorBody, "description": v} for k, v in _ERR.items()}


def config(request: Request):
    """The :class:`~detente.api.app.ApiConfig` of the server answering ``request``."""
    return request.app.state.config


def json_bytes(doc: Any) -> bytes:
    """JSON as FastAPI writes it (UTF-8, no NaN): computed in the worker, sent as is."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def payload_of(request: Request, req, *, job: bool = False) -> dict:
    """A request as the JSON-ready payload of a task: the scenario as sent (validated in the
    worker) and the server's budget for this kind of work."""
    cfg = config(request)
    doc = req.model_dump(mode="json", exclude={"scenario"})
    if hasattr(req, "scenario"):  # as sent: a built-in name or data, validated in the worker
        doc["scenario"] = req.scenario
    return {**doc, "_budget": cfg.budget(job=job)}


async def compute(request: Request, target: str, payload: Any, *, timeout: float | None = None):
    """Run ``target(payload)`` (``"module:function"``) in a worker process under the server's
    time and memory limits. Returns the function's value, or the error Response to answer."""
    cfg = config(request)
    limit = cfg.request_timeout_s if timeout is None else timeout
    try:
        kind, value = await request.app.state.pool.run(target, payload, limit)
    except PoolBusy as e:
        return error(503, "Busy", f"{e}; try again shortly", headers={"Retry-After": "5"})
    except WorkerTimeout:
        return error(503, "Timeout",
                     f"the computation exceeded this server's time limit of {limit:g} s and was "
                     "stopped; try a smaller scenario or fewer models", headers={"Retry-After": "30"})
    except WorkerFailed as e:
        return error(503, "WorkerDied", f"{e}; the computation probably exceeded the memory limit")
    if kind == "error":
        status, body = value
        return JSONResponse(body, status_code=status)
    return value


def is_answer(x: Any) -> bool:
    return isinstance(x, Response)


def submit(request: Request, kind: str, target: str, payload: dict):
    """Start a background job (202 + ``Location``), or 429 when too many are running."""
    try:
        job = request.app.state.jobs.submit(kind, target, payload)
    except JobsBusy as e:
        return error(429, "TooManyJobs", str(e), headers={"Retry-After": "10"})
    return JSONResponse({"job_id": job.id, "status_url": f"/jobs/{job.id}"}, status_code=202,
                        headers={"Location": f"/jobs/{job.id}"})
