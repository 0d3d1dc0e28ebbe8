"""Forecasts: run models with the one seeding rule, analyse red lines, build the document.

:func:`forecast` is the entry point of ``detente forecast``, ``POST /forecast`` and the
report; :func:`forecast_document` is the one JSON document the CLI prints with
``--format json`` and the API returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UnknownModelError
from .absent import note_absent_effects
from .defaults import DEFAULTS
from .scenarios import load
from .seeding import SeedLike, model_seeds, resolve_seed, seed_entropy_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..analysis import ZoneOfAgreement
    from ..results import Forecast

__all__ = [
    "ForecastRun",
    "RUN_COLUMNS",
    "analyse",
    "check_models",
    "forecast",
    "forecast_document",
    "model_names",
    "run_models",
]

Params = Mapping[str, Mapping[str, Any]]

#: columns of ``ForecastRun.to_frame()`` (the tidy table of every model's forecast)
RUN_COLUMNS = ("model", "scenario", "issue", "issue_name", "scale_min", "scale_max", "status_quo",
               "outcome", "blocked_by")


def model_names(models: Sequence[str] | None) -> list[str]:
    """The names asked for (default: every registered model), each checked.

    Raises
    ------
    UnknownModelError
        For a name that is not registered (listing the valid names).
    """
    from ..models.registry import MODELS

    names = list(models) if models else list(MODELS)
    check_models(names)
    return names


def check_models(names: Sequence[str]) -> None:
    """Raise :class:`UnknownModelError` (listing the valid names) for an unregistered name."""
    from ..models.registry import MODELS

    for n in names:
        if n not in MODELS:
            raise UnknownModelError(n, sorted(MODELS))


def run_models(scenario, models: Sequence[str], params: Params | None,
               seed: int | np.random.SeedSequence) -> list[Forecast]:
    """Run every named model on ``scenario``; model k draws from child k of ``SeedSequence(seed)``.

    ``seed`` is an already resolved seed (see :func:`~detente.service.seeding.resolve_seed`).
    """
    from ..models.registry import get_model
    from ..rng import as_generator

    check_models(models)
    kids = model_seeds(seed, len(models))
    return [
        get_model(n, **dict((params or {}).get(n, {}))).forecast(scenario, rng=as_generator(kid))
        for n, kid in zip(models, kids, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class ForecastRun:
    """Every model's forecast on one scenario, with the red-line analysis.

    Attributes
    ----------
    scenario : Scenario
        The scenario as loaded (the models saw it without its recorded outcome).
    forecasts : tuple of Forecast
        In the order the models were named.
    zone : ZoneOfAgreement
    blocked_by : tuple of dict
        Per forecast, ``{issue: [actor, ...]}``: the binding actors whose red lines reject it.
    seed_entropy : int or None
        The seed the run used; pass it back as ``seed`` to repeat the run (None for
        forecasts computed elsewhere and only analysed here).
    """

    scenario: Any
    forecasts: tuple[Forecast, ...]
    zone: ZoneOfAgreement
    blocked_by: tuple[dict[str, list[str]], ...]
    seed_entropy: int | None

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(f.model for f in self.forecasts)

    def __getitem__(self, model: str) -> Forecast:
        """The forecast of one model, by name."""
        for f in self.forecasts:
            if f.model == model:
                return f
        raise KeyError(f"no forecast of model {model!r}; models: {', '.join(self.models)}")

    def to_frame(self, shape: str = "long") -> pd.DataFrame:
        """Every model's forecast as one table.

        Parameters
        ----------
        shape : "long" or "wide"
            ``"long"`` (default, tidy): one row per model x issue, columns
            :data:`RUN_COLUMNS` = ``model, scenario, issue, issue_name, scale_min, scale_max,
            status_quo, outcome, blocked_by`` (``outcome`` NaN where the model has no answer,
            e.g. Nash without a zone of agreement; ``blocked_by`` the actors whose red lines
            reject it, comma-separated). ``"wide"``: one row per model, one outcome column per
            issue, named by the issue's label (its name, else its id).
        """
        sc = self.scenario
        rows = []
        for f, blocked in zip(self.forecasts, self.blocked_by, strict=True):
            out = np.asarray(f.outcome, dtype=float)
            for k, iss in enumerate(sc.issues):
                v = out[..., k]
                rows.append((f.model, sc.name, iss.id, iss.label, iss.scale.min, iss.scale.max,
                             np.nan if iss.status_quo is None else iss.status_quo,
                             float(v) if v.ndim == 0 else float(np.nanmedian(v)),
                             ", ".join(blocked.get(iss.id, []))))
        df = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
        if shape == "long":
            return df
        if shape == "wide":
            labels = [i.label for i in sc.issues]
            key = "issue_name" if len(set(labels)) == len(labels) else "issue"  # ids when names repeat
            cols = labels if key == "issue_name" else [i.id for i in sc.issues]
            wide = df.pivot(index="model", columns=key, values="outcome")
            wide = wide.reindex(index=list(self.models), columns=cols)
            wide.columns.name = None
            return wide.reset_index()
        raise ValueError(f"shape must be 'long' or 'wide' (got {shape!r})")


def forecast(source: Any, models: Sequence[str] | None = None, *, params: Params | None = None,
             seed: SeedLike = DEFAULTS.forecast_seed, absent_effects: bool = True) -> ForecastRun:
    """Run models on a scenario and analyse the result.

    Parameters
    ----------
    source : Scenario, built-in name or file
    models : sequence of str, optional
        Registered model names (default: every registered model).
    params : mapping, optional
        ``{model: {parameter: value}}``; values are converted and checked by the model.
    seed : None, int or SeedSequence
        Default 0; None draws fresh entropy, recorded in ``seed_entropy``.
    absent_effects : bool
        Default True: when actors are absent without a veto, every model runs again without
        them and each forecast's notes say how much they move it (see
        :mod:`detente.service.absent`); False skips that second run (e.g. for many forecasts
        in a search).

    Raises
    ------
    UnknownModelError, ModelParameterError, ScenarioError
    """
    names = model_names(models)
    sc = load(source)
    used = resolve_seed(seed)
    results = run_models(sc.without_outcome(), names, params, used)
    # each forecast's notes say how much the actors absent without a veto move it
    if absent_effects:
        results = note_absent_effects(sc.without_outcome(), results,
                                      lambda s, m, p: run_models(s, m, p, used), params)
    return analyse(sc, results, seed_entropy=seed_entropy_of(used))


def analyse(scenario, forecasts: Sequence[Forecast], *, seed_entropy: int | None = None) -> ForecastRun:
    """Zone of agreement and blocked-by analysis of forecasts computed elsewhere."""
    from ..analysis import blocked_by, zone_of_agreement

    fs = tuple(forecasts)
    return ForecastRun(
        scenario=scenario,
        forecasts=fs,
        zone=zone_of_agreement(scenario),
        blocked_by=tuple(blocked_by(scenario, f) for f in fs),
        seed_entropy=seed_entropy,
    )


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    # to_dict keeps float64 exactly (to_json caps precision at 15 digits)
    from ..results import json_ready

    return [{str(k): json_ready(_plain(v)) for k, v in r.items()} for r in df.to_dict(orient="records")]


def _plain(v: Any) -> Any:
    import numpy as np

    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, tuple):
        return list(v)
    return v


def _scenario_part(sc) -> dict[str, Any]:
    return {
        "name": sc.name,
        "title": sc.title,
        "issues": [
            {"id": i.id, "name": i.label, "min": i.scale.min, "max": i.scale.max, "status_quo": i.status_quo}
            for i in sc.issues
        ],
        "actors": [
            {"id": a.id, "name": a.label, "power": a.power, "present": a.present, "veto": a.veto}
            for a in sc.actors
        ],
        "positions": [
            {"actor": p.actor, "issue": p.issue, "position": p.position, "salience": p.salience}
            for p in sc.positions
        ],
        "notes": list(sc.notes),
    }


def _forecast_part(f: Forecast, blocked: dict[str, list[str]], tables: bool) -> dict[str, Any]:
    from ..models.registry import MODELS

    s = f.summary()
    s["reference"] = MODELS[f.model].reference if f.model in MODELS else ""
    s["outcome"] = dict(zip(f.issues, s["outcome"], strict=True))
    s["blocked_by"] = blocked
    s["tables"] = {k: _records(f.to_frame(k)) for k in f.tables} if tables else None
    return s


def forecast_document(run: ForecastRun, *, tables: bool = False) -> dict[str, Any]:
    """The forecast document: printed by ``detente forecast --format json``, returned by
    ``POST /forecast`` (documented in docs/cli.md and docs/api.md).

    JSON-ready (plain Python, non-finite numbers as None, full float64 precision).

    Keys: ``detente_version``; ``scenario`` (name, title, issues, actors, positions, notes);
    ``issues`` and ``actors`` (ids); ``seed_entropy``; ``zone_of_agreement`` (per issue);
    ``forecasts`` (per model: ``model, scenario, issues, actors, outcome {issue: value},
    utilities, params, diagnostics, notes, seed_entropy, reference, blocked_by, tables``;
    ``tables`` is None unless asked for).
    """
    from .._version import __version__
    from ..results import json_ready

    sc = run.scenario
    doc = {
        "detente_version": __version__,
        "scenario": _scenario_part(sc),
        "issues": list(sc.issue_ids),
        "actors": list(sc.actor_ids),
        "seed_entropy": run.seed_entropy,
        "zone_of_agreement": run.zone.summary(),
        "forecasts": [_forecast_part(f, b, tables) for f, b in zip(run.forecasts, run.blocked_by, strict=True)],
    }
    return json_ready(doc)
