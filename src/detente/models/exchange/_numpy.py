"""The numpy engine of the exchange model's ``variant="stokman"``: float64, every candidate
exchange of every draw of a batch at once (:class:`_Batch`).

The same steps as the reference (:mod:`.reference`) with a deterministic tie rule and without
its bugs; the compiled kernel (:mod:`._kernel`) gives the same exchanges and numbers.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np

_FLT = SimpleNamespace(tiny=1e-10, w_sal=0.4, w_fix=0.1, near=1e-9)
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
