"""``backend="auto"``: no single forecast waits on a compile (issue 20), and the compile marker.

The cold-cache checks run in a subprocess with ``NUMBA_CACHE_DIR`` pointed at an empty folder
(so numba, if it ran, would have to compile and would write its cache there): a single
forecast of every model must leave that folder empty and never import numba.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from detente import backends
from detente._jit import HAVE_NUMBA, cache_folder, is_compiled, mark_compiled
from detente.backends import AUTO_COMPILE_RUNS, KERNELS, CompileNotice, compiled_now, resolve

from .numba_marks import needs_numba

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _run(code: str, cache: Path) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    return out.stdout + out.stderr


@needs_numba
def test_single_forecast_with_a_cold_cache_does_not_compile(tmp_path):
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    out = _run(
        "import sys, warnings\n"
        "warnings.simplefilter('error')\n"               # a CompileNotice would fail the run
        "from detente import service\n"
        "run = service.forecast('alaska-2025')\n"        # every registered model, backend auto
        "assert len(run.forecasts) >= 6, run.forecasts\n"
        "service.forecast('eu-emissions-1994', models=['expected_utility', 'exchange'])\n"
        "print('numba imported:', 'numba' in sys.modules)\n",
        cache,
    )
    assert "numba imported: False" in out
    assert list(cache.rglob("*")) == [], "numba wrote cache files: a kernel was compiled"


@needs_numba
def test_cold_cache_batch_takes_the_compiled_path_and_says_so(tmp_path, monkeypatch):
    # no compile here (that takes seconds): the decision and the notice, from the resolver
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    mod = "detente.models.exchange._kernel"
    assert resolve("auto", n_runs=1) == "numpy"
    assert resolve("auto", n_runs=AUTO_COMPILE_RUNS - 1) == "numpy"
    assert resolve("auto", n_runs=AUTO_COMPILE_RUNS) == "numba"
    assert resolve("auto") == "numba"  # unknown size: a batch
    assert resolve("numba", n_runs=1) == "numba"
    assert resolve("numpy", n_runs=10**6) == "numpy"
    monkeypatch.delitem(sys.modules, mod, raising=False)
    monkeypatch.setattr(backends.importlib, "import_module", lambda name: name)
    with pytest.warns(CompileNotice, match="compiling the exchange kernels"):
        assert backends.kernel("auto", mod, n_runs=AUTO_COMPILE_RUNS) == mod
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert backends.kernel("auto", mod, n_runs=1) is None


@needs_numba
def test_compile_marker_tracks_the_cache_and_the_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    g = KERNELS["detente.simulate._kernel"]
    assert not compiled_now(g.module)
    marker = mark_compiled(g.name, g.files())
    assert marker is not None and marker.parent == cache_folder(g.files()[0])
    assert str(marker).startswith(str(tmp_path))          # beside numba's own cache files
    assert compiled_now(g.module) and is_compiled(g.name, g.files())
    assert not compiled_now("detente.models.exchange._kernel")  # another group stays cold
    # warm or cold, one scenario runs on numpy: the engine depends on the job only
    assert resolve("auto", n_runs=1) == "numpy"
    # a stamp that no longer matches the sources (edited kernel, other numba) is cold again
    data = json.loads(marker.read_text())
    data["sources"][next(iter(data["sources"]))][1] += 1
    marker.write_text(json.dumps(data))
    assert not compiled_now(g.module)
    # and so is another cache folder
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert not compiled_now(g.module)


def test_cache_folder_follows_numba(tmp_path, monkeypatch):
    src = Path(SRC) / "detente" / "simulate" / "_kernel.py"
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert cache_folder(src) == src.parent / "__pycache__"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    got = cache_folder(src)
    assert got.parent == tmp_path and got.name.startswith("simulate_")


def test_without_numba_auto_is_numpy(monkeypatch):
    monkeypatch.setattr(backends, "HAVE_NUMBA", False)
    assert resolve("auto", n_runs=10**6) == "numpy"
    assert not HAVE_NUMBA or backends.kernel("auto", "detente.simulate._kernel") is None
