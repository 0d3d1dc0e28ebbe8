"""Monte Carlo with the negotiation simulator as the model (every draw is negotiated)."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import ModelError, ScenarioError
from detente.io import load_scenario
from detente.rng import as_seed_sequence, chunk_generators, unit_design
from detente.scenario.load import scenario_from_data
from detente.simulate.engine import simulate
from detente.uncertainty import SEED_BLOCK, monte_carlo
from detente.uncertainty.montecarlo import evaluate, prepare
from detente.uncertainty.simulator import MIX, SimulatorModel

NOISE = {"position": 10, "salience": 0.2, "red_line": 10, "walk_away": 0.1, "credibility": 0.2}
SIM = {"protocol": "summit", "steps": 30}


@pytest.fixture(scope="module")
def no_veto():
    """Alaska without Ukraine's veto: US-Russian table agreements stand (deals happen)."""
    data = load_scenario("alaska-2025").model_dump(mode="python")
    for a in data["actors"]:
        if a["id"] == "ukraine":
            a["veto"] = False
    return scenario_from_data(data, source="no-veto")


def test_deal_probability_is_the_share_of_runs_that_agree(no_veto):
    """Rebuild seed block 0 by hand (its unit design, then the simulator's seed from the same
    generator) and simulate the draws directly: the Monte Carlo outcome of each draw is the
    agreed grid value (NaN without a deal) and the deal probability the share of agreements."""
    n = 300
    r = monte_carlo(no_veto, "simulator", draws=n, seed=5, noise=NOISE, simulator=SIM, workers=1)
    sc, pert = prepare(no_veto, None, NOISE)
    _, _, rng = chunk_generators(as_seed_sequence(5), n, SEED_BLOCK)[0]
    arrays, cred = pert.from_unit(unit_design(rng, n, pert.n_inputs))
    mix = [(a, b) for a in MIX for b in MIX]
    res = simulate(sc, arrays=arrays, credibility=cred, protocol="summit", strategies=mix, steps=30,
                   seed=int(rng.integers(0, 2**63 - 1)))
    deal = res.reason == "agreement"
    assert 0.05 < deal.mean() < 0.95  # the test needs both kinds of draws
    assert r.deal_probability == deal.mean()
    vals = np.where(deal[:, None], res.agreement_values, np.nan).astype(float)
    np.testing.assert_array_equal(r.draws, vals)
    np.testing.assert_array_equal(r.no_outcome_share, np.full(5, 1 - deal.mean()))
    shares = dict(r.end_reasons)
    assert shares["agreement"] == r.deal_probability
    assert shares["walk_away"] == np.mean(res.reason == "walk_away")
    assert sum(shares.values()) == pytest.approx(1.0)
    walked = res.walked_out[res.reason == "walk_away"]
    np.testing.assert_allclose(r.walk_away_block, np.bincount(walked, minlength=4) / n)


def test_vetoes_are_red_line_blocks_of_the_veto_holder():
    # hard red lines and vetoes (firmness 1): Ukraine's consent is never given
    r = monte_carlo("alaska-2025", "simulator", draws=200, seed=2, noise={"position": 10}, simulator=SIM,
                    firmness=1.0)
    shares = dict(r.end_reasons)
    assert r.deal_probability == 0.0  # Ukraine vetoes every table agreement
    ukraine = r.actors.index("ukraine")
    assert r.red_line_block[ukraine] == shares["veto"] > 0
    assert np.all(np.delete(r.red_line_block, ukraine) == 0)
    frame = r.to_frame()
    assert set(frame[frame.issue == "(deal)"].statistic) == {
        "deal_probability", "share_agreement", "share_deadline", "share_walk_away", "share_veto"}
    assert r.summary()["end_reasons"]["veto"] == shares["veto"]


def test_numbers_do_not_depend_on_chunks_or_threads(no_veto):
    kw = dict(draws=SEED_BLOCK + 50, seed=11, noise={"position": 10, "walk_away": 0.1},
              simulator={"protocol": "single_text", "steps": 10})
    a = monte_carlo(no_veto, "simulator", chunk_size=SEED_BLOCK, workers=2, **kw)
    b = monte_carlo(no_veto, "simulator", chunk_size=10**6, workers=1, **kw)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.deal_probability == b.deal_probability and a.end_reasons == b.end_reasons
    np.testing.assert_array_equal(a.quantiles, b.quantiles)


def test_strategy_mix_follows_the_global_draw_index(no_veto):
    """Draw j plays combination j mod C whatever its seed block: block 1's first draw continues
    the rotation (SEED_BLOCK mod 25 = 21)."""
    m = SimulatorModel(strategies="mix", steps=5)
    sc, pert = prepare(no_veto, None, {"position": 10})
    arrays, cred = pert.from_unit(np.random.default_rng(0).random((3, pert.n_inputs)))
    res = m.simulate_draws(sc, arrays, cred, np.random.default_rng(1), first_draw=SEED_BLOCK)
    k = SEED_BLOCK % 25
    assert res.strategies.tolist() == ["/".join(c) for c in [(a, b) for a in MIX for b in MIX][k:k + 3]]


def test_simulator_options_are_checked_before_any_draw():
    with pytest.raises(ScenarioError, match="protocol"):
        monte_carlo("alaska-2025", "simulator", draws=10, simulator={"protocol": "auction"})
    with pytest.raises(ScenarioError, match="unknown simulator option"):
        monte_carlo("alaska-2025", "simulator", draws=10, simulator={"stepz": 3})
    with pytest.raises(ScenarioError, match="model='simulator'"):
        monte_carlo("alaska-2025", "weighted_median", draws=10, simulator={"steps": 3})
    with pytest.raises(ScenarioError, match="unknown strategy"):
        SimulatorModel(strategies="boulware,bogus")
    with pytest.raises(ScenarioError, match="steps"):
        SimulatorModel(steps=0)


def test_evaluate_needs_the_scenario_for_the_simulator():
    sc, pert = prepare("alaska-2025", None, {"position": 10})
    unit = np.random.default_rng(0).random((4, pert.n_inputs))
    with pytest.raises(ModelError, match="scenario"):
        evaluate(pert, SimulatorModel(steps=5), unit, np.random.default_rng(0))
    out, deal, no_out, red, walk, margin = evaluate(pert, SimulatorModel(steps=5), unit,
                                                    np.random.default_rng(0), scenario=sc)
    assert out.shape == (4, 5) and np.array_equal(margin, np.where(deal, 1.0, -1.0))
    assert np.array_equal(no_out, ~deal)


def test_sensitivity_with_the_simulator(no_veto):
    """Morris screening runs the simulator on the design: the deal indicator varies and gets
    finite indices; outputs without an outcome somewhere get NaN and a note."""
    from detente.uncertainty import sensitivity

    m = SimulatorModel(protocol="alternating", strategies="conceder", steps=20)
    r = sensitivity(no_veto, m, samples=12, seed=2, method="morris",
                    noise={"position": 10, "walk_away": 0.15})
    k = r.outputs.index("deal")
    assert 0 < r.output_mean[k] < 1
    assert np.isfinite(r.mu_star[k]).all() and r.mu_star[k].max() > 0
    assert any("no outcome" in n for n in r.notes)
