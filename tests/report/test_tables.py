"""Table helpers: numbers, frames built from results, escaped HTML."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from detente import Forecast, get_model, load_scenario, zone_of_agreement
from detente.analysis import blocked_by
from detente.report import tables


@pytest.fixture(scope="module")
def alaska():
    return load_scenario("alaska-2025")


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "-"), (math.nan, "-"), (2.0, "2"), (2.50, "2.5"), (35.8333, "35.83"), (True, "yes"),
     (1234567.0, "1.2e+06"), (0.0001, "0.0001"), (-3, "-3"), ("x", "x"), (math.inf, "inf")],
)
def test_fmt_number(value, text):
    assert tables.fmt_number(value) == text


def test_forecast_frame_has_each_models_value_and_the_real_outcome(alaska):
    fs = [get_model(n).forecast(alaska.without_outcome()) for n in ("weighted_mean", "nash")]
    df = tables.forecast_frame(alaska, fs)
    assert list(df["issue"]) == list(alaska.issue_ids)
    assert np.array_equal(df["weighted_mean"].to_numpy(), fs[0].outcome)
    assert df["nash"].isna().all()  # no zone on any Alaska issue
    real = {o.issue: o.value for o in alaska.outcome.issues}
    assert list(df["real_outcome"]) == [real[i] for i in alaska.issue_ids]


def test_forecast_frame_uses_the_median_of_a_batched_forecast(alaska):
    out = np.array([[1.0] * 5, [3.0] * 5, [np.nan] * 5, [10.0] * 5])
    f = Forecast.build(get_model("weighted_mean"), alaska, out)
    assert tables.forecast_frame(alaska, [f])["weighted_mean"].tolist() == [3.0] * 5


def test_blocked_by_names_binding_actors_only(alaska):
    out = np.array([70.0, 90.0, 50.0, 35.0, 50.0])  # territory 90: outside Ukraine's [0, 50]
    f = Forecast.build(get_model("weighted_mean"), alaska, out)
    blocked = blocked_by(alaska, f)
    # Europe's red line is [0, 50] too, but Europe is absent without a veto: it does not bind
    assert blocked["territory"] == ["ukraine"]
    # 35 on security guarantees: Russia accepts [0, 30], Ukraine [55, 100]
    assert blocked["security_guarantees"] == ["russia", "ukraine"]
    assert "ceasefire" not in blocked


def test_zone_frame_describes_impasse(alaska):
    z = tables.zone_frame(zone_of_agreement(alaska))
    row = z.set_index("issue").loc["territory"]
    assert row["zone"].startswith("empty: impasse")
    assert z.set_index("issue").loc["ceasefire", "zone"] == "[60, 100]"
    assert z.set_index("issue").loc["ceasefire", "set_by"] == "russia"


def test_positions_frame(alaska):
    df = tables.positions_frame(alaska)
    r = df.set_index("actor").loc["russia"]
    assert r["territory"] == "90 / 1" and r["at_table"] == "yes"
    assert df.set_index("actor").loc["ukraine", "at_table"] == "absent, veto"


def test_html_table_escapes_and_truncates():
    df = pd.DataFrame({"name": ["<script>alert(1)</script>", "b&c"], "x": [1.23456, np.nan]})
    html = tables.html_table(df, caption="cap <i>", max_rows=1)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "cap &lt;i&gt; (first 1 of 2 rows)" in html
    assert '<td class="num">1.23</td>' in html
    assert "b&amp;c" not in html  # truncated away
    assert tables.html_table(df).count("<tr>") == 3


def test_citations_in_order_and_only_registered(alaska):
    from detente.models.registry import MODELS

    got = tables.citations(["nash", "weighted_mean", "nash", "nope"])
    assert got == [("nash", MODELS["nash"].reference), ("weighted_mean", MODELS["weighted_mean"].reference)]
