"""Killable worker processes for the API's synchronous work.

Every request that computes (validation included) runs in one of a few persistent worker
processes, never on the event loop and never in a thread of the server:

* **a timeout stops the work**: a worker that overruns is killed (SIGKILL) and replaced, so a
  request can never go on burning CPU and memory after its 503;
* **a memory limit**: each worker caps its own data segment (``RLIMIT_DATA``) at what it uses
  after start-up plus ``memory_bytes``, so an allocation past it fails in the worker (an
  answer, not a dead server);
* **a lower CPU priority** (nice 10): when every core computes, the event loop still answers;
* **a concurrency cap**: ``size`` workers compute at once; up to ``queue`` more requests wait
  for one (the wait counts against their time limit), further ones get 503 at once.

A worker runs ``"package.module:function"`` on a JSON-ready payload and sends back its return
value, or the error body of :func:`detente.api.errors.error_body` (bounded: a request whose
errors would fill megabytes gets a small 422). Workers come from a ``forkserver`` (the server
has threads, and forking a threaded process can deadlock; the fork server is single-threaded
and has detente imported, so a new worker is ready in a fraction of a second) and are shared
by the apps of one process.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import multiprocessing
import os
import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["PoolBusy", "WorkerFailed", "WorkerPool", "WorkerTimeout", "pool_for", "warm"]

PRELOAD = ("detente.service", "detente.api.tasks")


class PoolBusy(RuntimeError):
    """Every worker is computing and the queue is full."""


class WorkerTimeout(RuntimeError):
    """The work overran its time limit; its worker was killed."""


class WorkerFailed(RuntimeError):
    """The worker died without an answer (e.g. killed by the kernel)."""


def _data_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _worker_main(conn, memory_bytes: int, preload: tuple[str, ...]) -> None:  # in the child
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)  # the server's event loop (and /health) comes first when the cores are busy
    for mod in preload:
        with contextlib.suppress(Exception):
            importlib.import_module(mod)
    try:
        import resource

        base = _data_bytes()
        if base is not None and memory_bytes > 0:
            resource.setrlimit(resource.RLIMIT_DATA, (base + memory_bytes, base + memory_bytes))
    except (ImportError, ValueError, OSError):  # not Linux: the time limit still holds
        pass
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        target, payload = msg
        try:
            mod, _, name = target.partition(":")
            result = ("ok", getattr(importlib.import_module(mod), name)(payload))
        except BaseException as e:  # every failure is an answer; the worker lives on
            from .errors import error_body

            status, body = error_body(e)
            result = ("error", (status, body))
        try:
            conn.send(result)
        except Exception as e:  # an unpicklable or oversized result
            from .errors import error_body

            conn.send(("error", error_body(e)))


def _context(preload: tuple[str, ...]):
    """The forkserver context (preloading ``preload``), or spawn where there is none."""
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # not on this platform
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(list(preload))
    _adopt_inherited_forkserver()
    return ctx


def _adopt_inherited_forkserver() -> None:
    """In a process forked from one that started the fork server (a test's forked child), use
    that server as it is: the standard check (``waitpid``) only works in its parent."""
    from multiprocessing import forkserver, resource_tracker

    fs = forkserver._forkserver
    pid = getattr(fs, "_forkserver_pid", None)
    if pid is None:
        return
    try:
        os.waitpid(pid, os.WNOHANG)
        return  # our own child: the standard path works
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:  # gone: start a new one here
        fs._forkserver_pid = fs._forkserver_address = fs._forkserver_alive_fd = None  # type: ignore[attr-defined]
        return
    fs.ensure_running = resource_tracker.ensure_running  # type: ignore[method-assign]


@dataclass
class _Worker:
    proc: Any
    conn: Any


class WorkerPool:
    """``size`` worker processes, each with a memory limit; see the module docstring.

    Parameters
    ----------
    size : int
        Workers computing at once.
    memory_bytes : int
        Data each worker may allocate beyond what it holds after start-up.
    queue : int
        Requests that may wait for a worker; more get :class:`PoolBusy` (503).
    preload : tuple of str
        Modules a worker imports before it is ready (so a request never pays for them).
    """

    def __init__(self, size: int = 2, memory_bytes: int = 1 << 30, queue: int = 16,
                 preload: tuple[str, ...] = PRELOAD) -> None:
        self.size, self.memory_bytes, self.queue = int(size), int(memory_bytes), int(queue)
        self.preload = tuple(preload)
        self._ctx = _context(self.preload)
        self._idle: list[_Worker] = []
        self._all: set[int] = set()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._waiting = 0
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.killed = 0  # workers killed for overrunning (tests and /health read it)

    # ------------------------------------------------------------------ processes
    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker_main, args=(child, self.memory_bytes, self.preload),
                                 daemon=True, name="detente-worker")
        proc.start()
        child.close()
        try:
            ok = parent.poll(120) and parent.recv()[0] == "ready"
        except (EOFError, OSError):
            ok = False
        if not ok:
            proc.kill()
            raise WorkerFailed("a worker process did not start (a script that serves the API "
                               "needs an `if __name__ == \"__main__\":` guard)")
        w = _Worker(proc, parent)
        with self._lock:
            self._workers.append(w)
        return w

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.proc.is_alive():
                    return w
                self._discard(w)
        return self._spawn()

    def _give_back(self, w: _Worker) -> None:
        with self._lock:
            if w.proc.is_alive():
                self._idle.append(w)
            else:
                self._discard(w)

    def _discard(self, w: _Worker) -> None:
        with contextlib.suppress(ValueError):
            self._workers.remove(w)
        with contextlib.suppress(Exception):
            w.conn.close()

    def _kill(self, w: _Worker) -> None:
        with contextlib.suppress(Exception):
            w.proc.kill()
            w.proc.join(5)
        with self._lock:
            self._discard(w)

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            return [w.proc.pid for w in self._workers if w.proc.is_alive()]

    def start(self) -> None:
        """Start every worker now (otherwise they start on first use)."""
        with self._lock:
            missing = self.size - len(self._workers)
        for _ in range(max(0, missing)):
            self._give_back(self._spawn())

    def shutdown(self) -> None:
        with self._lock:
            ws, self._workers, self._idle = list(self._workers), [], []
        for w in ws:
            with contextlib.suppress(Exception):
                w.proc.kill()
                w.proc.join(5)
            with contextlib.suppress(Exception):
                w.conn.close()

    # ------------------------------------------------------------------ requests
    async def run(self, target: str, payload: Any, timeout: float) -> Any:
        """Run ``target(payload)`` in a worker; the answer, or raise.

        Returns
        -------
        ("ok", value) or ("error", (status, body))

        Raises
        ------
        PoolBusy, WorkerTimeout, WorkerFailed
        """
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(self.size), loop
        if self._slots.locked() and self._waiting >= self.queue:
            raise PoolBusy(f"{self.size} computations are running and {self._waiting} waiting, "
                           "this server's limit")
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout)
        except TimeoutError:
            raise WorkerTimeout("no worker became free within the time limit") from None
        finally:
            self._waiting -= 1
        try:
            w = await asyncio.to_thread(self._take)  # starting a worker is not the request's time
            try:
                return await self._exchange(loop, w, target, payload, loop.time() + timeout)
            except BaseException:
                await asyncio.to_thread(self._kill, w)  # overran, died or cancelled: never reused
                raise
            finally:
                if w.proc.is_alive() and w in self._workers:
                    self._give_back(w)
        finally:
            self._slots.release()

    async def _exchange(self, loop, w: _Worker, target: str, payload: Any, deadline: float) -> Any:
        await asyncio.to_thread(w.conn.send, (target, payload))
        ready = loop.create_future()
        fd = w.conn.fileno()

        def on_readable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, on_readable)
        try:
            await asyncio.wait_for(ready, max(0.0, deadline - loop.time()))
        except TimeoutError:
            self.killed += 1
            raise WorkerTimeout("the computation overran the time limit; its worker was stopped") from None
        finally:
            loop.remove_reader(fd)
        try:
            return await asyncio.to_thread(w.conn.recv)
        except (EOFError, OSError):
            raise WorkerFailed(f"the worker process ended without an answer (exit code "
                               f"{w.proc.exitcode})") from None


_POOLS: dict[tuple[int, int, int, int], WorkerPool] = {}
_POOLS_LOCK = threading.Lock()


def pool_for(size: int, memory_bytes: int, queue: int) -> WorkerPool:
    """The process-wide pool with these settings (apps in one process share their workers)."""
    key = (os.getpid(), int(size), int(memory_bytes), int(queue))  # a forked child starts its own
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = WorkerPool(*key[1:])
        return pool


def warm() -> None:
    """Start the fork server now (with detente imported), rather than on the first request."""
    ctx = _context(PRELOAD)
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


@atexit.register
def _shutdown_all() -> None:
    for key, pool in list(_POOLS.items()):
        if key[0] == os.getpid():
            pool.shutdown()
