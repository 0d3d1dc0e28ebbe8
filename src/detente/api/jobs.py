"""Background jobs for the API: each job runs in its own spawned process.

A process (not a thread) so that the time limit is real: when a job overruns, its process is
killed and the job ends as ``timed_out``; a thread could only be abandoned while it went on
burning CPU. ``spawn`` (not ``fork``) because the server has threads, and forking a threaded
process can deadlock.

A job function is named ``"package.module:function"`` (so the child can import it), takes
``(payload: dict, progress: Callable[[float], None])`` and returns JSON-ready data.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import multiprocessing
import threading
import time
import traceback
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "JobManager", "JobsBusy"]


class JobsBusy(RuntimeError):
    """As many jobs are running as the server allows; try again later."""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"
    progress: float | None = None
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    t0: float = field(default_factory=time.monotonic)
    t1: float | None = None
    result: Any = None
    error: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "elapsed_s": round((self.t1 or time.monotonic()) - self.t0, 3),
            "result": self.result,
            "error": self.error,
        }


def _child(target: str, payload: dict, conn) -> None:  # runs in the spawned process
    def progress(x: float) -> None:
        conn.send(("progress", float(x)))

    try:
        mod, _, name = target.partition(":")
        fn = getattr(importlib.import_module(mod), name)
        conn.send(("done", fn(payload, progress)))
    except BaseException as e:  # everything is reported to the parent, nothing is raised
        from ..errors import ScenarioError

        problems = []
        if isinstance(e, ScenarioError):
            for p in e.problems or (e,):
                problems.append({"source": p.source, "location": p.location, "field": p.field,
                                 "problem": p.problem})
        detail = str(e) if isinstance(e, Exception) and type(e).__module__.startswith("detente") else (
            f"{type(e).__name__}: {e}"
        )
        conn.send(("error", {"error": type(e).__name__, "message": detail, "problems": problems,
                             "trace": traceback.format_exc(limit=5)}))
    finally:
        conn.close()


class JobManager:
    """Runs at most ``max_running`` jobs at once, each killed after ``timeout_s`` seconds.

    Finished jobs are kept (the newest ``keep``) so that ``GET /jobs/{id}`` can read them.
    """

    def __init__(self, *, max_running: int = 2, timeout_s: float = 300.0, keep: int = 200) -> None:
        self.max_running = max_running
        self.timeout_s = timeout_s
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._procs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._ctx = multiprocessing.get_context("spawn")

    def running(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))

    def submit(self, kind: str, target: str, payload: dict) -> Job:
        """Start a job; raises :class:`JobsBusy` when ``max_running`` jobs are running."""
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
            if active >= self.max_running:
                raise JobsBusy(f"{active} jobs are running, the limit of this server; try again later")
            job = Job(id=uuid.uuid4().hex, kind=kind)
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break
                del self._jobs[oldest]
        recv, send = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(target, payload, send), daemon=True,
                                 name=f"detente-job-{job.id[:8]}")
        proc.start()
        send.close()
        with self._lock:
            self._procs[job.id] = proc
            job.status, job.started = "running", _now()
        threading.Thread(target=self._watch, args=(job, proc, recv), daemon=True,
                         name=f"detente-watch-{job.id[:8]}").start()
        return job

    def _finish(self, job: Job, status: str, *, result: Any = None, error: dict | None = None) -> None:
        with self._lock:
            job.status, job.result, job.error = status, result, error
            job.finished, job.t1 = _now(), time.monotonic()
            if status == "done":
                job.progress = 1.0
            self._procs.pop(job.id, None)

    def _watch(self, job: Job, proc, recv) -> None:
        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    proc.kill()
                    proc.join(5)
                    self._finish(job, "timed_out", error={
                        "error": "JobTimeout",
                        "message": f"the job exceeded this server's time limit of {self.timeout_s:g} s "
                                   "and was stopped; ask for fewer samples or runs",
                        "problems": [],
                    })
                    return
                if recv.poll(min(left, 0.5)):
                    try:
                        kind, value = recv.recv()
                    except EOFError:
                        proc.join(5)
                        self._finish(job, "failed", error={
                            "error": "WorkerDied",
                            "message": f"the job's worker process ended without an answer (exit code {proc.exitcode})",
                            "problems": [],
                        })
                        return
                    if kind == "progress":
                        with self._lock:
                            job.progress = max(0.0, min(1.0, value))
                    elif kind == "done":
                        proc.join(5)
                        self._finish(job, "done", result=value)
                        return
                    else:
                        proc.join(5)
                        value.pop("trace", None)
                        self._finish(job, "failed", error=value)
                        return
                elif not proc.is_alive() and not recv.poll(0):
                    self._finish(job, "failed", error={
                        "error": "WorkerDied",
                        "message": f"the job's worker process ended without an answer (exit code {proc.exitcode})",
                        "problems": [],
                    })
                    return
        finally:
            recv.close()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def shutdown(self) -> None:
        """Kill every running job's process (server shutdown)."""
        with self._lock:
            procs = list(self._procs.values())
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(5)
