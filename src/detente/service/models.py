"""Models for the surfaces: the catalogue, and ``NAME=VALUE`` parameter options per model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ModelParameterError

# the registry (every model module) is imported inside the functions: `detente --help` and
# the commands that run no model never pay for it

__all__ = ["catalogue", "catalogue_model", "parse_params", "parse_single_params"]


def catalogue() -> list[dict[str, Any]]:
    """Every registered model: ``{"name", "reference", "parameters": {name: default}}``
    (``detente models`` and ``GET /models``). Defaults are the model's own values (not made
    JSON-ready; the API does that)."""
    from ..models.base import model_parameters
    from ..models.registry import MODELS

    out = []
    for name, cls in MODELS.items():
        inst = cls()
        out.append({"name": name, "reference": cls.reference,
                    "parameters": {p: getattr(inst, p) for p in model_parameters(cls)}})
    return out


def catalogue_model(name: str, params: Mapping[str, Any] | None = None) -> Any:
    """An instance of a registered model with ``params`` set (converted and checked).

    Raises
    ------
    UnknownModelError, ModelParameterError
    """
    from ..models.registry import get_model

    return get_model(name, **dict(params or {}))


def parse_params(items: Sequence[str], models: Sequence[str]) -> dict[str, dict[str, str]]:
    """Split ``NAME=VALUE`` / ``MODEL.NAME=VALUE`` options per model.

    A bare NAME applies to every selected model that declares it; it is an error when none does.

    Raises
    ------
    ModelParameterError
        Naming the option, and listing the parameters that exist.
    """
    from ..models.base import model_parameters
    from ..models.registry import MODELS

    out: dict[str, dict[str, str]] = {m: {} for m in models}
    for item in items:
        if "=" not in item:
            raise ModelParameterError(f"--param {item!r}: expected NAME=VALUE (e.g. rounds=10)")
        key, value = item.split("=", 1)
        key, value = key.strip(), value.strip()
        if "." in key:
            name, pname = key.split(".", 1)
            if name not in out:
                raise ModelParameterError(
                    f"--param {item!r}: model {name!r} is not selected; selected: {', '.join(models)}"
                )
            if pname not in model_parameters(MODELS[name]):
                valid = ", ".join(sorted(model_parameters(MODELS[name]))) or "(none)"
                raise ModelParameterError(
                    f"--param {item!r}: model {name!r} has no parameter {pname!r}; its parameters: {valid}"
                )
            out[name][pname] = value
            continue
        takers = [m for m in models if key in model_parameters(MODELS[m])]
        if not takers:
            declared = {m: sorted(model_parameters(MODELS[m])) for m in models}
            listing = "; ".join(f"{m}: {', '.join(p) or '(none)'}" for m, p in declared.items())
            raise ModelParameterError(
                f"--param {item!r}: no selected model has a parameter {key!r} ({listing})"
            )
        for m in takers:
            out[m][key] = value
    return out


def parse_single_params(items: Sequence[str] | None, example: str = "") -> dict[str, str]:
    """``NAME=VALUE`` options of one model (no model prefix), unchecked: the model checks them."""
    kw: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            hint = f" (e.g. {example})" if example else ""
            raise ModelParameterError(f"--param {item!r}: expected NAME=VALUE{hint}")
        k, v = item.split("=", 1)
        kw[k.strip()] = v.strip()
    return kw
