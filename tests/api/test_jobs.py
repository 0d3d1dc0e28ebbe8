"""The background-job manager: real spawned processes, real time limits."""

from __future__ import annotations

import time

import pytest

from detente.api.jobs import JobManager, JobsBusy


def _wait(mgr, job, timeout=60.0):
    deadline = time.monotonic() + timeout
    while mgr.get(job.id).status in ("queued", "running"):
        assert time.monotonic() < deadline, "job did not finish"
        time.sleep(0.05)
    return mgr.get(job.id).as_dict()


def test_job_runs_in_a_process_and_returns_its_result():
    mgr = JobManager(max_running=2, timeout_s=60)
    job = mgr.submit("test", "tests.api.jobfns:ok", {"xs": [1, 2, 3.5]})
    d = _wait(mgr, job)
    assert d["status"] == "done" and d["result"] == {"sum": 6.5} and d["progress"] == 1.0
    assert d["started"] and d["finished"] and d["elapsed_s"] > 0


def test_job_over_the_time_limit_is_killed():
    mgr = JobManager(max_running=1, timeout_s=1.5)
    t0 = time.monotonic()
    job = mgr.submit("test", "tests.api.jobfns:sleepy", {"seconds": 120})
    d = _wait(mgr, job)
    assert d["status"] == "timed_out"
    assert "time limit of 1.5 s" in d["error"]["message"]
    assert time.monotonic() - t0 < 30
    assert mgr.running() == 0  # the slot is free again


def test_job_errors_keep_their_location():
    mgr = JobManager(max_running=1, timeout_s=60)
    d = _wait(mgr, mgr.submit("test", "tests.api.jobfns:boom", {}))
    assert d["status"] == "failed"
    assert d["error"]["error"] == "ScenarioError"
    assert d["error"]["problems"] == [
        {"source": "job", "location": "positions[1]", "field": "salience", "problem": "bad thing (got 3)"}
    ]


def test_a_dying_worker_is_reported():
    mgr = JobManager(max_running=1, timeout_s=60)
    d = _wait(mgr, mgr.submit("test", "tests.api.jobfns:dies", {}))
    assert d["status"] == "failed" and "exit code 3" in d["error"]["message"]


def test_concurrent_job_limit():
    mgr = JobManager(max_running=1, timeout_s=60)
    first = mgr.submit("test", "tests.api.jobfns:sleepy", {"seconds": 60})
    try:
        with pytest.raises(JobsBusy, match="limit"):
            mgr.submit("test", "tests.api.jobfns:ok", {"xs": []})
    finally:
        mgr.shutdown()
    d = _wait(mgr, first, timeout=20)
    assert d["status"] == "failed"  # killed by the shutdown
