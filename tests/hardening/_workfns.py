"""Functions the worker-pool tests run in a worker process."""

from __future__ import annotations

import time


def spin(payload: dict) -> dict:
    end = time.monotonic() + payload["seconds"]
    x = 0
    while time.monotonic() < end:
        x += 1
    return {"x": x}


def echo(payload: dict) -> dict:
    return payload


def allocate(payload: dict) -> dict:
    import numpy as np

    a = np.ones(payload["bytes"] // 8)
    return {"sum": float(a[:10].sum())}
