"""Write an output file the way a user expects: whole or not at all, with the usual mode.

:func:`write_atomic` is the one writer behind every file detente produces (``--output`` of the
CLI, reports, backtest folders, GENIUS files):

* **atomic**: the bytes go to a temporary file in the same folder, which is then renamed over
  the target, so an interrupted write never leaves half a file or truncates an old one; the
  temporary file is removed on any failure (disk full, Ctrl-C);
* **the usual mode**: a new file gets ``0666 & ~umask`` (as ``open()`` would give it), an
  existing file keeps its mode (temporary files are created 0600, which used to stay);
* **no silent link replacement**: an output path that is a symbolic link is refused with an
  error that names the link and its target (replacing the link would cut it, writing through
  it would write somewhere the user did not name);
* **no litter after kill -9**: temporary files are named ``.NAME.<pid>.<random>.tmp``; the next
  write to the same path removes those of processes that no longer exist.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from ..errors import DetenteError

__all__ = ["write_atomic"]


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, briefly, for every thread)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


def _remove_stale_temps(folder: Path, name: str) -> None:
    prefix = f".{name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            n = entry.name
            if not (n.startswith(prefix) and n.endswith(".tmp")):
                continue
            pid_text = n[len(prefix):].split(".", 1)[0]
            if pid_text.isdigit() and not _pid_alive(int(pid_text)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_atomic(path: str | Path, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` atomically; returns the path.

    Raises
    ------
    DetenteError
        The folder does not exist, or ``path`` is a symbolic link or not a regular file.
    OSError
        The write itself failed (the old file, if any, is then unchanged).
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise DetenteError(f"{p}: the folder {folder} does not exist")
    mode = 0o666 & ~_umask()
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise DetenteError(
                f"{p}: is a symbolic link (to {os.readlink(p)}); detente does not replace or write "
                "through links: give the real file's path, or remove the link")
        if not stat.S_ISREG(st.st_mode):
            raise DetenteError(f"{p}: exists and is not a regular file; give a file path")
        mode = stat.S_IMODE(st.st_mode)
    _remove_stale_temps(folder, p.name)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return p
