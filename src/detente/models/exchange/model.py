"""The exchange model class: parameters, seeding and the Forecast it builds (the run itself is in
:mod:`.run`, the tables in :mod:`.tables`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from ...backends import BACKENDS
from ...errors import ModelParameterError
from ...results import Forecast
from ...rng import as_generator
from ...scenario.foreign import DecideData
from .._common import check_arrays
from .data import ExchangeRun, _Input, _input_from_arrays, _input_from_scenario
from .run import _SeedOnly, exchange_outcome, exchange_run
from .tables import _tables

__all__ = ["Exchange"]

_VARIANTS = ("stokman", "decide")
_RULES = ("equal_gain", "rex")


@dataclass(frozen=True, slots=True)
class Exchange:
    """Stokman's exchange model (vote trading), equal gain or randomised equal gain (REX).

    Parameters
    ----------
    variant : {"stokman", "decide"}
        ``"stokman"`` (default): float64, deterministic ties, no reference bugs, batchable;
        compiled with numba when it is installed (the same results as without).
        ``"decide"``: the Decide reference's numbers exactly (Decimal arithmetic, its tie coin
        flip and quirks).
    rule : {"equal_gain", "rex"}
        Equal gain (Stokman & Van Oosten 1994) or randomised equal gain with parameter ``p``.
    p : float
        REX parameter in (0, 1]: how far the randomised actor's gain may move toward its
        maximum (or toward zero). Ignored by equal gain.
    rounds : int
        Rounds of exchange (10, the reference's default; no convergence test).
    repetitions : int
        Independent runs (REX; the forecast is their mean). The decide variant continues one
        random stream over them, as the reference does.
    seed : int, optional
        Fixes the model's own draws: decide reproduces the reference run after
        ``random.seed(seed)``; stokman seeds its numpy generator. When None, ``rng`` (or fresh
        entropy) supplies them.
    backend : {"auto", "numba", "numpy"}
        Engine of the stokman variant: "auto" (default) compiles with numba when it is
        installed; "numba" requires it (the ``fast`` extra); "numpy" never uses it. Both give
        the same numbers. Ignored by the decide variant.
    """

    variant: Literal["stokman", "decide"] = "stokman"
    rule: Literal["equal_gain", "rex"] = "equal_gain"
    p: float = 0.5
    rounds: int = 10
    repetitions: int = 1
    seed: int | None = None
    backend: Literal["auto", "numba", "numpy"] = "auto"

    name: ClassVar[str] = "exchange"
    reference: ClassVar[str] = (
        "Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: an "
        "object-oriented model of policy networks. In B. Bueno de Mesquita & F. N. Stokman "
        "(Eds.), European Community Decision Making (pp. 105-127). Yale University Press; "
        "Stokman, F. N., & Van den Bos, J. M. M. (1992). A two-stage model of policy making: "
        "with an empirical test in the U.S. energy policy domain. In G. Moore & J. A. Whitt "
        "(Eds.), Research in Politics and Society 4, 219-253. JAI Press"
    )

    def __post_init__(self) -> None:
        if self.variant not in _VARIANTS:
            raise ModelParameterError(
                f"model 'exchange': parameter 'variant': {self.variant!r} is not one of {_VARIANTS}")
        if self.rule not in _RULES:
            raise ModelParameterError(
                f"model 'exchange': parameter 'rule': {self.rule!r} is not one of {_RULES}")
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not 0 < self.p <= 1:
            raise ModelParameterError(
                f"model 'exchange': parameter 'p': must be a number in (0, 1] (got {self.p!r})")
        for fld in ("rounds", "repetitions"):
            v = getattr(self, fld)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ModelParameterError(
                    f"model 'exchange': parameter {fld!r}: must be a positive integer (got {v!r})")
        if self.backend not in BACKENDS:
            raise ModelParameterError(
                f"model 'exchange': parameter 'backend': {self.backend!r} is not one of {BACKENDS}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)
                                      or self.seed < 0):
            raise ModelParameterError(
                f"model 'exchange': parameter 'seed': must be None or a non-negative int (got {self.seed!r})")

    # ---------------------------------------------------------------------------------
    def _random(self, rng) -> tuple[int | None, np.random.Generator | None]:
        """(seed S for the decide stream, numpy generator for stokman REX)."""
        uses = self.rule == "rex" or self.variant == "decide"
        if not uses:
            return None, None
        seed = self.seed if self.seed is not None else int(as_generator(rng).integers(2**32))
        return seed, np.random.default_rng(seed)

    def run(self, scenario, *, rng: np.random.Generator | None = None) -> ExchangeRun:
        """The full run (every round, exchange and repetition) on a Scenario or DecideData."""
        return self._run(scenario, *self._random(rng))

    def _run(self, scenario, seed: int | None, gen: np.random.Generator | None) -> ExchangeRun:
        if isinstance(scenario, DecideData):
            data: DecideData | _Input = scenario
        elif self.variant == "decide":
            check_arrays(scenario.arrays(), scenario.name)
            data = _input_from_scenario(scenario)
        else:
            a = check_arrays(scenario.arrays(), scenario.name)
            data = _input_from_arrays(a.position, a.salience, _power2(a.power, a.stake), a.stake,
                                      a.scale_min, a.scale_max, a.actors, a.issues)
        # decide reads p as the Decimal of its text, like the reference reads its option
        p = repr(float(self.p)) if self.variant == "decide" else float(self.p)
        return exchange_run(data, variant=self.variant, rule=self.rule, p=p, rounds=self.rounds,
                            repetitions=self.repetitions, seed=seed if seed is not None else 0,
                            rng=gen, backend=self.backend)

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        seed, gen = self._random(rng)
        run = self._run(scenario, seed, gen)
        notes = []
        if run.tie_flips.sum():
            notes.append(f"{int(run.tie_flips.sum())} tie coin flip(s) from random.Random({seed}) "
                         "decided the order of exchanges with equal gains, as in the reference")
        return Forecast.build(
            self,
            scenario,
            run.forecast,
            diagnostics={
                "final_outcome": run.final.mean(axis=0),
                "outcome_by_repetition": run.voting[:, -1, :],
                "n_exchanges": run.n_exchanges,
                "tie_flips": run.tie_flips,
                "near_ties": run.near_ties,
                "random_seed": -1 if seed is None else seed,
            },
            notes=tuple(notes),
            tables=_tables(run),
            seed_entropy=seed,
        )

    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outcome (..., n_issues) for ScenarioArrays with leading batch axes."""
        if self.repetitions != 1:
            raise ModelParameterError(
                "model 'exchange': forecast_arrays runs one repetition per draw; use repetitions=1")
        seed, _ = self._random(rng)
        return exchange_outcome(
            arrays.position, arrays.salience, _power2(arrays.power, arrays.stake), arrays.stake,
            arrays.scale_min, arrays.scale_max, variant=self.variant, rule=self.rule, p=self.p,
            rounds=self.rounds, rng=_SeedOnly(seed or 0), backend=self.backend,
        )

def _power2(power: np.ndarray, stake: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(power, dtype=float)[..., None],
                           np.asarray(power).shape + (stake.shape[-1],))
