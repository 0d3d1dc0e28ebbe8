"""The scenario schema: the one input every model, simulator and report reads.

A :class:`Scenario` is a frozen pydantic (v2) model. Cross-references (actor and issue ids),
scales, red lines and weights are checked in one pass that collects *every* problem, so a user
sees all of them at once (see :func:`detente.scenario.load.load_scenario`).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import known_list
from .stages import stage_problems
from .uncertainty import UncertaintySpec

__all__ = [
    "Actor",
    "CaseInfo",
    "DelegationMember",
    "Issue",
    "IssueOutcome",
    "Outcome",
    "Position",
    "RedLine",
    "SCENARIO_COLUMNS",
    "Scale",
    "Scenario",
    "Stage",
    "StageParticipant",
    "Threat",
    "WalkAway",
]

_ID = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]


def _finite(v: float, what: str = "value") -> float:
    if v is None:
        return v
    if not math.isfinite(v):
        raise ValueError(f"must be a finite number (got {v})")
    return v


def _probability(v: float | None) -> float | None:
    """A probability in [0, 1] (None passes: the fitted default applies)."""
    if v is None:
        return v
    if isinstance(v, bool) or not math.isfinite(v) or not 0.0 <= v <= 1.0:
        raise ValueError("must lie in [0, 1]")
    return float(v)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class DelegationMember(_Frozen):
    """A member of an actor's delegation (a leader or an adviser)."""

    id: _ID
    name: str = ""
    role: str = ""
    weight: float = Field(ge=0.0, le=1.0, description="internal influence; members' weights sum to 1")
    positions: dict[str, float] = Field(
        default_factory=dict,
        description="issue id -> the member's own position, where it differs from the actor's",
    )
    sources: list[str] = Field(default_factory=list)

    @field_validator("weight")
    @classmethod
    def _w_finite(cls, v: float) -> float:
        return _finite(v)


class Actor(_Frozen):
    """A party to the negotiation, at the table or absent but holding a stake."""

    id: _ID
    name: str = ""
    kind: Literal["state", "organisation", "person", "group"] = "state"
    power: float = Field(ge=0.0, description="capability (any non-negative scale)")
    present: bool = True
    veto: bool = Field(
        default=False,
        description="an absent actor whose consent a deal needs (its red lines bind)",
    )
    veto_firmness: float | None = Field(
        default=None,
        description=(
            "probability in [0, 1] that an absent veto holder's consent binds in a Monte Carlo "
            "draw (its red lines then bind as red lines do); None = the fitted default"
        ),
    )
    delegation: list[DelegationMember] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @field_validator("power")
    @classmethod
    def _p_finite(cls, v: float) -> float:
        return _finite(v)

    @field_validator("veto_firmness")
    @classmethod
    def _vf_range(cls, v: float | None) -> float | None:
        return _probability(v)

    @model_validator(mode="after")
    def _delegation_weights(self) -> Actor:
        if self.veto_firmness is not None and not self.veto:
            raise ValueError(
                f"veto_firmness is set ({self.veto_firmness:g}) but actor {self.id!r} holds no "
                "veto; set veto: true or remove veto_firmness"
            )
        if self.delegation:
            total = sum(m.weight for m in self.delegation)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(
                    f"delegation weights must sum to 1 (got {total:g} for actor {self.id!r})"
                )
            ids = [m.id for m in self.delegation]
            dup = sorted(k for k, c in Counter(ids).items() if c > 1)
            if dup:
                raise ValueError(f"duplicate delegation member ids {dup} in actor {self.id!r}")
        return self

    @property
    def label(self) -> str:
        return self.name or self.id


class Scale(_Frozen):
    """An issue's own scale: positions live on it and models answer on it."""

    min: float
    max: float
    min_label: str = ""
    max_label: str = ""

    @field_validator("min", "max")
    @classmethod
    def _s_finite(cls, v: float) -> float:
        return _finite(v)

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not self.max > self.min:
            raise ValueError(f"scale max must be greater than min (got min={self.min}, max={self.max})")
        return self


class Issue(_Frozen):
    """One dimension of the negotiation."""

    id: _ID
    name: str = ""
    scale: Scale
    status_quo: float | None = Field(default=None, description="reference point on the scale")
    unit: str = ""
    description: str = ""
    sources: list[str] = Field(default_factory=list)

    @field_validator("status_quo")
    @classmethod
    def _sq_finite(cls, v: float | None) -> float | None:
        return _finite(v) if v is not None else v

    @property
    def label(self) -> str:
        return self.name or self.id


class Position(_Frozen):
    """Where an actor stands on an issue and how much it cares."""

    actor: str
    issue: str
    position: float
    salience: float = Field(ge=0.0, le=1.0)
    source: str = ""

    @field_validator("position", "salience")
    @classmethod
    def _pos_finite(cls, v: float) -> float:
        return _finite(v)


class RedLine(_Frozen):
    """The interval of outcomes an actor accepts on an issue; a deal outside it is rejected."""

    actor: str
    issue: str
    min: float
    max: float
    firmness: float | None = Field(
        default=None,
        description=(
            "probability in [0, 1] that the red line binds in a Monte Carlo draw (1 = a hard "
            "line, lower = partly a bargaining posture); None = the fitted default"
        ),
    )
    source: str = ""

    @field_validator("min", "max")
    @classmethod
    def _rl_finite(cls, v: float) -> float:
        return _finite(v)

    @field_validator("firmness")
    @classmethod
    def _rl_firmness(cls, v: float | None) -> float | None:
        return _probability(v)

    @model_validator(mode="after")
    def _nonempty(self) -> RedLine:
        if self.min > self.max:
            raise ValueError(
                f"red-line interval is empty: min {self.min} > max {self.max}"
            )
        return self


class WalkAway(_Frozen):
    """An actor's value of no deal (BATNA): a utility in [0, 1] or a position per issue."""

    actor: str
    utility: float | None = Field(default=None, ge=0.0, le=1.0)
    positions: dict[str, float] = Field(default_factory=dict)
    source: str = ""

    @model_validator(mode="after")
    def _one_form(self) -> WalkAway:
        if (self.utility is None) == (not self.positions):
            raise ValueError("give exactly one of 'utility' (in [0, 1]) or 'positions' (issue -> value)")
        return self


class Threat(_Frozen):
    """A threat: what the issuer says it will do if the target does not agree."""

    issuer: str
    target: str
    description: str = ""
    cost_to_target: float = Field(ge=0.0, le=1.0, description="utility the target loses if carried out")
    cost_to_issuer: float = Field(ge=0.0, le=1.0, description="utility the issuer loses if carried out")
    credibility: float = Field(ge=0.0, le=1.0)
    source: str = ""


class StageParticipant(_Frozen):
    """An actor in a stage, and which of its delegation members sit in."""

    actor: str
    members: list[str] = Field(
        default_factory=list, description="delegation member ids in the room; empty = the whole delegation"
    )


class Stage(_Frozen):
    """One meeting stage, in order."""

    id: _ID
    name: str = ""
    kind: Literal["bargaining", "press_conference"] = "bargaining"
    participants: list[StageParticipant] = Field(min_length=1)
    max_steps: int | None = Field(default=None, gt=0, le=1_000_000,
                                  description="deadline of this stage in steps (at most 1,000,000, "
                                              "the simulator's cap)")
    final: bool | None = Field(
        default=None,
        description="whether a deal at this bargaining stage ends the summit (true) or is provisional, to be "
                    "confirmed by a later stage that seats its actors (false); default: provisional when a later "
                    "bargaining stage seats every actor of this one and more, else final")
    description: str = ""
    sources: list[str] = Field(default_factory=list)


class IssueOutcome(_Frozen):
    """The real outcome on one issue (for backtesting only)."""

    issue: str
    value: float
    low: float | None = None
    high: float | None = None
    note: str = ""
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _range(self) -> IssueOutcome:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise ValueError(f"outcome range must contain the value (got low={lo}, value={self.value}, high={hi})")
        return self


class CaseInfo(_Frozen):
    """How a library case was coded (``cases/``): its kind, horizon and the coder's confidence.

    Everything here is known before the negotiation ends; the result lives in ``outcome``.
    A scenario with a ``case`` block is a library case, and its ``outcome`` must then give the
    date and whether a deal was reached (see ``cases/CODING.md``).
    """

    kind: Literal["summit", "peace", "trade", "multilateral", "eu_coalition"]
    horizon: str = Field(min_length=1, description="when the forecast is judged, in words")
    horizon_date: str = Field(description="the horizon as an ISO date (YYYY-MM-DD)")
    confidence: Literal["high", "medium", "low"] = Field(
        default="medium", description="the coder's confidence in the inputs (not the outcome)"
    )
    coder: str = ""
    coded_on: str = ""
    notes: str = ""

    @field_validator("horizon_date")
    @classmethod
    def _iso(cls, v: str) -> str:
        return _iso_date(v)


def _iso_date(v: str) -> str:
    import datetime as _dt

    try:
        _dt.date.fromisoformat(v)
    except (TypeError, ValueError):
        raise ValueError(f"must be a date written YYYY-MM-DD (got {v!r})") from None
    return v


class Outcome(_Frozen):
    """What really happened. Never read by a forecast."""

    date: str = ""
    deal: bool | None = None
    summary: str = ""
    issues: list[IssueOutcome] = Field(default_factory=list)
    ex_ante: Literal["yes", "no", "unknown"] = "unknown"
    confidence: Literal["high", "medium", "low"] = "medium"
    sources: list[str] = Field(default_factory=list)


class Scenario(_Frozen):
    """A negotiation: actors, issues, positions and everything around them.

    Build one with :func:`detente.load_scenario` (files, built-in names) or directly; both
    paths run the same validation.
    """

    name: _ID
    title: str = ""
    description: str = ""
    date: str = ""
    actors: list[Actor] = Field(min_length=1)
    issues: list[Issue] = Field(min_length=1)
    positions: list[Position] = Field(min_length=1)
    red_lines: list[RedLine] = Field(default_factory=list)
    walk_away: list[WalkAway] = Field(default_factory=list)
    threats: list[Threat] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)
    outcome: Outcome | None = None
    case: CaseInfo | None = Field(
        default=None, description="coding record of a case-library scenario (cases/CODING.md)"
    )
    uncertainty: UncertaintySpec | None = Field(
        default=None,
        description="uncertain inputs (distributions, expert noise); see docs/uncertainty.md",
    )
    notes: list[str] = Field(
        default_factory=list, description="what the loader inferred (e.g. a scale from the data)"
    )
    sources: list[str] = Field(default_factory=list)

    @field_validator("uncertainty", mode="before")
    @classmethod
    def _uncertainty_forms(cls, v: Any) -> Any:
        # the section may be written as a bare list of inputs, as in a stand-alone file
        if isinstance(v, list):
            return {"inputs": v}
        return v

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = list(_cross_problems(self))
        if problems:
            # pydantic wraps this as one error per problem via the loader's translator
            raise ValueError("\n".join(f"{loc}|{msg}" for loc, msg in problems))
        return self

    # convenience -------------------------------------------------------------------------
    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.issues)

    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def arrays(self):
        """The scenario as read-only float64 arrays in fixed actor/issue order."""
        from .arrays import ScenarioArrays

        return ScenarioArrays.from_scenario(self)

    def without_outcome(self) -> Scenario:
        """A copy with the real outcome removed (what a forecast is allowed to see)."""
        return self.model_copy(update={"outcome": None})

    def to_frame(self) -> Any:
        """The positions table, tidy: one row per position (actor x issue), in file order.

        Columns: ``scenario, actor, actor_name, power, present, veto, issue, issue_name,
        scale_min, scale_max, position, salience, red_min, red_max`` (``red_min``/``red_max``
        NaN where the actor states no red line on the issue). pandas is imported here only.

        Example
        -------
        >>> sc = detente.load_scenario("alaska-2025")
        >>> sc.to_frame().pivot(index="actor_name", columns="issue_name", values="position")
        """
        import pandas as pd

        actors = {a.id: a for a in self.actors}
        issues = {i.id: i for i in self.issues}
        red = {(r.actor, r.issue): r for r in self.red_lines}
        rows = []
        for p in self.positions:
            a, i, r = actors[p.actor], issues[p.issue], red.get((p.actor, p.issue))
            rows.append((self.name, a.id, a.label, a.power, a.present, a.veto, i.id, i.label,
                         i.scale.min, i.scale.max, p.position, p.salience,
                         math.nan if r is None else r.min, math.nan if r is None else r.max))
        return pd.DataFrame(rows, columns=list(SCENARIO_COLUMNS))


#: columns of :meth:`Scenario.to_frame`
SCENARIO_COLUMNS = ("scenario", "actor", "actor_name", "power", "present", "veto", "issue", "issue_name",
                    "scale_min", "scale_max", "position", "salience", "red_min", "red_max")


def _cross_problems(s: Scenario):
    """Yield (location, message) for every cross-reference problem of a scenario."""
    seen: dict[str, int] = {}
    for k, a in enumerate(s.actors):
        if a is None:
            continue
        if a.id in seen:
            yield f"actors[{k}].id", f"duplicate actor id {a.id!r} (first used by actors[{seen[a.id]}])"
        else:
            seen[a.id] = k
    issues: dict[str, Issue] = {}
    for k, i in enumerate(s.issues):
        if i is None:
            continue
        if i.id in issues:
            yield f"issues[{k}].id", f"duplicate issue id {i.id!r}"
        else:
            issues[i.id] = i
        if i.status_quo is not None and not i.scale.min <= i.status_quo <= i.scale.max:
            yield (
                f"issues[{k}].status_quo",
                f"{i.status_quo} is outside the issue's scale [{i.scale.min}, {i.scale.max}]",
            )
    actors = {a.id: a for a in s.actors if a is not None}
    if actors and len(actors) == len(s.actors) and sum(a.power for a in actors.values()) <= 0:
        yield "actors", "power is zero for every actor; at least one actor needs power > 0"

    def _ref(loc: str, actor: str | None = None, issue: str | None = None):
        if actor is not None and actor not in actors:
            yield f"{loc}.actor", f"unknown actor id {actor!r}; known: {known_list(actors)}"
        if issue is not None and issue not in issues:
            yield f"{loc}.issue", f"unknown issue id {issue!r}; known: {known_list(issues)}"

    pairs: dict[tuple[str, str], int] = {}
    weight_on_issue: dict[str, float] = {i: 0.0 for i in issues}
    for k, p in enumerate(s.positions):
        if p is None:
            continue
        loc = f"positions[{k}]"
        bad = list(_ref(loc, p.actor, p.issue))
        yield from bad
        if bad:
            continue
        key = (p.actor, p.issue)
        if key in pairs:
            yield loc, f"duplicate position for actor {p.actor!r} on issue {p.issue!r} (also positions[{pairs[key]}])"
        pairs[key] = k
        sc = issues[p.issue].scale
        if not sc.min <= p.position <= sc.max:
            yield (
                f"{loc}.position",
                f"{p.position} is outside issue {p.issue!r}'s scale [{sc.min}, {sc.max}]",
            )
        weight_on_issue[p.issue] += actors[p.actor].power * p.salience
    issue_index = {i.id: j for j, i in reversed(list(enumerate(s.issues))) if i is not None}
    for iid, total in weight_on_issue.items():
        if total <= 0:
            k = issue_index[iid]  # a dict, not a scan per issue: 20,000 issues stay linear
            yield (
                f"issues[{k}]",
                f"no actor has a position with power x salience > 0 on issue {iid!r}",
            )
    for k, r in enumerate(s.red_lines):
        if r is None:
            continue
        loc = f"red_lines[{k}]"
        bad = list(_ref(loc, r.actor, r.issue))
        yield from bad
        if bad:
            continue
        sc = issues[r.issue].scale
        if r.max < sc.min or r.min > sc.max:
            yield loc, f"red-line interval [{r.min}, {r.max}] does not meet issue {r.issue!r}'s scale [{sc.min}, {sc.max}]"
    for k, w in enumerate(s.walk_away):
        if w is None:
            continue
        loc = f"walk_away[{k}]"
        yield from _ref(loc, w.actor)
        for iid, v in w.positions.items():
            if iid not in issues:
                yield f"{loc}.positions.{iid}", f"unknown issue id {iid!r}; known: {known_list(issues)}"
            elif not issues[iid].scale.min <= v <= issues[iid].scale.max:
                sc = issues[iid].scale
                yield f"{loc}.positions.{iid}", f"{v} is outside the issue's scale [{sc.min}, {sc.max}]"
    for k, t in enumerate(s.threats):
        if t is None:
            continue
        loc = f"threats[{k}]"
        for fld, ref in (("issuer", t.issuer), ("target", t.target)):
            if ref not in actors:
                yield f"{loc}.{fld}", f"unknown actor id {ref!r}; known: {known_list(actors)}"
    stage_ids: set[str] = set()
    for k, st in enumerate(s.stages):
        if st is None:
            continue
        if st.id in stage_ids:
            yield f"stages[{k}].id", f"duplicate stage id {st.id!r}"
        stage_ids.add(st.id)
        for j, part in enumerate(st.participants):
            loc = f"stages[{k}].participants[{j}]"
            if part.actor not in actors:
                yield f"{loc}.actor", f"unknown actor id {part.actor!r}; known: {known_list(actors)}"
                continue
            members = {m.id for m in actors[part.actor].delegation}
            for mid in part.members:
                if mid not in members:
                    yield f"{loc}.members", f"unknown delegation member {mid!r} of actor {part.actor!r}; known: {known_list(sorted(members))}"
    if all(st is not None for st in s.stages) and all(a is not None for a in s.actors):
        yield from stage_problems(s.stages, actors)
    for k, a in enumerate(s.actors):
        if a is None:
            continue
        for j, m in enumerate(a.delegation):
            for iid, v in m.positions.items():
                if iid not in issues:
                    yield f"actors[{k}].delegation[{j}].positions.{iid}", f"unknown issue id {iid!r}"
                elif not issues[iid].scale.min <= v <= issues[iid].scale.max:
                    sc = issues[iid].scale
                    yield f"actors[{k}].delegation[{j}].positions.{iid}", f"{v} is outside the issue's scale [{sc.min}, {sc.max}]"
    if s.outcome is not None:
        for k, o in enumerate(s.outcome.issues):
            if o.issue not in issues:
                yield f"outcome.issues[{k}].issue", f"unknown issue id {o.issue!r}; known: {known_list(issues)}"
                continue
            sc = issues[o.issue].scale
            for fld, val in (("value", o.value), ("low", o.low), ("high", o.high)):
                if val is not None and not sc.min <= val <= sc.max:
                    yield (
                        f"outcome.issues[{k}].{fld}",
                        f"{val} is outside issue {o.issue!r}'s scale [{sc.min}, {sc.max}]",
                    )
    if s.case is not None and s.outcome is not None:
        # a library case is scored on whether a deal came, so the record must say so and when
        # (its inputs-only copies, written before the outcome, have no outcome section yet)
        if s.outcome.deal is None:
            yield "outcome.deal", "missing: a case must record whether a deal was reached (true or false)"
        if not s.outcome.date:
            yield "outcome.date", "missing: a case must record the date of its outcome (YYYY-MM-DD)"
        else:
            try:
                _iso_date(s.outcome.date)
            except ValueError as e:
                yield "outcome.date", str(e)
