"""Regenerate the malformed-input corpus in this folder (and ``manifest.yaml``).

Run ``python tests/bad_inputs/make_corpus.py``. Each entry: file name, bytes, the reader that
must refuse it with a ScenarioError, and substrings the message must contain (the field, the
row/line/element, the value). Files that cannot be typed by hand (BOMs, Latin-1, NUL bytes,
UTF-16) are why this is a script. ``_good/`` holds valid GENIUS files that the bad ones are
paired with to form a folder.
"""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).parent

# ---------------------------------------------------------------- base texts (valid)
YAML_OK = """\
name: tiny
actors:
  - {id: a, power: 1}
  - {id: b, power: 2}
issues:
  - id: tax
    scale: {min: 0, max: 100}
positions:
  - {actor: a, issue: tax, position: 10, salience: 0.5}
  - {actor: b, issue: tax, position: 90, salience: 0.7}
"""

JSON_OK = """\
{"name": "tiny",
 "actors": [{"id": "a", "power": 1}, {"id": "b", "power": 2}],
 "issues": [{"id": "tax", "scale": {"min": 0, "max": 100}}],
 "positions": [
  {"actor": "a", "issue": "tax", "position": 10, "salience": 0.5},
  {"actor": "b", "issue": "tax", "position": POS, "salience": 0.7}]}
"""

CSV_HEAD = "actor,issue,position,salience,power\n"
CSV_OK = CSV_HEAD + "a,tax,10,0.5,1\nb,tax,90,0.7,2\n"
LIT_HEAD = "actor,capability,position,salience\n"

KTAB_HEAD = "Tiny,tiny scenario,3,2,\nActor,Description,Power,Pstn1,Sal1,Pstn2,Sal2,\n"
KTAB_ROWS = ["A,first,10,20,30,40,50,", "B,second,20,60,40,30,20,", "C,third,30,90,10,10,10,"]


def ktab_csv(rows=KTAB_ROWS, head=KTAB_HEAD) -> str:
    return head + "\n".join(rows) + "\n"


def ktab_xml(actors=None, extra: str = "", seed: str = "42", prolog: str = "", root: str = "Scenario",
             ia: str | None = None) -> str:
    actors = actors if actors is not None else [("A", "10", ["20", "40"], ["30", "50"]),
                                                ("B", "20", ["60", "30"], ["40", "20"]),
                                                ("C", "30", ["90", "10"], ["10", "10"])]
    body = []
    for name, cap, pos, sal in actors:
        body.append(
            f"    <Actor><name>{name}</name><description>d</description><capability>{cap}</capability>"
            f"<Position>{''.join(f'<dCoord>{p}</dCoord>' for p in pos)}</Position>"
            f"<Salience>{''.join(f'<dSal>{s}</dSal>' for s in sal)}</Salience></Actor>")
    ia = ia if ia is not None else ""
    return (f'{prolog}<?xml version="1.0" encoding="UTF-8"?>\n' if not prolog.startswith("<?xml") else prolog) + (
        f"<{root}>\n  <name>Tiny</name>\n  <desc>tiny</desc>\n  <prngSeed>{seed}</prngSeed>\n{extra}"
        "  <Dimensions><dName>Pstn1</dName><dName>Pstn2</dName></Dimensions>\n  <Actors>\n"
        + "\n".join(body) + f"\n  </Actors>\n{ia}</{root}>\n")


DECIDE_OK = [
    "'#A'\t'A'\t'Actor A'\t''",
    "'#A'\t'B'\t'Actor B'\t''",
    "'#P'\t'tax'\t'tax rate'",
    "'#M'\t'tax'\t0\t'low'",
    "'#M'\t'tax'\t100\t'high'",
    "'#D'\t'A'\t'tax'\t10\t50\t40\t''",
    "'#D'\t'B'\t'tax'\t90\t60\t40\t''",
]


def decide(lines) -> str:
    return "\n".join(lines) + "\n"


GENIUS_DOMAIN_HEAD = '<negotiation_template>\n<utility_space number_of_issues="2">\n<objective index="0" etype="objective" type="objective" name="root">\n'
GENIUS_DOMAIN_OK = GENIUS_DOMAIN_HEAD + """\
<issue index="1" etype="discrete" type="discrete" vtype="discrete" name="Price">
  <item index="1" value="low"></item><item index="2" value="high"></item>
</issue>
<issue index="2" etype="discrete" type="discrete" vtype="discrete" name="Colour">
  <item index="1" value="red"></item><item index="2" value="blue"></item>
</issue>
</objective>
</utility_space>
</negotiation_template>
"""


def genius_profile(price=("1", "0"), colour=("0.5", "1"), weights=("0.6", "0.4"), tail="",
                   root="utility_space", price_values=("low", "high")) -> str:
    return (f'<{root}>\n<objective index="0" etype="objective" type="objective" name="root">\n'
            f'<issue index="1" etype="discrete" type="discrete" vtype="discrete" name="Price">\n'
            f'  <item index="1" value="{price_values[0]}" evaluation="{price[0]}"></item>'
            f'<item index="2" value="{price_values[1]}" evaluation="{price[1]}"></item>\n</issue>\n'
            f'<issue index="2" etype="discrete" type="discrete" vtype="discrete" name="Colour">\n'
            f'  <item index="1" value="red" evaluation="{colour[0]}"></item>'
            f'<item index="2" value="blue" evaluation="{colour[1]}"></item>\n</issue>\n'
            + "".join(f'<weight index="{k + 1}" value="{w}"></weight>\n' for k, w in enumerate(weights) if w is not None)
            + f"</objective>\n{tail}</{root}>\n")


DEU_META = "prnrnmc;isnrnmc;prnr;prname;isnr;type;council;proc;counvte;proccde;issues;intro;finact"
DEU_ACT = ["com", "ep", "fr", "de", "uk"]
DEU_HEAD = DEU_META + ";" + ";".join(f"p{a}" for a in DEU_ACT) + ";" + ";".join(f"s{a}" for a in DEU_ACT) + ";rp;out"


def deu_row(prnr="x01", isnr="x01i1", pos=("100", "80", "40", "0", "60"), sal=("90", "70", "50", "80", "40"),
            rp="0", out="50") -> str:
    return ";".join(["1", "1", prnr, "alpha", isnr, "Dir", "Env", "COD", "", "", "1", "15-03-01", "20-06-02",
                     *pos, *sal, rp, out])


DEU_ISSUES_HEAD = "issue_id,proposal_id,scale_min,scale_max,reference_point,outcome\n"

# XML attacks -------------------------------------------------------------------------------
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
"""
XXE_PARAM = """<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext; ]>
"""

# ---------------------------------------------------------------- the corpus
CORPUS: list[tuple[str, bytes | str, str, list[str]]] = []


def add(name: str, content: bytes | str, reader: str, expect: list[str], **extra) -> None:
    CORPUS.append((name, content, reader, expect, extra))


# scenario YAML
add("yaml_python_object_apply.yaml", "name: !!python/object/apply:os.system ['touch detente_pwned']\n" + YAML_OK.split("\n", 1)[1],
    "scenario", ["python/object/apply", "line 1"])
add("yaml_python_name_tag.yaml", YAML_OK.replace("power: 1}", "power: !!python/name:os.system }"), "scenario", ["python/name"])
add("yaml_python_module_tag.yaml", "!!python/module:os\n", "scenario", ["python/module"])
add("yaml_truncated.yaml", YAML_OK[: YAML_OK.index("position: 90") + 5], "scenario", ["malformed YAML", "line"])
add("yaml_empty.yaml", b"", "scenario", ["empty"])
add("yaml_whitespace_only.yaml", "   \n\n\t\n", "scenario", ["empty"])
add("yaml_nan_salience.yaml", YAML_OK.replace("salience: 0.7", "salience: .nan"), "scenario", ["salience", "nan", "line 10"])
add("yaml_inf_power.yaml", YAML_OK.replace("power: 2", "power: .inf"), "scenario", ["power", "inf", "actors[1]"])
add("yaml_huge_float.yaml", YAML_OK.replace("position: 90", "position: 1.0e+999"), "scenario", ["position", "inf"])
add("yaml_huge_int.yaml", YAML_OK.replace("power: 2", "power: " + "9" * 400), "scenario", ["power", "actors[1]"])
add("yaml_duplicate_actor_id.yaml", YAML_OK.replace("{id: b, power: 2}", "{id: a, power: 2}").replace("actor: b", "actor: a"),
    "scenario", ["duplicate actor id 'a'", "actors[1]"])
add("yaml_unknown_actor_ref.yaml", YAML_OK.replace("actor: b", "actor: zz"), "scenario", ["unknown actor id 'zz'", "positions[1]", "actor"])
add("yaml_unknown_issue_ref.yaml", YAML_OK.replace("actor: b, issue: tax", "actor: b, issue: vat"), "scenario", ["unknown issue id 'vat'", "issue"])
add("yaml_rich_markup_in_value.yaml", YAML_OK.replace("actor: b", 'actor: "[/bold]"'), "scenario", ["unknown actor id '[/bold]'", "positions[1]"])
add("yaml_salience_out_of_range.yaml", YAML_OK.replace("salience: 0.7", "salience: 1.4"), "scenario", ["salience", "1.4", "[0, 1]", "line 10"])
add("yaml_top_level_list.yaml", "- a\n- b\n", "scenario", ["top level must be a mapping", "list"])
add("yaml_top_level_scalar.yaml", "just a sentence\n", "scenario", ["top level must be a mapping", "str"])
add("yaml_alias_bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 10)}]\n" for k in range(8)) + YAML_OK.replace("name: tiny\n", "name: *i\n"),
    "scenario", ["name"])
add("yaml_alias_bomb_in_list.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 10)}]\n" for k in range(8)).replace("a: &a", "notes: &a").replace("*a", "*a") + YAML_OK,
    "scenario", ["not a known field"])
add("yaml_deep_nesting.yaml", "name: " + "[" * 20000 + "]" * 20000 + "\n", "scenario", ["malformed YAML", "nest"])
add("yaml_tab_indent.yaml", YAML_OK.replace("  - {id: a", "\t- {id: a"), "scenario", ["malformed YAML", "line 3"])
add("yaml_latin1.yaml", YAML_OK.replace("name: tiny", "title: Caf\xe9 talks\nname: tiny").encode("latin-1"), "scenario", ["UTF-8", "offset"])
add("yaml_utf16le_no_bom.yaml", YAML_OK.encode("utf-16-le"), "scenario", ["NUL"])
add("yaml_bom_bad_salience.yaml", b"\xef\xbb\xbf" + YAML_OK.replace("salience: 0.5", "salience: high").encode(), "scenario", ["salience", "high", "line 9"])
add("yaml_scale_reversed.yaml", YAML_OK.replace("{min: 0, max: 100}", "{min: 100, max: 0}"), "scenario", ["scale", "max must be greater than min"])
add("yaml_status_quo_outside.yaml", YAML_OK.replace("    scale: {min: 0, max: 100}", "    scale: {min: 0, max: 100}\n    status_quo: 250"), "scenario", ["status_quo", "250"])
add("yaml_unknown_field.yaml", YAML_OK.replace("{id: a, power: 1}", "{id: a, power: 1, colour: red}"), "scenario", ["actors[0].colour", "red"])
add("yaml_missing_positions.yaml", YAML_OK.split("positions:")[0], "scenario", ["positions", "required"])
add("yaml_zero_power.yaml", YAML_OK.replace("power: 1}", "power: 0}").replace("power: 2}", "power: 0}"), "scenario", ["power is zero for every actor"])
add("yaml_path_as_id.yaml", YAML_OK.replace("{id: a, power: 1}", "{id: ../../etc/passwd, power: 1}"), "scenario", ["id", "../../etc/passwd"])
add("yaml_id_too_long.yaml", YAML_OK.replace("- id: tax", "- id: " + "t" * 150), "scenario", ["issues[0]", "id"])
add("yaml_position_outside_scale.yaml", YAML_OK.replace("position: 90", "position: 190"), "scenario", ["position", "190", "outside"])
# scenario JSON
add("json_truncated.json", JSON_OK.replace("POS", "90")[:-20], "scenario", ["malformed JSON", "line"])
add("json_nan.json", JSON_OK.replace("POS", "NaN"), "scenario", ["NaN is not allowed"])
add("json_infinity.json", JSON_OK.replace("POS", "-Infinity"), "scenario", ["Infinity is not allowed"])
add("json_huge_exponent.json", JSON_OK.replace("POS", "1e999"), "scenario", ["position", "inf", "line 6"])
add("json_huge_int.json", JSON_OK.replace("POS", "9" * 5000), "scenario", ["digits"])
add("json_deep_nesting.json", JSON_OK.replace('"tiny"', "[" * 100000 + "]" * 100000).replace("POS", "90"), "scenario", ["nested too deeply"])
add("json_top_level_array.json", "[1, 2, 3]\n", "scenario", ["top level must be a mapping"])
add("json_string_power.json", JSON_OK.replace('"power": 2', '"power": "ten"').replace("POS", "90"), "scenario", ["power", "ten", "line 2"])
add("json_utf16_bom_truncated.json", JSON_OK.replace("POS", "90")[:60].encode("utf-16"), "scenario", ["malformed JSON"])
add("json_duplicate_position.json", JSON_OK.replace('"actor": "b"', '"actor": "a"').replace("POS", "90"), "scenario", ["duplicate position", "positions[1]"])
# scenario CSV (flat)
add("csv_missing_column.csv", "actor,issue,position,power\na,tax,10,1\nb,tax,90,2\n", "scenario", ["missing column", "salience", "row 1"])
add("csv_unknown_column.csv", "actor,issue,position,salience,power,mood\na,tax,10,0.5,1,ok\nb,tax,90,0.7,2,ok\n", "scenario", ["unknown column", "mood"])
add("csv_ragged_row.csv", CSV_OK + "c,tax,50\n", "scenario", ["row 4", "3 cells"])
add("csv_nan_position.csv", CSV_HEAD + "a,tax,nan,0.5,1\nb,tax,90,0.7,2\n", "scenario", ["row 2", "position", "nan", "finite"])
add("csv_inf_power.csv", CSV_HEAD + "a,tax,10,0.5,1\nb,tax,90,0.7,-inf\n", "scenario", ["row 3", "power", "-inf"])
add("csv_huge_number.csv", CSV_HEAD + "a,tax,10,0.5,1e400\nb,tax,90,0.7,2\n", "scenario", ["row 2", "power", "1e400"])
add("csv_empty_cell.csv", CSV_HEAD + "a,tax,,0.5,1\nb,tax,90,0.7,2\n", "scenario", ["row 2", "position", "empty"])
add("csv_duplicate_header.csv", "actor,issue,position,salience,power,power\na,tax,10,0.5,1,1\n", "scenario", ["duplicate column", "power"])
add("csv_header_only.csv", CSV_HEAD, "scenario", ["no data rows"])
add("csv_conflicting_power.csv", CSV_OK + "a,vat,20,0.5,5\n", "scenario", ["row 4", "power", "differs"])
add("csv_bad_bool.csv", "actor,issue,position,salience,power,veto\na,tax,10,0.5,1,maybe\nb,tax,90,0.7,2,no\n", "scenario", ["row 2", "veto", "maybe"])
add("csv_latin1.csv", (CSV_HEAD + "Andr\xe9,tax,10,0.5,1\nb,tax,90,0.7,2\n").encode("latin-1"), "scenario", ["UTF-8"])
add("csv_nul_bytes.csv", (CSV_OK + "c,tax,5\x000,0.1,1\n").encode(), "scenario", ["NUL"])
add("csv_unterminated_quote.csv", CSV_HEAD + 'a,tax,10,0.5,1\n"b,tax,90,0.7,2\n', "scenario", ["row 3"])
add("csv_field_too_large.csv", CSV_HEAD + "a,tax,10,0.5,1\nb,\"" + "x" * 200_000 + "\",90,0.7,2\n", "scenario", ["field larger than field limit"])
add("csv_salience_out_of_range.csv", CSV_HEAD + "a,tax,10,5,1\nb,tax,90,0.7,2\n", "scenario", ["row 2", "salience", "[0, 1]"])
add("csv_position_outside_scale.csv", "actor,issue,position,salience,power,scale_min,scale_max\na,tax,10,0.5,1,0,100\nb,tax,190,0.7,2,0,100\n",
    "scenario", ["row 3", "position", "190"])
add("csv_duplicate_pair.csv", CSV_OK + "a,tax,50,0.5,1\n", "scenario", ["row 4", "duplicate position"])
add("csv_issue_only_bad_rows.csv", CSV_HEAD + "a,tax,x,0.5,1\nb,vat,10,0.5,1\n", "scenario", ["row 2", "position", "'x'"])
# the literature's single-issue CSV
add("lit_duplicate_actor.csv", LIT_HEAD + "A,80,25,0.5\nB,90,15,0.8\nA,85,15,0.8\n", "scenario", ["row 4", "actor", "appears twice"])
add("lit_negative_capability.csv", LIT_HEAD + "A,-80,25,0.5\nB,90,15,0.8\n", "scenario", ["row 2", "capability", "negative"])
add("lit_text_salience.csv", LIT_HEAD + "A,80,25,high\nB,90,15,0.8\n", "scenario", ["row 2", "salience", "high"])
add("lit_all_zero_salience.csv", LIT_HEAD + "A,80,25,0\nB,90,15,0\n", "scenario", ["no actor has a position with power x salience > 0"])
add("lit_semicolon_excel.csv", "actor;capability;position;salience\nA;80;25;0,5\nB;90;15;0,8\n", "scenario", ["missing column", "row 1"])
# KTAB CSV
add("ktab_numactors_mismatch.csv", ktab_csv(head=KTAB_HEAD.replace(",3,2,", ",4,2,")), "ktab", ["numActors", "4", "3 actor rows"])
add("ktab_numactors_not_int.csv", ktab_csv(head=KTAB_HEAD.replace(",3,2,", ",3.5,2,")), "ktab", ["numActors", "3.5", "row 1"])
add("ktab_salience_sum.csv", ktab_csv(rows=[KTAB_ROWS[0], "B,second,20,60,80,30,70,", KTAB_ROWS[2]]), "ktab", ["row 4", "salience", "150"])
add("ktab_position_over_100.csv", ktab_csv(rows=[KTAB_ROWS[0], KTAB_ROWS[1], "C,third,30,190,10,10,10,"]), "ktab", ["row 5", "Pstn1", "190"])
add("ktab_name_too_long.csv", ktab_csv(rows=["A" * 40 + ",first,10,20,30,40,50,", *KTAB_ROWS[1:]]), "ktab", ["row 3", "name", "40"])
add("ktab_capability_nan.csv", ktab_csv(rows=["A,first,NaN,20,30,40,50,", *KTAB_ROWS[1:]]), "ktab", ["row 3", "Power", "NaN"])
add("ktab_dims_mismatch.csv", ktab_csv(rows=[KTAB_ROWS[0], "B,second,20,60,40,", KTAB_ROWS[2]]), "ktab", ["row 4", "numDims"])
add("ktab_too_few_actors.csv", ktab_csv(rows=KTAB_ROWS[:2], head=KTAB_HEAD.replace(",3,2,", ",2,2,")), "ktab", ["numActors", "[3, 250]"])
add("ktab_truncated.csv", KTAB_HEAD.splitlines()[0] + "\n", "ktab", ["header row is missing", "row 2"])
add("ktab_huge_capability.csv", ktab_csv(rows=["A,first,1e300,20,30,40,50,", *KTAB_ROWS[1:]]), "ktab", ["row 3", "Power", "1e+300"])
# KTAB XML
add("ktab_billion_laughs.xml", LAUGHS + ktab_xml().split("\n", 1)[1].replace("<name>Tiny</name>", "<name>&lol9;</name>"), "ktab", ["refused XML", "Entit"])
add("ktab_external_entity.xml", XXE + ktab_xml().split("\n", 1)[1].replace("<name>Tiny</name>", "<name>&xxe;</name>"), "ktab", ["refused XML"])
add("ktab_external_param_entity.xml", XXE_PARAM + ktab_xml().split("\n", 1)[1], "ktab", ["refused XML"])
add("ktab_xml_truncated.xml", ktab_xml()[:300], "ktab", ["malformed XML", "line"])
add("ktab_xml_wrong_root.xml", ktab_xml(root="Scenery"), "ktab", ["<Scenario>", "Scenery"])
add("ktab_xml_unknown_ia_actor.xml", ktab_xml(ia="  <IdealAdjustment><iaPair><adjustingIdeal>A</adjustingIdeal><referencePos>Q</referencePos><adjust>0.5</adjust></iaPair></IdealAdjustment>\n"),
    "ktab", ["unknown actor 'Q'", "<iaPair>[1]", "referencePos"])
add("ktab_xml_dcoord_count.xml", ktab_xml(actors=[("A", "10", ["20"], ["30", "50"]), ("B", "20", ["60", "30"], ["40", "20"]), ("C", "30", ["90", "10"], ["10", "10"])]),
    "ktab", ["<Actor>[1]", "dCoord", "1 <dCoord>"])
add("ktab_xml_bad_model_param.xml", ktab_xml(extra="  <ModelParameters><VictoryProbModel>Cubic</VictoryProbModel></ModelParameters>\n"),
    "ktab", ["VictoryProbModel", "Cubic"])
add("ktab_xml_negative_seed.xml", ktab_xml(seed="-5"), "ktab", ["prngSeed", "-5"])
add("ktab_xml_inf_capability.xml", ktab_xml(actors=[("A", "INF", ["20", "40"], ["30", "50"]), ("B", "20", ["60", "30"], ["40", "20"]), ("C", "30", ["90", "10"], ["10", "10"])]),
    "ktab", ["<Actor>[1]", "capability", "INF"])
add("ktab_xml_latin1.xml", ktab_xml().replace("<desc>tiny</desc>", "<desc>Caf\xe9</desc>").encode("latin-1"), "ktab", ["UTF-8"])
# Decide TSV
add("decide_unknown_record.txt", decide(DECIDE_OK[:2] + ["'#Q'\t'x'"] + DECIDE_OK[2:]), "decide", ["line 3", "unknown record type", "#Q"])
add("decide_unknown_actor.txt", decide(DECIDE_OK[:-1] + ["'#D'\t'Z'\t'tax'\t90\t60\t40\t''"]), "decide", ["line 7", "actor", "'Z'"])
add("decide_duplicate_actor.txt", decide(DECIDE_OK[:2] + ["'#A'\t'A'\t'again'\t''"] + DECIDE_OK[2:]), "decide", ["line 3", "'A'", "defined twice"])
add("decide_salience_over_100.txt", decide(DECIDE_OK[:-1] + ["'#D'\t'B'\t'tax'\t90\t160\t40\t''"]), "decide", ["line 7", "salience", "160"])
add("decide_nan_position.txt", decide(DECIDE_OK[:-1] + ["'#D'\t'B'\t'tax'\tNaN\t60\t40\t''"]), "decide", ["line 7", "position", "NaN"])
add("decide_huge_exponent.txt", decide(DECIDE_OK[:3] + ["'#D'\t'A'\t'tax'\t10\t0.5\t40\t''", "'#D'\t'B'\t'tax'\t1E+999999999\t0.6\t40\t''"]), "decide", ["line 5", "position", "inf"])
add("decide_duplicate_pair.txt", decide(DECIDE_OK + ["'#D'\t'B'\t'tax'\t80\t60\t40\t''"]), "decide", ["line 8", "second #D row"])
add("decide_position_outside_marks.txt", decide(DECIDE_OK[:-1] + ["'#D'\t'B'\t'tax'\t190\t60\t40\t''"]), "decide", ["line 7", "position", "190"])
add("decide_too_few_fields.txt", decide(DECIDE_OK[:-1] + ["'#D'\t'B'\t'tax'\t90"]), "decide", ["line 7", "got 3 fields"])
add("decide_power_differs.txt", decide(DECIDE_OK[:5] + ["'#P'\t'vat'\t'vat'", *DECIDE_OK[5:], "'#D'\t'A'\t'vat'\t10\t0.5\t70\t''"]).replace("\t50\t", "\t0.5\t").replace("\t60\t", "\t0.6\t"),
    "decide", ["line 9", "power", "70"])
add("decide_salience_above_1.txt", decide(DECIDE_OK), "decide", ["line 6", "salience", "50", "above 1"])
add("decide_latin1.txt", decide(DECIDE_OK).replace("Actor A", "Acteur \xe9").encode("latin-1"), "decide", ["UTF-8"])
add("decide_only_comments.txt", "'#/'\t'nothing here'\n'#O'\t'an empty data set'\n", "decide", ["no #A", "no #P"])
# GENIUS XML
add("genius_domain_billion_laughs.xml", LAUGHS + GENIUS_DOMAIN_OK.replace('name="Price"', 'name="&lol9;"'), "genius_domain", ["forbidden XML", "Entit"])
add("genius_domain_external_entity.xml", XXE + GENIUS_DOMAIN_OK.replace('name="Price"', 'name="&xxe;"'), "genius_domain", ["forbidden XML"])
add("genius_domain_truncated.xml", GENIUS_DOMAIN_OK[:250], "genius_domain", ["malformed XML", "line"])
add("genius_domain_duplicate_index.xml", GENIUS_DOMAIN_OK.replace('index="2" etype="discrete"', 'index="1" etype="discrete"'), "genius_domain", ["duplicate issue index 1", "Colour", "index"])
add("genius_domain_no_items.xml", GENIUS_DOMAIN_HEAD + '<issue index="1" etype="discrete" name="Price"></issue>\n</objective></utility_space></negotiation_template>\n',
    "genius_domain", ["at least one <item>", "Price"])
add("genius_domain_huge_integer_range.xml", GENIUS_DOMAIN_HEAD + '<issue index="1" etype="integer" name="Units" lowerbound="0" upperbound="999999999999"></issue>\n</objective></utility_space></negotiation_template>\n',
    "genius_domain", ["Units", "upperbound", "1000000000000 values"])
add("genius_domain_real_issue.xml", GENIUS_DOMAIN_HEAD + '<issue index="1" etype="real" name="Price"><range lowerbound="0" upperbound="1"/></issue>\n</objective></utility_space></negotiation_template>\n',
    "genius_domain", ["'real'", "etype", "Price"])
add("genius_domain_wrong_root.xml", GENIUS_DOMAIN_OK.replace("negotiation_template", "negotiation_templ"), "genius_domain", ["root element", "negotiation_templ"])
add("genius_profile_weights_sum.xml", genius_profile(weights=("0.6", "0.6")), "genius_profile", ["weight", "sum to 1", "1.2"], domain="_good/domain.xml")
add("genius_profile_unknown_value.xml", genius_profile(price_values=("low", "medium")), "genius_profile", ["'medium'", "Price", "value"], domain="_good/domain.xml")
add("genius_profile_negative_eval.xml", genius_profile(price=("1", "-3")), "genius_profile", ["evaluation", "-3", "Price"], domain="_good/domain.xml")
add("genius_profile_nan_weight.xml", genius_profile(weights=("nan", "0.4")), "genius_profile", ["<weight>[1]", "value", "nan"], domain="_good/domain.xml")
add("genius_profile_missing_weight.xml", genius_profile(weights=("0.6", None)), "genius_profile", ["weight", "Colour"], domain="_good/domain.xml")
add("genius_profile_discount_zero.xml", genius_profile(tail='<discount_factor value="0"/>\n'), "genius_profile", ["discount_factor", "(0, 1]"], domain="_good/domain.xml")
add("genius_profile_wrong_root.xml", genius_profile(root="negotiation_template"), "genius_profile", ["<utility_space>", "negotiation_template"], domain="_good/domain.xml")
add("genius_profile_latin1.xml", genius_profile().replace('name="root"', 'name="caf\xe9"').encode("latin-1"), "genius_profile", ["malformed XML", "line 2"], domain="_good/domain.xml")
# DEU III
add("deu_empty.csv", b"", "deu", ["empty"])
add("deu_comma_delimited.csv", DEU_HEAD.replace(";", ",") + "\n" + deu_row().replace(";", ",") + "\n", "deu", ["no ';'", "row 1"])
add("deu_missing_out_column.csv", DEU_HEAD.rsplit(";", 1)[0] + "\n" + deu_row().rsplit(";", 1)[0] + "\n", "deu", ["missing column", "out", "row 1"])
add("deu_ragged_row.csv", DEU_HEAD + "\n" + deu_row() + "\n" + deu_row(isnr="x01i2")[:40] + "\n", "deu", ["row 3", "cells"])
add("deu_duplicate_isnr.csv", DEU_HEAD + "\n" + deu_row() + "\n" + deu_row() + "\n", "deu", ["duplicate issue id", "x01i1", "isnr"])
add("deu_empty_isnr.csv", DEU_HEAD + "\n" + deu_row(isnr="") + "\n", "deu", ["row 2", "isnr"])
add("deu_field_too_large.csv", DEU_HEAD + "\n" + deu_row().replace("alpha", '"' + "a" * 200_000 + '"') + "\n", "deu", ["field larger than field limit"])
add("deu_bare_cr.csv", DEU_HEAD + "\n" + deu_row().replace("alpha", "al\rpha") + "\n", "deu", ["row 2"])
add("deu_issues_ragged.csv", DEU_ISSUES_HEAD + "d1i1,d1,0,100,,50\nd1i2,d1,0,100,5,20,7\n", "deu_issues", ["row 3"])
add("deu_utf16.csv", (DEU_HEAD + "\n" + deu_row() + "\n").encode("utf-16"), "deu", ["NUL"])
add("deu_issues_bad_number.csv", DEU_ISSUES_HEAD + "d1i1,d1,0,100,,50\nd1i2,d1,0,100,ten,20\n", "deu_issues", ["row 3", "reference_point", "ten"])
add("deu_issues_missing_outcome.csv", DEU_ISSUES_HEAD + "d1i1,d1,0,100,,\n", "deu_issues", ["row 2", "outcome"])
add("deu_issues_header_only.csv", DEU_ISSUES_HEAD.replace(",outcome", ""), "deu_issues", ["missing column", "outcome"])
add("deu_issues_empty.csv", b"", "deu_issues", ["empty"])


def main() -> None:
    (HERE / "_good").mkdir(exist_ok=True)
    (HERE / "_good" / "domain.xml").write_text(GENIUS_DOMAIN_OK, encoding="utf-8")
    (HERE / "_good" / "profile_a.xml").write_text(genius_profile(), encoding="utf-8")
    (HERE / "_good" / "profile_b.xml").write_text(genius_profile(price=("0", "1"), colour=("1", "0.2"), weights=("0.3", "0.7")), encoding="utf-8")
    manifest = []
    names = set()
    for name, content, reader, expect, extra in CORPUS:
        assert name not in names, name
        names.add(name)
        data = content.encode("utf-8") if isinstance(content, str) else content
        (HERE / name).write_bytes(data)
        entry = {"file": name, "reader": reader, "expect": expect}
        entry.update(extra)
        manifest.append(entry)
    header = ("# Malformed inputs: file -> reader that must refuse it with a ScenarioError, and\n"
              "# substrings its message must contain. Generated by make_corpus.py; edit that.\n")
    (HERE / "manifest.yaml").write_text(header + yaml.safe_dump(manifest, sort_keys=False, width=120), encoding="utf-8")
    print(f"{len(manifest)} files")


if __name__ == "__main__":
    main()
