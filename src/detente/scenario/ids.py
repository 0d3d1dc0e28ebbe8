"""Ids from the names people write: unique, readable, never silently merged.

A scenario id is ``[A-Za-z0-9_.-]{1,100}``. Readers of flat files (the flat CSV, KTAB,
Decide) take ids from free-text labels, which may be Cyrillic, Arabic, CJK, emoji or contain
spaces. :class:`IdMaker` turns each distinct label into an id:

* a label that is already a valid id is kept as it is;
* otherwise Latin letters lose their accents (``Türkiye`` -> ``Turkiye``), Cyrillic and Greek
  are transliterated (``Россия`` -> ``Rossiya``), other characters become ``_``;
* a label with nothing left (``中国``, an emoji) is numbered by kind and order (``actor_3``).

The label itself stays the actor's or issue's name, and :meth:`IdMaker.notes` says which ids
were made (one note per kind, bounded). Two different labels that end up with the same id
(``US A`` and ``US_A``) are an error naming both rows: merging them would lose data.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import ScenarioError

__all__ = ["IdMaker", "safe_name", "transliterate"]

_VALID = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
_OTHER = re.compile(r"[^A-Za-z0-9_.\-]+")
_MAX_LEN = 90  # leaves room for a numeric suffix within the schema's 100 characters
_NOTE_EXAMPLES = 5

# Cyrillic (Russian, Ukrainian, Belarusian, Serbian, Bulgarian, Macedonian) and Greek, lower
# case; upper case is derived. A simple, readable scheme in the spirit of BGN/PCGN.
_TABLE_LOWER = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u", "ђ": "dj", "ј": "j", "љ": "lj",
    "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o", "ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe", "þ": "th",
    "ð": "d", "ı": "i",
}
_TABLE = {**_TABLE_LOWER}
for _k, _v in _TABLE_LOWER.items():
    _up = _k.upper()
    if len(_up) == 1 and _up != _k:
        _TABLE[_up] = _v[:1].upper() + _v[1:]
_TRANS = str.maketrans(_TABLE)


def transliterate(text: str) -> str:
    """An ASCII rendering of ``text``: accents dropped, Cyrillic and Greek transliterated.

    Characters with no rendering (CJK, Arabic, emoji) are dropped. Linear in ``len(text)``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    # decompose first so accented Cyrillic/Greek (й, ά) reach the table as base letters
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    base = unicodedata.normalize("NFC", base).translate(_TRANS)
    return base.encode("ascii", "ignore").decode("ascii")


def safe_name(text: str, fallback: str) -> str:
    """A scenario name (a valid id) from free text such as a file name or a title."""
    return _OTHER.sub("_", transliterate(text.strip())).strip("_")[:_MAX_LEN].strip("_") or fallback


class IdMaker:
    """Give each distinct label of one kind (actors or issues) its own id.

    Parameters
    ----------
    kind : str
        ``"actor"`` or ``"issue"``: used in numbered ids, notes and errors.
    source : str
        The file name, for errors.
    field : str
        The column or field the labels come from, for errors.
    """

    def __init__(self, kind: str, *, source: str, field: str | None = None) -> None:
        self.kind = kind
        self.source = source
        self.field = field or kind
        self._by_label: dict[str, str] = {}
        self._owner: dict[str, tuple[str, str]] = {}  # id -> (label, where first seen)
        self._made: list[tuple[str, str]] = []  # (label, id) for labels that were not ids
        self._count = 0

    def id_for(self, label: str, *, where: str) -> str:
        """The id of ``label`` (stripped), made on first sight; ``where`` is its row or line."""
        label = label.strip()
        known = self._by_label.get(label)
        if known is not None:
            return known
        self._count += 1
        if _VALID.fullmatch(label):
            new = label
        else:
            new = _OTHER.sub("_", transliterate(label)).strip("_")[:_MAX_LEN].strip("_")
            if not new:
                new = f"{self.kind}_{self._count}"
                k = self._count
                while new in self._owner:  # a numbered id never takes an existing one
                    k += 1
                    new = f"{self.kind}_{k}"
            self._made.append((label, new))
        if new in self._owner:
            other, first = self._owner[new]
            raise ScenarioError(
                f"{self.kind}s {other!r} ({first}) and {label!r} ({where}) would both get the id "
                f"{new!r}; give them names that differ in letters or digits",
                source=self.source, location=where, field=self.field,
            )
        self._owner[new] = (label, where)
        self._by_label[label] = new
        return new

    def notes(self) -> list[str]:
        """One note (or none) saying which labels were given made-up ids."""
        if not self._made:
            return []
        shown = ", ".join(f"{label!r} -> {new!r}" for label, new in self._made[:_NOTE_EXAMPLES])
        more = len(self._made) - _NOTE_EXAMPLES
        tail = f" and {more} more" if more > 0 else ""
        return [
            f"{len(self._made)} {self.kind} name(s) are not valid ids (letters A-Z, digits, _ . -), "
            f"so their ids were transliterated or numbered; the names are kept: {shown}{tail}"
        ]
