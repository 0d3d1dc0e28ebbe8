"""The ``detente`` command line: a shell of parse -> :mod:`detente.service` call -> rendering.

Every command lives in a module of :mod:`detente.commands` and is registered here, explicitly,
one line each; no maths and no document building happen in the CLI.
"""

from __future__ import annotations

from typing import Annotated, Any

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
    workers: Annotated[int, typer.Option("--workers", help="Server processes (they share jobs through SQLite).",
                                         min=1, max=64)] = 1,
    config: Annotated[str | None, typer.Option("--config", help="TOML file of server settings (docs/deploy.md); "
                                                                "DETENTE_API_* variables override it.")] = None,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="Serve beyond loopback without API keys "
                                                            "(e.g. behind a proxy that authenticates).")] = False,
    hash_key: Annotated[bool, typer.Option("--hash-key", help="Read an API key on stdin, print the SHA-256 "
                                                              "digest to put in the configuration, and exit.")] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the web page at / with uvicorn.

    Settings come from --config and DETENTE_API_* environment variables (see docs/deploy.md),
    e.g. DETENTE_API_MAX_JOBS=4 or DETENTE_API_API_KEYS=<sha256 hex>. On loopback no key is
    needed; on another interface API keys are required unless --no-auth.
    """
    import sys

    with exit_on_error():
        from .api.auth import hash_key as _hash

        if hash_key:
            key = sys.stdin.readline().strip()
            if not key:
                from .errors import ScenarioError

                raise ScenarioError("give the key on standard input", field="--hash-key")
            print(_hash(key))
            return
        try:
            import uvicorn
        except ImportError:
            from .errors import MissingExtraError

            raise MissingExtraError("uvicorn", "web") from None
        import atexit
        import dataclasses
        import os
        import shutil
        import tempfile

        from .api.app import ApiConfig, create_app

        cfg = ApiConfig.from_file(config) if config else ApiConfig.from_env()
        loopback = host in ("127.0.0.1", "localhost", "::1")
        if not loopback and not cfg.api_keys and not no_auth:
            from .errors import ScenarioError

            raise ScenarioError(f"serving on {host} (reachable from other machines) needs API keys: set "
                                "api_keys in --config or DETENTE_API_API_KEYS (digests from --hash-key), "
                                "or pass --no-auth behind a proxy that authenticates", field="--host")
        if not cfg.allowed_hosts:  # refuse foreign Host headers (DNS rebinding) unless configured
            names = ["127.0.0.1", "localhost", "::1"]
            if host not in names and host not in ("0.0.0.0", "::"):
                names.append(host)
            cfg = dataclasses.replace(cfg, allowed_hosts=tuple(names) if loopback or len(names) > 3 else ("*",))
        if workers > 1 and not cfg.jobs_db:  # one SQLite file shared by every worker process
            folder = tempfile.mkdtemp(prefix="detente-serve-")
            atexit.register(shutil.rmtree, folder, True)
            cfg = dataclasses.replace(cfg, jobs_db=os.path.join(folder, "jobs.sqlite"))
        if not loopback:
            console.print(f"[yellow]note:[/] serving on {host}: reachable from other machines", highlight=False)
        kw: dict[str, Any] = dict(host=host, port=port, log_level=log_level, timeout_keep_alive=5,
                                  limit_concurrency=256, proxy_headers=True, forwarded_allow_ips="127.0.0.1")
        if workers == 1:
            uvicorn.run(create_app(cfg), **kw)
        else:
            os.environ.update(cfg.to_env())  # each worker process builds its app from these
            uvicorn.run("detente.api.app:create_app_from_env", factory=True, workers=workers, **kw)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
