"""Job functions for the job-manager tests (imported by the spawned worker process)."""

from __future__ import annotations

import time


def ok(payload, progress):
    progress(0.5)
    return {"sum": sum(payload["xs"])}


def sleepy(payload, progress):
    time.sleep(payload.get("seconds", 60))
    return {"slept": True}


def boom(payload, progress):
    from detente.errors import ScenarioError

    raise ScenarioError("bad thing (got 3)", source="job", location="positions[1]", field="salience")


def dies(payload, progress):
    import os

    os._exit(3)
