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
unless origins are configured. Library errors map to HTTP: ScenarioError and
ModelParameterError -> 422 with location and field, UnknownModelError -> 404,
MissingExtraError -> 501.
"""

import contextlib
import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import (
    DetenteError,
    MissingExtraError,
    ModelParameterError,
    ScenarioError,
    UnknownModelError,
)

__all__ = ["ApiConfig", "create_app"]


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


# ---------------------------------------------------------------------------------- errors
def _problems(e: ScenarioError) -> list[dict[str, str]]:
    return [
        {"source": p.source, "location": p.location, "field": p.field, "problem": p.problem}
        for p in (e.problems or (e,))
    ]


def _error(status: int, kind: str, message: str, problems=(), headers=None):
    from fastapi.responses import JSONResponse

    return JSONResponse(
        {"error": kind, "message": message, "problems": list(problems)}, status_code=status, headers=headers
    )


def _limit(field: str, value: int, maximum: int):
    return _error(422, "LimitExceeded", f"{field}: at most {maximum} per request on this server (got {value})",
                  [{"source": "request", "location": "body", "field": field,
                    "problem": f"at most {maximum} (got {value})"}])


def _loc_text(loc) -> str:
    s = ""
    for p in loc:
        s += f"[{p}]" if isinstance(p, int) else ("." if s else "") + str(p)
    return s


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _validation_problems(exc) -> list[dict[str, str]]:
    """Translate a request validation error into located problems.

    Errors inside ``body.scenario`` are re-checked through the library's own loader, so a
    scenario posted to the API is reported exactly as the same scenario in a file would be.
    """
    body = getattr(exc, "body", None)
    errors = list(exc.errors())
    problems: list[dict[str, str]] = []
    in_scenario = [e for e in errors if tuple(e.get("loc", ()))[:2] == ("body", "scenario")]
    if in_scenario and isinstance(body, Mapping):
        ref = body.get("scenario")
        if isinstance(ref, Mapping):
            from ..scenario.load import scenario_from_data

            try:
                scenario_from_data(dict(ref), source="request body.scenario")
            except ScenarioError as e:
                problems.extend(_problems(e))
        elif isinstance(ref, str):
            problems.append({"source": "request", "location": "body", "field": "scenario",
                             "problem": f"not a built-in scenario name (got {_short(ref)}); see GET /scenarios"})
        if not problems:
            problems.append({"source": "request", "location": "body", "field": "scenario",
                             "problem": "must be a scenario object or the name of a built-in scenario "
                                        f"(got {type(ref).__name__})"})
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if loc[:2] == ("body", "scenario") and in_scenario:
            continue
        msg = str(err.get("msg", ""))
        kind = err.get("type", "")
        if kind == "missing":
            msg = "is required but missing"
        elif kind == "extra_forbidden":
            msg = "is not a known field"
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {_short(err['input'])})"
        field = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
        where = _loc_text(loc[:-1] if field else loc)
        problems.append({"source": "request", "location": where, "field": field, "problem": msg})
    return problems


# ---------------------------------------------------------------------------------- limits
class _BodyLimit:
    """ASGI middleware: refuse request bodies above ``limit`` bytes with 413, before parsing."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    n = -1
                if n < 0 or n > self.limit:
                    return await self._too_big(scope, receive, send)
        chunks, size = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body = msg.get("body", b"")
            size += len(body)
            if size > self.limit:
                return await self._too_big(scope, receive, send)
            chunks.append(body)
            if not msg.get("more_body", False):
                break
        whole = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _too_big(self, scope, receive, send):
        resp = _error(413, "LimitExceeded", f"request body larger than this server's limit of {self.limit} bytes")
        await resp(scope, receive, send)


async def _timed(fn, timeout: float):
    """Run ``fn`` in a worker thread; raise TimeoutError after ``timeout`` seconds."""
    import anyio

    with anyio.fail_after(timeout):
        return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)


# ---------------------------------------------------------------------------------- upload parsing
_FORMATS = {
    "application/json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
    "text/csv": "csv",
    "text/plain": None,
}


def _safe_name(name: str | None, default: str) -> str:
    """A display name for messages only (never opened): the last path part, plain characters."""
    if not name:
        return default
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^A-Za-z0-9_.\- ]", "_", base)[:80].strip()
    return base or default


def _reject_yaml_aliases(text: str, source: str) -> None:
    """Anchors/aliases let a tiny YAML document expand to a huge one; the API refuses them."""
    import yaml

    depth = 0
    try:
        # the C parser when there is one: the pure one is quadratic in the nesting depth
        for ev in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > 100:
                    mark = ev.start_mark
                    raise ScenarioError(
                        "YAML nested more than 100 levels deep; a scenario needs a handful",
                        source=source, location=f"line {mark.line + 1}, column {mark.column + 1}" if mark else "",
                    )
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            if isinstance(ev, yaml.AliasEvent):
                mark = ev.start_mark
                raise ScenarioError(
                    "YAML aliases (*name) are not accepted by the API; write the values out",
                    source=source, location=f"line {mark.line + 1}, column {mark.column + 1}" if mark else "",
                )
    except yaml.YAMLError:
        return  # the loader reports the syntax error with its line


def parse_upload(raw: bytes, content_type: str, filename: str | None):
    """A Scenario from an uploaded body: JSON, YAML or CSV (by content type or file suffix)."""
    from ..io import scenario_from_text
    from ..scenario.load import decode_bytes

    ctype = content_type.split(";")[0].strip().lower()
    fmt = _FORMATS.get(ctype, "?")
    source = _safe_name(filename, {"json": "upload.json", "csv": "upload.csv"}.get(fmt or "", "upload.yaml"))
    suffix = source.rsplit(".", 1)[-1].lower() if filename and "." in source else ""
    if fmt is None or fmt == "?":
        fmt = {"yaml": "yaml", "yml": "yaml", "json": "json", "csv": "csv", "tsv": "csv", "txt": "csv"}.get(suffix, "?")
    if fmt == "?":
        raise ScenarioError(
            f"unsupported content type {ctype or '(none)'!r}; send application/json, application/yaml "
            "or text/csv (or a file name ending .json, .yaml, .yml or .csv)",
            source=source, field="Content-Type",
        )
    text = decode_bytes(raw, source)
    if fmt == "yaml":
        _reject_yaml_aliases(text, source)
    return scenario_from_text(text, source=source, fmt=fmt)


# ---------------------------------------------------------------------------------- the app
_ERR = {
    404: {"model": "ErrorBody", "description": "unknown scenario, model or job"},
    413: {"model": "ErrorBody", "description": "request body too large"},
    422: {"model": "ErrorBody", "description": "invalid input, located (source, location, field)"},
    503: {"model": "ErrorBody", "description": "the computation exceeded the time limit"},
}


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
        When FastAPI (the ``web`` extra) is not installed.
    """
    try:
        from fastapi import FastAPI, Query, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import HTMLResponse, JSONResponse, Response
        from fastapi.staticfiles import StaticFiles
        from starlette.exceptions import HTTPException as StarletteHTTPException
    except ImportError:
        raise MissingExtraError("fastapi", "web") from None

    from .. import __version__
    from ..models.base import model_parameters
    from ..models.registry import MODELS
    from ..scenario.load import builtin_scenarios
    from ..scenario.schema import Scenario
    from . import schemas as S
    from . import tasks
    from .jobs import JobManager, JobsBusy

    cfg = config or ApiConfig()
    jobs = JobManager(max_running=cfg.max_jobs, timeout_s=cfg.job_timeout_s)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        jobs.shutdown()

    app = FastAPI(
        title="detente",
        version=__version__,
        description="Forecast multi-party negotiations: models, zone of agreement, reports, "
                    "simulation and sensitivity. Scenarios use the library's Scenario schema.",
        lifespan=lifespan,
        separate_input_output_schemas=False,
    )
    app.state.config = cfg
    app.state.jobs = jobs
    responses: dict[int | str, dict[str, Any]] = {k: {**v, "model": S.ErrorBody} for k, v in _ERR.items()}

    # ---- error mapping
    @app.exception_handler(ScenarioError)
    async def _scenario_error(request: Request, e: ScenarioError):
        return _error(422, "ScenarioError", str(e), _problems(e))

    @app.exception_handler(ModelParameterError)
    async def _param_error(request: Request, e: ModelParameterError):
        return _error(422, "ModelParameterError", str(e),
                      [{"source": "request", "location": "body.params", "field": "", "problem": str(e)}])

    @app.exception_handler(UnknownModelError)
    async def _unknown_model(request: Request, e: UnknownModelError):
        return _error(404, "UnknownModelError", str(e))

    @app.exception_handler(MissingExtraError)
    async def _missing_extra(request: Request, e: MissingExtraError):
        return _error(501, "MissingExtraError", str(e))

    @app.exception_handler(DetenteError)
    async def _detente_error(request: Request, e: DetenteError):
        return _error(422, type(e).__name__, str(e))

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, e: RequestValidationError):
        problems = _validation_problems(e)
        first = problems[0] if problems else {"location": "", "field": "", "problem": "invalid request"}
        where = ".".join(p for p in (first["location"], first["field"]) if p)
        msg = f"{where}: {first['problem']}" if where else first["problem"]
        if len(problems) > 1:
            msg += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        kind = "ScenarioError" if any(p["source"] != "request" for p in problems) else "RequestValidationError"
        return _error(422, kind, msg, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, e: StarletteHTTPException):
        if e.status_code == 400:  # a body the framework could not even parse (e.g. not UTF-8)
            return _error(422, "RequestValidationError", f"the request body could not be parsed: {e.detail}",
                          [{"source": "request", "location": "body", "field": "", "problem": str(e.detail)}])
        return _error(e.status_code, "HTTPError", str(e.detail), headers=getattr(e, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, e: Exception):  # never leak a traceback
        return _error(500, "InternalError", f"unexpected {type(e).__name__}; the server log has details")

    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    app.add_middleware(_BodyLimit, limit=cfg.max_body_bytes)

    def _check_models(names: list[str]) -> None:
        for n in names:
            if n not in MODELS:
                raise UnknownModelError(n, sorted(MODELS))

    async def _run(fn):
        try:
            return await _timed(fn, cfg.request_timeout_s)
        except TimeoutError:
            return _error(503, "Timeout",
                          f"the computation exceeded this server's time limit of {cfg.request_timeout_s:g} s; "
                          "try a smaller scenario or fewer models", headers={"Retry-After": "30"})

    # ---- read-only endpoints
    @app.get("/health", response_model=S.Health, tags=["meta"])
    def health() -> dict:
        """Liveness and which optional capabilities this server has."""
        return {
            "status": "ok",
            "version": __version__,
            "capabilities": {
                "simulate": tasks.simulate_fn() is not None,
                "sensitivity": tasks.capability("detente.uncertainty", "sensitivity"),
                "monte_carlo": tasks.capability("detente.uncertainty", "monte_carlo"),
                "plot": tasks.capability("matplotlib", None),
            },
        }

    @app.get("/models", response_model=list[S.ModelInfo], tags=["meta"])
    def models() -> list[dict]:
        """Registered models with their parameters' defaults and full citations."""
        return [
            {"name": n, "reference": cls.reference,
             "parameters": tasks.clean({p: getattr(cls(), p) for p in model_parameters(cls)})}
            for n, cls in MODELS.items()
        ]

    @app.get("/scenarios", response_model=list[S.ScenarioInfo], tags=["scenarios"])
    def scenarios() -> list[dict]:
        """Built-in scenarios (name and title)."""
        return [{"name": k, "title": v} for k, v in builtin_scenarios().items()]

    @app.get("/scenarios/{scenario_id}", response_model=Scenario, tags=["scenarios"],
             responses={404: responses[404]})
    def scenario(scenario_id: str):
        """One built-in scenario in the library's Scenario schema."""
        if scenario_id not in builtin_scenarios():
            return _error(404, "UnknownScenario",
                          f"no built-in scenario called {scenario_id!r}; built-in: {', '.join(builtin_scenarios())}")
        return tasks.resolve_scenario(scenario_id)

    # ---- validation
    @app.post(
        "/validate", response_model=S.ValidateResponse, tags=["scenarios"],
        responses={413: responses[413], 422: responses[422]},
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
        sc = await _run(lambda: parse_upload(raw, request.headers.get("content-type", ""), filename))
        if isinstance(sc, Response):
            return sc
        return {"valid": True, "scenario": sc, "notes": list(sc.notes)}

    # ---- forecasts and reports
    @app.post("/forecast", response_model=S.ForecastResponse, tags=["forecast"],
              responses={**responses})
    async def forecast(req: S.ForecastRequest):
        """Run models on a scenario (given whole, or by built-in name)."""
        names = list(req.models) if req.models else list(MODELS)
        _check_models(names)
        sc = tasks.resolve_scenario(req.scenario)
        params = {k: dict(v) for k, v in req.params.items()}
        return await _run(lambda: tasks.run_forecast(sc, names, params, req.seed, req.tables))

    @app.post("/report", tags=["forecast"],
              responses={**responses, 200: {"content": {"text/html": {"schema": {"type": "string"}}},
                                            "description": "the report, one self-contained HTML file"}})
    async def report(req: S.ReportRequest):
        """The self-contained HTML report (download: ``Content-Disposition: attachment``)."""
        from ..report.html import build_report

        names = list(req.models) if req.models else list(MODELS)
        _check_models(names)
        sc = tasks.resolve_scenario(req.scenario)
        params = {k: dict(v) for k, v in req.params.items()}
        out = await _run(lambda: build_report(sc, names, params=params, seed=req.seed,
                                              image_format=req.image_format))
        if isinstance(out, Response):
            return out
        return HTMLResponse(out, headers={
            "Content-Disposition": f'attachment; filename="{sc.name}-report.html"'})

    # ---- uncertainty, simulation and sensitivity
    def _no_simulator():
        return _error(501, "NotAvailable",
                      "the negotiation simulator (detente.simulate) is not available on this server")

    @app.post("/montecarlo", tags=["jobs"],
              responses={**responses, 202: {"model": S.JobAccepted, "description": "started as a job"},
                         429: {"model": S.ErrorBody, "description": "too many jobs running"},
                         501: {"model": S.ErrorBody, "description": "Monte Carlo not installed"}})
    async def montecarlo(req: S.MonteCarloRequest):
        """Monte Carlo over uncertain inputs: up to ``sync_draws`` answered at once, more as a job."""
        if req.draws > cfg.max_draws:
            return _limit("draws", req.draws, cfg.max_draws)
        negotiated = req.model in tasks.SIMULATOR_MODELS
        if not negotiated:
            _check_models([req.model])
            if req.simulator is not None:
                raise ScenarioError(f"simulator options need model 'simulator' (got model {req.model!r})",
                                    location="body", field="simulator")
        if not tasks.capability("detente.uncertainty", "monte_carlo"):
            return _error(501, "NotAvailable",
                          "Monte Carlo (detente.uncertainty) is not available on this server")
        if negotiated:
            if tasks.simulate_fn() is None:
                return _no_simulator()
            if req.params:
                raise ScenarioError("model 'simulator' takes its options in 'simulator', not 'params' "
                                    f"(got {sorted(req.params)})", location="body", field="params")
            tasks.simulator_model(req.simulator.model_dump() if req.simulator else None)  # 422 on bad options
        else:
            from ..models.registry import get_model

            get_model(req.model, **req.params)
        sc = tasks.resolve_scenario(req.scenario)
        payload = {**req.model_dump(mode="json", exclude={"scenario"}), "scenario": sc.model_dump(mode="json")}
        # a negotiated draw costs a simulated negotiation: answered at once up to sync_runs
        if req.draws <= (cfg.sync_runs if negotiated else cfg.sync_draws):
            return await _run(lambda: tasks.monte_carlo_job(payload, lambda x: None))
        return _submit("montecarlo", "detente.api.tasks:monte_carlo_job", payload)

    @app.post("/simulate", tags=["jobs"],
              responses={**responses, 202: {"model": S.JobAccepted, "description": "started as a job"},
                         429: {"model": S.ErrorBody, "description": "too many jobs running"},
                         501: {"model": S.ErrorBody, "description": "simulator not installed"}})
    async def simulate(req: S.SimulateRequest):
        """Simulated negotiations: up to ``sync_runs`` answered at once, more as a background job."""
        if req.runs > cfg.max_runs:
            return _limit("runs", req.runs, cfg.max_runs)
        if tasks.simulate_fn() is None:
            return _no_simulator()
        sc = tasks.resolve_scenario(req.scenario)
        payload = {**req.model_dump(mode="json", exclude={"scenario"}), "scenario": sc.model_dump(mode="json")}
        if req.runs <= cfg.sync_runs:
            return await _run(lambda: tasks.simulate_job(payload, lambda x: None))
        return _submit("simulate", "detente.api.tasks:simulate_job", payload)

    @app.post("/sensitivity", status_code=202, response_model=S.JobAccepted, tags=["jobs"],
              responses={**responses, 429: {"model": S.ErrorBody, "description": "too many jobs running"},
                         501: {"model": S.ErrorBody, "description": "sensitivity analysis not installed"}})
    async def sensitivity(req: S.SensitivityRequest):
        """Sobol (or Morris) sensitivity indices, computed as a background job: poll ``status_url``."""
        if req.samples > cfg.max_samples:
            return _limit("samples", req.samples, cfg.max_samples)
        _check_models([req.model])
        if not tasks.capability("detente.uncertainty", "sensitivity"):
            return _error(501, "NotAvailable",
                          "sensitivity analysis (detente.uncertainty) is not available on this server")
        from ..models.registry import get_model

        get_model(req.model, **req.params)  # bad parameters: 422 now, not a failed job later
        sc = tasks.resolve_scenario(req.scenario)
        payload = {**req.model_dump(mode="json", exclude={"scenario"}), "scenario": sc.model_dump(mode="json")}
        return _submit("sensitivity", "detente.api.tasks:sensitivity_job", payload)

    def _submit(kind: str, target: str, payload: dict):
        try:
            job = jobs.submit(kind, target, payload)
        except JobsBusy as e:
            return _error(429, "TooManyJobs", str(e), headers={"Retry-After": "10"})
        return JSONResponse({"job_id": job.id, "status_url": f"/jobs/{job.id}"}, status_code=202,
                            headers={"Location": f"/jobs/{job.id}"})

    @app.get("/jobs/{job_id}", response_model=S.JobOut, tags=["jobs"], responses={404: responses[404]})
    def job(job_id: str):
        """A background job: status (queued, running, done, failed, timed_out), progress, result."""
        j = jobs.get(job_id)
        if j is None:
            return _error(404, "UnknownJob", f"no job {job_id!r} on this server (finished jobs are kept "
                                             "for a while, then forgotten)")
        return j.as_dict()

    # ---- the web page
    _mount_page(app, cfg, HTMLResponse, StaticFiles)
    return app


def _mount_page(app, cfg: ApiConfig, HTMLResponse, StaticFiles) -> None:  # noqa: N803
    """The web page at ``/`` and its script and styles under ``/static`` (package data)."""
    from .. import __version__
    from ..models.registry import MODELS
    from ..report.plots import MODEL_COLORS
    from ..scenario.load import builtin_scenarios

    try:
        import jinja2
    except ImportError:
        raise MissingExtraError("jinja2", "web") from None
    static = resources.files("detente.api") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("detente.api", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    csp = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
           "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page():
        html = env.get_template("index.html.j2").render(
            version=__version__,
            scenarios=builtin_scenarios(),
            models=list(MODELS),
            colors=list(MODEL_COLORS),
            max_body_bytes=cfg.max_body_bytes,
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff"})
