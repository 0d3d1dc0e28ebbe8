"""KTAB's Spatial Model of Politics (SMP), reproduced from KAPSARC's ``smpc``.

The equations, defaults and references are documented once, in :mod:`.reference` (the
readable implementation) and docs/models/ktab_smp.md; the model class is in :mod:`.model`.
"""

from __future__ import annotations

from ...scenario.foreign import (
    BARGN_MODEL,
    BIG_R_ADJUST,
    BIG_R_RANGE,
    INTER_VEC_BRGN,
    OPTION_VALUES,
    PCE_MODELS,
    STATE_TRANSITIONS,
    THIRD_PARTY_COMMIT,
    VICTORY_PROB_MODELS,
    VOTING_RULES,
    XML_OPTION_FIELDS,
    ktab_inputs,
)
from .model import KtabSMP
from .reference import (
    BARGAIN_FLOOR,
    BINARY_VOTE_SCALE,
    CHALLENGE_FLOOR,
    MARKOV_INCENTIVE_TOL,
    MARKOV_MAX_ITER,
    MARKOV_UNIFORM_TOL,
    MIN_GAIN,
    MIN_STEPS,
    PCE_FLOOR,
    POSITION_TOL,
    STOP_FRACTION,
    SMPRun,
    pce,
    run_smp,
    smp_utility,
    unique_positions,
)

__all__ = [
    "BARGAIN_FLOOR",
    "BARGN_MODEL",
    "BIG_R_ADJUST",
    "BIG_R_RANGE",
    "BINARY_VOTE_SCALE",
    "CHALLENGE_FLOOR",
    "INTER_VEC_BRGN",
    "KtabSMP",
    "MARKOV_INCENTIVE_TOL",
    "MARKOV_MAX_ITER",
    "MARKOV_UNIFORM_TOL",
    "MIN_GAIN",
    "MIN_STEPS",
    "OPTION_VALUES",
    "PCE_FLOOR",
    "PCE_MODELS",
    "POSITION_TOL",
    "SMPRun",
    "STATE_TRANSITIONS",
    "STOP_FRACTION",
    "THIRD_PARTY_COMMIT",
    "VICTORY_PROB_MODELS",
    "VOTING_RULES",
    "XML_OPTION_FIELDS",
    "ktab_inputs",
    "pce",
    "run_smp",
    "smp_utility",
    "unique_positions",
]
