"""Stokman's exchange model: actors trade support across issues they weigh differently.

Each round, for every pair of issues (p, q) and every pair of actors on opposite sides of the
forecast outcome on both issues, actor I (who cares relatively more about p) moves toward J on
q while J moves toward I on p, so far that both gain equally (Stokman & Van Oosten 1994):

.. math::

    O_p = \\frac{\\sum_k c_{kp} s_{kp} x_{kp}}{\\sum_k c_{kp} s_{kp}}, \\qquad
    \\Delta O_q = \\Delta O_p \\frac{s_{Ip} + s_{Jp}}{s_{Iq} + s_{Jq}}, \\qquad
    G = \\Delta O_p s_{Ip} - \\Delta O_q s_{Iq}

(the actor that would overshoot its partner's position is the one that moves all the way).
Exchanges are executed in order of gain; each execution updates the remaining ones; at the end
of a round every trading actor's position moves toward its voting position with weight
``0.1 + 0.4 (1 - s)``. The forecast is the outcome of the last round's voting positions.
REX (``rule="rex"``, parameter p) randomises how the gain is split (Stokman & Van den Bos 1992
style randomised equal gain, as in the Decide package).

Two variants share this maths:

* ``variant="decide"`` reproduces the reference implementation (Decide,
  ``decide-exchange-model`` 2025.3.1) exactly: Python :mod:`decimal` arithmetic with its order of
  operations (near-equal gains are ordered by Decimal rounding), its tie coin flip and its
  documented quirks, and its random stream (a private ``random.Random(seed)``, never the global
  generator).
* ``variant="stokman"`` (default) is float64 with a deterministic tie rule (gains equal within a
  relative 1e-9 go by creation order) and without the reference's bugs; many scenarios run at
  once as a batch (:meth:`Exchange.forecast_arrays`). It has two backends with identical
  results: a compiled kernel (``_exchange_kernel``, with numba: ``detente[fast]``) and the numpy
  engine ``_Batch`` (without numba); ``backend=`` of :func:`exchange_run` picks one.

The full equations, every step and the list of differences are in ``docs/models/exchange.md``.

References
----------
Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: an object-oriented
model of policy networks. In Bueno de Mesquita & Stokman (Eds.), European Community Decision
Making, Yale University Press, 105-127.
Stokman, F. N., & Van den Bos, J. M. M. (1992). A two-stage model of policy making: with an
empirical test in the U.S. energy policy domain. Research in Politics and Society 4, 219-253.
"""

from __future__ import annotations

import decimal
import itertools
import random
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._jit import HAVE_NUMBA
from ..errors import MissingExtraError, ModelParameterError
from ..io.decide import DecideData, data_from_scenario
from ..results import Forecast
from ..rng import as_generator
from ._common import check_arrays

__all__ = ["Exchange", "ExchangeRun", "exchange_decide", "exchange_outcome", "exchange_run"]

# decimal context of the reference (Python's default context): never the thread's own one
_CTX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN,
                       traps=[decimal.DivisionByZero, decimal.InvalidOperation, decimal.Overflow])
# Constants per variant. The reference compares Decimals with the binary floats 1e-10 and 1e-20
# and multiplies by 0.4 and 0.1 as Decimals of the binary floats: Decimal(float) is exact.
_DEC = SimpleNamespace(zero=Decimal(0), one=Decimal(1), hundred=Decimal(100), tiny=Decimal(1e-10),
                       tie=Decimal(1e-20), w_sal=Decimal(0.4), w_fix=Decimal(0.1),
                       near=Decimal("1e-9"))
# |target - outcome| below this (0..100 scale) is "on the target" up to rounding noise
_NEAR_AT = Decimal("1e-9")
_FLT = SimpleNamespace(tiny=1e-10, w_sal=0.4, w_fix=0.1, near=1e-9)


@dataclass(slots=True)
class _Input:
    """Model input on the 0..100 scale: per issue, the actors in row order and their numbers."""

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    order: list[list[str]]
    sal: list[dict]
    pow: list[dict]
    pos0: list[dict]
    lower: list[Any]     # issue-scale lower bounds
    step: list[Any]      # 100 / (upper - lower), 0 for a point scale


def _input_from_decide(data: DecideData, exact: bool) -> _Input:
    num = (lambda d: d) if exact else float
    idx = {i: k for k, i in enumerate(data.issues)}
    m = len(data.issues)
    lower: list[Any] = [data.lower[i] for i in data.issues]
    step: list[Any] = []
    for i in data.issues:
        span = data.upper[i] - data.lower[i]
        step.append(Decimal(100) / span if span else Decimal(0))
    order: list[list[str]] = [[] for _ in range(m)]
    sal: list[dict] = [{} for _ in range(m)]
    pw: list[dict] = [{} for _ in range(m)]
    pos: list[dict] = [{} for _ in range(m)]
    for r in data.rows:
        k = idx[r.issue]
        order[k].append(r.actor)
        sal[k][r.actor] = num(r.salience)
        pw[k][r.actor] = num(r.power)
        x = (r.position - lower[k]) * step[k]
        pos[k][r.actor] = x if exact else (float(r.position) - float(lower[k])) * float(step[k])
    if not exact:
        lower = [float(v) for v in lower]
        step = [float(v) for v in step]
    return _Input(tuple(data.actors), tuple(data.issues), order, sal, pw, pos, lower, step)


def _input_from_arrays(position, salience, power, stake, scale_min, scale_max,
                       actors, issues) -> _Input:
    """Float input from (n_actors, n_issues) arrays; rows go in actor order on every issue."""
    n, m = stake.shape
    order: list[list[str]] = []
    sal: list[dict] = []
    pw: list[dict] = []
    pos: list[dict] = []
    step = [100.0 / (hi - lo) if hi != lo else 0.0 for lo, hi in zip(scale_min, scale_max, strict=True)]
    for k in range(m):
        who = [actors[a] for a in range(n) if stake[a, k]]
        order.append(who)
        sal.append({actors[a]: float(salience[a, k]) for a in range(n) if stake[a, k]})
        pw.append({actors[a]: float(power[a, k]) for a in range(n) if stake[a, k]})
        pos.append({actors[a]: (float(position[a, k]) - float(scale_min[k])) * step[k]
                    for a in range(n) if stake[a, k]})
    return _Input(tuple(actors), tuple(issues), order, sal, pw, pos,
                  [float(v) for v in scale_min], step)



class _Side:
    """One actor's half of a candidate exchange (supplies one issue, demands the other)."""

    __slots__ = ("actor", "supply", "demand", "x", "start", "target", "s_sup", "s_dem", "c_sup",
                 "move", "y", "hist", "d_o", "eu", "n0", "n1", "eu_max")

    def __init__(self, actor, supply, demand, x, target, s_sup, s_dem, c_sup):
        self.actor, self.supply, self.demand = actor, supply, demand
        self.x = x            # current supply position (moves when an executed exchange moves it)
        self.start = x        # round-start position on the supply issue
        self.target = target  # the partner's round-start position on this side's supply issue
        self.s_sup, self.s_dem, self.c_sup = s_sup, s_dem, c_sup
        self.move = self.y = self.d_o = self.eu = self.n0 = self.n1 = self.eu_max = 0
        self.hist: list = []


class _Exchange:
    __slots__ = ("i", "j", "ai", "aj", "gain", "valid", "updates", "group", "dp", "dq", "draws",
                 "cut")

    def __init__(self, i: _Side, j: _Side, group: str):
        self.i, self.j, self.group = i, j, group
        self.ai, self.aj = i.actor, j.actor
        self.gain: Any = 0
        self.valid = False
        self.updates: dict = {}
        self.draws: tuple[float, float, float] | None = None
        self.cut = ""
        self.dp: Any = 0
        self.dq: Any = 0


class _Round:
    """State and steps of one round of the decide variant."""

    def __init__(self, eng: _Engine, pos: list[dict]):
        self.eng = eng
        self.pos = pos          # pos[p][actor] round-start positions (0..100)
        e = eng
        self.prod = [{a: (pos[p][a] * e.sal[p][a]) * e.pow[p][a] for a in e.order[p]}
                     for p in range(e.m)]
        # running sums in row order: a sum with replacements reuses the part before the first
        # replaced row (the same additions, so the same Decimal roundings)
        self.prefix = []
        for p in range(e.m):
            run, acc = [0], 0
            for a in e.order[p]:
                acc = acc + self.prod[p][a]
                run.append(acc)
            self.prefix.append(run)

    # outcome of issue p with some actors' positions replaced, summed in #D order
    def outcome_sum(self, p: int, over: dict) -> Any:
        e = self.eng
        if not over:
            return self.prefix[p][-1]
        where = e.row[p]
        start = min([where[a] for a in over])
        prod, order = self.prod[p], e.order[p]
        s, c = e.sal[p], e.pow[p]
        acc = self.prefix[p][start]
        for a in order[start:]:
            acc = acc + ((over[a] * s[a]) * c[a] if a in over else prod[a])
        return acc

    def outcome(self, p: int, over: dict) -> Any:
        d = self.eng.dsum[p]
        return self.outcome_sum(p, over) / d if d else d

    def n_with(self, side: _Side, ex: _Exchange, at: Decimal) -> Decimal:
        over = dict(ex.updates.get(side.supply, ()))
        over[side.actor] = at
        return self.outcome(side.supply, over)

    # section 5 -------------------------------------------------------------------------
    def _valid_move(self, side: _Side) -> bool:
        k = self.eng.k
        m = side.move
        if abs(m) > k.hundred or abs(m) <= k.tiny:
            return False
        if not k.zero <= side.x + m <= k.hundred:
            return False
        h = side.hist
        if sum(h) > k.hundred:
            return False
        return all(v < 0 for v in h) or all(v > 0 for v in h)

    def _validity(self, ex: _Exchange) -> bool:
        return self._valid_move(ex.i) and self._valid_move(ex.j) and ex.gain >= self.eng.k.tiny

    def _direct(self, side: _Side, m: Decimal) -> None:
        side.move = m if side.target > side.x else -m
        side.y = side.x + side.move

    def compute(self, ex: _Exchange) -> None:
        e = self.eng
        I, J = ex.i, ex.j  # noqa: E741 (the roles' names in the papers)
        dsum = e.dsum
        p, q = J.supply, I.supply
        m_j = abs(J.target - J.x)
        dop = ((m_j * J.s_sup) * J.c_sup) / dsum[p]
        doq = ((I.s_dem + J.s_sup) / (I.s_sup + J.s_dem)) * dop
        m_i = (doq * dsum[q]) / (I.c_sup * I.s_sup)
        d_i = abs(I.target - I.x)
        if m_i > d_i:
            m_i = d_i
            doq = ((m_i * I.s_sup) * I.c_sup) / dsum[q]
            dop = ((I.s_sup + J.s_dem) / (I.s_dem + J.s_sup)) * doq
            m_j = (dop * dsum[p]) / (J.c_sup * J.s_sup)
        self._direct(I, m_i)
        self._direct(J, m_j)
        I.d_o, J.d_o = doq, dop
        ex.dp, ex.dq = dop, doq
        ex.gain = abs(doq * I.s_sup - dop * I.s_dem)
        I.eu = J.eu = ex.gain
        I.hist.append(I.move)
        J.hist.append(J.move)
        ex.cut = ""
        valid0 = ex.valid = self._validity(ex)
        if valid0:
            self._overshoot(ex, I, J)
            self._overshoot(ex, J, I)
            ex.valid = self._validity(ex)
        if e.rex and valid0:
            self._rex(ex)

    def _overshoot(self, ex: _Exchange, a: _Side, b: _Side) -> bool:
        """Section 5 step 6: cut side a's move so the outcome of its supply issue stops at t."""
        a.n0 = n0 = self.n_with(a, ex, a.x)
        a.n1 = n1 = self.n_with(a, ex, a.y)
        t = a.target
        f0, f1 = t - n0, t - n1
        if f0 and abs(f0) <= _NEAR_AT:
            # the outcome sits on t up to rounding noise, whose sign decides the branch
            self.near += 1
        if not f0 or not f1 or (f0 > 0) == (f1 > 0):
            return False
        e = self.eng
        over = {a.actor: a.x}
        over.update(ex.updates.get(a.supply, ()))
        dsa, dsb = e.dsum[a.supply], e.dsum[b.supply]
        m_a = abs((t * dsa - self.outcome_sum(a.supply, over)) / (a.s_sup * a.c_sup))
        do_a = ((m_a * a.s_sup) * a.c_sup) / dsa
        do_b = ((a.s_sup + b.s_dem) / (a.s_dem + b.s_sup)) * do_a
        m_b = (do_b * dsb) / (b.c_sup * b.s_sup)
        self._direct(a, m_a)
        self._direct(b, m_b)
        a.hist[-1] = a.move
        b.hist[-1] = b.move
        a.d_o, b.d_o = do_a, do_b
        ex.dp, ex.dq = do_a, do_b  # the reference stores the cut side's shift as dp
        ex.gain = abs(do_b * b.s_sup - do_a * b.s_dem)  # the sides' eu keep the uncut gain
        ex.cut = a.actor
        ex.valid = self._validity(ex)
        return True

    # section 10 ------------------------------------------------------------------------
    def _rex(self, ex: _Exchange) -> None:
        e = self.eng
        u, v, z = e.draw3()
        ex.draws = (u, v, z)
        I, J = ex.i, ex.j  # noqa: E741 (the roles' names in the papers)
        pos = self.pos
        delta = {}
        flag = {}
        for a in (I, J):
            a.n0 = self.n_with(a, ex, a.x)
            # reference quirk: own demand-issue position vs own supply-side vote (the flag is
            # meant to say "moved all the way")
            flag[a.actor] = pos[a.demand][a.actor] == a.y
            at = a.y if flag[a.actor] else a.target
            delta[a.actor] = abs(self.n_with(a, ex, at) - a.n0)
        gain_i = delta[J.actor] * I.s_dem
        loss_i = delta[I.actor] * I.s_sup
        gain_j = delta[I.actor] * J.s_dem
        loss_j = delta[J.actor] * J.s_sup
        if gain_i > gain_j:
            A, B, g, loss = J, I, gain_j, loss_i
        else:
            A, B, g, loss = I, J, gain_i, loss_j
        s = A.s_sup / (A.s_sup + B.s_dem)
        eu_b = (s * B.s_dem) * (g / (s * A.s_sup)) - loss
        eu_a = g - (s * A.s_sup) * (loss / (s * B.s_dem))
        over = None
        if flag[I.actor] and gain_j - loss_j > 0:
            over = gain_i - (loss_j / J.s_dem) * I.s_sup
        if flag[J.actor] and gain_i - loss_i > 0:
            over = gain_j - (loss_i / I.s_dem) * J.s_sup
        if over:
            eu_b = over
        A.eu_max, B.eu_max = eu_a, eu_b
        R, P = (I, J) if u < 0.5 else (J, I)
        G = ex.gain
        pz = e.p * Decimal(z)
        eu_r = G + pz * (R.eu_max - G) if v < 0.5 else G - pz * G
        d_r = abs(R.x - R.target)
        d_p = abs(P.x - P.target)
        ds_r, ds_p = e.dsum[R.supply], e.dsum[P.supply]
        m_r = d_r
        do_r = ((d_r * R.s_sup) * R.c_sup) / ds_r
        do_p = (eu_r + do_r * R.s_sup) / R.s_dem
        m_p = (do_p * ds_p) / (P.c_sup * P.s_sup)
        twice = False
        if m_p > d_p:
            m_p = d_p
            do_p = ((d_p * P.s_sup) * P.c_sup) / ds_p
            do_r = abs((eu_r - do_p * R.s_dem) / R.s_sup)
            m_r = (do_r * ds_r) / (R.c_sup * R.s_sup)
        else:
            y_r = R.x + (d_r if R.target > R.x else -d_r)
            n1 = self.n_with(R, ex, y_r)
            t = R.target
            f0, f1 = t - R.n0, t - n1
            if f0 and abs(f0) <= _NEAR_AT:
                self.near += 1
            if f0 and f1 and (f0 > 0) != (f1 > 0):
                over_r = {R.actor: R.x}
                over_r.update(ex.updates.get(R.supply, ()))
                m_cut = abs((t * ds_r - self.outcome_sum(R.supply, over_r)) / (R.s_sup * R.c_sup))
                do_r = ((m_cut * R.s_sup) * R.c_sup) / ds_r
                do_p = (eu_r + do_r * R.s_sup) / R.s_dem
                m_p = (do_p * ds_p) / (P.c_sup * P.s_sup)
                twice = True  # the reference applies the direction sign twice to R's move
        eu_p = abs(do_p * P.s_sup - do_r * P.s_dem)
        R.eu, P.eu = eu_r, eu_p
        if twice:
            R.move = m_r if R.target > R.x else -m_r  # the sign applied once ...
            R.move = R.move if R.target > R.x else -R.move  # ... and once more
            R.y = R.x + R.move
        else:
            self._direct(R, m_r)
        self._direct(P, m_p)
        R.d_o, P.d_o = do_r, do_p
        R.hist[-1] = R.move
        P.hist[-1] = P.move
        for a in (R, P):
            a.n1 = self.n_with(a, ex, a.y)
        ex.valid = self._validity(ex)

    # section 7 -------------------------------------------------------------------------
    def update(self, x: _Exchange, ex: _Exchange) -> None:
        marked = False
        for xs in (x.i, x.j):
            for es in (ex.i, ex.j):
                if xs.actor == es.actor and xs.supply == es.supply:
                    xs.x = es.y
                    xs.hist.append(es.move)
                    marked = True
        if marked:
            x.i.hist.pop()
            x.j.hist.pop()
        for es, eo in ((ex.j, ex.i), (ex.i, ex.j)):
            for xs in (x.i, x.j):
                if xs.actor == es.actor and xs.demand == es.demand:
                    rec = x.updates.setdefault(es.demand, {})
                    a = eo.actor
                    old = rec.get(a)
                    if old is None:
                        rec[a] = eo.y
                    elif self.pos[es.demand][a] <= old:
                        rec[a] = min(old, eo.y)
                    else:
                        rec[a] = max(old, eo.y)
                    if not marked:
                        x.i.hist.pop()
                        x.j.hist.pop()
                        marked = True
        if marked:
            self.compute(x)

    # sections 4 and 6 --------------------------------------------------------------------
    def run(self, record: bool) -> tuple[list[_Exchange], list[_Exchange], list, tuple[int, int]]:
        """Execute one round's exchanges; (executed live objects, records, outcomes, flips)."""
        e = self.eng
        pos = self.pos
        mds = [self.outcome(p, {}) for p in range(e.m)]
        left = [{a: pos[p][a] <= mds[p] for a in e.order[p]} for p in range(e.m)]
        cands: list[_Exchange] = []
        for p, q in itertools.combinations(range(e.m), 2):
            both = [a for a in e.actor_order if a in e.tradable[p] and a in e.tradable[q]]
            groups: list[list] = [[], [], [], []]
            for a in both:
                groups[left[p][a] + 2 * left[q][a]].append(a)
            for g1, g2, name in ((0, 3, "ad"), (1, 2, "bc")):
                for u in groups[g1]:
                    for w in groups[g2]:
                        sp, sq = e.sal[p], e.sal[q]
                        if sp[u] / sq[u] < sp[w] / sq[w]:
                            ia, ja = w, u
                        else:
                            ia, ja = u, w
                        si = _Side(ia, q, p, pos[q][ia], pos[q][ja], e.sal[q][ia], e.sal[p][ia], e.pow[q][ia])
                        sj = _Side(ja, p, q, pos[p][ja], pos[p][ia], e.sal[p][ja], e.sal[q][ja], e.pow[p][ja])
                        ex = _Exchange(si, sj, name)
                        self.compute(ex)
                        cands.append(ex)
        done: list[_Exchange] = []
        flips = 0
        self.near = 0  # rounding-decided branches: near-equal gains, outcome on the target
        lst = cands
        gain = _gain_key
        k = e.k
        while lst:
            lst.sort(key=gain, reverse=True)  # stable: equal gains keep their list order
            first = lst.pop(0)
            if lst:
                diff = abs(first.gain - lst[0].gain)
                if 0 < diff <= k.near * abs(first.gain):  # order decided by rounding
                    self.near += 1
                if e.allow_random and diff < k.tie:
                    flips += 1
                    if e.rnd.random() >= 0.5:
                        lst.append(first)
                        first = lst.pop(0)
                    else:
                        lst.append(lst[0])  # reference bug: now in the list twice
            if not first.valid:
                continue
            done.append(first)
            ea, eb = first.ai, first.aj
            update = self.update
            for x in lst:  # only exchanges sharing an actor with the executed one can change
                if x.valid and (x.ai == ea or x.ai == eb or x.aj == ea or x.aj == eb):
                    update(x, first)
            lst = [x for x in lst if x.valid]
        # the reference reports the executed objects as they are at the end of the round (a
        # duplicated one may have been recomputed after its execution)
        return done, (done if record else []), mds, (flips, self.near)


def _gain_key(ex: _Exchange) -> Decimal:
    return ex.gain




class _Engine:
    """Rounds and repetitions of the decide variant: Decimal numbers, the reference's order of
    operations and quirks, its tie coin flip and REX draws from a private ``random.Random``."""

    def __init__(self, inp: _Input, *, rule: str, p, seed: int, allow_random: bool = True):
        self.k = _DEC
        self.inp = inp
        self.m = len(inp.issues)
        self.actor_order = list(inp.actors)
        self.order, self.sal, self.pow, self.pos0 = inp.order, inp.sal, inp.pow, inp.pos0
        self.row = [{a: r for r, a in enumerate(o)} for o in self.order]
        self.dsum = [sum([self.sal[k][a] * self.pow[k][a] for a in self.order[k]])
                     for k in range(self.m)]
        # the reference divides by these and crashes on a zero: such actors cannot trade
        self.tradable = [{a for a in self.order[k] if self.sal[k][a] != 0 and self.pow[k][a] != 0}
                         for k in range(self.m)]
        self.rex = rule == "rex"
        self.p = Decimal(str(p))
        self.allow_random = allow_random
        self.rnd = random.Random(seed)  # private: the reference's random.seed(S) stream
        u = self.rnd.random
        self.draw3 = lambda: (u(), u(), u())  # uniform(0, 1) is 0 + 1 * random()

    def repetition(self, rounds: int, record: bool) -> dict:
        k = self.k
        pos = [dict(d) for d in self.pos0]
        out_rounds = []
        for rnd in range(rounds):
            state = _Round(self, pos)
            done, records, before, (flips, near) = state.run(record)
            new = [dict(d) for d in pos]
            # the live objects: a duplicated exchange may be recomputed after its execution
            for ex in done:
                for sd in (ex.i, ex.j):
                    new[sd.supply][sd.actor] = sd.y
            voting = [self.outcome(new, i) for i in range(self.m)]
            upd = [dict(d) for d in pos]
            for ex in done:
                for sd in (ex.i, ex.j):
                    i, a = sd.supply, sd.actor
                    x0 = pos[i][a]
                    t = (k.one - self.sal[i][a]) * k.w_sal
                    upd[i][a] = (t * sd.y + k.w_fix * sd.y) + ((k.one - t) - k.w_fix) * x0
            out_rounds.append({
                "round": rnd, "before": before, "voting": voting, "positions_before": pos,
                "voting_positions": new, "exchanges": records, "n_exchanges": len(done),
                "flips": flips, "near_ties": near,
            })
            pos = upd
        final = [self.outcome(pos, i) for i in range(self.m)]
        return {"rounds": out_rounds, "final_positions": pos, "final": final}

    def outcome(self, pos: list[dict], i: int):
        d = self.dsum[i]
        if not d:
            return d
        s, c = self.sal[i], self.pow[i]
        return sum([(pos[i][a] * s[a]) * c[a] for a in self.order[i]]) / d


# ---------------------------------------------------------------------------------------------
# variant="stokman": float64, every candidate exchange of every draw at once
# ---------------------------------------------------------------------------------------------
_BIG = np.iinfo(np.int64).max
# rows of _Batch.const (fixed in a round) and _Batch.state (changed by executions)
_CONST = ("sIq", "sIp", "sJp", "sJq", "cIq", "cJp", "Dp", "Dq", "tI", "tJ", "wI", "wJ", "x0I",
          "x0J", "baseI", "baseJ", "ratio", "kI", "kJ")
_STATE = ("xI", "xJ", "psI", "psJ", "pcI", "pcJ", "ppI", "ppJ", "pnI", "pnJ", "dI", "dJ", "uI",
          "uJ")


def _pack(vals: np.ndarray, keep: np.ndarray, fill) -> np.ndarray:
    """``vals`` (R, V, W): per row, the kept entries (``keep`` (R, W)) first, padded with
    ``fill`` (scalar or (V, 1))."""
    order = np.argsort(~keep, axis=1, kind="stable")[:, :max(int(keep.sum(axis=1).max()), 1)]
    return np.where(np.take_along_axis(keep, order, axis=1)[:, None],
                    np.take_along_axis(vals, order[:, None], axis=2), fill)


def _candidates(stake: np.ndarray) -> tuple[np.ndarray, ...]:
    """Candidate exchanges of a stake pattern (n_actors, n_issues), in creation order.

    Returns (a1, a2, p, q, pair, touch): actor pairs a1 < a2 with a stake on both issues of
    the issue pair (p, q) (index ``pair`` in ``itertools.combinations`` order), and ``touch``
    (n_actors * n_issues, W): the candidates involving each (actor, issue), padded with C.
    """
    n, m = stake.shape
    a1, a2, pp, qq, pair = [], [], [], [], []
    for k, (p_, q_) in enumerate(itertools.combinations(range(m), 2)):
        both = np.flatnonzero(stake[:, p_] & stake[:, q_])
        u, v = np.triu_indices(both.size, 1)
        a1.append(both[u])
        a2.append(both[v])
        pp.append(np.full(u.size, p_))
        qq.append(np.full(u.size, q_))
        pair.append(np.full(u.size, k))

    def cat(parts: list) -> np.ndarray:
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    a1_, a2_, p, q, pr = map(cat, (a1, a2, pp, qq, pair))
    C = a1_.size
    # candidates by (actor, issue) they involve: the ones an execution can touch
    keys = np.concatenate([a1_ * m + p, a1_ * m + q, a2_ * m + p, a2_ * m + q])
    ids = np.tile(np.arange(C), 4)
    order = np.argsort(keys, kind="stable")
    keys, ids = keys[order], ids[order]
    counts = np.bincount(keys, minlength=n * m)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    width = max(int(counts.max()) if counts.size else 1, 1)
    touch = np.full((n * m, width), C, dtype=np.int64)  # C = padding (dummy slot)
    touch[keys, np.arange(keys.size) - start[keys]] = ids
    return a1_, a2_, p, q, pr, touch


class _Batch:
    """The exchange model for a batch of B draws on one actor/issue structure, in numpy.

    Candidates are all pairs of actors with a stake on both issues of an issue pair; per draw
    and round a candidate is active when its actors sit on opposite sides on both issues. State
    lives in flat arrays over (draw, candidate) plus one dummy slot; an execution recomputes only
    the candidates that share an actor and an issue with it. Side I supplies the candidate's
    second issue q (update slot 1), side J its first issue p (slot 0).
    """

    def __init__(self, position, salience, power, stake, *, rule: str, p: float,
                 rngs: list[np.random.Generator] | None, record: bool):
        self.stake = np.asarray(stake, dtype=bool)           # (n, m)
        self.x0 = np.where(self.stake, np.asarray(position, dtype=float), 0.0)   # (B, n, m)
        self.sal = np.where(self.stake, np.asarray(salience, dtype=float), 0.0)
        self.pw = np.where(self.stake, np.asarray(power, dtype=float), 0.0)
        B, n, m = self.x0.shape
        self.B, self.n, self.m = B, n, m
        self.w = self.sal * self.pw
        self.dsum = self.w.sum(axis=1)                       # (B, m)
        self.tradable = self.stake & (self.sal != 0) & (self.pw != 0)
        self.a1, self.a2, self.p, self.q, self.pair, self.touch = _candidates(self.stake)
        self.C = C = self.a1.size
        self.rex = rule == "rex"
        self.p_rex = float(p)
        # one generator per draw: a draw's REX numbers do not depend on the rest of the batch
        self.rngs = rngs if rngs is not None else [np.random.default_rng(0) for _ in range(B)]
        if self.rex:
            width = 3 * max(C, 16)
            self.buf = np.stack([g.random(width) for g in self.rngs])
            self.buf_at = np.zeros(B, dtype=np.int64)
        self.record = record

    def _outcome(self, x: np.ndarray) -> np.ndarray:
        num = (x * self.w).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.dsum > 0, num / np.where(self.dsum > 0, self.dsum, 1.0), 0.0)

    def run(self, rounds: int) -> dict:
        x = self.x0.copy()
        before, voting, n_ex = [], [], []
        records: list[list[dict]] = []
        for _ in range(rounds):
            o_before = self._outcome(x)
            vote, new, count, recs = self._round(x, o_before)
            before.append(o_before)
            voting.append(self._outcome(vote))
            n_ex.append(count)
            records.append(recs)
            x = new
        return {"before": np.stack(before, 1), "voting": np.stack(voting, 1),
                "final": self._outcome(x), "final_positions": x,
                "n_exchanges": np.stack(n_ex, 1), "exchanges": records}

    # -- one round ------------------------------------------------------------------------
    def _round(self, x: np.ndarray, o: np.ndarray):
        B, C, n, m = self.B, self.C, self.n, self.m
        a1, a2, p, q = self.a1, self.a2, self.p, self.q
        left = (x <= o[:, None, :]).astype(np.int64)             # (B, n, m)
        g1 = left[:, a1, p] + 2 * left[:, a1, q]                # (B, C)
        g2 = left[:, a2, p] + 2 * left[:, a2, q]
        ad = ((g1 == 0) & (g2 == 3)) | ((g1 == 3) & (g2 == 0))
        bc = ((g1 == 1) & (g2 == 2)) | ((g1 == 2) & (g2 == 1))
        tr = self.tradable
        active = (ad | bc) & tr[:, a1, p] & tr[:, a1, q] & tr[:, a2, p] & tr[:, a2, q]
        # keep only the active candidates of each draw (in creation order), padded to K
        K = self.K = max(int(active.sum(axis=1).max()), 1)
        order = np.argsort(~active, axis=1, kind="stable")[:, :K]
        used = np.take_along_axis(active, order, axis=1)
        self.posmap = np.full((B, C + 1), K, dtype=np.int64)
        bidx = np.broadcast_to(np.arange(B)[:, None], order.shape)
        self.posmap[bidx[used], order[used]] = np.nonzero(used)[1]
        a1, a2 = a1[order], a2[order]
        p, q = p[order], q[order]
        g1 = np.take_along_axis(g1, order, axis=1)
        ad = np.take_along_axis(ad, order, axis=1)
        first_is_a1 = (g1 == 0) | (g1 == 1)
        u = np.where(first_is_a1, a1, a2)
        v = np.where(first_is_a1, a2, a1)
        kind = np.where(ad, 0, 1)
        self.key = ((self.pair[order] * 2 + kind) * n + u) * n + v     # creation order (B, K)
        s = self.sal
        bidx = np.arange(B)[:, None]
        w_is_i = s[bidx, u, p] * s[bidx, v, q] < s[bidx, v, p] * s[bidx, u, q]
        ai = np.where(w_is_i, v, u)                               # actor I (supplies q)
        aj = np.where(w_is_i, u, v)                               # actor J (supplies p)
        F = B * K + 1
        self.ai = np.append(ai.ravel(), 0)
        self.aj = np.append(aj.ravel(), 0)
        fb = self.fb = np.append(np.repeat(np.arange(B), K), 0)
        fp = self.fp = np.append(p.ravel(), 0)
        fq = self.fq = np.append(q.ravel(), 0)
        self.skI, self.skJ = self.ai * m + fq, self.aj * m + fp   # supply keys (actor, issue)
        self.dkI, self.dkJ = self.ai * m + fp, self.aj * m + fq   # demand keys
        # per-candidate constants of the round (flat gathers once, 1-D takes later)
        iq = (fb * n + self.ai) * m + fq                          # flat (B, n, m) indices
        ip = (fb * n + self.ai) * m + fp
        jp = (fb * n + self.aj) * m + fp
        jq = (fb * n + self.aj) * m + fq
        sf, cf, xf, wf = s.ravel(), self.pw.ravel(), x.ravel(), self.w.ravel()
        # the round's constants of every candidate in one block, so that a recomputation
        # gathers them with one take (rows: see _CONST)
        cst = self.const = np.empty((len(_CONST), F))
        cst[0], cst[1], cst[2], cst[3] = sf[iq], sf[ip], sf[jp], sf[jq]
        cst[4], cst[5] = cf[iq], cf[jp]
        cst[6], cst[7] = self.dsum[fb, fp], self.dsum[fb, fq]
        cst[8], cst[9] = xf[jq], xf[ip]                  # partners' round-start positions
        cst[10], cst[11] = wf[iq], wf[jp]
        cst[12], cst[13] = xf[iq], xf[jp]
        num = (x * self.w).sum(axis=1)                            # (B, m)
        cst[14] = num[fb, fq] - cst[10] * cst[12]        # outcome numerator without I
        cst[15] = num[fb, fp] - cst[11] * cst[13]
        with np.errstate(invalid="ignore", divide="ignore"):
            cst[16] = (cst[1] + cst[2]) / (cst[0] + cst[3])   # dO_q / dO_p
            cst[17] = cst[0] * cst[4] / cst[7]        # I's outcome shift per move
            cst[18] = cst[2] * cst[5] / cst[6]
        # the state that executions change, in one block as well (rows: see _STATE)
        st = self.state = np.zeros((len(_STATE), F))
        st[0], st[1] = cst[12], cst[13]               # supply positions
        st[12:14] = np.nan                                     # a record of the side itself
        (self.xi, self.xj, self.psI, self.psJ, self.pcI, self.pcJ, self.ppI, self.ppJ,
         self.pnI, self.pnJ, self.dI, self.dJ, self.uI, self.uJ) = st   # row views
        z = np.zeros
        self.mv = z((2, F))                                       # moves of sides I, J
        self.mi, self.mj = self.mv                                # row views
        self.gain = np.full(F, -np.inf)
        self.doi, self.doj, self.eui, self.euj = z(F), z(F), z(F), z(F)
        self.emi, self.emj = np.full(F, np.nan), np.full(F, np.nan)
        self.draws = np.full((F, 3), np.nan) if self.rex and self.record else None
        self.upd = np.full(F * 2 * n, np.nan)                     # (F, slot, actor) records
        self.x = x
        self.alive = np.append(used.ravel(), False)
        self.valid = np.zeros(F, dtype=bool)
        self.score = np.full(F, -np.inf)                          # gain if alive and valid
        self._compute(np.flatnonzero(self.alive))
        vote, new = x.copy(), x.copy()
        count = np.zeros(B, dtype=np.int64)
        recs: list[dict] = []
        g = self.score[:-1].reshape(B, K)
        rows = np.arange(B)
        wsal = (_FLT.w_fix + _FLT.w_sal * (1.0 - s)).ravel()
        vote_f, new_f, x_f = vote.ravel(), new.ravel(), x.ravel()   # views
        if B == 1:
            self._tables_one()
            count, recs = self._steps_one(vote_f, new_f, x_f, wsal, count, recs)
            return vote, new, count, recs
        while True:
            top = g.max(axis=1, keepdims=True)
            has = top[:, 0] > -np.inf
            if not has.any():
                break
            near = g >= top - _FLT.near * np.abs(top)
            pick = np.where(near, self.key, _BIG).argmin(axis=1)
            bs = rows[has]
            ex = bs * K + pick[has]
            # invalid candidates are never picked nor updated again: as good as removed
            self.alive[ex] = False
            self.score[ex] = -np.inf
            count[bs] += 1
            if self.record:
                recs.extend(self._records(ex))
            # end-of-round positions: a later execution of the same actor-issue overrides
            for a, k, y in ((self.ai[ex], fq[ex], self.xi[ex] + self.mi[ex]),
                            (self.aj[ex], fp[ex], self.xj[ex] + self.mj[ex])):
                cell = (bs * n + a) * m + k
                vote_f[cell] = y
                x0 = x_f[cell]
                new_f[cell] = x0 + wsal[cell] * (y - x0)
            self._update(bs, ex)
        return vote, new, count, recs

    def _tables_one(self) -> None:
        """Per-round lookup tables of the single-draw step loop (see :meth:`_update_one`).

        For every (actor, issue) key, the compact candidates that supply it (as flat side
        indices ``side * F + candidate`` into the side-pair rows of ``state`` and ``mv``, and
        as candidates) and those that demand it (record slot, shift cell, supplier,
        own-record cell, candidate). A candidate's four keys are distinct, so it has at most
        one role per key. Padding points at the dummy slot K, whose values are never read.
        """
        if not self.alive.any():                             # no step will run
            return
        K, m, n = self.K, self.m, self.n
        F = K + 1
        pos = self.posmap[0][self.touch]                     # (n * m, W), K = none
        key = np.arange(n * m)[:, None]
        real = pos < K
        sJ = (self.skJ[pos] == key) & real
        sup = ((self.skI[pos] == key) & real) | sJ
        dJ = (self.dkJ[pos] == key) & real
        dem = ((self.dkI[pos] == key) & real) | dJ
        self.t_sup = _pack(np.stack((np.where(sJ, F + pos, pos), pos), 1), sup, K)
        self.t_dem = _pack(np.stack((
            (pos * 2 + dJ) * n,                              # record slot (1 = J demands q)
            np.where(dJ, 10 * F, 11 * F) + pos,              # shift cell: dI / dJ
            np.where(dJ, self.ai[pos], self.aj[pos]),        # supplier of the demanded issue
            np.where(dJ, 12 * F, 13 * F) + pos,              # own-record cell: uI / uJ
            pos), 1), dem, np.array([2 * K * n, 11 * F + K, -1, 13 * F + K, K])[:, None])
        self.sk2 = np.stack((self.skI, self.skJ), 1)          # (e_si, e_sj) of a candidate
        self.dk2 = np.stack((self.dkI, self.dkJ), 1)          # (e_di, e_dj)
        self.ja2 = np.stack((self.aj, self.ai), 1)[:, :, None]
        self.stf, self.mvf = self.state.reshape(-1), self.mv.reshape(-1)

    def _steps_one(self, vote_f, new_f, x_f, wsal, count, recs):
        """The step loop of _round for a single draw, with scalar indices (less overhead)."""
        m = self.m
        score, key = self.score[:-1], self.key[0]
        ai, aj, fp, fq = self.ai, self.aj, self.fp, self.fq
        xi, xj, mi, mj = self.xi, self.xj, self.mi, self.mj
        while True:
            top = score.max()
            if top == -np.inf:
                break
            near = np.flatnonzero(score >= top - _FLT.near * abs(top))
            ex = int(near[0]) if near.size == 1 else int(near[np.argmin(key[near])])
            self.alive[ex] = False
            self.score[ex] = -np.inf
            count[0] += 1
            if self.record:
                recs.extend(self._records(np.array([ex])))
            eI, eJ, eP, eQ = int(ai[ex]), int(aj[ex]), int(fp[ex]), int(fq[ex])
            yI, yJ = float(xi[ex] + mi[ex]), float(xj[ex] + mj[ex])
            for cell, y in ((eI * m + eQ, yI), (eJ * m + eP, yJ)):
                vote_f[cell] = y
                x0 = x_f[cell]
                new_f[cell] = x0 + wsal[cell] * (y - x0)
            self._update_one(ex, yI, yJ)
        return count, recs

    def _update_one(self, ex: int, yI: float, yJ: float) -> None:
        """:meth:`_update` for a single draw through the tables of :meth:`_tables_one`.

        The same updates in the same arithmetic; candidates that are already executed or
        invalid get them too (harmless: they are never computed or picked again), and only the
        live ones touched are recomputed, in index order (the order REX draws are consumed).
        """
        F = self.K + 1
        stf = self.stf
        # supply: a side supplying what E's I (row 0) or E's J (row 1) supplies keeps its
        # current move in its history, and its supply position becomes that side's vote
        sup = self.t_sup[self.sk2[ex]]                        # (2, 2, W)
        sidx = sup[:, 0]
        ms = self.mvf[sidx]
        stf[sidx + 2 * F] += ms
        stf[sidx + 4 * F] += 1
        stf[sidx + 6 * F] += ms > 0
        stf[sidx + 8 * F] += ms < 0
        y = np.array(((yJ,), (yI,)))
        stf[sidx] = y[::-1]
        # demand: a side demanding what E's I (row 0) or E's J (row 1) demands records the
        # vote of E's J (row 0) or E's I (row 1) on that issue
        dem = self.t_dem[self.dk2[ex]]                        # (2, 5, W)
        act = self.ja2[ex]
        at = dem[:, 0] + act
        cst = self.const
        start = cst[13:11:-1, ex:ex + 1]                      # round-start x of EJ on p, EI on q
        old = self.upd[at]
        none = np.isnan(old)
        new = np.where(none, y, np.where(start <= old, np.minimum(old, y), np.maximum(old, y)))
        shift = cst[11:9:-1, ex:ex + 1] * (new - np.where(none, start, old))   # w of those
        self.upd[at] = new
        stf[dem[:, 1]] += shift
        own = dem[:, 2] == act
        if own.any():                      # a record of the candidate's own supplier
            stf[dem[:, 3][own]] = new[own]
        mark = np.zeros(F, dtype=bool)
        mark[sup[:, 1]] = True
        mark[dem[:, 4]] = True
        g = np.flatnonzero(mark)
        self._compute(g[self.score[g] > -np.inf])

    def _records(self, ex: np.ndarray) -> list[dict]:
        out = []
        for f in ex.tolist():
            d = {"draw": int(self.fb[f]), "gain": float(self.gain[f]), "valid": bool(self.valid[f]),
                 "group": "ad" if (self.key.ravel()[f] // (self.n * self.n)) % 2 == 0 else "bc"}
            for tag, a, k, xs, mv, do, eu, em in (
                ("i", self.ai, self.fq, self.xi, self.mi, self.doi, self.eui, self.emi),
                ("j", self.aj, self.fp, self.xj, self.mj, self.doj, self.euj, self.emj),
            ):
                d[f"actor_{tag}"] = int(a[f])
                d[f"supply_{tag}"] = int(k[f])
                d[f"x_supply_{tag}"] = float(xs[f])
                d[f"move_{tag}"] = float(mv[f])
                d[f"y_{tag}"] = float(xs[f] + mv[f])
                d[f"d_outcome_{tag}"] = float(do[f])
                d[f"eu_{tag}"] = float(eu[f])
                d[f"eu_max_{tag}"] = float(em[f])
            u, v, z = self.draws[f] if self.draws is not None else (np.nan,) * 3
            d.update(u=float(u), v=float(v), z=float(z))
            out.append(d)
        return out

    # -- validity of a move given the side's earlier moves (sum and sign counts) ----------
    @staticmethod
    def _ok(x, move, ps, pc, pp, pn):
        am = np.abs(move)
        # |m| in (1e-10, 100], x + m in [0, 100], history sum <= 100, one direction throughout
        return ((am <= 100.0) & (am > _FLT.tiny) & (np.abs(x + move - 50.0) <= 50.0)
                & (ps + move <= 100.0) & (np.where(move > 0, pp, pn) == pc))

    def _compute(self, idx: np.ndarray) -> None:
        if idx.size == 0:
            return
        (sIq, sIp, sJp, sJq, cIq, cJp, Dp, Dq, tI, tJ, wI, wJ, x0I, x0J, baseI, baseJ, ratio,
         kI, kJ) = self.const[:, idx]
        (xI, xJ, psI, psJ, pcI, pcJ, ppI, ppJ, pnI, pnJ, dI_, dJ_, uI, uJ) = self.state[:, idx]
        hist_i = (psI, pcI, ppI, pnI)
        hist_j = (psJ, pcJ, ppJ, pnJ)
        dI, dJ = np.abs(tI - xI), np.abs(tJ - xJ)
        dOp = dJ * kJ                                  # J moves all the way ...
        dOq = dOp * ratio
        ov = dOq / kI > dI                             # ... unless I would overshoot
        dOq = np.where(ov, dI * kI, dOq)
        dOp = np.where(ov, dOq / ratio, dOp)
        sgI = np.where(tI > xI, 1.0, -1.0)             # direction toward the partner
        sgJ = np.where(tJ > xJ, 1.0, -1.0)
        # a side that moves all the way moves exactly the distance (lands on its partner)
        mI = np.where(ov, dI, dOq / kI)
        mJ = np.where(ov, dOp / kJ, dJ)
        moveI = mI * sgI
        moveJ = mJ * sgJ
        G = np.abs(dOq * sIq - dOp * sIp)
        eu = G
        valid0 = self._ok(xI, moveI, *hist_i) & self._ok(xJ, moveJ, *hist_j) & (G >= _FLT.tiny)
        valid = valid0
        # outcome overshoot of each side's supply issue (I first, then J), updates applied
        bI = baseI + dI_
        bJ = baseJ + dJ_
        hI, hJ = ~np.isnan(uI), ~np.isnan(uJ)
        if hI.any():  # the side's own record is set aside (its own position is set last)
            bI = np.where(hI, bI - wI * (uI - x0I), bI)
        if hJ.any():
            bJ = np.where(hJ, bJ - wJ * (uJ - x0J), bJ)
        for side in (0, 1):
            if side == 0:
                base, wa, xa, ma, ta, Da, ha, ua = bI, wI, xI, moveI, tI, Dq, hI, uI
            else:
                base, wa, xa, ma, ta, Da, ha, ua = bJ, wJ, xJ, moveJ, tJ, Dp, hJ, uJ
            f0 = ta * Da - (base + wa * xa)          # (target - outcome) * D before the move
            f1 = f0 - wa * ma                        # and after it
            # the move carries the outcome past ta; an outcome on ta within 1e-9 counts as on
            # it, where nothing is cut (in the reference, Decimal noise decides this case)
            tol = 1e-9 * Da
            fire = valid0 & (f0 * f1 < 0) & (np.abs(f0) > tol) & (np.abs(f1) > tol)
            if not fire.any():
                continue
            cut_x = np.where(ha, ua, xa)
            mA = np.abs(ta * Da - (base + wa * cut_x)) / wa   # the outcome lands on ta
            dOA = mA * (wa / Da)
            if side == 0:
                dOq = np.where(fire, dOA, dOq)
                dOp = np.where(fire, dOA / ratio, dOp)
                G = np.where(fire, np.abs(dOp * sJp - dOq * sJq), G)
                mI, mJ = np.where(fire, mA, mI), np.where(fire, dOp / kJ, mJ)
            else:
                dOp = np.where(fire, dOA, dOp)
                dOq = np.where(fire, dOA * ratio, dOq)
                G = np.where(fire, np.abs(dOq * sIq - dOp * sIp), G)
                mJ, mI = np.where(fire, mA, mJ), np.where(fire, dOq / kI, mI)
            moveI = np.where(fire, mI * sgI, moveI)
            moveJ = np.where(fire, mJ * sgJ, moveJ)
            ok = self._ok(xI, moveI, *hist_i) & self._ok(xJ, moveJ, *hist_j) & (G >= _FLT.tiny)
            valid = np.where(fire, ok, valid)
        euI = euJ = eu
        if self.rex and valid0.any():
            moveI, moveJ, euI, euJ, valid = self._rex(
                idx, valid0, G, moveI, moveJ, eu, valid, xI, xJ, tI, tJ, sIq, sIp, sJp, sJq,
                cIq, cJp, Dp, Dq, bI, bJ, wI, wJ, np.where(hI, uI, xI), np.where(hJ, uJ, xJ),
                hist_i, hist_j)
            dOq = np.where(valid0, np.abs(moveI) * kI, dOq)
            dOp = np.where(valid0, np.abs(moveJ) * kJ, dOp)
        self.mi[idx], self.mj[idx] = moveI, moveJ
        self.gain[idx] = G
        if self.record:
            self.doi[idx], self.doj[idx] = dOq, dOp
            self.eui[idx], self.euj[idx] = euI, euJ
        self.valid[idx] = valid
        self.score[idx] = np.where(valid, G, -np.inf)   # only live candidates are computed

    def _uniforms(self, fb: np.ndarray) -> np.ndarray:
        """(len(fb), 3) uniforms: row r is the next (u, v, z) of draw fb[r]'s own stream.

        ``fb`` is sorted. Each draw's numbers come from a buffer filled from its generator in
        order, so they are those a run of that draw alone would get.
        """
        counts = np.bincount(fb, minlength=self.B)
        need = self.buf_at + 3 * counts
        if need.max() > self.buf.shape[1]:
            more = max(int(need.max()), 2 * self.buf.shape[1]) - self.buf.shape[1]
            self.buf = np.concatenate(
                [self.buf, np.stack([g.random(more) for g in self.rngs])], axis=1)
        start = np.cumsum(counts) - counts
        rank = np.arange(fb.size) - start[fb]
        col = (self.buf_at[fb] + 3 * rank)[:, None] + np.arange(3)
        self.buf_at = need
        return self.buf[fb[:, None], col]

    def _rex(self, idx, valid0, G, moveI, moveJ, eu, valid, xI, xJ, tI, tJ, sIq, sIp, sJp, sJq,
             cIq, cJp, Dp, Dq, bI, bJ, wI, wJ, cutI, cutJ, hist_i, hist_j):
        """Randomised equal gain (section 10 of the spec) without the reference's quirks."""
        r = np.flatnonzero(valid0)
        sub = idx[r]
        draws = self._uniforms(self.fb[sub])
        if self.record:
            self.draws[sub] = draws
        u, v, z = draws[:, 0], draws[:, 1], draws[:, 2]
        xI, xJ, tI, tJ = xI[r], xJ[r], tI[r], tJ[r]
        sIq, sIp, sJp, sJq = sIq[r], sIp[r], sJp[r], sJq[r]
        cIq, cJp, Dp, Dq = cIq[r], cJp[r], Dp[r], Dq[r]
        bI, bJ, wI, wJ, cutI, cutJ = bI[r], bJ[r], wI[r], wJ[r], cutI[r], cutJ[r]
        deltaI = np.abs(wI * (tI - xI) / Dq)           # outcome move if I went all the way
        deltaJ = np.abs(wJ * (tJ - xJ) / Dp)
        gain_i, loss_i = deltaJ * sIp, deltaI * sIq
        gain_j, loss_j = deltaI * sJq, deltaJ * sJp
        a_is_j = gain_i > gain_j
        g = np.where(a_is_j, gain_j, gain_i)
        lo = np.where(a_is_j, loss_i, loss_j)
        sa_sup = np.where(a_is_j, sJp, sIq)
        sb_dem = np.where(a_is_j, sIp, sJq)
        eu_a = g - lo * sa_sup / sb_dem
        eu_b = g * sb_dem / sa_sup - lo
        all_i = np.abs(moveI[r]) == np.abs(tI - xI)    # moved all the way
        all_j = np.abs(moveJ[r]) == np.abs(tJ - xJ)
        over = np.where(all_j & (gain_i - loss_i > 0), gain_j - (loss_i / sIp) * sJp,
                        np.where(all_i & (gain_j - loss_j > 0), gain_i - (loss_j / sJq) * sIq, 0.0))
        eu_b = np.where(over != 0, over, eu_b)
        emI = np.where(a_is_j, eu_b, eu_a)
        emJ = np.where(a_is_j, eu_a, eu_b)
        if self.record:
            self.emi[sub], self.emj[sub] = emI, emJ
        Gr = G[r]
        r_is_i = u < 0.5
        pz = self.p_rex * z
        eu_r = np.where(v < 0.5, Gr + pz * (np.where(r_is_i, emI, emJ) - Gr), Gr - pz * Gr)

        def pick(a_, b_):
            return np.where(r_is_i, a_, b_)

        xR, tR, sRs, sRd = pick(xI, xJ), pick(tI, tJ), pick(sIq, sJp), pick(sIp, sJq)
        kR = pick(sIq * cIq / Dq, sJp * cJp / Dp)
        xP, tP, sPs, sPd = pick(xJ, xI), pick(tJ, tI), pick(sJp, sIq), pick(sJq, sIp)
        kP = pick(sJp * cJp / Dp, sIq * cIq / Dq)
        baseR, wR, cutR, DR = pick(bI, bJ), pick(wI, wJ), pick(cutI, cutJ), pick(Dq, Dp)
        dR, dP = np.abs(xR - tR), np.abs(xP - tP)
        dOR = dR * kR                                  # R moves all the way ...
        dOP = (eu_r + dOR * sRs) / sRd
        bb = dOP / kP > dP                             # ... unless P would overshoot
        dOP = np.where(bb, dP * kP, dOP)
        dOR = np.where(bb, np.abs((eu_r - dOP * sRd) / sRs), dOR)
        mR = np.where(bb, dOR / kR, dR)
        mP = np.where(bb, dP, dOP / kP)
        f0 = tR * DR - (baseR + wR * xR)
        f1 = tR * DR - (baseR + wR * tR)
        tol = 1e-9 * DR
        fire = ~bb & (f0 * f1 < 0) & (np.abs(f0) > tol) & (np.abs(f1) > tol)
        if fire.any():  # R's move is cut so the outcome stops at its partner's position
            mcut = np.abs(tR * DR - (baseR + wR * cutR)) / wR
            dORc = mcut * (wR / DR)
            dOR = np.where(fire, dORc, dOR)
            dOP = np.where(fire, (eu_r + dORc * sRs) / sRd, dOP)
            mR = np.where(fire, mcut, mR)
            mP = np.where(fire, dOP / kP, mP)
        eu_p = np.abs(dOP * sPs - dOR * sPd)
        mvR = np.where(tR > xR, mR, -mR)
        mvP = np.where(tP > xP, mP, -mP)
        moveI, moveJ = moveI.copy(), moveJ.copy()
        moveI[r], moveJ[r] = pick(mvR, mvP), pick(mvP, mvR)
        euI, euJ = eu.copy(), eu.copy()
        euI[r], euJ[r] = pick(eu_r, eu_p), pick(eu_p, eu_r)
        hi = tuple(h[r] for h in hist_i)
        hj = tuple(h[r] for h in hist_j)
        valid = valid.copy()
        valid[r] = self._ok(xI, moveI[r], *hi) & self._ok(xJ, moveJ[r], *hj) & (Gr >= _FLT.tiny)
        return moveI, moveJ, euI, euJ, valid

    # -- section 7: after executing ex (one per draw in bs) ---------------------------------
    def _update(self, bs: np.ndarray, ex: np.ndarray) -> None:
        """Batched path (B > 1; a single draw goes through :meth:`_update_one`)."""
        K, m, n = self.K, self.m, self.n
        eI, eJ, eP, eQ = self.ai[ex], self.aj[ex], self.fp[ex], self.fq[ex]
        yI, yJ = self.xi[ex] + self.mi[ex], self.xj[ex] + self.mj[ex]
        rows = np.concatenate([self.touch[eI * m + eP], self.touch[eI * m + eQ],
                               self.touch[eJ * m + eP], self.touch[eJ * m + eQ]], axis=1)
        pos = self.posmap.ravel()[(bs * (self.C + 1))[:, None] + rows]  # compact (K = none)
        flat = np.where(pos < K, (bs * K)[:, None] + pos, self.B * K)
        mark = np.zeros(self.alive.shape, dtype=bool)
        mark[flat.ravel()] = True
        mark &= self.score > -np.inf
        g = np.flatnonzero(mark)
        if g.size == 0:
            return
        inv = np.empty(self.B, dtype=np.int64)
        inv[bs] = np.arange(bs.size)
        k = inv[self.fb[g]]
        EI, EJ, EP, EQ, YI, YJ = eI[k], eJ[k], eP[k], eQ[k], yI[k], yJ[k]
        # (actor, issue) keys: who supplies / demands what, in the candidates and in E
        sI, sJ, dI, dJ = self.skI[g], self.skJ[g], self.dkI[g], self.dkJ[g]
        e_si, e_sj = EI * m + EQ, EJ * m + EP          # E's sides' supply keys
        e_di, e_dj = EI * m + EP, EJ * m + EQ          # and demand keys
        i_ei = sI == e_si
        i_ej = sI == e_sj
        j_ei = sJ == e_si
        j_ej = sJ == e_sj
        sup_i, sup_j = i_ei | i_ej, j_ei | j_ej
        # a matched side keeps its current move in its history (the new one comes on top)
        for sup, ps, pc, pp, pn, mv in ((sup_i, self.psI, self.pcI, self.ppI, self.pnI, self.mi),
                                        (sup_j, self.psJ, self.pcJ, self.ppJ, self.pnJ, self.mj)):
            if sup.any():
                gs = g[sup]
                ms = mv[gs]
                ps[gs] += ms
                pc[gs] += 1
                pp[gs] += ms > 0
                pn[gs] += ms < 0
        # a matched side's supply position becomes the executed vote of that actor
        if sup_i.any():
            self.xi[g[sup_i]] = np.where(i_ei, YI, YJ)[sup_i]
        if sup_j.any():
            self.xj[g[sup_j]] = np.where(j_ei, YI, YJ)[sup_j]
        # demand side: record the executed vote on the issue this candidate's actor demands
        d1i = dI == e_dj       # X's I demands what E's J demands: slot 0, record EI's vote
        d1j = dJ == e_dj       # slot 1
        d2i = dI == e_di       # X's I demands what E's I demands: slot 0, record EJ's vote
        d2j = dJ == e_di       # slot 1
        dem = d1i | d1j | d2i | d2j
        if dem.any():
            h = np.flatnonzero(dem)
            gd = g[h]
            slot1 = d1j[h] | d2j[h]
            one = d1i[h] | d1j[h]

            def pick(a, b):
                return np.where(one, a[h], b[h])

            act, val, iss = pick(EI, EJ), pick(YI, YJ), pick(EQ, EP)
            at = (gd * 2 + slot1) * n + act
            old = self.upd[at]
            cell = (self.fb[gd] * n + act) * m + iss
            start = self.x.ravel()[cell]
            none = np.isnan(old)
            new = np.where(none, val, np.where(start <= old, np.minimum(old, val), np.maximum(old, val)))
            shift = self.w.ravel()[cell] * (new - np.where(none, start, old))
            self.upd[at] = new
            s0, s1 = gd[~slot1], gd[slot1]
            self.dJ[s0] += shift[~slot1]    # slot 0 = issue p, supplied by J
            self.dI[s1] += shift[slot1]
            own = np.asarray(act == np.where(slot1, self.ai[gd], self.aj[gd]))
            if own.any():                  # a record of the candidate's own supplier
                self.uI[gd[own & slot1]] = new[own & slot1]
                self.uJ[gd[own & ~slot1]] = new[own & ~slot1]
        self._compute(g[sup_i | sup_j | dem])


# ---------------------------------------------------------------------------------------------
# backends of variant="stokman": the compiled kernel (numba, the ``fast`` extra) or numpy
# ---------------------------------------------------------------------------------------------
_BACKENDS = ("auto", "numba", "numpy")
# first REX buffer of the kernel: uniforms per candidate and round (3 per computation)
_REX_BUFFER_PER_CANDIDATE = 6


def _kernel(backend: str):
    """The compiled kernel module if ``backend`` asks for it ("auto": when numba is installed
    and imports), else None (the numpy engine)."""
    if backend not in _BACKENDS:
        raise ModelParameterError(
            f"exchange model: backend must be one of {_BACKENDS} (got {backend!r})")
    if backend == "numpy" or (backend == "auto" and not HAVE_NUMBA):
        return None
    if not HAVE_NUMBA:
        raise MissingExtraError("numba", "fast")
    try:
        from . import _exchange_kernel
    except ImportError as err:  # installed but broken: "auto" falls back to numpy
        if backend == "numba":
            raise MissingExtraError("numba", "fast") from err
        return None
    return _exchange_kernel


def _run_batch(x, s, c, stake, *, rule: str, p: float, rngs: list[np.random.Generator],
               rounds: int, record: int, backend: str = "auto") -> dict:
    """Run B draws (x, s, c: (B, n, m), 0..100 scale) with the chosen backend.

    Returns the dict of :meth:`_Batch.run`; exchange records (a list per round of dicts with
    the key ``draw``) are kept for the first ``record`` draws. Both backends give the same
    numbers and exchanges; draw b takes its REX uniforms from ``rngs[b]`` in the same order.
    """
    stake = np.asarray(stake, dtype=bool)
    kern = _kernel(backend)
    if kern is None:
        return _Batch(x, s, c, stake, rule=rule, p=p, rngs=rngs, record=record > 0).run(rounds)
    x = np.where(stake, np.asarray(x, dtype=float), 0.0)        # (B, n, m), as _Batch has them
    s = np.where(stake, np.asarray(s, dtype=float), 0.0)
    c = np.where(stake, np.asarray(c, dtype=float), 0.0)
    w = s * c
    dsum = w.sum(axis=1)
    wsal = _FLT.w_fix + _FLT.w_sal * (1.0 - s)
    trad = stake & (s != 0) & (c != 0)
    B, n, m = x.shape
    a1, a2, cp, cq, pair, touch = _candidates(stake)
    C = max(a1.size, 1)
    rex = rule == "rex"
    before, voting = np.empty((B, rounds, m)), np.empty((B, rounds, m))
    final = np.empty((B, m))
    n_ex = np.empty((B, rounds), dtype=np.int64)
    work = (np.empty((C, 19)), np.empty((C, 14)), np.empty((C, 11)), np.empty(C),
            np.empty((C, 3)), np.empty(2 * C * n), np.empty((10, C), dtype=np.int64),
            np.empty((n, m)), np.empty((n, m)), np.empty(m), np.empty(m))
    recs = np.empty((rounds * C if record > 0 else 0, kern.N_REC))
    info = np.zeros(2, dtype=np.int64)
    records: list[list[dict]] = [[] for _ in range(rounds)]
    # REX uniforms: a buffer per draw from its own generator; a run that needs more is re-run
    # with a longer buffer (the same stream, continued)
    size = _REX_BUFFER_PER_CANDIDATE * C * rounds
    buf = np.zeros(0)
    for b in range(B):
        if rex:
            buf = rngs[b].random(size)
        while True:
            xb = x[b].copy()
            kern.run_draw(xb, s[b], c[b], w[b], wsal[b], trad[b], dsum[b], a1, a2, cp, cq, pair,
                          touch, rounds, rex, float(p), buf, int(b < record), *work, before[b],
                          voting[b], final[b], n_ex[b], recs, info)
            if info[1] >= 0:
                break
            buf = np.concatenate([buf, rngs[b].random(max(buf.size, 48))])
        x[b] = xb
        if rex:  # the next draw's buffer: what this one needed, with a margin
            size = int(1.25 * info[1]) + 48
        if b < record:
            for row in recs[:info[0]]:
                records[int(row[0])].append(_kernel_record(b, row, kern.REC))
    return {"before": before, "voting": voting, "final": final, "final_positions": x,
            "n_exchanges": n_ex, "exchanges": records}


def _kernel_record(b: int, row: np.ndarray, columns: tuple[str, ...]) -> dict:
    """A kernel record row (``columns``: ``_exchange_kernel.REC``) as the dict of
    :meth:`_Batch._records`."""
    r = dict(zip(columns, row.tolist(), strict=True))
    d = {"draw": b, "gain": r["gain"], "valid": bool(r["valid"]),
         "group": "ad" if r["kind"] == 0 else "bc"}
    for tag, a, k, xs, mv, do, eu, em in (("i", "ai", "q", "xi", "mi", "doi", "eui", "emi"),
                                          ("j", "aj", "p", "xj", "mj", "doj", "euj", "emj")):
        d[f"actor_{tag}"] = int(r[a])
        d[f"supply_{tag}"] = int(r[k])
        d[f"x_supply_{tag}"] = r[xs]
        d[f"move_{tag}"] = r[mv]
        d[f"y_{tag}"] = r[xs] + r[mv]
        d[f"d_outcome_{tag}"] = r[do]
        d[f"eu_{tag}"] = r[eu]
        d[f"eu_max_{tag}"] = r[em]
    d.update(u=r["u"], v=r["v"], z=r["z"])
    return d


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExchangeRun:
    """Everything one run of the exchange model produced (floats; ``_scaled`` = 0..100 scale).

    Attributes
    ----------
    before, voting : (n_repetitions, n_rounds, n_issues)
        Outcome at the start of each round and of its voting positions (the round's forecast),
        on each issue's own scale; ``before_scaled``/``voting_scaled`` on 0..100.
    final : (n_repetitions, n_issues)
        Outcome of the positions after the last round's update (``final_scaled`` on 0..100).
    final_positions : (n_repetitions, n_actors, n_issues)
        Issue scale; NaN where the actor has no position.
    n_exchanges, tie_flips, near_ties : (n_repetitions, n_rounds) int
        Exchanges executed; tie coin flips drawn (decide variant); branches of the decide
        variant decided by rounding noise: two top gains that differ, but by at most a relative
        1e-9, or an outcome within 1e-9 (not exactly) of a partner's position in the overshoot
        test. There a float64 computation may take the other branch.
    exchanges : list of dict
        Executed exchanges in order (recorded repetitions only), 0..100 scale.
    """

    issues: tuple[str, ...]
    actors: tuple[str, ...]
    before: np.ndarray
    voting: np.ndarray
    before_scaled: np.ndarray
    voting_scaled: np.ndarray
    final: np.ndarray
    final_scaled: np.ndarray
    final_positions: np.ndarray
    n_exchanges: np.ndarray
    tie_flips: np.ndarray
    near_ties: np.ndarray
    exchanges: list

    @property
    def forecast(self) -> np.ndarray:
        """The model's forecast: last round's voting outcome, mean over repetitions."""
        return self.voting[:, -1, :].mean(axis=0)


def _to_raw(inp: _Input, k: int, x) -> float:
    step = inp.step[k]
    if x == 0 or step == 0:  # the reference maps an exact 0 to the lower bound
        return float(inp.lower[k])
    return float(x / step + inp.lower[k])


def _side_record(sd: _Side, issues, tag: str) -> dict:
    return {
        f"actor_{tag}": sd.actor, f"supply_{tag}": issues[sd.supply],
        f"x_supply_{tag}": float(sd.x), f"move_{tag}": float(sd.move), f"y_{tag}": float(sd.y),
        f"start_{tag}": float(sd.start), f"target_{tag}": float(sd.target),
        f"d_outcome_{tag}": float(sd.d_o), f"eu_{tag}": float(sd.eu), f"n0_{tag}": float(sd.n0),
        f"n1_{tag}": float(sd.n1), f"eu_max_{tag}": float(sd.eu_max) if sd.eu_max else np.nan,
    }


def _collect(eng: _Engine, rounds: int, repetitions: int, record: int) -> ExchangeRun:
    inp = eng.inp
    m, n = len(inp.issues), len(inp.actors)
    shape = (repetitions, rounds, m)
    before, voting = np.empty(shape), np.empty(shape)
    before_s, voting_s = np.empty(shape), np.empty(shape)
    final, final_s = np.empty((repetitions, m)), np.empty((repetitions, m))
    fpos = np.full((repetitions, n, m), np.nan)
    n_ex = np.zeros((repetitions, rounds), dtype=int)
    flips, near = np.zeros_like(n_ex), np.zeros_like(n_ex)
    aidx = {a: k for k, a in enumerate(inp.actors)}
    records: list[dict] = []
    for r in range(repetitions):
        rep = eng.repetition(rounds, record=r < record)
        for t, rd in enumerate(rep["rounds"]):
            for k in range(m):
                before_s[r, t, k], voting_s[r, t, k] = float(rd["before"][k]), float(rd["voting"][k])
                before[r, t, k] = _to_raw(inp, k, rd["before"][k])
                voting[r, t, k] = _to_raw(inp, k, rd["voting"][k])
            n_ex[r, t], flips[r, t], near[r, t] = rd["n_exchanges"], rd["flips"], rd["near_ties"]
            for o, ex in enumerate(rd["exchanges"]):
                d = _draws(ex)
                rec = {"repetition": r, "round": t, "order": o, "group": ex.group,
                       "gain": float(ex.gain), "valid": ex.valid}
                rec.update(_side_record(ex.i, inp.issues, "i"))
                rec.update(_side_record(ex.j, inp.issues, "j"))
                rec.update(d)
                records.append(rec)
        for k in range(m):
            final_s[r, k] = float(rep["final"][k])
            final[r, k] = _to_raw(inp, k, rep["final"][k])
            for a, x in rep["final_positions"][k].items():
                fpos[r, aidx[a], k] = _to_raw(inp, k, x)
    return ExchangeRun(inp.issues, inp.actors, before, voting, before_s, voting_s, final, final_s,
                       fpos, n_ex, flips, near, records)


def _draws(ex: _Exchange) -> dict:
    u, v, z = ex.draws if ex.draws else (np.nan, np.nan, np.nan)
    return {"u": u, "v": v, "z": z}


def _arrays_from_input(inp: _Input):
    """(position 0..100, salience, power, stake) as (n_actors, n_issues) float arrays."""
    n, m = len(inp.actors), len(inp.issues)
    ai = {a: k for k, a in enumerate(inp.actors)}
    x, s, c = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m))
    stake = np.zeros((n, m), dtype=bool)
    for k in range(m):
        for a in inp.order[k]:
            i = ai[a]
            x[i, k], s[i, k], c[i, k] = float(inp.pos0[k][a]), float(inp.sal[k][a]), float(inp.pow[k][a])
            stake[i, k] = True
    return x, s, c, stake


def _raw(x: np.ndarray, lower: np.ndarray, step: np.ndarray) -> np.ndarray:
    """0..100 back to the issue scale (an exact 0 maps to the lower bound, as in the reference)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x / np.where(step != 0, step, 1.0) + lower
    return np.where((x == 0) | (step == 0), lower, out)


def _stokman_run(inp: _Input, *, rule: str, p, rounds: int, repetitions: int,
                 rng: np.random.Generator | None, record: int, backend: str = "auto") -> ExchangeRun:
    x, s, c, stake = _arrays_from_input(inp)
    B = repetitions
    rng = rng if rng is not None else np.random.default_rng(0)
    rngs = [rng] if B == 1 else list(rng.spawn(B))
    res = _run_batch(np.broadcast_to(x, (B, *x.shape)), np.broadcast_to(s, (B, *s.shape)),
                     np.broadcast_to(c, (B, *c.shape)), stake, rule=rule, p=float(p), rngs=rngs,
                     rounds=rounds, record=record, backend=backend)
    lower = np.array([float(v) for v in inp.lower])
    step = np.array([float(v) for v in inp.step])
    fpos = np.where(stake, _raw(res["final_positions"], lower, step), np.nan)
    records = []
    for t, recs in enumerate(res["exchanges"]):
        order: dict[int, int] = {}
        for d in recs:
            r = d.pop("draw")
            if r >= record:
                continue
            o = order.get(r, 0)
            order[r] = o + 1
            d.update(repetition=r, round=t, order=o)
            for tag in ("i", "j"):
                d[f"actor_{tag}"] = inp.actors[d[f"actor_{tag}"]]
                d[f"supply_{tag}"] = inp.issues[d[f"supply_{tag}"]]
            records.append(d)
    records.sort(key=lambda d: (d["repetition"], d["round"], d["order"]))
    shape = res["n_exchanges"].shape
    return ExchangeRun(
        inp.issues, inp.actors,
        _raw(res["before"], lower, step), _raw(res["voting"], lower, step),
        res["before"], res["voting"], _raw(res["final"], lower, step), res["final"], fpos,
        res["n_exchanges"], np.zeros(shape, dtype=int), np.zeros(shape, dtype=int), records,
    )


def exchange_run(
    data: DecideData | _Input,
    *,
    variant: Literal["stokman", "decide"] = "stokman",
    rule: Literal["equal_gain", "rex"] = "equal_gain",
    p: float | str = 0.5,
    rounds: int = 10,
    repetitions: int = 1,
    seed: int | None = 0,
    rng: np.random.Generator | None = None,
    allow_random: bool = True,
    record: int = 1,
    backend: Literal["auto", "numba", "numpy"] = "auto",
) -> ExchangeRun:
    """Run the exchange model on Decide data (or a prepared input).

    Parameters
    ----------
    data : DecideData
        E.g. from :func:`detente.io.decide.read_decide`; saliences and powers may exceed 1 here
        (the Decide format allows up to 100).
    variant : {"stokman", "decide"}
    rule : {"equal_gain", "rex"}
    p : float or str
        REX randomisation parameter in (0, 1] (ignored for equal gain). The decide variant reads
        it as the Decimal of its text, as the reference does.
    rounds, repetitions : int
        Rounds per repetition (no convergence test, as in the reference); repetitions re-run
        from the data without reseeding (the stream continues, as in the reference).
    seed : int
        decide variant: the seed S of the reference's ``random.seed(S)``, reproduced with a
        private ``random.Random(S)``.
    rng : numpy Generator, optional
        stokman variant: the source of REX draws.
    allow_random : bool
        decide variant: False is the reference's ``ALLOW_RANDOM = False`` (no tie coin flip).
    record : int
        How many repetitions keep their exchange records.
    backend : {"auto", "numba", "numpy"}
        stokman variant: the compiled kernel (numba, ``pip install 'detente[fast]'``) or the
        numpy engine; "auto" takes numba when it is installed. Both give the same exchanges in
        the same order and the same numbers. "numba" without numba raises MissingExtraError.
    """
    exact = variant == "decide"
    inp = data if isinstance(data, _Input) else _input_from_decide(data, exact)
    if not exact:
        return _stokman_run(inp, rule=rule, p=p, rounds=rounds, repetitions=repetitions,
                            rng=rng, record=record, backend=backend)
    with decimal.localcontext(_CTX):
        eng = _Engine(inp, rule=rule, p=p, seed=seed or 0, allow_random=allow_random)
        return _collect(eng, rounds, repetitions, record)


def exchange_decide(data: DecideData, **kw: Any) -> ExchangeRun:
    """:func:`exchange_run` with ``variant="decide"``: the reference's numbers exactly."""
    return exchange_run(data, variant="decide", **kw)


def exchange_outcome(
    position: np.ndarray,
    salience: np.ndarray,
    power: np.ndarray,
    stake: np.ndarray,
    scale_min: np.ndarray,
    scale_max: np.ndarray,
    *,
    variant: Literal["stokman", "decide"] = "stokman",
    rule: Literal["equal_gain", "rex"] = "equal_gain",
    p: float = 0.5,
    rounds: int = 10,
    rng: np.random.Generator | _SeedOnly | None = None,
    backend: Literal["auto", "numba", "numpy"] = "auto",
) -> np.ndarray:
    """Exchange-model forecast for arrays with leading batch axes.

    Parameters
    ----------
    position, salience : (..., n_actors, n_issues)
        Issue scale; ``stake`` (n_actors, n_issues) marks the actor-issues that exist.
    power : (..., n_actors) or (..., n_actors, n_issues)
    scale_min, scale_max : (n_issues,)
    rng : Generator
        REX draws (stokman) or the source of each draw's seed (decide).
    backend : {"auto", "numba", "numpy"}
        stokman variant: see :func:`exchange_run`.

    Returns
    -------
    (..., n_issues)
        The last round's voting outcome per issue, on the issue scale.
    """
    x = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    c = np.asarray(power, dtype=float)
    if c.ndim == x.ndim - 1:
        c = c[..., None]
    x, s, c = np.broadcast_arrays(x, s, c)
    batch = x.shape[:-2]
    n, m = x.shape[-2:]
    stake = np.broadcast_to(np.asarray(stake, dtype=bool), (n, m))
    rng = rng if isinstance(rng, _SeedOnly) else as_generator(rng if rng is not None else 0)
    xs, ss, cs = x.reshape(-1, n, m), s.reshape(-1, n, m), c.reshape(-1, n, m)
    actors = tuple(f"a{k}" for k in range(n))
    issues = tuple(f"i{k}" for k in range(m))
    out = np.empty((xs.shape[0], m))
    # common random numbers: every draw of the batch uses the same stream, so a draw's result
    # does not depend on its place in the batch (and equals a single run with that seed)
    seed = int(rng.integers(2**32))
    for d in range(xs.shape[0] if variant == "decide" else 0):
        if variant == "decide":
            data = _decide_data_from_arrays(xs[d], ss[d], cs[d], stake, scale_min, scale_max,
                                            actors, issues)
            run = exchange_run(data, variant="decide", rule=rule, p=repr(float(p)),
                               rounds=rounds, seed=seed, record=0)
            out[d] = run.voting[0, -1]
    if variant != "decide":
        lo = np.asarray(scale_min, dtype=float)
        step = 100.0 / (np.asarray(scale_max, dtype=float) - lo)
        xn = np.where(stake, (xs - lo) * step, 0.0)
        rngs = [np.random.default_rng(seed) for _ in range(xs.shape[0])]
        res = _run_batch(xn, np.where(stake, ss, 0.0), np.where(stake, cs, 0.0), stake,
                         rule=rule, p=float(p), rngs=rngs, rounds=rounds, record=0,
                         backend=backend)
        out = _raw(res["voting"][:, -1], lo, step)
    return out.reshape(*batch, m)


def _decide_data_from_arrays(x, s, c, stake, lo, hi, actors, issues) -> DecideData:
    from ..io.decide import DecideRow, _d

    rows = tuple(
        DecideRow(actors[a], issues[k], _d(x[a, k]), _d(s[a, k]), _d(c[a, k]), a + 1)
        for k in range(len(issues)) for a in range(len(actors)) if stake[a, k]
    )
    return DecideData("<arrays>", actors, issues, {i: _d(lo[k]) for k, i in enumerate(issues)},
                      {i: _d(hi[k]) for k, i in enumerate(issues)}, rows)


# ---------------------------------------------------------------------------------------------
# the model class
# ---------------------------------------------------------------------------------------------
_VARIANTS = ("stokman", "decide")
_RULES = ("equal_gain", "rex")


@dataclass(frozen=True, slots=True)
class Exchange:
    """Stokman's exchange model (vote trading), equal gain or randomised equal gain (REX).

    Parameters
    ----------
    variant : {"stokman", "decide"}
        ``"stokman"`` (default): float64, deterministic ties, no reference bugs, batchable;
        compiled with numba when it is installed (the same results as without).
        ``"decide"``: the Decide reference's numbers exactly (Decimal arithmetic, its tie coin
        flip and quirks).
    rule : {"equal_gain", "rex"}
        Equal gain (Stokman & Van Oosten 1994) or randomised equal gain with parameter ``p``.
    p : float
        REX parameter in (0, 1]: how far the randomised actor's gain may move toward its
        maximum (or toward zero). Ignored by equal gain.
    rounds : int
        Rounds of exchange (10, the reference's default; no convergence test).
    repetitions : int
        Independent runs (REX; the forecast is their mean). The decide variant continues one
        random stream over them, as the reference does.
    seed : int, optional
        Fixes the model's own draws: decide reproduces the reference run after
        ``random.seed(seed)``; stokman seeds its numpy generator. When None, ``rng`` (or fresh
        entropy) supplies them.
    backend : {"auto", "numba", "numpy"}
        Engine of the stokman variant: "auto" (default) compiles with numba when it is
        installed; "numba" requires it (the ``fast`` extra); "numpy" never uses it. Both give
        the same numbers. Ignored by the decide variant.
    """

    variant: Literal["stokman", "decide"] = "stokman"
    rule: Literal["equal_gain", "rex"] = "equal_gain"
    p: float = 0.5
    rounds: int = 10
    repetitions: int = 1
    seed: int | None = None
    backend: Literal["auto", "numba", "numpy"] = "auto"

    name: ClassVar[str] = "exchange"
    reference: ClassVar[str] = (
        "Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: an "
        "object-oriented model of policy networks. In B. Bueno de Mesquita & F. N. Stokman "
        "(Eds.), European Community Decision Making (pp. 105-127). Yale University Press; "
        "Stokman, F. N., & Van den Bos, J. M. M. (1992). A two-stage model of policy making: "
        "with an empirical test in the U.S. energy policy domain. In G. Moore & J. A. Whitt "
        "(Eds.), Research in Politics and Society 4, 219-253. JAI Press"
    )

    def __post_init__(self) -> None:
        if self.variant not in _VARIANTS:
            raise ModelParameterError(
                f"model 'exchange': parameter 'variant': {self.variant!r} is not one of {_VARIANTS}")
        if self.rule not in _RULES:
            raise ModelParameterError(
                f"model 'exchange': parameter 'rule': {self.rule!r} is not one of {_RULES}")
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not 0 < self.p <= 1:
            raise ModelParameterError(
                f"model 'exchange': parameter 'p': must be a number in (0, 1] (got {self.p!r})")
        for fld in ("rounds", "repetitions"):
            v = getattr(self, fld)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ModelParameterError(
                    f"model 'exchange': parameter {fld!r}: must be a positive integer (got {v!r})")
        if self.backend not in _BACKENDS:
            raise ModelParameterError(
                f"model 'exchange': parameter 'backend': {self.backend!r} is not one of {_BACKENDS}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)
                                      or self.seed < 0):
            raise ModelParameterError(
                f"model 'exchange': parameter 'seed': must be None or a non-negative int (got {self.seed!r})")

    # ---------------------------------------------------------------------------------
    def _random(self, rng) -> tuple[int | None, np.random.Generator | None]:
        """(seed S for the decide stream, numpy generator for stokman REX)."""
        uses = self.rule == "rex" or self.variant == "decide"
        if not uses:
            return None, None
        seed = self.seed if self.seed is not None else int(as_generator(rng).integers(2**32))
        return seed, np.random.default_rng(seed)

    def run(self, scenario, *, rng: np.random.Generator | None = None) -> ExchangeRun:
        """The full run (every round, exchange and repetition) on a Scenario or DecideData."""
        return self._run(scenario, *self._random(rng))

    def _run(self, scenario, seed: int | None, gen: np.random.Generator | None) -> ExchangeRun:
        if isinstance(scenario, DecideData):
            data: DecideData | _Input = scenario
        elif self.variant == "decide":
            check_arrays(scenario.arrays(), scenario.name)
            data = data_from_scenario(scenario)
        else:
            a = check_arrays(scenario.arrays(), scenario.name)
            data = _input_from_arrays(a.position, a.salience, _power2(a.power, a.stake), a.stake,
                                      a.scale_min, a.scale_max, a.actors, a.issues)
        # decide reads p as the Decimal of its text, like the reference reads its option
        p = repr(float(self.p)) if self.variant == "decide" else float(self.p)
        return exchange_run(data, variant=self.variant, rule=self.rule, p=p, rounds=self.rounds,
                            repetitions=self.repetitions, seed=seed if seed is not None else 0,
                            rng=gen, backend=self.backend)

    def forecast(self, scenario, *, rng: np.random.Generator | None = None) -> Forecast:
        seed, gen = self._random(rng)
        run = self._run(scenario, seed, gen)
        notes = []
        if run.tie_flips.sum():
            notes.append(f"{int(run.tie_flips.sum())} tie coin flip(s) from random.Random({seed}) "
                         "decided the order of exchanges with equal gains, as in the reference")
        return Forecast.build(
            self,
            scenario,
            run.forecast,
            diagnostics={
                "final_outcome": run.final.mean(axis=0),
                "outcome_by_repetition": run.voting[:, -1, :],
                "n_exchanges": run.n_exchanges,
                "tie_flips": run.tie_flips,
                "near_ties": run.near_ties,
                "random_seed": -1 if seed is None else seed,
            },
            notes=tuple(notes),
            tables=_tables(run),
            seed_entropy=seed,
        )

    def forecast_arrays(self, arrays, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outcome (..., n_issues) for ScenarioArrays with leading batch axes."""
        if self.repetitions != 1:
            raise ModelParameterError(
                "model 'exchange': forecast_arrays runs one repetition per draw; use repetitions=1")
        seed, _ = self._random(rng)
        return exchange_outcome(
            arrays.position, arrays.salience, _power2(arrays.power, arrays.stake), arrays.stake,
            arrays.scale_min, arrays.scale_max, variant=self.variant, rule=self.rule, p=self.p,
            rounds=self.rounds, rng=_SeedOnly(seed or 0), backend=self.backend,
        )


class _SeedOnly:
    """Hands a fixed seed to :func:`exchange_outcome` (which asks its rng for one integer)."""

    def __init__(self, seed: int):
        self.seed = seed

    def integers(self, *_: Any) -> int:
        return self.seed


def _power2(power: np.ndarray, stake: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(power, dtype=float)[..., None],
                           np.asarray(power).shape + (stake.shape[-1],))


def _tables(run: ExchangeRun) -> dict[str, pd.DataFrame]:
    reps, rounds, m = run.voting.shape
    r_idx, t_idx, k_idx = np.meshgrid(np.arange(reps), np.arange(rounds), np.arange(m), indexing="ij")
    rounds_df = pd.DataFrame({
        "repetition": r_idx.ravel(),
        "round": t_idx.ravel(),
        "issue": np.array(run.issues, dtype=object)[k_idx.ravel()],
        "outcome_before": run.before.ravel(),
        "outcome_after": run.voting.ravel(),
        "outcome_before_scaled": run.before_scaled.ravel(),
        "outcome_after_scaled": run.voting_scaled.ravel(),
        "n_exchanges": np.repeat(run.n_exchanges.ravel(), m),
    })
    ex_cols = ["repetition", "round", "order", "group", "gain", "actor_i", "actor_j", "supply_i",
               "supply_j", "x_supply_i", "x_supply_j", "move_i", "move_j", "y_i", "y_j",
               "d_outcome_i", "d_outcome_j", "eu_i", "eu_j", "eu_max_i", "eu_max_j", "u", "v", "z"]
    ex_df = pd.DataFrame(run.exchanges, columns=ex_cols) if run.exchanges else pd.DataFrame(columns=ex_cols)
    n = len(run.actors)
    rr, aa, kk = np.meshgrid(np.arange(reps), np.arange(n), np.arange(m), indexing="ij")
    fp = run.final_positions.ravel()
    pos_df = pd.DataFrame({
        "repetition": rr.ravel(),
        "actor": np.array(run.actors, dtype=object)[aa.ravel()],
        "issue": np.array(run.issues, dtype=object)[kk.ravel()],
        "position": fp,
    })
    pos_df = pos_df[np.isfinite(fp)].reset_index(drop=True)
    return {"rounds": rounds_df, "exchanges": ex_df, "positions": pos_df}
