"""The one seeding rule of the application layer.

Every entry point takes ``seed``: None, an int >= 0 or a :class:`numpy.random.SeedSequence`.

* **None means fresh entropy.** It is drawn once, at the entry point, from the operating
  system (:func:`resolve_seed`), recorded in the result or document (``seed_entropy``) and
  printed by the CLI; from then on the run behaves exactly as if that int had been given, so
  passing it back repeats the run.
* **Defaults.** Forecasts and reports default to ``DEFAULTS.forecast_seed`` (0), so a plain
  ``detente forecast`` or ``POST /forecast`` is repeatable; Monte Carlo, sensitivity and
  simulation default to None (fresh entropy, printed), as the CLI documents.
* **Several models in one run:** model *k* draws from child *k* of ``SeedSequence(seed)``
  (:func:`model_seeds`), so models never share a stream and adding a model does not change
  the numbers of the ones before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import numpy as np

__all__ = ["SeedLike", "model_seeds", "resolve_seed", "seed_entropy_of"]

# numpy (and detente.rng, which needs it) are imported inside the functions: `detente --help`
# imports this module and should not pay for numpy
SeedLike: TypeAlias = "None | int | np.random.SeedSequence"


def resolve_seed(seed: SeedLike) -> int | np.random.SeedSequence:
    """The seed a run uses: None becomes fresh OS entropy (an int); an int is validated.

    Raises
    ------
    ScenarioError
        For a bool, a negative int or another type (``field="seed"``).
    """
    import numpy as np

    from ..rng import as_seed_sequence

    if isinstance(seed, np.random.SeedSequence):
        return seed
    ss = as_seed_sequence(seed)  # validates; fresh entropy for None
    return int(ss.entropy)  # type: ignore[arg-type]


def seed_entropy_of(seed: SeedLike) -> int:
    """The entropy recorded for a resolved seed (the int itself for an int)."""
    from ..rng import as_seed_sequence

    return int(as_seed_sequence(seed).entropy)  # type: ignore[arg-type]


def model_seeds(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """One child SeedSequence per model: child *k* of ``SeedSequence(seed)``."""
    from ..rng import as_seed_sequence

    return as_seed_sequence(seed).spawn(n)
