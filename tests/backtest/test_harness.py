"""The backtest harness: scoring by hand, outcome isolation, failures, batching, progress."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from detente.backtest.cases import Case, builtin_cases, case_from_scenario, read_case_folder
from detente.backtest.harness import PREDICTION_COLUMNS, backtest
from detente.errors import ModelError, ScenarioError
from detente.io import load_scenario
from detente.models.registry import MODELS, get_model
from detente.models.weighted_mean import WeightedMean, weighted_mean
from detente.results import Forecast


@dataclass(frozen=True, slots=True)
class BatchedMean:
    """The weighted mean, declared issue-by-issue so the harness batches it."""

    name: ClassVar[str] = "batched_mean"
    reference: ClassVar[str] = "test double"
    issues_independent: ClassVar[bool] = True
    calls: ClassVar[list] = []

    def forecast_arrays(self, arrays, *, rng=None):
        type(self).calls.append(arrays.n_issues)
        return weighted_mean(arrays.filled_position(), arrays.weight)

    def forecast(self, scenario, *, rng=None):
        return WeightedMean().forecast(scenario)


@dataclass(frozen=True, slots=True)
class NeedsTwoIssues:
    name: ClassVar[str] = "needs_two"
    reference: ClassVar[str] = "test double"

    def forecast(self, scenario, *, rng=None):
        if len(scenario.issues) < 2:
            raise ModelError(f"needs at least 2 issues (got {len(scenario.issues)})")
        return WeightedMean().forecast(scenario)


@dataclass(frozen=True, slots=True)
class NoAnswer:
    name: ClassVar[str] = "no_answer"
    reference: ClassVar[str] = "test double"

    def forecast(self, scenario, *, rng=None):
        return Forecast.build(self, scenario, np.full(len(scenario.issues), np.nan))


@dataclass(frozen=True, slots=True)
class OutcomeSpy:
    """Fails loudly if the harness ever hands it a scenario with an outcome."""

    name: ClassVar[str] = "spy"
    reference: ClassVar[str] = "test double"

    def forecast(self, scenario, *, rng=None):
        assert scenario.outcome is None, "the model saw the real outcome"
        return WeightedMean().forecast(scenario)


def test_scores_by_hand(case_folder):
    """conftest.py's folder: weighted-mean forecasts 2.0, 5.0, 65.0 against outcomes 2.5, 8, 70
    (scales 0-10, 0-10, 0-100; ranges [2, 5], [8, 9], [70, 70]; plain means 4, 14/3, 50;
    status quo only on t2: 40)."""
    r = backtest(["weighted_mean"], read_case_folder(case_folder), seed=0, n_boot=200)
    df = r.to_frame()
    assert list(df.columns) == list(PREDICTION_COLUMNS)
    wm = df[df["model"] == "weighted_mean"].set_index("issue")
    np.testing.assert_allclose(wm["prediction"], [2.0, 5.0, 65.0])
    np.testing.assert_allclose(wm["norm_error"], [5.0, 30.0, 5.0])
    np.testing.assert_allclose(wm["range_error"], [0.0, 3.0, 5.0])
    np.testing.assert_allclose(wm["mean_position"], [4.0, 14.0 / 3.0, 50.0])
    s = r.summary().set_index("model").loc["weighted_mean"]
    assert s["n_scored"] == 3 and s["n_failed"] == 0
    assert s["mae"] == pytest.approx(8.5 / 3.0)
    assert s["mae_norm"] == pytest.approx(40.0 / 3.0)
    assert s["mae_norm_macro"] == pytest.approx((17.5 + 5.0) / 2.0)
    assert s["rmse_norm"] == pytest.approx(np.sqrt((25 + 900 + 25) / 3.0))
    assert s["range_mae_norm"] == pytest.approx(35.0 / 3.0)
    assert s["in_range"] == pytest.approx(1.0 / 3.0)
    assert s["beats_mean"] == pytest.approx(1.0)
    assert s["n_status_quo"] == 1 and s["beats_status_quo"] == pytest.approx(1.0)
    assert s["mae_norm_low"] <= s["mae_norm"] <= s["mae_norm_high"]
    base = r.summary().set_index("model")
    # the plain mean's normalised errors: |4-2.5|*10, |14/3-8|*10, |50-70|
    assert base.loc["baseline:mean_position", "mae_norm"] == pytest.approx((15 + 100 / 3 + 20) / 3)
    assert base.loc["baseline:status_quo", "mae_norm"] == pytest.approx(30.0)
    by = r.summary("confidence").set_index(["model", "confidence"])
    assert by.loc[("weighted_mean", "low"), "mae_norm"] == pytest.approx(30.0)
    with pytest.raises(ScenarioError, match="not one of"):
        r.summary("colour")


def _outcome_variant(case: Case, shift: float) -> Case:
    """The same case with every recorded outcome moved by ``shift`` (kept on the scale)."""
    sc = case.scenario
    issues = []
    for o in sc.outcome.issues:
        iss = sc.issue(o.issue)
        v = float(np.clip(o.value + shift, iss.scale.min, iss.scale.max))
        issues.append(o.model_copy(update={"value": v, "low": None, "high": None}))
    out = sc.outcome.model_copy(update={"issues": issues})
    return case_from_scenario(sc.model_copy(update={"outcome": out}))


def _forecast_or_error(model, scenario):
    try:
        return model.forecast(scenario, rng=np.random.default_rng(5)).outcome
    except Exception as e:  # the same failure with and without an outcome is fine too
        return f"{type(e).__name__}: {e}"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_output_independent_of_outcome(name):
    """Every registered model returns the same numbers for a case with and without its outcome
    (and with a different outcome)."""
    model = get_model(name)
    for case in builtin_cases():
        with_o = _forecast_or_error(model, case.scenario)
        without = _forecast_or_error(model, case.scenario.without_outcome())
        moved = _forecast_or_error(model, _outcome_variant(case, 17.0).scenario)
        if isinstance(with_o, str):
            assert with_o == without == moved
        else:
            np.testing.assert_array_equal(with_o, without)
            np.testing.assert_array_equal(with_o, moved)


def test_harness_never_shows_the_outcome(case_folder):
    cases = read_case_folder(case_folder) + builtin_cases()
    moved = [_outcome_variant(c, 13.0) for c in cases]
    a = backtest([OutcomeSpy(), "weighted_mean"], cases, seed=1, n_boot=50)
    b = backtest([OutcomeSpy(), "weighted_mean"], moved, seed=1, n_boot=50)
    assert a.failures.empty, a.failures
    pa, pb = a.to_frame(), b.to_frame()
    np.testing.assert_array_equal(pa["prediction"], pb["prediction"])
    assert not np.allclose(pa["outcome"], pb["outcome"])


def test_failures_are_recorded_not_raised(case_folder):
    cases = read_case_folder(case_folder)  # t1 has 2 issues, t2 has 1
    r = backtest([NeedsTwoIssues(), NoAnswer(), "weighted_mean"], cases, seed=0, n_boot=50)
    assert r.failures.to_dict("records") == [
        {"model": "needs_two", "case": "t2", "reason": "ModelError: needs at least 2 issues (got 1)"}]
    s = r.summary().set_index("model")
    assert (s.loc["needs_two", "n_scored"], s.loc["needs_two", "n_failed"]) == (2, 1)
    assert (s.loc["no_answer", "n_scored"], s.loc["no_answer", "n_no_forecast"]) == (0, 3)
    assert np.isnan(s.loc["no_answer", "mae"])
    df = r.to_frame()
    assert set(df.loc[df["model"] == "no_answer", "status"]) == {"no forecast"}


def test_batched_equals_case_by_case(case_folder):
    cases = read_case_folder(case_folder) + builtin_cases()
    BatchedMean.calls.clear()
    batched = backtest([BatchedMean()], cases, seed=0, n_boot=50).to_frame()
    assert BatchedMean.calls, "the harness did not use forecast_arrays"
    assert len(BatchedMean.calls) < len(cases)  # several cases per call
    plain = backtest(["weighted_mean"], cases, seed=0, n_boot=50).to_frame()
    bm = batched[batched["model"] == "batched_mean"]["prediction"].to_numpy()
    wm = plain[plain["model"] == "weighted_mean"]["prediction"].to_numpy()
    np.testing.assert_allclose(bm, wm, rtol=1e-12, atol=1e-12)


@dataclass(frozen=True, slots=True)
class BatchedFailsOnT2:
    """Batched, but raises on any input holding issue 'x' (case t2), in both paths."""

    name: ClassVar[str] = "batched_fails"
    reference: ClassVar[str] = "test double"
    issues_independent: ClassVar[bool] = True

    def forecast_arrays(self, arrays, *, rng=None):
        if any(i.endswith("x") for i in arrays.issues):
            raise ModelError("cannot do issue x")
        return weighted_mean(arrays.filled_position(), arrays.weight)

    def forecast(self, scenario, *, rng=None):
        out = self.forecast_arrays(scenario.arrays())
        return Forecast.build(self, scenario, out)


def test_batch_failure_falls_back_to_single_cases(case_folder):
    r = backtest([BatchedFailsOnT2()], read_case_folder(case_folder), seed=0, n_boot=20)
    assert r.failures.to_dict("records") == [
        {"model": "batched_fails", "case": "t2", "reason": "ModelError: cannot do issue x"}]
    df = r.to_frame()
    got = df[(df["model"] == "batched_fails") & (df["case"] == "t1")]["prediction"]
    np.testing.assert_allclose(got, [2.0, 5.0])


def test_progress_and_determinism(case_folder):
    cases = read_case_folder(case_folder)
    seen = []
    r1 = backtest(["weighted_mean", "nash"], cases, seed=4, n_boot=100,
                  progress=lambda d, t, label: seen.append((d, t, label)))
    assert [d for d, _, _ in seen] == [1, 2, 3, 4] and {t for _, t, _ in seen} == {4}
    assert seen[0][2] == "weighted_mean: t1"
    r2 = backtest(["weighted_mean", "nash"], cases, seed=4, n_boot=100)
    assert r1.summary().equals(r2.summary())
    assert r1.seed_entropy == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        r1.models = ()  # type: ignore[misc]
    import pickle

    assert pickle.loads(pickle.dumps(r1)).summary().equals(r1.summary())
    doc = r1.to_dict()
    assert doc["summary"][0]["model"] == "weighted_mean" and doc["n_boot"] == 100


def test_bad_calls():
    case = case_from_scenario(load_scenario("alaska-2025"))
    with pytest.raises(ScenarioError, match="no cases"):
        backtest(["weighted_mean"], [])
    with pytest.raises(ScenarioError, match="listed twice"):
        backtest(["nash", "nash"], [case])
    with pytest.raises(ScenarioError, match="unique"):
        backtest(["nash"], [case, case])
