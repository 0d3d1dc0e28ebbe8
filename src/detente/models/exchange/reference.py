"""The readable reference implementation of Stokman's exchange model: the ``decide`` variant.

One object per actor side and per exchange, Python :mod:`decimal` arithmetic in the order of
operations of the reference implementation (Decide, ``decide-exchange-model`` 2025.3.1), its
tie coin flip and its documented quirks, and its random stream (a private
``random.Random(seed)``, never the global generator). ``docs/models/exchange.md`` states the
equations and points here; the float64 engines of ``variant="stokman"`` (:mod:`._numpy`,
:mod:`._kernel`) compute the same steps for many draws at once, without the reference's bugs.
"""

from __future__ import annotations

import decimal
import itertools
import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import numpy as np

from .data import ExchangeRun, _Input, _to_raw

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
