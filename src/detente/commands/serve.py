"""``detente serve``: the REST API and web page on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import console, exit_on_error

__all__ = ["register", "serve_cmd"]


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Interface to bind (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=0, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the web page at / with uvicorn.

    Limits come from DETENTE_API_* environment variables (see docs/api.md), e.g.
    DETENTE_API_MAX_JOBS=4 or DETENTE_API_CORS_ORIGINS=https://example.org.
    """
    with exit_on_error():
        try:
            import uvicorn
        except ImportError:
            from ..errors import MissingExtraError

            raise MissingExtraError("uvicorn", "web") from None
        from ..api.app import ApiConfig, create_app

        cfg = ApiConfig.from_env()
        if host not in ("127.0.0.1", "localhost", "::1"):
            console.print(f"[yellow]note:[/] serving on {host}: reachable from other machines", highlight=False)
        uvicorn.run(create_app(cfg), host=host, port=port, log_level=log_level)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command("serve")(serve_cmd)
