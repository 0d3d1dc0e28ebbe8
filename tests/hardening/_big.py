"""Big (but small to send) scenarios for the budget tests: n actors x m issues, every actor
with a position on every issue."""

from __future__ import annotations

import json

import numpy as np
import yaml


def big_data(n: int, m: int, *, seed: int = 0, stages: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    pos = np.round(rng.uniform(0, 100, (n, m)), 1)
    sal = np.round(rng.uniform(0.1, 1.0, (n, m)), 2)
    data = {
        "name": f"big-{n}x{m}",
        "actors": [{"id": f"a{i}", "power": float(1 + i % 97)} for i in range(n)],
        "issues": [{"id": f"i{k}", "scale": {"min": 0, "max": 100}} for k in range(m)],
        "positions": [{"actor": f"a{i}", "issue": f"i{k}", "position": float(pos[i, k]),
                       "salience": float(sal[i, k])} for i in range(n) for k in range(m)],
    }
    if stages:
        data["stages"] = [{"id": "s0", "participants": [{"actor": "a0"}, {"actor": "a1"}]}]
    return data


def big_yaml(n: int, m: int, **kw) -> str:
    return yaml.safe_dump(big_data(n, m, **kw), sort_keys=False)


def big_json(n: int, m: int, **kw) -> str:
    return json.dumps(big_data(n, m, **kw), separators=(",", ":"))
