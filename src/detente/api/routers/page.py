"""The web page at ``/`` and its script and styles under ``/static`` (package data)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ... import __version__, service
from ...errors import MissingExtraError
from ...report.plots import MODEL_COLORS
from ._shared import config

router = APIRouter()

_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@lru_cache(maxsize=1)
def _env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("detente.api", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )


def mount_static(app) -> None:
    """Serve ``/static``; raises MissingExtraError without Jinja2 (the page needs it)."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        raise MissingExtraError("jinja2", "web") from None
    static = resources.files("detente.api") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request):
    html = _env().get_template("index.html.j2").render(
        version=__version__,
        scenarios=service.builtin(),
        models=[m["name"] for m in service.catalogue()],
        colors=list(MODEL_COLORS),
        max_body_bytes=config(request).max_body_bytes,
        default_scenario=service.DEFAULTS.scenario,
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"})
