"""Map roster header texts to catalogue fields, with a user-supplied mapping for local headers."""

from __future__ import annotations

from typing import Iterable, Mapping

from vetting.errors import InputError, did_you_mean
from vetting.fields import Field, alias_index, header_key


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
