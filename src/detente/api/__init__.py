"""The REST API and web page (``web`` extra): :func:`detente.api.app.create_app`.

FastAPI is imported only when an app is created, so ``import detente.api`` is cheap.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(config=None):
    """See :func:`detente.api.app.create_app`."""
    from .app import create_app as _create

    return _create(config)
