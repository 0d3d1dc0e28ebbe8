"""Request and response bodies of the REST API.

Scenarios travel as the library's own :class:`detente.scenario.schema.Scenario` (one schema,
not a copy); these models only wrap it with run options and describe the results. Limits that
depend on the server's configuration (maximum samples, runs ...) are checked by the app, not
here, so the same schema serves every deployment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from ..scenario.schema import Scenario
from ..service import simulation as service_protocols
from ..service.defaults import DEFAULTS

#: Simulator protocols: the choices of the simulator's registry (any name when it is absent).
_Protocol = Literal[service_protocols.protocol_names()] if service_protocols.protocol_names() else str

__all__ = [
    "BuiltinName",
    "ActorOut",
    "ErrorBody",
    "ForecastOut",
    "ForecastRequest",
    "ForecastResponse",
    "Health",
    "InfluenceRequest",
    "IssueOut",
    "JobAccepted",
    "JobOut",
    "ModelInfo",
    "MonteCarloRequest",
    "PositionOut",
    "Problem",
    "ReportRequest",
    "ScenarioInfo",
    "ScenarioOut",
    "ScenarioRef",
    "SensitivityRequest",
    "SimulateRequest",
    "SimulatorOptions",
    "TrackRequest",
    "ValidateResponse",
    "WhatIfRequest",
    "ZoneOut",
]

#: A built-in scenario's name (never a path: no slash, no leading dot).
BuiltinName = Annotated[
    str,
    Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$",
          description="a built-in scenario name, see GET /scenarios"),
]
#: A whole scenario, or the name of a built-in one. Documented with the Scenario schema but not
#: validated while the request is parsed (on the server's event loop): the worker process that
#: computes validates it (:func:`detente.api.tasks.request_scenario`), every problem located.
ScenarioRef = SkipValidation[Scenario | BuiltinName]
_ModelName = Annotated[str, Field(min_length=1, max_length=100)]
_ParamValue = str | int | float | bool | None
_Seed = Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)]  # strict: `true` is not seed 1
#: What-if changes (detente.service.whatif): "russia.territory.position=60", "without europe"
_Changes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=300)]],
    Field(default_factory=list, max_length=100,
          description="what-if changes applied to the scenario before the run, in order: 'PATH=VALUE' "
                      "(e.g. 'russia.territory.position=60', 'ukraine.veto=false', "
                      "'usa.threats[0].credibility=0.9') or 'without ACTOR'; see docs/api.md"),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """One problem with the input, located as precisely as the input allows."""

    source: str = Field("", description="the file or request part the input came from")
    location: str = Field("", description="e.g. 'line 12, positions[3]' or 'body.models[0]'")
    field: str = Field("", description="the field concerned")
    problem: str = Field(description="what is wrong, with the offending value and what is allowed")


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API (except the framework's plain 404/405)."""

    error: str = Field(description="error class, e.g. ScenarioError, UnknownModelError, LimitExceeded")
    message: str
    problems: list[Problem] = Field(default_factory=list)


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    capabilities: dict[str, bool] = Field(description="optional parts installed on this server")


class ScenarioInfo(BaseModel):
    name: str
    title: str


class ModelInfo(BaseModel):
    name: str
    label: str = Field(default="", description="short column label in tables")
    description: str = Field(default="", description="one line: what the model does")
    reference: str = Field(description="full citation")
    parameters: dict[str, Any] = Field(description="parameter name -> default value")


class ForecastRequest(_Body):
    """Run models on a scenario."""

    scenario: ScenarioRef
    models: list[_ModelName] | None = Field(
        default=None, max_length=50, description="registered model names; default: every model"
    )
    params: dict[_ModelName, dict[_ModelName, _ParamValue]] = Field(
        default_factory=dict, description="{model: {parameter: value}}"
    )
    seed: _Seed | None = Field(
        default=DEFAULTS.forecast_seed,
        description="seed for models that draw random numbers (model k gets child k of the seed); "
                    "null: fresh entropy, recorded in the answer's seed_entropy")
    tables: bool = Field(default=False, description="include each model's round-by-round tables")
    changes: _Changes


class ReportRequest(ForecastRequest):
    """Build the self-contained HTML report."""

    image_format: Literal["png", "svg"] = "png"


class ZoneOut(BaseModel):
    low: float | None
    high: float | None
    empty: bool
    clash: list[str]
    binding_low: str
    binding_high: str


class ForecastOut(BaseModel):
    model: str
    scenario: str
    issues: list[str]
    actors: list[str]
    reference: str
    outcome: dict[str, float | None] = Field(description="issue id -> forecast (null: no answer)")
    utilities: list[float | None] | None = Field(description="per actor (in `actors` order): utility of the outcome")
    params: dict[str, Any]
    diagnostics: dict[str, Any]
    notes: list[str]
    seed_entropy: int | None
    blocked_by: dict[str, list[str]] = Field(
        description="issue id -> binding actors whose red lines reject the forecast"
    )
    tables: dict[str, list[dict[str, Any]]] | None = None


class IssueOut(BaseModel):
    id: str
    name: str
    min: float
    max: float
    status_quo: float | None


class ActorOut(BaseModel):
    id: str
    name: str
    power: float
    present: bool
    veto: bool


class PositionOut(BaseModel):
    actor: str
    issue: str
    position: float
    salience: float


class ScenarioOut(BaseModel):
    name: str
    title: str
    issues: list[IssueOut]
    actors: list[ActorOut]
    positions: list[PositionOut]
    notes: list[str]


class ForecastResponse(BaseModel):
    """The forecast document (the same JSON as ``detente forecast --format json``)."""

    detente_version: str
    scenario: ScenarioOut
    issues: list[str]
    actors: list[str]
    seed_entropy: int | None = Field(description="the seed used; send it back as `seed` to repeat the run")
    zone_of_agreement: dict[str, ZoneOut]
    forecasts: list[ForecastOut]
    what_if: dict[str, Any] | None = Field(
        default=None, description="with `changes`: the changes and the difference from the base (the "
                                  "document of POST /whatif); the rest of the answer is the changed scenario's")
    notes: list[str] = Field(default_factory=list,
                             description="models left out of a multi-model forecast (over this "
                                         "server's budget, or refusing the scenario)")


class ValidateResponse(BaseModel):
    valid: Literal[True]
    scenario: Scenario
    notes: list[str] = Field(description="what the loader inferred (e.g. a CSV scale)")


_Noise = dict[
    Literal["position", "salience", "power", "red_line", "walk_away", "credibility"],
    Annotated[float, Field(ge=0, le=1e6)],
]


class SimulatorOptions(_Body):
    """Options of the negotiation simulator as a Monte Carlo model (``model: "simulator"``);
    see :class:`detente.uncertainty.simulator.SimulatorModel`."""

    protocol: _Protocol = Field(default="summit", description=service_protocols.protocol_help())  # type: ignore[valid-type]
    strategies: (Annotated[str, Field(min_length=1, max_length=500)]
                 | Annotated[list[list[_ModelName]], Field(min_length=1, max_length=100)]) = Field(
        default="mix", description="'mix' (every ordered pair of the five NegMAS strategies), comma-separated "
                                   "names (one per negotiator, or one for all), or a list of such lists")
    steps: Annotated[int, Field(ge=1, le=10_000, strict=True)] = DEFAULTS.steps
    levels: Annotated[int, Field(ge=2, le=20, strict=True)] = DEFAULTS.levels
    walk_away: bool | None = Field(default=None, description="default: on for the summit, off otherwise")
    walk_patience: Annotated[float, Field(ge=0, le=1)] = 0.5
    audience_cost: Annotated[float, Field(ge=0, le=1e6)] = 0.5


class MonteCarloRequest(_Body):
    """Forecast distribution and deal probability over uncertain inputs."""

    scenario: ScenarioRef
    model: _ModelName = Field(default=DEFAULTS.uncertainty_model,
                              description="a registered model, or 'simulator': every draw negotiated")
    params: dict[_ModelName, _ParamValue] = Field(default_factory=dict)
    simulator: SimulatorOptions | None = Field(default=None, description="options of model 'simulator'")
    draws: Annotated[int, Field(ge=1, strict=True, description="number of draws (capped by the server)")] = DEFAULTS.draws
    noise: _Noise | None = Field(
        default=None, description="expert noise per kind of input; default position 10, salience 0.2")
    firmness: Annotated[float, Field(ge=0, le=1, description=(
        "probability that a red line (or an absent veto holder's consent) without a firmness "
        "of its own binds in a draw; 1 = hard red lines; default: fitted on the case library"))] | None = None
    seed: _Seed | None = None
    changes: _Changes


class SensitivityRequest(_Body):
    """A Sobol (or Morris) sensitivity analysis, run as a background job."""

    scenario: ScenarioRef
    model: _ModelName = DEFAULTS.uncertainty_model
    params: dict[_ModelName, _ParamValue] = Field(default_factory=dict)
    samples: Annotated[int, Field(ge=1, strict=True, description="base sample size N (capped by the server)")] = DEFAULTS.samples
    method: Literal["sobol", "morris"] = "sobol"
    noise: _Noise | None = Field(
        default=None, description="expert noise per kind of input; default position 10, salience 0.2")
    firmness: Annotated[float, Field(ge=0, le=1, description=(
        "probability that a red line (or an absent veto holder's consent) without a firmness "
        "of its own binds in a draw; 1 = hard red lines; default: fitted on the case library"))] | None = None
    seed: _Seed | None = None


class SimulateRequest(_Body):
    """Simulated negotiations; big batches run as a background job."""

    scenario: ScenarioRef
    runs: Annotated[int, Field(ge=1, strict=True, description="number of negotiations (capped by the server)")] = DEFAULTS.runs
    protocol: _Protocol | None = Field(  # type: ignore[valid-type]
        default=DEFAULTS.protocol,
        description=f"{service_protocols.protocol_help()}; default: summit for a scenario with stages, else alternating")
    strategies: list[_ModelName] | None = Field(
        default=None, max_length=20,
        description="one strategy per negotiator, or one for all; default: 'mix', every ordered pair of "
                    "the five NegMAS strategies")
    steps: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=DEFAULTS.steps, description="deadline in steps per bargaining stage")
    seed: _Seed | None = None
    changes: _Changes


class JobAccepted(BaseModel):
    job_id: str
    status_url: str


class JobOut(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed", "timed_out"]
    progress: float | None = Field(description="0..1 where the job reports it")
    created: str
    started: str | None
    finished: str | None
    elapsed_s: float
    result: Any | None = None
    error: ErrorBody | None = None


class WhatIfRequest(_Body):
    """Forecast a scenario and a changed copy with the same models and seed, and compare."""

    scenario: ScenarioRef
    changes: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=300)]],
        Field(min_length=1, max_length=100, description="what-if changes, in order (see ForecastRequest)"),
    ]
    models: list[_ModelName] | None = Field(
        default=None, max_length=50, description="registered model names; default: every model")
    params: dict[_ModelName, dict[_ModelName, _ParamValue]] = Field(default_factory=dict)
    seed: _Seed | None = Field(default=DEFAULTS.forecast_seed, description="as for POST /forecast")


class DealRequest(_Body):
    """The calibrated deal probability of a scenario, after optional what-if changes."""

    scenario: ScenarioRef
    changes: _Changes
    seed: _Seed | None = Field(default=DEFAULTS.forecast_seed, description="as for POST /forecast")


class InfluenceRequest(_Body):
    """Who to persuade: each actor's smallest move that opens a zone of agreement or brings a deal."""

    scenario: ScenarioRef
    models: list[_ModelName] | None = Field(
        default=None, max_length=10,
        description="models scoring the moves; default: weighted_mean and weighted_median")
    grid: Annotated[int, Field(ge=2, le=1000, strict=True)] = Field(
        default=DEFAULTS.influence_grid, description="position steps over each scale (100: 1% steps)")
    seed: _Seed | None = Field(default=DEFAULTS.forecast_seed, description="as for POST /forecast")


class TrackRequest(_Body):
    """Forecasts over time of a tracked scenario (a built-in track, or a track given whole)."""

    track: BuiltinName | dict[str, Any] = Field(
        description="a built-in track name (GET /tracks) or a track: {name, title, base, versions, outcome}; "
                    "its base is a built-in scenario name or a whole scenario")
    models: list[_ModelName] | None = Field(
        default=None, max_length=50, description="registered model names; default: every model")
    seed: _Seed | None = Field(default=DEFAULTS.forecast_seed, description="as for POST /forecast")
