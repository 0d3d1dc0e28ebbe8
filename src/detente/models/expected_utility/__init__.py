"""Bueno de Mesquita's expected-utility model, as replicated by Scholz, Calbert & Smith (2011).

One issue continuum at a time. Each round, from the positions ``x`` at the start of the round:

1. the forecast ``mu``: the position with the most capability x salience support in pairwise
   votes (the weighted median);
2. a first pass with every risk exponent ``r = 1`` gives each actor's vulnerability
   ``S_i = sum_j EU_j(j challenges i)``, then ``R_i = (2 S_i - S_max - S_min) / (S_max - S_min)``
   and ``r_i = (1 - R_i/3) / (1 + R_i/3)`` (all ``r_i = 1`` when every ``S_i`` is equal);
3. a second pass with those ``r_i`` gives, in actor i's own view, ``a = EU^i(i challenges j)``
   and ``b = EU^i(j challenges i)``, with

   .. math::

       EU^i(ij) = s_j [P_{ij} U^s + (1 - P_{ij}) U^f] + (1 - s_j) U^s
                  - Q U^{sq} - (1 - Q)[T U^b + (1 - T) U^w],

   ``U^s = 2 - 4 (0.5 - 0.5 d)^r``, ``U^f = 2 - 4 (0.5 + 0.5 d)^r``, ``U^sq = 2 - 4 (0.5)^r``,
   ``d = |x_i - x_j| / L`` (``L`` the range of the *initial* positions) and the success
   probability ``P_ij`` the share of the risk-weighted votes
   ``v_k = c_k s_k (d_kj^{r_k} - d_ki^{r_k})`` that side with i;
4. offers: ``b > a > 0`` conflict (i moves to ``x_j``), ``b > 0 > a, b > |a|`` compromise (i moves
   ``|a/b|`` of the way to ``x_j``), ``b > 0 > a, |a| > b`` capitulation (to ``x_j``; off by
   default, as in the replication code); conflict > compromise > capitulation; all moves at once.

The default settings reproduce the replication code (global vote normaliser, weight-point
choice among compromises, no capitulation); see ``docs/models/expected_utility.md``.

Layout of this package:

* :mod:`.model`: :class:`ExpectedUtility`, its parameters, input checks and Forecast;
* :mod:`.reference`: the readable reference implementation of one round (numpy, vectorised
  over draws), :class:`Round`, :class:`Trajectory`; ``docs/models/expected_utility.md``
  points here;
* :mod:`.engine`: :func:`expected_utility_round`, :func:`expected_utility_path` and the
  final-forecast entry, each running the engine ``backend=`` resolves to through
  :mod:`detente.backends`;
* the engines: :mod:`._numpy` (the reference round chunk by chunk over draws),
  :mod:`._kernel` (compiled, one draw at a time) and :mod:`._lanes` (compiled, many draws in
  lockstep; bit for bit the scalar kernel), glued by :mod:`._compiled` and imported with numba
  on first use only (the ``fast`` extra);
* :mod:`.tables`: the ``rounds``, ``moves`` and ``risk`` tables.

References: Scholz, Calbert & Smith (2011), J. Theoretical Politics 23(4), 510-531,
doi:10.1177/0951629811418142; Bueno de Mesquita (1994), in Bueno de Mesquita & Stokman (Eds.),
European Community Decision Making, Yale University Press; Bueno de Mesquita (2002), Predicting
Politics, Ohio State University Press.
"""

from __future__ import annotations

from .engine import BACKENDS, Backend, expected_utility_path, expected_utility_round
from .model import ExpectedUtility
from .reference import MOVE_TYPES, CompromiseChoice, Probability, Round, Trajectory

__all__ = [
    "BACKENDS",
    "Backend",
    "CompromiseChoice",
    "ExpectedUtility",
    "MOVE_TYPES",
    "Probability",
    "Round",
    "Trajectory",
    "expected_utility_path",
    "expected_utility_round",
]
