"""The error tree and the randomness funnel."""

import pickle

import numpy as np
import pytest

from detente.errors import (
    ConvergenceError,
    DetenteError,
    MissingExtraError,
    ModelError,
    ScenarioError,
    UnknownModelError,
)
from detente.rng import as_generator, chunk_generators, seed_entropy


def test_tree():
    assert issubclass(ScenarioError, ValueError) and issubclass(ScenarioError, DetenteError)
    assert issubclass(UnknownModelError, LookupError) and issubclass(UnknownModelError, ModelError)
    assert issubclass(MissingExtraError, ImportError)


@pytest.mark.parametrize(
    "err",
    [
        ScenarioError("bad", source="f.yaml", location="row 3", field="salience"),
        UnknownModelError("x", ["a", "b"]),
        ConvergenceError("stuck", iterations=5, tolerance=1e-3),
        MissingExtraError("dask", "dist"),
    ],
)
def test_errors_pickle(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err)


def test_scenario_error_message():
    e = ScenarioError("1.7 is outside [0, 1]", source="a.yaml", location="positions[3]", field="salience")
    assert str(e) == "a.yaml: positions[3].salience: 1.7 is outside [0, 1]"
    e = ScenarioError("'x' is not a number", source="a.csv", location="row 4", field="position")
    assert str(e) == "a.csv: row 4, position: 'x' is not a number"


def test_missing_extra_names_extra():
    assert "pip install 'detente[dist]'" in str(MissingExtraError("dask", "dist"))


def test_same_seed_same_numbers():
    assert as_generator(5).random() == as_generator(5).random()
    assert as_generator(5).random() != as_generator(6).random()


def test_seed_zero_is_a_seed():
    # SALib's `if seed:` bug: 0 must not mean "unseeded"
    assert as_generator(0).random() == as_generator(0).random()


@pytest.mark.parametrize("bad", [True, 1.5, "3", -1])
def test_bad_seeds_rejected(bad):
    with pytest.raises(ScenarioError, match="seed"):
        as_generator(bad)


def test_generator_passthrough():
    g = np.random.default_rng(1)
    assert as_generator(g) is g


def test_chunks_independent_of_worker_count():
    a = chunk_generators(42, 10, 3)
    assert [(s, n) for s, n, _ in a] == [(0, 3), (3, 3), (6, 3), (9, 1)]
    b = chunk_generators(42, 10, 3)
    assert [g.random() for *_, g in a] == [g.random() for *_, g in b]
    assert seed_entropy(42) == 42


def test_chunks_reject_nonpositive():
    with pytest.raises(ScenarioError, match="draws"):
        chunk_generators(1, 0, 3)
