"""The shipped deal model is what scripts/fit_deal_model.py computes from the cases."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from detente.backtest.calibration import FeatureTable, fit_deal_model
from detente.uncertainty.deal_model import FEATURES

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("fit_deal_model", ROOT / "scripts" / "fit_deal_model.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shipped_file_is_what_the_script_computes():
    mod = _script()
    shipped = (ROOT / "src" / "detente" / "uncertainty" / "data" / "deal_model.json").read_text(encoding="utf-8")
    assert mod.dump(mod.build()) == shipped, "rerun: python scripts/fit_deal_model.py"


def test_fit_recovers_the_sign_of_a_clear_signal():
    rng = np.random.default_rng(0)
    n = 60
    x = rng.normal(size=(1, n, len(FEATURES)))
    y = (x[0, :, 1] < 0).astype(float)  # a deal when the violation feature is low
    t = FeatureTable(tuple(f"c{i}" for i in range(n)), y, (1.0,), x, np.zeros((1, n)))
    model, report = fit_deal_model(t, c_grid=(1.0,), n_boot=20, seed=0)
    assert model.coef[1] < -1.0
    assert report["n_deal"] == int(y.sum())
    lo, hi = model.interval(x[0])
    assert np.all(lo <= model.predict(x[0]) + 1e-12) and np.all(model.predict(x[0]) <= hi + 1e-12)


def test_shipped_document_has_coefficients_and_their_bootstrap():
    doc = json.loads((ROOT / "src" / "detente" / "uncertainty" / "data" / "deal_model.json").read_text())
    assert doc["features"] == list(FEATURES)
    assert len(doc["boot"]) == doc["meta"]["n_boot"]
    assert doc["firmness"] in doc["meta"]["firmness_grid"]
    assert len(doc["training_features"]["values"]) == doc["meta"]["n_cases"]
