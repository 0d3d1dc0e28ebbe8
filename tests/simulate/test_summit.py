"""The staged summit of any shape (docs/simulation.md, "The staged summit"): stages seating
different actors, provisional agreements, strategies per negotiator, the stage rules that
``validate`` checks, and ``ended_by``."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.negotiation.from_scenario import scenario_domain
from detente.scenario.load import scenario_from_data
from detente.simulate import simulate
from detente.simulate.result import ending_labels

LEVELS = 5


def _three(stages, *, present_c=True, walk=None, extra_actors=(), red_lines=()):
    """Three actors on two issues: a and b are close on x and far apart on y, c sits between
    them on y and far away on x. ``extra_actors`` (absent veto holders) and ``red_lines`` for
    the veto tests."""
    actors = [{"id": "a", "power": 1}, {"id": "b", "power": 1}, {"id": "c", "power": 1, "present": present_c}]
    positions = [
        {"actor": "a", "issue": "x", "position": 10, "salience": 0.6},
        {"actor": "a", "issue": "y", "position": 0, "salience": 0.4},
        {"actor": "b", "issue": "x", "position": 30, "salience": 0.3},
        {"actor": "b", "issue": "y", "position": 100, "salience": 0.7},
        {"actor": "c", "issue": "x", "position": 100, "salience": 0.5},
        {"actor": "c", "issue": "y", "position": 50, "salience": 0.5},
    ]
    for e in extra_actors:
        actors.append({"id": e, "power": 1, "present": False, "veto": True})
        positions += [{"actor": e, "issue": i, "position": 50, "salience": 0.5} for i in ("x", "y")]
    data = {
        "name": "three",
        "actors": actors,
        "issues": [{"id": "x", "scale": {"min": 0, "max": 100}}, {"id": "y", "scale": {"min": 0, "max": 100}}],
        "positions": positions,
        "stages": stages,
    }
    if walk is not None:
        data["walk_away"] = [{"actor": k, "utility": v} for k, v in walk.items()]
    if red_lines:
        data["red_lines"] = list(red_lines)
    return scenario_from_data(data, source="three.yaml")


def _stage(sid, *actors, **kw):
    return {"id": sid, "participants": [{"actor": a} for a in actors], **kw}


BILATERAL_THEN_PLENARY = [_stage("bilateral", "a", "b", max_steps=30), _stage("plenary", "a", "b", "c")]


def test_bilateral_then_plenary_three_parties():
    """A bilateral (a, b) and then a plenary (a, b, c): it plays (the old engine refused it:
    'every bargaining stage must seat the same number of actors present'); a deal is final
    only at the plenary; a bilateral agreement is provisional and commits a and b (reservation
    value (r + lambda U(p)) / (1 + lambda)), so the plenary deal is worth at least that to
    each of them; c's deal is rational for c."""
    sc = _three(BILATERAL_THEN_PLENARY)
    lam = 0.5
    res = simulate(sc, runs=200, protocol="summit", steps=60, seed=4, levels=LEVELS, audience_cost=lam)
    assert res.params["negotiators"] == ("a", "b", "c")
    assert set(res.stage) <= {"bilateral", "plenary"}
    assert res.agreed.any()
    assert set(res.stage[res.agreed]) == {"plenary"}  # only the full stage closes the summit
    assert res.provisional is not None
    prov = res.provisional >= 0
    assert prov.any()  # some bilaterals agreed
    dom = scenario_domain(sc, levels=LEVELS)
    U, r0 = dom.utilities(), dom.reservation
    both = prov & res.agreed
    assert both.any()
    for k in (0, 1):  # a and b are committed to the bilateral agreement
        floor = (r0[k] + lam * U[k, res.provisional[both]]) / (1 + lam)
        assert np.all(res.utilities[both, k] >= floor - 1e-12)
        assert np.any(res.utilities[both, k] < U[k, res.provisional[both]])  # a commitment, not a lock
    assert np.all(res.utilities[res.agreed, 2] >= r0[2] - 1e-12)
    # a provisional agreement that no full stage confirms is no deal
    assert set(res.ended_by[prov & ~res.agreed]) <= {"deadline"} | {f"walk_away:{p}" for p in "abc"}


def test_what_carries_from_the_bilateral_to_the_plenary():
    """Only the commitment carries over: without audience cost the plenary after the bilateral
    is the plenary alone, run by run; with it the plenary changes."""
    kw = dict(runs=100, protocol="summit", steps=60, seed=4, levels=LEVELS, walk_away=False)
    alone = simulate(_three([_stage("plenary", "a", "b", "c")]), **kw)
    free = simulate(_three(BILATERAL_THEN_PLENARY), audience_cost=0.0, **kw)
    assert (free.provisional >= 0).all() and (free.stage == "plenary").all()
    for f in ("agreement", "reason", "step", "utilities", "ended_by", "strategies"):
        np.testing.assert_array_equal(getattr(free, f), getattr(alone, f), err_msg=f)
    committed = simulate(_three(BILATERAL_THEN_PLENARY), audience_cost=2.0, **kw)
    assert not np.array_equal(committed.agreement, alone.agreement)


def test_mediator_shuttles_between_the_parties():
    """A mediator m meets a, then b, then both (proximity talks, then a plenary), on two issues
    a and b weigh differently. Strategies are given per negotiator in order of first seat
    (m, a, b). Both proximity talks agree provisionally; the plenary closes; every deal is
    rational for everyone, the mediator included, and at least its commitment for m."""
    data = {
        "name": "mediation",
        "actors": [{"id": "a", "power": 1}, {"id": "b", "power": 1}, {"id": "m", "power": 1}],
        "issues": [{"id": "x", "scale": {"min": 0, "max": 100}}, {"id": "y", "scale": {"min": 0, "max": 100}}],
        "positions": [
            {"actor": "a", "issue": "x", "position": 0, "salience": 0.7},
            {"actor": "a", "issue": "y", "position": 0, "salience": 0.3},
            {"actor": "b", "issue": "x", "position": 100, "salience": 0.3},
            {"actor": "b", "issue": "y", "position": 100, "salience": 0.7},
            {"actor": "m", "issue": "x", "position": 50, "salience": 0.5},
            {"actor": "m", "issue": "y", "position": 50, "salience": 0.5},
        ],
        "stages": [_stage("with_a", "m", "a", max_steps=40), _stage("with_b", "m", "b", max_steps=40),
                   _stage("plenary", "m", "a", "b")],
    }
    sc = scenario_from_data(data, source="mediation.yaml")
    res = simulate(sc, runs=30, protocol="summit", strategies=("conceder", "boulware", "linear"), steps=60,
                   seed=1, levels=LEVELS, walk_away=False)
    assert res.params["negotiators"] == ("m", "a", "b")
    assert set(res.strategies) == {"conceder/boulware/linear"}
    assert res.agreed.all() and set(res.stage) == {"plenary"}
    assert (res.provisional >= 0).all()  # the last provisional agreement: with b
    dom = scenario_domain(sc, levels=LEVELS)
    for k in range(3):
        assert np.all(res.utilities[:, k] >= dom.reservation[k] - 1e-12)
    m = sc.actor_ids.index("m")
    floor = (dom.reservation[m] + 0.5 * dom.utilities()[m, res.provisional]) / 1.5
    assert np.all(res.utilities[:, m] >= floor - 1e-12)
    with pytest.raises(ScenarioError, match=r"one strategy per negotiating party \(3\)"):
        simulate(sc, runs=2, protocol="summit", strategies=("linear", "linear"))


def test_strategies_follow_the_actor_not_the_seat():
    """Listing a later stage's seats in another order changes nothing: each actor keeps its
    strategy (the result's strategy labels and numbers are those of the actors)."""
    st1 = [_stage("s1", "a", "b", max_steps=30), _stage("s2", "a", "b", "c")]
    st2 = [_stage("s1", "a", "b", max_steps=30), _stage("s2", "c", "b", "a")]
    kw = dict(runs=20, protocol="summit", strategies=("boulware", "conceder", "linear"), steps=40, seed=2, levels=LEVELS)
    r1, r2 = simulate(_three(st1), **kw), simulate(_three(st2), **kw)
    assert r1.params["negotiators"] == r2.params["negotiators"] == ("a", "b", "c")
    assert set(r1.strategies) == set(r2.strategies) == {"boulware/conceder/linear"}
    # acting order differs in the plenary, so outcomes may differ; each run stays rational
    for r in (r1, r2):
        assert np.all(r.utilities[r.agreed] >= scenario_domain(_three(st1), levels=LEVELS).reservation - 1e-12)


def test_one_full_stage_summit_is_alternating_offers_with_walk_away():
    """Where the old shape applies (every stage seats the same two parties), a one-stage summit
    is the alternating-offers protocol with walk-away on: the same agreements, reasons, steps
    and utilities run by run."""
    sc = _three([_stage("talks", "a", "b")], present_c=False)
    kw = dict(runs=50, steps=40, seed=3, levels=LEVELS, walk_away=True)
    summit = simulate(sc, protocol="summit", **kw)
    alt = simulate(sc, protocol="alternating", **kw)
    for f in ("agreement", "reason", "step", "utilities", "n_offers", "last_proposer", "ended_by", "strategies"):
        np.testing.assert_array_equal(getattr(summit, f), getattr(alt, f), err_msg=f)


def test_alternative_bilaterals_are_final_and_final_overrides():
    """Coalition talks: two bilaterals with a common partner and no plenary (the old 'same
    number of seats' shape): each bilateral's deal is final, as before. ``final: true`` on a
    bilateral before a plenary makes its deals end the summit; ``final: false`` on the same
    actors meeting twice makes the first meeting provisional."""
    alt = _three([_stage("ab", "a", "b", max_steps=30), _stage("cb", "c", "b")])
    r = simulate(alt, runs=40, protocol="summit", strategies="linear", steps=40, seed=1, levels=LEVELS, walk_away=False)
    assert r.agreed.all() and set(r.stage) == {"ab"} and (r.provisional < 0).all()
    pinned = _three([_stage("bilateral", "a", "b", max_steps=30, final=True), _stage("plenary", "a", "b", "c")])
    r2 = simulate(pinned, runs=40, protocol="summit", strategies="linear", steps=40, seed=1, levels=LEVELS,
                  walk_away=False)
    assert set(r2.stage[r2.agreed]) == {"bilateral"} and (r2.provisional < 0).all()
    twice = _three([_stage("ministers", "a", "b", max_steps=30, final=False), _stage("leaders", "a", "b")],
                   present_c=False)
    r3 = simulate(twice, runs=40, protocol="summit", strategies="linear", steps=40, seed=1, levels=LEVELS,
                  walk_away=False)
    assert set(r3.stage[r3.agreed]) == {"leaders"} and (r3.provisional >= 0).all()


# ------------------------------------------------------------------------- stage rules
def _write(tmp_path, text):
    p = tmp_path / "summit.yaml"
    p.write_text(text)
    return p


HEAD = """name: rules
actors:
  - {id: a, power: 1}
  - {id: b, power: 1}
  - {id: c, power: 1}
  - {id: d, power: 1, present: false, veto: true}
issues:
  - {id: x, scale: {min: 0, max: 100}}
positions:
  - {actor: a, issue: x, position: 0, salience: 1}
  - {actor: b, issue: x, position: 50, salience: 1}
  - {actor: c, issue: x, position: 100, salience: 1}
  - {actor: d, issue: x, position: 100, salience: 1}
stages:
"""


@pytest.mark.parametrize("stages, line, stage, needle", [
    # provisional deals that no later stage can confirm
    ("  - id: ab\n    final: false\n    participants: [{actor: a}, {actor: b}]\n"
     "  - id: bc\n    participants: [{actor: b}, {actor: c}]\n", 16, "ab", "no later bargaining stage seats all"),
    # one actor present at the table (d is absent)
    ("  - id: abc\n    participants: [{actor: a}, {actor: b}, {actor: c}]\n"
     "  - id: lonely\n    participants: [{actor: a}, {actor: d}]\n", 18, "lonely", "at least two actors present"),
    # an actor seated twice
    ("  - id: twice\n    participants:\n      - {actor: a}\n      - {actor: b}\n      - {actor: c}\n"
     "      - {actor: a}\n", 20, "twice", "seated twice"),
    # press conferences only
    ("  - id: press\n    kind: press_conference\n    participants: [{actor: a}, {actor: b}]\n", 15, None,
     "no bargaining stage"),
])
def test_validate_names_file_line_and_stage(tmp_path, stages, line, stage, needle):
    path = _write(tmp_path, HEAD + stages)
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    msg = str(e.value)
    assert "summit.yaml" in msg and needle in msg
    assert f"line {line}" in msg
    if stage is not None:
        assert f"stage {stage!r}" in msg


def test_validate_command_reports_the_stage(tmp_path):
    from typer.testing import CliRunner

    from detente.cli import app

    path = _write(tmp_path, HEAD + "  - id: ab\n    participants: [{actor: a}, {actor: b}]\n"
                                   "  - id: bc\n    participants: [{actor: b}, {actor: c}, {actor: b}]\n")
    r = CliRunner().invoke(app, ["validate", str(path)])
    assert r.exit_code == 2
    out = " ".join(r.output.split())
    assert "summit.yaml" in out and "line 18" in out and "stage 'bc'" in out and "Traceback" not in out
    ok = _write(tmp_path, HEAD + "  - id: ab\n    participants: [{actor: a}, {actor: b}]\n"
                                 "  - id: all\n    participants: [{actor: a}, {actor: b}, {actor: c}]\n")
    assert CliRunner().invoke(app, ["validate", str(ok)]).exit_code == 0


# ------------------------------------------------------------------------- ended_by
def test_ended_by_on_alaska():
    """Who ended each Alaska summit: walk-outs by the US or Russia, Ukraine's veto; consistent
    with ``reason`` and ``walked_out`` run by run, and in ``to_frame()`` and the summary."""
    res = simulate("alaska-2025", runs=500, protocol="summit", seed=2026)
    assert set(res.ended_by) <= {"walk_away:usa", "walk_away:russia", "veto:ukraine"}
    walk = res.reason == "walk_away"
    names = np.array(res.parties, dtype=object)
    np.testing.assert_array_equal(res.ended_by[walk], "walk_away:" + names[res.walked_out[walk]])
    np.testing.assert_array_equal(res.ended_by[res.reason == "veto"], "veto:ukraine")
    assert np.all(res.walked_out[~walk] == -1)
    df = res.to_frame()
    assert df["ended_by"].tolist() == res.ended_by.tolist()
    s = res.summary()["ended_by"]
    assert sum(s.values()) == 500 and s["veto:ukraine"] == int((res.reason == "veto").sum())


def test_ended_by_deal_deadline_and_vetoes_by_whom():
    """``deal`` and ``deadline``; a veto names the absent veto holders whose red lines the table
    agreement breaks (both, joined by '+', when both are broken)."""
    base = _three([_stage("talks", "a", "b")], present_c=False)
    res = simulate(base, runs=10, protocol="summit", strategies="linear", steps=30, seed=0, levels=LEVELS)
    assert set(res.ended_by) == {"deal"} and res.agreed.all()
    stub = simulate(base, runs=4, protocol="summit", strategies="hardliner", steps=5, seed=0, levels=LEVELS,
                    walk_away=False)
    assert set(stub.ended_by) == {"deadline"}
    # red lines that exclude every agreement: d's on y, e's on x (the table never goes there)
    one = _three([_stage("talks", "a", "b")], present_c=False, extra_actors=("d", "e"),
                 red_lines=[{"actor": "d", "issue": "y", "min": 0, "max": 0}])
    r1 = simulate(one, runs=10, protocol="summit", strategies="linear", steps=30, seed=0, levels=LEVELS)
    assert set(r1.ended_by) == {"veto:d"} and set(r1.reason) == {"veto"}
    two = _three([_stage("talks", "a", "b")], present_c=False, extra_actors=("d", "e"),
                 red_lines=[{"actor": "d", "issue": "y", "min": 0, "max": 0},
                            {"actor": "e", "issue": "x", "min": 100, "max": 100}])
    r2 = simulate(two, runs=10, protocol="summit", strategies="linear", steps=30, seed=0, levels=LEVELS)
    assert set(r2.ended_by) == {"veto:d+e"}
    # the same labels on the alternating protocol (no stages)
    r3 = simulate(two, runs=10, protocol="alternating", strategies="linear", steps=30, seed=0, levels=LEVELS)
    assert set(r3.ended_by) == {"veto:d+e"}


def test_ending_labels_from_reasons():
    labels = ending_labels(np.array([0, 1, 2, 3, 3]), np.array([-1, -1, 1, -1, -1]), np.array([0, 0, 0, 1, 3]),
                           ("p", "q", "r", "s"), [2, 3])
    assert labels.tolist() == ["deal", "deadline", "walk_away:q", "veto:r", "veto:r+s"]


@pytest.mark.parametrize("backend", ["numpy", "auto"])
def test_per_run_bilateral_then_plenary_equals_each_draw_alone(backend):
    """Per-run scenarios (every run its own draw) through a bilateral and a plenary: run i is
    the lone simulation of draw i, field by field, provisional agreements included; the fast
    paths (numpy merged path, compiled kernel with ``auto``) equal the general path."""
    from detente.uncertainty.perturb import build_perturbation

    from ._draws import scenario_of_draw

    sc = _three(BILATERAL_THEN_PLENARY)
    arrays, cred = build_perturbation(sc, noise={"position": 10, "salience": 0.2}).draw(12, np.random.default_rng(5))
    combos = [("linear", "conceder", "boulware"), ("tit_for_tat", "aspiration", "linear")]
    kw = dict(protocol="summit", steps=40, seed=2, levels=LEVELS)
    res = simulate(sc, arrays=arrays, chunk_size=5, backend=backend, strategies=combos, **kw)
    general = simulate(sc, arrays=arrays, chunk_size=5, backend="numpy", fast=False, strategies=combos, **kw)
    assert (res.provisional >= 0).any() and res.agreed.any()
    fields = ("agreement", "reason", "step", "utilities", "n_offers", "last_proposer", "stage", "ended_by",
              "provisional")
    for f in fields:
        np.testing.assert_array_equal(getattr(res, f), getattr(general, f), err_msg=f)
    for i in range(12):
        one = simulate(scenario_of_draw(sc, arrays, cred, i), runs=1, strategies=[combos[i % 2]], dedup=False, **kw)
        for f in fields:
            assert np.array_equal(getattr(res, f)[i], getattr(one, f)[0]), (f, i)
