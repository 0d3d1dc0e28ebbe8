"""The expected-utility model's tables: ``rounds``, ``moves`` and ``risk`` from a recorded path."""

from __future__ import annotations

import numpy as np

from ...results import Columns
from .reference import MOVE_TYPES, Trajectory


def _tables(a, path: Trajectory, take_part: np.ndarray, x0: np.ndarray) -> dict[str, Columns]:
    """Tidy ``rounds``, ``moves`` and ``risk`` tables from a recorded path.

    Label columns are built as integer codes into the issue, actor and move-type names and
    turned into names once per column (a ``take``), numbers with numpy. The tables are column
    arrays: :class:`~detente.results.Forecast` builds each DataFrame when it is first read, so
    a forecast that never shows them does not import pandas.
    """
    # recorded paths only (record=True); asarray keeps type checkers content

    security, risk_index, risk, move_type, move_with, eu_own, eu_other = (
        np.asarray(v) for v in (path.security, path.risk_index, path.risk, path.move_type,
                                path.move_with, path.eu_own, path.eu_other)
    )
    position, median, mean = path.position, path.median, path.mean
    rounds_cols = ("issue", "round", "actor", "position", "median", "mean")
    move_cols = ("issue", "round", "actor", "type", "counterpart", "eu_own", "eu_other",
                 "old_position", "new_position")
    risk_cols = ("issue", "round", "actor", "security", "R_i", "r_i")
    rounds_parts: dict[str, list] = {k: [] for k in rounds_cols}
    move_parts: dict[str, list] = {k: [] for k in move_cols}
    risk_parts: dict[str, list] = {k: [] for k in risk_cols}
    for k in range(len(a.issues)):
        part = np.flatnonzero(take_part[:, k])
        rr = int(path.rounds_run[k])
        na = len(part)
        pos = position[k, : rr + 1][:, part]  # (rr + 1, na)
        rounds_parts["issue"].append(np.full((rr + 1) * na, k))
        rounds_parts["round"].append(np.repeat(np.arange(rr + 1), na))
        rounds_parts["actor"].append(np.tile(part, rr + 1))
        rounds_parts["position"].append(pos.ravel())
        rounds_parts["median"].append(np.repeat(median[k, : rr + 1], na))
        rounds_parts["mean"].append(np.repeat(mean[k, : rr + 1], na))
        risk_parts["issue"].append(np.full(rr * na, k))
        risk_parts["round"].append(np.repeat(np.arange(1, rr + 1), na))
        risk_parts["actor"].append(np.tile(part, rr))
        risk_parts["security"].append(security[k, :rr][:, part].ravel())
        risk_parts["R_i"].append(risk_index[k, :rr][:, part].ravel())
        risk_parts["r_i"].append(risk[k, :rr][:, part].ravel())
        mt = move_type[k, :rr]
        rnd, who = np.nonzero(mt)
        move_parts["issue"].append(np.full(len(rnd), k))
        move_parts["round"].append(rnd + 1)
        move_parts["actor"].append(who)
        move_parts["type"].append(mt[rnd, who])
        move_parts["counterpart"].append(move_with[k][rnd, who])
        move_parts["eu_own"].append(eu_own[k][rnd, who])
        move_parts["eu_other"].append(eu_other[k][rnd, who])
        move_parts["old_position"].append(position[k][rnd, who])
        move_parts["new_position"].append(position[k][rnd + 1, who])

    names = {"issue": a.issues, "actor": a.actors, "counterpart": a.actors, "type": MOVE_TYPES}

    def frame(parts: dict[str, list]) -> Columns:
        data = {}
        for name, chunks in parts.items():
            v = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
            if name in names:
                v = np.asarray(names[name], dtype=object).take(v)
            elif name == "round":
                v = v.astype(np.int64, copy=False)
            else:
                v = v.astype(float, copy=False)
            data[name] = v
        return Columns(data)

    return {"rounds": frame(rounds_parts), "moves": frame(move_parts), "risk": frame(risk_parts)}
