"""User text that looks like rich markup (``[/b]``, ``[red]``) is printed as written.

Titles, names, labels and error messages come from the user's files; the CLI renders with rich,
whose markup would otherwise swallow them or crash on an unmatched closing tag (a traceback
instead of a result). Every command that renders a table is run on such a scenario.
"""

from __future__ import annotations

import importlib.util

import pytest
from typer.testing import CliRunner

from detente.cli import app

runner = CliRunner()
SCENARIO = """\
name: tiny
title: "Talks [/b] and [red]x"
description: "d [/i]"
actors:
  - {id: a, name: "A [/u]", power: 1}
  - {id: b, power: 2}
issues:
  - id: tax
    name: "Tax [/s]"
    scale: {min: 0, max: 100, min_label: "[/x]"}
positions:
  - {actor: a, issue: tax, position: 10, salience: 0.5}
  - {actor: b, issue: tax, position: 90, salience: 0.7}
"""
COMMANDS = [["validate"], ["show"], ["forecast"]]
if importlib.util.find_spec("detente.commands.sensitivity"):
    COMMANDS += [["montecarlo", "-m", "weighted_mean", "--draws", "16", "--seed", "1"],
                 ["sensitivity", "-m", "weighted_mean", "--samples", "8", "--seed", "1"]]


@pytest.mark.parametrize("args", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_markup_like_text_is_printed_literally(args, tmp_path):
    f = tmp_path / "talks [red].yaml"
    f.write_text(SCENARIO, encoding="utf-8")
    r = runner.invoke(app, [*args, str(f)])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 0, r.output
    if args[0] == "validate":
        assert "[red].yaml" in r.output
    if args[0] in ("show", "forecast", "montecarlo"):
        assert "[/b]" in r.output


def test_markup_in_an_error_message_is_printed_literally(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(SCENARIO.replace("actor: b,", 'actor: "[/bold]",'), encoding="utf-8")
    r = runner.invoke(app, ["validate", str(f)])
    assert r.exit_code == 2, r.output
    assert "unknown actor id '[/bold]'" in r.output
