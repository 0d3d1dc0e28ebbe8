"""The registry of forecasting models: an explicit dict, no discovery magic.

Adding a model is one line here plus one contract test class in ``tests/contract/``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .._lazy import LazyRegistry
from ..errors import UnknownModelError

if TYPE_CHECKING:
    from .base import ModelClass

__all__ = ["BUILTIN_MODELS", "MODELS", "builtin_class", "get_model"]

#: the models detente ships, name -> ``"module:Class"`` (their catalogue entries, listed without
#: importing them, are in :mod:`._catalogue`)
BUILTIN_MODELS: dict[str, str] = {
    "weighted_mean": "detente.models.weighted_mean:WeightedMean",
    "weighted_median": "detente.models.weighted_median:WeightedMedian",
    "nash": "detente.models.nash:Nash",
    "exchange": "detente.models.exchange:Exchange",
    "expected_utility": "detente.models.expected_utility:ExpectedUtility",
    "ktab_smp": "detente.models.ktab_smp:KtabSMP",
}

#: name -> model class; a model's module is imported when it is first looked up, so a command
#: that runs one model does not pay for the others
MODELS: LazyRegistry[ModelClass] = LazyRegistry(dict(BUILTIN_MODELS))


def builtin_class(name: str) -> Any:
    """The class of built-in model ``name`` (whatever :data:`MODELS` holds now)."""
    module, _, attr = BUILTIN_MODELS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


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
    if not params:
        return cls()
    from .base import with_params

    return with_params(cls(), params)
