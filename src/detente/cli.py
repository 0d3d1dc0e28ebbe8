"""The ``detente`` command line: a shell of parse -> :mod:`detente.service` call -> rendering.

Every command lives in a module of :mod:`detente.commands` and is registered here, explicitly,
one line each; no maths and no document building happen in the CLI.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import __version__
from .commands import backtest, forecast, ktab, report, scenarios, sensitivity, serve, simulate
from .commands._common import console

__all__ = ["app", "main"]

app = typer.Typer(
    name="detente",
    help="Model and forecast multi-party negotiations.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        console.print(f"detente {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """detente: where will this negotiation land, how likely is a deal, what would change that?"""
    if ctx.invoked_subcommand is None:
        console.print(ctx.get_help())


# ------------------------------------------------------------------------------- commands
app.command("forecast")(forecast.forecast_cmd)
app.command("scenarios")(scenarios.scenarios_cmd)
app.command("show")(scenarios.show_cmd)
app.command("validate")(scenarios.validate_cmd)
app.command("models")(scenarios.models_cmd)
app.command("simulate")(simulate.simulate_cmd)
app.add_typer(ktab.ktab_app, name="ktab")
app.command("montecarlo")(sensitivity.montecarlo_cmd)
app.command("sensitivity")(sensitivity.sensitivity_cmd)
app.command("backtest")(backtest.backtest_cmd)
app.command("report")(report.report_cmd)
app.command("serve")(serve.serve_cmd)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
