"""The default expert noise: measured inter-coder disagreement on the case library.

``data/coder_noise.json`` is written by ``scripts/intercoder.py`` from the double-coded cases
in ``cases/intercoder/`` (see :mod:`detente.backtest.intercoder` for the method); nothing here
types the numbers a second time. A test recomputes the file from the codings and fails if they
disagree.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ..scenario.uncertainty import NoiseSpec

__all__ = ["coder_noise_record", "default_noise"]


@cache
def coder_noise_record() -> dict[str, Any]:
    """The whole measured record: figures, floor, the noise and what each number rests on."""
    text = resources.files("detente.uncertainty").joinpath("data/coder_noise.json").read_text(
        encoding="utf-8"
    )
    return dict(json.loads(text))


def default_noise() -> NoiseSpec:
    """The expert noise used when a command is given none (relative to each issue's scale)."""
    return NoiseSpec.model_validate(coder_noise_record()["noise"])
