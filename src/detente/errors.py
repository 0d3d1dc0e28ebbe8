"""The one exception tree of detente.

::

    DetenteError
    ├── ScenarioError(DetenteError, ValueError)     bad input; .source, .location, .field
    ├── ModelError
    │   ├── UnknownModelError(ModelError, LookupError)
    │   ├── ModelParameterError(ModelError, ValueError)
    │   └── ConvergenceError                        carries iterations and tolerance
    ├── ReferenceDataError                          parity data missing or malformed
    └── MissingExtraError(DetenteError, ImportError) names the extra to install

Every error raised by the library derives from :class:`DetenteError`, so one ``except``
catches them all. Messages read ``file: location.field: what is wrong (got X)``.
Warnings use :class:`DetenteWarning`.
"""

from __future__ import annotations

from functools import partial

__all__ = [
    "ConvergenceError",
    "DetenteError",
    "DetenteWarning",
    "MissingExtraError",
    "ModelError",
    "ModelParameterError",
    "ReferenceDataError",
    "ScenarioError",
    "UnknownModelError",
]


class DetenteError(Exception):
    """Base class of every error detente raises."""


class DetenteWarning(UserWarning):
    """Warning category for detente (never raised, only warned)."""


class ScenarioError(DetenteError, ValueError):
    """Invalid input: a scenario, a case file or an option given by the user.

    Parameters
    ----------
    problem : str
        What is wrong, including the offending value and what is allowed.
    source : str
        The file (or ``<string>``/built-in name) the input came from.
    location : str
        Where in the source: ``positions[3]``, ``row 7``, ``line 12``.
    field : str
        The field or column concerned.
    problems : list of ScenarioError, optional
        When several problems were found at once, each one; the message lists them all.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str = "",
        location: str = "",
        field: str = "",
        problems: tuple[ScenarioError, ...] | list[ScenarioError] = (),
    ) -> None:
        self.problem = problem
        self.source = source
        self.location = location
        self.field = field
        self.problems: tuple[ScenarioError, ...] = tuple(problems)
        sep = ", " if location.startswith(("row ", "line ")) and "[" not in location else "."
        where = sep.join(p for p in (location, field) if p)
        if self.problems:
            head = ": ".join(p for p in (source, problem) if p)
            msg = head + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        else:
            msg = ": ".join(p for p in (source, where, problem) if p)
        super().__init__(msg)

    def __reduce__(self):  # keyword-only args would otherwise break pickling (Dask workers)
        kw = dict(
            source=self.source, location=self.location, field=self.field, problems=self.problems
        )
        return partial(type(self), **kw), (self.problem,)


class ModelError(DetenteError):
    """A model could not produce a forecast."""


class UnknownModelError(ModelError, LookupError):
    """A model name that is not in the registry."""

    def __init__(self, name: str, valid: list[str] | tuple[str, ...]) -> None:
        self.name = name
        self.valid = tuple(valid)
        super().__init__(f"unknown model {name!r}; valid names: {', '.join(self.valid)}")

    def __reduce__(self):
        return type(self), (self.name, self.valid)


class ModelParameterError(ModelError, ValueError):
    """A model parameter that the model does not declare, or a bad value for one."""


class ConvergenceError(ModelError):
    """An iterative computation did not converge."""

    def __init__(self, message: str, *, iterations: int = 0, tolerance: float = 0.0) -> None:
        self.iterations = iterations
        self.tolerance = tolerance
        super().__init__(f"{message} (after {iterations} iterations, tolerance {tolerance:g})")

    def __reduce__(self):
        return partial(type(self), iterations=self.iterations, tolerance=self.tolerance), (
            str(self).split(" (after ")[0],
        )


class ReferenceDataError(DetenteError):
    """Reference (parity) data missing or malformed."""


class MissingExtraError(DetenteError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        # several at once: package "jinja2 and matplotlib", extra "web,plot"
        many = "," in extra
        super().__init__(
            f"{package} {'are' if many else 'is'} needed for this; install "
            f"{'them' if many else 'it'} with: pip install 'detente[{extra}]'"
        )

    def __reduce__(self):
        return type(self), (self.package, self.extra)
