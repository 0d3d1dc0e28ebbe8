"""Unit tests of ``detente.models.ktab_smp`` against hand calculations from the specification
(``shared/specs/ktab-smp.md``, section numbers in the docstrings)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import detente.models.ktab_smp.reference as K
from detente import ModelParameterError, get_model, load_scenario
from detente.models.ktab_smp import KtabSMP, pce, run_smp, smp_utility, unique_positions
from detente.scenario.foreign import ktab_inputs
from tests.contract.model_contract import BASE_POS, BASE_POW, BASE_SAL, make_scenario


def _scenario():
    return make_scenario(BASE_POS, BASE_SAL / 2, BASE_POW)


# ------------------------------------------------------------------ building blocks
def test_utility_section3():
    """U(d, R) = (1 - d)(1 + d R); (1 - d)(1 + R) beyond 1 (section 3)."""
    assert smp_utility(0.5, 1.0) == pytest.approx(0.75)
    assert smp_utility(0.5, 0.0) == pytest.approx(0.5)
    assert smp_utility(0.25, -0.5) == pytest.approx(0.75 * (1 - 0.125))
    assert smp_utility(1.5, 0.3) == pytest.approx(-0.5 * 1.3)
    assert smp_utility(0.0, -1.0) == 1.0


@pytest.mark.parametrize(
    ("rule", "want"),
    [
        ("Prop", 2 * 0.1),
        ("Binary", 2 * 1.0),
        ("PropBin", 2 * (0.8 * 0.1 + 0.2)),
        ("PropCbc", 2 * (0.05 + 0.5 * 0.001)),
        ("Cubic", 2 * 0.001),
        ("ASymProsp", 2 * 0.1 * 2 / 3),
    ],
)
def test_vote_rules_section51(rule, want):
    """Votes of weight 2 for a utility difference of +0.1 (table in section 5.1)."""
    assert K._vote(rule, 2.0, 0.1) == pytest.approx(want)
    neg = K._vote(rule, 2.0, -0.1)
    assert neg == pytest.approx(-2 * 0.1 if rule == "ASymProsp" else -want)


def test_coalitions_and_conditional_pce_two_options():
    """Two options, voters (w=1: u = 1, 0.5) and (w=2: u = 0.2, 0.4): C(0,1) = 1e-8 + 0.5,
    C(1,0) = 1e-8 + 0.4; Conditional PCE p_0 = V(0,1) / (V(0,1) + V(1,0)) (section 5.3)."""
    c = K._coalitions("Prop", np.array([[1.0, 2.0]]), np.array([[[1.0, 0.5], [0.2, 0.4]]]))
    np.testing.assert_allclose(c[0], [[1e-8, 0.5 + 1e-8], [0.4 + 1e-8, 1e-8]], rtol=1e-12)
    p = pce(c)[0]
    v01 = (0.5 + 1e-8) / (0.9 + 2e-8)
    np.testing.assert_allclose(p, [v01, 1 - v01], rtol=1e-12)


def test_asymprosp_coalitions_depend_on_option_order():
    """ASymProsp: supporters of the later option get 2/3 weight (sections 5.1, 9.1)."""
    w = np.array([[1.0]])
    u = np.array([[[0.9, 0.3]]])  # the voter prefers option 0 by 0.6
    c = K._coalitions("ASymProsp", w, u)[0]
    assert c[0, 1] == pytest.approx(0.6 + 1e-8)  # earlier option: full weight
    c_rev = K._coalitions("ASymProsp", w, u[..., ::-1])[0]
    assert c_rev[1, 0] == pytest.approx(0.4 + 1e-8)  # same preference, later option: 2/3


def test_victory_models_section52():
    c = np.array([[1e-8, 3.0], [1.0, 1e-8]])
    assert K._victory("Linear", c)[0, 1] == pytest.approx(0.75)
    assert K._victory("Square", c)[0, 1] == pytest.approx(0.9)
    assert K._victory("Quartic", c)[0, 1] == pytest.approx(81 / 82)
    assert K._victory("Binary", c)[0, 1] == 1.0
    assert K._victory("Binary", c)[1, 0] == 0.0
    close = np.array([[1e-8, 1.05], [1.0, 1e-8]])
    r = 1.05 / 2.05
    assert K._victory("Binary", close)[0, 1] == pytest.approx((2.1 * r - 1) / 0.1)
    assert K._victory("Linear", c)[0, 0] == 0.5


def test_markov_uniform_fixed_point_two_options():
    """For two options the MarkovUniform fixed point is p = (V(0,1), V(1,0)) (section 5.3)."""
    c = np.array([[1e-8, 3.0], [1.0, 1e-8]])
    p = pce(c, pce_model="MarkovUniform")
    np.testing.assert_allclose(p, [0.75, 0.25], atol=2e-6)


def test_markov_pces_sum_to_one_and_respect_mask():
    rng = np.random.default_rng(0)
    c = rng.uniform(0.1, 2.0, size=(3, 5, 5))
    mask = np.array([[True] * 5, [True, False, True, True, False], [True, True, False, False, False]])
    for model in ("Conditional", "MarkovUniform", "MarkovIncentive"):
        p = pce(c, pce_model=model, mask=mask)
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-9)
        assert np.all(p[~mask] == 0)
        # a masked PCE equals the PCE of the sub-matrix
        sub = np.flatnonzero(mask[1])
        np.testing.assert_allclose(p[1, sub], pce(c[1][np.ix_(sub, sub)], pce_model=model), atol=1e-12)


def test_risk_attitude_ranges_section4():
    p = np.array([[0.1, 0.3, 0.6]])
    np.testing.assert_allclose(K._risk_attitudes(p, "Mid")[0], [-0.5, (0.9 - 0.6 - 0.2) / 1.0, 1.0])
    np.testing.assert_allclose(K._risk_attitudes(p, "Min")[0], [0.0, 0.4, 1.0])
    np.testing.assert_allclose(K._risk_attitudes(p, "Max")[0], [-1.0, -0.2, 1.0])
    # equal probabilities (KTAB would abort): neutral
    np.testing.assert_array_equal(K._risk_attitudes(np.full((1, 3), 1 / 3), "Mid"), 0.0)


def test_estimated_risk_section4():
    r = np.array([[0.0, 0.9]])
    est = K._estimated_risk(r, "OneThird")[0]
    assert est[0, 1] == pytest.approx(0.3)
    assert est[1, 0] == pytest.approx(0.6)
    np.testing.assert_allclose(np.diagonal(est), r[0])  # r_hh = R_h for every rule
    assert np.all(K._estimated_risk(r, "Full")[0] == r[0][None, :])


def test_unique_positions_last_representative():
    """Representatives by first occurrence; an actor joins the last representative within tol
    (KTAB's scan; SOE-Policy turn 13 shows it): 0.3924 is within 1e-3 of the representatives
    0.3919 (earlier) and 0.3932 (later), and joins the later one."""
    x = np.array([0.3835, 0.3919, 0.3924, 0.3932, 0.5])[None, :, None]
    rep = unique_positions(x)[0]
    np.testing.assert_array_equal(rep, [0, 1, 3, 3, 4])


# ------------------------------------------------------------------ a challenge by hand
def _challenge_by_hand(A, h, k, i, j, w, S, rule="Prop", tpc="SemiCommit"):
    """probEduChlg(h, k, i, j), scalar loops straight from section 5.4."""
    Ah = A[h]
    vote = lambda wt, a, b: K._vote(rule, wt, a - b)  # noqa: E731
    ki = vote(w[i], Ah[i, i], Ah[i, j])
    kj = vote(w[j], Ah[j, i], Ah[j, j])
    ci0 = 1e-10 + max(ki, 0) + max(kj, 0)
    cj0 = 1e-10 + max(-ki, 0) + max(-kj, 0)
    ci, cj = ci0, cj0
    for n in range(len(w)):
        if n in (i, j):
            continue
        v = vote(w[n], Ah[n, i], Ah[n, j])
        pi = (ci0 + max(v, 0)) / (ci0 + max(v, 0) + cj0 + max(-v, 0))
        uni, unj, unn = Ah[n, i], Ah[n, j], Ah[n, n]
        if tpc == "SemiCommit":
            outcomes = (2 * uni + unn, 3 * unj, 3 * uni, 2 * unj + unn)
        elif tpc == "FullCommit":
            outcomes = (3 * uni, 3 * unj, 3 * uni, 3 * unj)
        else:
            outcomes = (2 * uni + unn, 2 * unj + unn, 2 * uni + unn, 2 * unj + unn)
        eu_i = pi * outcomes[0] + (1 - pi) * outcomes[1]
        eu_j = pi * outcomes[2] + (1 - pi) * outcomes[3]
        tau = vote(w[n], eu_i, eu_j)
        ci += max(tau, 0)
        cj += max(-tau, 0)
    phi = ci / (ci + cj)
    sq = Ah[k, i] + Ah[k, j]
    chlg = (1 - S[j]) * 2 * Ah[k, i] + S[j] * (phi * 2 * Ah[k, i] + (1 - phi) * 2 * Ah[k, j])
    return phi, chlg - sq


@pytest.mark.parametrize("rule", ["Prop", "PropCbc", "ASymProsp"])
@pytest.mark.parametrize("tpc", ["SemiCommit", "FullCommit", "NoCommit"])
def test_vectorised_challenges_equal_hand_loops(rule, tpc):
    """The blocked step-A path and the general gather path both equal scalar loops."""
    rng = np.random.default_rng(5)
    n = 6
    x = rng.random((1, n, 2))
    s = rng.uniform(0.05, 0.5, size=(1, n, 2))
    cap = rng.uniform(1, 50, size=(1, n))
    o = K._Opts(vr=rule, tpc=tpc)
    st = K._setup(x, x, s * s, cap, o)
    S = s.sum(-1)
    w = S * cap
    phi, gain = K._own_challenges(st.est, w, S, o)
    ar = np.arange(n)
    # general path with h = j (the receiver's view), k = i
    tgt = (ar + 2) % n
    phi_r, gain_r = K._challenge(st.est[:, tgt], ar[None, :, None], tgt[None, :, None],
                                 ar[None, :, None], w, S, o)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            p0, g0 = _challenge_by_hand(st.est[0], i, i, i, j, w[0], S[0], rule, tpc)
            assert phi[0, i, j] == pytest.approx(p0, abs=1e-13)
            assert gain[0, i, j] == pytest.approx(g0, abs=1e-13)
        p1, g1 = _challenge_by_hand(st.est[0], tgt[i], i, i, tgt[i], w[0], S[0], rule, tpc)
        assert phi_r[0, i, 0] == pytest.approx(p1, abs=1e-13)
        assert gain_r[0, i, 0] == pytest.approx(g1, abs=1e-13)


def test_s2p2_bargain_rounding_section6():
    """S2P2: w_i = s_i^2 p^2, w_j = s_j^2 (1-p)^2, both sides rounded to 1e-4."""
    t_i, t_j, s_i, s_j, p = 0.2, 0.8, 0.5, 0.3, 0.6
    wi, wj = s_i**2 * p**2, s_j**2 * (1 - p) ** 2
    bi, bj = K._interpolate(np.array([t_i]), np.array([t_j]), np.array([s_i]), np.array([s_j]),
                            np.array([p]), "S2P2")
    assert bi[0] == np.floor(((wi + 1e-6) * t_i + wj * t_j) / (wi + 1e-6 + wj) * 1e4 + 0.5) / 1e4
    assert bj[0] == np.floor((wi * t_i + (wj + 1e-6) * t_j) / (wi + 1e-6 + wj) * 1e4 + 0.5) / 1e4


# ------------------------------------------------------------------ whole runs
def test_stopping_rule_bounds():
    """At least 2 steps (a unanimous scenario stops at once after 2) and at most max_steps."""
    pos = np.tile([[42.0, 7.5]], (5, 1))
    f = KtabSMP().forecast(make_scenario(pos, BASE_SAL / 2, BASE_POW))
    assert f.diagnostics["n_steps"] == 2
    f3 = KtabSMP(max_steps=3).forecast(_scenario())
    assert f3.diagnostics["n_steps"] <= 3


def test_tables_and_probabilities():
    f = KtabSMP().forecast(_scenario())
    pos = f.to_frame("positions")
    assert list(pos.columns) == ["turn", "actor", "issue", "position"]
    prob = f.to_frame("probabilities")
    assert list(prob.columns) == ["turn", "actor", "option", "probability"]
    # the distinct positions' probabilities sum to 1 every turn
    per_turn = prob.drop_duplicates(["turn", "option"]).groupby("turn").probability.sum()
    np.testing.assert_allclose(per_turn, 1.0, atol=1e-12)
    stop = f.to_frame("stopping")
    assert len(stop) == f.diagnostics["n_steps"]
    last = stop.fractional_change.iloc[-1]
    assert last < 0.02 or len(stop) == 100
    # the outcome is the final position of the most probable option's first holder
    final = pos[pos.turn == pos.turn.max()].pivot(index="actor", columns="issue", values="position")
    assert any(np.allclose(final.loc[a, list(f.issues)], f.outcome) for a in final.index)


def test_full_commit_equals_no_commit():
    """Section 5.4: with FullCommit and NoCommit third parties never vote: identical runs."""
    s = _scenario()
    a = KtabSMP(third_party_commit="FullCommit").forecast(s)
    b = KtabSMP(third_party_commit="NoCommit").forecast(s)
    np.testing.assert_array_equal(a.to_frame("positions").position, b.to_frame("positions").position)


def test_big_r_adjust_full_gives_every_estimator_the_true_matrix():
    """BigRAdjust=Full (KTAB aborts): every actor's estimate equals the true utilities."""
    rng = np.random.default_rng(2)
    x = rng.random((1, 5, 2))
    s = rng.uniform(0.1, 0.4, (1, 5, 2))
    st = K._setup(x, x, s * s, rng.uniform(1, 9, (1, 5)), K._Opts(radj="Full"))
    true = smp_utility(st.dist[0], st.risk[0][:, None])
    for h in range(5):
        np.testing.assert_allclose(st.est[0, h], true)
    f = KtabSMP(big_r_adjust="Full").forecast(_scenario())
    assert any("aborts" in n for n in f.notes)


def test_accommodation_matrix():
    s = _scenario()
    base = KtabSMP().forecast(s)
    same = KtabSMP(accommodation=(("a0", "a0", 1.0),)).forecast(s)
    np.testing.assert_array_equal(base.outcome, same.outcome)
    # half-way ideals (actors keep half of their old ideal) change the run
    half = KtabSMP(accommodation=tuple((f"a{i}", f"a{i}", 0.5) for i in range(5))).forecast(s)
    assert not np.array_equal(base.to_frame("positions").position, half.to_frame("positions").position)
    with pytest.raises(ModelParameterError, match="sum to"):
        KtabSMP(accommodation=(("a0", "a1", 0.5),)).forecast(s)
    with pytest.raises(ModelParameterError, match="unknown actor"):
        KtabSMP(accommodation=(("zz", "a1", 0.5),)).forecast(s)
    with pytest.raises(ModelParameterError, match=r"\[0, 1\]"):
        KtabSMP(accommodation=(("a0", "a1", 1.5),))


def test_parameters_validated():
    with pytest.raises(ModelParameterError, match="voting_rule"):
        KtabSMP(voting_rule="Majority")
    with pytest.raises(ModelParameterError, match="max_steps"):
        KtabSMP(max_steps=1)
    m = get_model("ktab_smp", voting_rule="Cubic", pce_model="MarkovUniform", max_steps="50")
    assert (m.voting_rule, m.pce_model, m.max_steps) == ("Cubic", "MarkovUniform", 50)
    with pytest.raises(ModelParameterError, match="is not one of"):
        get_model("ktab_smp", big_r_range="Huge")


def test_scale_mapping_is_exact():
    """An issue on [-10, 10] runs as its [0, 100] twin mapped linearly (KTAB works on [0, 1])."""
    a = KtabSMP().forecast(_scenario())
    b = KtabSMP().forecast(make_scenario(BASE_POS / 5 - 10, BASE_SAL / 2, BASE_POW, scale=(-10, 10)))
    np.testing.assert_allclose(b.outcome, a.outcome / 5 - 10, atol=1e-9)
    assert any("mapped linearly" in n for n in b.notes)


def test_salience_totals_above_one_are_scaled_and_noted():
    f = KtabSMP().forecast(make_scenario(BASE_POS, BASE_SAL, BASE_POW))  # totals up to 1.4
    assert any("saliences divided" in n for n in f.notes)
    g = KtabSMP().forecast(make_scenario(BASE_POS, BASE_SAL / 1.4, BASE_POW))
    np.testing.assert_allclose(f.outcome, g.outcome, atol=1e-9)


def test_stochastic_seeded():
    s = _scenario()
    m = KtabSMP(state_transitions="Stochastic")
    a = m.forecast(s, rng=np.random.default_rng(11))
    b = m.forecast(s, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(a.to_frame("positions").position, b.to_frame("positions").position)
    outs = {tuple(m.forecast(s, rng=np.random.default_rng(k)).outcome) for k in range(6)}
    assert len(outs) > 1  # the draws matter
    assert any("not reproducible" in n for n in a.notes)


def test_batch_with_different_stopping_times_equals_single_runs():
    """Variants that stop at different steps are dropped from the batch independently."""
    s = _scenario()
    arr = s.arrays()
    rng = np.random.default_rng(4)
    pos = np.clip(arr.position[None] + rng.normal(0, 10, (6, 5, 2)), 0, 100)
    x, sal, cap, _ = ktab_inputs(arr.replace(position=pos, salience=np.broadcast_to(arr.salience, pos.shape),
                                               power=np.broadcast_to(arr.power, (6, 5))))
    run = run_smp(x, sal, cap, history=True)
    assert len(set(run.n_steps.tolist())) > 1
    for d in range(6):
        one = run_smp(x[d:d + 1], sal[d:d + 1], cap[d:d + 1])
        assert one.n_steps[0] == run.n_steps[d]
        np.testing.assert_array_equal(one.positions[:, 0], run.positions[: one.positions.shape[0], d])
        np.testing.assert_array_equal(one.prob[:, 0], run.prob[: one.prob.shape[0], d])
        np.testing.assert_array_equal(one.final_prob[0], run.final_prob[d])


def test_alaska_default_runs():
    sc = load_scenario("alaska-2025")
    f = KtabSMP().forecast(sc)
    a = sc.arrays()
    assert np.all((f.outcome >= a.scale_min) & (f.outcome <= a.scale_max))
    assert 0 < f.diagnostics["outcome_probability"] <= 1
    assert f.diagnostics["n_steps"] >= 2


def test_model_is_frozen_dataclass():
    m = KtabSMP()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.voting_rule = "Cubic"  # type: ignore[misc]
    assert KtabSMP.name == "ktab_smp" and "KTAB" in KtabSMP.reference


def test_stochastic_batch_rows_do_not_depend_on_other_rows_stopping():
    """Stochastic: every turn draws a (B, N) array of uniforms for all variants, so a variant's
    run does not change when another variant of the batch stops early."""
    x, sal, cap, _ = ktab_inputs(_scenario().arrays())
    flat = np.full_like(x, 0.3)  # unanimous: stops after the minimum 2 steps
    kw = dict(state_transitions="Stochastic", max_steps=12)
    short = run_smp(np.stack([x, flat]), np.stack([sal, sal]), np.stack([cap, cap]),
                    rng=np.random.default_rng(3), **kw)
    long = run_smp(np.stack([x, x]), np.stack([sal, sal]), np.stack([cap, cap]),
                   rng=np.random.default_rng(3), **kw)
    assert short.n_steps[1] == 2 and short.n_steps[0] > 2
    assert short.n_steps[0] == long.n_steps[0]
    np.testing.assert_array_equal(short.positions[:, 0], long.positions[: short.positions.shape[0], 0])


def test_queue_order_matters_only_for_asymprosp():
    """Reversing the bargain order of the queues changes nothing under a symmetric voting rule
    (no exact ties here), and changes the run under ASymProsp (section 9.1)."""
    x, sal, cap, _ = ktab_inputs(_scenario().arrays())
    args = (x[None], sal[None], cap[None])
    a = run_smp(*args)
    b = run_smp(*args, reverse_queues_at=tuple(range(1, 101)))
    np.testing.assert_array_equal(a.positions, b.positions)
    c = run_smp(*args, voting_rule="ASymProsp")
    d = run_smp(*args, voting_rule="ASymProsp", reverse_queues_at=tuple(range(1, 101)))
    assert c.positions.shape != d.positions.shape or not np.array_equal(c.positions, d.positions)


def test_binary_victory_cycle_is_uniform():
    """A Binary-victory cycle (a surely beats b, b beats c, c beats a): every Conditional
    product is 0; KTAB divides 0 by 0, detente reports the options as equally likely."""
    c = np.array([[1e-8, 5.0, 1.0], [1.0, 1e-8, 5.0], [5.0, 1.0, 1e-8]])
    np.testing.assert_allclose(pce(c, victory_prob_model="Binary"), [1 / 3] * 3)
    assert np.all(np.isfinite(pce(c[None], victory_prob_model="Binary", mask=np.array([[True, True, False]]))))
