"""Reading users' files safely: regular files only, a size cap, UTF-8 (or UTF-16 with a BOM).

Light on purpose (no YAML, no pydantic): the GENIUS reader and the other format readers use it
without loading the scenario schema.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ScenarioError

__all__ = ["MAX_FILE_BYTES", "decode_bytes", "read_bytes", "read_text"]

MAX_FILE_BYTES = 20 * 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"),
)


def read_bytes(path: Path | str, *, source: str | None = None, max_bytes: int = MAX_FILE_BYTES,
               head: bool = False) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them (or a ScenarioError).

    FIFOs, devices (``/dev/zero``), sockets and directories are refused by name before they
    are opened, so nothing blocks or reads without end. The size is checked while reading too
    (a file that grows, or reports size 0 as ``/proc`` files do, cannot get past the cap).
    With ``head=True`` the first ``max_bytes`` are returned and the rest is not read.
    """
    p = Path(path)
    src = source or p.name
    try:
        st = os.stat(p)  # follows symlinks: what matters is what would be read
    except FileNotFoundError:
        raise ScenarioError(f"file not found: {p}", source=src) from None
    except OSError as e:
        raise ScenarioError(f"cannot read {p}: {e.strerror or e}", source=src) from None
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
        raise ScenarioError(f"is {kind}, not a regular file: {p}; give a file", source=src)
    if st.st_size > max_bytes and not head:
        raise ScenarioError(f"file is too large ({st.st_size} bytes; at most {max_bytes})", source=src)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, open does not wait
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ScenarioError(f"cannot read {p}: {e.strerror or e}", source=src) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ScenarioError(f"is not a regular file: {p}; give a file", source=src)
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        if head:
            return raw[:max_bytes]
        raise ScenarioError(f"file is too large (more than {max_bytes} bytes)", source=src)
    return raw


def read_text(path: Path | str, *, source: str | None = None) -> str:
    """Read a regular text file as UTF-8 (a BOM is accepted), with clear errors.

    See :func:`read_bytes` for what is refused (FIFOs, devices, files over the size cap).
    """
    p = Path(path)
    src = source or p.name
    return decode_bytes(read_bytes(p, source=src), src)


def decode_bytes(raw: bytes, source: str) -> str:
    """Decode UTF-8 (BOM accepted; UTF-16 with a BOM too) or raise a ScenarioError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as e:
            raise ScenarioError(f"not valid UTF-16 text ({e.reason} at byte {e.start})", source=source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(
            f"not valid UTF-8 text (byte {raw[e.start:e.start + 1]!r} at offset {e.start}); save the file as UTF-8",
            source=source,
        ) from None
    if "\x00" in text:
        raise ScenarioError("contains NUL characters; not a text file", source=source)
    return text
