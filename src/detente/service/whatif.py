"""What-ifs: change a scenario's inputs by path, validate, and compare with the base forecast.

The what-if syntax (the same on the command line, in the API and in Python)
---------------------------------------------------------------------------
A change is ``PATH=VALUE`` (``--set`` on the CLI, a string of ``changes`` in the API) or
``without ACTOR`` (``--without`` on the CLI, ``"without europe"`` in the API):

=======================================  ====================================================
path                                     value
=======================================  ====================================================
``ACTOR.ISSUE.position``                 a number on the issue's scale
``ACTOR.ISSUE.salience``                 a number in [0, 1]
``ACTOR.ISSUE.red_line``                 ``LOW:HIGH`` (replaces the actor's red lines on the
                                         issue), or ``none`` (removes them)
``ACTOR.ISSUE.red_line.min`` / ``.max``  a number (a missing red line starts as the scale)
``ACTOR.power``                          a number >= 0
``ACTOR.present`` / ``ACTOR.veto``       ``true`` or ``false`` (also yes/no, 1/0)
``ACTOR.walk_away``                      a utility in [0, 1], or ``none`` (no walk-away)
``ACTOR.walk_away.ISSUE``                a walk-away position on the issue's scale
``ACTOR.threats[K].FIELD``               FIELD: ``credibility``, ``cost_to_target`` or
                                         ``cost_to_issuer`` (in [0, 1]); K counts the threats
                                         the actor issues, from 0, in file order
``ISSUE.status_quo``                     a number on the scale, or ``none``
``without ACTOR``                        the actor leaves: its positions, red lines, walk-away
                                         value, threats, stage seats and noise inputs go too
=======================================  ====================================================

Changes apply in order; after each one the whole scenario is validated again (the same checks
as a file), so a bad path or value raises a :class:`~detente.errors.ScenarioError` naming the
change, the field, the value and what is allowed. Nothing is clipped or renormalised.

:func:`what_if` returns the changed scenario and a record of the changes;
:func:`compare` forecasts the base and the changed scenario with the same models and seed and
reports every model's outcome per issue, whether each forecast is a deal, and the calibrated
deal probability where it is installed (:func:`calibrated_deal_probability`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ScenarioError
from .deal import calibrated_deal_probability
from .defaults import DEFAULTS
from .forecast import ForecastRun, forecast, model_names
from .scenarios import load
from .seeding import SeedLike, resolve_seed, seed_entropy_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..scenario.schema import Scenario

__all__ = [
    "WHATIF_COLUMNS",
    "Change",
    "WhatIf",
    "PairedRun",
    "WhatIfRun",
    "calibrated_deal_probability",
    "deal_probability_document",
    "compare",
    "paired",
    "paired_difference",
    "parse_changes",
    "structural_deals",
    "what_if",
    "what_if_document",
    "what_if_notes",
]

#: Columns of :meth:`WhatIfRun.to_frame`.
WHATIF_COLUMNS = ("scenario", "model", "issue", "base", "changed", "difference")

_THREAT_FIELDS = ("credibility", "cost_to_target", "cost_to_issuer")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_NONE = {"none", "null", "-"}


@dataclass(frozen=True, slots=True)
class Change:
    """One applied change.

    Attributes
    ----------
    text : str
        The change as given (``"russia.territory.position=60"`` or ``"without europe"``).
    path : str
        The path changed (the actor for ``without``).
    before, after : Any
        The value before and after (``None`` where there was none; for ``without`` the actor's
        label and ``"removed"``).
    """

    text: str
    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        if self.after == "removed":
            return f"without {self.path} ({self.before})"
        return f"{self.path}: {_show(self.before)} -> {_show(self.after)}"

    def to_dict(self) -> dict[str, Any]:
        from ..results import json_ready
        return json_ready({"change": self.text, "path": self.path, "before": _plain(self.before),
                           "after": _plain(self.after), "description": self.describe()})


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A changed scenario and the record of its changes."""

    base: Scenario
    scenario: Scenario
    changes: tuple[Change, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per change: ``scenario, change, path, before, after``."""
        import pandas as pd
        return pd.DataFrame(
            {"scenario": self.base.name, "change": [c.text for c in self.changes],
             "path": [c.path for c in self.changes], "before": [_show(c.before) for c in self.changes],
             "after": [_show(c.after) for c in self.changes]},
            columns=["scenario", "change", "path", "before", "after"],
        )


def _show(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return ":".join(_show(x) for x in v)
    return str(v)


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


# ----------------------------------------------------------------------------- parsing
def parse_changes(sets: Iterable[str] = (), without: Iterable[str] = ()) -> list[str]:
    """The change list of the CLI options: every ``--set PATH=VALUE`` (checked for the ``=``),
    then ``without ACTOR`` for every ``--without``.

    Raises
    ------
    ScenarioError
        For a ``--set`` without ``=`` or an empty ``--without``.
    """
    out = []
    for s in sets:
        if "=" not in s:
            raise ScenarioError(f"expected PATH=VALUE, e.g. russia.territory.position=60 (got {s!r})",
                                field="--set")
        out.append(s.strip())
    for w in without:
        if not w.strip():
            raise ScenarioError("expected an actor id (got an empty value)", field="--without")
        out.append(f"without {w.strip()}")
    return out


class _Bad(Exception):
    def __init__(self, problem: str, field: str = "", location: str = ""):
        super().__init__(problem)
        self.problem, self.field, self.location = problem, field, location


def _number(raw: str, what: str) -> float:
    try:
        v = float(raw)
    except ValueError:
        raise _Bad(f"{what} must be a number (got {raw!r})") from None
    if not math.isfinite(v):
        raise _Bad(f"{what} must be a finite number (got {raw!r})")
    return v


def _boolean(raw: str, what: str) -> bool:
    r = raw.strip().lower()
    if r in _TRUE:
        return True
    if r in _FALSE:
        return False
    raise _Bad(f"{what} must be true or false (got {raw!r})")


def _is_none(raw: str) -> bool:
    return raw.strip().lower() in _NONE


def _actor_index(data: dict, actor: str) -> int:
    for k, a in enumerate(data["actors"]):
        if a["id"] == actor:
            return k
    raise _Bad(f"unknown actor {actor!r}; actors: {', '.join(a['id'] for a in data['actors'])}")


def _issue(data: dict, issue: str) -> dict:
    for i in data["issues"]:
        if i["id"] == issue:
            return i
    raise _Bad(f"unknown issue {issue!r}; issues: {', '.join(i['id'] for i in data['issues'])}")


_PATHS_HELP = ("ACTOR.ISSUE.position|salience|red_line[.min|.max], ACTOR.power|present|veto, "
               "ACTOR.walk_away[.ISSUE], ACTOR.threats[K].credibility|cost_to_target|cost_to_issuer, "
               "ISSUE.status_quo, or 'without ACTOR'")


def _apply_one(data: dict, text: str) -> tuple[str, Any, Any]:
    """Apply one change to plain scenario data in place; return (path, before, after)."""
    t = text.strip()
    m = re.fullmatch(r"without\s+(\S+)", t)
    if m:
        return _without(data, m.group(1))
    if "=" not in t:
        raise _Bad(f"expected PATH=VALUE or 'without ACTOR'; paths: {_PATHS_HELP}")
    path, raw = (s.strip() for s in t.split("=", 1))
    parts = path.split(".")
    actors = {a["id"] for a in data["actors"]}
    issues = {i["id"] for i in data["issues"]}
    head = parts[0]
    if head in issues and head not in actors:
        if parts[1:] != ["status_quo"]:
            raise _Bad(f"unknown path {path!r}; an issue has only 'status_quo' (paths: {_PATHS_HELP})",
                       field=".".join(parts[1:]))
        iss = _issue(data, head)
        before = iss.get("status_quo")
        iss["status_quo"] = None if _is_none(raw) else _number(raw, "status_quo")
        return path, before, iss["status_quo"]
    k = _actor_index(data, head)
    act = data["actors"][k]
    rest = parts[1:]
    if len(rest) == 1 and rest[0] in ("power", "present", "veto"):
        f = rest[0]
        before = act[f]
        act[f] = _number(raw, f) if f == "power" else _boolean(raw, f)
        return path, before, act[f]
    if rest and rest[0] == "walk_away":
        return _walk_away(data, head, rest[1:], raw, path)
    m = re.fullmatch(r"threats\[(\d+)\]", rest[0]) if rest else None
    if m:
        if len(rest) != 2 or rest[1] not in _THREAT_FIELDS:
            raise _Bad(f"a threat's field must be one of {', '.join(_THREAT_FIELDS)} (got "
                       f"{'.'.join(rest[1:]) or 'nothing'!r})", field=".".join(rest[1:]))
        mine = [th for th in data["threats"] if th["issuer"] == head]
        j = int(m.group(1))
        if j >= len(mine):
            raise _Bad(f"{head} issues {len(mine)} threat(s), so K must be in 0..{len(mine) - 1} (got {j})"
                       if mine else f"{head} issues no threat", field=rest[0])
        th = mine[j]
        before = th[rest[1]]
        th[rest[1]] = _number(raw, rest[1])
        return path, before, th[rest[1]]
    if len(rest) >= 2 and rest[0] in issues:
        return _actor_issue(data, head, rest[0], rest[1:], raw, path)
    if rest and rest[0] not in issues and len(rest) >= 2:
        _issue(data, rest[0])  # raises: unknown issue, listing the issues
    raise _Bad(f"unknown path {path!r}; paths: {_PATHS_HELP}", field=".".join(rest))


def _actor_issue(data: dict, actor: str, issue: str, rest: list[str], raw: str, path: str):
    iss = _issue(data, issue)
    f = rest[0]
    if f in ("position", "salience") and len(rest) == 1:
        for p in data["positions"]:
            if p["actor"] == actor and p["issue"] == issue:
                before = p[f]
                p[f] = _number(raw, f)
                return path, before, p[f]
        raise _Bad(f"{actor} has no position on {issue!r}; add one to the scenario file to set its {f}",
                   field=f)
    if f == "red_line" and len(rest) <= 2:
        mine = [r for r in data["red_lines"] if r["actor"] == actor and r["issue"] == issue]
        lo = max((r["min"] for r in mine), default=None)
        hi = min((r["max"] for r in mine), default=None)
        before = (lo, hi) if mine else None
        if len(rest) == 1:
            if _is_none(raw):
                new = None
            else:
                m = re.fullmatch(r"\s*([^:]+):([^:]+)\s*", raw)
                if not m:
                    raise _Bad(f"red_line must be LOW:HIGH or none (got {raw!r})", field="red_line")
                new = (_number(m.group(1), "red_line low"), _number(m.group(2), "red_line high"))
        else:
            if rest[1] not in ("min", "max"):
                raise _Bad(f"a red line has only 'min' and 'max' (got {rest[1]!r})", field=rest[1])
            v = _number(raw, f"red_line.{rest[1]}")
            cur_lo = iss["scale"]["min"] if lo is None else lo
            cur_hi = iss["scale"]["max"] if hi is None else hi
            new = (v, cur_hi) if rest[1] == "min" else (cur_lo, v)
        src = "; ".join(r.get("source", "") for r in mine if r.get("source"))
        data["red_lines"] = [r for r in data["red_lines"] if r not in mine]
        if new is not None:
            data["red_lines"].append({"actor": actor, "issue": issue, "min": new[0], "max": new[1],
                                      "source": f"what-if: {path}" + (f" (was: {src})" if src else "")})
        return path, before, new
    raise _Bad(f"unknown path {path!r}; for an actor and an issue: position, salience, red_line, "
               "red_line.min, red_line.max", field=".".join(rest))


def _walk_away(data: dict, actor: str, rest: list[str], raw: str, path: str):
    mine = [w for w in data["walk_away"] if w["actor"] == actor]
    if not rest:
        before = mine[0]["utility"] if mine and mine[0].get("utility") is not None else (
            dict(mine[0]["positions"]) if mine else None)
        data["walk_away"] = [w for w in data["walk_away"] if w["actor"] != actor]
        if _is_none(raw):
            return path, before, None
        u = _number(raw, "walk_away")
        data["walk_away"].append({"actor": actor, "utility": u, "positions": {}, "source": f"what-if: {path}"})
        return path, before, u
    if len(rest) != 1:
        raise _Bad(f"unknown path {path!r}; use ACTOR.walk_away or ACTOR.walk_away.ISSUE", field="walk_away")
    _issue(data, rest[0])
    v = _number(raw, "walk_away position")
    if mine and mine[0].get("utility") is not None:
        raise _Bad(f"{actor}'s walk-away value is a utility ({mine[0]['utility']:g}); set "
                   f"{actor}.walk_away=none first to give positions instead", field="walk_away")
    if mine:
        before = mine[0]["positions"].get(rest[0])
        mine[0]["positions"][rest[0]] = v
    else:
        before = None
        data["walk_away"].append({"actor": actor, "utility": None, "positions": {rest[0]: v},
                                  "source": f"what-if: {path}"})
    return path, before, v


def _without(data: dict, actor: str):
    k = _actor_index(data, actor)
    label = data["actors"][k].get("name") or actor
    if len(data["actors"]) == 1:
        raise _Bad(f"{actor} is the only actor; a scenario needs at least one")
    del data["actors"][k]
    data["positions"] = [p for p in data["positions"] if p["actor"] != actor]
    data["red_lines"] = [r for r in data["red_lines"] if r["actor"] != actor]
    data["walk_away"] = [w for w in data["walk_away"] if w["actor"] != actor]
    kept = [k for k, t in enumerate(data["threats"]) if actor not in (t["issuer"], t["target"])]
    renumber = {old: new for new, old in enumerate(kept)}
    data["threats"] = [data["threats"][k] for k in kept]
    present = {a["id"] for a in data["actors"] if a.get("present", True)}
    stages, dropped = [], False
    for st in data["stages"]:
        parts = [p for p in st["participants"] if p["actor"] != actor]
        bargaining = st.get("kind", "bargaining") == "bargaining"
        # a bargaining stage left with fewer than two actors at the table has no one to
        # bargain with: it goes, as the actor's seat did
        if parts and not (bargaining and sum(p["actor"] in present for p in parts) < 2):
            stages.append({**st, "participants": parts})
        else:
            dropped = True
    if not any(st.get("kind", "bargaining") == "bargaining" for st in stages):
        stages = []  # no table left: the simulator's default protocol plays the scenario
    elif dropped:
        # explicit final/provisional marks referred to the old sequence of stages
        stages = [{k: v for k, v in st.items() if k != "final"} for st in stages]
    data["stages"] = stages
    unc = data.get("uncertainty")
    if isinstance(unc, dict) and unc.get("inputs"):
        # the actor's uncertain inputs leave with it; threat indices follow the kept threats
        inputs = []
        for item in unc["inputs"]:
            if not isinstance(item, dict) or actor in (item.get("actor"), item.get("issuer"), item.get("target")):
                continue
            if isinstance(item.get("threat"), int):
                if item["threat"] not in renumber:
                    continue
                item = {**item, "threat": renumber[item["threat"]]}
            inputs.append(item)
        unc["inputs"] = inputs
    return actor, label, "removed"


def what_if(source: Any, changes: Sequence[str]) -> WhatIf:
    """The scenario with ``changes`` applied (see the module docstring for the syntax).

    Parameters
    ----------
    source : Scenario, built-in name or file
    changes : sequence of str
        ``"russia.territory.position=60"``, ``"ukraine.veto=false"``, ``"without europe"``,
        ``"usa.threats[0].credibility=0.9"``, ... applied in order.

    Returns
    -------
    WhatIf
        ``.scenario`` (validated like a file), ``.base`` and ``.changes`` (before and after).

    Raises
    ------
    ScenarioError
        Naming the change (``source``), the field, the value and what is allowed.

    Examples
    --------
    >>> w = what_if("alaska-2025", ["russia.territory.position=60"])
    >>> w.changes[0].describe()
    'russia.territory.position: 90 -> 60'
    """
    from ..scenario.load import scenario_from_data
    base = load(source)
    if isinstance(changes, str):
        changes = [changes]
    data = base.model_dump(mode="python")
    sc = base
    record = []
    for n, text in enumerate(changes):
        if not isinstance(text, str) or not text.strip():
            raise ScenarioError(f"a change must be a non-empty string PATH=VALUE or 'without ACTOR' (got {text!r})",
                                location=f"changes[{n}]")
        label = f"change {text.strip()!r}"
        try:
            path, before, after = _apply_one(data, text)
        except _Bad as e:
            raise ScenarioError(e.problem, source=label, location=e.location, field=e.field) from None
        try:
            sc = scenario_from_data(data, source=label)
        except ScenarioError as e:
            probs = e.problems or (e,)
            what = "; ".join(p.problem for p in probs)
            raise ScenarioError(f"the changed scenario is invalid: {what}", source=label,
                                location=path.rsplit(".", 1)[0] if "." in path else path,
                                field=path.rsplit(".", 1)[-1]) from None
        data = sc.model_dump(mode="python")
        record.append(Change(text=text.strip(), path=path, before=before, after=after))
    return WhatIf(base=base, scenario=sc, changes=tuple(record))


# ----------------------------------------------------------------------------- deals
def structural_deals(scenario: Scenario, outcomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each outcome is a deal under the scenario's red lines, walk-away values and
    threats (:func:`detente.uncertainty.deal.deal_flags`), and its deal margin.

    Parameters
    ----------
    outcomes : (n, n_issues)

    Returns
    -------
    deal : (n,) bool
    margin : (n,)
        The smallest slack over the deal conditions (>= 0 for a deal, -1 without an outcome).
    """
    import numpy as np

    from ..uncertainty.deal import deal_flags

    a = scenario.arrays()
    ai = {x: k for k, x in enumerate(a.actors)}
    th = scenario.threats
    x = np.atleast_2d(np.asarray(outcomes, dtype=float))
    cred = np.broadcast_to(np.array([t.credibility for t in th], dtype=float), (x.shape[0], len(th)))
    deal, _, _, _, margin = deal_flags(
        a, x, credibility=cred, threat_target=np.array([ai[t.target] for t in th], dtype=int),
        threat_cost=np.array([t.cost_to_target for t in th], dtype=float))
    return deal, margin


def _deal_value(dp: Any) -> float | None:
    return None if dp is None else float(dp.value)


def deal_probability_document(source: Any, changes: Sequence[str] = (),
                              seed: SeedLike = DEFAULTS.forecast_seed) -> dict[str, Any]:
    """The calibrated deal probability of a scenario (after ``changes``) as JSON, for the page.

    ``{"available": False, "deal_probability": None}`` while the calibrated model is not
    installed; else ``{"available": True, **DealProbability.to_dict()}`` (``deal_probability``,
    ``low``, ``high``, ...). Bad ``changes`` raise the located ScenarioError of :func:`what_if`.
    """
    from ..results import json_ready

    sc = what_if(source, changes).scenario
    dp = calibrated_deal_probability(sc, seed)
    if dp is None:
        return {"available": False, "deal_probability": None}
    return json_ready({"available": True, **dp.to_dict()})


# ----------------------------------------------------------------------------- compare
@dataclass(frozen=True, slots=True)
class WhatIfRun:
    """The base and the changed forecast, with the differences.

    Attributes
    ----------
    whatif : WhatIf
    base, changed : ForecastRun
        The same models and seed on the base and the changed scenario.
    base_deal, changed_deal : tuple of bool
        Per model, whether its forecast is a deal (red lines, walk-away values, threats).
    base_deal_probability, changed_deal_probability : float or None
        The calibrated deal probability (None while it is not installed).
    seed_entropy : int
    """

    whatif: WhatIf
    base: ForecastRun
    changed: ForecastRun
    base_deal: tuple[bool, ...]
    changed_deal: tuple[bool, ...]
    base_deal_probability: float | None
    changed_deal_probability: float | None
    seed_entropy: int

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.whatif.changes

    def to_frame(self) -> pd.DataFrame:
        """One row per model x issue: ``scenario, model, issue, base, changed, difference``."""
        import pandas as pd
        rows = []
        sc = self.whatif.base
        for fb, fc in zip(self.base.forecasts, self.changed.forecasts, strict=True):
            ob, oc = _point(fb.outcome), _point(fc.outcome)
            for k, iid in enumerate(sc.issue_ids):
                rows.append((sc.name, fb.model, iid, ob[k], oc[k], oc[k] - ob[k]))
        return pd.DataFrame(rows, columns=list(WHATIF_COLUMNS))

    def deal_frame(self) -> pd.DataFrame:
        """One row per model (and ``calibrated`` when installed): ``model, base, changed``
        (deal yes/no per model; the probability for ``calibrated``)."""
        import pandas as pd
        rows: list[tuple[str, Any, Any]] = [
            (f.model, b, c) for f, b, c in zip(self.base.forecasts, self.base_deal, self.changed_deal, strict=True)]
        if self.base_deal_probability is not None:
            rows.append(("calibrated", self.base_deal_probability, self.changed_deal_probability))
        return pd.DataFrame(rows, columns=["model", "base", "changed"])


def _point(outcome: np.ndarray) -> np.ndarray:
    import numpy as np
    o = np.asarray(outcome, dtype=float)
    return o if o.ndim == 1 else np.nanmedian(o.reshape(-1, o.shape[-1]), axis=0)


def _deals(run: ForecastRun) -> tuple[bool, ...]:
    import numpy as np
    if not run.forecasts:
        return ()
    x = np.stack([_point(f.outcome) for f in run.forecasts])
    deal, _ = structural_deals(run.scenario, x)
    return tuple(bool(d) for d in deal)


def compare(source: Any, changes: Sequence[str], models: Sequence[str] | None = None, *,
            params: Any = None, seed: SeedLike = DEFAULTS.forecast_seed,
            deal_probability: bool = True) -> WhatIfRun:
    """Forecast the base and the changed scenario with the same models and seed, and compare.

    Parameters
    ----------
    source : Scenario, built-in name or file
    changes : sequence of str
        What-if changes (module docstring).
    models : sequence of str, optional
        Default: every registered model (as ``forecast``).
    params : mapping, optional
        ``{model: {parameter: value}}``.
    seed : None, int or SeedSequence
        Default 0, as ``forecast``; None draws fresh entropy, recorded.
    deal_probability : bool
        Also compute the calibrated deal probability of both (when installed).

    Raises
    ------
    ScenarioError, UnknownModelError, ModelParameterError
    """
    names = model_names(models)
    w = what_if(source, changes)
    used = resolve_seed(seed)
    base = forecast(w.base, names, params=params, seed=used)
    changed = forecast(w.scenario, names, params=params, seed=used)
    bp = calibrated_deal_probability(w.base, used) if deal_probability else None
    cp = calibrated_deal_probability(w.scenario, used) if deal_probability else None
    return WhatIfRun(whatif=w, base=base, changed=changed, base_deal=_deals(base), changed_deal=_deals(changed),
                     base_deal_probability=_deal_value(bp), changed_deal_probability=_deal_value(cp),
                     seed_entropy=seed_entropy_of(used))


def what_if_document(run: WhatIfRun) -> dict[str, Any]:
    """The what-if document (``detente forecast --set ... --format json``, ``POST /whatif``).

    Keys: ``scenario``, ``changes`` (change, path, before, after, description), ``seed_entropy``,
    ``models``, ``outcomes`` (per model ``{issue: {base, changed, difference}}``), ``deal``
    (per model ``{base, changed}``, booleans), ``deal_probability`` (``{base, changed}``, None
    while the calibrated model is not installed), ``zone_of_agreement`` (``{base, changed}``).
    """
    from ..results import json_ready
    df = run.to_frame()
    outcomes: dict[str, dict[str, dict[str, Any]]] = {}
    for r in df.itertuples(index=False):
        outcomes.setdefault(r.model, {})[r.issue] = {"base": r.base, "changed": r.changed,
                                                     "difference": r.difference}
    return json_ready({
        "scenario": run.whatif.base.name,
        "changes": [c.to_dict() for c in run.changes],
        "seed_entropy": run.seed_entropy,
        "models": [f.model for f in run.base.forecasts],
        "outcomes": outcomes,
        "deal": {f.model: {"base": b, "changed": c}
                 for f, b, c in zip(run.base.forecasts, run.base_deal, run.changed_deal, strict=True)},
        "deal_probability": {"base": run.base_deal_probability, "changed": run.changed_deal_probability},
        "zone_of_agreement": {"base": run.base.zone.summary(), "changed": run.changed.zone.summary()},
    })


# ----------------------------------------------------------------------------- paired runs
@dataclass(frozen=True, slots=True)
class PairedRun:
    """Any run (Monte Carlo, simulation) on the base and on the changed scenario, same seed.

    Attributes
    ----------
    whatif : WhatIf
    base, changed : Any
        The two results (each with ``.summary()``).
    seed_entropy : int
    """

    whatif: WhatIf
    base: Any
    changed: Any
    seed_entropy: int

    def difference(self) -> dict[str, Any]:
        """The headline numbers of both runs and their difference (see :func:`paired_difference`)."""
        return paired_difference(_summary_of(self.base), _summary_of(self.changed))


def _summary_of(res: Any) -> dict[str, Any]:
    r = getattr(res, "result", res)  # an UncertaintyRun wraps its result
    return dict(r.summary())


def paired(fn: Any, source: Any, changes: Sequence[str], *, seed: SeedLike = None, **kw: Any) -> PairedRun:
    """Run ``fn(scenario, seed=..., **kw)`` on the base and on the changed scenario, same seed.

    ``seed=None`` draws fresh entropy once, so both runs use the same numbers (recorded).
    """
    w = what_if(source, changes)
    used = resolve_seed(seed)
    return PairedRun(whatif=w, base=fn(w.base, seed=used, **kw), changed=fn(w.scenario, seed=used, **kw),
                     seed_entropy=seed_entropy_of(used))


def paired_difference(base: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    """``{key: {base, changed, difference}}`` for the headline numbers of two summaries.

    Monte Carlo: ``deal_probability`` and each issue's ``mean`` (``mean:ISSUE``); simulation:
    ``deal_rate`` and each way a run ended (``ended:REASON`` as shares of the runs).
    """
    from ..results import json_ready
    out: dict[str, Any] = {}

    def put(key: str, b: Any, c: Any) -> None:
        if b is None or c is None:
            out[key] = {"base": b, "changed": c, "difference": None}
        else:
            out[key] = {"base": float(b), "changed": float(c), "difference": float(c) - float(b)}

    for key in ("deal_probability", "deal_rate"):
        if key in base or key in changed:
            put(key, base.get(key), changed.get(key))
    for iss in base.get("issues", {}):
        put(f"mean:{iss}", base["issues"][iss].get("mean"), changed.get("issues", {}).get(iss, {}).get("mean"))
    if "reasons" in base:
        nb, nc = max(base.get("runs") or 1, 1), max(changed.get("runs") or 1, 1)
        for r in base["reasons"]:
            put(f"ended:{r}", base["reasons"][r] / nb, changed.get("reasons", {}).get(r, 0) / nc)
    return json_ready(out)


def what_if_notes(run: WhatIfRun) -> list[str]:
    """Plain lines for a report: every change, then every forecast that moved, the deal checks
    and the deal probability where computed."""
    import numpy as np
    lines = [f"What-if: {c.describe()}" for c in run.changes]
    for r in run.to_frame().itertuples(index=False):
        if not (np.isclose(r.base, r.changed, equal_nan=True)):
            lines.append(f"What-if difference: {r.model} on {r.issue}: {_show(r.base)} -> {_show(r.changed)}")
    for f, b, c in zip(run.base.forecasts, run.base_deal, run.changed_deal, strict=True):
        if b != c:
            lines.append(f"What-if difference: {f.model}'s forecast is {'now' if c else 'no longer'} a deal")
    if run.base_deal_probability is not None:
        lines.append(f"What-if deal probability: {run.base_deal_probability:.1%} -> {run.changed_deal_probability:.1%}")
    if len(lines) == len(run.changes):
        lines.append("What-if difference: no model's forecast moved")
    return lines
