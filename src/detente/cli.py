"""The ``detente`` command line: a shell of parse -> :mod:`detente.service` call -> rendering.

Every command lives in a module of :mod:`detente.commands` and is registered here, explicitly,
one line each; no maths and no document building happen in the CLI.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ._version import __version__
from .commands import backtest, forecast, ktab, report, scenarios, sensitivity, simulate, warmup
from .commands import influence as influence_cmds
from .commands import track as track_cmds
from .commands._common import console, exit_on_error

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
    warmup.show_compile_notices()
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
app.command("influence")(influence_cmds.influence_cmd)
app.command("track")(track_cmds.track_cmd)
app.command("warmup")(warmup.warmup_cmd)


# `serve` lives here, not in commands/: it is the one command that needs detente.api, and the
# layers keep detente.commands and detente.api independent (only cli sits above both).
@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Interface to bind (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=0, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the web page at / with uvicorn.

    Limits come from DETENTE_API_* environment variables (see docs/api.md), e.g.
    DETENTE_API_MAX_JOBS=4 or DETENTE_API_CORS_ORIGINS=https://example.org.
    """
    with exit_on_error():
        try:
            import uvicorn
        except ImportError:
            from .errors import MissingExtraError

            raise MissingExtraError("uvicorn", "web") from None
        from .api.app import ApiConfig, create_app

        cfg = ApiConfig.from_env()
        if host not in ("127.0.0.1", "localhost", "::1"):
            console.print(f"[yellow]note:[/] serving on {host}: reachable from other machines", highlight=False)
        uvicorn.run(create_app(cfg), host=host, port=port, log_level=log_level)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
