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

__all__ = ["ScenarioArg", "abbreviate", "console", "emit", "err_console", "exit_on_error", "fit_tables",
           "fmt_value", "positions_tables", "write_output"]

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


# ------------------------------------------------------------------ tables that fit the terminal
def _cell_width(cell: str) -> int:
    from rich.cells import cell_len
    from rich.text import Text

    return max((cell_len(line) for line in Text.from_markup(cell).plain.split("\n")), default=0)


def abbreviate(name: str, width: int) -> str:
    """``name`` cut to at most ``width`` characters, at a word boundary where there is one
    (``status quo`` -> ``status``), without trailing separators."""
    if len(name) <= width:
        return name
    cut = name[:width]
    if " " in cut and name[width] != " ":
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" _.-") or name[:width]


def fit_tables(
    title: str,
    key_columns: list[str],
    value_columns: list[str],
    rows: list[list[str]],
    *,
    width: int,
    key_max: int = 22,
    legend_label: str = "columns",
) -> tuple[list[Any], list[str]]:
    """Rich tables of ``rows`` that fit ``width`` terminal columns, and the legend lines.

    The key columns (names, ids) come first; the first may wrap, the others wrap only at
    spaces. The value columns hold numbers and never wrap or get cut. When the table is too
    wide, in this order: the first key column narrows (down to 12 characters); value headers
    longer than their numbers are abbreviated (a legend line names each in full); the value
    columns are split over several tables, each repeating the key columns. Every number is
    always shown whole.

    Parameters
    ----------
    rows : list of list of str
        ``len(key_columns) + len(value_columns)`` cells each (rich markup allowed).
    width : int
        The terminal width (``console.width``).
    """
    from rich import box
    from rich.table import Table

    n_key = len(key_columns)
    cells_w = [max([_cell_width(r[j]) for r in rows] or [0]) for j in range(n_key + len(value_columns))]

    def total(ws: list[int]) -> int:  # no outer edge, one space of padding between columns
        return sum(ws) + 3 * len(ws) - 3

    key_w = [max(len(key_columns[0]), min(cells_w[0], key_max))]
    key0_want = key_w[0]
    for j in range(1, n_key):  # wrapped only at spaces: never inside a word or a number
        words = [len(w) for r in rows for w in r[j].split()]
        key_w.append(max(len(key_columns[j]), max(words or [0])))
    val_cells = cells_w[n_key:]
    headers = list(value_columns)
    val_w = [max(c, len(h)) for c, h in zip(val_cells, headers, strict=True)]
    floor = max(len(key_columns[0]), min(12, key_w[0]))
    while total(key_w + val_w) > width and key_w[0] > floor:
        key_w[0] -= 1
    legend: list[str] = []
    if total(key_w + val_w) > width:
        short = [abbreviate(h, max(8, c)) for h, c in zip(headers, val_cells, strict=True)]
        short_w = [max(c, len(h)) for c, h in zip(val_cells, short, strict=True)]
        # abbreviate only when that saves splitting the table; split tables keep full headers
        if (len(set(short)) == len(short) and short != headers
                and total(key_w + short_w) <= width):
            legend = [f"{legend_label}: " + ", ".join(
                f"{a} = {h}" for a, h in zip(short, headers, strict=True) if a != h)]
            headers = short
            val_w = [max(c, len(h)) for c, h in zip(val_cells, headers, strict=True)]
    while total(key_w + val_w[:1]) > width and key_w[0] > 4:
        key_w[0] -= 1
    groups: list[list[int]] = []
    cur: list[int] = []
    for j, w in enumerate(val_w):
        if cur and total(key_w + [val_w[i] for i in cur] + [w]) > width:
            groups.append(cur)
            cur = []
        cur.append(j)
    groups.append(cur)
    tables = []
    for g, group in enumerate(groups):
        cont = f" ({g + 1}/{len(groups)})" if len(groups) > 1 else ""
        t = Table(title=title + cont, title_justify="left", box=box.HEAVY_HEAD, show_edge=False,
                  pad_edge=False)
        # a part of a split table gives its names back the room the other parts take
        room = width - total([0, *key_w[1:], *[val_w[i] for i in group]])
        widths = [max(key_w[0], min(key0_want, room)), *key_w[1:]]
        for j, name in enumerate(key_columns):
            t.add_column(name, style="bold" if j == 0 else None, overflow="fold",
                         max_width=widths[j], min_width=widths[j] if j else None)
        for j in group:
            t.add_column(headers[j], justify="right", no_wrap=True, min_width=val_w[j])
        for r in rows:
            t.add_row(*r[:n_key], *[r[n_key + j] for j in group])
        tables.append(t)
    return tables, legend


def positions_tables(sc: Any, width: int) -> tuple[list[Any], list[str]]:
    """The positions and saliences of every actor on every issue (``position / salience``),
    with power and presence, as tables that fit ``width`` (see :func:`fit_tables`)."""
    cell = {(q.actor, q.issue): q for q in sc.positions}
    # long actor names would make tall rows: then the table shows ids, and a legend the names
    by_id = any(len(a.label) > 22 for a in sc.actors)
    rows = []
    for act in sc.actors:
        row = [escape(act.id if by_id else act.label), fmt_value(act.power),
               "yes" if act.present else ("absent, veto" if act.veto else "absent")]
        for iss in sc.issues:
            q = cell.get((act.id, iss.id))
            row.append("-" if q is None else f"{fmt_value(q.position)} / {fmt_value(q.salience)}")
        rows.append(row)
    # power and presence are short: keep them beside the actor in every part of a split table
    tables, legend = fit_tables("Where every actor stands (position / salience)",
                                ["actor", "power", "at table"], [i.id for i in sc.issues], rows,
                                width=width, legend_label="issues")
    if by_id:
        legend.append("actors: " + "; ".join(f"{a.id} = {a.label}" for a in sc.actors))
    return tables, legend
