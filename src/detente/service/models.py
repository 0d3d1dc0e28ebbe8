"""Models for the surfaces: the catalogue, and ``NAME=VALUE`` parameter options per model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ModelParameterError

# the registry (every model module) is imported inside the functions: `detente --help` and
# the commands that run no model never pay for it

__all__ = ["MODEL_LABELS", "catalogue", "catalogue_model", "describe_model", "model_entry",
           "model_label", "parse_params", "parse_single_params"]

#: Short column labels of the models in narrow tables (the CLI's forecast table; the legend
#: under the table spells each one out). Expected utility is exp.util, never EU: scenarios
#: have actors called EU.
MODEL_LABELS: dict[str, str] = {
    "weighted_mean": "mean",
    "weighted_median": "median",
    "nash": "nash",
    "exchange": "exchange",
    "expected_utility": "exp.util",
    "ktab_smp": "SMP",
}


def model_label(name: str) -> str:
    """The short label of a model in tables (its name when it has none)."""
    return MODEL_LABELS.get(name, name)


def describe_model(cls: type) -> str:
    """A model's one-line description: the first line of its class docstring."""
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def catalogue() -> list[dict[str, Any]]:
    """Every registered model: ``{"name", "label", "description", "reference", "parameters":
    {name: default}}`` (``detente models`` and ``GET /models``). ``description`` is one line;
    ``label`` the short column label of tables. Defaults are the model's own values (not made
    JSON-ready; the API does that).

    A built-in model not imported yet is listed from :mod:`detente.models._catalogue` (written
    from the classes; a test keeps it in step), so listing the models imports none of them.
    """
    from ..models._catalogue import CATALOGUE
    from ..models.registry import MODELS

    out = []
    for name in MODELS:
        static = CATALOGUE.get(name) if MODELS.is_pending(name) else None
        entry = static if static is not None else model_entry(MODELS[name])
        out.append({"name": name, "label": model_label(name), "description": entry["description"],
                    "reference": entry["reference"], "parameters": dict(entry["parameters"])})
    return out


def model_entry(cls: type) -> dict[str, Any]:
    """A model class's catalogue entry: its one-line description, citation and defaults."""
    from ..models.base import model_parameters

    inst = cls()
    return {"description": describe_model(cls), "reference": cls.reference,  # type: ignore[attr-defined]
            "parameters": {p: getattr(inst, p) for p in model_parameters(cls)}}


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
