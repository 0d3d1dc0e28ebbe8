"""Result objects: frozen, read-only, with a tidy ``to_frame()``.

Every result carries the model name, the scenario name, the seed entropy used (None for a
deterministic computation) and the labels it needs to be read on its own.
"""

from __future__ import annotations

import dataclasses
import io
import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMULA_LEADS",
    "Columns",
    "Forecast",
    "Records",
    "Tables",
    "csv_cell",
    "frame_to_csv",
    "freeze_array",
    "json_ready",
    "wilson_interval",
]

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a CSV cell as a formula (OWASP CSV injection)."""


def csv_cell(value: Any) -> Any:
    """A text cell that cannot start a spreadsheet formula: ``=cmd|...`` -> ``'=cmd|...``.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (spreadsheets show the rest as written); anything else is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return "" if math.isnan(v) else float(v)  # the csv module writes repr(): shortest form
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, str):
        return csv_cell(v)
    return csv_cell(str(v))


def frame_to_csv(df: pd.DataFrame) -> str:
    """CSV text of a table, as every CSV export of detente writes it.

    Numbers in their shortest form that reads back to the same float (``3.67``, not
    ``3.6699999999999999``); text cells and column names neutralised with :func:`csv_cell`;
    a row with a carriage return inside a text cell has its text quoted (the csv module
    would leave it bare with ``\n`` line ends, and readers would split the row).
    """
    import csv

    buf = io.StringIO()
    plain = csv.writer(buf, lineterminator="\n")
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    plain.writerow([csv_cell(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        cells = [_csv_value(v) for v in row]
        if any(isinstance(c, str) and "\r" in c for c in cells):
            quoted.writerow(cells)
        else:
            plain.writerow(cells)
    return buf.getvalue()


OUTCOME_COLUMNS = ("model", "scenario", "draw", "issue", "outcome")
UTILITY_COLUMNS = ("model", "scenario", "draw", "actor", "utility")


def freeze_array(a: Any) -> np.ndarray:
    """A read-only copy of ``a`` as an ndarray."""
    arr = np.array(a, copy=True)
    arr.setflags(write=False)
    return arr


def _is_frame(v: Any) -> bool:
    """Whether ``v`` is a DataFrame, without importing pandas (if pandas was never imported,
    nothing can be one)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(v, pd.DataFrame)


def _rebuild(cls, kw):
    return cls(**kw)


class Columns:
    """A tidy table not built yet: column name -> 1-D array, all of one length.

    A model hands its extra tables to :class:`Forecast` in this form; the pandas DataFrame is
    built when a table is first read (``forecast.tables[name]``, ``to_frame(name)``), so a
    command that prints only the outcome never imports pandas (0.2 s).
    """

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = {k: freeze_array(np.asarray(v)) for k, v in data.items()}

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.data)

    def __reduce__(self):
        return (Columns, (self.data,))


class Records:
    """A tidy table not built yet, as row dicts: ``DataFrame(rows, columns=names)`` on first
    read (pandas infers each column's type, as it would have at once)."""

    __slots__ = ("names", "rows")

    def __init__(self, rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> None:
        self.rows = [dict(r) for r in rows]
        self.names = list(names)

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.names) if self.rows else pd.DataFrame(columns=self.names)

    def __reduce__(self):
        return (Records, (self.rows, self.names))


_DEFERRED = (Columns, Records)


class Tables(Mapping[str, "pd.DataFrame"]):
    """A forecast's extra tables, read-only: each a DataFrame, built from its :class:`Columns`
    or :class:`Records` on first look-up. Listing the names builds nothing."""

    __slots__ = ("_raw",)

    def __init__(self, tables: Mapping[str, Any] | None) -> None:
        raw: dict[str, Any] = {}
        for k, v in (tables or {}).items():
            raw[k] = v.copy() if _is_frame(v) else v
        self._raw = raw

    def __getitem__(self, name: str) -> pd.DataFrame:
        v = self._raw[name]
        if isinstance(v, _DEFERRED):
            v = self._raw[name] = v.frame()
        return v

    def columns(self, name: str) -> dict[str, np.ndarray]:
        """Table ``name`` as column arrays, without pandas when it has not been built yet."""
        v = self._raw[name]
        if isinstance(v, Columns):
            return dict(v.data)
        df = self[name]
        return {str(c): df[c].to_numpy() for c in df.columns}

    def raw(self) -> dict[str, Any]:
        """The tables as given (a :class:`Columns` or :class:`Records` until built): what
        pickling keeps."""
        return dict(self._raw)

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __repr__(self) -> str:
        return f"Tables({list(self._raw)})"


def _freeze_mapping(m: Mapping[str, Any] | None) -> Mapping[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (m or {}).items():
        if isinstance(v, np.ndarray):
            v = freeze_array(v)
        elif _is_frame(v):
            v = v.copy()
        out[k] = v
    return MappingProxyType(out)



def json_ready(v: Any) -> Any:
    """A JSON-ready copy: numpy scalars and arrays to Python, NaN/inf to None, mappings to dicts
    with string keys, DataFrames dropped (None). Shared by every ``summary()`` and the API."""
    if isinstance(v, np.ndarray):
        return [json_ready(x) for x in v.tolist()] if v.ndim else json_ready(v.item())
    if isinstance(v, (list, tuple)):
        return [json_ready(x) for x in v]
    if _is_frame(v):
        return None
    if isinstance(v, Mapping) or hasattr(v, "items"):
        return {str(k): json_ready(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    return v


def wilson_interval(k: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (sensible also at 0 or n successes).

    NaN for ``n <= 0``. At ``k = 0`` (``k = n``) the lower (upper) end is exactly 0 (1), not
    rounding noise. Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22(158), 209-212. doi:10.1080/01621459.1927.10502953
    """
    if n <= 0:
        return (math.nan, math.nan)
    # the standard library's normal quantile (Wichura's AS241, ~1e-16): no scipy import, which
    # would cost a one-negotiation command ~0.1 s
    z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if p == 0.0 else max(0.0, centre - half)
    hi = 1.0 if p == 1.0 else min(1.0, centre + half)
    return lo, hi

@dataclass(frozen=True, slots=True)
class Forecast:
    """Where a model says a negotiation lands.

    Attributes
    ----------
    model, scenario : str
        Registry name of the model; name of the scenario.
    issues, actors : tuple of str
        Issue and actor ids, in array order.
    outcome : ndarray, (n_issues,) or (n_draws, n_issues)
        The forecast on each issue's own scale; NaN where the model has no answer (e.g. no
        zone of agreement for Nash bargaining, see ``diagnostics``).
    utilities : ndarray or None, (n_actors,) or (n_draws, n_actors)
        Each actor's utility of the outcome, where the model defines one.
    params : mapping
        The model's parameters as used.
    diagnostics : mapping
        Model-specific arrays and flags (ties, feasibility, iterations ...).
    notes : tuple of str
        Normalisations or conversions the model applied, reported rather than hidden.
    seed_entropy : int or None
        The entropy of the SeedSequence used, or None when no randomness was involved.
    tables : mapping of str to DataFrame
        Extra tidy tables (``rounds``, ``moves``, ...), reachable by ``to_frame(table)``. A
        model may pass a table as :class:`Columns` or :class:`Records`; it becomes a DataFrame
        when first read.
    """

    model: str
    scenario: str
    issues: tuple[str, ...]
    actors: tuple[str, ...]
    outcome: np.ndarray
    utilities: np.ndarray | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    seed_entropy: int | None = None
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "issues", tuple(self.issues))
        object.__setattr__(self, "actors", tuple(self.actors))
        object.__setattr__(self, "outcome", freeze_array(np.asarray(self.outcome, dtype=float)))
        if self.utilities is not None:
            object.__setattr__(self, "utilities", freeze_array(np.asarray(self.utilities, dtype=float)))
        object.__setattr__(self, "params", _freeze_mapping(self.params))
        object.__setattr__(self, "diagnostics", _freeze_mapping(self.diagnostics))
        object.__setattr__(self, "tables", Tables(self.tables.raw() if isinstance(self.tables, Tables)
                                                  else self.tables))
        object.__setattr__(self, "notes", tuple(self.notes))
        if self.outcome.shape[-1:] != (len(self.issues),):
            raise ValueError(
                f"outcome has shape {self.outcome.shape}; its last axis must be n_issues={len(self.issues)}"
            )

    def __reduce__(self):  # mappingproxy cannot be pickled; rebuild from plain dicts
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for k in ("params", "diagnostics"):
            kw[k] = dict(kw[k])
        kw["tables"] = self.tables.raw()
        return (_rebuild, (type(self), kw))

    @classmethod
    def build(cls, model: Any, scenario: Any, outcome: np.ndarray, **kw: Any) -> Forecast:
        """Build a Forecast from a model instance and a Scenario (labels taken from both)."""
        params = kw.pop("params", None)
        if params is None and dataclasses.is_dataclass(model):
            params = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
        return cls(
            model=model.name,
            scenario=scenario.name,
            issues=scenario.issue_ids,
            actors=scenario.actor_ids,
            outcome=outcome,
            params=params or {},
            **kw,
        )

    @property
    def batched(self) -> bool:
        return self.outcome.ndim > 1

    def outcome_for(self, issue: str) -> float | np.ndarray:
        """The outcome on one issue (a float, or an array over draws)."""
        k = self.issues.index(issue)
        v = self.outcome[..., k]
        return float(v) if v.ndim == 0 else v

    def columns(self, table: str = "outcome") -> dict[str, np.ndarray]:
        """Table ``table`` as column name -> 1-D array: what :meth:`to_frame` gives, without
        building a DataFrame (or importing pandas) for the outcome, the utilities and any table
        not read yet."""
        if table in ("outcome", "utilities"):
            values = self.outcome if table == "outcome" else self.utilities
            names = self.issues if table == "outcome" else self.actors
            cols = OUTCOME_COLUMNS if table == "outcome" else UTILITY_COLUMNS
            if values is None:
                return {c: np.empty(0, dtype=object) for c in cols}
            v = np.atleast_2d(values).reshape(-1, len(names))
            n = v.shape[0]
            return {
                cols[0]: np.full(n * len(names), self.model, dtype=object),
                cols[1]: np.full(n * len(names), self.scenario, dtype=object),
                cols[2]: np.repeat(np.arange(n), len(names)),
                cols[3]: np.tile(np.array(names, dtype=object), n),
                cols[4]: v.ravel(),
            }
        if table in self.tables:
            return self.tables.columns(table)  # type: ignore[attr-defined]
        valid = ["outcome", "utilities", *self.tables]
        raise KeyError(f"unknown table {table!r}; this forecast has: {', '.join(valid)}")

    def to_frame(self, table: str = "outcome") -> pd.DataFrame:
        """Tidy table.

        Parameters
        ----------
        table : str
            ``"outcome"`` (default): columns ``model, scenario, draw, issue, outcome``, one row
            per draw x issue (draw 0 when unbatched). ``"utilities"``: ``model, scenario, draw,
            actor, utility``. Any name in :attr:`tables` returns that table.
        """
        import pandas as pd

        if table == "utilities" and self.utilities is None:
            return pd.DataFrame(columns=list(UTILITY_COLUMNS))
        if table in ("outcome", "utilities"):
            return pd.DataFrame(self.columns(table))
        if table in self.tables:
            return self.tables[table].copy()
        valid = ["outcome", "utilities", *self.tables]
        raise KeyError(f"unknown table {table!r}; this forecast has: {', '.join(valid)}")

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dict (full precision) for the CLI and API."""


        return {
            "model": self.model,
            "scenario": self.scenario,
            "issues": list(self.issues),
            "actors": list(self.actors),
            "outcome": json_ready(self.outcome),
            "utilities": json_ready(self.utilities),
            "params": json_ready(dict(self.params)),
            "diagnostics": json_ready(dict(self.diagnostics)),
            "notes": list(self.notes),
            "seed_entropy": self.seed_entropy,
            "tables": sorted(self.tables),
        }
