"""Optional extras: `.[all]` installs every user extra, and every install hint names an extra
that exists and holds the package it names."""

import re
import tomllib
from pathlib import Path

import pytest

from detente.errors import MissingExtraError

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
TOOLING = {"dev", "bench", "all"}


def _name(req: str) -> str:
    return re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower().replace("_", "-")


def _resolve(extra: str, seen=()) -> set[str]:
    out = set()
    for req in EXTRAS[extra]:
        m = re.fullmatch(r"detente\[([^\]]+)\]", req.strip())
        if m:
            for e in m.group(1).split(","):
                assert e.strip() in EXTRAS, f"all refers to an unknown extra {e!r}"
                out |= _resolve(e.strip(), (*seen, extra))
        else:
            out.add(_name(req))
    return out


def test_all_installs_every_user_extra():
    assert "all" in EXTRAS
    every = set().union(*(_resolve(e) for e in EXTRAS if e not in TOOLING))
    assert _resolve("all") == every
    assert {"matplotlib", "fastapi", "salib", "numba", "pyarrow", "defusedxml", "scikit-learn"} <= every


def _hints() -> list[tuple[str, str, str]]:
    out = []
    for f in sorted((ROOT / "src" / "detente").rglob("*.py")):
        for m in re.finditer(r"MissingExtraError\(\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']", f.read_text()):
            out.append((f.relative_to(ROOT).as_posix(), m.group(1), m.group(2)))
        for m in re.finditer(r"detente\[([a-z_,]+)\]", f.read_text()):
            out.append((f.relative_to(ROOT).as_posix(), "", m.group(1)))
    return out


@pytest.mark.parametrize("where,package,extra", _hints())
def test_every_install_hint_names_an_extra_holding_its_package(where, package, extra):
    for e in extra.split(","):
        assert e in EXTRAS, f"{where}: extra {e!r} does not exist"
    if package:
        held = set().union(*(_resolve(e) for e in extra.split(",")))
        assert _name(package.split(".")[0]) in held, f"{where}: {package} is not in detente[{extra}]"


def test_several_missing_extras_in_one_message():
    e = MissingExtraError("jinja2 (to render) and matplotlib (charts)", "web,plot")
    assert "are needed" in str(e) and "pip install 'detente[web,plot]'" in str(e)
    assert "is needed" in str(MissingExtraError("numba", "fast"))
