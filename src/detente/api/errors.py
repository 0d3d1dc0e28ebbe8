"""The error map of the API: every library error and framework error as one JSON error body.

``{"error": CLASS, "message": TEXT, "problems": [{source, location, field, problem}]}``.
:data:`ERROR_MAP` says which status each library error gets; :func:`install_error_map`
registers the handlers (the one place that does). No answer carries a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import (
    DetenteError,
    MissingExtraError,
    ModelParameterError,
    ScenarioError,
    UnknownModelError,
)

__all__ = ["ERROR_MAP", "error", "install_error_map", "limit_exceeded"]

#: Library error -> HTTP status, most specific first (the first match wins).
ERROR_MAP: tuple[tuple[type[DetenteError], int], ...] = (
    (ScenarioError, 422),
    (ModelParameterError, 422),
    (UnknownModelError, 404),
    (MissingExtraError, 501),
    (DetenteError, 422),
)


def _problems(e: ScenarioError) -> list[dict[str, str]]:
    return [
        {"source": p.source, "location": p.location, "field": p.field, "problem": p.problem}
        for p in (e.problems or (e,))
    ]


def error(status: int, kind: str, message: str, problems=(), headers=None):
    from fastapi.responses import JSONResponse

    return JSONResponse(
        {"error": kind, "message": message, "problems": list(problems)}, status_code=status, headers=headers
    )


def limit_exceeded(field: str, value: int, maximum: int):
    return error(422, "LimitExceeded", f"{field}: at most {maximum} per request on this server (got {value})",
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
            from ..service.scenarios import scenario_from_request_data

            try:
                scenario_from_request_data(dict(ref), source="request body.scenario")
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



def _problems_of(e: DetenteError) -> list[dict[str, str]]:
    if isinstance(e, ScenarioError):
        return _problems(e)
    if isinstance(e, ModelParameterError):
        return [{"source": "request", "location": "body.params", "field": "", "problem": str(e)}]
    return []


def install_error_map(app) -> None:
    """Register the handlers of :data:`ERROR_MAP`, request validation, HTTP errors and the
    catch-all 500 (which never leaks a traceback) on ``app``."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    def library_handler(status: int, kind: type[DetenteError]):
        async def handle(request, e: DetenteError):
            name = type(e).__name__ if kind is DetenteError else kind.__name__
            return error(status, name, str(e), _problems_of(e))

        return handle

    for kind, status in ERROR_MAP:
        app.add_exception_handler(kind, library_handler(status, kind))

    async def request_invalid(request, e: RequestValidationError):
        problems = _validation_problems(e)
        first = problems[0] if problems else {"location": "", "field": "", "problem": "invalid request"}
        where = ".".join(p for p in (first["location"], first["field"]) if p)
        msg = f"{where}: {first['problem']}" if where else first["problem"]
        if len(problems) > 1:
            msg += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        kind = "ScenarioError" if any(p["source"] != "request" for p in problems) else "RequestValidationError"
        return error(422, kind, msg, problems)

    async def http_error(request, e: StarletteHTTPException):
        if e.status_code == 400:  # a body the framework could not even parse (e.g. not UTF-8)
            return error(422, "RequestValidationError", f"the request body could not be parsed: {e.detail}",
                         [{"source": "request", "location": "body", "field": "", "problem": str(e.detail)}])
        return error(e.status_code, "HTTPError", str(e.detail), headers=getattr(e, "headers", None))

    async def unexpected(request, e: Exception):  # never leak a traceback
        return error(500, "InternalError", f"unexpected {type(e).__name__}; the server log has details")

    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
