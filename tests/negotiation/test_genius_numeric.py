"""GENIUS integer and real issues: linear evaluators, discretisation, writing back, errors."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.negotiation.genius import (
    load_genius_folder,
    read_genius_domain,
    write_genius_domain,
    write_genius_profile,
)
from detente.simulate.engine import simulate

DOMAIN = """<negotiation_template>
<utility_space number_of_issues="3">
<objective index="0" etype="objective" type="objective" name="root">
  <issue index="1" etype="real" type="real" vtype="real" name="Price" lowerbound="100.0" upperbound="200.0"/>
  <issue index="2" etype="integer" type="integer" vtype="integer" name="Days" lowerbound="1" upperbound="5"/>
  <issue index="3" etype="discrete" type="discrete" vtype="discrete" name="Colour">
    <item index="1" value="red"/><item index="2" value="blue"/>
  </issue>
</objective>
</utility_space>
</negotiation_template>
"""

RANGE_DOMAIN = DOMAIN.replace(
    '<issue index="1" etype="real" type="real" vtype="real" name="Price" lowerbound="100.0" upperbound="200.0"/>',
    '<issue index="1" etype="real" type="real" vtype="real" name="Price"><range lowerbound="100.0" upperbound="200.0"/></issue>')


def profile(price_ev, days_ev, colour=(1, 2), w=(0.5, 0.3, 0.2), res=0.1):
    return f"""<utility_space>
<objective index="0" etype="objective" type="objective" name="root">
<issue index="1" etype="real" type="real" vtype="real" name="Price" lowerbound="100.0" upperbound="200.0">{price_ev}</issue>
<issue index="2" etype="integer" type="integer" vtype="integer" name="Days" lowerbound="1" upperbound="5">{days_ev}</issue>
<issue index="3" etype="discrete" name="Colour"><item index="1" value="red" evaluation="{colour[0]}"/><item index="2" value="blue" evaluation="{colour[1]}"/></issue>
<weight index="1" value="{w[0]}"/><weight index="2" value="{w[1]}"/><weight index="3" value="{w[2]}"/>
</objective>
<reservation value="{res}"/>
</utility_space>
"""


BUYER = profile('<evaluator ftype="linear" parameter0="2.0" parameter1="-0.01"/>',
                '<evaluator ftype="linear" slope="-0.2" offset="1.0"/>')
SELLER = profile('<evaluator ftype="linear" parameter0="-1.0" parameter1="0.01"/>',
                 '<evaluator ftype="linear" slope="0.25" offset="0.0"/>', colour=(2, 1), res=0.2)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "dom.xml").write_text(DOMAIN)
    (tmp_path / "a_buyer.xml").write_text(BUYER)
    (tmp_path / "b_seller.xml").write_text(SELLER)
    return tmp_path


def _formula_utilities(x, days, colour_pick, buyer: bool) -> float:
    """GENIUS additive utility written out by hand for the fixture's two profiles."""
    if buyer:
        e = [np.clip(2.0 - 0.01 * x, 0, 1), np.clip(1.0 - 0.2 * (days - 1), 0, 1), [1, 2][colour_pick] / 2]
        w = [0.5, 0.3, 0.2]
    else:
        e = [np.clip(-1.0 + 0.01 * x, 0, 1), np.clip(0.25 * (days - 1), 0, 1), [2, 1][colour_pick] / 2]
        w = [0.5, 0.3, 0.2]
    # each issue's evaluations are divided by the issue's best one (all bests are 1 here except
    # colour, handled above)
    return sum(wi * ei for wi, ei in zip(w, e, strict=True))


def test_real_and_integer_issues_read_discretised(folder):
    dom = load_genius_folder(folder, discretise=5)
    assert dom.values[0] == ("100", "125", "150", "175", "200")
    assert dom.values[1] == ("1", "2", "3", "4", "5")
    assert dom.n_outcomes == 5 * 5 * 2
    U = dom.utilities()
    xs, ds = [100, 125, 150, 175, 200], [1, 2, 3, 4, 5]
    for o in range(dom.n_outcomes):
        i, j, k = dom.decode(np.array(o))
        for p, buyer in ((0, True), (1, False)):
            assert U[p, o] == pytest.approx(_formula_utilities(xs[i], ds[j], k, buyer), abs=1e-12)
    np.testing.assert_array_equal(dom.reservation, [0.1, 0.2])
    res = simulate(dom, runs=4, strategies=("linear", "conceder"), steps=30, seed=0)
    assert np.all(res.utilities[res.agreed] >= dom.reservation - 1e-12)


def test_evaluator_utilities_are_not_rescaled(folder):
    """A constant evaluator of 0.5 contributes w * 0.5 (GENIUS EvaluatorReal), not w * 1."""
    f = folder / "a_buyer.xml"
    f.write_text(f.read_text().replace('<evaluator ftype="linear" parameter0="2.0" parameter1="-0.01"/>',
                                       '<evaluator ftype="constant" parameter0="0.5"/>'))
    dom = load_genius_folder(folder, discretise=3)
    np.testing.assert_array_equal(dom.value_tables()[0][0], [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(dom.value_tables()[2][0], [0.5, 1.0])  # items: divided by the best
    assert dom.utilities()[0].max() == pytest.approx(0.5 * 0.5 + 0.3 * 1.0 + 0.2 * 1.0)


def test_range_child_and_integer_discretisation(tmp_path):
    (tmp_path / "dom.xml").write_text(RANGE_DOMAIN)
    issues = read_genius_domain(tmp_path / "dom.xml", discretise=3)
    assert issues[0].kind == "real" and issues[0].numbers == (100.0, 150.0, 200.0)
    assert issues[1].kind == "integer" and issues[1].values == ("1", "3", "5")  # 5 integers, 3 asked


def test_write_back_reads_back_identically(folder, tmp_path):
    dom = load_genius_folder(folder, discretise=4)
    out = tmp_path / "out"
    out.mkdir()
    write_genius_domain(dom, out / "domain.xml")
    for p, party in enumerate(dom.parties):
        write_genius_profile(dom, p, out / f"{party}.xml")
    text = (out / "domain.xml").read_text()
    assert 'etype="real"' in text and 'etype="integer"' in text
    again = load_genius_folder(out, discretise=4)
    assert again.values == dom.values
    np.testing.assert_array_equal(again.utilities(), dom.utilities())
    np.testing.assert_array_equal(again.reservation, dom.reservation)
    swapped = dom.with_parties([1, 0])
    assert swapped.issue_meta[0][3] == dom.issue_meta[0][3][::-1]


@pytest.mark.parametrize(
    "kind, edit, words",
    [
        ("domain", lambda s: s, "discretise=N"),  # a real issue read without discretise
        ("domain", lambda s: s.replace('upperbound="200.0"', 'upperbound="100.0"'), "upperbound"),
        ("domain", lambda s: s.replace(' upperbound="5"', ""), "upperbound"),
        ("domain", lambda s: s.replace('upperbound="5"', 'upperbound="five"'), "must be an integer"),
        ("domain", lambda s: s.replace('etype="real" type="real" vtype="real"', 'etype="complex" type="complex" vtype="complex"'), "not supported"),
        ("buyer", lambda s: s.replace('ftype="linear" parameter0="2.0"', 'ftype="triangular" parameter0="2.0"'), "ftype"),
        ("buyer", lambda s: s.replace('parameter1="-0.01"', 'parameter1="steep"'), "must be a number"),
        ("buyer", lambda s: s.replace('<evaluator ftype="linear" parameter0="2.0" parameter1="-0.01"/>', ""), "needs an <evaluator>"),
        ("buyer", lambda s: s.replace('name="Days" lowerbound="1"', 'name="Days" lowerbound="2"'), "in the profile but"),
    ],
)
def test_malformed_numeric_issues_name_file_and_element(folder, kind, edit, words):
    f = folder / {"domain": "dom.xml", "buyer": "a_buyer.xml"}[kind]
    f.write_text(edit(f.read_text()))
    disc = None if words == "discretise=N" else 5
    with pytest.raises(ScenarioError) as e:
        load_genius_folder(folder, discretise=disc)
    assert words in str(e.value)
    assert f.name in str(e.value)


def test_bad_discretise_value(folder):
    with pytest.raises(ScenarioError, match="discretise"):
        load_genius_folder(folder, discretise=1)
    with pytest.raises(ScenarioError, match="discretise"):
        read_genius_domain(folder / "dom.xml", discretise=2.5)
