"""The Dask backend on a real LocalCluster on loopback: same numbers as the local backend."""

from __future__ import annotations

import numpy as np
import pytest

from tests.extras import require

require("distributed")

from detente.uncertainty import SEED_BLOCK, DaskBackend, monte_carlo, sensitivity  # noqa: E402

NOISE = {"position": 10, "salience": 0.2, "red_line": 10, "walk_away": 0.1}


@pytest.mark.parametrize("chunk", [SEED_BLOCK, 3 * SEED_BLOCK])
def test_dask_bit_identical_to_local(alaska, cluster, chunk):
    kw = dict(draws=4 * SEED_BLOCK + 77, seed=21, noise=NOISE)
    local = monte_carlo(alaska, "weighted_median", chunk_size=10**6, workers=1, **kw)
    dask = monte_carlo(alaska, "weighted_median", chunk_size=chunk,
                       backend=DaskBackend(cluster.scheduler_address), **kw)
    assert dask.backend == "dask"
    assert np.array_equal(local.draws, dask.draws)
    assert np.array_equal(local.quantiles, dask.quantiles)
    assert np.array_equal(local.mean, dask.mean)
    assert local.deal_probability == dask.deal_probability
    assert np.array_equal(local.red_line_block, dask.red_line_block)


def test_dask_own_local_cluster_and_progress(alaska):
    seen = []
    kw = dict(draws=2 * SEED_BLOCK, seed=4, noise={"position": 10})
    r = monte_carlo(alaska, "weighted_mean", chunk_size=SEED_BLOCK,
                    backend=DaskBackend(n_workers=2, processes=False),
                    progress=lambda done, total: seen.append((done, total)), **kw)
    local = monte_carlo(alaska, "weighted_mean", **kw)
    assert np.array_equal(r.draws, local.draws)
    assert sorted(seen) == [(SEED_BLOCK, 2 * SEED_BLOCK), (2 * SEED_BLOCK, 2 * SEED_BLOCK)]


def test_dask_sensitivity_matches_local(alaska, cluster):
    kw = dict(samples=64, seed=3, noise={"position": 10})
    local = sensitivity(alaska, "weighted_mean", **kw)
    dask = sensitivity(alaska, "weighted_mean", backend="dask", scheduler=cluster.scheduler_address, **kw)
    np.testing.assert_array_equal(local.ST, dask.ST)
