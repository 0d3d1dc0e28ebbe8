"""The contract's own checks can fail: each is run against a model built to break it."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pytest

from detente.models.weighted_mean import WeightedMean, weighted_mean
from detente.results import Forecast
from tests.contract.model_contract import ModelContract


@dataclasses.dataclass  # not frozen: the contract must catch it
class _MutableMean:
    name: ClassVar[str] = "mutable_mean"
    reference: ClassVar[str] = "a deliberately mutable copy of the weighted mean (test only)"
    shift: float = 0.0

    def forecast_arrays(self, arrays, *, rng=None):
        return weighted_mean(arrays.filled_position(), arrays.weight) + self.shift

    def forecast(self, scenario, *, rng=None):
        return Forecast.build(self, scenario, self.forecast_arrays(scenario.arrays()))


@dataclasses.dataclass(frozen=True)
class _SloppyMean(WeightedMean.__mro__[0]):  # type: ignore[misc]
    """Ignores non-finite inputs instead of refusing them."""

    def forecast(self, scenario, *, rng=None):
        a = scenario.arrays()
        return Forecast.build(self, scenario, np.nan_to_num(self.forecast_arrays(a)))


class _Probe(ModelContract):
    model = _MutableMean()


def test_frozen_check_fails_on_a_mutable_model():
    with pytest.raises(pytest.fail.Exception):
        _Probe().test_model_frozen()


def test_bad_input_check_fails_on_a_model_that_does_not_check():
    probe = type("_SloppyProbe", (ModelContract,), {"model": _SloppyMean()})
    with pytest.raises(pytest.fail.Exception):
        probe().test_bad_input_gives_scenario_error()


def test_a_frozen_model_passes_the_frozen_check():
    type("_OkProbe", (ModelContract,), {"model": WeightedMean()})().test_model_frozen()
