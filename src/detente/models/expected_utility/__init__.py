"""Bueno de Mesquita's expected-utility model, as replicated by Scholz, Calbert & Smith (2011).

The equations, defaults and references are documented once, in :mod:`.reference` (the
readable implementation) and docs/models/expected_utility.md; the model class is in :mod:`.model`.
"""

from __future__ import annotations

from .engine import BACKENDS, Backend, expected_utility_path, expected_utility_round
from .model import ExpectedUtility
from .reference import MOVE_TYPES, CompromiseChoice, Probability, Round, Trajectory

__all__ = [
    "BACKENDS",
    "Backend",
    "CompromiseChoice",
    "ExpectedUtility",
    "MOVE_TYPES",
    "Probability",
    "Round",
    "Trajectory",
    "expected_utility_path",
    "expected_utility_round",
]
