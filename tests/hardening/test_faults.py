"""Faults during a distributed Monte Carlo run, on a real ``LocalCluster`` with worker processes.

A worker process is SIGKILLed in the middle of a run (while it holds a chunk):

* with Dask's default retries the run completes, and its numbers are bit-identical to the local
  backend's (the chunk's generators travel with the task, so the retry draws the same numbers);
* with retries disabled the run fails with a DetenteError naming the dead worker (the CLI
  prints it on one line and exits 2); it never returns a result built from fewer draws.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from tests.extras import require

distributed = require("distributed")
import dask  # noqa: E402

import detente.uncertainty.backends as backends  # noqa: E402
from detente.errors import DetenteError  # noqa: E402
from detente.models.weighted_median import WeightedMedian  # noqa: E402
from detente.uncertainty import SEED_BLOCK, monte_carlo  # noqa: E402

NOISE = {"position": 10, "salience": 0.2}
N_TASKS = 16
DRAWS = N_TASKS * SEED_BLOCK - 123  # the last chunk is short on purpose


@dataclass(frozen=True, slots=True)
class SlowMedian:
    """The weighted median, slowed so a worker can be killed while it holds a chunk.

    Defined at module level so worker processes unpickle it by reference."""

    name: ClassVar[str] = "slow_median"
    delay: float = 0.25

    def forecast_arrays(self, arrays, *, rng=None):
        if self.delay:
            time.sleep(self.delay)
        return WeightedMedian().forecast_arrays(arrays, rng=rng)


def _cluster():
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tcp://",
                                    host="127.0.0.1", dashboard_address=None, silence_logs=50)


def _kill_one_worker_on_first_chunk(client, killed: list):
    pids = client.run(os.getpid)

    def progress(done: int, total: int) -> None:
        if not killed and done < total:
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append((victim, done))

    return progress


def _local():
    return monte_carlo("eu-emissions-1994", SlowMedian(delay=0.0), draws=DRAWS, seed=11, noise=NOISE,
                       chunk_size=SEED_BLOCK, backend="local", workers=1)


def test_killed_worker_is_retried_bit_identical():
    local = _local()
    killed: list = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 3}), _cluster() as cluster, \
            distributed.Client(cluster) as client:
        progress = _kill_one_worker_on_first_chunk(client, killed)
        res = monte_carlo("eu-emissions-1994", SlowMedian(), draws=DRAWS, seed=11, noise=NOISE,
                          chunk_size=SEED_BLOCK, backend=backends.DaskBackend(cluster.scheduler_address),
                          progress=progress)
        alive = set(client.run(os.getpid).values())
    assert killed, "no worker was killed: the run finished before the first progress call"
    victim, done_at_kill = killed[0]
    assert done_at_kill < DRAWS and victim not in alive, "the kill must happen mid-run"
    assert res.backend == "dask" and res.n_draws == DRAWS
    assert res.draws.shape == local.draws.shape == (DRAWS, 1)
    assert np.array_equal(res.draws, local.draws)
    assert np.array_equal(res.mean, local.mean)
    assert np.array_equal(res.quantiles, local.quantiles)
    assert res.deal_probability == local.deal_probability
    assert res.seed_entropy == local.seed_entropy


def test_killed_worker_without_retries_fails_loudly():
    killed: list = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), _cluster() as cluster, \
            distributed.Client(cluster) as client:
        progress = _kill_one_worker_on_first_chunk(client, killed)
        with pytest.raises(DetenteError) as info:
            monte_carlo("eu-emissions-1994", SlowMedian(), draws=DRAWS, seed=11, noise=NOISE,
                        chunk_size=SEED_BLOCK, backend=backends.DaskBackend(cluster.scheduler_address),
                        progress=progress)
    assert killed
    msg = str(info.value)
    assert "worker died" in msg and "no result" in msg and "tcp://127.0.0.1:" in msg, msg
