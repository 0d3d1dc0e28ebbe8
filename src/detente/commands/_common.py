"""Shared helpers for CLI commands: console, atomic output, error handling, number format."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import DetenteError

__all__ = ["ScenarioArg", "console", "emit", "err_console", "exit_on_error", "fmt_value", "write_output"]

console = Console()
err_console = Console(stderr=True)

ScenarioArg = Annotated[
    str,
    typer.Argument(help="A built-in scenario name (see `detente scenarios`) or a YAML/JSON/CSV file."),
]


def fmt_value(v: Any, digits: int = 2) -> str:
    """A number for a table: ``-`` for None/NaN, trailing zeros dropped, 4 significant
    digits from a million on."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:.4g}"


def emit(text: str, output: str | Path | None) -> None:
    """Print ``text``, or write it (with a final newline) to ``output`` atomically."""
    if output:
        write_output(text if text.endswith("\n") else text + "\n", output)
    else:
        typer.echo(text.rstrip("\n"))


def write_output(content: str | bytes, path: str | Path) -> None:
    """Write ``content`` to ``path`` atomically: a temporary file in the same folder, then a
    rename, so an interrupted write never leaves a half-written file or truncates an old one."""
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise DetenteError(f"{p}: the folder {folder} does not exist")
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def exit_on_error():
    """Turn a DetenteError into one readable line on stderr and exit code 2 (no traceback)."""
    try:
        yield
    except DetenteError as e:
        name = type(e).__name__
        err_console.print(f"[bold red]{name}[/]: {escape(str(e))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except OSError as e:
        err_console.print(f"[bold red]error[/]: {escape(str(e))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        sys.exit(130)
