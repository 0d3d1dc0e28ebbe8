"""Contract exemptions become strict xfail marks, so exempted tests still run.

A contract subclass declares ``contract_xfail = {"test_name": "reason"}``. Each entry marks that
test ``xfail(strict=True)``: if the model ever passes it, the suite fails and the exemption has
to go. An entry naming no contract test is an error too (a typo would exempt nothing).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    seen: dict[type, set[str]] = {}
    for item in items:
        cls = getattr(item, "cls", None)
        exempt = getattr(cls, "contract_xfail", None)
        if not exempt:
            continue
        name = getattr(item, "originalname", None) or item.name
        seen.setdefault(cls, set()).add(name)
        if name in exempt:
            item.add_marker(pytest.mark.xfail(reason=exempt[name], strict=True))
    for cls, names in seen.items():
        unknown = set(cls.contract_xfail) - names
        if unknown:
            raise pytest.UsageError(
                f"{cls.__name__}.contract_xfail names no contract test: {sorted(unknown)}"
            )
