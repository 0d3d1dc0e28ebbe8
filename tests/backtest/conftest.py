"""Fixtures for the backtest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backtest._folders import write_folder


@pytest.fixture
def case_folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "cases")
