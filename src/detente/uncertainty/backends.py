"""Where chunks of draws run: in process (:class:`LocalBackend`) or on Dask (:class:`DaskBackend`).

A backend has one job: ``map(fn, tasks, common=..., on_done=...)`` returns ``[fn(common, t)
for t in tasks]`` in task order. Which chunk runs where never changes a number: every chunk
draws from its own generators (fixed by the run's seed and the chunk's draws), and results
are combined in task order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import DetenteError, MissingExtraError, ScenarioError

__all__ = ["DaskBackend", "LocalBackend", "get_backend"]

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/:]+(:\d{1,5})?/?$")


class LocalBackend:
    """Chunks in this process, on a small thread pool (numpy releases the GIL).

    Parameters
    ----------
    workers : int, optional
        Threads; default ``min(4, os.cpu_count())``. 1 runs chunks one after another.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
            raise ScenarioError(f"must be a positive integer (got {workers!r})", field="workers")
        self.workers = int(workers) if workers is not None else min(4, os.cpu_count() or 1)

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def describe(self) -> str:
        return f"local ({self.workers} thread{'s' if self.workers > 1 else ''})"

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        tasks: Sequence[Any],
        *,
        common: Any = None,
        on_done: Callable[[int, Any], None] | None = None,
        keep: bool = True,
    ) -> list[Any]:
        """``[fn(common, t) for t in tasks]``, at most ``2 * workers`` chunks in flight.

        ``on_done(k, result)`` is called as each task finishes; with ``keep=False`` results
        are only handed to it (streaming aggregation) and the list holds None.
        """
        out: list[Any] = [None] * len(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            for k, t in enumerate(tasks):
                res = fn(common, t)
                if keep:
                    out[k] = res
                if on_done:
                    on_done(k, res)
            return out
        window = 2 * self.workers
        with ThreadPoolExecutor(self.workers, thread_name_prefix="detente") as pool:
            pending: dict[int, Any] = {}
            nxt = 0
            done = 0
            while done < len(tasks):
                while nxt < len(tasks) and len(pending) < window:
                    pending[nxt] = pool.submit(fn, common, tasks[nxt])
                    nxt += 1
                k = min(pending)  # results in task order keep memory bounded by the window
                res = pending.pop(k).result()
                if keep:
                    out[k] = res
                done += 1
                if on_done:
                    on_done(k, res)
        return out


class DaskBackend:
    """Chunks as tasks on a ``dask.distributed`` cluster (the ``dist`` extra).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, ``tcp://HOST:PORT``. Without one a ``LocalCluster`` on
        127.0.0.1 is started for the run and closed after it.
    n_workers, threads_per_worker : int
        Size of the LocalCluster (ignored with ``scheduler``).
    processes : bool
        LocalCluster workers as processes (default) or threads in this process.
    timeout : float
        Seconds to wait for the scheduler before giving up.
    dashboard : str or None
        Address of the LocalCluster's dashboard: ``"127.0.0.1:0"`` (default: this machine only,
        a free port), e.g. ``"0.0.0.0:8787"`` to serve it to the network (worker lists, logs
        and task pages), or None for no dashboard. ``dashboard_link`` is the address it really
        listens on.

    Use as a context manager; the connection is checked on entry, before any work starts.

    Raises
    ------
    MissingExtraError
        Without dask.distributed installed.
    ScenarioError
        (field ``scheduler``) for a malformed or unreachable scheduler address.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        processes: bool = True,
        timeout: float = 10.0,
        dashboard: str | None = "127.0.0.1:0",
    ) -> None:
        if scheduler is not None and not _ADDRESS.match(scheduler.strip()):
            raise ScenarioError(
                f"{scheduler!r} is not a scheduler address; expected tcp://HOST:PORT "
                "(e.g. tcp://10.0.0.5:8786)",
                field="scheduler",
            )
        for name, v in (("n_workers", n_workers), ("threads_per_worker", threads_per_worker)):
            if isinstance(v, bool) or int(v) < 1:
                raise ScenarioError(f"must be a positive integer (got {v!r})", field=name)
        self.scheduler = scheduler.strip() if scheduler else None
        self.n_workers = int(n_workers)
        self.threads_per_worker = int(threads_per_worker)
        self.processes = bool(processes)
        self.timeout = float(timeout)
        if dashboard is not None and (not isinstance(dashboard, str) or ":" not in dashboard):
            raise ScenarioError(f"must be HOST:PORT, e.g. 127.0.0.1:8787, or None (got {dashboard!r})",
                                field="dashboard")
        self.dashboard = dashboard
        self.client: Any = None
        self._cluster: Any = None
        self._depth = 0  # re-entrant: the CLI opens the backend, monte_carlo enters it again

    def _import(self):
        try:
            import distributed
        except ImportError:
            raise MissingExtraError("dask.distributed", "dist") from None
        return distributed

    def __enter__(self) -> DaskBackend:
        distributed = self._import()
        self._depth += 1
        if self.client is not None:
            return self
        try:
            self._connect(distributed)
        except BaseException:
            self._depth -= 1
            raise
        return self

    def _connect(self, distributed) -> None:
        if self.scheduler is None:
            try:
                self._start_local(distributed)
            except (OSError, RuntimeError, TimeoutError) as e:
                raise DetenteError(
                    f"could not start a Dask LocalCluster on 127.0.0.1 ({type(e).__name__}: {e}); "
                    "with worker processes the calling script needs an "
                    "`if __name__ == \"__main__\":` guard"
                ) from e
        else:
            try:
                self.client = distributed.Client(
                    self.scheduler, timeout=self.timeout, set_as_default=False
                )
            except (OSError, TimeoutError) as e:
                raise ScenarioError(
                    f"cannot reach the Dask scheduler at {self.scheduler} within "
                    f"{self.timeout:g} s ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                    "start one with `dask scheduler` and workers with `dask worker ADDRESS` "
                    "(see docs/scale.md)",
                    field="scheduler",
                ) from None

    def _start_local(self, distributed) -> None:
        self._cluster = distributed.LocalCluster(
            n_workers=self.n_workers,
            threads_per_worker=self.threads_per_worker,
            processes=self.processes,
            protocol="tcp://",  # loopback TCP also for thread workers (not inproc://)
            host="127.0.0.1",
            # loopback unless asked: the dashboard shows worker lists, logs and task pages
            dashboard_address=self.dashboard,
            silence_logs=40,
        )
        self.client = distributed.Client(self._cluster, timeout=self.timeout)

    def __exit__(self, *exc: Any) -> None:
        self._depth = max(0, self._depth - 1)
        if self._depth:
            return
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    @property
    def dashboard_link(self) -> str | None:
        """Where the dashboard really listens (None without one)."""
        if self.client is None:
            return None
        if self._cluster is not None:
            try:
                server = self._cluster.scheduler.services["dashboard"]
            except (AttributeError, KeyError):  # no dashboard (bokeh missing or disabled)
                return None
            host = (self.dashboard or "").rsplit(":", 1)[0].strip("[]") or "0.0.0.0"
            return f"http://{host}:{server.port}/status"
        try:
            return self.client.dashboard_link
        except Exception:
            return None

    def describe(self) -> str:
        where = self.scheduler or "LocalCluster 127.0.0.1"
        if self.client is not None:
            n = len(self.client.scheduler_info().get("workers", {}))
            return f"dask ({where}, {n} workers)"
        return f"dask ({where})"

    def map(
        self,
        fn: Callable[[Any, Any], Any],
        tasks: Sequence[Any],
        *,
        common: Any = None,
        on_done: Callable[[int, Any], None] | None = None,
        keep: bool = True,
    ) -> list[Any]:
        """``[fn(common, t) for t in tasks]`` as Dask tasks; ``common`` is scattered once.

        ``on_done``/``keep`` as for :meth:`LocalBackend.map`; results are released on the
        cluster as soon as they arrive.
        """
        if self.client is None:
            with self:
                return self.map(fn, tasks, common=common, on_done=on_done, keep=keep)
        distributed = self._import()
        shared = self.client.scatter(common, broadcast=True, hash=False)
        futures = self.client.map(fn, [shared] * len(tasks), list(tasks), pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        out: list[Any] = [None] * len(tasks)
        try:
            for fut in distributed.as_completed(futures, loop=self.client.loop):
                k = index[fut.key]
                res = fut.result()
                fut.release()
                if keep:
                    out[k] = res
                if on_done:
                    on_done(k, res)
        except distributed.KilledWorker as e:  # retries used up: no partial result, one clear line
            raise DetenteError(
                f"a Dask worker died while running a chunk and the retries are used up; the run "
                f"is incomplete, so no result is returned ({e})"
            ) from None
        finally:
            for f in futures:
                f.release()
        return out


def get_backend(
    backend: str | LocalBackend | DaskBackend | None, *, scheduler: str | None = None, **kw: Any
) -> LocalBackend | DaskBackend:
    """A backend from its name (``local``, ``dask``) or an instance.

    Raises
    ------
    ScenarioError
        For another name (field ``backend``), or ``scheduler`` with the local backend.
    """
    if isinstance(backend, (LocalBackend, DaskBackend)):
        return backend
    name = "local" if backend is None else str(backend).strip().lower()
    if name == "local":
        if scheduler:
            raise ScenarioError(
                "a scheduler address needs the dask backend (--backend dask)", field="scheduler"
            )
        return LocalBackend(**{k: v for k, v in kw.items() if k == "workers"})
    if name == "dask":
        return DaskBackend(scheduler, **{k: v for k, v in kw.items() if k != "workers"})
    raise ScenarioError(f"{backend!r} is not one of local, dask", field="backend")
