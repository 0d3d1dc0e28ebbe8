"""Layering of the model packages (issue 18): ``detente.models`` never imports ``detente.io`` and
``detente.io`` never imports ``detente.models``, lazy imports inside functions included; models
import only their own package and the layers below (``scenario`` and core). Every backend
choice goes through :mod:`detente.backends`: no model or simulator module keeps a resolver of
its own (``HAVE_NUMBA`` tests, ``_use_numba``, a ``_COMPILED`` flag)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import detente

SRC = Path(detente.__file__).parent

#: what a module under detente.models may import from detente
MODELS_MAY_IMPORT = ("detente.models", "detente.scenario", "detente.errors", "detente.rng",
                     "detente.results", "detente.backends", "detente.cost", "detente._jit", "detente._vecmath",
                     "detente._lazy")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every detente module ``path`` imports (absolute, relative and inside functions)."""
    rel = path.relative_to(SRC.parent).with_suffix("")
    package = list(rel.parts[:-1])  # what a level-1 relative import names, for a module or __init__
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out += [(node.lineno, name)] + [(node.lineno, f"{name}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(line, name) for line, name in out if name.split(".")[0] == "detente"]


def _files(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("path", _files("models"), ids=lambda p: str(p.relative_to(SRC)))
def test_models_import_only_their_layer_and_below(path):
    bad = [(line, name) for line, name in _imports(path)
           if not any(name == ok or name.startswith(ok + ".") for ok in MODELS_MAY_IMPORT)]
    assert not bad, f"{path.relative_to(SRC)} imports from a higher layer or from io: {bad}"


@pytest.mark.parametrize("path", _files("io"), ids=lambda p: str(p.relative_to(SRC)))
def test_io_never_imports_models(path):
    bad = [(line, name) for line, name in _imports(path) if name.startswith("detente.models")]
    assert not bad, f"{path.relative_to(SRC)} imports a model: {bad}"


@pytest.mark.parametrize("path", _files("models") + [SRC / "simulate" / "_fast.py",
                                                     SRC / "simulate" / "engine.py"],
                         ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_backend_resolver(path):
    """Only :mod:`detente.backends` decides numba or numpy (``_jit.njit`` still compiles)."""
    names = {name.rsplit(".", 1)[-1] for _, name in _imports(path)}
    text = path.read_text(encoding="utf-8")
    assert "HAVE_NUMBA" not in names, f"{path.relative_to(SRC)} tests HAVE_NUMBA itself"
    for private in ("_use_numba", "_COMPILED"):
        assert private not in text, f"{path.relative_to(SRC)} keeps {private}"
