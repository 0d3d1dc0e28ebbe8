"""Tables for reports and the web page: tidy DataFrames built from results, and HTML rendering.

The ``*_frame`` functions only rearrange what the library computed; :func:`html_table` renders
any DataFrame as an escaped HTML table. Nothing here needs Jinja2 or matplotlib.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "citations",
    "fmt_number",
    "forecast_frame",
    "html_table",
    "positions_frame",
    "reference",
    "zone_frame",
]


def fmt_number(v: Any, digits: int = 2) -> str:
    """A short human form of a number: ``-`` for None/NaN, trailing zeros dropped."""
    if v is None:
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, Number):
        f = float(v)  # type: ignore[arg-type]  # every Number here is real
        if math.isnan(f):
            return "-"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        if abs(f) >= 1e6 or (f != 0 and abs(f) < 10 ** -digits):
            return f"{f:.{max(digits, 2)}g}"
        s = f"{f:.{digits}f}"
        return s.rstrip("0").rstrip(".") if "." in s else s
    return str(v)


def _point(outcome: np.ndarray, k: int) -> float:
    """An unbatched forecast's value on issue k, or the median over draws of a batched one."""
    v = np.asarray(outcome, dtype=float)[..., k].ravel()
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else math.nan


def forecast_frame(scenario, forecasts: Iterable[Any]) -> pd.DataFrame:
    """Issues as rows, each model's forecast as a column.

    Columns: ``issue, name, scale_min, scale_max, status_quo``, one column per model (named
    after it; NaN where the model has no answer), and ``real_outcome`` (NaN when the scenario
    records none).
    """
    forecasts = list(forecasts)
    real = {o.issue: o.value for o in scenario.outcome.issues} if scenario.outcome else {}
    rows = []
    for k, iss in enumerate(scenario.issues):
        row: dict[str, Any] = {
            "issue": iss.id,
            "name": iss.label,
            "scale_min": iss.scale.min,
            "scale_max": iss.scale.max,
            "status_quo": math.nan if iss.status_quo is None else iss.status_quo,
        }
        for f in forecasts:
            row[f.model] = _point(f.outcome, k)
        row["real_outcome"] = real.get(iss.id, math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def positions_frame(scenario) -> pd.DataFrame:
    """One row per actor: ``actor, name, power, at_table`` and ``position / salience`` per issue."""
    cell = {(p.actor, p.issue): p for p in scenario.positions}
    rows = []
    for act in scenario.actors:
        row: dict[str, Any] = {
            "actor": act.id,
            "name": act.label,
            "power": act.power,
            "at_table": "yes" if act.present else ("absent, veto" if act.veto else "absent"),
        }
        for iss in scenario.issues:
            p = cell.get((act.id, iss.id))
            row[iss.id] = "-" if p is None else f"{fmt_number(p.position)} / {fmt_number(p.salience)}"
        rows.append(row)
    return pd.DataFrame(rows)


def zone_frame(zone) -> pd.DataFrame:
    """The zone of agreement per issue: ``issue, zone, set_by``.

    ``zone`` is ``[low, high]`` or ``empty: impasse (...)`` naming the clashing red lines;
    ``set_by`` names the actors whose red lines set the bounds.
    """
    rows = []
    for k, iid in enumerate(zone.issues):
        who = [w for w in (zone.binding_low[k], zone.binding_high[k]) if w]
        rows.append({
            "issue": iid,
            "zone": zone.describe(iid),
            "set_by": ", ".join(dict.fromkeys(who)) if not zone.empty[k] else "",
        })
    return pd.DataFrame(rows, columns=["issue", "zone", "set_by"])


def reference(model: str) -> str:
    """The full citation of a registered model ("" for another name)."""
    from ..models.registry import MODELS

    return MODELS[model].reference if model in MODELS else ""


def citations(models: Sequence[str]) -> list[tuple[str, str]]:
    """``(model name, full reference)`` for each registered model name, in the order given."""
    from ..models.registry import MODELS

    return [(m, MODELS[m].reference) for m in dict.fromkeys(models) if m in MODELS]


def html_table(
    df: pd.DataFrame,
    *,
    digits: int = 2,
    caption: str = "",
    max_rows: int | None = None,
    css_class: str = "data",
    number_columns: Sequence[str] | None = None,
) -> str:
    """An escaped HTML ``<table>`` of a DataFrame (numbers right-aligned and shortened).

    Parameters
    ----------
    df : DataFrame
    digits : int
        Decimals shown for floats (full precision stays in the JSON/CSV outputs).
    caption : str
    max_rows : int, optional
        Show the first ``max_rows`` rows and say how many were left out.
    css_class : str
    number_columns : sequence of str, optional
        Columns to right-align (default: the numeric ones).
    """
    shown = df if max_rows is None else df.head(max_rows)
    numeric = set(number_columns) if number_columns is not None else {
        c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    }
    esc = html.escape
    out = [f'<table class="{esc(css_class)}">']
    if caption or (max_rows is not None and len(df) > max_rows):
        cap = caption
        if max_rows is not None and len(df) > max_rows:
            cap = f"{cap} (first {max_rows} of {len(df)} rows)".strip()
        out.append(f"<caption>{esc(cap)}</caption>")
    out.append("<thead><tr>")
    for c in shown.columns:
        cls = ' class="num"' if c in numeric else ""
        out.append(f"<th{cls}>{esc(str(c))}</th>")
    out.append("</tr></thead><tbody>")
    for row in shown.itertuples(index=False):
        out.append("<tr>")
        for c, v in zip(shown.columns, row, strict=True):
            cls = ' class="num"' if c in numeric else ""
            out.append(f"<td{cls}>{esc(fmt_number(v, digits))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)
