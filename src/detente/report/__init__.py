"""Rendering: plots (matplotlib), tables and the self-contained HTML report.

Nothing here computes a forecast; it draws and lays out what the library computed.
matplotlib and Jinja2 are imported inside the functions that need them, so importing this
package costs nothing and a missing extra is reported as :class:`~detente.MissingExtraError`.
"""

from __future__ import annotations

__all__ = ["build_report"]


def build_report(*args, **kwargs):  # thin lazy re-export; see detente.report.html.build_report
    from .html import build_report as _build

    return _build(*args, **kwargs)


build_report.__doc__ = "See :func:`detente.report.html.build_report`."
