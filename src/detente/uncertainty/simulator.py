"""The negotiation simulator as a Monte Carlo model: every draw of the scenario is negotiated.

:class:`SimulatorModel` adapts :func:`detente.simulate.simulate` to the seed-block contract of
:func:`~detente.uncertainty.montecarlo.monte_carlo`: a seed block's ensemble (batched
ScenarioArrays and threat credibilities from the Perturbation) is simulated as one batch of
per-run scenarios, run i negotiating draw i with its own utilities, red lines and reservation
values. The block's generator (child k of ``SeedSequence(seed)``) gives the simulator's seed
after the unit design, and run i plays strategy combination (global draw index) mod C, so the
numbers depend on the seed only, never on the backend or the chunk size.

Per draw:

- **outcome**: the agreed grid value on each issue, NaN where the run ended without a deal;
- **deal**: the run reached an agreement (not the deadline, a walk-away or an absent veto
  holder's veto);
- **red_block**: an absent veto holder vetoed the table agreement because it lies outside its
  red lines (actors at the table never accept an outcome outside their own red lines);
- **walk_block**: the actor walked away (the run ended ``walk_away``);
- **margin**: +1 for a deal, -1 otherwise (the simulator has no continuous distance to a deal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ScenarioError

__all__ = ["MIX", "SIMULATOR_NAMES", "SimulatorModel"]

#: The five NegMAS reference strategies; ``strategies="mix"`` plays every ordered pair of them
#: (with more than two parties at the table: each of them for everyone).
MIX = ("boulware", "linear", "conceder", "tit_for_tat", "aspiration")
#: Names under which ``monte_carlo`` accepts the simulator as its model.
SIMULATOR_NAMES = ("simulator", "simulate")


def _normalise(strategies: Any) -> Any:
    if isinstance(strategies, str):
        spec = strategies.strip()
        if spec.lower() == "mix":
            return "mix"
        names = tuple(x.strip() for x in spec.split(",") if x.strip())
        if not names:
            raise ScenarioError("give strategy names separated by commas, or 'mix'", field="strategies")
        return names
    items = list(strategies)
    if items and all(isinstance(c, (list, tuple)) for c in items):
        return tuple(tuple(c) for c in items)
    return tuple(items)


@dataclass(frozen=True, slots=True)
class SimulatorModel:
    """Run the negotiation simulator on every Monte Carlo draw.

    Parameters
    ----------
    protocol : {"summit", "alternating", "single_text"}
        ``summit`` (default) plays the scenario's stages; the others one negotiation among the
        actors present.
    strategies : "mix", comma-separated names, a tuple of names or a list of tuples
        As in :func:`detente.simulate.simulate`; ``"mix"``: every ordered pair of the five
        NegMAS strategies (:data:`MIX`); draw i plays combination i mod C.
    steps : int
        Deadline per bargaining stage (> 0).
    levels : int
        Grid values per issue (>= 2).
    walk_away : bool, optional
        Default: on for the summit, off otherwise.
    walk_patience, audience_cost : float
        As in :func:`detente.simulate.simulate`.
    chunk_size : int, optional
        Runs per simulator chunk inside a seed block (memory); default from the outcome-space
        size. Results with random strategies depend on it (never on the backend).
    """

    protocol: str = "summit"
    strategies: Any = "mix"
    steps: int = 100
    levels: int = 5
    walk_away: bool | None = None
    walk_patience: float = 0.5
    audience_cost: float = 0.5
    chunk_size: int | None = None

    name: ClassVar[str] = "simulator"
    reference: ClassVar[str] = (
        "detente negotiation simulator (docs/simulation.md): stacked alternating offers "
        "(Aydogan et al. 2017), Faratin, Sierra & Jennings (1998) strategies, NegMAS 0.16 semantics"
    )

    def __post_init__(self) -> None:
        from ..simulate.engine import PROTOCOLS
        from ..simulate.strategies import get_strategy

        if self.protocol not in PROTOCOLS:
            raise ScenarioError(f"unknown protocol {self.protocol!r}; valid: {', '.join(PROTOCOLS)}",
                                field="protocol")
        for name, v, lo in (("steps", self.steps, 1), ("levels", self.levels, 2)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ScenarioError(f"must be an integer >= {lo} (got {v!r})", field=name)
        if self.chunk_size is not None and (isinstance(self.chunk_size, bool) or not isinstance(
                self.chunk_size, (int, np.integer)) or self.chunk_size < 1):
            raise ScenarioError(f"must be a positive integer (got {self.chunk_size!r})", field="chunk_size")
        if not 0 <= self.walk_patience <= 1:
            raise ScenarioError(f"must lie in [0, 1] (got {self.walk_patience})", field="walk_patience")
        if not self.audience_cost >= 0:
            raise ScenarioError(f"must be >= 0 (got {self.audience_cost})", field="audience_cost")
        strat = _normalise(self.strategies)
        object.__setattr__(self, "strategies", strat)
        if strat != "mix":
            flat = [x for c in strat for x in c] if strat and isinstance(strat[0], tuple) else list(strat)
            for x in flat:
                get_strategy(x)  # unknown names fail here, before any draw

    def describe(self) -> str:
        s = "mix" if self.strategies == "mix" else ",".join(
            "/".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in self.strategies)
        return f"{self.protocol}, strategies {s}, {self.steps} steps, {self.levels} levels"

    def combos(self, n_negotiators: int) -> Any:
        """The strategy specification for a table of ``n_negotiators``."""
        if self.strategies == "mix":
            from ..simulate.strategies import mix

            return mix(n_negotiators)
        return self.strategies

    def simulate_draws(self, scenario, arrays, credibility, rng: np.random.Generator, first_draw: int = 0):
        """Simulate one batch of draws (run i = draw ``first_draw + i``).

        Returns
        -------
        SimulationResult
        """
        from ..simulate.engine import negotiators, simulate

        n_neg = len(negotiators(scenario, self.protocol))
        spec = self.combos(n_neg)
        if isinstance(spec, list) or (spec and isinstance(spec[0], tuple)):
            combos = list(spec)
            k = first_draw % len(combos)
            spec = combos[k:] + combos[:k]  # run i plays combination (first_draw + i) mod C
        seed = int(rng.integers(0, 2**63 - 1))
        return simulate(scenario, arrays=arrays, credibility=credibility, protocol=self.protocol,
                        strategies=spec, steps=self.steps, seed=seed, levels=self.levels,
                        walk_away=self.walk_away, walk_patience=self.walk_patience,
                        audience_cost=self.audience_cost, chunk_size=self.chunk_size)

    def evaluate_draws(self, scenario, arrays, credibility, rng: np.random.Generator,
                       first_draw: int = 0) -> tuple[np.ndarray, ...]:
        """Outcome and deal flags of a batch of draws, as :func:`~.montecarlo.evaluate` returns them,
        plus the reason code of every run.

        Returns
        -------
        outcome : (n, n_issues), NaN without a deal
        deal, no_outcome : (n,) bool
        red_block, walk_block : (n, n_actors) bool
        margin : (n,)
        reason : (n,) int
            Codes of :data:`detente.simulate.REASONS`.
        """
        res = self.simulate_draws(scenario, arrays, credibility, rng, first_draw)
        n = res.n_runs
        n_a = len(scenario.actors)
        out = _numeric(res.values, res.agreement)
        deal = res.agreement >= 0
        red = np.zeros((n, n_a), dtype=bool)
        if res.vetoed is not None and np.any(res.vetoed >= 0):
            vet = res.vetoed >= 0
            x = _numeric(res.values, res.vetoed)
            width = np.asarray(arrays.scale_max) - np.asarray(arrays.scale_min)
            tol = 1e-9 * np.maximum(1.0, np.abs(width))
            lo = np.broadcast_to(arrays.red_low, (n, n_a, len(width)))
            hi = np.broadcast_to(arrays.red_high, (n, n_a, len(width)))
            with np.errstate(invalid="ignore"):
                outside = ((x[:, None, :] < lo - tol) | (x[:, None, :] > hi + tol)).any(axis=-1)
            vetoers = np.array([(not a.present) and a.veto for a in scenario.actors])
            red = outside & vetoers[None, :] & vet[:, None]
        walk = np.zeros((n, n_a), dtype=bool)
        if res.walked_out is not None:
            eb = res.walked_out
            rows = np.flatnonzero(eb >= 0)
            walk[rows, eb[rows]] = True
        margin = np.where(deal, 1.0, -1.0)
        return out, deal, ~deal, red, walk, margin, _codes(res.reason)


def _codes(reason: np.ndarray) -> np.ndarray:
    from ..simulate.protocols import REASONS

    r = np.asarray(reason).astype(str)
    code = np.zeros(r.shape, dtype=np.int64)
    for k, name in enumerate(REASONS):
        code[r == name] = k
    return code


def _numeric(values: tuple, agreement: np.ndarray) -> np.ndarray:
    """Grid values (n, n_issues) of outcome ids, NaN for -1."""
    n_i = len(values)
    cards = [len(v) for v in values]
    a = np.asarray(agreement, dtype=np.int64)
    out = np.full((a.size, n_i), np.nan)
    rest = np.maximum(a, 0)
    for k in range(n_i - 1, -1, -1):
        vi = rest % cards[k]
        rest = rest // cards[k]
        out[:, k] = np.asarray(values[k], dtype=float)[vi]
    out[a < 0] = np.nan
    return out
