"""GENIUS XML reading/writing and its errors (hand-made files; no reference data needed)."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.negotiation.genius import (
    load_genius_folder,
    read_genius_domain,
    read_genius_profile,
    write_genius_domain,
    write_genius_profile,
)

DOMAIN = """<negotiation_template>
<utility_space number_of_issues="2">
<objective index="0" etype="objective" type="objective" name="root">
  <issue index="1" etype="discrete" type="discrete" vtype="discrete" name="Price">
    <item index="1" value="low"></item><item index="2" value="mid"></item><item index="3" value="high"></item>
  </issue>
  <issue index="2" etype="discrete" type="discrete" vtype="discrete" name="Delivery">
    <item index="1" value="fast"></item><item index="2" value="slow"></item>
  </issue>
</objective>
</utility_space>
</negotiation_template>
"""


def profile(ev_price=(10, 5, 1), ev_del=(2, 1), w=(0.6, 0.4), extra="", res='<reservation value="0.3" />',
            disc='<discount_factor value="0.9" />'):
    items = "".join(f'<item index="{k + 1}" value="{v}" evaluation="{e}"></item>' for k, (v, e) in enumerate(zip(("low", "mid", "high"), ev_price, strict=False)))
    items2 = "".join(f'<item index="{k + 1}" value="{v}" evaluation="{e}"></item>' for k, (v, e) in enumerate(zip(("fast", "slow"), ev_del, strict=False)))
    return f"""<utility_space>
{res}
<objective index="0" etype="objective" type="objective" name="root">
<issue index="1" etype="discrete" name="Price">{items}</issue>
<issue index="2" etype="discrete" name="Delivery">{items2}</issue>
{extra}
<weight index="1" value="{w[0]}"></weight><weight index="2" value="{w[1]}"></weight>
</objective>
{disc}
</utility_space>
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "dom.xml").write_text(DOMAIN)
    (tmp_path / "b_seller.xml").write_text(profile((1, 5, 10), (1, 2), (0.5, 0.5), res='<reservation value="0.2" />', disc=""))
    (tmp_path / "a_buyer.xml").write_text(profile())
    return tmp_path


def test_read_domain_and_profiles(folder):
    issues = read_genius_domain(folder / "dom.xml")
    assert [i.name for i in issues] == ["Price", "Delivery"]
    assert issues[0].values == ("low", "mid", "high")
    p = read_genius_profile(folder / "a_buyer.xml", issues)
    assert p.evaluations == ((10.0, 5.0, 1.0), (2.0, 1.0))
    assert p.weights == (0.6, 0.4)
    assert (p.reservation, p.discount) == (0.3, 0.9)
    q = read_genius_profile(folder / "b_seller.xml", issues)
    assert (q.discount, q.has_discount) == (1.0, False)


def test_folder_utilities_follow_genius_formula(folder):
    dom = load_genius_folder(folder)
    assert dom.parties == ("a_buyer", "b_seller")  # alphabetical without domain_info.json
    u = dom.utilities()
    # outcome (mid, slow): 0.6 * 5/10 + 0.4 * 1/2
    o = dom.outcome_of(("mid", "slow"))
    assert u[0, o] == pytest.approx(0.6 * 0.5 + 0.4 * 0.5)
    assert u[1, o] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert u.max(axis=1).tolist() == [1.0, 1.0]
    assert dom.reservation.tolist() == [0.3, 0.2]
    assert dom.discount.tolist() == [0.9, 1.0]


def test_round_trip(folder, tmp_path):
    dom = load_genius_folder(folder)
    out = tmp_path / "out"
    out.mkdir()
    write_genius_domain(dom, out / "d.xml")
    for k, p in enumerate(dom.parties):
        write_genius_profile(dom, k, out / f"{p}.xml")
    again = load_genius_folder(out, profiles=[f"{p}.xml" for p in dom.parties])
    np.testing.assert_array_equal(again.utilities(), dom.utilities())
    assert again.reservation.tolist() == dom.reservation.tolist()
    assert again.discount.tolist() == dom.discount.tolist()
    assert again.values == dom.values


@pytest.mark.parametrize(
    "text, needle",
    [
        ("<utility_space><objective>", "malformed XML"),
        ("<foo/>", "root element"),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><utility_space>&a;</utility_space>', "forbidden XML"),
    ],
)
def test_bad_xml(tmp_path, text, needle):
    f = tmp_path / "bad.xml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as e:
        read_genius_domain(f)
    assert needle in str(e.value)
    assert "bad.xml" in str(e.value)


@pytest.mark.parametrize(
    "kw, needle",
    [
        (dict(w=(0.6, 0.6)), "must sum to 1"),
        (dict(ev_price=(10, -5, 1)), "evaluation must be >= 0"),
        (dict(disc='<discount_factor value="1.5" />'), "(0, 1]"),
        (dict(extra='<issue index="3" name="Colour"><item index="1" value="red" evaluation="1"></item></issue>'), "not in the domain"),
        (dict(res='<reservation value="abc" />'), "must be a number"),
    ],
)
def test_bad_profile(folder, kw, needle):
    f = folder / "a_buyer.xml"
    f.write_text(profile(**kw))
    with pytest.raises(ScenarioError) as e:
        load_genius_folder(folder)
    assert needle in str(e.value)
    assert "a_buyer.xml" in str(e.value)


def test_profile_value_not_in_domain(folder):
    f = folder / "a_buyer.xml"
    f.write_text(profile().replace('value="mid"', 'value="medium"'))
    with pytest.raises(ScenarioError, match="'medium' is not a value"):
        load_genius_folder(folder)


def test_folder_needs_one_domain(tmp_path):
    (tmp_path / "a.xml").write_text(profile())
    with pytest.raises(ScenarioError, match="exactly one domain file"):
        load_genius_folder(tmp_path)
