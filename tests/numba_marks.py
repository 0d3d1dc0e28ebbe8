"""One rule for tests of the compiled (numba, extra ``fast``) backends.

Without numba they skip with a reason, except in CI (``CI`` set true): ``.ci/run`` installs the
``dev`` extra, which includes numba, so a missing numba there must fail, never skip.
"""

from __future__ import annotations

import os

import pytest

from detente._jit import HAVE_NUMBA

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")

#: marker for a test of a compiled backend
needs_numba = pytest.mark.skipif(
    not HAVE_NUMBA and not IN_CI, reason="numba is not installed (extra 'fast'): only the numpy backend runs"
)

#: ``backend`` parameters: the numpy path always, the compiled one under :data:`needs_numba`
BACKENDS = [pytest.param("numpy"), pytest.param("numba", marks=needs_numba)]
