"""Stokman's exchange model: actors trade support across issues they weigh differently.

Each round, for every pair of issues (p, q) and every pair of actors on opposite sides of the
forecast outcome on both issues, actor I (who cares relatively more about p) moves toward J on
q while J moves toward I on p, so far that both gain equally (Stokman & Van Oosten 1994):

.. math::

    O_p = \\frac{\\sum_k c_{kp} s_{kp} x_{kp}}{\\sum_k c_{kp} s_{kp}}, \\qquad
    \\Delta O_q = \\Delta O_p \\frac{s_{Ip} + s_{Jp}}{s_{Iq} + s_{Jq}}, \\qquad
    G = \\Delta O_p s_{Ip} - \\Delta O_q s_{Iq}

(the actor that would overshoot its partner's position is the one that moves all the way).
Exchanges are executed in order of gain; each execution updates the remaining ones; at the end
of a round every trading actor's position moves toward its voting position with weight
``0.1 + 0.4 (1 - s)``. The forecast is the outcome of the last round's voting positions.
REX (``rule="rex"``, parameter p) randomises how the gain is split (Stokman & Van den Bos 1992
style randomised equal gain, as in the Decide package).

Two variants share this maths:

* ``variant="decide"`` reproduces the reference implementation (Decide,
  ``decide-exchange-model`` 2025.3.1) exactly: Python :mod:`decimal` arithmetic with its order of
  operations (near-equal gains are ordered by Decimal rounding), its tie coin flip and its
  documented quirks, and its random stream (a private ``random.Random(seed)``, never the global
  generator).
* ``variant="stokman"`` (default) is float64 with a deterministic tie rule (gains equal within a
  relative 1e-9 go by creation order) and without the reference's bugs; many scenarios run at
  once as a batch (:meth:`Exchange.forecast_arrays`). It has two backends with identical
  results: a compiled kernel (:mod:`._kernel`, with numba: ``detente[fast]``) and the numpy
  engine (:mod:`._numpy`); ``backend=`` of :func:`exchange_run` picks one through
  :mod:`detente.backends`.

The full equations, every step and the list of differences are in ``docs/models/exchange.md``.

Layout of this package: :mod:`.model` (:class:`Exchange`), :mod:`.reference` (the readable
reference implementation: the Decimal engine of the decide variant, which the docs point to),
:mod:`._numpy` and :mod:`._kernel` (the float64 engines), :mod:`.run` (:func:`exchange_run`,
:func:`exchange_outcome` and the backend choice), :mod:`.data` (the input record, its
adapters from Decide data, arrays and scenarios, and :class:`ExchangeRun`) and :mod:`.tables`.

References
----------
Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: an object-oriented
model of policy networks. In Bueno de Mesquita & Stokman (Eds.), European Community Decision
Making, Yale University Press, 105-127.
Stokman, F. N., & Van den Bos, J. M. M. (1992). A two-stage model of policy making: with an
empirical test in the U.S. energy policy domain. Research in Politics and Society 4, 219-253.
"""

from __future__ import annotations

from .data import ExchangeRun
from .model import Exchange
from .run import exchange_decide, exchange_outcome, exchange_run

__all__ = ["Exchange", "ExchangeRun", "exchange_decide", "exchange_outcome", "exchange_run"]
