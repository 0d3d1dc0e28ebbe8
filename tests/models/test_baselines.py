"""Known values for the baseline models, computed by hand in each docstring."""

import numpy as np
import pytest

from detente import get_model, load_scenario
from detente.errors import ModelParameterError, UnknownModelError
from detente.models.nash import Nash, nash_bargaining
from detente.models.weighted_mean import weighted_mean
from detente.models.weighted_median import weighted_median, weighted_median_bounds
from tests.contract.model_contract import make_scenario


def col(*v):
    return np.array(v, dtype=float)[:, None]


def test_weighted_mean_by_hand():
    """Positions 0, 10, 40 with weights 1, 2, 1: (0 + 20 + 40) / 4 = 15."""
    assert weighted_mean(col(0, 10, 40), col(1, 2, 1))[0] == pytest.approx(15.0)


def test_weighted_median_by_hand():
    """Positions 0, 10, 40, weights 1, 2, 1: W/2 = 2; cumulative 1, 3 -> median 10."""
    assert weighted_median(col(40, 0, 10), col(1, 1, 2))[0] == 10.0


def test_weighted_median_tie():
    """Weights 1, 1 at 2 and 8: cumulative weight at 2 is exactly W/2: lower 2, upper 8."""
    lo, hi, tie = weighted_median_bounds(col(8, 2), col(1, 1))
    assert (lo[0], hi[0], bool(tie[0])) == (2.0, 8.0, True)


def test_weighted_median_groups_equal_positions():
    """Two actors at 5 (weights 1, 1) outweigh one at 0 with weight 1.5: median 5."""
    assert weighted_median(col(0, 5, 5), col(1.5, 1, 1))[0] == 5.0


def test_eu_emissions_baselines():
    """BDM (1994) Table 1: mean 7.389956 (Scholz et al. 2011), median 7 (baselines spec)."""
    s = load_scenario("eu-emissions-1994")
    assert get_model("weighted_mean").forecast(s).outcome[0] == pytest.approx(7.389956, abs=1e-6)
    assert get_model("weighted_median").forecast(s).outcome[0] == 7.0


def test_nash_two_actors_by_hand():
    """Actors at 0 and 100, weights 3 and 1, linear loss, worst-case disagreement (u = 0 at
    the far end): maximise 3 log(1 - t) + log t -> t = 1/4 -> x = 25."""
    out, feasible, lo, hi = nash_bargaining(col(0, 100), col(3, 1))
    assert feasible[0] and out[0] == pytest.approx(25.0, abs=1e-9)
    assert (lo[0], hi[0]) == (0.0, 100.0)


def test_nash_symmetric_quadratic():
    """Equal weights, quadratic loss, actors at 0 and 100: symmetric, so x = 50."""
    out, *_ = nash_bargaining(col(0, 100), col(1, 1), loss="quadratic")
    assert out[0] == pytest.approx(50.0, abs=1e-9)


@pytest.mark.parametrize("loss,limit", [("quadratic", weighted_mean), ("linear", weighted_median)])
def test_nash_limits(loss, limit):
    """Baselines spec section 3: far-away equal disagreement -> weighted mean (quadratic) or
    weighted median (linear)."""
    x = col(10, 35, 60, 90, 45)
    w = col(27, 30, 14, 16, 20)
    d = np.full_like(x, -1e7)
    out, *_ = nash_bargaining(x, w, d, loss=loss)
    assert out[0] == pytest.approx(limit(x, w)[0], abs=1e-3)


def test_nash_no_zone_reported():
    """Walk-away utilities 0.8 for actors at 0 and 100: each needs x within 20 of itself."""
    out, feasible, lo, hi = nash_bargaining(col(0, 100), col(1, 1), col(0.8, 0.8))
    assert not feasible[0] and np.isnan(out[0]) and np.isnan(lo[0])


def test_nash_status_quo_disagreement():
    """Status quo 50 between actors at 0 and 100: u_i(d) = 0.5 each, and only x = 50 gives
    nobody a loss, so the NBS is the status quo."""
    s = make_scenario([[0.0], [100.0]], [[1.0], [1.0]], [1.0, 1.0], status_quo=[50.0])
    f = Nash().forecast(s)
    assert f.outcome[0] == pytest.approx(50.0, abs=1e-9)
    assert bool(f.diagnostics["feasible"][0])


def test_nash_alaska_reports_no_zone():
    f = Nash().forecast(load_scenario("alaska-2025"))
    assert not f.diagnostics["feasible"][list(f.issues).index("territory")]
    assert any("no zone of agreement" in n for n in f.notes)


def test_nash_bad_param():
    with pytest.raises(ModelParameterError, match="loss"):
        Nash(loss="cubic")


def test_get_model_errors():
    with pytest.raises(UnknownModelError, match="weighted_mean"):
        get_model("oracle")
    with pytest.raises(ModelParameterError, match="has no parameter 'rounds'"):
        get_model("nash", rounds="3")
    assert get_model("nash", loss="quadratic").loss == "quadratic"


def test_registry_every_model_has_contract():
    """A MODELS entry without a ModelContract subclass fails here."""
    import importlib
    import pathlib

    from detente.models.registry import MODELS
    from tests.contract.model_contract import ModelContract

    for f in pathlib.Path(__file__).parents[1].joinpath("contract").glob("test_*.py"):
        importlib.import_module(f"tests.contract.{f.stem}")
    covered = {type(c.model).name for c in _subclasses(ModelContract)}
    assert set(MODELS) <= covered, set(MODELS) - covered


def _subclasses(cls):
    for c in cls.__subclasses__():
        yield c
        yield from _subclasses(c)
