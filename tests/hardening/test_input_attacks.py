"""Issue 21, input side: ids that never collide, bounded errors, linear parsing, regular files
only, strict numbers. Each test is an attack that got through before (see docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.io.decide import load_decide, parse_decide, scenario_from_decide
from detente.io.ktab import ktab_from_text
from detente.negotiation.genius import load_genius_folder
from detente.scenario.load import scenario_from_csv_text

from ._isolate import run_isolated

runner = CliRunner()
HEAD = "actor,issue,position,salience,power\n"


def _err(fn, *args, **kw) -> ScenarioError:
    with pytest.raises(ScenarioError) as ei:
        fn(*args, **kw)
    return ei.value


# ------------------------------------------------------------------ ids that never collide
def test_cyrillic_csv_keeps_two_issues_and_two_actors():
    text = HEAD + ("Россия,территория,80,0.9,0.7\nУкраина,санкции,10,0.8,0.5\n"
                   "Россия,санкции,20,0.5,0.7\nУкраина,территория,0,1,0.5\n")
    sc = scenario_from_csv_text(text, source="ru.csv")
    assert [a.name for a in sc.actors] == ["Россия", "Украина"]
    assert [i.name for i in sc.issues] == ["территория", "санкции"]
    assert len({a.id for a in sc.actors}) == 2 and len({i.id for i in sc.issues}) == 2
    assert [a.id for a in sc.actors] == ["Rossiya", "Ukraina"]
    assert any("Россия" in n and "Rossiya" in n for n in sc.notes)
    # each actor keeps its own position on each issue
    a = sc.arrays()
    assert sorted(a.position[:, 0].tolist()) == [0.0, 80.0]


@pytest.mark.parametrize("names", [("中国", "日本"), ("🇺🇸", "🇨🇳"), ("مصر", "قطر")])
def test_names_without_a_transliteration_are_numbered(names):
    text = HEAD + f"{names[0]},tax,10,0.5,1\n{names[1]},tax,90,0.5,1\n"
    sc = scenario_from_csv_text(text, source="x.csv")
    assert [a.name for a in sc.actors] == list(names)
    assert len({a.id for a in sc.actors}) == 2
    assert any(names[0] in n for n in sc.notes)


def test_a_collision_is_an_error_naming_both_rows():
    text = HEAD + "US A,tax,10,0.5,1\nUS_A,tax,90,0.5,1\n"
    e = _err(scenario_from_csv_text, text, source="c.csv")
    msg = str(e)
    assert "'US A' (row 2)" in msg and "'US_A' (row 3)" in msg and "'US_A'" in msg


def test_issue_collision_is_an_error_too():
    text = HEAD + "a,Tax rate,10,0.5,1\nb,Tax_rate,90,0.5,1\n"
    msg = str(_err(scenario_from_csv_text, text, source="c.csv"))
    assert "row 2" in msg and "row 3" in msg and "issue" in msg


def test_decide_cyrillic_codes_keep_distinct_ids():
    text = ("#A\t'Россия'\t'Russia'\t''\n#A\t'Украина'\t'Ukraine'\t''\n#P\t'i'\t'i'\t'i'\n"
            "#D\t'Россия'\t'i'\t10\t0.5\t0.5\n#D\t'Украина'\t'i'\t90\t0.5\t0.5\n")
    sc = scenario_from_decide(parse_decide(text, source="d.txt"))
    assert [a.id for a in sc.actors] == ["Rossiya", "Ukraina"]
    assert any("Rossiya" in n for n in sc.notes)


KTAB = ('{name},"desc",3,2,\n'
        "Actor,Description,Power,Tax,Tax Sal,Year,Year Sal,\n"
        "{a},x,10,20,30,80,40,\n"
        "{b},y,20,60,50,10,10,\n"
        "C,z,5,50,50,50,50,\n")


def test_ktab_cyrillic_actors_are_transliterated_with_a_note():
    sc = ktab_from_text(KTAB.format(name="Переговоры", a="Россия", b="Украина"), source="k.csv").scenario
    assert [a.id for a in sc.actors] == ["Rossiya", "Ukraina", "C"]
    assert [a.name for a in sc.actors] == ["Россия", "Украина", "C"]
    assert any("Rossiya" in n for n in sc.notes)


def test_ktab_collision_is_an_error_naming_both_rows():
    msg = str(_err(ktab_from_text, KTAB.format(name="t", a="US A", b="US_A"), source="k.csv"))
    assert "'US A'" in msg and "'US_A'" in msg and "row 3" in msg and "row 4" in msg


# ------------------------------------------------------------------ bounded errors
def test_six_thousand_unknown_actors_give_a_small_message_quickly(tmp_path):
    """533 KB of positions naming an unknown actor among 1,000 known: was a 66 MB message."""
    data = {
        "name": "amp",
        "actors": [{"id": f"actor{i:04d}", "power": 1} for i in range(1000)],
        "issues": [{"id": "i", "scale": {"min": 0, "max": 100}}],
        "positions": [{"actor": "actor0000", "issue": "i", "position": 5, "salience": 1}]
        + [{"actor": f"ghost{k}", "issue": "i", "position": 5, "salience": 1} for k in range(6000)],
    }
    f = tmp_path / "amp.json"
    f.write_text(json.dumps(data, indent=1), encoding="utf-8")
    assert f.stat().st_size > 500_000
    t0 = time.perf_counter()
    e = _err(load_scenario, f)
    took = time.perf_counter() - t0
    msg = str(e)
    assert len(msg) < 20_000, len(msg)
    assert "and 995 more" in msg  # known ids: a few, then a count
    assert "more problems" in msg and e.n_problems >= 6000
    assert len(e.problems) <= 20
    assert took < 5.0, took


# ------------------------------------------------------------------ linear parsing
def test_twenty_thousand_issues_without_weight_parse_in_linear_time():
    """Every issue with zero salience: the error pass scanned all issues per issue (20 s)."""
    rows = "".join(f"a,i{k},{k % 100},0,1\nb,i{k},{(7 * k) % 100},0,1\n" for k in range(20000))
    t0 = time.perf_counter()
    e = _err(scenario_from_csv_text, HEAD + rows, source="wide.csv")
    assert time.perf_counter() - t0 < 8.0
    assert "no actor has a position" in str(e) and len(str(e)) < 20_000


def test_genius_domain_with_many_values_checks_duplicates_in_linear_time(tmp_path):
    n = 60_000
    items = "".join(f'<item index="{k + 1}" value="v{k}"/>' for k in range(n))
    items += f'<item index="{n + 1}" value="v0"/>'  # one duplicate at the end
    (tmp_path / "domain.xml").write_text(
        '<negotiation_template><utility_space><objective index="0" name="o">'
        f'<issue index="1" name="big" type="discrete">{items}</issue>'
        "</objective></utility_space></negotiation_template>", encoding="utf-8")
    from detente.negotiation.genius import read_genius_domain

    t0 = time.perf_counter()
    e = _err(read_genius_domain, tmp_path / "domain.xml")
    assert time.perf_counter() - t0 < 5.0
    assert "duplicate" in str(e) and "v0" in str(e)


# ------------------------------------------------------------------ regular files only
def test_dev_zero_is_refused_by_name_at_once():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    out = run_isolated(load_scenario, "/dev/zero", timeout=10)
    assert out.kind == "raised" and out.is_scenario_error, out.describe()
    assert "character device" in out.message and out.seconds < 5


def _fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_without_blocking(tmp_path):
    f = _fifo(tmp_path / "scenario.yaml")
    out = run_isolated(load_scenario, str(f), timeout=10)
    assert out.kind == "raised" and out.is_scenario_error, out.describe()
    assert "FIFO" in out.message and "scenario.yaml" in out.message


def test_cli_refuses_a_fifo_with_one_line(tmp_path):
    f = _fifo(tmp_path / "s.csv")
    done: list = []
    th = threading.Thread(target=lambda: done.append(runner.invoke(app, ["validate", str(f)])), daemon=True)
    th.start()
    th.join(10)
    assert done, "the CLI blocked on a FIFO"
    res = done[0]
    assert res.exit_code == 2 and "FIFO" in res.output and "Traceback" not in res.output


def test_stray_fifo_xml_in_a_genius_folder_is_refused_by_name(tmp_path):
    _fifo(tmp_path / "stray.xml")
    out = run_isolated(load_genius_folder, str(tmp_path), timeout=10)
    assert out.kind == "raised" and out.is_scenario_error, out.describe()
    assert "stray.xml" in out.message and "FIFO" in out.message


def test_decide_reader_refuses_a_device():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    out = run_isolated(load_decide, "/dev/zero", timeout=10)
    assert out.kind == "raised" and out.is_scenario_error and "device" in out.message, out.describe()


# ------------------------------------------------------------------ YAML line pass memory
def _big_yaml_with_one_error(n_positions: int) -> str:
    lines = ["name: big", "actors:"]
    lines += [f"  - {{id: a{k}, power: 1}}" for k in range(n_positions)]
    lines += ["issues:", "  - {id: i, scale: {min: 0, max: 100}}", "positions:"]
    lines += [f"  - {{actor: a{k}, issue: i, position: 50, salience: 0.5}}" for k in range(n_positions)]
    lines[-1] = lines[-1].replace("position: 50", "position: 500")  # the one error, last line
    return "\n".join(lines) + "\n"


def test_yaml_line_numbers_use_bounded_memory():
    """A big YAML with one error: the line pass built a node tree of the whole file (7.5 GB for
    18 MB). A 5 MB file keeps the test fast; the old pass needed about 2 GB for it."""
    from detente.scenario.load import _lazy_lines

    text = _big_yaml_with_one_error(60_000)
    assert len(text) > 5_000_000
    wanted = {("positions", 59_999, "position"), ("positions", 59_999), ("positions",)}
    out = run_isolated(lambda: _lazy_lines(text)(wanted), timeout=60, extra_memory=300 * 1024 * 1024)
    assert out.kind == "ok", out.describe()
    n_lines = text.count("\n")
    assert out.value[("positions", 59_999, "position")] == n_lines


def test_yaml_error_names_the_right_line(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(_big_yaml_with_one_error(50), encoding="utf-8")
    e = _err(load_scenario, f)
    assert f"line {f.read_text().count(chr(10))}" in str(e) and "500" in str(e)


# ------------------------------------------------------------------ strict numbers
def test_csv_refuses_underscores_in_numbers():
    e = _err(scenario_from_csv_text, HEAD + "a,tax,6_0,0.5,1\nb,tax,90,0.5,1\n", source="u.csv")
    assert "'6_0'" in str(e) and "underscore" in str(e) and "row 2" in str(e)


def test_ktab_csv_refuses_underscores_in_numbers():
    e = _err(ktab_from_text, KTAB.format(name="t", a="A", b="B").replace(",20,30,", ",6_0,30,"), source="k.csv")
    assert "'6_0'" in str(e) and "row 3" in str(e)


def test_decide_refuses_underscores_in_numbers():
    text = "#A\t'a'\t'a'\t''\n#A\t'b'\t'b'\t''\n#P\t'i'\t'i'\t'i'\n#D\t'a'\t'i'\t6_0\t0.5\t0.5\n#D\t'b'\t'i'\t90\t0.5\t0.5\n"
    e = _err(parse_decide, text, source="d.txt")
    assert "line 4" in str(e) and "position" in str(e)


def test_ktab_five_thousand_digit_seed_is_a_clear_error():
    seed = "9" * 5000
    xml = ('<?xml version="1.0"?><Scenario><name>X</name><desc>d</desc>'
           f"<prngSeed>{seed}</prngSeed><Dimensions><dName>T</dName></Dimensions><Actors>"
           "<Actor><name>A</name><description>a</description><capability>1</capability>"
           "<Position><dimension>0</dimension><position>10</position><salience>50</salience></Position></Actor>"
           "<Actor><name>B</name><description>b</description><capability>1</capability>"
           "<Position><dimension>0</dimension><position>90</position><salience>50</salience></Position></Actor>"
           "</Actors></Scenario>")
    e = _err(ktab_from_text, xml, source="seed.xml")
    assert "prngSeed" in str(e) and "5000 characters" in str(e) and len(str(e)) < 300


def test_noise_1e308_is_refused(tmp_path):
    f = tmp_path / "n.yaml"
    f.write_text("name: t\nactors: [{id: a, power: 1}, {id: b, power: 1}]\n"
                 "issues: [{id: i, scale: {min: 0, max: 100}}]\n"
                 "positions: [{actor: a, issue: i, position: 10, salience: 1}, "
                 "{actor: b, issue: i, position: 90, salience: 1}]\n"
                 "uncertainty: {noise: {position: 1e308}}\n", encoding="utf-8")
    res = runner.invoke(app, ["montecarlo", str(f), "-m", "weighted_mean", "--draws", "8"])
    assert res.exit_code == 2, res.output
    assert "noise.position" in res.output and "too large" in res.output


def test_outcome_inf_is_refused(tmp_path):
    f = tmp_path / "o.yaml"
    f.write_text("name: t\nactors: [{id: a, power: 1}, {id: b, power: 1}]\n"
                 "issues: [{id: i, scale: {min: 0, max: 100}}]\n"
                 "positions: [{actor: a, issue: i, position: 10, salience: 1}, "
                 "{actor: b, issue: i, position: 90, salience: 1}]\n"
                 "outcome: {issues: [{issue: i, value: 50, high: .inf}]}\n", encoding="utf-8")
    e = _err(load_scenario, f)
    assert "outcome" in str(e) and "inf" in str(e)


STREAM_DOCS = [
    "a: 1\nb: [1, 2.5, .inf, null, true, '3', 2024-01-02]\nc: {d: e}\n",
    "x: &A {k: [1, 2]}\ny: *A\nz: [*A, *A]\n",
    "- 1\n- - 2\n  - {a: b}\n- ~\n",
    "",
    "just a string\n",
    "k: !!str 12\nm: !!map {a: 1}\n",
]


@pytest.mark.parametrize("text", STREAM_DOCS)
def test_streaming_yaml_builds_what_pyyaml_builds(text):
    import yaml

    from detente.scenario.load import _SAFE_LOADER, _Fallback, _stream_yaml

    expected = yaml.load(text, Loader=_SAFE_LOADER)
    try:
        got = _stream_yaml(text)
    except _Fallback:
        return  # left to PyYAML by design (explicit tags)
    assert got == expected
    if "&A" in text:
        assert got["x"] is got["y"]  # anchors are shared, never expanded


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "<<: {a: 1}\nb: 2\n", "? [1, 2]\n: x\n", "a: !!python/name:os.system x\n"])
def test_streaming_yaml_refuses_or_defers_what_the_safe_loader_refuses(text):
    import yaml

    from detente.scenario.load import _Fallback, _stream_yaml

    with pytest.raises((yaml.YAMLError, _Fallback)):
        _stream_yaml(text)


def test_big_yaml_with_one_error_loads_in_bounded_memory(tmp_path):
    """End to end: a 5 MB YAML with one error, under a 250 MB cap (PyYAML's node tree alone
    takes about 65 bytes per byte: with it this load runs out of memory at 300 MB)."""
    f = tmp_path / "big.yaml"
    f.write_text(_big_yaml_with_one_error(60_000), encoding="utf-8")
    out = run_isolated(load_scenario, str(f), timeout=60, extra_memory=250 * 1024 * 1024)
    assert out.kind == "raised" and out.is_scenario_error, out.describe()
    assert "positions[59999].position" in out.message and "500" in out.message
