"""The field catalogue: the candidate fields rulesets can read, their types and roster header aliases,
and how a header cell is matched to them (shared by the readers and the normalisers)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping

FIELD_TYPES = ("text", "name", "id_number", "date", "int", "flag", "enum", "education", "role")

#: Cell texts read as yes / no in flag columns (compared after NFKC, strip, lower-case).
FLAG_TRUE = frozenset({"是", "有", "√", "✓", "y", "yes", "true", "1", "存在", "属实", "涉及"})
FLAG_FALSE = frozenset({"否", "无", "没有", "×", "✗", "n", "no", "false", "0", "不存在", "未发现", "不涉及"})
#: The values an `int` field accepts unless the catalogue gives it narrower `bounds` (months, years,
#: counts are never negative; a 10**18 in a cell is a typing error, not a period).
INT_BOUNDS = (0, 999_999_999)


@dataclass(frozen=True)
class Field:
    """One candidate field: canonical name, Chinese label, type, header aliases, enum values."""

    name: str
    label: str
    type: str
    aliases: tuple[str, ...] = ()
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    derived: bool = False
    bounds: tuple[int, int] | None = None   # int fields: the smallest and largest sane value
    may_follow_as_of: bool = False          # date fields: an end date that may lie after the as-of date

    def int_bounds(self) -> tuple[int, int]:
        """The values an int cell may hold (anything else is refused when read, V05)."""
        return self.bounds or INT_BOUNDS

    def value_lookup(self) -> dict[str, str]:
        """Map every accepted spelling of an enum value (lower-cased) to its canonical value."""
        lookup: dict[str, str] = {}
        for canonical, spellings in self.values.items():
            lookup[canonical.lower()] = canonical
            for spelling in spellings:
                lookup[str(spelling).lower()] = canonical
        return lookup


def field_from_dict(name: str, spec: Mapping) -> Field:
    """Build a Field from its catalogue entry (already validated by schema)."""
    values = {str(k): tuple(str(a) for a in (v or ())) for k, v in (spec.get("values") or {}).items()}
    return Field(
        name=name,
        label=str(spec.get("label", name)),
        type=str(spec["type"]),
        aliases=tuple(str(a) for a in spec.get("aliases", ()) or ()),
        values=values,
        derived=bool(spec.get("derived", False)),
        bounds=tuple(int(b) for b in spec["bounds"]) if spec.get("bounds") else None,
        may_follow_as_of=bool(spec.get("may_follow_as_of", False)),
    )


@lru_cache(maxsize=1)
def builtin_fields() -> dict[str, Field]:
    """The catalogue shipped with the tool (vetting/fields.yaml)."""
    text = resources.files("vetting").joinpath("fields.yaml").read_text(encoding="utf-8")
    import yaml  # only when the catalogue is read: a ruleset from the cache needs no YAML parser

    data = yaml.safe_load(text)
    return {name: field_from_dict(name, spec) for name, spec in data["fields"].items()}


_HEADER_DROP = re.compile(r"[\s*\u200b-\u200d\u2060\ufeff]+")
_HEADER_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")"})


def header_key(text: str) -> str:
    """Normalise one header cell for alias matching.

    NFKC, drop whitespace and line breaks and the "*"/"＊" required marks, unify brackets to
    "()", lower-case: so "出生\\n年月*" and "出生年月" match the same alias.
    """
    text = unicodedata.normalize("NFKC", str(text)).translate(_HEADER_BRACKETS)
    return unicodedata.normalize("NFKC", _HEADER_DROP.sub("", text).lower())


def alias_index(fields: Mapping[str, Field]) -> dict[str, str]:
    """Normalised header text -> field name, from every field's label and aliases."""
    index: dict[str, str] = {}
    for name, spec in fields.items():
        if spec.derived:
            continue
        for text in (spec.label, name, *spec.aliases):
            index.setdefault(header_key(text), name)
    return index


def header_score(cells: Iterable[object], index: Mapping[str, str]) -> int:
    """How many cells of a row look like known headers (used to find the header row)."""
    return len({index[k] for k in (header_key(str(c)) for c in cells if c is not None) if k in index})
