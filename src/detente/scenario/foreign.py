"""Terms of the foreign tools detente reads and reproduces, shared by their readers and writers
(:mod:`detente.io`) and the models that reproduce the tools (:mod:`detente.models`).

Neither side imports the other (``io`` returns data, never models; ``models`` never read
files), so what both need lives here, one layer below them:

* Decide (``decide-exchange-model``): :class:`DecideRow` and :class:`DecideData`, a data set
  with its exact decimal numbers (what :func:`detente.io.decide.read_decide` returns and the
  exchange model's ``variant="decide"`` runs on), and :func:`decide_data_from_scenario`
  (a Scenario in those terms, numbers via their shortest decimal text);
* KTAB's SMP: the option vocabulary of its XML ``<ModelParameters>`` (:data:`XML_OPTION_FIELDS`,
  :data:`OPTION_VALUES`) and :func:`ktab_inputs`, a scenario's arrays on KTAB's unit scales
  (what the ``ktab_smp`` model runs on and what the KTAB writers scale to [0, 100]).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .schema import Scenario

__all__ = [
    "OPTION_VALUES",
    "XML_OPTION_FIELDS",
    "DecideData",
    "DecideRow",
    "decide_data_from_scenario",
    "decide_number",
    "ktab_inputs",
]


# ---------------------------------------------------------------- Decide
@dataclass(frozen=True, slots=True)
class DecideRow:
    """One ``#D`` record: numbers exactly as written (Decimals), plus its line number."""

    actor: str
    issue: str
    position: Decimal
    salience: Decimal
    power: Decimal
    line: int
    comment: str = ""


@dataclass(frozen=True, slots=True)
class DecideData:
    """A Decide data set, in file order, with exact decimal numbers.

    Attributes
    ----------
    actors, issues : tuple of str
        Ids in the order of their ``#A`` / ``#P`` records.
    actor_names, issue_names : dict
        Full names / descriptions by id.
    lower, upper : dict of str -> Decimal
        Each issue's scale bounds (smallest and largest ``#M`` position; 0 and 100 without).
    rows : tuple of DecideRow
        The ``#D`` records in file order (sums over actors follow this order).
    """

    source: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    lower: dict[str, Decimal]
    upper: dict[str, Decimal]
    rows: tuple[DecideRow, ...]
    actor_names: dict[str, str] = field(default_factory=dict)
    issue_names: dict[str, str] = field(default_factory=dict)
    description: str = ""


def decide_number(x: float) -> Decimal:
    """A float as the Decimal of its shortest text (``repr``): what a Decide file would say."""
    return Decimal(repr(float(x)))


def decide_data_from_scenario(scenario: Scenario) -> DecideData:
    """A Scenario as Decide data (numbers via their shortest decimal text)."""
    power = {a.id: decide_number(a.power) for a in scenario.actors}
    rows = tuple(
        DecideRow(p.actor, p.issue, decide_number(p.position), decide_number(p.salience), power[p.actor], k + 1)
        for k, p in enumerate(scenario.positions)
    )
    return DecideData(
        source=scenario.name,
        actors=scenario.actor_ids,
        issues=scenario.issue_ids,
        lower={i.id: decide_number(i.scale.min) for i in scenario.issues},
        upper={i.id: decide_number(i.scale.max) for i in scenario.issues},
        rows=rows,
        actor_names={a.id: a.name or a.id for a in scenario.actors},
        issue_names={i.id: i.name or i.id for i in scenario.issues},
        description=scenario.title,
    )


# ---------------------------------------------------------------- KTAB's SMP
VICTORY_PROB_MODELS = ("Linear", "Square", "Quartic", "Octic", "Binary")
PCE_MODELS = ("Conditional", "MarkovIncentive", "MarkovUniform")
STATE_TRANSITIONS = ("Deterministic", "Stochastic")
VOTING_RULES = ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp")
BIG_R_ADJUST = ("None", "OneThird", "Half", "TwoThirds", "Full")
BIG_R_RANGE = ("Min", "Mid", "Max")
THIRD_PARTY_COMMIT = ("NoCommit", "SemiCommit", "FullCommit")
INTER_VEC_BRGN = ("S1P1", "S2P2", "S2PMax")
BARGN_MODEL = ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")

#: the XML <ModelParameters> element names, in KTAB's order, and the matching fields
XML_OPTION_FIELDS = {
    "VictoryProbModel": "victory_prob_model",
    "PCEModel": "pce_model",
    "StateTransitions": "state_transitions",
    "VotingRule": "voting_rule",
    "BigRAdjust": "big_r_adjust",
    "BigRRange": "big_r_range",
    "ThirdPartyCommit": "third_party_commit",
    "InterVecBrgn": "inter_vec_brgn",
    "BargnModel": "bargn_model",
}
OPTION_VALUES = {
    "victory_prob_model": VICTORY_PROB_MODELS,
    "pce_model": PCE_MODELS,
    "state_transitions": STATE_TRANSITIONS,
    "voting_rule": VOTING_RULES,
    "big_r_adjust": BIG_R_ADJUST,
    "big_r_range": BIG_R_RANGE,
    "third_party_commit": THIRD_PARTY_COMMIT,
    "inter_vec_brgn": INTER_VEC_BRGN,
    "bargn_model": BARGN_MODEL,
}



def ktab_inputs(arrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """A scenario's arrays in KTAB's terms.

    Positions are mapped linearly from each issue's scale onto [0, 1]; an actor with no stake
    on an issue sits at the scale midpoint with salience 0 there. KTAB needs each actor's
    saliences to sum to at most 1 over the dimensions: where some actor's sum exceeds 1, every
    salience of that scenario (variant) is divided by the largest sum, which keeps the relative
    saliences of all actors.

    Parameters
    ----------
    arrays : ScenarioArrays, position/salience (..., N, D), power (..., N)

    Returns
    -------
    position (..., N, D), salience (..., N, D), capability (..., N) and notes on what was done.
    """
    width = arrays.scale_max - arrays.scale_min
    x = (arrays.filled_position() - arrays.scale_min) / width
    s = np.where(arrays.stake, arrays.salience, 0.0)
    cap = np.asarray(arrays.power, dtype=float)
    notes = []
    if not np.all((arrays.scale_min == 0.0) & (arrays.scale_max == 100.0)):
        notes.append("issue scales are mapped linearly onto KTAB's [0, 1] ((x - min)/(max - min)) "
                     "and results back; bargains are rounded to 1e-4 of each scale's width")
    if not arrays.stake.all():
        notes.append("an actor without a position on an issue sits at the scale midpoint with "
                     "salience 0 there (KTAB needs every position)")
    total = s.sum(axis=-1)
    top = total.max(axis=-1, keepdims=True)
    over = top > 1.0 + 1e-9
    if np.any(over):
        s = np.where(over[..., None], s / np.where(over, top, 1.0)[..., None], s)
        f = float(np.max(top))
        notes.append(f"saliences divided by the largest actor total ({f:g}) so that every actor's "
                     "saliences sum to at most 1 over the issues, as KTAB requires")
    return x, s, cap, notes
