"""Who to persuade: per actor, the smallest move that opens a zone of agreement or brings a deal.

What it follows
---------------
This is the "what would it take" question of Bueno de Mesquita's expected-utility forecasting
(Bueno de Mesquita 2009, *The Predictioneer's Game*, ch. 4-5; Bueno de Mesquita 2002,
*Predicting Politics*, ch. 3: which player, moved by how much on which issue, changes the
predicted outcome), and of KTAB's scenario analysis (Wise, Lester et al. 2015, "KTAB: a
model-driven approach to policy analysis", KAPSARC discussion paper KS-1517-DP021A; its SMP
"what-if" runs that perturb one actor's position or salience and re-run the model). We keep the
idea, not their models: each candidate is a what-if on one actor, scored by the deal checks
detente already has (red lines of every actor whose consent a deal needs, walk-away values,
threats: :func:`detente.uncertainty.deal.deal_flags`), and we look for the *smallest* move.

Candidates per actor (all evaluated in one batched array computation, models that take batch
axes only):

* **red lines**: the smallest widening of the actor's own red lines that makes the zone of
  agreement non-empty on every issue, given everyone else's lines (closed form: on each empty
  issue, move the actor's bound to the others' opposite bound). ``None`` when the actor cannot
  open it alone (it is not part of the clash, or the others clash among themselves);
* **position**: its position on one issue moved to each point of a grid over the scale
  (``grid`` steps, 1 % of the scale by default);
* **salience**: its salience on one issue set to each point of a grid over [0, 1].

Score of a candidate: how many of the models' forecasts are a deal, then whether the zone is
open, then the mean deal margin (the smallest slack over the deal conditions, a continuous
distance to a deal). Per actor and kind, the best candidate is the one that brings the most
deals; among those, the smallest move (as a share of the scale; salience in its own units);
without any deal gained, the largest margin gain, then the smallest move. When the calibrated
deal probability is installed, it is computed for each of these (at most three per actor) and
an actor's best move is the one that raises it most. Actors are ranked by their best move: more
deals first, then the higher calibrated probability (where computed), then opening the zone,
then the smaller move, then margin.

The resulting forecast of each actor's best move is the full what-if comparison
(:func:`detente.service.whatif.compare`), with the calibrated deal probability where installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..models.registry import get_model
from ..results import json_ready
from ..rng import as_generator
from ..scenario.schema import Scenario
from .defaults import DEFAULTS
from .forecast import model_names
from .scenarios import load
from .seeding import SeedLike, model_seeds, resolve_seed, seed_entropy_of
from .whatif import WhatIfRun, calibrated_deal_probability, compare, what_if

__all__ = ["INFLUENCE_COLUMNS", "INFLUENCE_MODELS", "ActorInfluence", "Influence", "Move", "influence",
           "influence_document"]

#: The default models of ``influence``: the compromise models, which take batch axes cheaply.
INFLUENCE_MODELS = DEFAULTS.influence_models
#: Columns of :meth:`Influence.to_frame`.
INFLUENCE_COLUMNS = ("scenario", "rank", "actor", "kind", "issue", "before", "after", "size",
                     "opens_zone", "deals", "n_models", "margin", "margin_gain", "change")
_KINDS = ("red_line", "position", "salience")


@dataclass(frozen=True, slots=True)
class Move:
    """One candidate move of one actor.

    Attributes
    ----------
    actor, kind : str
        ``kind`` is ``red_line``, ``position`` or ``salience``.
    issue : str
        The issue moved ("" for a red-line move over several issues: see ``changes``).
    before, after : float
        Position, salience, or (red lines) the total widening in scale points.
    size : float
        How far: the distance moved as a share of each scale (summed over issues for red
        lines); salience in its own [0, 1] units.
    opens_zone : bool
        The zone of agreement is non-empty on every issue after the move.
    deals : int
        How many of the models' forecasts are a deal after the move.
    margin : float
        Mean deal margin over the models after the move.
    changes : tuple of str
        The move as what-if changes (``russia.territory.red_line=50:100``).
    deal_probability : float or None
        The calibrated deal probability after the move (computed for each actor's best move of
        each kind when the calibrated model is installed, else None).
    """

    actor: str
    kind: str
    issue: str
    before: float
    after: float
    size: float
    opens_zone: bool
    deals: int
    margin: float
    changes: tuple[str, ...]
    deal_probability: float | None = None


@dataclass(frozen=True, slots=True)
class ActorInfluence:
    """An actor's best move, the best move of each kind, and the resulting forecast."""

    actor: str
    best: Move | None
    moves: tuple[Move, ...]
    result: WhatIfRun | None


@dataclass(frozen=True, slots=True)
class Influence:
    """Who to persuade, ranked.

    Attributes
    ----------
    scenario : str
    models : tuple of str
    base_deals : int
        Models whose forecast is a deal before any move.
    base_margin : float
    base_zone_open : bool
    ranking : tuple of ActorInfluence
        Best first; actors with no helpful move last.
    n_candidates : int
        Candidate moves evaluated (one batch).
    base_deal_probability : float or None
        Calibrated (None while not installed).
    seed_entropy : int
    """

    scenario: str
    models: tuple[str, ...]
    base_deals: int
    base_margin: float
    base_zone_open: bool
    ranking: tuple[ActorInfluence, ...]
    n_candidates: int
    base_deal_probability: float | None
    seed_entropy: int

    def to_frame(self) -> pd.DataFrame:
        """One row per actor x kind of move (columns :data:`INFLUENCE_COLUMNS`); ``rank`` is the
        actor's rank (1 = persuade first), ``kind`` of its best move first."""
        rows = []
        for r, ai in enumerate(self.ranking, start=1):
            moves = sorted(ai.moves, key=lambda m: m is not ai.best)
            for m in moves:
                rows.append((self.scenario, r, ai.actor, m.kind, m.issue, m.before, m.after, m.size,
                             m.opens_zone, m.deals, len(self.models), m.margin, m.margin - self.base_margin,
                             "; ".join(m.changes)))
            if not moves:
                rows.append((self.scenario, r, ai.actor, "", "", np.nan, np.nan, np.nan, False, self.base_deals,
                             len(self.models), np.nan, np.nan, ""))
        return pd.DataFrame(rows, columns=list(INFLUENCE_COLUMNS))


# ----------------------------------------------------------------------------- red lines
def red_line_openings(scenario: Scenario) -> dict[str, tuple[np.ndarray, np.ndarray] | None]:
    """Per actor, the smallest widening of its own red lines that opens the zone everywhere.

    Returns
    -------
    dict
        ``{actor: (red_low, red_high)}``, each ``(n_issues,)``, the actor's new bounds, or None
        when it cannot open the zone alone (or the zone is already open: then every actor maps
        to its current bounds).
    """
    a = scenario.arrays()
    binding = a.present | a.veto
    has = a.has_red_line & binding[:, None]
    lo = np.where(has, a.red_low, a.scale_min)
    hi = np.where(has, a.red_high, a.scale_max)
    out: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
    for i, actor in enumerate(a.actors):
        others = np.ones(a.n_actors, dtype=bool)
        others[i] = False
        lo_o = lo[others].max(axis=0, initial=-np.inf)
        hi_o = hi[others].min(axis=0, initial=np.inf)
        lo_o = np.maximum(lo_o, a.scale_min)
        hi_o = np.minimum(hi_o, a.scale_max)
        if np.any(lo_o > hi_o):
            out[actor] = None
            continue
        new_lo = np.where(lo[i] > hi_o, hi_o, a.red_low[i])
        new_hi = np.where(hi[i] < lo_o, lo_o, a.red_high[i])
        out[actor] = (new_lo, new_hi)
    return out


def _zone_open(scenario: Scenario) -> bool:
    from ..analysis import zone_of_agreement

    return not bool(zone_of_agreement(scenario).empty.any())


# ----------------------------------------------------------------------------- search
def _num(v: float) -> str:
    return f"{float(v):.6g}"


def influence(source: Any, models: Sequence[str] | None = None, *, grid: int = DEFAULTS.influence_grid,
              seed: SeedLike = DEFAULTS.forecast_seed, forecasts: bool = True,
              forecast_models: Sequence[str] | None = None) -> Influence:
    """Who to persuade: each actor's smallest move that opens a zone of agreement or brings a deal.

    Parameters
    ----------
    source : Scenario, built-in name or file
    models : sequence of str, optional
        Models that score the candidates (default :data:`INFLUENCE_MODELS`); each must take
        batch axes in ``forecast_arrays`` (every registered model does).
    grid : int
        Position steps over each scale (default 100: 1 % of the scale); salience steps are
        ``grid // 5`` over [0, 1].
    seed : None, int or SeedSequence
        Default 0 (as ``forecast``); model k draws from child k.
    forecasts : bool
        Also compute the resulting forecast of each actor's best move (a what-if comparison
        with ``forecast_models``, default the scoring models).

    Returns
    -------
    Influence

    Raises
    ------
    ScenarioError
        For a grid below 2 or a bad seed; UnknownModelError for an unknown model.

    References
    ----------
    Bueno de Mesquita, B. (2009). The Predictioneer's Game. Random House.
    Wise, B., Lester, L. et al. (2015). KTAB: a model-driven approach to policy analysis.
    KAPSARC discussion paper KS-1517-DP021A.
    """
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 2:
        raise ScenarioError(f"must be an integer >= 2 (got {grid!r})", field="grid")
    names = model_names(list(models) if models else list(INFLUENCE_MODELS))
    sc = load(source).without_outcome()
    used = resolve_seed(seed)
    a = sc.arrays()
    n_iss = a.n_issues
    width = a.scale_max - a.scale_min

    # candidate batch: index 0 is the base scenario
    pos = [a.position]
    sal = [a.salience]
    rlo = [a.red_low]
    rhi = [a.red_high]
    meta: list[tuple[str, str, int, float, float, float, tuple[str, ...]]] = []
    gpos = np.linspace(0.0, 1.0, grid + 1)
    gsal = np.linspace(0.0, 1.0, max(grid // 5, 2) + 1)
    for i, actor in enumerate(a.actors):
        for k, iid in enumerate(a.issues):
            if not a.stake[i, k]:
                continue
            vals = a.scale_min[k] + gpos * width[k]
            p = np.repeat(a.position[None], vals.size, axis=0)
            p[:, i, k] = vals
            pos.append(p)
            sal.append(np.repeat(a.salience[None], vals.size, axis=0))
            rlo.append(np.repeat(a.red_low[None], vals.size, axis=0))
            rhi.append(np.repeat(a.red_high[None], vals.size, axis=0))
            b = float(a.position[i, k])
            meta += [(actor, "position", k, b, float(v), abs(float(v) - b) / width[k],
                      (f"{actor}.{iid}.position={_num(v)}",)) for v in vals]
            s = np.repeat(a.salience[None], gsal.size, axis=0)
            s[:, i, k] = gsal
            sal.append(s)
            pos.append(np.repeat(a.position[None], gsal.size, axis=0))
            rlo.append(np.repeat(a.red_low[None], gsal.size, axis=0))
            rhi.append(np.repeat(a.red_high[None], gsal.size, axis=0))
            bs = float(a.salience[i, k])
            meta += [(actor, "salience", k, bs, float(v), abs(float(v) - bs),
                      (f"{actor}.{iid}.salience={_num(v)}",)) for v in gsal]
    openings = red_line_openings(sc)
    zone_open = _zone_open(sc)
    for i, actor in enumerate(a.actors):
        op = openings.get(actor)
        if zone_open or op is None:
            continue
        new_lo, new_hi = op
        moved = (new_lo != a.red_low[i]) | (new_hi != a.red_high[i])
        if not moved.any():
            continue
        lo_b = a.red_low.copy()
        hi_b = a.red_high.copy()
        lo_b[i], hi_b[i] = new_lo, new_hi
        rlo.append(lo_b[None])
        rhi.append(hi_b[None])
        pos.append(a.position[None])
        sal.append(a.salience[None])
        shift = (a.red_low[i] - new_lo) + (new_hi - a.red_high[i])
        ch = tuple(f"{actor}.{a.issues[k]}.red_line={_num(new_lo[k])}:{_num(new_hi[k])}"
                   for k in np.flatnonzero(moved))
        ks = np.flatnonzero(moved)
        meta.append((actor, "red_line", int(ks[0]) if ks.size == 1 else -1, 0.0, float(shift.sum()),
                     float((shift / width).sum()), ch))

    batch = a.replace(position=np.concatenate([np.asarray(p)[None] if np.ndim(p) == 2 else p for p in pos]),
                      salience=np.concatenate([np.asarray(s)[None] if np.ndim(s) == 2 else s for s in sal]),
                      red_low=np.concatenate([np.asarray(r)[None] if np.ndim(r) == 2 else r for r in rlo]),
                      red_high=np.concatenate([np.asarray(r)[None] if np.ndim(r) == 2 else r for r in rhi]))
    n_cand = batch.position.shape[0]
    deals = np.zeros(n_cand, dtype=int)
    margins = np.zeros(n_cand)
    for name, kid in zip(names, model_seeds(used, len(names)), strict=True):
        out = np.asarray(get_model(name).forecast_arrays(batch, rng=as_generator(kid)), dtype=float)
        out = np.broadcast_to(out, (n_cand, n_iss))
        d, m = _batched_deals(sc, batch, out)
        deals += d
        margins += m
    margins /= len(names)
    opens = np.full(n_cand, zone_open)
    for c, mt in enumerate(meta, start=1):
        if mt[1] == "red_line":
            opens[c] = True

    ranking = []
    calibrated = forecasts and calibrated_deal_probability(sc, used) is not None
    for actor in a.actors:
        best_of_kind = []
        for kind in _KINDS:
            idx = [c for c, mt in enumerate(meta, start=1) if mt[0] == actor and mt[1] == kind]
            mv = _best(idx, meta, deals, margins, opens, deals[0], margins[0], zone_open)
            if mv is not None:
                if calibrated:
                    dp = calibrated_deal_probability(what_if(sc, list(mv.changes)).scenario, used)
                    mv = replace(mv, deal_probability=float(dp.value))
                best_of_kind.append(mv)
        best = min(best_of_kind, key=_move_key) if best_of_kind else None
        ranking.append((actor, best, tuple(best_of_kind)))
    ranking.sort(key=lambda r: (r[1] is None, _move_key(r[1]) if r[1] else ()))
    fm = list(forecast_models) if forecast_models else names
    result = []
    for actor, best, moves in ranking:
        res = compare(sc, list(best.changes), fm, seed=used) if (forecasts and best is not None) else None
        result.append(ActorInfluence(actor=actor, best=best, moves=moves, result=res))
    bdp = calibrated_deal_probability(sc, used) if forecasts else None
    return Influence(scenario=sc.name, models=tuple(names), base_deals=int(deals[0]), base_margin=float(margins[0]),
                     base_zone_open=zone_open, ranking=tuple(result), n_candidates=n_cand - 1,
                     base_deal_probability=None if bdp is None else float(bdp.value),
                     seed_entropy=seed_entropy_of(used))


def _batched_deals(sc: Scenario, batch: Any, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from ..uncertainty.deal import deal_flags

    ai = {x: k for k, x in enumerate(batch.actors)}
    th = sc.threats
    cred = np.broadcast_to(np.array([t.credibility for t in th], dtype=float), (out.shape[0], len(th)))
    deal, _, _, _, margin = deal_flags(
        batch, out, credibility=cred, threat_target=np.array([ai[t.target] for t in th], dtype=int),
        threat_cost=np.array([t.cost_to_target for t in th], dtype=float))
    return deal.astype(int), np.where(np.isfinite(margin), margin, -1.0)


def _move_key(m: Move) -> tuple:
    # the calibrated probability, where computed, ranks before the structural checks it rests on
    p = m.deal_probability if m.deal_probability is not None else 0.0
    return (-m.deals, -p, not m.opens_zone, m.size, -m.margin)


def _best(idx: list[int], meta, deals, margins, opens, base_deals: int, base_margin: float,
          zone_open: bool) -> Move | None:
    if not idx:
        return None
    ix = np.array(idx)
    d, mg = deals[ix], margins[ix]
    size = np.array([meta[c - 1][5] for c in idx])
    top = d.max()
    if top > base_deals:
        ok = ix[d == top]
        sz = size[d == top]
        mm = margins[ok]
        pick = ok[np.lexsort((-mm, sz))[0]]
    elif meta[idx[0] - 1][1] == "red_line" and opens[ix].any() and not zone_open:
        pick = ix[0]
    else:
        gain = mg.max() - base_margin
        if gain <= 1e-12:
            return None
        near = mg >= mg.max() - 1e-9
        pick = ix[near][np.argmin(size[near])]
    actor, kind, k, before, after, sz1, ch = meta[pick - 1]
    return Move(actor=actor, kind=kind, issue="" if k < 0 else str(_issue_of(meta, pick, k)), before=before,
                after=after, size=sz1, opens_zone=bool(opens[pick]), deals=int(deals[pick]),
                margin=float(margins[pick]), changes=ch)


def _issue_of(meta, pick: int, k: int) -> str:
    # the issue id is the second path part of the move's first change
    return meta[pick - 1][6][0].split(".")[1]


def influence_document(res: Influence) -> dict[str, Any]:
    """The influence document (``detente influence --format json``, ``POST /influence``).

    Keys: ``scenario``, ``models``, ``n_candidates``, ``seed_entropy``, ``base`` (deals,
    margin, zone_open, deal_probability), ``ranking`` (per actor, best first: ``actor``,
    ``best`` and ``moves`` (kind, issue, before, after, size, opens_zone, deals, margin,
    changes), ``forecast`` (per model ``{issue: {base, changed, difference}}``),
    ``deal_probability`` after the best move (None while the calibrated model is not
    installed)).
    """
    def mv(m: Move | None) -> dict[str, Any] | None:
        if m is None:
            return None
        return {"kind": m.kind, "issue": m.issue, "before": m.before, "after": m.after, "size": m.size,
                "opens_zone": m.opens_zone, "deals": m.deals, "margin": m.margin, "changes": list(m.changes),
                "deal_probability": m.deal_probability}

    from .whatif import what_if_document

    ranking = []
    for r, ai in enumerate(res.ranking, start=1):
        doc = what_if_document(ai.result) if ai.result is not None else None
        ranking.append({
            "rank": r, "actor": ai.actor, "best": mv(ai.best), "moves": [mv(m) for m in ai.moves],
            "forecast": doc["outcomes"] if doc else None,
            "deal": doc["deal"] if doc else None,
            "deal_probability": doc["deal_probability"]["changed"] if doc else None,
        })
    return json_ready({
        "scenario": res.scenario, "models": list(res.models), "n_candidates": res.n_candidates,
        "seed_entropy": res.seed_entropy,
        "base": {"deals": res.base_deals, "margin": res.base_margin, "zone_open": res.base_zone_open,
                 "deal_probability": res.base_deal_probability},
        "ranking": ranking,
    })
