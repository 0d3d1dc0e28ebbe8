"""Import hygiene: a command imports only what it needs (issue 20).

Each check runs in a fresh interpreter (a subprocess), since this test process has long since
imported everything. The heavy optional packages must stay out of ``sys.modules`` after
``import detente``, ``import detente.cli`` and ``detente --help``; they load only when a
command that needs them runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = ("pandas", "scipy", "numba", "dask", "fastapi", "matplotlib")

_PROBE = """
import json, sys
{code}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def _loaded(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _PROBE.format(code=code)], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import detente",
    "import detente.cli",
    "import detente; detente.__version__",
    "import detente.service",
])
def test_import_stays_light(code):
    loaded = _loaded(code)
    assert loaded.isdisjoint(HEAVY), f"{code!r} imported {sorted(loaded & set(HEAVY))}"


def test_help_and_models_stay_light():
    code = (
        "import contextlib, io\n"
        "from detente.cli import app\n"
        "for argv in (['--help'], ['models'], ['forecast', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        app(argv)\n"
    )
    loaded = _loaded(code)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    # `detente --help` lists every command and option (the protocol and model names too)
    # without numpy, the scenario schema (pydantic), YAML or any model
    help_only = _loaded(code.replace("['models'], ", "").replace("['forecast', '--help']", ""))
    assert help_only.isdisjoint({"numpy", "pydantic", "yaml"}), sorted(help_only & {"numpy", "pydantic", "yaml"})
    assert "detente.models.registry" not in help_only
    # `detente models` lists the built-in models from their catalogue: no model, no numpy
    models_only = _loaded(code.replace("['--help'], ", "").replace(", ['forecast', '--help']", ""))
    assert "numpy" not in models_only, "detente models imported numpy"


def _model_modules(code: str) -> str:
    """The ``detente.models.*`` modules loaded after ``code`` runs in a fresh interpreter."""
    code = f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.startswith('detente.models.')))\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, check=True).stdout


def test_membership_does_not_import_a_model():
    """``name in MODELS`` (every command checks its -m names) must not import the model."""
    out = _model_modules("from detente.models.registry import MODELS\n"
                         "assert 'ktab_smp' in MODELS and 'nope' not in MODELS")
    assert "detente.models.ktab_smp" not in out, out


def test_one_model_loads_only_that_model():
    """The model registry imports a model's module on first look-up: running the weighted mean
    does not import the exchange, expected-utility or KTAB engines."""
    out = _model_modules("from detente.models.registry import MODELS, get_model\n"
                         "assert list(MODELS)\nget_model('weighted_mean')")
    for heavy in ("exchange", "expected_utility", "ktab_smp"):
        assert f"detente.models.{heavy}" not in out, out


def test_lazy_package_names_still_work():
    loaded = _loaded("import detente; detente.Forecast; detente.load_scenario; detente.MODELS")
    assert "detente" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    # and a name that does not exist is still an AttributeError
    with pytest.raises(subprocess.CalledProcessError):
        _loaded("import detente; detente.no_such_name")


_KTAB_CSV = """Toy,three actors two issues, 3, 2,
Actor,Description,Influence,A Position,A Salience,B Position,B Salience,
P,First,100.0,30,24.0,20,48.0,
Q,Second,60.2,45,44.7,65,41.3,
R,Third,35.0,80,28.9,15,65.1,
"""


@pytest.mark.parametrize("argv", [
    ["forecast", "alaska-2025", "-m", "weighted_mean"],
    ["forecast"],  # the README's first command: every model, tables built only when shown
    ["ktab", "run", "{ktab}"],
    ["simulate", "{genius}", "--runs", "1", "--strategies", "boulware", "--seed", "0"],
])
def test_small_commands_stay_light(argv, tmp_path):
    """issue 20's whole-process race: one weighted-mean forecast (with its calibrated deal
    probability), the default forecast, one KTAB run and one negotiation import no pandas,
    scipy or numba."""
    from tests.negotiation.test_genius import DOMAIN, profile

    ktab = tmp_path / "toy.csv"
    ktab.write_text(_KTAB_CSV, encoding="utf-8")
    genius = tmp_path / "genius"
    genius.mkdir()
    (genius / "dom.xml").write_text(DOMAIN)
    (genius / "a_buyer.xml").write_text(profile())
    (genius / "b_seller.xml").write_text(profile((1, 5, 10), (1, 2), (0.5, 0.5)))
    argv = [a.replace("{ktab}", str(ktab)).replace("{genius}", str(genius)) for a in argv]
    code = ("import contextlib, io\nfrom detente.cli import app\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
            f"    app({argv!r})\n"
            "assert out.getvalue().strip(), 'no output'\n")
    loaded = _loaded(code)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    if argv[0] == "simulate":  # a GENIUS domain needs no scenario schema (pydantic) or YAML
        assert loaded.isdisjoint({"pydantic", "yaml"}), sorted(loaded & {"pydantic", "yaml"})
