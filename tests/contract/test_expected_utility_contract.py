"""Contract classes for the expected-utility model (default settings, the paper variant, and
the numpy backend; the default ``backend="auto"`` runs the numba kernel when it is installed)."""

from detente.models.expected_utility import ExpectedUtility
from tests.contract.model_contract import ModelContract


class TestExpectedUtility(ModelContract):
    model = ExpectedUtility()


class TestExpectedUtilityPaper(ModelContract):
    model = ExpectedUtility(probability="paper", capitulation=True, q=0.5, rounds=6)


class TestExpectedUtilityNumpy(ModelContract):
    model = ExpectedUtility(backend="numpy")
