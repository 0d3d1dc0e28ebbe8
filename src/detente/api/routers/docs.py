"""``/docs`` (Swagger UI) and ``/redoc``, self-hosted: no page of this server loads a script
from a CDN.

The Swagger UI and ReDoc bundles come from the ``fastapi-offline`` package when it is installed
(served under ``/docs-assets``). Without it, ``/docs`` and ``/redoc`` are a plain page that links
the OpenAPI schema (``/openapi.json``) and says how to get the interactive pages; still nothing
is fetched from another host.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

__all__ = ["ASSETS", "assets_dir", "mount_assets", "router"]

router = APIRouter()

#: where the bundles are served
ASSETS = "/docs-assets"


def assets_dir() -> Path | None:
    """The folder of the Swagger UI and ReDoc bundles (``fastapi-offline``), or None."""
    try:
        folder = Path(str(resources.files("fastapi_offline") / "static"))
    except (ImportError, TypeError):
        return None
    need = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")
    return folder if all((folder / n).is_file() for n in need) else None


def mount_assets(app) -> None:
    """Serve the bundles under :data:`ASSETS` when they are installed."""
    folder = assets_dir()
    if folder is not None:
        from fastapi.staticfiles import StaticFiles

        app.mount(ASSETS, StaticFiles(directory=str(folder)), name="docs-assets")


def _plain(title: str, openapi_url: str) -> HTMLResponse:
    t = html.escape(title)
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{t}</title></head><body>"
        f"<h1>{t}</h1><p>The API is described by its OpenAPI schema: "
        f"<a href='{html.escape(openapi_url)}'>{html.escape(openapi_url)}</a>.</p>"
        "<p>The interactive pages are served from this server only (never from a CDN); they "
        "need the <code>fastapi-offline</code> package, which this server does not have "
        "(<code>pip install 'detente[web]'</code>).</p></body></html>")


@router.get("/docs", include_in_schema=False)
def swagger(request: Request) -> HTMLResponse:
    from fastapi.openapi.docs import get_swagger_ui_html

    title = f"{request.app.title} - Swagger UI"
    if assets_dir() is None:
        return _plain(title, request.app.openapi_url)
    return get_swagger_ui_html(openapi_url=request.app.openapi_url, title=title,
                               swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSETS}/favicon.png")


@router.get("/redoc", include_in_schema=False)
def redoc(request: Request) -> HTMLResponse:
    from fastapi.openapi.docs import get_redoc_html

    title = f"{request.app.title} - ReDoc"
    if assets_dir() is None:
        return _plain(title, request.app.openapi_url)
    return get_redoc_html(openapi_url=request.app.openapi_url, title=title,
                          redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                          redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False)
