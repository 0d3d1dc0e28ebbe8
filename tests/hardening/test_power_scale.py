"""Power is scale-free: 1e308 or 1e-50 times every power must not change or null a forecast
(issue 21; it overflowed to inf/NaN or underflowed to "nobody moves")."""

from __future__ import annotations

import numpy as np
import pytest

from detente import service
from detente.models.registry import MODELS

SCALES = [1e308, 1e-50, 1e-300]


def _scaled(sc, factor: float):
    top = max(a.power for a in sc.actors)
    return sc.model_copy(update={"actors": [a.model_copy(update={"power": a.power / top * factor})
                                            for a in sc.actors]})


def _outcome(sc, model: str) -> np.ndarray:
    return np.asarray(service.forecast(sc, models=[model]).forecasts[0].outcome, dtype=float).ravel()


@pytest.mark.parametrize("model", sorted(MODELS))
def test_extreme_power_scales_give_the_ordinary_forecast(model):
    sc = service.load("alaska-2025")
    base = _outcome(sc, model)  # NaN where a model has no answer (nash: no zone here)
    for factor in SCALES:
        got = _outcome(_scaled(sc, factor), model)
        np.testing.assert_allclose(got, base, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=f"{model} at {factor:g}")


def test_ordinary_powers_are_passed_unchanged():
    from detente.models._common import unit_power

    a = service.load("alaska-2025").arrays()
    assert unit_power(a) is a  # inside [2^-32, 2^32]: not touched, so no result moves
    b = unit_power(_scaled(service.load("alaska-2025"), 1e308).arrays())
    assert 0.5 <= b.power.max() < 1.0
    # a power-of-two factor is exact: ratios are bit-identical
    np.testing.assert_array_equal(b.power / b.power.max(), b.power / b.power.max())
    ratios = a.power / a.power.max()
    np.testing.assert_allclose(b.power / b.power.max(), ratios, rtol=1e-15)
