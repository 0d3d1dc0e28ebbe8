"""Strict number parsing for every reader: what Python's float() and int() accept too freely
(``6_0`` read as 60, Unicode digits, unbounded integers) is refused with a clear message."""

from __future__ import annotations

import math

from ..errors import ScenarioError

__all__ = ["parse_bool", "parse_number", "strict_float", "strict_int"]

_MAX_INT_DIGITS = 30


def strict_float(text: str) -> float:
    """``float(text)`` without Python's extras: ``6_0`` is refused (float() reads it as 60).

    Raises ``ValueError`` naming what is wrong; callers turn it into a ScenarioError.
    """
    t = text.strip()
    if "_" in t:
        raise ValueError(f"{t[:40]!r} is not a number (underscores are not allowed in numbers)")
    try:
        return float(t)
    except ValueError:
        raise ValueError(f"{t[:40]!r} is not a number") from None


def strict_int(text: str, *, max_digits: int = _MAX_INT_DIGITS) -> int:
    """A decimal integer of at most ``max_digits`` digits (ASCII, optional sign, no ``_``).

    ``int()`` would accept ``6_0`` and Unicode digits, and raise an unclear error past 4,300
    digits; this says what is allowed instead.
    """
    t = text.strip()
    digits = t[1:] if t[:1] in "+-" else t
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{t[:40]!r} is not an integer")
    if len(digits) > max_digits:
        raise ValueError(f"an integer of {len(digits)} digits is too long (at most {max_digits})")
    return int(t)


def parse_number(
    cell: str | None, *, source: str, row: str, field: str, problems: list, required: bool = True
) -> float | None:
    """A finite float from a CSV cell, or None with the problem appended to ``problems``.

    An empty cell is a problem only when ``required``; every CSV reader uses this, so the
    messages read the same everywhere.
    """
    c = (cell or "").strip()
    if c == "":
        if required:
            problems.append(ScenarioError("is empty; a number is required", source=source, location=row, field=field))
        return None
    try:
        v = strict_float(c)
    except ValueError as e:
        problems.append(ScenarioError(str(e), source=source, location=row, field=field))
        return None
    if not math.isfinite(v):
        problems.append(ScenarioError(f"{c!r} is not a finite number", source=source, location=row, field=field))
        return None
    return v


def parse_bool(cell: str, *, source: str, row: str, field: str, problems: list) -> bool | None:
    """A boolean from a CSV cell (true/false, yes/no, 1/0), or None with the problem appended."""
    c = (cell or "").strip().lower()
    if c in ("1", "true", "yes", "y"):
        return True
    if c in ("0", "false", "no", "n"):
        return False
    problems.append(ScenarioError(f"{cell!r} is not a boolean (true/false, yes/no, 1/0)", source=source, location=row, field=field))
    return None
