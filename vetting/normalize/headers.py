"""Map roster header texts to catalogue fields, with a user-supplied mapping for local headers."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from vetting.errors import InputError, did_you_mean
from vetting.fields import Field, alias_index, header_key
from vetting.inputs import RawTable

#: Headers listed in a message before it says 等.
_LISTED = 60


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


def check_user_mapping(user_mapping: Mapping[str, str] | None, tables: Sequence[RawTable]) -> None:
    """Refuse a --map header that no roster has: a typo would otherwise leave the column unread
    without a word. The message lists the headers that do exist (and the closest one)."""
    check_mapped_headers(user_mapping, [(t.name, list(t.frame.columns)) for t in tables])


def check_mapped_headers(user_mapping: Mapping[str, str] | None, headers: Sequence[tuple[str, Sequence]]) -> None:
    """`check_user_mapping` over (file name, its headers) pairs: a run read in slices checks
    every file's header once, not each slice on its own."""
    if not user_mapping or not headers:
        return
    seen = list(dict.fromkeys(str(c) for _, columns in headers for c in columns))
    keys = {header_key(h) for h in seen}
    for header, name in user_mapping.items():
        if header_key(header) in keys:
            continue
        listed = "、".join(seen[:_LISTED]) + ("等" if len(seen) > _LISTED else "")
        files = "、".join(dict.fromkeys(file for file, _ in headers))
        raise InputError(f"--map「{header}={name}」中的表头「{header}」在花名册中不存在{did_you_mean(header, seen)}；"
                         f"现有表头：{listed}", files)
