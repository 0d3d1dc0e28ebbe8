"""Property-based fuzzing of every loader: the only exception that may escape is ScenarioError.

Three kinds of input per loader:

* random bytes (any encoding, NULs, BOMs);
* structure-aware mutations of the reference files in ``$DETENTE_REFERENCE`` (KTAB CSV/XML,
  Decide, the literature's single-issue CSVs, GENIUS domains and profiles, the DEU III fixture
  and ``deu_issues.csv``): cells replaced by hostile tokens (NaN, inf, 1e999, huge integers,
  empty, quotes, entities, YAML tags), lines deleted, duplicated or swapped, truncation;
* the same mutations of the built-in scenario YAMLs (no reference data needed).

Each example runs under a 10 s alarm, so a hang fails instead of blocking the run. Example
counts are tuned so the file runs in well under 60 s; the number of examples actually run is
printed at the end of the module (``pytest -s``) and recorded in ``docs/reliability.md``.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
from collections import Counter
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.backtest.deu import read_deu, read_deu_issues
from detente.errors import ScenarioError
from detente.io import scenario_from_text
from detente.io.decide import parse_decide, scenario_from_decide
from detente.io.ktab import ktab_from_text
from detente.negotiation.genius import read_genius_domain, read_genius_profile
from detente.scenario.load import decode_bytes
from tests.parity._ref import reference_dir

RUN = Counter()
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
N_BYTES = 100
N_MUT = 200
_TMP = Path(tempfile.mkdtemp(prefix="detente-fuzz-"))


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    total = sum(RUN.values())
    print(f"\nfuzz examples run: {total} ({', '.join(f'{k} {v}' for k, v in sorted(RUN.items()))})")
    for p in _TMP.iterdir():
        p.unlink()
    _TMP.rmdir()


class _Hang(Exception):
    pass


@contextmanager
def _alarm(seconds: int = 10):
    def boom(*_):
        raise _Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _only_scenario_error(label: str, fn, *args) -> None:
    RUN[label] += 1
    with _alarm():
        try:
            fn(*args)
        except ScenarioError as e:
            assert str(e), "a ScenarioError must say what is wrong"


def _file(name: str, data: bytes) -> Path:
    p = _TMP / name
    p.write_bytes(data)
    return p


# ------------------------------------------------------------------ the loaders, from bytes
def _scenario(fmt: str):
    def load(raw: bytes) -> None:
        scenario_from_text(decode_bytes(raw, f"fuzz.{fmt}"), source=f"fuzz.{fmt}", fmt=fmt)
    return load


def _decide(raw: bytes) -> None:
    scenario_from_decide(parse_decide(decode_bytes(raw, "fuzz.txt"), source="fuzz.txt"))


def _ktab(fmt: str):
    def load(raw: bytes) -> None:
        ktab_from_text(raw, source=f"fuzz.{fmt}", fmt=fmt)
    return load


def _genius_domain(raw: bytes) -> None:
    read_genius_domain(_file("domain.xml", raw))


def _genius_profile_with(domain: Path):
    def load(raw: bytes) -> None:
        read_genius_profile(_file("profile.xml", raw), read_genius_domain(domain))
    return load


def _deu(raw: bytes) -> None:
    read_deu(_file("deu.csv", raw))


def _deu_issues(raw: bytes) -> None:
    read_deu_issues(_file("deu_issues.csv", raw))


LOADERS = {
    "yaml": _scenario("yaml"), "json": _scenario("json"), "csv": _scenario("csv"), "xml": _scenario("xml"),
    "decide": _decide, "ktab_csv": _ktab("csv"), "ktab_xml": _ktab("xml"),
    "genius_domain": _genius_domain, "deu": _deu, "deu_issues": _deu_issues,
}


# ------------------------------------------------------------------ random bytes
_SEEDS = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"<?xml version='1.0'?>", b"'#A'\t", b"name: x\n",
          b"actor,issue,position,salience,power\n", b"a;b;prnr;isnr;rp;out\n", b"{", b"["]


@pytest.mark.parametrize("loader", sorted(LOADERS))
@settings(max_examples=N_BYTES, **SETTINGS)
@given(prefix=st.sampled_from(_SEEDS), body=st.binary(max_size=600))
def test_random_bytes(loader, prefix, body):
    _only_scenario_error(f"bytes/{loader}", LOADERS[loader], prefix + body)


# ------------------------------------------------------------------ structure-aware mutations
HOSTILE = ["", "NaN", "nan", "inf", "-inf", "Infinity", "1e999", "-1e999", "1E+999999999", "9" * 400, "-0",
           "0x10", "1_000", "１２", "\x00", "\ufeff", "'", '"', ",", ";", "\t", "\n", "<", ">", "&", "&lol;",
           "]]>", "<!--", "*a", "&a x", "!!python/object/apply:os.system ['true']", "!!binary AAAA", "~",
           "{", "[", "- ", ": ", "#", "#A", "#D", "é", "\udcff", "a" * 300, "-1", "101", "1e-320", "true"]
_TOKEN = re.compile(r"[^\s,;\t<>\"'=:/\[\]{}]+")


@st.composite
def mutated(draw, texts: list[tuple[str, str]]):
    """(name, bytes): one of ``texts`` with 1-4 structure-aware edits."""
    name, text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["token", "token", "token", "del_line", "dup_line", "swap", "truncate", "insert"]))
        lines = text.split("\n")
        if op == "token":
            spans = [m.span() for m in _TOKEN.finditer(text)]
            if spans:
                a, b = draw(st.sampled_from(spans))
                text = text[:a] + draw(st.sampled_from(HOSTILE)) + text[b:]
        elif op == "del_line" and len(lines) > 1:
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "\n".join(lines)
        elif op == "dup_line":
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            text = "\n".join(lines)
        elif op == "swap" and len(lines) > 1:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif op == "insert":
            k = draw(st.integers(0, len(text)))
            text = text[:k] + draw(st.sampled_from(HOSTILE)) + text[k:]
    enc = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return name, text.encode(enc, errors="surrogatepass" if enc.startswith("utf") else "replace")


def _texts(paths: list[Path]) -> list[tuple[str, str]]:
    out = []
    for p in paths:
        data = p.read_bytes()[:200_000]
        out.append((p.name, data.decode("utf-8-sig", errors="replace")))
    assert out, "no reference files found"
    return out


def _builtin_yamls() -> list[tuple[str, str]]:
    files = resources.files("detente.scenario.data")
    return [(f.name, f.read_text(encoding="utf-8")) for f in files.iterdir() if f.name.endswith(".yaml")]


@settings(max_examples=N_MUT, **SETTINGS)
@given(case=mutated(_builtin_yamls()))
def test_mutated_builtin_yaml(case):
    name, raw = case
    _only_scenario_error("mutated/builtin_yaml", LOADERS["yaml"], raw)


def _given_reference(label: str, sub: str, pattern: str, loader, n: int = N_MUT):
    """Fuzz ``loader`` with mutations of the reference files ``sub/**/pattern``."""

    def test():
        root = reference_dir(sub)
        texts = _texts(sorted(root.rglob(pattern)))

        @settings(max_examples=n, **SETTINGS)
        @given(case=mutated(texts))
        def run(case):
            _only_scenario_error(f"mutated/{label}", loader, case[1])

        run()

    test.__name__ = f"test_mutated_{label}"
    return test


def _ktab_any(raw: bytes) -> None:
    fmt = "xml" if raw.lstrip(b"\xef\xbb\xbf \r\n\t\xff\xfe\x00").startswith((b"<", b"<\x00")) else "csv"
    ktab_from_text(raw, source=f"fuzz.{fmt}", fmt=fmt)


def _genius_profile(raw: bytes) -> None:
    # every reference profile against its own domain would need pairing; the Laptop domain
    # checks names and values, so most mutations of other profiles are refused early, which
    # is also a path worth fuzzing
    root = reference_dir("negotiation")
    _genius_profile_with(next((root / "Laptop" / "genius").glob("*domain*.xml")))(raw)


test_mutated_ktab_csv = _given_reference("ktab_csv", "ktab", "*.csv", _ktab_any, n=150)
test_mutated_ktab_xml = _given_reference("ktab_xml", "ktab", "*.xml", _ktab_any, n=150)
test_mutated_decide = _given_reference("decide", "exchange/inputs", "*", LOADERS["decide"])
test_mutated_literature_csv = _given_reference("literature_csv", "expected-utility", "*.csv", LOADERS["csv"])
test_mutated_case_csv = _given_reference("case_csv", "cases/inputs", "*.csv", LOADERS["csv"], n=150)
test_mutated_genius_domain = _given_reference("genius_domain", "negotiation", "*domain*.xml", _genius_domain, n=150)
test_mutated_genius_profile = _given_reference("genius_profile", "negotiation/Laptop", "*prof*.xml", _genius_profile, n=150)
test_mutated_deu = _given_reference("deu", "deu", "DEU_III_fixture.csv", _deu, n=150)
test_mutated_deu_issues = _given_reference("deu_issues", "deu", "deu_issues.csv", _deu_issues, n=100)


def test_fuzz_leaves_no_files_behind():
    """The loaders read; the only files in the fuzz folder are the ones this module wrote."""
    assert {p.name for p in _TMP.iterdir()} <= {"domain.xml", "profile.xml", "deu.csv", "deu_issues.csv"}
    assert os.path.isdir(_TMP)
