"""The shipped deal model is what scripts/fit_deal_model.py computes from the cases.

The full recomputation (features of every case on the whole firmness grid, then the fit) is
``python scripts/fit_deal_model.py --check``; here, to stay fast, the fit is recomputed from the
features stored in the file, a spread of cases has its features recomputed, and the stored
cases must be the library's.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from detente.backtest.calibration import MODEL_FEATURES, FeatureTable, case_seed, fit_deal_model
from detente.uncertainty.deal_model import FEATURES, deal_features

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "src" / "detente" / "uncertainty" / "data" / "deal_model.json"


def _script():
    spec = importlib.util.spec_from_file_location("fit_deal_model", ROOT / "scripts" / "fit_deal_model.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shipped_fit_is_what_the_script_computes_from_its_features():
    mod = _script()
    text = SHIPPED.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert mod.dump(mod.document(mod.stored_table(doc))) == text, "rerun: python scripts/fit_deal_model.py"


def test_stored_cases_are_the_library_and_their_features_recompute():
    mod = _script()
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    lib = mod.library()
    assert [s.name for s in lib] == doc["training_features"]["cases"], "rerun the script"
    assert [float(bool(s.outcome.deal)) for s in lib] == doc["training_features"]["deal"]
    stored = np.array(doc["training_features"]["values"])
    for i in range(0, len(lib), 9):
        for g, f in enumerate(doc["training_features"]["grid"]):
            ft = deal_features(lib[i], firmness=f, seed=case_seed(mod.SEED, lib[i].name),
                               features=doc["features"])
            np.testing.assert_allclose(ft.values, stored[g, i], rtol=0, atol=1e-9)


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


def _shipped_features() -> list[str]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))["features"]


def test_shipped_document_has_coefficients_and_their_bootstrap():
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert len(doc["boot"]) == doc["meta"]["n_boot"]
    assert doc["firmness"] in doc["meta"]["firmness_grid"]
    assert np.array(doc["training_features"]["values"]).shape == (
        len(doc["meta"]["firmness_grid"]), doc["meta"]["n_cases"], len(doc["features"]))


def test_shipped_model_uses_the_adopted_features():
    assert _shipped_features() == list(MODEL_FEATURES)
