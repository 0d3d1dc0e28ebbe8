"""The exchange model's tables: ``rounds``, ``exchanges`` and ``positions`` from a run."""

from __future__ import annotations

import numpy as np

from ...results import Columns, Records
from .data import ExchangeRun


def _tables(run: ExchangeRun) -> dict[str, Columns | Records]:
    """The tables as column arrays: :class:`~detente.results.Forecast` builds each DataFrame
    when it is first read, so a forecast that never shows them does not import pandas."""
    reps, rounds, m = run.voting.shape
    r_idx, t_idx, k_idx = np.meshgrid(np.arange(reps), np.arange(rounds), np.arange(m), indexing="ij")
    rounds_df = Columns({
        "repetition": r_idx.ravel(),
        "round": t_idx.ravel(),
        "issue": np.array(run.issues, dtype=object)[k_idx.ravel()],
        "outcome_before": run.before.ravel(),
        "outcome_after": run.voting.ravel(),
        "outcome_before_scaled": run.before_scaled.ravel(),
        "outcome_after_scaled": run.voting_scaled.ravel(),
        "n_exchanges": np.repeat(run.n_exchanges.ravel(), m),
    })
    ex_cols = ["repetition", "round", "order", "group", "gain", "actor_i", "actor_j", "supply_i",
               "supply_j", "x_supply_i", "x_supply_j", "move_i", "move_j", "y_i", "y_j",
               "d_outcome_i", "d_outcome_j", "eu_i", "eu_j", "eu_max_i", "eu_max_j", "u", "v", "z"]
    ex_df = Records(run.exchanges, ex_cols)
    n = len(run.actors)
    rr, aa, kk = np.meshgrid(np.arange(reps), np.arange(n), np.arange(m), indexing="ij")
    fp = run.final_positions.ravel()
    keep = np.isfinite(fp)
    pos_df = Columns({
        "repetition": rr.ravel()[keep],
        "actor": np.array(run.actors, dtype=object)[aa.ravel()[keep]],
        "issue": np.array(run.issues, dtype=object)[kk.ravel()[keep]],
        "position": fp[keep],
    })
    return {"rounds": rounds_df, "exchanges": ex_df, "positions": pos_df}

