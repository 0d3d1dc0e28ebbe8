"""The one set of run defaults shared by the CLI, the API, the report and Python callers.

Every surface takes its defaults from :data:`DEFAULTS` (a frozen :class:`Defaults`): the CLI
options, the API request schemas and the :mod:`detente.service` entry points. The values are
the ones the CLI has always documented, since those are the ones users see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..cost import Budget

__all__ = ["DEFAULTS", "Defaults"]


def _noise() -> MappingProxyType[str, Any]:
    # the measured inter-coder noise (cases/intercoder, scripts/intercoder.py), read from the
    # file the uncertainty package ships, without importing that package
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "uncertainty" / "data" / "coder_noise.json"
    return MappingProxyType(dict(json.loads(path.read_text(encoding="utf-8"))["noise"]))


@dataclass(frozen=True, slots=True)
class Defaults:
    """Run defaults (one instance, :data:`DEFAULTS`).

    Attributes
    ----------
    scenario : str
        The built-in scenario used when none is named.
    forecast_seed : int
        Seed of a forecast or a report when none is given: forecasts are repeatable by default.
        (``seed=None`` passed explicitly means fresh entropy, see :mod:`detente.service.seeding`.)
    draws : int
        Monte Carlo draws.
    mc_chunk_size : int
        Monte Carlo draws per task (whole blocks of 4096).
    uncertainty_model : str
        Model of ``montecarlo`` and ``sensitivity`` when none is named.
    noise : mapping
        Expert noise used when neither noise options nor an ``uncertainty:`` section are given:
        the measured inter-coder disagreement (``detente/uncertainty/data/coder_noise.json``,
        from ``cases/intercoder``), relative to each issue's scale.
    samples : int
        Sobol base sample size N (or Morris trajectories).
    method : str
        Sensitivity method.
    runs : int
        Simulated negotiations.
    protocol : None
        Simulator protocol: None means the staged ``summit`` for a scenario with stages, else
        ``alternating``.
    strategies : str
        ``"mix"``: every ordered pair of the five NegMAS reference strategies (with more than
        two negotiators: each of them for everyone).
    steps : int
        Deadline in steps per bargaining stage.
    levels : int
        Grid values per issue when a scenario becomes a negotiation domain.
    sim_chunk_size : int
        Simulated runs per chunk (memory bound).
    backtest_seed, n_boot, level
        Backtest: seed of model draws and the bootstrap, resamples, interval coverage.
    score_n_boot : int
        Case-bootstrap resamples of the backtest's out-of-sample scores (Brier, log loss,
        coverage, CRPS ...).
    influence_models : tuple of str
        Models scoring the candidate moves of ``influence`` (the compromise models).
    influence_grid : int
        Position steps over each scale in ``influence`` (100: 1 % of the scale).
    budget : Budget
        The most memory (2 GiB) and estimated time (120 s) one command or request may ask
        for; a bigger run is refused before any work (:mod:`detente.service.budget`).
    """

    scenario: str = "alaska-2025"
    forecast_seed: int = 0
    draws: int = 10_000
    mc_chunk_size: int = 65_536
    uncertainty_model: str = "weighted_median"
    noise: MappingProxyType[str, float] = field(default_factory=_noise)
    samples: int = 512
    method: str = "sobol"
    runs: int = 1000
    protocol: str | None = None
    strategies: str = "mix"
    steps: int = 100
    levels: int = 5
    sim_chunk_size: int = 50_000
    backtest_seed: int = 0
    n_boot: int = 2000
    level: float = 0.95
    score_n_boot: int = 1000
    influence_models: tuple[str, ...] = ("weighted_mean", "weighted_median")
    influence_grid: int = 100
    budget: Budget = field(default_factory=Budget)

    def as_dict(self) -> dict[str, Any]:
        """Plain copy (``noise`` and ``budget`` as dicts)."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        out["noise"] = dict(self.noise)
        out["budget"] = {"max_bytes": self.budget.max_bytes, "max_seconds": self.budget.max_seconds}
        return out


#: The defaults every surface uses.
DEFAULTS = Defaults()
