"""Parity of ``expected_utility`` with the Scholz et al. replication (``jmckib_scholz``).

Reference: ``$DETENTE_REFERENCE/expected-utility/<case>.outputs.json`` (key
``implementations.jmckib_scholz``: jmckib/bdm-scholz-expected-utility-model @ 55f63e9, run
through its Python 3 port), ``<case>.round1_internals.json`` and ``<case>.csv`` (the input,
read with :func:`detente.load_scenario`). Every case in the folder is tested, with both
computation backends (``numpy`` and the compiled ``numba`` kernel; the latter is skipped, with
the reason, when numba is not installed); tolerances are given in each test's docstring.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import detente
import detente.models.registry
from detente.models.expected_utility import MOVE_TYPES, ExpectedUtility, expected_utility_round
from detente.models.weighted_mean import weighted_mean
from detente.models.weighted_median import weighted_median_bounds
from tests.numba_marks import BACKENDS
from tests.parity._ref import reference_dir, reference_root

SUB = "expected-utility"
TOL = 1e-9  # positions, medians, means and exponents per round
TOL_INTERNALS = 1e-12  # round-1 internals
#: the replication names a lost conflict "confrontation"
_TYPE = {"confrontation": "conflict", "compromise": "compromise", "capitulation": "capitulation"}


def _names(pattern: str) -> list[str]:
    root = reference_root()
    folder = root / SUB if root is not None else None
    if folder is None or not folder.is_dir():
        # reference_dir() inside the test then skips (unset) or fails (set but missing)
        return ["<no reference>"]
    return sorted(p.name.split(".")[0] for p in folder.glob(pattern))


CASES = _names("*.outputs.json")
INTERNAL_CASES = _names("*.round1_internals.json")


def _load(case: str) -> tuple[dict, detente.Scenario]:
    folder = reference_dir(SUB)
    data = json.loads((folder / f"{case}.outputs.json").read_text(encoding="utf-8"))
    scenario = detente.load_scenario(folder / f"{case}.csv")
    # the loader keeps the CSV row order; the reference lists actors in the same order
    assert [a.name for a in scenario.actors] == data["actor_order"]
    return data, scenario


def _near_equal_start(positions: list[float], scale: float) -> bool:
    """Two distinct actors within 1e-9 of the range: from here the replication's path depends
    on floating-point summation order (spec section 7), so a later divergence is documented
    noise, not a bug."""
    x = np.sort(np.asarray(positions))
    gaps = np.diff(x)
    return bool(np.any((gaps > 0) & (gaps < 1e-9 * scale)))


@pytest.fixture(scope="module")
def runs() -> dict:
    return {}


def _run(case: str, backend: str, cache: dict):
    if (case, backend) not in cache:
        data, scenario = _load(case)
        ref = data["implementations"]["jmckib_scholz"]
        f = ExpectedUtility(rounds=int(data["rounds_run"]), backend=backend).forecast(scenario)
        cache[case, backend] = (data, ref, scenario, f)
    return cache[case, backend]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES)
def test_positions_median_mean_every_round(case, backend, runs):
    """Positions of every actor, median and mean after rounds 0..10 equal ``jmckib_scholz``
    within 1e-9 (absolute). A case may differ only from a round that starts with two distinct
    actors within 1e-9 x range of each other (floating-point noise, spec section 7), and then
    every earlier round must still match."""
    data, ref, scenario, f = _run(case, backend, runs)
    issue = scenario.issue_ids[0]
    rounds = f.to_frame("rounds")
    assert (rounds["issue"] == issue).all()
    actors = list(scenario.actor_ids)
    wide = rounds.pivot(index="round", columns="actor", values="position")[actors]
    med = rounds.groupby("round")["median"].first()
    mean = rounds.groupby("round")["mean"].first()
    expected = [ref["round0"], *ref["rounds"]]
    assert len(wide) == len(expected) == int(data["rounds_run"]) + 1
    scale = max(ref["round0"]["positions"]) - min(ref["round0"]["positions"])
    for k, exp in enumerate(expected):
        ok = (
            np.allclose(wide.loc[k].to_numpy(), exp["positions"], rtol=0, atol=TOL)
            and abs(med[k] - exp["median"]) <= TOL
            and abs(mean[k] - exp["mean"]) <= TOL
        )
        if not ok:
            start = expected[k - 1]["positions"]
            assert k > 0 and _near_equal_start(start, scale), (
                f"{case}: round {k} differs: positions {wide.loc[k].to_numpy()} vs "
                f"{exp['positions']}, median {med[k]} vs {exp['median']}, mean {mean[k]} vs {exp['mean']}"
            )
            pytest.xfail(f"{case}: floating-point noise from round {k} (near-equal positions)")
    np.testing.assert_allclose(f.outcome, [expected[-1]["median"]], rtol=0, atol=TOL)
    np.testing.assert_allclose(f.diagnostics["mean"], [expected[-1]["mean"]], rtol=0, atol=TOL)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES)
def test_moves_and_risk_exponents_every_round(case, backend, runs):
    """Per round: the moves' actors, types and counterparts are identical to ``jmckib_scholz``
    (France/Italy-type ties go to the first actor in input order in both); their EUs and new
    positions and every risk exponent r_i agree within 1e-9."""
    data, ref, scenario, f = _run(case, backend, runs)
    label = {a.id: a.name for a in scenario.actors}
    moves = f.to_frame("moves")
    risk = f.to_frame("risk")
    assert set(moves["type"]) <= set(MOVE_TYPES[1:])
    scale = max(ref["round0"]["positions"]) - min(ref["round0"]["positions"])
    for k, rd in enumerate(ref["rounds"], start=1):
        ours = moves[moves["round"] == k]
        got = sorted(
            (label[a], t, label[c]) for a, t, c in zip(ours["actor"], ours["type"], ours["counterpart"], strict=True)
        )
        exp = sorted((m["actor"], _TYPE[m["type"]], m["with"]) for m in rd["moves"])
        if got != exp:
            start = ([ref["round0"]] + ref["rounds"])[k - 1]["positions"]
            assert _near_equal_start(start, scale), f"{case}: round {k}: moves {got} != {exp}"
            pytest.xfail(f"{case}: floating-point noise from round {k} (near-equal positions)")
        by_actor = {label[a]: row for a, row in zip(ours["actor"], ours.itertuples(), strict=True)}
        for m in rd["moves"]:
            row = by_actor[m["actor"]]
            assert row.eu_own == pytest.approx(m["eu_own"], abs=TOL)
            assert row.eu_other == pytest.approx(m["eu_other"], abs=TOL)
            assert row.new_position == pytest.approx(m["new_position"], abs=TOL)
        r = risk[risk["round"] == k]["r_i"].to_numpy()
        np.testing.assert_allclose(r, rd["risk_exponent_r"], rtol=0, atol=TOL)


def _matrix(rows) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", INTERNAL_CASES)
def test_round1_internals(case, backend):
    """Round-1 internals on the initial positions (Q = 1) equal
    ``<case>.round1_internals.json`` within 1e-12 absolute: P matrices and the global vote
    normaliser D of both passes, the r = 1 EUs, the security sums S_i, R_i, r_i, the second-pass
    EUs a and b, and each actor's best offer."""
    folder = reference_dir(SUB)
    ref = json.loads((folder / f"{case}.round1_internals.json").read_text(encoding="utf-8"))
    a = detente.load_scenario(folder / f"{case}.csv").arrays()
    x, s, c = a.position[:, 0], a.salience[:, 0], a.power
    L = float(np.ptp(x))
    assert L == ref["position_range"]
    rnd = expected_utility_round(x[None], s[None], (c * s)[None], np.array([L]), backend=backend)
    off = ~np.eye(len(x), dtype=bool)

    def same(ours, exp):
        exp = _matrix(exp)  # the diagonal (None or 0) is not compared
        np.testing.assert_allclose(ours[0][off], exp[off], rtol=0, atol=TOL_INTERNALS)

    p1, p2 = ref["pass1_r1"], ref["pass2"]
    same(rnd.P1, p1["P"])
    assert rnd.D1[0] == pytest.approx(p1["vote_normaliser_D"], abs=TOL_INTERNALS)
    same(rnd.eu1, p1["EU_i_challenges_j"])
    np.testing.assert_allclose(rnd.security[0], p1["S_i_sum_of_others_EU_challenging_i"], rtol=0, atol=TOL_INTERNALS)
    np.testing.assert_allclose(rnd.R[0], p1["R_i"], rtol=0, atol=TOL_INTERNALS)
    np.testing.assert_allclose(rnd.r[0], ref["r_i"], rtol=0, atol=TOL_INTERNALS)
    same(rnd.P2, p2["P"])
    assert rnd.D2[0] == pytest.approx(p2["vote_normaliser_D"], abs=TOL_INTERNALS)
    same(rnd.a, p2["a_EU_i_of_i_challenging_j_in_i_view"])
    same(rnd.b, p2["b_EU_of_j_challenging_i_in_i_view"])
    names = ref["actor_order"]
    for i, offer in enumerate(ref["best_offer_round1"]):
        if offer is None:
            assert rnd.move_type[0, i] == 0, names[i]
            continue
        assert MOVE_TYPES[rnd.move_type[0, i]] == _TYPE[offer["type"]], names[i]
        assert names[rnd.move_with[0, i]] == offer["from"], names[i]
        assert rnd.new_position[0, i] == pytest.approx(offer["new_position"], abs=TOL_INTERNALS)


@pytest.mark.parametrize("case", CASES)
def test_baselines_initial_positions(case):
    """``detente.models.weighted_mean`` and ``weighted_median`` (lower and upper) of the
    initial positions with weights capability x salience equal ``baselines_initial_positions``
    within 1e-12; the jmckib round-0 mean and median agree with them too."""
    data, scenario = _load(case)
    base = data["baselines_initial_positions"]
    a = scenario.arrays()
    x, w = a.filled_position(), a.weight
    assert weighted_mean(x, w)[0] == pytest.approx(base["weighted_mean"], abs=1e-12)
    lo, hi, _ = weighted_median_bounds(x, w)
    assert lo[0] == pytest.approx(base["weighted_median_lower"], abs=1e-12)
    assert hi[0] == pytest.approx(base["weighted_median_upper"], abs=1e-12)
    r0 = data["implementations"]["jmckib_scholz"]["round0"]
    assert r0["mean"] == pytest.approx(base["weighted_mean"], abs=1e-12)
    assert base["weighted_median_lower"] <= r0["median"] <= base["weighted_median_upper"]
    # and through the registry, as the CLI runs them
    for name, key in (("weighted_mean", "weighted_mean"), ("weighted_median", "weighted_median_lower")):
        f = detente.models.registry.get_model(name).forecast(scenario)
        assert f.outcome[0] == pytest.approx(base[key], abs=1e-12)
    stated = data.get("stated_results_in_source", {}).get("weighted_mean")
    if stated is not None:  # printed to 2 decimals by the data's source
        assert weighted_mean(x, w)[0] == pytest.approx(stated, abs=0.005)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fifty_rounds_keep_cycling(backend):
    """EU emissions continued to 50 rounds (``jmckib_scholz_50_rounds``): median and mean after
    rounds 1..30 within 1e-9, and after every round up to 50 (plus the positions after round 50)
    within 1e-7. From about round 36 Belgium, Luxembourg and Ireland spiral away from 4 and the
    path amplifies last-bit rounding differences (summation order) about 2.6x per round: ~1e-13
    at round 36, ~2e-8 at round 50. The path keeps cycling between 7 and ~9.9 either way."""
    data, scenario = _load("eu_emissions_1994")
    ref = data["jmckib_scholz_50_rounds"]
    f = ExpectedUtility(rounds=50, backend=backend).forecast(scenario)
    rounds = f.to_frame("rounds")
    med = rounds.groupby("round")["median"].first().to_numpy()[1:]
    mean = rounds.groupby("round")["mean"].first().to_numpy()[1:]
    assert len(med) == len(ref["median"]) == 50
    np.testing.assert_allclose(med[:30], ref["median"][:30], rtol=0, atol=TOL)
    np.testing.assert_allclose(mean[:30], ref["mean"][:30], rtol=0, atol=TOL)
    np.testing.assert_allclose(med, ref["median"], rtol=0, atol=1e-7)
    np.testing.assert_allclose(mean, ref["mean"], rtol=0, atol=1e-7)
    last = rounds[rounds["round"] == 50]["position"].to_numpy()
    np.testing.assert_allclose(last, ref["positions_round50"], rtol=0, atol=1e-7)


def test_reference_cases_present():
    """The folder holds cases (a set but empty folder must not pass silently)."""
    folder = reference_dir(SUB)
    assert len(list(Path(folder).glob("*.outputs.json"))) >= 1
    assert CASES and CASES != ["<no reference>"]
