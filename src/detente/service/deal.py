"""The calibrated probability of a deal, as every surface shows it (one function)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .defaults import DEFAULTS
from .seeding import SeedLike

if TYPE_CHECKING:
    from ..scenario.schema import Scenario

__all__ = ["calibrated_deal_probability"]


def calibrated_deal_probability(scenario: Scenario, seed: SeedLike = DEFAULTS.forecast_seed) -> Any:
    """The calibrated probability of a deal (:func:`detente.uncertainty.deal_model.deal_probability`,
    fitted on the case library), with its interval, raw structural rate and drivers.

    ``detente forecast``, ``montecarlo``, ``report``, what-ifs, influence, track, the API and the
    page all show this one number. The recorded outcome is removed before it is computed.
    """
    from ..uncertainty.deal_model import deal_probability

    return deal_probability(scenario.without_outcome(), seed=seed)
