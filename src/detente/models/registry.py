"""The registry of forecasting models: an explicit dict, no discovery magic.

Adding a model is one line here plus one contract test class in ``tests/contract/``.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnknownModelError
from .base import ModelClass, with_params
from .exchange import Exchange
from .expected_utility import ExpectedUtility
from .ktab_smp import KtabSMP
from .nash import Nash
from .weighted_mean import WeightedMean
from .weighted_median import WeightedMedian

__all__ = ["MODELS", "get_model"]

MODELS: dict[str, ModelClass] = {
    "weighted_mean": WeightedMean,
    "weighted_median": WeightedMedian,
    "nash": Nash,
    "exchange": Exchange,
    "expected_utility": ExpectedUtility,
    "ktab_smp": KtabSMP,
}


def get_model(name: str, **params: Any) -> Any:
    """An instance of the model registered under ``name`` with ``params`` set.

    Raises
    ------
    UnknownModelError
        For a name not in :data:`MODELS` (the message lists the valid ones).
    ModelParameterError
        For an undeclared parameter or a bad value.
    """
    try:
        cls = MODELS[name]
    except KeyError:
        raise UnknownModelError(name, sorted(MODELS)) from None
    return with_params(cls(), params) if params else cls()
