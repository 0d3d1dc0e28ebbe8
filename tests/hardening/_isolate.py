"""Run a call in a forked child with a time and memory limit, so that a reader that hangs or
eats memory fails one test instead of the whole run (or the machine).

``run_isolated(fn, *args)`` returns an :class:`Outcome`: ``kind`` is ``"ok"``, ``"raised"``
(with the exception's class name, message, whether it is a ScenarioError, and the traceback),
``"timeout"`` or ``"crashed"`` (the child died: signal, hard memory limit).
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
import traceback
from dataclasses import dataclass

DEFAULT_TIMEOUT = 20.0
#: extra address space the child may take on top of what the parent already maps
DEFAULT_EXTRA_MEMORY = 768 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    kind: str
    exc_type: str = ""
    message: str = ""
    is_scenario_error: bool = False
    tb: str = ""
    value: object = None
    seconds: float = 0.0

    def describe(self) -> str:
        if self.kind == "raised":
            return f"{self.exc_type}: {self.message[:500]}\n{self.tb[-2000:]}"
        return f"{self.kind} after {self.seconds:.1f} s {self.message}"


def _vm_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover


def run_isolated(fn, *args, timeout: float = DEFAULT_TIMEOUT, extra_memory: int = DEFAULT_EXTRA_MEMORY,
                 **kwargs) -> Outcome:
    """``fn(*args, **kwargs)`` in a forked child; the value must be picklable (or is dropped)."""
    from detente.errors import ScenarioError

    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(r)
            limit = _vm_bytes() + extra_memory
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:
                value = fn(*args, **kwargs)
                try:
                    payload = pickle.dumps(("ok", value))
                except Exception:
                    payload = pickle.dumps(("ok", None))
            except BaseException as e:  # noqa: BLE001 - everything is reported to the parent
                payload = pickle.dumps(("raised", type(e).__name__, str(e), isinstance(e, ScenarioError),
                                        traceback.format_exc()))
            with os.fdopen(w, "wb") as fh:
                fh.write(payload)
        except BaseException:  # noqa: BLE001
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    chunks = []
    deadline = t0 + timeout
    with os.fdopen(r, "rb") as fh:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return Outcome("timeout", seconds=time.monotonic() - t0)
            ready, _, _ = select.select([fh], [], [], min(left, 0.5))
            if ready:
                data = os.read(fh.fileno(), 1 << 20)
                if not data:
                    break
                chunks.append(data)
    _, status = os.waitpid(pid, 0)
    elapsed = time.monotonic() - t0
    if not chunks:
        return Outcome("crashed", message=f"(wait status {status})", seconds=elapsed)
    res = pickle.loads(b"".join(chunks))
    if res[0] == "ok":
        return Outcome("ok", value=res[1], seconds=elapsed)
    _, name, msg, is_se, tb = res
    return Outcome("raised", exc_type=name, message=msg, is_scenario_error=is_se, tb=tb, seconds=elapsed)
