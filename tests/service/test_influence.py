"""Who to persuade: checked by hand on small cases whose answer is known, against per-candidate
what-ifs (the batch must agree with one-at-a-time evaluation), and on Alaska."""

from __future__ import annotations

import numpy as np
import pytest

from detente import service
from detente.analysis import zone_of_agreement
from detente.errors import ScenarioError
from detente.scenario.load import scenario_from_data
from detente.service.influence import INFLUENCE_COLUMNS, _move_key, red_line_openings
from detente.service.whatif import structural_deals


def _scenario(actors, positions, red_lines, issues=("x",)):
    return scenario_from_data({
        "name": "hand",
        "issues": [{"id": i, "scale": {"min": 0, "max": 100}} for i in issues],
        "actors": [{"id": a, "power": 1} for a in actors],
        "positions": [{"actor": a, "issue": i, "position": p, "salience": 1} for a, i, p in positions],
        "red_lines": [{"actor": a, "issue": i, "min": lo, "max": hi} for a, i, lo, hi in red_lines],
    })


def test_red_lines_by_hand_only_the_actor_in_both_clashes_can_open_the_zone():
    # x: a [0, 30] vs b [50, 100] (c [0, 60] agrees with both); y: a [0, 20] vs c [40, 100].
    # Only a is in both clashes: it must raise its max on x to 50 and on y to 40 (0.2 + 0.2 of
    # the scales). b cannot open y, c cannot open x.
    sc = _scenario("abc", [(a, i, 10) for a in "abc" for i in "xy"],
                   [("a", "x", 0, 30), ("b", "x", 50, 100), ("c", "x", 0, 60),
                    ("a", "y", 0, 20), ("c", "y", 40, 100)], issues=("x", "y"))
    op = red_line_openings(sc)
    assert op["b"] is None and op["c"] is None
    np.testing.assert_array_equal(op["a"][1], [50, 40])
    res = service.influence(sc, ["weighted_mean"], forecasts=False)
    first = res.ranking[0]
    assert first.actor == "a" and first.best.kind == "red_line"
    assert first.best.size == pytest.approx(0.4)
    assert set(first.best.changes) == {"a.x.red_line=0:50", "a.y.red_line=0:40"}
    assert not zone_of_agreement(service.what_if(sc, list(first.best.changes)).scenario).empty.any()
    assert all(m.kind != "red_line" for ai in res.ranking[1:] for m in ai.moves)


def test_position_by_hand_weighted_mean():
    # a at 0 with red line [0, 40], b at 100, equal weights: the mean is (0 + p_b) / 2, a deal
    # once p_b <= 80, so b's smallest move is 20 points; a can do nothing (the mean never
    # falls below 50 while b sits at 100), so a's best move only narrows the gap.
    sc = _scenario("ab", [("a", "x", 0), ("b", "x", 100)], [("a", "x", 0, 40)])
    res = service.influence(sc, ["weighted_mean"], grid=100, forecasts=False)
    assert res.base_deals == 0 and res.base_zone_open
    first = res.ranking[0]
    assert first.actor == "b"
    assert (first.best.kind, first.best.after, first.best.deals) == ("position", 80.0, 1)
    assert first.best.size == pytest.approx(0.2)
    a = next(r for r in res.ranking if r.actor == "a")
    assert a.best is None or a.best.deals == 0


def test_batched_scores_equal_one_at_a_time_what_ifs():
    sc = service.load("alaska-2025")
    models = ["weighted_mean", "weighted_median"]
    res = service.influence(sc, models, grid=20, forecasts=False)
    checked = 0
    for ai in res.ranking:
        for m in ai.moves:
            w = service.what_if(sc, list(m.changes)).scenario
            run = service.forecast(w, models)
            deal, margin = structural_deals(w, np.stack([f.outcome for f in run.forecasts]))
            assert int(deal.sum()) == m.deals
            assert float(np.where(np.isfinite(margin), margin, -1).mean()) == pytest.approx(m.margin)
            checked += 1
    assert checked >= 4
    n_cells = int(sc.arrays().stake.sum())
    n_red = sum(1 for ai in res.ranking for m in ai.moves if m.kind == "red_line")
    assert res.n_candidates == n_cells * (21 + 5) + n_red


def test_alaska_ranking():
    sc = service.load("alaska-2025")
    res = service.influence(sc)
    assert [ai.actor for ai in res.ranking][:2] and {ai.actor for ai in res.ranking} == set(sc.actor_ids)
    assert not res.base_zone_open
    first = res.ranking[0]
    # no single move brings a structural deal, so the calibrated probability after each actor's
    # best move orders them; every red-line move opens the zone (the zone is closed only by lines)
    bests = [ai.best for ai in res.ranking if ai.best is not None]
    assert all(b.deals == 0 for b in bests)
    assert first.best.deal_probability == max(b.deal_probability for b in bests)
    assert [b.deal_probability for b in bests] == sorted((b.deal_probability for b in bests), reverse=True)
    red = [m for ai in res.ranking for m in ai.moves if m.kind == "red_line"]
    assert red and all(m.opens_zone for m in red)
    # the size of each red-line opening is the gap to the other binding actors' lines
    a = sc.arrays()
    for ai in res.ranking:
        m = next((x for x in ai.moves if x.kind == "red_line"), None)
        if m is None:
            continue
        i = a.actors.index(ai.actor)
        w = service.what_if(sc, list(m.changes)).scenario
        b = w.arrays()
        shift = (a.red_low[i] - b.red_low[i]) + (b.red_high[i] - a.red_high[i])
        assert m.size == pytest.approx(float((shift / (a.scale_max - a.scale_min)).sum()))
        assert not zone_of_agreement(w).empty.any()
    # an absent actor without a veto cannot open the zone with its own red lines
    europe = next(ai for ai in res.ranking if ai.actor == "europe")
    assert all(m.kind != "red_line" for m in europe.moves)
    # ranked by the best move's key; without the calibrated probability, a move that opens the
    # zone beats one that does not
    keys = [_move_key(ai.best) for ai in res.ranking if ai.best]
    assert keys == sorted(keys)
    if all(ai.best is None or ai.best.deal_probability is None for ai in res.ranking):
        opens = [ai.best.opens_zone if ai.best else False for ai in res.ranking]
        assert opens == sorted(opens, reverse=True)
    else:  # the calibrated model is installed: every best move carries its probability
        assert all(0 < ai.best.deal_probability < 1 for ai in res.ranking if ai.best)
    # the resulting forecast is the what-if comparison of the best move
    assert first.result is not None and first.result.changes[0].text == first.best.changes[0]
    doc = service.influence_document(res)
    assert doc["ranking"][0]["actor"] == first.actor and doc["ranking"][0]["best"]["changes"]
    df = res.to_frame()
    assert list(df.columns) == list(INFLUENCE_COLUMNS)
    assert set(df["actor"]) == set(sc.actor_ids)


def test_bad_grid():
    with pytest.raises(ScenarioError, match="grid"):
        service.influence("alaska-2025", grid=1)
