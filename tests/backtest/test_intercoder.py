"""Inter-coder disagreement: known values on a hand-made pair, and the shipped noise defaults
recomputed from the double-coded cases (so they are never typed in twice)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from detente.backtest.intercoder import (
    MAD_TO_SD,
    CodingPair,
    load_pairs,
    measure,
    noise_from_figures,
)
from detente.scenario.load import scenario_from_data
from detente.uncertainty.coder_noise import coder_noise_record, default_noise

ROOT = Path(__file__).resolve().parents[2]


def _coding(pos_a1: float, sal_a1: float, power_a: float, red_max: float | None, walk: float):
    data = {
        "name": "pair",
        "actors": [{"id": "a", "power": power_a}, {"id": "b", "power": 10.0}],
        "issues": [{"id": "i", "scale": {"min": 0, "max": 20}}],
        "positions": [
            {"actor": "a", "issue": "i", "position": pos_a1, "salience": sal_a1},
            {"actor": "b", "issue": "i", "position": 18.0, "salience": 0.5},
        ],
        "walk_away": [{"actor": "a", "utility": walk}],
    }
    if red_max is not None:
        data["red_lines"] = [{"actor": "a", "issue": "i", "min": 0, "max": red_max}]
    return scenario_from_data(data, source="pair.yaml")


def test_known_values_on_a_hand_made_pair():
    a = _coding(4.0, 0.8, 10.0, 8.0, 0.3)
    b = _coding(6.0, 0.4, 30.0, 6.0, 0.2)
    f = measure([CodingPair("pair", a, b)])
    pos = f["fields"]["position"]
    assert pos["n"] == 2
    assert pos["mean"] == pytest.approx((2.0 / 20 + 0.0) / 2)  # actor b coded alike
    assert f["fields"]["salience"]["mean"] == pytest.approx(0.2)
    # power shares: a 0.5 vs 0.75, b 0.5 vs 0.25
    expect = (abs(math.log(0.5 / 0.75)) + abs(math.log(0.5 / 0.25))) / 2
    assert f["fields"]["power_log_ratio"]["mean"] == pytest.approx(expect)
    assert f["fields"]["red_line_bound"]["mean"] == pytest.approx((0 + 2.0 / 20) / 2)
    assert f["fields"]["walk_away_utility"]["mean"] == pytest.approx(0.1)
    assert f["red_lines"] == {"stated_by_both": 1, "stated_by_one": 0, "agreement": 1.0}


def test_red_line_stated_by_one_coder_only():
    f = measure([CodingPair("p", _coding(4, 0.8, 10, 8, 0.3), _coding(4, 0.8, 10, None, 0.3))])
    assert f["red_lines"]["stated_by_one"] == 1 and f["red_lines"]["stated_by_both"] == 0


def test_noise_uses_the_larger_of_measured_and_floor():
    figs = {"fields": {"position": {"n": 3, "mean": 0.2}, "salience_relative": {"n": 0},
                       "power_log_ratio": {"n": 2, "mean": 0.01}}}
    out = noise_from_figures(figs, {"position": 0.1, "salience": 0.2, "power": 0.2})
    assert out["noise"]["position"] == pytest.approx(round(0.2 * MAD_TO_SD, 4))
    assert out["basis"]["position"]["used"] == "measured"
    assert out["noise"]["power"] == 0.2 and out["basis"]["power"]["used"] == "floor"
    assert out["basis"]["salience"]["measured"] is None
    assert out["noise"]["relative"] is True


def test_shipped_defaults_are_the_measured_file():
    pairs = load_pairs(ROOT / "cases" / "intercoder")
    assert len(pairs) >= 12
    rec = coder_noise_record()
    figures = measure(pairs)
    for k in ("cases", "fields", "red_lines", "stakes"):
        assert json.loads(json.dumps(figures[k])) == rec["figures"][k], k
    assert noise_from_figures(figures, rec["floor"])["noise"] == rec["noise"]
    assert default_noise().model_dump() == {**default_noise().model_dump(), **rec["noise"]}
    assert default_noise().relative


def test_script_check_passes_on_the_committed_files():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "intercoder.py"), "--check"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_service_default_noise_is_the_measured_record():
    from detente.service import DEFAULTS

    assert dict(DEFAULTS.noise) == coder_noise_record()["noise"]
