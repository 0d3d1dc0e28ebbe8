"""The only place where random generators are made.

Entry points take ``seed`` (None, int or :class:`numpy.random.SeedSequence`); internals take a
``numpy.random.Generator``. Chunked work derives chunk *k*'s generator from child *k* of the
run's SeedSequence, so results never depend on the number of workers or the backend.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ScenarioError

__all__ = ["as_generator", "as_seed_sequence", "chunk_generators", "seed_entropy"]

SeedLike = None | int | np.random.SeedSequence | np.random.Generator


def as_seed_sequence(seed: None | int | np.random.SeedSequence) -> np.random.SeedSequence:
    """Turn ``seed`` into a SeedSequence (fresh OS entropy when None).

    Raises
    ------
    ScenarioError
        For a bool, a negative int or any other type (named in the message).
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ScenarioError(
            f"must be None, a non-negative int or a numpy SeedSequence (got {type(seed).__name__} {seed!r})",
            field="seed",
        )
    if int(seed) < 0:
        raise ScenarioError(f"must be non-negative (got {seed})", field="seed")
    return np.random.SeedSequence(int(seed))


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Turn None, an int, a SeedSequence or a Generator into a Generator.

    A passed Generator is returned as is (and consumed by the caller), as in scikit-learn.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(as_seed_sequence(seed))


def seed_entropy(seed: None | int | np.random.SeedSequence) -> int:
    """The entropy of a seed, recorded in results so that any run can be repeated."""
    return int(as_seed_sequence(seed).entropy)  # type: ignore[arg-type]


def chunk_generators(
    seed: None | int | np.random.SeedSequence, n_draws: int, chunk: int
) -> list[tuple[int, int, np.random.Generator]]:
    """Split ``n_draws`` into fixed-size chunks, each with its own generator.

    Returns
    -------
    list of (start, size, Generator)
        Chunk *k* starts at ``k * chunk`` and draws from child *k* of ``SeedSequence(seed)``.
    """
    if n_draws <= 0:
        raise ScenarioError(f"must be a positive integer (got {n_draws})", field="draws")
    if chunk <= 0:
        raise ScenarioError(f"must be a positive integer (got {chunk})", field="chunk_size")
    ss = as_seed_sequence(seed)
    n_chunks = -(-n_draws // chunk)
    kids = ss.spawn(n_chunks)
    return [
        (k * chunk, min(chunk, n_draws - k * chunk), np.random.default_rng(s))
        for k, s in enumerate(kids)
    ]
