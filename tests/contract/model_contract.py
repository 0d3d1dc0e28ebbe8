"""The executable model contract: every registered model inherits :class:`ModelContract`.

A subclass sets ``model`` (an instance) and may declare known exemptions in
``contract_xfail = {"test_name": "reason"}``; nothing is exempted by name inside this file.
``tests/contract/conftest.py`` turns each exemption into a strict ``xfail`` mark at collection,
so the exempted test still runs and an exemption that starts passing fails the suite.
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from detente import Forecast, ScenarioError
from detente.scenario.load import scenario_from_data
from tests.strategies import scenarios


def make_scenario(positions, saliences, powers, *, scale=(0.0, 100.0), name="contract", status_quo=None):
    """A scenario from arrays: positions/saliences (n_actors, n_issues), powers (n_actors,)."""
    positions = np.asarray(positions, dtype=float)
    saliences = np.asarray(saliences, dtype=float)
    n, m = positions.shape
    issues = []
    for k in range(m):
        iss = {"id": f"i{k}", "scale": {"min": scale[0], "max": scale[1]}}
        if status_quo is not None:
            iss["status_quo"] = status_quo[k]
        issues.append(iss)
    return scenario_from_data(
        {
            "name": name,
            "actors": [{"id": f"a{i}", "power": float(powers[i])} for i in range(n)],
            "issues": issues,
            "positions": [
                {"actor": f"a{i}", "issue": f"i{k}", "position": float(positions[i, k]),
                 "salience": float(saliences[i, k])}
                for i in range(n) for k in range(m)
            ],
        },
        source="contract.yaml",
    )


BASE_POS = np.array([[10.0, 80.0], [35.0, 20.0], [60.0, 55.0], [90.0, 40.0], [45.0, 70.0]])
BASE_SAL = np.array([[0.9, 0.3], [0.6, 0.8], [0.7, 0.5], [0.4, 0.9], [0.8, 0.6]])
BASE_POW = np.array([30.0, 50.0, 20.0, 40.0, 25.0])


class ModelContract:
    """Generic checks every model must pass."""

    model: ClassVar[Any]
    contract_xfail: ClassVar[dict[str, str]] = {}
    #: absolute tolerance for invariance checks (iterative models may need more)
    atol: ClassVar[float] = 1e-9

    def scenario(self):
        return make_scenario(BASE_POS, BASE_SAL, BASE_POW)

    def run(self, scenario, seed=0):
        return self.model.forecast(scenario, rng=np.random.default_rng(seed))

    # --- interface -------------------------------------------------------------------
    def test_interface(self):
        assert isinstance(type(self.model).name, str) and self.model.name
        assert isinstance(type(self.model).reference, str) and len(self.model.reference) > 20
        assert dataclasses.is_dataclass(self.model)

    def test_model_frozen(self):
        # every field refuses assignment, and so does a new attribute (no hidden mutable state)
        for f in dataclasses.fields(self.model):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(self.model, f.name, getattr(self.model, f.name))
        with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError)):
            self.model._contract_probe = 1

    def test_model_pickle_and_replace_roundtrip(self):
        s = self.scenario()
        expect = self.run(s).outcome
        for other in (pickle.loads(pickle.dumps(self.model)), dataclasses.replace(self.model)):
            assert other == self.model
            assert type(other) is type(self.model)
            np.testing.assert_array_equal(
                other.forecast(s, rng=np.random.default_rng(0)).outcome, expect
            )

    def test_returns_forecast(self):
        f = self.run(self.scenario())
        assert isinstance(f, Forecast)
        assert f.model == self.model.name
        assert f.outcome.shape == (2,)

    # --- determinism ----------------------------------------------------------------
    def test_same_seed_same_result(self):
        s = self.scenario()
        a, b = self.run(s, seed=7), self.run(s, seed=7)
        np.testing.assert_array_equal(a.outcome, b.outcome)

    def test_idempotent_model_unchanged(self):
        before = dataclasses.asdict(self.model)
        self.run(self.scenario())
        assert dataclasses.asdict(self.model) == before

    # --- properties -----------------------------------------------------------------
    def test_outcome_within_issue_bounds(self):
        f = self.run(self.scenario())
        finite = np.isfinite(f.outcome)
        assert finite.any()
        assert np.all((f.outcome[finite] >= 0.0) & (f.outcome[finite] <= 100.0))

    def test_actor_order_irrelevant(self):
        perm = np.array([3, 0, 4, 2, 1])
        a = self.run(self.scenario())
        b = self.run(make_scenario(BASE_POS[perm], BASE_SAL[perm], BASE_POW[perm]))
        np.testing.assert_allclose(a.outcome, b.outcome, atol=self.atol, rtol=0)

    def test_unanimous_returns_that_position(self):
        pos = np.tile([[42.0, 7.5]], (5, 1))
        f = self.run(make_scenario(pos, BASE_SAL, BASE_POW))
        np.testing.assert_allclose(f.outcome, [42.0, 7.5], atol=self.atol, rtol=0)

    def test_scaling_power_changes_nothing(self):
        a = self.run(self.scenario())
        b = self.run(make_scenario(BASE_POS, BASE_SAL, BASE_POW * 7.5))
        np.testing.assert_allclose(a.outcome, b.outcome, atol=self.atol, rtol=0)

    def test_zero_salience_actor_does_not_move_outcome(self):
        base = self.run(self.scenario())
        pos = np.vstack([BASE_POS, [[100.0, 0.0]]])
        sal = np.vstack([BASE_SAL, [[0.0, 0.0]]])
        pw = np.append(BASE_POW, 80.0)
        f = self.run(make_scenario(pos, sal, pw))
        np.testing.assert_allclose(f.outcome, base.outcome, atol=self.atol, rtol=0)

    def test_batched_equals_per_draw(self):
        s = self.scenario()
        a = s.arrays()
        rng = np.random.default_rng(3)
        shifts = rng.uniform(-5, 5, size=(4, 5, 2))
        pos = np.clip(a.position[None] + shifts, 0, 100)
        batch = a.replace(position=pos, salience=np.broadcast_to(a.salience, pos.shape),
                          power=np.broadcast_to(a.power, (4, 5)))
        out = self.model.forecast_arrays(batch, rng=np.random.default_rng(0))
        assert out.shape == (4, 2)
        for d in range(4):
            one = make_scenario(pos[d], BASE_SAL, BASE_POW)
            np.testing.assert_allclose(out[d], self.run(one).outcome, atol=self.atol, rtol=0)

    # --- results --------------------------------------------------------------------
    def test_result_frozen(self):
        f = self.run(self.scenario())
        with pytest.raises(dataclasses.FrozenInstanceError):
            f.model = "other"  # type: ignore[misc]
        with pytest.raises(ValueError):
            f.outcome[0] = 1.0

    def test_to_frame_columns(self):
        df = self.run(self.scenario()).to_frame()
        assert isinstance(df, pd.DataFrame)
        assert list(df.columns) == ["model", "scenario", "draw", "issue", "outcome"]
        assert len(df) == 2

    def test_pickle_roundtrip(self):
        f = self.run(self.scenario())
        g = pickle.loads(pickle.dumps(f))
        np.testing.assert_array_equal(f.outcome, g.outcome)

    # --- bad input ------------------------------------------------------------------
    def test_bad_input_gives_scenario_error(self):
        # the loader refuses it ...
        with pytest.raises(ScenarioError, match="salience"):
            make_scenario(BASE_POS, BASE_SAL * 2, BASE_POW)
        # ... and so does the model itself, on a scenario that never passed the loader
        # (model_copy skips validation, as a hand-built or deserialised object could)
        s = self.scenario()
        for k, fld, v in ((1, "salience", float("nan")), (7, "position", float("inf"))):
            bad = list(s.positions)
            bad[k] = bad[k].model_copy(update={fld: v})
            with pytest.raises(ScenarioError, match=fld):
                self.model.forecast(s.model_copy(update={"positions": bad}),
                                    rng=np.random.default_rng(0))

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])
    @given(s=scenarios(max_actors=8, max_issues=3))
    def test_hypothesis_outcome_in_scale(self, s):
        f = self.model.forecast(s, rng=np.random.default_rng(0))
        a = s.arrays()
        finite = np.isfinite(f.outcome)
        tol = 1e-9 * (a.scale_max - a.scale_min)
        assert np.all(f.outcome[finite] >= (a.scale_min - tol)[finite])
        assert np.all(f.outcome[finite] <= (a.scale_max + tol)[finite])
