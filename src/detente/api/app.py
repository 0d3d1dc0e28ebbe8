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

__all__ = ["ApiConfig", "create_app", "create_app_from_env", "parse_upload"]


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
    workers : int
        Worker processes computing synchronous requests at once (validation included); each
        is killed when its request overruns ``request_timeout_s``.
    queue : int
        Requests that may wait for a worker; more get 503 at once.
    max_memory_bytes : int
        Memory one computation may use: the budget every request is checked against before
        any work (422 above), and the hard limit of each worker process and job.
    read_timeout_s : float
        A client must send each part of its request body within this many seconds (408 after).
    cors_origins : tuple of str
        Origins allowed by CORS; empty (the default) means no CORS headers at all.
    allowed_hosts : tuple of str
        Host headers the server answers (400 otherwise: DNS rebinding); empty (the default of
        ``create_app``) means any. ``detente serve`` allows the loopback names and its
        ``--host`` unless ``DETENTE_API_ALLOWED_HOSTS`` says otherwise.
    api_keys : tuple of str
        SHA-256 hex digests of the API keys; empty means no key is needed. See
        :mod:`detente.api.auth` and docs/deploy.md.
    jobs_db : str
        SQLite file of background jobs, shared by every worker process of a deployment; empty
        (the default) means a private file that lives as long as the app.
    dask_scheduler : str
        Address of a Dask scheduler (``tcp://host:8786``): background jobs run on that
        cluster instead of local processes; empty means local.
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
    workers: int = 2
    queue: int = 16
    max_memory_bytes: int = 1 << 30
    read_timeout_s: float = 30.0
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = ()
    jobs_db: str = ""
    dask_scheduler: str = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in _LISTS:
                object.__setattr__(self, f.name, tuple(str(x) for x in v))
                if f.name == "api_keys":
                    from .auth import is_digest

                    if not all(is_digest(d) for d in self.api_keys):
                        raise ScenarioError("must list SHA-256 hex digests of the keys, not the keys "
                                            "(see `detente serve --hash-key`)", source="ApiConfig",
                                            field="api_keys")
            elif f.name in _TEXTS:
                if not isinstance(v, str):
                    raise ScenarioError(f"must be text (got {v!r})", source="ApiConfig", field=f.name)
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
            if f.name in _LISTS:
                kw[f.name] = tuple(o.strip() for o in raw.split(",") if o.strip())
                continue
            if f.name in _TEXTS:
                kw[f.name] = raw
                continue
            try:
                kw[f.name] = int(raw) if f.type in ("int", int) else float(raw)
            except ValueError:
                raise ScenarioError(f"{raw!r} is not a number", source="environment", field=key) from None
        return cls(**kw)

    @classmethod
    def from_file(cls, path: str, env: Mapping[str, str] | None = None) -> "ApiConfig":
        """Read a TOML file of ``ApiConfig`` fields (``max_jobs = 4``, ``api_keys = ["<sha256
        hex>", ...]``, ``allowed_hosts = ["detente.example.org"]``); ``DETENTE_API_*``
        variables in ``env`` override it. Unknown keys are an error naming them."""
        import tomllib

        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as e:
            raise ScenarioError(f"cannot read the file ({e.strerror})", source=str(path)) from None
        except tomllib.TOMLDecodeError as e:
            raise ScenarioError(f"not valid TOML ({e})", source=str(path)) from None
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ScenarioError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}",
                                source=str(path))
        over = cls.from_env(env)
        kw: dict[str, Any] = dict(data)
        for f in dataclasses.fields(cls):
            if "DETENTE_API_" + f.name.upper() in (os.environ if env is None else env):
                kw[f.name] = getattr(over, f.name)
        try:
            return cls(**kw)
        except TypeError as e:
            raise ScenarioError(str(e), source=str(path)) from None

    def to_env(self) -> dict[str, str]:
        """The ``DETENTE_API_*`` variables that give this configuration (for worker processes)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out["DETENTE_API_" + f.name.upper()] = ",".join(v) if f.name in _LISTS else str(v)
        return out

    def budget(self, *, job: bool = False) -> dict[str, float]:
        """The budget of one request (or background job) as plain data for a worker:
        ``max_memory_bytes`` and the time limit of a request (or job)."""
        return {"max_bytes": float(self.max_memory_bytes),
                "max_seconds": float(self.job_timeout_s if job else self.request_timeout_s)}


_LISTS = ("cors_origins", "allowed_hosts", "api_keys")
_TEXTS = ("jobs_db", "dask_scheduler")


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
    from .auth import ApiKeys
    from .errors import install_error_map
    from .jobs import JobManager
    from .limits import BodyLimit
    from .routers import docs, forecast, jobs, meta, page, report, simulate, uncertainty, whatif
    from .workers import pool_for

    cfg = config or ApiConfig()
    manager = JobManager(max_running=cfg.max_jobs, timeout_s=cfg.job_timeout_s, db=cfg.jobs_db or None,
                         memory_bytes=cfg.max_memory_bytes, dask_scheduler=cfg.dask_scheduler or None)
    pool = pool_for(cfg.workers, cfg.max_memory_bytes, cfg.queue)

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
        import asyncio

        # the fork server and the workers start before the first request, not during a burst
        await asyncio.to_thread(pool.start)
        yield
        manager.shutdown()

    app = FastAPI(
        title="detente",
        version=__version__,
        description="Forecast multi-party negotiations: models, zone of agreement, reports, "
                    "simulation and sensitivity. Scenarios use the library's Scenario schema.",
        lifespan=lifespan,
        separate_input_output_schemas=False,
        docs_url=None,  # self-hosted: detente.api.routers.docs (no CDN)
        redoc_url=None,
    )
    app.state.config = cfg
    app.state.jobs = manager
    app.state.pool = pool
    install_error_map(app)
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes, read_timeout=cfg.read_timeout_s)
    if cfg.api_keys:
        app.add_middleware(ApiKeys, digests=cfg.api_keys)
    if cfg.allowed_hosts:  # outermost: a foreign Host header is refused before anything else
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(cfg.allowed_hosts))
    for area in (meta, forecast, report, uncertainty, simulate, whatif, jobs, page, docs):
        app.include_router(area.router)
    page.mount_static(app)
    docs.mount_assets(app)
    return app


def create_app_from_env():
    """``create_app(ApiConfig.from_env())``: the factory ``detente serve --workers N`` gives
    uvicorn (each worker process builds its app from the environment the command set)."""
    return create_app(ApiConfig.from_env())


def parse_upload(raw: bytes, content_type: str, filename: str | None):
    """See :func:`detente.api.upload.parse_upload`."""
    from .upload import parse_upload as _parse

    return _parse(raw, content_type, filename)
