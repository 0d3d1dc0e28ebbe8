"""Rendering: plots (matplotlib), tables and the self-contained HTML report.

Nothing here computes a forecast; it draws and lays out what the library computed. The
application layer builds a whole report (:func:`detente.service.build_report`: it runs the
models and the optional analyses, then calls :func:`render_report`). matplotlib and Jinja2 are
imported inside the functions that need them, so importing this package costs nothing and a
missing extra is reported as :class:`~detente.MissingExtraError`.
"""

from __future__ import annotations

__all__ = ["render_report"]


def render_report(*args, **kwargs):  # thin lazy re-export; see detente.report.html.render_report
    from .html import render_report as _render

    return _render(*args, **kwargs)


render_report.__doc__ = "See :func:`detente.report.html.render_report`."
