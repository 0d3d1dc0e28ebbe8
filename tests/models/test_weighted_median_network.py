"""The compare-exchange path of the weighted median (few actors, big batch) gives the values of
the argsort path, ties and zero weights included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.models import weighted_median as wm


def _sort_path(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    # the argsort path is the one every batch below the size threshold takes
    return np.stack([wm.weighted_median(x[k], w[k]) for k in range(x.shape[0])])


def test_network_path_is_taken_for_big_batches(monkeypatch):
    calls = []
    real = wm._weighted_median_network
    monkeypatch.setattr(wm, "_weighted_median_network", lambda x, w: calls.append(1) or real(x, w))
    x = np.zeros((wm._NETWORK_MIN_SIZE, 2, 1))
    wm.weighted_median(x, np.ones_like(x))
    wm.weighted_median(x[:1], np.ones_like(x[:1]))
    assert calls == [1]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_network_equals_argsort_on_random_floats(n):
    rng = np.random.default_rng(n)
    x = rng.random((3000, n, 3)) * 100
    w = rng.random((3000, n, 3))
    assert np.array_equal(wm.weighted_median(x, w), _sort_path(x, w))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_network_equals_argsort_with_ties(n, seed):
    # positions on a coarse grid and dyadic weights: many equal positions and cumulative
    # weights exactly at one half, the cases where an ordering choice could matter
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, (2100, n, 2)).astype(float)
    w = rng.integers(0, 4, (2100, n, 2)) / 4.0
    w[:50] = 0.0
    assert np.array_equal(wm.weighted_median(x, w), _sort_path(x, w))
