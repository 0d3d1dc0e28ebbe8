"""Forecast tables given as column arrays (:class:`detente.results.Columns`): built into a
DataFrame on first read, kept unbuilt through pickling, and readable as columns without pandas."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from detente.results import Columns, Forecast, Records


def _forecast(outcome, utilities=None):
    cols = Columns({"turn": np.arange(3), "actor": np.array(["a", "b", "c"], dtype=object),
                    "position": np.array([0.5, 1.5, 2.5])})
    return Forecast(model="m", scenario="s", issues=("x", "y"), actors=("a", "b", "c"),
                    outcome=outcome, utilities=utilities, tables={"moves": cols})


def test_columns_table_becomes_the_frame():
    f = _forecast(np.array([1.0, 2.0]))
    assert list(f.tables) == ["moves"] and "moves" in f.tables
    df = f.tables["moves"]
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["turn", "actor", "position"]
    assert df["position"].tolist() == [0.5, 1.5, 2.5]
    pd.testing.assert_frame_equal(f.to_frame("moves"), df)
    # to_frame hands out a copy: the stored table cannot be changed through it
    copy = f.to_frame("moves")
    copy.loc[0, "position"] = 99.0
    assert f.tables["moves"].loc[0, "position"] == 0.5


def test_columns_arrays_are_read_only():
    f = _forecast(np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        f.columns("moves")["position"][0] = 3.0


@pytest.mark.parametrize("outcome", [np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])])
@pytest.mark.parametrize("table", ["outcome", "utilities", "moves"])
def test_columns_match_to_frame(outcome, table):
    util = np.arange(outcome.size // 2 * 3, dtype=float).reshape(outcome.shape[:-1] + (3,))
    f = _forecast(outcome, util)
    cols = f.columns(table)
    df = f.to_frame(table)
    assert list(cols) == list(df.columns)
    for c in cols:
        assert cols[c].tolist() == df[c].tolist(), c


def test_missing_utilities_give_empty_columns():
    f = _forecast(np.array([1.0, 2.0]))
    assert all(len(v) == 0 for v in f.columns("utilities").values())
    assert f.to_frame("utilities").empty


def test_unknown_table_names_the_ones_there():
    with pytest.raises(KeyError, match="outcome, utilities, moves"):
        _forecast(np.array([1.0, 2.0])).columns("nope")


def test_pickle_keeps_tables_unbuilt_and_equal():
    f = _forecast(np.array([1.0, 2.0]))
    g = pickle.loads(pickle.dumps(f))
    assert isinstance(g.tables.raw()["moves"], Columns)
    pd.testing.assert_frame_equal(g.tables["moves"], f.tables["moves"])
    # once built, the DataFrame itself travels
    h = pickle.loads(pickle.dumps(f))
    assert isinstance(h.tables.raw()["moves"], pd.DataFrame)


@pytest.mark.parametrize("rows", [[{"a": 1, "b": 0.5}, {"a": 2, "b": 1.5, "c": "x"}], []])
def test_records_table_is_pandas_own_frame_of_the_rows(rows):
    f = Forecast(model="m", scenario="s", issues=("x",), actors=("a",), outcome=np.array([1.0]),
                 tables={"ex": Records(rows, ["a", "b"])})
    g = pickle.loads(pickle.dumps(f))
    assert isinstance(g.tables.raw()["ex"], Records)
    want = pd.DataFrame(rows, columns=["a", "b"]) if rows else pd.DataFrame(columns=["a", "b"])
    pd.testing.assert_frame_equal(g.tables["ex"], want)
    cols = f.columns("ex")
    assert list(cols) == ["a", "b"] and [len(v) for v in cols.values()] == [len(rows)] * 2
