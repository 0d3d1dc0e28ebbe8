"""Draw scenario ensembles: batched :class:`~detente.scenario.arrays.ScenarioArrays`.

:func:`build_perturbation` turns a Scenario and an :class:`~.spec.UncertaintySpec` into a
:class:`Perturbation`: the list of uncertain inputs (each one number of the scenario with a
distribution) and the base arrays. ``Perturbation.from_unit(U)`` maps a unit-cube design
``U`` of shape ``(n_draws, n_inputs)`` through each input's inverse CDF and writes the values
into arrays with a leading draw axis; ``Perturbation.draw(n, rng)`` does the same with
``U = detente.rng.unit_design(rng, n, n_inputs)`` (32-bit uniforms from the generator's raw
words, see :mod:`detente.rng`). Monte Carlo and Sobol/Morris share this one path. Truncated
normals use :func:`detente.uncertainty.normal.ndtri`, whose compiled twin gives the same bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ScenarioError, known_list
from ..rng import unit_design
from ..scenario.arrays import ScenarioArrays
from ..scenario.schema import Scenario
from .distributions import Beta, Discrete, Distribution, Triangular, TruncNormal, Uniform
from .normal import ndtr, ndtri
from .spec import (
    FIXED_NUMERIC_FIELDS,
    NON_NUMERIC_FIELDS,
    NUMERIC_FIELDS,
    InputSpec,
    NoiseSpec,
    UncertaintySpec,
    uncertainty_from_data,
)

__all__ = ["Perturbation", "UncertainInput", "build_perturbation"]

_MIN_MASS = 1e-12  # a truncation interval with less normal mass than this is an input error

#: ScenarioArrays attribute written by each target
_ARRAY_OF = {
    "position": "position",
    "salience": "salience",
    "power": "power",
    "red_line.min": "red_low",
    "red_line.max": "red_high",
    "walk_away": "walk_utility",
    "walk_away.position": "walk_position",
    "red_line.binds": "red_binds",
    "veto.binds": "veto_binds",
}
#: pseudo-arrays (1 = binds) that switch red lines off in a draw; never part of ScenarioArrays
_BIND_ATTRS = ("red_binds", "veto_binds")


@dataclass(frozen=True, slots=True)
class UncertainInput:
    """One uncertain number of a scenario.

    Attributes
    ----------
    name : str
        ``position[russia,territory]``, ``power[usa]``, ``red_line.min[russia,territory]``,
        ``walk_away[usa]``, ``credibility[usa->russia]`` ...
    target : str
        ``position``, ``salience``, ``power``, ``red_line.min``, ``red_line.max``,
        ``walk_away``, ``walk_away.position`` or ``credibility``.
    index : tuple of int
        (actor, issue), (actor,) or (threat,) in array order.
    actor : str
        The actor the number belongs to (the issuer, for a threat's credibility).
    base : float
        The scenario's value.
    dist : Distribution
    origin : str
        ``noise`` or ``uncertainty.inputs[k]``.
    """

    name: str
    target: str
    index: tuple[int, ...]
    actor: str
    issue: str
    base: float
    dist: Distribution
    origin: str = "noise"


@dataclass(frozen=True, slots=True)
class Perturbation:
    """A scenario with uncertain inputs, ready to draw ensembles from.

    Attributes
    ----------
    scenario : str
    base : ScenarioArrays
        Unbatched arrays of the scenario.
    inputs : tuple of UncertainInput
        In column order of every design ``U``.
    threat_issuer, threat_target : (n_threats,) int
    threat_cost : (n_threats,)
        Cost to the target if carried out.
    threat_credibility : (n_threats,)
    """

    scenario: str
    base: ScenarioArrays
    inputs: tuple[UncertainInput, ...]
    threat_issuer: np.ndarray
    threat_target: np.ndarray
    threat_cost: np.ndarray
    threat_credibility: np.ndarray
    _normal: tuple = field(default=(), repr=False)
    _scatter: tuple = field(default=(), repr=False)

    def __post_init__(self) -> None:
        # per target array: the design columns and the flat cells they write, so a whole
        # ensemble is one fancy-index assignment per array instead of one per input
        groups: dict[str, tuple[list[int], list[int]]] = {}
        for j, inp in enumerate(self.inputs):
            attr = "credibility" if inp.target == "credibility" else _ARRAY_OF[inp.target]
            shape = self._base_of(attr).shape
            cols, cells = groups.setdefault(attr, ([], []))
            cols.append(j)
            cells.append(int(np.ravel_multi_index(inp.index, shape)))
        scatter = []
        for attr, (c, f) in groups.items():
            size = self._base_of(attr).size
            # every cell of the array, in order, from consecutive columns: a plain slice
            whole = f == list(range(size)) and c == list(range(c[0], c[0] + size))
            scatter.append((attr, slice(c[0], c[0] + size) if whole else np.array(c), np.array(f)))
        object.__setattr__(self, "_scatter", tuple(scatter))
        cols = [j for j, inp in enumerate(self.inputs) if isinstance(inp.dist, TruncNormal)]
        if cols:
            # x = mean + s * ndtri(c0 + u * c1): the mirrored form (see TruncNormal) folded
            # into per-column constants, so a whole design is a handful of array operations
            params = []
            for j in cols:
                d = self.inputs[j].dist
                assert isinstance(d, TruncNormal)  # cols holds only these
                a, b, flip = d._std_bounds()
                fa, fb = ndtr(a), ndtr(b)
                if flip:
                    params.append((fb, fa - fb, d.mean, -d.sd, d.low, d.high))
                else:
                    params.append((fa, fb - fa, d.mean, d.sd, d.low, d.high))
            arr = np.array(params, dtype=float).T
            full = cols == list(range(self.n_inputs))
            object.__setattr__(self, "_normal", (np.array(cols), full, *arr))

    def _base_of(self, attr: str) -> np.ndarray:
        """The unbatched array an input target writes into (1s for the binding switches)."""
        if attr == "credibility":
            return self.threat_credibility
        if attr == "red_binds":
            return np.ones((self.base.n_actors, self.base.n_issues))
        if attr == "veto_binds":
            return np.ones(self.base.n_actors)
        return np.asarray(getattr(self.base, attr))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    # -------------------------------------------------------------------- sampling
    def values(self, unit: np.ndarray) -> np.ndarray:
        """Input values (n, n_inputs) from a unit-cube design (n, n_inputs) by inverse CDF."""
        u = np.asarray(unit, dtype=float)
        if u.ndim != 2 or u.shape[1] != self.n_inputs:
            raise ValueError(f"unit design must have shape (n, {self.n_inputs}) (got {u.shape})")
        x = np.empty_like(u)
        done = np.zeros(self.n_inputs, dtype=bool)
        if self._normal:
            cols, full, c0, c1, mean, scale, low, high = self._normal
            p = u * c1 if full else u[:, cols] * c1
            p += c0
            z = ndtri(p)
            z *= scale
            z += mean
            np.maximum(z, low, out=z)  # floating-point rounding only
            np.minimum(z, high, out=z)
            if full:
                return z
            x[:, cols] = z
            done[cols] = True
        for j, inp in enumerate(self.inputs):
            if not done[j]:
                x[:, j] = inp.dist.ppf(u[:, j])
        return x

    def from_unit(self, unit: np.ndarray) -> tuple[ScenarioArrays, np.ndarray]:
        """Batched arrays and threat credibilities from a unit design.

        Parameters
        ----------
        unit : (n_draws, n_inputs) in [0, 1)

        Returns
        -------
        arrays : ScenarioArrays
            position, salience (n_draws, n_actors, n_issues) and power (n_draws, n_actors)
            always carry the draw axis; red_low/red_high, walk_utility, walk_position only
            when one of their numbers is uncertain.
        credibility : (n_draws, n_threats)
        """
        return self.arrays_from_values(self.values(unit))

    def arrays_from_values(self, x: np.ndarray) -> tuple[ScenarioArrays, np.ndarray]:
        """Like :meth:`from_unit`, from input values (n_draws, n_inputs)."""
        n = x.shape[0]
        b = self.base
        batched: dict[str, np.ndarray] = {}
        for attr, cols, cells in self._scatter:
            base = self._base_of(attr)
            if isinstance(cols, slice):
                batched[attr] = x[:, cols].reshape(n, *base.shape)
            else:
                arr = batched[attr] = np.broadcast_to(base, (n, *base.shape)).copy()
                # reshape of a fresh C-contiguous copy is a view, so this writes into arr
                arr.reshape(n, -1)[:, cells] = x[:, cols]
        for attr in ("position", "salience", "power", "credibility"):
            if attr not in batched:
                base = self.threat_credibility if attr == "credibility" else getattr(b, attr)
                batched[attr] = np.broadcast_to(base, (n, *base.shape)).copy()
        cred = batched.pop("credibility")
        binds = [batched.pop(k, None) for k in _BIND_ATTRS]
        if binds[0] is not None or binds[1] is not None:
            _soften(b, batched, n, binds[0], binds[1])
        return b.replace(**batched), cred

    def draw(self, n_draws: int, rng: np.random.Generator) -> tuple[ScenarioArrays, np.ndarray]:
        """An ensemble of ``n_draws`` scenarios: ``from_unit(unit_design(rng, n_draws, n_inputs))``
        (:func:`detente.rng.unit_design`)."""
        return self.from_unit(unit_design(rng, n_draws, self.n_inputs))


def _soften(b: ScenarioArrays, batched: dict[str, np.ndarray], n: int,
            red_binds: np.ndarray | None, veto_binds: np.ndarray | None) -> None:
    """Open the red lines that do not bind in a draw (their interval becomes the whole scale).

    red_binds : (n, n_actors, n_issues) of 0/1, or None; veto_binds : (n, n_actors), or None.
    """
    on = np.ones((n, b.n_actors, b.n_issues), dtype=bool)
    if red_binds is not None:
        on &= red_binds > 0.5
    if veto_binds is not None:
        on &= (veto_binds > 0.5)[:, :, None]
    shape = (n, b.n_actors, b.n_issues)
    lo = np.broadcast_to(batched.get("red_low", b.red_low), shape)
    hi = np.broadcast_to(batched.get("red_high", b.red_high), shape)
    batched["red_low"] = np.where(on, lo, np.broadcast_to(b.scale_min, shape))
    batched["red_high"] = np.where(on, hi, np.broadcast_to(b.scale_max, shape))


# ------------------------------------------------------------------------ building
def _fmt(v: float) -> str:
    return f"{v:g}"


class _Builder:
    def __init__(self, scenario: Scenario, source: str) -> None:
        self.s = scenario
        self.a = scenario.arrays()
        self.source = source
        self.ai = {k: i for i, k in enumerate(self.a.actors)}
        self.ii = {k: i for i, k in enumerate(self.a.issues)}

    def err(self, problem: str, location: str, fld: str = "") -> ScenarioError:
        return ScenarioError(problem, source=self.source, location=location, field=fld)

    # valid range of each target
    def valid_range(self, target: str, index: tuple[int, ...]) -> tuple[float, float]:
        if target in ("position", "red_line.min", "red_line.max", "walk_away.position"):
            k = index[1]
            return float(self.a.scale_min[k]), float(self.a.scale_max[k])
        if target == "power":
            return 0.0, math.inf
        return 0.0, 1.0  # salience, walk-away utility, credibility

    def base_value(self, target: str, index: tuple[int, ...]) -> float:
        if target == "credibility":
            return float(self.s.threats[index[0]].credibility)
        return float(getattr(self.a, _ARRAY_OF[target])[index])

    def resolve(self, spec: InputSpec, loc: str) -> tuple[str, tuple[int, ...], str, str, str]:
        """(target, index, name, actor, issue) of an input spec, or a ScenarioError."""
        raw = spec.field.strip()
        key = raw.lower()
        if key not in NUMERIC_FIELDS:
            allowed = "position, salience, power, red_line.min, red_line.max, walk_away, credibility"
            last = key.rsplit(".", 1)[-1]
            if key in NON_NUMERIC_FIELDS or last in NON_NUMERIC_FIELDS:
                raise self.err(f"{raw!r} is not a numeric field and cannot carry a distribution; "
                               f"uncertain fields: {allowed}", loc, "field")
            if key in FIXED_NUMERIC_FIELDS or last in FIXED_NUMERIC_FIELDS:
                raise self.err(f"{raw!r} cannot be uncertain (no batched model reads it); "
                               f"uncertain fields: {allowed}", loc, "field")
            raise self.err(f"unknown field {raw!r}; uncertain fields: {allowed}", loc, "field")
        target = NUMERIC_FIELDS[key]
        if target == "credibility":
            return self._resolve_threat(spec, loc)
        if spec.actor is None:
            raise self.err(f"field {target!r} needs 'actor'", loc, "actor")
        if spec.actor not in self.ai:
            raise self.err(f"unknown actor id {spec.actor!r}; known: {known_list(self.ai)}", loc, "actor")
        i = self.ai[spec.actor]
        if target == "power":
            if spec.issue is not None:
                raise self.err("'power' belongs to an actor, not an issue: remove 'issue'", loc, "issue")
            return "power", (i,), f"power[{spec.actor}]", spec.actor, ""
        if target == "walk_away" and spec.issue is None:
            if np.isnan(self.a.walk_utility[i]):
                raise self.err(f"actor {spec.actor!r} has no walk-away utility in the scenario; "
                               "add one under walk_away (or give 'issue' for a walk-away position)",
                               loc, "actor")
            return "walk_away", (i,), f"walk_away[{spec.actor}]", spec.actor, ""
        if spec.issue is None:
            raise self.err(f"field {target!r} needs 'issue'", loc, "issue")
        if spec.issue not in self.ii:
            raise self.err(f"unknown issue id {spec.issue!r}; known: {known_list(self.ii)}", loc, "issue")
        k = self.ii[spec.issue]
        idx = (i, k)
        cell = f"[{spec.actor},{spec.issue}]"
        if target in ("position", "salience") and not self.a.stake[idx]:
            raise self.err(f"actor {spec.actor!r} has no position on issue {spec.issue!r}", loc, "issue")
        if target.startswith("red_line") and not self.a.has_red_line[idx]:
            raise self.err(f"actor {spec.actor!r} has no red line on issue {spec.issue!r}; "
                           "add one under red_lines first", loc, "issue")
        if target == "walk_away":
            if np.isnan(self.a.walk_position[idx]):
                raise self.err(f"actor {spec.actor!r} has no walk-away position on issue "
                               f"{spec.issue!r}", loc, "issue")
            return "walk_away.position", idx, f"walk_away{cell}", spec.actor, spec.issue
        return target, idx, f"{target}{cell}", spec.actor, spec.issue

    def _resolve_threat(self, spec: InputSpec, loc: str):
        threats = self.s.threats
        if not threats:
            raise self.err("the scenario has no threats", loc, "field")
        if spec.threat is not None:
            if spec.threat >= len(threats):
                raise self.err(f"threat index {spec.threat} out of range (the scenario has "
                               f"{len(threats)} threats, 0-{len(threats) - 1})", loc, "threat")
            t = spec.threat
        else:
            hits = [k for k, th in enumerate(threats)
                    if (spec.issuer in (None, th.issuer)) and (spec.target in (None, th.target))]
            if spec.issuer is None and spec.target is None:
                raise self.err("'credibility' needs 'threat' (index) or 'issuer'/'target'", loc, "threat")
            if len(hits) != 1:
                raise self.err(f"issuer={spec.issuer!r}, target={spec.target!r} matches {len(hits)} "
                               "threats; give 'threat' (index) instead", loc, "threat")
            t = hits[0]
        th = threats[t]
        return "credibility", (t,), self._threat_name(t), th.issuer, ""

    def _threat_name(self, t: int) -> str:
        th = self.s.threats[t]
        same = [k for k, x in enumerate(self.s.threats) if (x.issuer, x.target) == (th.issuer, th.target)]
        suffix = f"#{t}" if len(same) > 1 else ""
        return f"credibility[{th.issuer}->{th.target}{suffix}]"

    # distributions
    def dist_from_spec(self, spec: InputSpec, target: str, index, loc: str) -> Distribution:
        base = self.base_value(target, index)
        vlo, vhi = self.valid_range(target, index)
        rng_txt = f"[{_fmt(vlo)}, {_fmt(vhi)}]"

        def bound(name: str, default: float) -> float:
            v = getattr(spec, name)
            if v is None:
                return default
            if not math.isfinite(v):
                raise self.err(f"must be a finite number (got {v})", loc, name)
            if not vlo <= v <= vhi:
                raise self.err(f"{_fmt(v)} is outside the field's valid range {rng_txt}", loc, name)
            return float(v)

        def need(name: str, what: str) -> float:
            v = getattr(spec, name)
            if v is None:
                raise self.err(f"distribution {spec.dist!r} needs {name!r} ({what})", loc, name)
            if not math.isfinite(v):
                raise self.err(f"must be a finite number (got {v})", loc, name)
            return float(v)

        extra = {
            "normal": ("mode", "a", "b", "values", "weights"),
            "uniform": ("mean", "sd", "mode", "a", "b", "values", "weights"),
            "triangular": ("mean", "sd", "a", "b", "values", "weights"),
            "beta": ("mean", "sd", "mode", "values", "weights"),
            "discrete": ("mean", "sd", "mode", "a", "b", "low", "high"),
        }[spec.dist]
        for name in extra:
            if getattr(spec, name) is not None:
                raise self.err(f"is not a parameter of a {spec.dist!r} distribution", loc, name)

        if spec.dist == "normal":
            sd = need("sd", "standard deviation > 0")
            if sd <= 0:
                raise self.err(f"standard deviation must be > 0 (got {_fmt(sd)})", loc, "sd")
            mean = base if spec.mean is None else need("mean", "")
            low, high = bound("low", vlo), bound("high", vhi)
            if not low < high:
                raise self.err(f"low must be below high (got low={_fmt(low)}, high={_fmt(high)})", loc, "low")
            d = TruncNormal(mean, sd, low, high)
            if d.mass() < _MIN_MASS:
                raise self.err(f"normal(mean={_fmt(mean)}, sd={_fmt(sd)}) has almost no mass on "
                               f"[{_fmt(low)}, {_fmt(high)}] (probability {d.mass():.3g})", loc, "sd")
            return d
        if spec.dist in ("uniform", "triangular", "beta"):
            low, high = bound("low", vlo), bound("high", vhi)
            for name, v in (("low", low), ("high", high)):
                if not math.isfinite(v):
                    raise self.err(f"a {spec.dist!r} distribution on {target!r} needs a finite "
                                   f"{name!r} (the valid range is {rng_txt})", loc, name)
            if not low < high:
                raise self.err(f"low must be below high (got low={_fmt(low)}, high={_fmt(high)})", loc, "low")
            if spec.dist == "uniform":
                return Uniform(low, high)
            if spec.dist == "triangular":
                mode = base if spec.mode is None else need("mode", "")
                if not low <= mode <= high:
                    raise self.err(f"mode must lie in [low, high] = [{_fmt(low)}, {_fmt(high)}] "
                                   f"(got {_fmt(mode)})", loc, "mode")
                return Triangular(low, mode, high)
            a, b = need("a", "shape > 0"), need("b", "shape > 0")
            for name, v in (("a", a), ("b", b)):
                if v <= 0:
                    raise self.err(f"beta shape parameters must be > 0 (got {name}={_fmt(v)})", loc, name)
            return Beta(a, b, low, high)
        # discrete
        if not spec.values:
            raise self.err("distribution 'discrete' needs a non-empty list 'values'", loc, "values")
        for v in spec.values:
            if not math.isfinite(v) or not vlo <= v <= vhi:
                raise self.err(f"value {v} is outside the field's valid range {rng_txt}", loc, "values")
        weights = spec.weights if spec.weights is not None else [1.0] * len(spec.values)
        if len(weights) != len(spec.values):
            raise self.err(f"needs one weight per value ({len(spec.values)} values, "
                           f"{len(weights)} weights)", loc, "weights")
        if any((not math.isfinite(w)) or w < 0 for w in weights) or sum(weights) <= 0:
            raise self.err(f"weights must be >= 0 with a positive sum (got {list(weights)})", loc, "weights")
        return Discrete(tuple(map(float, spec.values)), tuple(map(float, weights)))

    def noise_inputs(self, noise: NoiseSpec) -> list[UncertainInput]:
        a = self.a
        out: list[UncertainInput] = []

        # relative noise on a position-like number is a fraction of its issue's scale width
        span = (a.scale_max - a.scale_min) if noise.relative else np.ones(len(a.issues))

        def add(target: str, index, name: str, actor: str, issue: str, width: float) -> None:
            if width <= 0:
                return
            base = self.base_value(target, index)
            lo, hi = self.valid_range(target, index)
            if noise.shape == "normal":
                dist: Distribution = TruncNormal(base, width, lo, hi)
            else:
                dist = Uniform(max(lo, base - width), min(hi, base + width))
            out.append(UncertainInput(name, target, tuple(index), actor, issue, base, dist, "noise"))

        for i, act in enumerate(a.actors):
            for k, iss in enumerate(a.issues):
                if a.stake[i, k]:
                    add("position", (i, k), f"position[{act},{iss}]", act, iss,
                        noise.position * span[k])
        for i, act in enumerate(a.actors):
            for k, iss in enumerate(a.issues):
                if a.stake[i, k]:
                    add("salience", (i, k), f"salience[{act},{iss}]", act, iss,
                        noise.salience * a.salience[i, k])
        for i, act in enumerate(a.actors):
            add("power", (i,), f"power[{act}]", act, "", noise.power * a.power[i])
        for i, act in enumerate(a.actors):
            for k, iss in enumerate(a.issues):
                if not a.has_red_line[i, k]:
                    continue
                # only bounds that are set: a red line ending at the scale's edge is open there
                if a.red_low[i, k] > a.scale_min[k]:
                    add("red_line.min", (i, k), f"red_line.min[{act},{iss}]", act, iss,
                        noise.red_line * span[k])
                if a.red_high[i, k] < a.scale_max[k]:
                    add("red_line.max", (i, k), f"red_line.max[{act},{iss}]", act, iss,
                        noise.red_line * span[k])
        for i, act in enumerate(a.actors):
            if not np.isnan(a.walk_utility[i]):
                add("walk_away", (i,), f"walk_away[{act}]", act, "", noise.walk_away)
            for k, iss in enumerate(a.issues):
                if not np.isnan(a.walk_position[i, k]):
                    add("walk_away.position", (i, k), f"walk_away[{act},{iss}]", act, iss,
                        noise.position * span[k])
        for t, th in enumerate(self.s.threats):
            add("credibility", (t,), self._threat_name(t), th.issuer, "", noise.credibility)
        return out


def build_perturbation(
    scenario: Scenario,
    uncertainty: UncertaintySpec | dict[str, Any] | None = None,
    *,
    noise: NoiseSpec | dict[str, Any] | None = None,
    firmness: float | None = None,
    veto_firmness: float | None = None,
) -> Perturbation:
    """The uncertain inputs of a scenario, checked against it.

    Parameters
    ----------
    scenario : Scenario
    uncertainty : UncertaintySpec or its data, optional
        Explicit inputs and/or expert noise.
    noise : NoiseSpec or its data, optional
        Expert noise; replaces the noise of ``uncertainty`` when both are given. An explicit
        input replaces the noise on the same number.
    firmness : float in [0, 1], optional
        The firmness of every red line that sets none (``RedLine.firmness``): the probability
        that it binds in a draw. None: such red lines are hard (firmness 1). The fitted default
        is :func:`detente.uncertainty.deal_model.default_firmness`.
    veto_firmness : float in [0, 1], optional
        The same for an absent veto holder's consent (``Actor.veto_firmness``).

    Raises
    ------
    ScenarioError
        Naming ``uncertainty.inputs[k]`` and the field for an unknown or non-numeric field,
        an unknown actor/issue/threat, impossible parameters (sd <= 0, low >= high, beta
        shapes <= 0, values outside the field's valid range) or a duplicate input.
    """
    spec = uncertainty_from_data(uncertainty or {}, source="<data>") if not isinstance(
        uncertainty, UncertaintySpec) else uncertainty
    spec = spec.with_noise(noise)
    b = _Builder(scenario, spec.source or scenario.name)
    explicit: list[UncertainInput] = []
    seen: dict[tuple, str] = {}
    for k, inp in enumerate(spec.inputs):
        loc = f"uncertainty.inputs[{k}]"
        target, index, name, actor, issue = b.resolve(inp, loc)
        key = (target, index)
        if key in seen:
            raise b.err(f"{name} already has a distribution ({seen[key]})", loc, "field")
        seen[key] = loc
        dist = b.dist_from_spec(inp, target, index, loc)
        explicit.append(UncertainInput(name, target, index, actor, issue,
                                       b.base_value(target, index), dist, loc))
    noisy = b.noise_inputs(spec.noise) if spec.noise is not None else []
    inputs = [x for x in noisy if (x.target, x.index) not in seen] + explicit
    inputs += _bind_inputs(scenario, b.a, _check_probability(firmness, "firmness"),
                           _check_probability(veto_firmness, "veto_firmness"))
    th = scenario.threats
    return Perturbation(
        scenario=scenario.name,
        base=b.a,
        inputs=tuple(inputs),
        threat_issuer=np.array([b.ai[t.issuer] for t in th], dtype=int),
        threat_target=np.array([b.ai[t.target] for t in th], dtype=int),
        threat_cost=np.array([t.cost_to_target for t in th], dtype=float),
        threat_credibility=np.array([t.credibility for t in th], dtype=float),
    )


def _check_probability(v: float | None, name: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
            or not 0.0 <= v <= 1.0:
        raise ScenarioError(f"must lie in [0, 1] (got {v!r})", field=name)
    return float(v)


def _bernoulli(p: float) -> Discrete:
    """1 with probability p, else 0 (by inverse CDF: u < 1 - p gives 0)."""
    return Discrete((0.0, 1.0), (1.0 - p, p))


def _bind_inputs(scenario: Scenario, a: ScenarioArrays, firmness: float | None,
                 veto_firmness: float | None) -> list[UncertainInput]:
    """Bernoulli switches for soft red lines and soft vetoes, in actor then issue order.

    Several red lines on one (actor, issue) pair are intersected in the arrays; their cell binds
    when at least one of them does (probability ``1 - prod(1 - f_k)``).
    """
    ai = {k: i for i, k in enumerate(a.actors)}
    ii = {k: i for i, k in enumerate(a.issues)}
    loose: dict[tuple[int, int], float] = {}
    for r in scenario.red_lines:
        who = scenario.actor(r.actor)
        if not (who.present or who.veto):
            continue  # an absent actor without a veto never binds (deal.py), soft or not
        f = r.firmness if r.firmness is not None else firmness
        key = (ai[r.actor], ii[r.issue])
        loose[key] = loose.get(key, 1.0) * (1.0 - (1.0 if f is None else f))
    out: list[UncertainInput] = []
    for (i, k), q in sorted(loose.items()):
        p = 1.0 - q
        if p < 1.0:
            act, iss = a.actors[i], a.issues[k]
            out.append(UncertainInput(f"red_line.binds[{act},{iss}]", "red_line.binds", (i, k),
                                      act, iss, 1.0, _bernoulli(p), "firmness"))
    for i, actor in enumerate(scenario.actors):
        if actor.present or not actor.veto or not a.has_red_line[i].any():
            continue
        f = actor.veto_firmness if actor.veto_firmness is not None else veto_firmness
        if f is not None and f < 1.0:
            out.append(UncertainInput(f"veto.binds[{actor.id}]", "veto.binds", (i,), actor.id, "",
                                      1.0, _bernoulli(f), "veto_firmness"))
    return out
