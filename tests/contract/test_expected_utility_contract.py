"""Contract classes for the expected-utility model (default settings and the paper variant)."""

from detente.models.expected_utility import ExpectedUtility
from tests.contract.model_contract import ModelContract


class TestExpectedUtility(ModelContract):
    model = ExpectedUtility()


class TestExpectedUtilityPaper(ModelContract):
    model = ExpectedUtility(probability="paper", capitulation=True, q=0.5, rounds=6)
