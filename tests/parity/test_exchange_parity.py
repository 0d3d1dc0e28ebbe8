"""Parity of the exchange model with the Decide reference (``decide-exchange-model`` 2025.3.1).

Source: ``$DETENTE_REFERENCE/exchange/outputs/<case>.<run>.json`` (every saved run) and
``inputs/`` (see that folder's README and ``shared/specs/exchange-model.md``).
Tolerance: 1e-9 absolute on every number (0..100 and issue scale); exact on counts and on which
actors exchange on which issues, in which order.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from detente.io.decide import read_decide
from detente.models.exchange import exchange_run
from tests.numba_marks import BACKENDS, needs_numba
from tests.parity._ref import reference_dir

TOL = 1e-9
RUNS = [
    "rex_fixture_2x2.equal_gain_noties",
    "rex_fixture_2x2.equal_gain_seed42",
    "rex_fixture_2x2.rex_p1.0_seed42",
    "sample_data.equal_gain_noties",
    "sample_data.equal_gain_seed42",
    "sample_data.equal_gain_seed7",
    "sample_data.rex_p0.5_seed42",
    "sample_data.rex_p1.0_seed42",
    "cop21.equal_gain_noties",
    "cop21.equal_gain_seed42",
    "cop21.rex_p0.5_seed42",
]
SLOW = {"cop21.rex_p0.5_seed42", "cop21.equal_gain_seed42"}


def _params(run: str, meta: dict) -> dict:
    kind = run.split(".", 1)[1]
    rex = kind.startswith("rex")
    return dict(
        rule="rex" if rex else "equal_gain",
        p=kind.split("_p")[1].split("_")[0] if rex else "0",
        seed=meta.get("seed") or 0,
        allow_random=not kind.endswith("noties"),
        rounds=meta["iterations"],
        repetitions=meta["repetitions"],
    )


@cache
def _case(run: str):
    folder = reference_dir("exchange")
    path = folder / "outputs" / f"{run}.json"
    if not path.is_file():
        pytest.fail(f"reference run missing: {path}")
    ref = json.loads(path.read_text())
    data = read_decide(folder / "inputs" / ref["meta"]["input_file"])
    ours = exchange_run(data, variant="decide", **_params(run, ref["meta"]))
    return data, ref, ours


def _run_ids():
    return [pytest.param(r, marks=pytest.mark.slow) if r in SLOW else r for r in RUNS]


@pytest.mark.parametrize("run", _run_ids())
def test_outcomes_per_round(run):
    """Outcome before and after each round's exchanges, every issue, round and repetition
    (``repetitions[*].rounds[*].mds_before/mds_voting`` and ``_raw``), and ``final_mds``: 1e-9."""
    data, ref, ours = _case(run)
    issues = data.issues
    for r, rep in enumerate(ref["repetitions"]):
        for t, rd in enumerate(rep["rounds"]):
            for key, arr in (("mds_before", ours.before_scaled), ("mds_voting", ours.voting_scaled),
                             ("mds_before_raw", ours.before), ("mds_voting_raw", ours.voting)):
                want = np.array([rd[key][i] for i in issues])
                np.testing.assert_allclose(arr[r, t], want, atol=TOL, rtol=0,
                                           err_msg=f"{run} rep {r} round {t} {key}")
            assert ours.n_exchanges[r, t] == rd["n_exchanges"], f"{run} rep {r} round {t}"
        np.testing.assert_allclose(ours.final_scaled[r], [rep["final_mds"][i] for i in issues],
                                   atol=TOL, rtol=0)
        np.testing.assert_allclose(ours.final[r], [rep["final_mds_raw"][i] for i in issues],
                                   atol=TOL, rtol=0)
    flips = ref["meta"].get("tie_coin_flips_per_repetition")
    if flips is not None and ref["meta"]["repetitions"] == len(flips):
        assert ours.tie_flips.sum(axis=1).tolist() == flips


@pytest.mark.parametrize("run", _run_ids())
def test_exchanges_identical(run):
    """Every executed exchange of repetition 0 (``rounds[*].exchanges``): same actors, supply and
    demand issues, roles and order exactly; gain, moves, voting positions, supply positions and
    the REX values (u, v, z, eu, eu_max) to 1e-9."""
    data, ref, ours = _case(run)
    got = {}
    for rec in ours.exchanges:
        if rec["repetition"] == 0:
            got.setdefault(rec["round"], []).append(rec)
    for t, rd in enumerate(ref["repetitions"][0]["rounds"]):
        mine = got.get(t, [])
        assert len(mine) == len(rd["exchanges"]), f"{run} round {t}"
        for k, (a, b) in enumerate(zip(mine, rd["exchanges"], strict=True)):
            where = f"{run} round {t} exchange {k}"
            assert a["order"] == b["order"]
            assert sorted(a["group"]) == sorted("".join(b["groups"])), where
            assert abs(a["gain"] - b["gain"]) <= TOL, where
            for tag in ("i", "j"):
                side = b[tag]
                assert a[f"actor_{tag}"] == side["actor"], where
                assert a[f"supply_{tag}"] == side["supply_issue"], where
                for mine_key, ref_key in (("move", "move"), ("y", "y"), ("x_supply", "x_supply"),
                                          ("eu", "eu")):
                    assert abs(a[f"{mine_key}_{tag}"] - side[ref_key]) <= TOL, (where, ref_key)
                if side["u"] != "-":
                    for key in ("u", "v", "z"):
                        assert abs(a[key] - side[key]) <= TOL, (where, key)
                    assert abs(a[f"eu_max_{tag}"] - side["eu_max"]) <= TOL, (where, "eu_max")




@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ["rex_fixture_2x2", "sample_data", "cop21"])
def test_stokman_equals_decide_until_first_near_tie(case, backend):
    """``variant="stokman"`` (float64, each backend) against ``variant="decide"`` on the
    deterministic runs (``<case>.equal_gain_noties.json``): identical (1e-9) on every round
    before the first round in which a branch of the reference was decided by Decimal rounding
    noise (``near_ties``: near-equal gains, an outcome on a partner's position up to noise),
    and the first round where they differ is such a round."""
    data, ref, dec = _case(f"{case}.equal_gain_noties")
    st = exchange_run(data, variant="stokman", backend=backend)
    diff = np.abs(st.voting_scaled[0] - dec.voting_scaled[0]).max(axis=-1)
    diff = np.maximum(diff, np.abs(st.before_scaled[0] - dec.before_scaled[0]).max(axis=-1))
    near = dec.near_ties[0]
    first_near = int(np.argmax(near > 0)) if near.any() else len(near)
    assert np.all(diff[:first_near] <= TOL)
    bad = np.flatnonzero(diff > TOL)
    if bad.size:
        assert near[bad[0]] > 0, f"{case}: stokman diverges in round {bad[0]} without a near-tie"
    if case == "rex_fixture_2x2":
        assert not bad.size and not near.any()
        np.testing.assert_allclose(st.final_scaled, dec.final_scaled, atol=TOL, rtol=0)


INPUTS = ["rex_fixture_2x2.txt", "sample_data.txt", "cop21.csv", "copenhagen.csv",
          "sample_data_salience_perturbed.txt"]


@needs_numba
@pytest.mark.parametrize("rule", ["equal_gain", "rex"])
@pytest.mark.parametrize("name", INPUTS)
def test_stokman_backends_identical_on_reference_inputs(name, rule):
    """Every reference input (``$DETENTE_REFERENCE/exchange/inputs/``), 10 rounds, equal gain
    and REX (p = 0.5, 2 repetitions from one seed): the compiled kernel (``backend="numba"``)
    gives the numpy engine's run: the same executed exchanges (actors, supply issues, order)
    and every number (outcomes per round, final positions, exchange records) to 1e-12."""
    from tests.models.test_exchange_backends import assert_same_run

    data = read_decide(reference_dir("exchange") / "inputs" / name)
    kw = dict(variant="stokman", rule=rule, p=0.5, repetitions=2, record=2)
    a = exchange_run(data, backend="numpy", rng=np.random.default_rng(42), **kw)
    b = exchange_run(data, backend="numba", rng=np.random.default_rng(42), **kw)
    assert a.n_exchanges.sum() > 0
    assert_same_run(a, b, f"{name} {rule}")


def test_faulty_input_names_row_and_field():
    """``inputs/copenhagen_with_errors.csv``: the reference crashes in its format sniffer; read
    as tab separated it rejects one row (``copenhagen_with_errors.load_result.json``): the
    negative power of ``#D China India Control 75 0.75 -0.247``."""
    from detente.errors import ScenarioError

    folder = reference_dir("exchange")
    expected = json.loads((folder / "outputs" / "copenhagen_with_errors.load_result.json").read_text())
    row_text = expected["open_as_tab_separated_without_quotes"]["error_row_text"][0]
    with pytest.raises(ScenarioError) as info:
        read_decide(folder / "inputs" / "copenhagen_with_errors.csv")
    err = info.value
    assert not err.problems, "exactly one problem, as in the reference"
    lines = (folder / "inputs" / "copenhagen_with_errors.csv").read_text().splitlines()
    line = int(err.location.split()[-1])
    assert lines[line - 1] == row_text
    assert err.field == "power"
    assert "-0.247" in str(err) and "copenhagen_with_errors.csv" in str(err)


def test_scenario_path_matches_reference():
    """``load_decide`` -> Scenario -> ``Exchange(variant="decide", seed=42).forecast`` gives the
    reference's numbers (``sample_data.equal_gain_seed42.json``, round 9 ``mds_voting_raw``
    and the per-round outcomes of the ``rounds`` table): the conversion to a Scenario and back
    loses nothing. Tolerance 1e-9."""
    from detente.io.decide import load_decide
    from detente.models.exchange import Exchange

    folder = reference_dir("exchange")
    ref = json.loads((folder / "outputs" / "sample_data.equal_gain_seed42.json").read_text())
    scenario = load_decide(folder / "inputs" / "sample_data.txt")
    f = Exchange(variant="decide", seed=42).forecast(scenario)
    rounds = ref["repetitions"][0]["rounds"]
    issues = list(ref["meta"]["issues"])
    np.testing.assert_allclose(f.outcome, [rounds[-1]["mds_voting_raw"][i] for i in issues],
                               atol=TOL, rtol=0)
    table = f.to_frame("rounds")
    for t, rd in enumerate(rounds):
        got = table[table["round"] == t].set_index("issue")
        for i in issues:
            assert abs(got.loc[i, "outcome_before"] - rd["mds_before_raw"][i]) <= TOL
            assert abs(got.loc[i, "outcome_after"] - rd["mds_voting_raw"][i]) <= TOL
    assert f.diagnostics["tie_flips"].sum() == ref["meta"]["tie_coin_flips_per_repetition"][0]
