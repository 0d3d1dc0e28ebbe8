"""Simulator Monte Carlo on a real Dask LocalCluster (loopback): bit-identical to local."""

from __future__ import annotations

import numpy as np

from tests.extras import require

require("distributed")

from detente.uncertainty import SEED_BLOCK, DaskBackend, monte_carlo  # noqa: E402


def test_simulator_dask_bit_identical_to_local(cluster):
    """Two seed blocks, one task each on the cluster, against one local task holding both. The
    mediated single text draws from the simulator's generator every round, so any difference
    in how seeds reach the tasks would show."""
    kw = dict(draws=SEED_BLOCK + 31, seed=7, noise={"position": 10, "red_line": 10, "walk_away": 0.1},
              simulator={"protocol": "single_text", "steps": 10})
    local = monte_carlo("alaska-2025", "simulator", chunk_size=10**6, workers=1, **kw)
    dask = monte_carlo("alaska-2025", "simulator", chunk_size=SEED_BLOCK,
                       backend=DaskBackend(cluster.scheduler_address), **kw)
    assert dask.backend == "dask"
    np.testing.assert_array_equal(local.draws, dask.draws)
    assert local.deal_probability == dask.deal_probability
    assert local.end_reasons == dask.end_reasons
    np.testing.assert_array_equal(local.red_line_block, dask.red_line_block)
    np.testing.assert_array_equal(local.walk_away_block, dask.walk_away_block)
