"""The KTAB SMP model class: parameters (KTAB's options), the scenario adapter and the Forecast.

The equations are in :mod:`.reference`; a scenario's arrays are put in KTAB's terms by
:func:`detente.scenario.foreign.ktab_inputs`, shared with the KTAB file writers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from ...cost import Cost
from ...errors import ModelParameterError, ScenarioError, known_list
from ...results import Columns, Forecast
from ...rng import as_generator
from ...scenario.foreign import OPTION_VALUES, ktab_inputs
from .._common import check_arrays, check_sizes
from .reference import run_smp

__all__ = ["KtabSMP"]

# measured (Dec 2026, 2 cores): about 3 arrays of actors^3 float64 at the peak of a step (an
# actor's view of every other actor's contest with every third one), 5e-8 s per actor^3 cell
_BYTES_PER_TRIPLE = 24
_SECONDS_PER_TRIPLE = 5e-8


def _check_option(name: str, value: Any) -> None:
    allowed = OPTION_VALUES[name]
    if value not in allowed:
        raise ModelParameterError(
            f"model 'ktab_smp': parameter {name!r}: {value!r} is not one of {', '.join(allowed)}"
        )


@dataclass(frozen=True, slots=True)
class KtabSMP:
    """KTAB's Spatial Model of Politics, multi-dimensional (the scenario's issues).

    Parameters (KTAB's names and defaults; see ``docs/models/ktab_smp.md``)
    ----------
    victory_prob_model : {"Linear", "Square", "Quartic", "Octic", "Binary"}
        P[a beats b] as a function of coalition strengths.
    pce_model : {"Conditional", "MarkovIncentive", "MarkovUniform"}
        Probabilistic Condorcet Election.
    state_transitions : {"Deterministic", "Stochastic"}
        Each actor takes the most probable bargain of its queue, or draws one (needs ``rng``;
        reproducible with detente's seed, unlike KTAB's threaded draws).
    voting_rule : {"Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"}
        ``ASymProsp`` depends on option order; detente's fixed queue order is documented.
    big_r_adjust : {"None", "OneThird", "Half", "TwoThirds", "Full"}
        How much an actor's estimate of another's risk attitude uses the true one. KTAB aborts
        with ``Full``; detente computes it.
    big_r_range : {"Min", "Mid", "Max"}
        Risk attitudes in [0, 1], [-1/2, 1] or [-1, 1].
    third_party_commit : {"NoCommit", "SemiCommit", "FullCommit"}
        NoCommit and FullCommit give identical runs (third parties never vote), as in KTAB.
    inter_vec_brgn : {"S1P1", "S2P2", "S2PMax"}
        Bargain interpolation.
    bargn_model : {"InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"}
        Whose victory estimate sets the bargain (KTAB's quirks reproduced).
    max_steps : int
        At most this many steps (KTAB: 100); the run stops earlier by the 2% rule.
    accommodation : tuple of (actor, reference actor, weight)
        Off-identity entries of the ideal-point accommodation matrix (KTAB's XML
        ``IdealAdjustment``); empty = identity (ideals follow positions).
    """

    victory_prob_model: Literal["Linear", "Square", "Quartic", "Octic", "Binary"] = "Linear"
    pce_model: Literal["Conditional", "MarkovIncentive", "MarkovUniform"] = "Conditional"
    state_transitions: Literal["Deterministic", "Stochastic"] = "Deterministic"
    voting_rule: Literal["Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"] = "Prop"
    big_r_adjust: Literal["None", "OneThird", "Half", "TwoThirds", "Full"] = "OneThird"
    big_r_range: Literal["Min", "Mid", "Max"] = "Mid"
    third_party_commit: Literal["NoCommit", "SemiCommit", "FullCommit"] = "SemiCommit"
    inter_vec_brgn: Literal["S1P1", "S2P2", "S2PMax"] = "S2P2"
    bargn_model: Literal["InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"] = "InitOnlyInterp"
    max_steps: int = 100
    accommodation: tuple[tuple[str, str, float], ...] = field(default=())

    name: ClassVar[str] = "ktab_smp"
    reference: ClassVar[str] = (
        "Wise, B., Lester, L. & Efird, B. KTAB: KAPSARC Toolkit for Behavioral Analysis, Spatial "
        "Model of Politics (smpc), King Abdullah Petroleum Studies and Research Center, "
        "https://github.com/KAPSARC/KTAB (commit c57b72a, 2019), with its documentation "
        "(web/tutorial/SMPTutorial.md, KTAB/kmodel/doc/markov-incentives.tex); Wise, B., Lester, L. "
        "& Efird, B. (2015). An Introduction to the KAPSARC Toolkit for Behavioral Analysis (KTAB), "
        "KAPSARC discussion paper; KAPSARC, Multidimensional Bargaining using KTAB, KAPSARC "
        "discussion paper; Efird, B., Lester, L. & Wise, B. (2016), KAPSARC study of China's "
        "upstream-oil state-owned-enterprise reform (KTAB's SOE-Pol-Comp and SOE-Policy scenarios)"
    )

    def __post_init__(self) -> None:
        for name in OPTION_VALUES:
            _check_option(name, getattr(self, name))
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, (int, np.integer)) \
                or not 2 <= int(self.max_steps) <= 10_000:
            raise ModelParameterError(
                f"model 'ktab_smp': parameter 'max_steps': must be an integer in [2, 10000] (got {self.max_steps!r})"
            )
        acc: tuple[tuple[Any, ...], ...] = tuple(tuple(t) for t in self.accommodation)
        for k, t in enumerate(acc):
            if len(t) != 3 or not all(isinstance(v, str) for v in t[:2]):
                raise ModelParameterError(
                    f"model 'ktab_smp': parameter 'accommodation'[{k}]: must be (actor, reference "
                    f"actor, weight) (got {t!r})"
                )
            try:
                w = float(t[2])
            except (TypeError, ValueError):
                w = float("nan")
            if not (np.isfinite(w) and 0.0 <= w <= 1.0):
                raise ModelParameterError(
                    f"model 'ktab_smp': parameter 'accommodation'[{k}]: weight must lie in [0, 1] (got {t[2]!r})"
                )
        object.__setattr__(self, "accommodation", tuple((a, b, float(w)) for a, b, w in acc))

    @classmethod
    def from_ktab(cls, source: Any) -> KtabSMP:
        """The model with the options a KTAB scenario file sets.

        ``source`` is what the KTAB reader returns (``read_ktab``/``ktab_from_text``: its
        ``options``, from the XML ``ModelParameters`` and ``IdealAdjustment``; none for CSV) or
        those options as a mapping. The reader returns data only; this adapter builds the model.

        Example
        -------
        >>> inp = read_ktab("scenario.xml")                        # doctest: +SKIP
        >>> KtabSMP.from_ktab(inp).forecast(inp.scenario)          # doctest: +SKIP
        """
        options = source if isinstance(source, Mapping) else source.options
        return cls(**dict(options))

    def cost(self, n_actors: int, n_issues: int, n_draws: int = 1) -> Cost:
        """Memory and time of a run (:class:`~detente.cost.Cost`), before it starts.

        Each step compares every actor's bargain with every other's through every third actor:

        * memory: 24 x n_actors^3 bytes per draw (a few (n, n, n) float64 arrays) plus 1 KiB
          x n_actors x (n_actors + n_issues) (the step records and the bargain queues);
        * time: ``max_steps`` x draws x (5e-8 s x n_actors^3 + 1e-6 s x n_actors x n_issues)
          (the run usually stops earlier by the 2 % rule; the estimate is the worst case).
        """
        n, m, d = check_sizes(n_actors, n_issues, n_draws)
        per = _BYTES_PER_TRIPLE * float(n) ** 3 + 1024.0 * n * (n + m)
        steps = int(self.max_steps)
        return Cost(f"model {self.name!r}", 65536 + per * d,
                    0.01 + steps * d * (_SECONDS_PER_TRIPLE * float(n) ** 3 + 1e-6 * n * m),
                    {"actors": n, "issues": m, "max_steps": steps, **({"draws": d} if d > 1 else {})},
                    "fewer actors (the cost grows with actors^3) or fewer max_steps")

    # ------------------------------------------------------------------ helpers
    def _options(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in OPTION_VALUES}

    def accommodation_matrix(self, actors: tuple[str, ...]) -> np.ndarray | None:
        """The accommodation matrix for these actor ids (identity plus the given entries)."""
        if not self.accommodation:
            return None
        index = {a: k for k, a in enumerate(actors)}
        acc = np.eye(len(actors))
        for k, (a, b, w) in enumerate(self.accommodation):
            for who in (a, b):
                if who not in index:
                    raise ModelParameterError(
                        f"model 'ktab_smp': parameter 'accommodation'[{k}]: unknown actor {who!r}; "
                        f"known: {known_list(actors)}"
                    )
            acc[index[a], index[b]] = w
        rows = acc.sum(axis=1)
        if np.any(rows > 1.0 + 1e-9):
            k = int(np.argmax(rows > 1.0 + 1e-9))
            raise ModelParameterError(
                f"model 'ktab_smp': parameter 'accommodation': the weights of actor {actors[k]!r} "
                f"sum to {rows[k]:g}; each actor's weights must sum to at most 1"
            )
        return acc

    def _run(self, arrays, *, history: bool, rng):
        x, s, cap, notes = ktab_inputs(arrays)
        batch = np.broadcast_shapes(x.shape[:-2], s.shape[:-2], cap.shape[:-1])
        n, d = x.shape[-2:]
        x = np.broadcast_to(x, batch + (n, d)).reshape(-1, n, d)
        s = np.broadcast_to(s, batch + (n, d)).reshape(-1, n, d)
        cap = np.broadcast_to(cap, batch + (n,)).reshape(-1, n)
        if np.any(cap < 0) or not np.all(np.isfinite(cap)):
            raise ScenarioError("capabilities (power) must be finite and >= 0", field="power")
        if self.state_transitions == "Stochastic" and rng is None:
            rng = as_generator(None)
        run = run_smp(
            x, s, cap, accommodation=self.accommodation_matrix(arrays.actors),
            max_steps=self.max_steps, history=history, rng=rng, **self._options(),
        )
        return run, batch, notes

    # ------------------------------------------------------------------ interface
    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Most probable final position (..., n_issues) for arrays with leading batch axes."""
        run, batch, _ = self._run(arrays, history=False, rng=rng)
        best, _ = run.most_probable()
        out = arrays.scale_min + best * (arrays.scale_max - arrays.scale_min)
        return out.reshape(batch + (out.shape[-1],))

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        """Run the SMP on a scenario.

        Returns a Forecast whose outcome is the most probable distinct final position, with
        tables ``positions`` (turn, actor, issue, position), ``probabilities`` (turn, actor,
        option, probability: of the distinct position the actor holds, ``option`` naming the
        first actor holding it) and ``stopping`` (step, movement, fractional_change).
        """
        # KTAB's tolerances are absolute: extreme powers go to its usual 0-100 scale
        a = check_arrays(scenario.arrays(), scenario.name, power_scale=100.0)
        run, _, notes = self._run(a, history=True, rng=rng)
        lo, width = a.scale_min, a.scale_max - a.scale_min
        T = int(run.n_steps[0])
        pos = run.positions[: T + 1, 0]  # (T+1, N, D) unit scale
        best, best_p = run.most_probable()
        outcome = lo + best[0] * width
        n, d = a.n_actors, a.n_issues
        turns = np.arange(T + 1)
        positions = Columns({
            "turn": np.repeat(turns, n * d),
            "actor": np.tile(np.repeat(np.array(a.actors, dtype=object), d), T + 1),
            "issue": np.tile(np.array(a.issues, dtype=object), (T + 1) * n),
            "position": (lo + pos * width).ravel(),
        })
        rep = run.rep[: T + 1, 0]
        actors = np.array(a.actors, dtype=object)
        probabilities = Columns({
            "turn": np.repeat(turns, n),
            "actor": np.tile(actors, T + 1),
            "option": actors[rep.ravel()],
            "probability": run.prob[: T + 1, 0].ravel(),
        })
        stopping = Columns({
            "step": np.arange(1, T + 1),
            "movement": run.movement[:T, 0],
            "fractional_change": run.fractional_change[:T, 0],
        })
        final = pos[-1]
        # each actor's risk-neutral utility of the outcome, from its initial position
        x0, s0, _, _ = ktab_inputs(a)
        s2 = s0 * s0
        den = s2.sum(axis=-1)
        dist = np.sqrt((s2 * (x0 - best[0]) ** 2).sum(axis=-1) / np.where(den > 0, den, 1.0))
        utilities = np.where(den > 0, 1.0 - dist, np.nan)
        reps = np.unique(run.final_rep[0])
        pw_mean = (run.final_prob[0][reps][:, None] * final[reps]).sum(axis=0)
        notes = list(notes)
        notes.append("queue order: each actor's own status quo, then bargains by initiator index "
                     "(KTAB's threads set this order at random; it matters only for exact ties "
                     "and for voting_rule='ASymProsp')")
        if self.state_transitions == "Stochastic":
            notes.append("stochastic transitions draw from detente's seeded generator; KTAB's "
                         "stochastic runs are not reproducible even with a fixed seed")
        if self.big_r_adjust == "Full":
            notes.append("big_r_adjust='Full': KTAB (commit c57b72a) aborts before turn 1 with "
                         "this option; detente computes it")
        if not (a.present.all()):
            notes.append("SMP has no notion of absence: every actor bargains, present or not")
        return Forecast.build(
            self,
            scenario,
            outcome,
            utilities=utilities,
            diagnostics={
                "n_steps": T,
                "outcome_probability": float(best_p[0]),
                "prob_weighted_mean": lo + pw_mean * width,
                "final_positions": lo + final * width,
                "final_probability": run.final_prob[0],
                "fractional_change": run.fractional_change[:T, 0],
            },
            notes=tuple(notes),
            tables={"positions": positions, "probabilities": probabilities, "stopping": stopping},
        )
