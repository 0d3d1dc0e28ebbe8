"""Write ``src/detente/models/_catalogue.py``: the built-in models' catalogue entries.

    python scripts/write_model_catalogue.py          # rewrite the file
    python scripts/write_model_catalogue.py --check  # exit 1 when the file is stale

``detente models`` lists the built-in models from that file so that it imports no model (and
no numpy). Run this after changing a model's first docstring line, ``reference`` or a
parameter's default; ``tests/models/test_catalogue.py`` fails until you do.
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path

from detente.models.registry import BUILTIN_MODELS, builtin_class
from detente.service.models import model_entry

TARGET = Path(__file__).resolve().parents[1] / "src" / "detente" / "models" / "_catalogue.py"

HEADER = '''"""The built-in models' catalogue entries: one-line description, citation, parameter defaults.

Written from the model classes by ``python scripts/write_model_catalogue.py``; do not edit.
``tests/models/test_catalogue.py`` fails when it is stale. ``detente models`` and ``GET /models``
list the models from here, so listing them imports no model and no numpy.
"""

from typing import Any

CATALOGUE: dict[str, dict[str, Any]] = '''


def _value(v: object, indent: int) -> str:
    """``v`` as Python source, wrapped to the line length at ``indent`` spaces."""
    text = pprint.pformat(v, width=100 - indent, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def render() -> str:
    lines = [HEADER + "{"]
    for name in BUILTIN_MODELS:
        entry = model_entry(builtin_class(name))
        lines.append(f"    {name!r}: {{")
        for key, value in entry.items():
            lines.append(f"        {key!r}: {_value(value, 10 + len(repr(key)))},")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is stale: run python scripts/write_model_catalogue.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
