"""``detente report``: the self-contained HTML report of a scenario (parse -> service -> file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import service
from ..errors import ScenarioError
from ._common import ScenarioArg, console, exit_on_error, write_output
from ._whatif import SetOpt, WithoutOpt, change_list

__all__ = ["register", "report_cmd"]


def report_cmd(
    scenario: ScenarioArg = service.DEFAULTS.scenario,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("report.html"),
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model to include (repeatable); default: every registered model."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Model parameter NAME=VALUE or MODEL.NAME=VALUE (repeatable)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for models and sampling.")] = service.DEFAULTS.forecast_seed,
    draws: Annotated[
        int | None, typer.Option("--draws", help="Add a Monte Carlo section with this many draws per model.")
    ] = None,
    noise: Annotated[
        list[str] | None,
        typer.Option("--noise", help="Expert noise for --draws, KIND=VALUE (e.g. position=10, salience=0.2); "
                                     "default position=10, salience=0.2 when the scenario has no uncertainty."),
    ] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", help="Add a Sobol sensitivity section with this base sample size.")
    ] = None,
    runs: Annotated[
        int | None, typer.Option("--runs", help="Add a simulator section with this many negotiations.")
    ] = None,
    image_format: Annotated[str, typer.Option("--images", help="png or svg.")] = "png",
    set_: SetOpt = None,
    without: WithoutOpt = None,
) -> None:
    """Write one self-contained HTML report (opens offline): scenario, every model's forecast,
    zone of agreement, charts and citations; uncertainty, sensitivity and simulation on request."""
    with exit_on_error():
        if image_format not in ("png", "svg"):
            raise ScenarioError(f"{image_format!r} is not one of png, svg", field="--images")
        for name, v in (("--draws", draws), ("--samples", samples), ("--runs", runs)):
            if v is not None and v <= 0:
                raise ScenarioError(f"must be a positive integer (got {v})", field=name)
        names = service.model_names(model)
        params = service.parse_params(list(param or []), names)
        noise_spec = _parse_noise(noise or [])
        sc = service.load(scenario)
        html = service.build_report(sc, names, params=params, seed=seed, draws=draws, samples=samples, runs=runs,
                                    noise=noise_spec, image_format=image_format,
                                    changes=change_list(set_, without))
        write_output(html, output)
        console.print(f"[green]wrote[/] {output} ({len(html.encode()) / 1024:.0f} KiB)", highlight=False)


def _parse_noise(items: list[str]) -> dict[str, float] | None:
    if not items:
        return None
    out: dict[str, float] = {}
    for item in items:
        for part in item.split(","):
            key, sep, value = part.partition("=")
            if not sep:
                raise ScenarioError(f"{part!r}: expected KIND=VALUE, e.g. position=10", field="--noise")
            try:
                out[key.strip()] = float(value)
            except ValueError:
                raise ScenarioError(f"{part!r}: {value!r} is not a number", field="--noise") from None
    return out


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report_cmd)
