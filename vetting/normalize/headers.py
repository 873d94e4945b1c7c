"""Map roster header texts to catalogue fields, with a user-supplied mapping for local headers."""

from __future__ import annotations

from typing import Iterable, Mapping

from vetting.errors import InputError, did_you_mean
from vetting.fields import Field
from vetting.normalize.text import header_key


def alias_index(fields: Mapping[str, Field]) -> dict[str, str]:
    """Normalised header text -> field name, from every field's label and aliases."""
    index: dict[str, str] = {}
    for name, spec in fields.items():
        if spec.derived:
            continue
        for text in (spec.label, name, *spec.aliases):
            index.setdefault(header_key(text), name)
    return index


def map_headers(headers: Iterable[str], fields: Mapping[str, Field],
                user_mapping: Mapping[str, str] | None = None, path: str | None = None) -> dict[str, str]:
    """Header -> field for every recognised column; two columns for one field is an error."""
    index = alias_index(fields)
    user = {header_key(k): v for k, v in (user_mapping or {}).items()}
    for header, name in (user_mapping or {}).items():
        if name not in fields or fields[name].derived:
            raise InputError(f"列映射「{header}={name}」中的字段「{name}」不存在{did_you_mean(name, fields)}", path)
    mapping: dict[str, str] = {}
    owner: dict[str, str] = {}
    for header in headers:
        key = header_key(str(header))
        name = user.get(key) or index.get(key)
        if not name:
            continue
        if name in owner:
            raise InputError(f"「{owner[name]}」和「{header}」两列都对应字段「{fields[name].label}」，"
                             "请删除一列或用 --map 指定", path)
        owner[name] = str(header)
        mapping[str(header)] = name
    return mapping


def header_score(cells: Iterable[object], index: Mapping[str, str]) -> int:
    """How many cells of a row look like known headers (used to find the header row)."""
    return len({index[k] for k in (header_key(str(c)) for c in cells if c is not None) if k in index})
