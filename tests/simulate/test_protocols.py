"""The protocol registry: one module per protocol, one ``play(table, rng)`` signature, one
dispatch point; the surfaces take their choices from it."""

from __future__ import annotations

import re
from typing import get_args

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.negotiation.domain import Domain
from detente.simulate import simulate
from detente.simulate.protocols import (
    PROTOCOLS,
    ProtocolSpec,
    Table,
    get_protocol,
    play,
    protocol_names,
)
from detente.simulate.turns import AGREEMENT, DEADLINE


def _split(n=11):
    sc = np.vstack([np.arange(n), np.arange(n)[::-1]]).astype(float)
    return Domain("split", ("share",), (tuple(range(n)),), ("a", "b"), (sc,), np.ones((2, 1)), np.zeros(2))


def test_registry_names_and_specs():
    assert protocol_names() == tuple(PROTOCOLS) == ("alternating", "single_text", "summit")
    for name, spec in PROTOCOLS.items():
        assert isinstance(spec, ProtocolSpec) and spec.name == name and callable(spec.play) and spec.summary
    assert PROTOCOLS["summit"].staged and PROTOCOLS["summit"].walk_away
    assert not PROTOCOLS["single_text"].strategies
    with pytest.raises(ScenarioError, match="valid: alternating, single_text, summit"):
        get_protocol("auction")
    with pytest.raises(ScenarioError, match="unknown protocol 'auction'"):
        simulate(_split(), runs=2, protocol="auction")


def test_dispatch_plays_the_registered_function():
    """``play`` dispatches to the registry: the alternating entry on a ready table gives what
    ``simulate`` gives for the same negotiation."""
    from detente.simulate import _batch as B
    from detente.simulate.strategies import PartyTables, get_strategy
    from detente.simulate.turns import Group

    dom = _split()
    U = dom.utilities()
    r = np.zeros((4, 2))
    tabs = [PartyTables(U[0], r[:, 0], U[1], 0.0, r[:, 1]), PartyTables(U[1], r[:, 1], U[0], 0.0, r[:, 0])]
    rows = np.arange(4)
    groups = [[Group(get_strategy("hardliner"), rows)], [Group(get_strategy("linear"), rows)]]
    out = play("alternating", Table(lambda: tabs, groups, dom.cardinalities, 30), np.random.default_rng(0))
    res = simulate(dom, runs=4, strategies=("hardliner", "linear"), steps=30, seed=0)
    np.testing.assert_array_equal(out["agreement"], res.agreement)
    np.testing.assert_array_equal(out["step"], res.step)
    assert B.combos("mix", 2)[0][0].label == "boulware" and len(B.combos("mix", 2)) == 25


def test_one_registry_line_adds_a_protocol(monkeypatch):
    """The recipe: a module's ``play`` and one registry line make a protocol that ``simulate``
    plays (here a toy 'split the difference' protocol that agrees on the middle outcome)."""

    def middle(table: Table, rng: np.random.Generator) -> dict:
        tabs = table.tables()
        n = tabs[0].reservation.shape[0]
        mid = int(np.prod(table.cardinalities)) // 2
        ok = np.all([t.at(np.full(n, mid)) >= t.reservation for t in tabs], axis=0)
        return {"agreement": np.where(ok, mid, -1), "reason": np.where(ok, AGREEMENT, DEADLINE),
                "step": np.where(ok, 0, -1), "n_offers": np.ones(n, dtype=np.int64),
                "last_proposer": np.full(n, -1), "ended_by": np.full(n, -1), "offers": None,
                "last_offer": np.full((len(tabs), n), mid)}

    monkeypatch.setitem(PROTOCOLS, "middle", ProtocolSpec(name="middle", play=middle, summary="split the difference",
                                                          strategies=False))
    res = simulate(_split(), runs=3, protocol="middle", seed=0)
    assert res.agreed.all() and res.agreement_values[:, 0].tolist() == [5, 5, 5]
    assert set(res.strategies) == {"mediator"} and set(res.ended_by) == {"deal"}


def test_surfaces_take_the_choices_from_the_registry():
    from typer.testing import CliRunner

    from detente import service
    from detente.api import schemas as S
    from detente.cli import app

    assert service.protocol_names() == protocol_names()
    assert get_args(S.SimulatorOptions.model_fields["protocol"].annotation) == protocol_names()
    assert get_args(get_args(S.SimulateRequest.model_fields["protocol"].annotation)[0]) == protocol_names()
    r = CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "200"})
    text = " ".join(re.sub("[\u2500-\u257f]", " ", r.output).split())  # without the box drawing
    for name, spec in PROTOCOLS.items():
        assert f"{name}: {spec.summary}" in text
