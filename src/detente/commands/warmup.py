"""``detente warmup``: compile every numba kernel now; and the stderr note when a compile starts."""

from __future__ import annotations

import json
import warnings
from typing import Annotated, Any

import typer
from rich.markup import escape

from .. import service
from ..backends import CompileNotice
from ._common import console, err_console, exit_on_error, fmt_value

__all__ = ["show_compile_notices", "warmup_cmd"]


def show_compile_notices() -> None:
    """Print each :class:`~detente.backends.CompileNotice` as one ``note:`` line on stderr, at
    the moment it is issued (before the compile it announces); other warnings as before."""
    original = warnings.showwarning
    if getattr(original, "_detente_notices", False):
        return

    def show(message: Any, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if issubclass(category, CompileNotice):
            err_console.print(f"[yellow]note:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
        else:
            original(message, category, filename, lineno, file, line)

    show._detente_notices = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def warmup_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Compile every numba kernel now (once per machine; 20-60 s), so that no later command
    waits on a compile."""
    with exit_on_error():
        def progress(label: str, before: bool) -> None:
            if fmt != "json":
                state = "loading from the cache" if before else "compiling"
                err_console.print(f"{label}: {state} ...", highlight=False)

        r = service.warmup(progress=progress)
        if fmt == "json":
            typer.echo(json.dumps(r.summary(), indent=2))
            return
        if not r.numba:
            console.print("numba is not installed (extra 'fast'): nothing to compile; the numpy "
                          "engines run", highlight=False)
            return
        for label, before, secs, marked in zip(r.engines, r.compiled_before, r.seconds, r.marked, strict=True):
            what = "already compiled, loaded" if before else "compiled"
            note = "" if marked else " (cache folder not writable: no compile marker written)"
            console.print(f"{label}: {what} in {fmt_value(secs, 1)} s{note}", highlight=False)
        console.print(f"warmup took {fmt_value(r.total_seconds, 1)} s", highlight=False)
