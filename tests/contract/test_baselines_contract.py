"""Contract classes for the baseline models."""

from detente.models.nash import Nash
from detente.models.weighted_mean import WeightedMean
from detente.models.weighted_median import WeightedMedian
from tests.contract.model_contract import ModelContract


class TestWeightedMean(ModelContract):
    model = WeightedMean()


class TestWeightedMedian(ModelContract):
    model = WeightedMedian()


class TestNash(ModelContract):
    model = Nash()


class TestNashQuadratic(ModelContract):
    model = Nash(loss="quadratic", weights="equal")
