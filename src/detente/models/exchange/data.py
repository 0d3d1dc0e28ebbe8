"""The exchange model's input record (0..100 scale), its adapters from Decide data, arrays and
scenarios, and the record of a run (:class:`ExchangeRun`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from ...scenario.foreign import DecideData, DecideRow, decide_data_from_scenario, decide_number

if TYPE_CHECKING:
    from ...scenario.schema import Scenario

__all__ = ["ExchangeRun"]


@dataclass(slots=True)
class _Input:
    """Model input on the 0..100 scale: per issue, the actors in row order and their numbers."""

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    order: list[list[str]]
    sal: list[dict]
    pow: list[dict]
    pos0: list[dict]
    lower: list[Any]     # issue-scale lower bounds
    step: list[Any]      # 100 / (upper - lower), 0 for a point scale


def _input_from_decide(data: DecideData, exact: bool) -> _Input:
    num = (lambda d: d) if exact else float
    idx = {i: k for k, i in enumerate(data.issues)}
    m = len(data.issues)
    lower: list[Any] = [data.lower[i] for i in data.issues]
    step: list[Any] = []
    for i in data.issues:
        span = data.upper[i] - data.lower[i]
        step.append(Decimal(100) / span if span else Decimal(0))
    order: list[list[str]] = [[] for _ in range(m)]
    sal: list[dict] = [{} for _ in range(m)]
    pw: list[dict] = [{} for _ in range(m)]
    pos: list[dict] = [{} for _ in range(m)]
    for r in data.rows:
        k = idx[r.issue]
        order[k].append(r.actor)
        sal[k][r.actor] = num(r.salience)
        pw[k][r.actor] = num(r.power)
        x = (r.position - lower[k]) * step[k]
        pos[k][r.actor] = x if exact else (float(r.position) - float(lower[k])) * float(step[k])
    if not exact:
        lower = [float(v) for v in lower]
        step = [float(v) for v in step]
    return _Input(tuple(data.actors), tuple(data.issues), order, sal, pw, pos, lower, step)


def _input_from_arrays(position, salience, power, stake, scale_min, scale_max,
                       actors, issues) -> _Input:
    """Float input from (n_actors, n_issues) arrays; rows go in actor order on every issue."""
    n, m = stake.shape
    order: list[list[str]] = []
    sal: list[dict] = []
    pw: list[dict] = []
    pos: list[dict] = []
    step = [100.0 / (hi - lo) if hi != lo else 0.0 for lo, hi in zip(scale_min, scale_max, strict=True)]
    for k in range(m):
        who = [actors[a] for a in range(n) if stake[a, k]]
        order.append(who)
        sal.append({actors[a]: float(salience[a, k]) for a in range(n) if stake[a, k]})
        pw.append({actors[a]: float(power[a, k]) for a in range(n) if stake[a, k]})
        pos.append({actors[a]: (float(position[a, k]) - float(scale_min[k])) * step[k]
                    for a in range(n) if stake[a, k]})
    return _Input(tuple(actors), tuple(issues), order, sal, pw, pos,
                  [float(v) for v in scale_min], step)


def _input_from_scenario(scenario: Scenario) -> _Input:
    """Exact (Decimal) input of ``variant="decide"`` from a Scenario: its numbers via their
    shortest decimal text, as a Decide file written from it would hold them."""
    return _input_from_decide(decide_data_from_scenario(scenario), True)


def _decide_data_from_arrays(x, s, c, stake, lo, hi, actors, issues) -> DecideData:
    """One draw's (n_actors, n_issues) arrays as Decide data (numbers via their shortest text)."""
    d = decide_number
    rows = tuple(
        DecideRow(actors[a], issues[k], d(x[a, k]), d(s[a, k]), d(c[a, k]), a + 1)
        for k in range(len(issues)) for a in range(len(actors)) if stake[a, k]
    )
    return DecideData("<arrays>", actors, issues, {i: d(lo[k]) for k, i in enumerate(issues)},
                      {i: d(hi[k]) for k, i in enumerate(issues)}, rows)


def _arrays_from_input(inp: _Input):
    """(position 0..100, salience, power, stake) as (n_actors, n_issues) float arrays."""
    n, m = len(inp.actors), len(inp.issues)
    ai = {a: k for k, a in enumerate(inp.actors)}
    x, s, c = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m))
    stake = np.zeros((n, m), dtype=bool)
    for k in range(m):
        for a in inp.order[k]:
            i = ai[a]
            x[i, k], s[i, k], c[i, k] = float(inp.pos0[k][a]), float(inp.sal[k][a]), float(inp.pow[k][a])
            stake[i, k] = True
    return x, s, c, stake


def _raw(x: np.ndarray, lower: np.ndarray, step: np.ndarray) -> np.ndarray:
    """0..100 back to the issue scale (an exact 0 maps to the lower bound, as in the reference)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x / np.where(step != 0, step, 1.0) + lower
    return np.where((x == 0) | (step == 0), lower, out)


def _to_raw(inp: _Input, k: int, x) -> float:
    step = inp.step[k]
    if x == 0 or step == 0:  # the reference maps an exact 0 to the lower bound
        return float(inp.lower[k])
    return float(x / step + inp.lower[k])



@dataclass(frozen=True, slots=True)
class ExchangeRun:
    """Everything one run of the exchange model produced (floats; ``_scaled`` = 0..100 scale).

    Attributes
    ----------
    before, voting : (n_repetitions, n_rounds, n_issues)
        Outcome at the start of each round and of its voting positions (the round's forecast),
        on each issue's own scale; ``before_scaled``/``voting_scaled`` on 0..100.
    final : (n_repetitions, n_issues)
        Outcome of the positions after the last round's update (``final_scaled`` on 0..100).
    final_positions : (n_repetitions, n_actors, n_issues)
        Issue scale; NaN where the actor has no position.
    n_exchanges, tie_flips, near_ties : (n_repetitions, n_rounds) int
        Exchanges executed; tie coin flips drawn (decide variant); branches of the decide
        variant decided by rounding noise: two top gains that differ, but by at most a relative
        1e-9, or an outcome within 1e-9 (not exactly) of a partner's position in the overshoot
        test. There a float64 computation may take the other branch.
    exchanges : list of dict
        Executed exchanges in order (recorded repetitions only), 0..100 scale.
    """

    issues: tuple[str, ...]
    actors: tuple[str, ...]
    before: np.ndarray
    voting: np.ndarray
    before_scaled: np.ndarray
    voting_scaled: np.ndarray
    final: np.ndarray
    final_scaled: np.ndarray
    final_positions: np.ndarray
    n_exchanges: np.ndarray
    tie_flips: np.ndarray
    near_ties: np.ndarray
    exchanges: list

    @property
    def forecast(self) -> np.ndarray:
        """The model's forecast: last round's voting outcome, mean over repetitions."""
        return self.voting[:, -1, :].mean(axis=0)
