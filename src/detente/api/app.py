"""The REST API and the web page (the ``web`` extra): ``create_app(config)``.

Endpoints (documented in the OpenAPI schema at ``/openapi.json`` and ``docs/api.md``)::

    GET  /health              liveness and installed capabilities
    GET  /models              registered models, defaults and citations
    GET  /scenarios           built-in scenarios
    GET  /scenarios/{id}      one built-in scenario (the library's Scenario schema)
    POST /validate            a scenario as JSON, YAML or CSV -> the validated Scenario or 422
    POST /forecast            run models -> forecasts, zone of agreement
    POST /report              the self-contained HTML report
    POST /montecarlo          forecast distribution and deal probability (big runs as a job)
    POST /simulate            simulated negotiations (501 when detente.simulate is absent)
    POST /sensitivity         Sobol/Morris indices as a background job (202 + /jobs/{id})
    GET  /jobs/{id}           a background job's status, progress and result
    GET  /                    the web page (static files under /static)

Limits (``ApiConfig``) protect an exposed server: body size (413), samples/runs per request
(422), a time limit per request (503) and per job (the job ends ``timed_out``), concurrent jobs
(429). Scenarios are accepted as data or by built-in name, never as a file path. CORS is off
unless origins are configured. Library errors map to HTTP in one place
(:mod:`detente.api.errors`): ScenarioError and ModelParameterError -> 422 with location and
field, UnknownModelError -> 404, MissingExtraError -> 501.

Layout: the routes live in :mod:`detente.api.routers` (one module per area: meta, forecast,
report, uncertainty, simulate, jobs, page) and call :mod:`detente.service`; background job
functions are in :mod:`detente.api.tasks`; uploads in :mod:`detente.api.upload`; limits in
:mod:`detente.api.limits`.
"""

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import MissingExtraError, ScenarioError

__all__ = ["ApiConfig", "create_app", "parse_upload"]


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Limits and switches of one API server.

    Attributes
    ----------
    max_body_bytes : int
        Largest request body accepted (413 above).
    max_samples, max_runs : int
        Largest sensitivity ``samples`` and simulation ``runs`` per request (422 above).
    sync_runs : int
        Simulations with more runs than this become a background job.
    request_timeout_s : float
        Time limit of a synchronous request's computation (503 after it).
    job_timeout_s : float
        Time limit of a background job (its process is killed; the job ends ``timed_out``).
    max_jobs : int
        Background jobs running at once (429 above).
    cors_origins : tuple of str
        Origins allowed by CORS; empty (the default) means no CORS headers at all.
    """

    max_body_bytes: int = 1_000_000
    max_draws: int = 1_000_000
    sync_draws: int = 50_000
    max_samples: int = 4_096
    max_runs: int = 10_000
    sync_runs: int = 1_000
    request_timeout_s: float = 30.0
    job_timeout_s: float = 300.0
    max_jobs: int = 2
    cors_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "cors_origins":
                object.__setattr__(self, f.name, tuple(v))
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ScenarioError(f"must be a positive number (got {v!r})", source="ApiConfig", field=f.name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ApiConfig":
        """Read ``DETENTE_API_<FIELD>`` variables (e.g. ``DETENTE_API_MAX_JOBS=4``,
        ``DETENTE_API_CORS_ORIGINS=https://a.example,https://b.example``), strictly."""
        env = os.environ if env is None else env
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = "DETENTE_API_" + f.name.upper()
            if key not in env:
                continue
            raw = env[key].strip()
            if f.name == "cors_origins":
                kw[f.name] = tuple(o.strip() for o in raw.split(",") if o.strip())
                continue
            try:
                kw[f.name] = int(raw) if f.type in ("int", int) else float(raw)
            except ValueError:
                raise ScenarioError(f"{raw!r} is not a number", source="environment", field=key) from None
        return cls(**kw)


def create_app(config: ApiConfig | None = None):
    """The FastAPI application (web page included).

    Parameters
    ----------
    config : ApiConfig, optional
        Limits and switches; default ``ApiConfig()`` (no environment is read here; the
        ``detente serve`` command reads ``ApiConfig.from_env()``).

    Raises
    ------
    MissingExtraError
        When FastAPI or Jinja2 (the ``web`` extra) is not installed.
    """
    try:
        from fastapi import FastAPI
    except ImportError:
        raise MissingExtraError("fastapi", "web") from None

    from .._version import __version__
    from .errors import install_error_map
    from .jobs import JobManager
    from .limits import BodyLimit
    from .routers import forecast, jobs, meta, page, report, simulate, uncertainty, whatif

    cfg = config or ApiConfig()
    manager = JobManager(max_running=cfg.max_jobs, timeout_s=cfg.job_timeout_s)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # compile (or load) every numba kernel before the server reports healthy, so that no
        # request waits on a compile (detente.service.warmup; in a thread: the loop stays free)
        import logging

        import anyio

        from .. import service

        log = logging.getLogger("uvicorn.error")

        def progress(label: str, before: bool) -> None:
            if not before:
                log.info("compiling the %s kernels before serving (once per machine)", label)

        try:
            await anyio.to_thread.run_sync(lambda: service.warmup(progress=progress))
        except Exception as err:  # a broken numba: serve anyway, "auto" then runs numpy
            log.warning("kernel warmup failed (%s: %s); serving with the numpy engines", type(err).__name__, err)
        yield
        manager.shutdown()

    app = FastAPI(
        title="detente",
        version=__version__,
        description="Forecast multi-party negotiations: models, zone of agreement, reports, "
                    "simulation and sensitivity. Scenarios use the library's Scenario schema.",
        lifespan=lifespan,
        separate_input_output_schemas=False,
    )
    app.state.config = cfg
    app.state.jobs = manager
    install_error_map(app)
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)
    for area in (meta, forecast, report, uncertainty, simulate, whatif, jobs, page):
        app.include_router(area.router)
    page.mount_static(app)
    return app


def parse_upload(raw: bytes, content_type: str, filename: str | None):
    """See :func:`detente.api.upload.parse_upload`."""
    from .upload import parse_upload as _parse

    return _parse(raw, content_type, filename)
