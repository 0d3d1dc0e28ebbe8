"""Background jobs for the API: each job runs in its own spawned process (or on a Dask cluster),
and every job's state lives in SQLite, so the worker processes of one deployment share them.

A process (not a thread) so that the time limit is real: when a job overruns, its process is
killed and the job ends as ``timed_out``; a thread could only be abandoned while it went on
burning CPU. ``spawn`` (not ``fork``) because the server has threads, and forking a threaded
process can deadlock. A job process caps its data segment (``memory_bytes`` beyond what it
holds after start-up).

**Shared state.** Jobs are rows of a SQLite file (``db``; WAL mode, one short transaction per
change). ``detente serve --workers N`` points every worker at the same file, so a job started
by one worker is read by any other (``GET /jobs/{id}`` behind a load balancer), and the limit
on running jobs holds for the whole deployment. Without ``db`` the manager uses a private file
that lives as long as it does.

**Dask.** With ``dask_scheduler`` (``tcp://host:8786``), jobs are submitted to that cluster
instead of local processes (heavy jobs on dedicated machines). A Dask task cannot be killed
mid-run: on time-out it is cancelled and the job ends ``timed_out``; give the cluster's workers
their own ``--memory-limit`` (their nanny restarts a worker above it).

A job function is named ``"package.module:function"`` (so the child can import it), takes
``(payload: dict, progress: Callable[[float], None])`` and returns JSON-ready data.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
import json
import multiprocessing
import os
import sqlite3
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "JobManager", "JobsBusy"]

#: a running job whose owner has not finished it this long after its deadline is reported as
#: timed out (its server process died with it)
_GRACE_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, progress REAL,
    created TEXT NOT NULL, started TEXT, finished TEXT, t0 REAL NOT NULL, t1 REAL,
    deadline REAL NOT NULL, owner INTEGER NOT NULL, result TEXT, error TEXT
)
"""


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
    t0: float = field(default_factory=time.time)
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
            "elapsed_s": round((self.t1 or time.time()) - self.t0, 3),
            "result": self.result,
            "error": self.error,
        }


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource

        with open("/proc/self/status") as f:
            base = next((int(line.split()[1]) * 1024 for line in f if line.startswith("VmData:")), None)
        if base is not None and memory_bytes > 0:
            resource.setrlimit(resource.RLIMIT_DATA, (base + memory_bytes, base + memory_bytes))
    except (ImportError, ValueError, OSError):
        pass


def _error_of(e: BaseException) -> dict[str, Any]:
    from ..errors import ScenarioError

    problems = []
    if isinstance(e, ScenarioError):
        for p in (e.problems or (e,))[:20]:
            problems.append({"source": p.source, "location": p.location, "field": p.field,
                             "problem": p.problem[:500]})
    detail = str(e) if isinstance(e, Exception) and type(e).__module__.startswith("detente") else (
        f"{type(e).__name__}: {e}"
    )
    if isinstance(e, MemoryError):
        detail = "the job needed more memory than this server allows a job"
    return {"error": type(e).__name__, "message": detail[:2000], "problems": problems}


def _child(target: str, payload: dict, conn, memory_bytes: int = 0) -> None:  # the spawned process
    def progress(x: float) -> None:
        conn.send(("progress", float(x)))

    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)  # the server answers first when the cores are busy
    try:
        mod, _, name = target.partition(":")
        fn = getattr(importlib.import_module(mod), name)
        _limit_memory(memory_bytes)
        conn.send(("done", fn(payload, progress)))
    except BaseException as e:  # everything is reported to the parent, nothing is raised
        conn.send(("error", {**_error_of(e), "trace": traceback.format_exc(limit=5)}))
    finally:
        conn.close()


def _dask_run(target: str, payload: dict) -> Any:  # on a Dask worker
    mod, _, name = target.partition(":")
    return getattr(importlib.import_module(mod), name)(payload, lambda x: None)


class JobManager:
    """Runs at most ``max_running`` jobs at once (across every process sharing ``db``), each
    stopped after ``timeout_s`` seconds. Finished jobs are kept (the newest ``keep``) so that
    ``GET /jobs/{id}`` can read them.
    """

    def __init__(self, *, max_running: int = 2, timeout_s: float = 300.0, keep: int = 200,
                 db: str | None = None, memory_bytes: int = 0, dask_scheduler: str | None = None) -> None:
        self.max_running = max_running
        self.timeout_s = timeout_s
        self.keep = keep
        self.memory_bytes = int(memory_bytes)
        self.dask_scheduler = dask_scheduler
        self._tmp = None
        if db is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="detente-jobs-")
            db = os.path.join(self._tmp.name, "jobs.sqlite")
        self.db = str(db)
        self._procs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._ctx = multiprocessing.get_context("spawn")
        self._client: Any = None
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(_SCHEMA)

    # ------------------------------------------------------------------ storage
    @contextlib.contextmanager
    def _connect(self):
        con = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            yield con
        finally:
            con.close()

    def _update(self, job_id: str, **cols: Any) -> None:
        cols = {k: (json.dumps(v, allow_nan=False) if k in ("result", "error") and v is not None else v)
                for k, v in cols.items()}
        sets = ", ".join(f"{k} = ?" for k in cols)
        with self._connect() as con:
            con.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*cols.values(), job_id))

    def running(self) -> int:
        """Jobs queued or running in every process that shares the database."""
        with self._connect() as con:
            return con.execute("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') "
                               "AND deadline > ?", (time.time() - _GRACE_S,)).fetchone()[0]

    def submit(self, kind: str, target: str, payload: dict) -> Job:
        """Start a job; raises :class:`JobsBusy` when ``max_running`` jobs are running."""
        job = Job(id=uuid.uuid4().hex, kind=kind)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")  # count and insert atomically across processes
            try:
                active = con.execute("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') "
                                     "AND deadline > ?", (time.time() - _GRACE_S,)).fetchone()[0]
                if active >= self.max_running:
                    raise JobsBusy(f"{active} jobs are running, the limit of this server; try again later")
                con.execute("INSERT INTO jobs (id, kind, status, created, t0, deadline, owner) "
                            "VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                            (job.id, kind, job.created, job.t0, job.t0 + self.timeout_s, os.getpid()))
                old = con.execute("SELECT id FROM jobs WHERE status NOT IN ('queued', 'running') "
                                  "ORDER BY t0 DESC LIMIT -1 OFFSET ?", (self.keep,)).fetchall()
                con.executemany("DELETE FROM jobs WHERE id = ?", old)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        if self.dask_scheduler:
            self._start_dask(job, target, payload)
        else:
            self._start_process(job, target, payload)
        return job

    def _start_process(self, job: Job, target: str, payload: dict) -> None:
        recv, send = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(target, payload, send, self.memory_bytes), daemon=True,
                                 name=f"detente-job-{job.id[:8]}")
        proc.start()
        send.close()
        with self._lock:
            self._procs[job.id] = proc
        job.status, job.started = "running", _now()
        self._update(job.id, status="running", started=job.started)
        threading.Thread(target=self._watch, args=(job, proc, recv), daemon=True,
                         name=f"detente-watch-{job.id[:8]}").start()

    def _start_dask(self, job: Job, target: str, payload: dict) -> None:
        from distributed import Client

        with self._lock:
            if self._client is None:
                self._client = Client(self.dask_scheduler, timeout=10)
            client = self._client
        fut = client.submit(_dask_run, target, payload, pure=False, key=f"detente-job-{job.id}")
        job.status, job.started = "running", _now()
        self._update(job.id, status="running", started=job.started)

        def wait() -> None:
            try:
                value = fut.result(timeout=self.timeout_s)
            except TimeoutError:
                fut.cancel()
                self._timed_out(job)
            except BaseException as e:
                self._finish(job, "failed", error=_error_of(e))
            else:
                self._finish(job, "done", result=value)

        threading.Thread(target=wait, daemon=True, name=f"detente-dask-{job.id[:8]}").start()

    def _finish(self, job: Job, status: str, *, result: Any = None, error: dict | None = None) -> None:
        with self._lock:
            self._procs.pop(job.id, None)
        job.status, job.result, job.error, job.finished, job.t1 = status, result, error, _now(), time.time()
        cols: dict[str, Any] = {"status": status, "result": result, "error": error,
                                "finished": job.finished, "t1": job.t1}
        if status == "done":
            cols["progress"] = 1.0
        self._update(job.id, **cols)

    def _timed_out(self, job: Job) -> None:
        self._finish(job, "timed_out", error={
            "error": "JobTimeout",
            "message": f"the job exceeded this server's time limit of {self.timeout_s:g} s "
                       "and was stopped; ask for fewer samples or runs",
            "problems": [],
        })

    def _died(self, job: Job, proc) -> None:
        self._finish(job, "failed", error={
            "error": "WorkerDied",
            "message": f"the job's worker process ended without an answer (exit code {proc.exitcode}); "
                       "it may have exceeded the memory limit",
            "problems": [],
        })

    def _watch(self, job: Job, proc, recv) -> None:
        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    proc.kill()
                    proc.join(5)
                    self._timed_out(job)
                    return
                if recv.poll(min(left, 0.5)):
                    try:
                        kind, value = recv.recv()
                    except EOFError:
                        proc.join(5)
                        self._died(job, proc)
                        return
                    if kind == "progress":
                        self._update(job.id, progress=max(0.0, min(1.0, value)))
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
                    self._died(job, proc)
                    return
        finally:
            recv.close()

    def get(self, job_id: str) -> Job | None:
        """The job, from the shared database (None when unknown or forgotten)."""
        with self._connect() as con:
            row = con.execute("SELECT id, kind, status, progress, created, started, finished, t0, t1, "
                              "result, error, deadline FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = Job(id=row[0], kind=row[1], status=row[2], progress=row[3], created=row[4], started=row[5],
                  finished=row[6], t0=row[7], t1=row[8],
                  result=None if row[9] is None else json.loads(row[9]),
                  error=None if row[10] is None else json.loads(row[10]))
        if job.status in ("queued", "running") and time.time() > row[11] + _GRACE_S:
            job.status, job.t1 = "timed_out", row[11]  # its server process stopped with it
            job.error = {"error": "JobTimeout", "message": "the job's server process stopped before "
                                                           "it finished", "problems": []}
        return job

    def shutdown(self) -> None:
        """Kill every running job's process (server shutdown)."""
        with self._lock:
            procs = list(self._procs.items())
            client, self._client = self._client, None
        for job_id, p in procs:
            if p.is_alive():
                p.kill()
                p.join(5)
            with contextlib.suppress(Exception):
                self._update(job_id, status="failed", finished=_now(), t1=time.time(),
                             error={"error": "Shutdown", "message": "the server stopped", "problems": []})
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
