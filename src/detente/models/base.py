"""The model interface (a Protocol, no base class) and parameter handling."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import numpy as np

from ..errors import ModelParameterError

__all__ = ["Model", "ModelClass", "model_parameters", "parse_param_value", "with_params"]


@runtime_checkable
class Model(Protocol):
    """What every forecasting model is: a frozen dataclass of parameters plus ``forecast``."""

    name: ClassVar[str]
    reference: ClassVar[str]

    def forecast(self, scenario: Any, *, rng: np.random.Generator | None = None) -> Any: ...

    def forecast_arrays(self, arrays: Any, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outcome (..., n_issues) for ScenarioArrays with leading batch axes on position,
        salience and power; the batched path Monte Carlo and sensitivity use."""
        ...


#: a registered model class (what :data:`detente.models.registry.MODELS` maps names to)
ModelClass = type[Model]


def model_parameters(cls: type) -> dict[str, dataclasses.Field]:
    """The declared parameters of a model class (its dataclass fields)."""
    return {f.name: f for f in dataclasses.fields(cls)}


def _type_of(cls: type, name: str) -> Any:
    hints = typing.get_type_hints(cls)
    return hints.get(name, Any)


def parse_param_value(cls: ModelClass, name: str, value: Any) -> Any:
    """Convert ``value`` (often a CLI string) to the declared type of parameter ``name``.

    Raises
    ------
    ModelParameterError
        Naming the model, the parameter, the value and what is allowed.
    """
    params = model_parameters(cls)
    if name not in params:
        valid = ", ".join(sorted(params)) or "(none)"
        raise ModelParameterError(
            f"model {cls.name!r} has no parameter {name!r}; its parameters are: {valid}"
        )
    tp = _type_of(cls, name)
    return _coerce(cls.name, name, tp, value)


def _coerce(model: str, name: str, tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    bad = f"model {model!r}: parameter {name!r}"
    if origin is Literal:
        for a in args:
            if value == a or (isinstance(value, str) and str(a) == value):
                return a
        raise ModelParameterError(f"{bad}: {value!r} is not one of {', '.join(map(repr, args))}")
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in args:
                return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(model, name, a, value)
            except ModelParameterError as e:
                errors.append(str(e))
        raise ModelParameterError(errors[-1] if errors else f"{bad}: bad value {value!r}")
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
            return False
        raise ModelParameterError(f"{bad}: {value!r} is not a boolean (true/false)")
    if tp is int:
        if isinstance(value, bool):
            raise ModelParameterError(f"{bad}: {value!r} is not an integer")
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise ModelParameterError(f"{bad}: {value!r} is not an integer") from None
        if not f.is_integer():
            raise ModelParameterError(f"{bad}: {value!r} is not an integer")
        return int(f)
    if tp is float:
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise ModelParameterError(f"{bad}: {value!r} is not a number") from None
        if not np.isfinite(f):
            raise ModelParameterError(f"{bad}: {value!r} is not a finite number")
        return f
    if tp is str:
        return str(value)
    return value


def with_params(model: Any, params: dict[str, Any]) -> Any:
    """A copy of ``model`` with parameters set (values converted and validated)."""
    cls = type(model)
    changes = {k: parse_param_value(cls, k, v) for k, v in params.items()}
    try:
        return dataclasses.replace(model, **changes)
    except (TypeError, ValueError) as e:
        if isinstance(e, ModelParameterError):
            raise
        raise ModelParameterError(f"model {cls.name!r}: {e}") from None
