"""KTAB SMP files: reading CSV/XML, writing them back, and errors that name file, row/element
and field (``detente.io.ktab``, ``detente ktab`` commands)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import ScenarioError
from detente.io import load_scenario
from detente.io.ktab import (
    is_ktab_csv,
    is_ktab_xml,
    ktab_from_text,
    load_ktab,
    read_ktab,
    to_ktab_csv,
    to_ktab_xml,
)
from detente.models.ktab_smp import KtabSMP

CSV = (
    "Tiny test,\"A tiny, quoted description\",3,2,\n"
    "Actor,Description,Power,Tax,Tax Sal,Year,Year Sal,\n"
    "A-1, First actor, 10.5, 20, 30, 80.25, 40,\n"
    "B 2, Second actor, 20, 60, 50, 10, 10,\n"
    "C3, Third, 0, 100, 0, 0, 100,\n"
)
CSV_NO_FINAL_COMMA = "\n".join(line.rstrip(",") for line in CSV.splitlines()) + "\n"


def _xml(options: str = "", ia: str | None = None, coord: str = "20", extra_actor: str = "") -> str:
    if ia is None:
        ia = ("<IdealAdjustment><iaPair><adjustingIdeal>A1</adjustingIdeal>"
              "<referencePos>A1</referencePos><adjust>0.75</adjust></iaPair>"
              "<iaPair><adjustingIdeal>A1</adjustingIdeal>"
              "<referencePos>B2</referencePos><adjust>0.25</adjust></iaPair></IdealAdjustment>")
    actors = "".join(
        f"<Actor><name>{n}</name><description>d</description><capability>{c}</capability>"
        f"<Position><dCoord>{p1}</dCoord><dCoord>{p2}</dCoord></Position>"
        f"<Salience><dSal>{s1}</dSal><dSal>{s2}</dSal></Salience></Actor>"
        for n, c, p1, p2, s1, s2 in (("A1", 10, coord, 80, 30, 40), ("B2", 20, 60, 10, 50, 10),
                                     ("C3", 5, 100, 0, 20, 30))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Scenario><name>X</name><desc>x test</desc>'
        f"<prngSeed>0123</prngSeed>{options}<Dimensions><dName>Tax</dName><dName>Year</dName>"
        f"</Dimensions><Actors>{actors}{extra_actor}</Actors>{ia}</Scenario>"
    )


# ------------------------------------------------------------------ reading
def test_read_csv_values():
    inp = ktab_from_text(CSV, source="tiny.csv")
    sc = inp.scenario
    assert inp.format == "csv" and inp.options == {}
    assert [a.id for a in sc.actors] == ["A-1", "B_2", "C3"]
    assert [a.name for a in sc.actors] == ["A-1", "B 2", "C3"]
    assert [i.id for i in sc.issues] == ["Tax", "Year"]
    a = sc.arrays()
    np.testing.assert_array_equal(a.position, [[20, 80.25], [60, 10], [100, 0]])
    np.testing.assert_array_equal(a.salience, [[0.3, 0.4], [0.5, 0.1], [0.0, 1.0]])
    np.testing.assert_array_equal(a.power, [10.5, 20, 0])
    assert (a.scale_min == 0).all() and (a.scale_max == 100).all()
    assert sc.title == "Tiny test" and sc.description == "A tiny, quoted description"


def test_no_final_comma_reads_the_same():
    a = ktab_from_text(CSV, source="a.csv").scenario
    b = ktab_from_text(CSV_NO_FINAL_COMMA, source="b.csv").scenario
    assert a == b


def test_detection():
    assert is_ktab_csv(CSV) and is_ktab_csv(CSV_NO_FINAL_COMMA)
    assert not is_ktab_csv("actor,issue,position,salience,power\nx,y,1,0.5,2\n")
    assert not is_ktab_csv("actor,capability,position,salience\n")
    assert is_ktab_xml(_xml()) and not is_ktab_xml(CSV)


def test_read_xml_options_seed_and_accommodation():
    opts = ("<ModelParameters><VotingRule>Cubic</VotingRule><PCEModel>MarkovUniform</PCEModel>"
            "</ModelParameters>")
    inp = ktab_from_text(_xml(opts), source="x.xml")
    assert inp.format == "xml" and inp.seed == 123
    assert inp.options["voting_rule"] == "Cubic" and inp.options["pce_model"] == "MarkovUniform"
    assert inp.options["accommodation"] == (("A1", "A1", 0.75), ("A1", "B2", 0.25))
    m = KtabSMP.from_ktab(inp)
    assert isinstance(m, KtabSMP) and m.voting_rule == "Cubic"
    np.testing.assert_array_equal(m.accommodation_matrix(inp.scenario.actor_ids),
                                  [[0.75, 0.25, 0], [0, 1, 0], [0, 0, 1]])


def test_xml_without_ideal_adjustment_is_identity():
    """KTAB at c57b72a rejects it; detente reads it as the identity (documented)."""
    inp = ktab_from_text(_xml(ia=""), source="x.xml")
    assert "accommodation" not in inp.options


def test_files_on_disk(tmp_path):
    p = tmp_path / "tiny.csv"
    p.write_text(CSV)
    assert load_ktab(p) == read_ktab(p).scenario
    q = tmp_path / "tiny.xml"
    q.write_bytes(b"\xef\xbb\xbf" + _xml().encode())  # with a BOM, as KTAB ships some files
    assert read_ktab(q).format == "xml"


# ------------------------------------------------------------------ writing
def test_csv_round_trip():
    sc = ktab_from_text(CSV, source="t.csv").scenario
    back = ktab_from_text(to_ktab_csv(sc), source="back.csv").scenario
    a, b = sc.arrays(), back.arrays()
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)
    np.testing.assert_array_equal(a.power, b.power)
    assert [x.name for x in sc.actors] == [x.name for x in back.actors]


def test_xml_round_trip_keeps_options():
    inp = ktab_from_text(_xml("<ModelParameters><BigRRange>Max</BigRRange></ModelParameters>"), source="x.xml")
    text = to_ktab_xml(inp.scenario, model=KtabSMP.from_ktab(inp), seed=inp.seed)
    back = ktab_from_text(text, source="back.xml")
    assert back.options == {**{k: getattr(KtabSMP.from_ktab(inp), k) for k in back.options if k != "accommodation"},
                            "accommodation": (("A1", "A1", 0.75), ("A1", "B2", 0.25))}
    assert KtabSMP.from_ktab(back) == KtabSMP.from_ktab(inp)
    assert back.seed == 123
    np.testing.assert_array_equal(back.scenario.arrays().position, inp.scenario.arrays().position)


def test_detente_scenario_to_ktab_runs_the_same():
    """Alaska (scales 0-100, saliences summing above 1) written as KTAB CSV and read back gives
    the same SMP forecast: the writer applies the model's own conversion."""
    sc = load_scenario("alaska-2025")
    back = ktab_from_text(to_ktab_csv(sc), source="alaska.csv").scenario
    f, g = KtabSMP().forecast(sc), KtabSMP().forecast(back)
    np.testing.assert_allclose(f.outcome, g.outcome, atol=1e-9)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("text", "location", "field", "fragment"),
    [
        (CSV.replace(",Year Sal,", ","), "row 2", "columns", "columns"),  # a missing column
        (CSV.replace("80.25", "eighty"), "row 3", "Year", "not a number"),
        (CSV.replace("10.5", "-1"), "row 3", "Power", "outside"),
        (CSV.replace(" 10, 10,", " 10,"), "row 4", "numDims", "dimension count"),
        (CSV.replace(" 60, 50,", " 60, 150,"), "row 4", "Tax Sal", "outside"),
        (CSV.replace(" 60, 50,", " 60, 95,"), "row 4", "salience", "sum"),
        (CSV.replace(",3,2,", ",2,2,"), "row 1", "numActors", "[3, 250]"),
        (CSV.replace(",3,2,", ",x,2,"), "row 1", "numActors", "not an integer"),
        (CSV.replace("C3, Third", "C3456789012345678901234567, Third"), "row 5", "name", "characters"),
        (CSV + "D4, extra, 1, 1, 1, 1, 1,\n", "row 6", "numActors", "extra row"),
    ],
)
def test_csv_errors_name_row_and_field(text, location, field, fragment):
    with pytest.raises(ScenarioError) as e:
        ktab_from_text(text, source="bad.csv", fmt="csv")
    err = e.value
    assert err.source == "bad.csv" and err.location == location and err.field == field
    assert fragment in str(err) and "bad.csv" in str(err)


@pytest.mark.parametrize(
    ("text", "location", "field", "fragment"),
    [
        (_xml("<ModelParameters><VotingRule>Majority</VotingRule></ModelParameters>"),
         "element <ModelParameters>/<VotingRule>", "VotingRule", "not one of"),
        (_xml("<ModelParameters><Speed>Fast</Speed></ModelParameters>"),
         "element <ModelParameters>/<Speed>", "Speed", "unknown model parameter"),
        (_xml(coord=""), "element <Actors>/<Actor>[1]/<Position>/<dCoord>[1]", "dCoord", "empty"),
        (_xml(coord="abc"), "element <Actors>/<Actor>[1]/<Position>/<dCoord>[1]", "dCoord", "not a number"),
        (_xml(extra_actor="<Actor><name>D</name><capability>1</capability><Position><dCoord>1</dCoord>"
                          "</Position><Salience><dSal>1</dSal><dSal>1</dSal></Salience></Actor>"),
         "element <Actors>/<Actor>[4]/<Position>", "dCoord", "dimension count"),
        (_xml(extra_actor="<Actor><name>D</name><capability>-3</capability></Actor>"),
         "element <Actors>/<Actor>[4]", "capability", "outside"),
        (_xml(ia="<IdealAdjustment><iaPair><adjustingIdeal>Q</adjustingIdeal><referencePos>B2</referencePos>"
                 "<adjust>0.5</adjust></iaPair></IdealAdjustment>"),
         "element <IdealAdjustment>/<iaPair>[1]", "adjustingIdeal", "unknown actor"),
        (_xml(ia="<IdealAdjustment><iaPair><adjustingIdeal>A1</adjustingIdeal><referencePos>B2</referencePos>"
                 "<adjust>0.5</adjust></iaPair></IdealAdjustment>"),
         "element <IdealAdjustment>", "adjust", "sum to 1.5"),
        (_xml().replace("<prngSeed>0123</prngSeed>", "<prngSeed>-5</prngSeed>"),
         "element <Scenario>/<prngSeed>", "prngSeed", "unsigned"),
        (_xml().replace("</Scenario>", ""), "", "", "malformed XML"),
    ],
)
def test_xml_errors_name_element_and_field(text, location, field, fragment):
    with pytest.raises(ScenarioError) as e:
        ktab_from_text(text, source="bad.xml", fmt="xml")
    err = e.value
    assert err.source == "bad.xml" and err.field == field
    assert err.location.startswith(location) if location else True
    assert fragment in str(err)


def test_xml_entities_are_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><Scenario><name>&a;</name>'
            "</Scenario>")
    with pytest.raises(ScenarioError, match="refused|malformed"):
        ktab_from_text(bomb, source="bomb.xml", fmt="xml")


# ------------------------------------------------------------------ CLI
runner = CliRunner()


def test_cli_convert_both_ways(tmp_path):
    src = tmp_path / "tiny.csv"
    src.write_text(CSV)
    out = tmp_path / "tiny.yaml"
    r = runner.invoke(app, ["ktab", "convert", str(src), "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert load_scenario(out).arrays().position.tolist() == [[20, 80.25], [60, 10], [100, 0]]
    back = tmp_path / "back.xml"
    r = runner.invoke(app, ["ktab", "convert", str(out), "-o", str(back)])
    assert r.exit_code == 0, r.output
    assert read_ktab(back).scenario.arrays().power.tolist() == [10.5, 20, 0]


def test_cli_errors_write_nothing(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text(CSV.replace("80.25", "eighty"))
    out = tmp_path / "out.yaml"
    r = runner.invoke(app, ["ktab", "convert", str(src), "--output", str(out)])
    assert r.exit_code == 2
    assert "bad.csv" in r.output and "row 3" in r.output and "Year" in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_cli_run_uses_file_options(tmp_path):
    src = tmp_path / "x.xml"
    src.write_text(_xml("<ModelParameters><InterVecBrgn>S2PMax</InterVecBrgn></ModelParameters>"))
    r = runner.invoke(app, ["ktab", "run", str(src), "--table", "positions", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "turn,actor,issue,position"
    inp = read_ktab(src)
    want = KtabSMP.from_ktab(inp).forecast(inp.scenario).to_frame("positions")
    assert len(r.output.strip().splitlines()) == len(want) + 1
    r = runner.invoke(app, ["ktab", "run", str(src), "-p", "voting_rule=Nope"])
    assert r.exit_code == 2 and "voting_rule" in r.output
