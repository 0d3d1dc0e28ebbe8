"""The only place where random generators are made.

Entry points take ``seed`` (None, int or :class:`numpy.random.SeedSequence`); internals take a
``numpy.random.Generator``. Chunked work derives chunk *k*'s generator from child *k* of the
run's SeedSequence, so results never depend on the number of workers or the backend.

Uniform numbers for inverse-CDF sampling come from :func:`unit_design`: raw 64-bit words of the
generator's bit generator, each split into two 32-bit integers ``k`` (the low half first), each
``u = (k + 1/2) 2^-32``. That is 2^32 equally spaced values strictly inside (0, 1), never 0 or
1, at half the cost of ``Generator.random`` (one word per two numbers, no rejection); the
compiled Monte Carlo kernel reads the same words (:func:`raw_words`) and turns them into the
same numbers.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import ScenarioError

__all__ = [
    "UNIT_SCALE",
    "as_generator",
    "as_seed_sequence",
    "chunk_generators",
    "chunk_seeds",
    "child_generator",
    "pcg64_state",
    "raw_words",
    "seed_entropy",
    "unit_design",
    "unit_from_words",
    "word_halves",
]

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


def chunk_seeds(
    seed: None | int | np.random.SeedSequence, n_draws: int, chunk: int, *, private: bool = False
) -> list[tuple[int, int, Any]]:
    """Split ``n_draws`` into fixed-size chunks, each with its own seed: child *k* of
    ``SeedSequence(seed)``. :func:`chunk_generators` without making the generators, so that
    each task makes its own (:func:`child_generator`, the same generator) where it runs.

    ``private``: ``seed`` is a SeedSequence nobody else holds (made from an int or None by the
    caller); its children are then only described, as (entropy, spawn_key, pool_size), and made
    by :func:`child_generator`, instead of spawned here (the same SeedSequences, at a
    fraction of the cost; only a SeedSequence someone else holds must be seen to have spawned
    them).

    Returns
    -------
    list of (start, size, child)
        Chunk *k* starts at ``k * chunk``; child: a SeedSequence or its description.
    """
    if n_draws <= 0:
        raise ScenarioError(f"must be a positive integer (got {n_draws})", field="draws")
    if chunk <= 0:
        raise ScenarioError(f"must be a positive integer (got {chunk})", field="chunk_size")
    ss = as_seed_sequence(seed)
    n_chunks = -(-n_draws // chunk)
    if private:  # what ss.spawn would make: SeedSequence(entropy, spawn_key + (i,), pool_size)
        first = ss.n_children_spawned
        kids: list[Any] = [(ss.entropy, (*ss.spawn_key, first + k), ss.pool_size)
                           for k in range(n_chunks)]
    else:
        kids = ss.spawn(n_chunks)
    return [(k * chunk, min(chunk, n_draws - k * chunk), s) for k, s in enumerate(kids)]


def child_generator(child: Any) -> np.random.Generator:
    """The generator of a :func:`chunk_seeds` child (a SeedSequence or its description)."""
    if not isinstance(child, np.random.SeedSequence):
        entropy, spawn_key, pool_size = child
        child = np.random.SeedSequence(entropy, spawn_key=spawn_key, pool_size=pool_size)
    return np.random.default_rng(child)


def chunk_generators(
    seed: None | int | np.random.SeedSequence, n_draws: int, chunk: int
) -> list[tuple[int, int, np.random.Generator]]:
    """Split ``n_draws`` into fixed-size chunks, each with its own generator.

    Returns
    -------
    list of (start, size, Generator)
        Chunk *k* starts at ``k * chunk`` and draws from child *k* of ``SeedSequence(seed)``.
    """
    return [(start, size, np.random.default_rng(s)) for start, size, s in chunk_seeds(seed, n_draws, chunk)]


#: 2^-32: a 32-bit integer k becomes the uniform (k + 0.5) * UNIT_SCALE
UNIT_SCALE = 2.0 ** -32


def raw_words(rng: np.random.Generator, n_values: int) -> np.ndarray:
    """The raw 64-bit words behind ``n_values`` uniforms of :func:`unit_design`.

    Returns
    -------
    (ceil(n_values / 2),) uint64
        The next words of ``rng``'s bit generator (``random_raw``); each carries two uniforms.
    """
    return np.asarray(rng.bit_generator.random_raw(-(-int(n_values) // 2)), dtype=np.uint64)


def pcg64_state(rng: np.random.Generator, n_words: int) -> tuple[int, int]:
    """The 128-bit state and increment of ``rng``'s PCG64 bit generator, then moves ``rng`` on
    by ``n_words`` raw words: for compiled code that makes those words itself, exactly
    ``raw_words`` would return them (the Monte Carlo kernel; tested word for word).

    Raises
    ------
    TypeError
        When ``rng`` does not run on PCG64 (the generators of :func:`chunk_generators` do).
    """
    bg = rng.bit_generator
    if not isinstance(bg, np.random.PCG64):
        raise TypeError(f"needs a PCG64 generator (got {type(bg).__name__})")
    st = bg.state["state"]
    bg.advance(int(n_words))
    return int(st["state"]), int(st["inc"])


def word_halves(words: np.ndarray) -> np.ndarray:
    """The 32-bit halves of raw words, ``(2 len(words),)`` uint32: element ``2i`` is the low half
    of word ``i``, element ``2i + 1`` its high half (on any machine)."""
    w = np.asarray(words, dtype=np.uint64)
    # little-endian layout, whatever the machine: element 2i is the low half of word i
    return w.astype("<u8", copy=False).view("<u4")


def unit_from_words(words: np.ndarray, n_values: int) -> np.ndarray:
    """Uniforms in (0, 1) from raw words: word ``i`` gives numbers ``2i`` (its low 32 bits) and
    ``2i + 1`` (its high 32 bits), each ``(k + 0.5) * 2^-32``. Returns ``(n_values,)`` float64."""
    halves = word_halves(words)[: int(n_values)]
    u = halves.astype(np.float64)
    u += 0.5
    u *= UNIT_SCALE
    return u


def unit_design(rng: np.random.Generator, n_draws: int, n_inputs: int) -> np.ndarray:
    """A unit design ``(n_draws, n_inputs)`` of uniforms in (0, 1), row-major (draw by draw, each
    draw's inputs in order) from ``rng``'s raw words (see the module docstring)."""
    n = int(n_draws) * int(n_inputs)
    return unit_from_words(raw_words(rng, n), n).reshape(int(n_draws), int(n_inputs))
