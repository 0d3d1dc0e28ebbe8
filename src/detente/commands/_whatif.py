"""The what-if options (``--set``, ``--without``) shared by forecast, simulate, montecarlo and
report, and the tables that state the changes and the difference from the base."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .. import service
from ._common import fmt_value

__all__ = ["SetOpt", "WithoutOpt", "change_list", "change_table", "difference_table", "forecast_diff_tables"]

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="What-if: change an input, PATH=VALUE (repeatable), e.g. "
                               "russia.territory.position=60, ukraine.veto=false, "
                               "usa.threats[0].credibility=0.9 (paths: docs/cli.md#what-ifs)."),
]
WithoutOpt = Annotated[
    list[str] | None,
    typer.Option("--without", help="What-if: leave this actor out (repeatable)."),
]


def change_list(sets: list[str] | None, without: list[str] | None) -> list[str]:
    """The changes of the options, in order (``--set`` first, then ``--without``)."""
    return service.parse_changes(sets or [], without or [])


def change_table(changes: Any) -> Table:
    """The changes applied (path, before, after)."""
    t = Table(title="What-if: changes", title_justify="left")
    t.add_column("change", style="bold")
    t.add_column("before", justify="right")
    t.add_column("after", justify="right")
    for c in changes:
        d = c.to_dict()
        t.add_row(escape(d["path"] if d["after"] != "removed" else f"without {d['path']}"),
                  escape(_cell(d["before"])), escape(_cell(d["after"])))
    return t


def _cell(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return fmt_value(v)
    if isinstance(v, list):
        return ":".join(_cell(x) for x in v)
    return str(v)


def _delta(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    return ("+" if v > 0 else "") + fmt_value(v) if abs(v) > 1e-12 else "0"


def forecast_diff_tables(run: service.WhatIfRun) -> list[Table]:
    """Per model and issue: base -> changed (difference); then the deal checks."""
    df = run.to_frame()
    models = list(dict.fromkeys(df["model"]))
    t = Table(title="What-if: forecast, base -> changed (difference)", title_justify="left")
    t.add_column("issue", style="bold", overflow="fold")
    for m in models:
        t.add_column(m, justify="right", overflow="fold")
    for iid in dict.fromkeys(df["issue"]):
        cells = [escape(iid)]
        for m in models:
            r = df[(df["model"] == m) & (df["issue"] == iid)].iloc[0]
            cells.append(f"{fmt_value(r.base)} -> {fmt_value(r.changed)} ({_delta(r.difference)})")
        t.add_row(*cells)
    d = Table(title="What-if: is each forecast a deal? (red lines, walk-away values, threats)",
              title_justify="left")
    d.add_column("model", style="bold")
    d.add_column("base")
    d.add_column("changed")
    for r in run.deal_frame().itertuples(index=False):
        if r.model == "calibrated":
            d.add_row("deal probability", f"{r.base:.1%}", f"{r.changed:.1%}")
        else:
            d.add_row(r.model, "deal" if r.base else "no deal", "deal" if r.changed else "no deal")
    return [t, d]


def difference_table(diff: dict[str, Any], title: str) -> Table:
    """Headline numbers of a paired run (:func:`detente.service.paired_difference`)."""
    t = Table(title=title, title_justify="left")
    t.add_column("", style="bold")
    for c in ("base", "changed", "difference"):
        t.add_column(c, justify="right")
    for key, v in diff.items():
        pct = key.startswith(("deal_", "ended:"))

        def f(x: Any, pct: bool = pct) -> str:
            if x is None:
                return "-"
            return f"{100 * x:.1f}%" if pct else fmt_value(x)

        diff_txt = "-" if v["difference"] is None else (
            f"{100 * v['difference']:+.1f} pts" if pct else _delta(v["difference"]))
        t.add_row(escape(key.replace("_", " ").replace("mean:", "mean ").replace("ended:", "ended: ")),
                  f(v["base"]), f(v["changed"]), diff_txt)
    return t
