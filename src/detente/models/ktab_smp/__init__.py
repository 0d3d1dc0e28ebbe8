"""KTAB's Spatial Model of Politics (SMP), reproduced from KAPSARC's ``smpc``.

Actors i = 1..N hold positions x_i in [0, 1]^D (the issues of a detente scenario are the
dimensions, each mapped linearly onto [0, 1]), ideal points y_i (initially x_i), saliences
s_id in [0, 1] with S_i = sum_d s_id <= 1 and capabilities c_i >= 0. Every turn:

* distances D_ij = sqrt(sum_d s_id^2 (y_id - x_jd)^2 / sum_d s_id^2) and risk-neutral
  utilities 1 - D_ij feed a Probabilistic Condorcet Election (PCE) over the N positions
  (capabilities as vote weights); its probabilities set each actor's risk attitude R_i
  (BigRRange) and each actor h's estimate r_hi of i's attitude (BigRAdjust), hence one
  utility matrix A^h_ij = U(D_ij, r_hi) per estimator, U(d, R) = (1 - d)(1 + d R);
* each actor i picks the challenge j with the largest expected gain (``probEduChlg``: the
  principals' and third parties' votes weighted by S c, third-party commitment rule, j giving
  in with probability 1 - S_j) and offers a compromise interpolated by the victory estimate
  (InterVecBrgn, BargnModel), rounded to 1e-4 on the unit scale;
* each actor k chooses from its queue (own status quo, then every bargain naming k, ordered by
  initiator) by a PCE over the actors' values of the states the bargains produce
  (Deterministic: the most probable; Stochastic: a draw), and moves to its side of it;
* ideals follow positions through the accommodation matrix;
* the run stops after step n >= 2 when the total movement falls below 2% of step 1's
  (or at 100 steps).

Positions are treated as the same option when their Euclidean distance is below 1e-3 (unit
scale), grouped by first occurrence; the forecast is the most probable distinct final position.

Everything works on a leading batch axis of scenario variants (Monte Carlo) and is vectorised
over actors, challenges and bargains; variants that have stopped are dropped from the work.
The queue order (status quo, then bargains by initiator index) is fixed, so runs are
deterministic. KTAB builds its queues in racing threads; that order matters only for exact
PCE ties and for the ``ASymProsp`` voting rule, whose coalitions depend on option order.

Layout of this package: :mod:`.model` (:class:`KtabSMP`, the scenario adapter and
:meth:`KtabSMP.from_ktab`, which builds the model from a KTAB file's options) and
:mod:`.reference` (the equations and :func:`run_smp`; the docs point there). The option
vocabulary and :func:`ktab_inputs` live in :mod:`detente.scenario.foreign`, shared with the
KTAB reader and writers.

References: see :attr:`KtabSMP.reference`; the working specification in
``shared/specs/ktab-smp.md`` restates the equations of KTAB commit c57b72a.
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
