"""Names and registries that load on first use: a package's PEP 562 ``__getattr__`` and the
model and protocol registries.

Listing the names (``detente --help``, ``detente models``' choices) must not import numpy or
an engine, so each entry is ``"module:attribute"`` until it is first asked for. An entry can
also be set to the object itself (a model or protocol registered at run time, in tests).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, Generic, TypeVar

__all__ = ["LazyRegistry", "lazy_getattr"]

T = TypeVar("T")


class LazyRegistry(MutableMapping[str, T], Generic[T]):
    """name -> object, in registration order; ``"package.module:attribute"`` strings are
    imported on first look-up and ``finish(name, obj)`` (default: identity) runs once then."""

    def __init__(self, entries: dict[str, str | T],
                 finish: Callable[[str, Any], T] | None = None) -> None:
        self._entries: dict[str, Any] = dict(entries)
        self._pending = {k for k, v in entries.items() if isinstance(v, str)}
        self._finish = finish

    def __getitem__(self, name: str) -> T:
        entry = self._entries[name]
        if name in self._pending:
            module, _, attr = entry.partition(":")
            entry = getattr(importlib.import_module(module), attr)
            if self._finish is not None:
                entry = self._finish(name, entry)
            self._entries[name] = entry
            self._pending.discard(name)
        return entry  # type: ignore[no-any-return]

    def __contains__(self, name: object) -> bool:
        # Mapping's default __contains__ calls __getitem__, which would import the entry
        return name in self._entries

    def is_pending(self, name: str) -> bool:
        """True while ``name`` is still its ``"module:attribute"`` string (not imported, not
        replaced)."""
        return name in self._pending

    def __setitem__(self, name: str, value: T) -> None:
        self._entries[name] = value
        self._pending.discard(name)

    def __delitem__(self, name: str) -> None:
        del self._entries[name]
        self._pending.discard(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"LazyRegistry({list(self._entries)})"


def lazy_getattr(package: str, where: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) for ``package``: ``where`` maps a public name to the
    module that defines it (relative to ``package``), or to ``"module:attribute"`` when the
    attribute has another name there. The value is imported on first use and stored in
    ``namespace`` (the package's ``globals()``), so later look-ups are plain attributes.

    Usage, in a package's ``__init__``: ``__getattr__ = lazy_getattr(__name__, _WHERE, globals())``.
    """

    def __getattr__(name: str) -> Any:
        try:
            module, _, attr = where[name].partition(":")
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module, package), attr or name)
        namespace[name] = value
        return value

    return __getattr__
