"""How uncertain inputs are written down: the typed ``uncertainty`` section of a scenario.

The section lives inline under a top-level ``uncertainty:`` key of a scenario file (parsed once,
with the rest of the scenario, into :class:`UncertaintySpec`) or in its own YAML/JSON file
(:func:`detente.uncertainty.load_uncertainty`)::

    uncertainty:
      noise: {position: 10, salience: 0.2}        # global "expert noise" (optional)
      inputs:
        - {field: position, actor: russia, issue: territory, dist: normal, sd: 10}
        - {field: salience, actor: usa, issue: ceasefire, dist: beta, a: 8, b: 2}
        - {field: power, actor: usa, dist: triangular, low: 80, mode: 100, high: 120}
        - {field: red_line.min, actor: russia, issue: territory, dist: uniform, low: 55, high: 80}
        - {field: walk_away, actor: usa, dist: discrete, values: [0.4, 0.55, 0.7], weights: [1, 2, 1]}
        - {field: walk_away, actor: usa, issue: territory, dist: normal, sd: 5}   # position form
        - {field: credibility, threat: 0, dist: uniform, low: 0.2, high: 0.8}

Uncertain fields: ``position``, ``salience`` (actor, issue); ``power`` (actor);
``red_line.min``/``red_line.max`` (actor, issue: an existing red line); ``walk_away`` (actor;
with ``issue`` for a walk-away given as positions); ``credibility`` (``threat``: index, or
``issuer`` and ``target``). Semantic checks against the scenario (ids, ranges, parameters) are
done in :func:`detente.uncertainty.perturb.build_perturbation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..errors import ScenarioError

__all__ = [
    "FIXED_NUMERIC_FIELDS",
    "NON_NUMERIC_FIELDS",
    "NUMERIC_FIELDS",
    "InputSpec",
    "NoiseSpec",
    "UncertaintySpec",
    "uncertainty_from_data",
]

#: canonical uncertain field names and the aliases accepted for them
NUMERIC_FIELDS: dict[str, str] = {
    "position": "position",
    "salience": "salience",
    "power": "power",
    "red_line.min": "red_line.min",
    "red_line.max": "red_line.max",
    "red_line_min": "red_line.min",
    "red_line_max": "red_line.max",
    "walk_away": "walk_away",
    "walk_away.utility": "walk_away",
    "credibility": "credibility",
    "threat.credibility": "credibility",
    "threat_credibility": "credibility",
}
#: scenario fields that exist but are not numeric (a distribution on them is an error)
NON_NUMERIC_FIELDS = frozenset(
    {"present", "veto", "kind", "name", "id", "title", "description", "delegation", "source",
     "sources", "stages", "members", "label", "unit", "date", "outcome", "min_label", "max_label"}
)
#: numeric fields that no batched model reads yet
FIXED_NUMERIC_FIELDS = frozenset(
    {"status_quo", "scale.min", "scale.max", "cost_to_target", "cost_to_issuer", "weight"}
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


NOISE_CAPS = {
    "position": 1e15, "red_line": 1e15,  # scale points; keeps every draw finite and exact-ish
    "salience": 100.0, "power": 100.0,   # relative: 100 = 10,000 % of the value
    "walk_away": 100.0, "credibility": 100.0,  # utilities on [0, 1]
}
"""The largest expert noise accepted per kind (refused with a clear error above it)."""
RELATIVE_NOISE_CAP = 100.0


class NoiseSpec(_Frozen):
    """Global "expert noise": one distribution around every value of a kind of field.

    With ``shape="normal"`` each number is the standard deviation, with ``shape="uniform"``
    the half-width. ``position``, ``red_line`` and walk-away positions are in scale points
    (with ``relative=True``: fractions of each issue's scale width, so a 0-20 and a 0-20,000
    scale get the same relative noise);
    ``salience`` and ``power`` are relative (0.2 = 20 % of the value); ``walk_away`` (utility)
    and ``credibility`` are absolute on [0, 1]. Zero switches a kind off.
    """

    position: float = Field(default=0.0, ge=0.0)
    salience: float = Field(default=0.0, ge=0.0)
    power: float = Field(default=0.0, ge=0.0)
    red_line: float = Field(default=0.0, ge=0.0)
    walk_away: float = Field(default=0.0, ge=0.0)
    credibility: float = Field(default=0.0, ge=0.0)
    shape: Literal["normal", "uniform"] = "normal"
    relative: bool = Field(
        default=False,
        description="position, red_line and walk-away positions as fractions of each issue's "
        "scale width (0.1 = a tenth of the scale) instead of scale points",
    )

    @field_validator("position", "salience", "power", "red_line", "walk_away", "credibility")
    @classmethod
    def _finite(cls, v: float, info: ValidationInfo) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"must be a finite number (got {v})")
        cap = NOISE_CAPS[info.field_name or ""]
        if v > cap:  # 1e308 would overflow every draw to inf; nothing useful lies beyond
            raise ValueError(f"{v:g} is too large (at most {cap:g})")
        return v

    @model_validator(mode="after")
    def _relative_cap(self) -> NoiseSpec:
        for f in ("position", "red_line"):
            if self.relative and getattr(self, f) > RELATIVE_NOISE_CAP:
                raise ValueError(
                    f"{f}: {getattr(self, f):g} is too large for relative noise (at most "
                    f"{RELATIVE_NOISE_CAP:g} scale widths)")
        return self

    @property
    def active(self) -> bool:
        return any(
            getattr(self, f) > 0
            for f in ("position", "salience", "power", "red_line", "walk_away", "credibility")
        )


class InputSpec(_Frozen):
    """One uncertain input: which number, and its distribution.

    Parameters by ``dist``: ``normal`` (``sd``; ``mean`` defaults to the scenario's value;
    ``low``/``high`` default to the field's valid range), ``uniform`` (``low``, ``high``),
    ``triangular`` (``low``, ``mode`` (default: the scenario's value), ``high``), ``beta``
    (``a``, ``b`` > 0, on [``low``, ``high``]), ``discrete`` (``values``, optional
    ``weights``). Missing ``low``/``high`` default to the field's valid range.
    """

    field: str
    actor: str | None = None
    issue: str | None = None
    threat: int | None = Field(default=None, ge=0)
    issuer: str | None = None
    target: str | None = None
    dist: Literal["normal", "uniform", "triangular", "beta", "discrete"]
    mean: float | None = None
    sd: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    a: float | None = None
    b: float | None = None
    values: list[float] | None = None
    weights: list[float] | None = None
    source: str = ""


class UncertaintySpec(_Frozen):
    """The uncertainty of a scenario: expert noise and/or explicit inputs.

    An explicit input replaces the expert noise on the same number.
    """

    noise: NoiseSpec | None = None
    inputs: list[InputSpec] = Field(default_factory=list)
    source: str = ""

    def with_noise(self, noise: NoiseSpec | Mapping[str, Any] | None) -> UncertaintySpec:
        """A copy whose expert noise is ``noise`` (when given)."""
        if noise is None:
            return self
        if not isinstance(noise, NoiseSpec):
            noise = _validate(NoiseSpec, dict(noise), self.source, "uncertainty.noise")
        return self.model_copy(update={"noise": noise})


def _loc(loc: tuple) -> str:
    s = ""
    for p in loc:
        s += f"[{p}]" if isinstance(p, int) else ("." if s else "") + str(p)
    return s


def _validate(cls, data: Any, source: str, prefix: str):
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            field = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
            where = _loc(loc[:-1]) if field else _loc(loc)
            location = ".".join(p for p in (prefix, where) if p)
            got = err.get("input")
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if err.get("type") == "extra_forbidden":
                msg = "unknown key"
            problems.append(
                ScenarioError(f"{msg} (got {got!r})", source=source, location=location, field=field)
            )
        if len(problems) == 1:
            raise problems[0] from None
        raise ScenarioError(f"{len(problems)} problems in the uncertainty section", source=source,
                            problems=problems) from None


def uncertainty_from_data(data: Any, *, source: str = "<data>") -> UncertaintySpec:
    """Validate plain data (the value of an ``uncertainty:`` key, or a whole file holding it)."""
    if isinstance(data, UncertaintySpec):
        return data
    if isinstance(data, Mapping) and "uncertainty" in data and len(data) == 1:
        data = data["uncertainty"]
    if isinstance(data, list):
        data = {"inputs": data}
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"must be a mapping with keys 'noise' and/or 'inputs' (got {type(data).__name__})",
            source=source, location="uncertainty",
        )
    return _validate(UncertaintySpec, {**dict(data), "source": source}, source, "uncertainty")
