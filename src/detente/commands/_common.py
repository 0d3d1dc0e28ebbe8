"""Shared helpers for CLI commands: console, atomic output, error handling."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import DetenteError

__all__ = ["console", "err_console", "exit_on_error", "write_output"]

console = Console()
err_console = Console(stderr=True)


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
