"""Shared helpers for CLI commands: console, atomic output, error handling, number format."""

from __future__ import annotations

import contextlib
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import DetenteError

__all__ = [
    "SafeConsole",
    "ScenarioArg",
    "console",
    "echo",
    "emit",
    "err_console",
    "exit_on_error",
    "fmt_value",
    "terminal_safe",
    "write_output",
]

# C0 controls but newline and tab, DEL, and C1 controls (0x9b is a one-byte CSI on many terminals)
_CONTROL = {c: 0x2400 + c for c in (*range(0x00, 0x09), *range(0x0B, 0x20))}
_CONTROL.update({0x7F: 0x2421})
_CONTROL.update({c: 0xFFFD for c in range(0x80, 0xA0)})


def terminal_safe(text: str) -> str:
    """``text`` with every control character shown as a visible symbol (ESC -> U+241B).

    Names, titles and messages come from users' files; an escape sequence in them
    (``\x1b]0;...\x07`` retitles the window, ``\x1b[2J`` clears the screen) must be seen,
    never executed by the terminal.
    """
    return text.translate(_CONTROL)


class SafeConsole(Console):
    """A rich Console whose text segments cannot carry terminal control characters.

    Rich's own styling (colours, bold) is added after this, so it still works; only the
    characters inside the text are made visible (:func:`terminal_safe`).
    """

    def _render_buffer(self, buffer):  # the one place every segment passes through
        return super()._render_buffer(
            seg if seg.control else seg._replace(text=terminal_safe(seg.text)) for seg in buffer
        )


console = SafeConsole()
err_console = SafeConsole(stderr=True)


def echo(text: str, *, nl: bool = True) -> None:
    """``typer.echo`` for machine-readable output (JSON, CSV): unchanged when piped or
    redirected, control characters made visible when it goes to a terminal."""
    if sys.stdout.isatty():
        text = terminal_safe(text)
    typer.echo(text, nl=nl)

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
        echo(text.rstrip("\n"))


def write_output(content: str | bytes, path: str | Path) -> None:
    """Write ``content`` to ``path`` atomically, with the user's umask (or the existing file's
    mode); a symbolic link is refused, not replaced (see :func:`detente.service.write_atomic`)."""
    from ..service import write_atomic  # lazy: the shell imports what a command needs

    write_atomic(path, content)


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
