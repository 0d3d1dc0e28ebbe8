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


def test_private_chunk_seeds_are_the_spawned_children():
    """chunk_seeds(private=True) only describes the children a SeedSequence nobody else holds
    would spawn; the generators made from them are the spawned children's, also after earlier
    spawns."""
    from detente.rng import child_generator, chunk_seeds

    for before in (0, 3):
        a, b = np.random.SeedSequence(7), np.random.SeedSequence(7)
        a.spawn(before)
        b.spawn(before)
        lazy = chunk_seeds(a, 10, 3, private=True)
        spawned = chunk_seeds(b, 10, 3)
        assert [(s, n) for s, n, _ in lazy] == [(s, n) for s, n, _ in spawned]
        assert [child_generator(c).random() for *_, c in lazy] == \
            [child_generator(c).random() for *_, c in spawned]
        assert b.n_children_spawned == before + 4  # a held SeedSequence is seen to spawn


def test_chunks_reject_nonpositive():
    with pytest.raises(ScenarioError, match="draws"):
        chunk_generators(1, 0, 3)


def test_unit_design_is_the_documented_stream():
    """Word i of the bit generator gives uniforms 2i (its low 32 bits) and 2i + 1 (its high 32
    bits), each (k + 1/2) / 2^32, filled row by row; an odd count leaves the last half unused."""
    from detente.rng import unit_design

    for n, d in ((7, 5), (4, 40), (3, 3)):
        got = unit_design(np.random.default_rng(9), n, d)
        words = [int(w) for w in np.random.default_rng(9).bit_generator.random_raw(-(-n * d // 2))]
        halves = [h for w in words for h in (w & 0xFFFFFFFF, w >> 32)][: n * d]
        expect = np.array([(k + 0.5) / 2**32 for k in halves]).reshape(n, d)
        assert got.shape == (n, d) and np.array_equal(got, expect)
    u = unit_design(np.random.default_rng(1), 4096, 40)
    assert u.min() >= 2.0**-33 and u.max() <= 1 - 2.0**-33
    # the generator moves on by exactly the words used: the next number is the next word's
    g = np.random.default_rng(5)
    unit_design(g, 3, 3)
    h = np.random.default_rng(5)
    h.bit_generator.random_raw(5)
    assert g.bit_generator.random_raw() == h.bit_generator.random_raw()
