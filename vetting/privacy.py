"""ID-number masking: the one place that decides what a masked ID looks like and which digit
runs in free text count as ID numbers. Reports, evidence, the run history and stderr all call it.

An ID value of 15 or 18 characters (the two real forms) keeps its first 6 and last 4
("510525********123X"): what it hides is the birth date and sequence number. A value of any
other length is starred entirely: it is a cut or mistyped number, and which of its characters
are the secret ones is unknown. In free text, an ID-like number is 14 or more digits (ASCII or
full-width, the last character may be X), written in one run or in groups of two or more
separated by single spaces or hyphens, all the same ("110105 19491231 002X",
"1101-0519-4912-3100-2X"), whatever stands before or after it; it is masked the same way,
separators kept. Mask before cutting a text: a cut through a number would leave a fragment
that no longer looks like one (`cut_text` does both, in that order).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the column functions import pandas when called: `mask_text` on a str is plain `re`
    import pandas as pd

_DIGIT = "0-9\uff10-\uff19"
_X = "Xx\uff38\uff58"
_SEP = " \\-\u00a0\u3000\uff0d"
#: Fewest digits an ID-like number has (an 18-character ID cut or mistyped keeps at least this).
MIN_DIGITS = 14
#: Every text holding an ID-like number matches this (Python's re and Arrow's RE2 read it alike):
#: MIN_DIGITS digits with at most one separator between two of them. Used as a quick prefilter;
#: `mask_text` decides exactly.
ID_RUN = f"[{_DIGIT}](?:[{_SEP}]?[{_DIGIT}]){{{MIN_DIGITS - 1},}}"
_GROUP = f"[{_DIGIT}]+[{_DIGIT}{_X}]"
_NUMBER = re.compile(f"{_GROUP}(?:([{_SEP}]){_GROUP}(?:\\1{_GROUP})*)?")
_PREFILTER = re.compile(ID_RUN)
_FEWER_DIGITS = 10 ** (MIN_DIGITS - 1)     # an integer below this in size has too few digits to mask
_KEEPS = re.compile(f"[{_DIGIT}{_X}]")
KEEP_HEAD, KEEP_TAIL = 6, 4
#: Lengths of real ID numbers: only these keep KEEP_HEAD + KEEP_TAIL characters when masked.
ID_LENGTHS = (15, 18)


def mask_id(value: Any) -> Any:
    """One ID value masked: 15 or 18 characters keep 6 + 4, any other length is starred
    entirely; None and NA pass through."""
    if not isinstance(value, str):
        return value
    if len(value) not in ID_LENGTHS:
        return "*" * len(value)
    return value[:KEEP_HEAD] + "*" * (len(value) - KEEP_HEAD - KEEP_TAIL) + value[-KEEP_TAIL:]


def _mask_number(match: re.Match) -> str:
    text = match.group(0)
    if match.group(1) is None:          # one run, the usual case: no separators to keep
        if len(text) - (text[-1] in _X) < MIN_DIGITS:
            return text
        return mask_id(text)
    places = [m.start() for m in _KEEPS.finditer(text)]
    if len(places) - (text[-1] in _X) < MIN_DIGITS:
        return text
    keep = set(places[:KEEP_HEAD] + places[-KEEP_TAIL:]) if len(places) in ID_LENGTHS else set()
    starred = set(places) - keep
    return "".join("*" if i in starred else ch for i, ch in enumerate(text))


def mask_text(text: Any) -> Any:
    """Free text with every ID-like number masked (see the module docstring); non-text passes
    through."""
    if not isinstance(text, str) or not _PREFILTER.search(text):
        return text
    return _NUMBER.sub(_mask_number, text)


def mask_id_series(s: pd.Series) -> pd.Series:
    """`mask_id` over a column of ID values (NA kept)."""
    text = s.astype("str")
    lengths = text.str.len()
    out = text.copy()
    for length in lengths.dropna().unique():
        length = int(length)
        same = (lengths == length).to_numpy()
        out[same] = ("*" * length if length not in ID_LENGTHS
                     else text[same].str.slice_replace(KEEP_HEAD, length - KEEP_TAIL,
                                                       "*" * (length - KEEP_HEAD - KEEP_TAIL)))
    return out


def mask_text_series(s: pd.Series) -> pd.Series:
    """`mask_text` over a text column: the rows that may hold an ID-like number are found in one
    Arrow pass, only those are rewritten (a report's millions of reasons mostly hold none)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)) or s.empty:
        return s
    from vetting.textbytes import may_hold_digits, relabel_rows, repeated_texts

    text = pa.array(s.astype("str"), from_pandas=True, type=pa.large_string())
    shared = repeated_texts(text) if isinstance(s.dtype, pd.StringDtype) else None
    if shared is None and not may_hold_digits(text, MIN_DIGITS):
        return s
    if shared is not None:      # a few texts repeated: each masked once
        codes, labels = shared
        return relabel_rows(s, codes, labels, [mask_text(v) for v in labels])[0]
    hits = pc.fill_null(pc.match_substring_regex(text, ID_RUN), False).to_numpy(zero_copy_only=False)
    if not hits.any():
        return s
    at = np.flatnonzero(hits)
    masked = [mask_text(v) for v in s.iloc[at]]
    out = s.copy()
    out.iloc[at] = masked
    return out


def mask_tree(value: Any, keep: frozenset[str] = frozenset({"sha256", "id_key_id"})) -> Any:
    """A JSON-like structure (dicts, lists, text, numbers) with ID-like runs masked in every
    string, every key and every integer long enough to be an ID number (which becomes masked
    text), except the values under keys in `keep` (digests are not ID numbers). A key is masked
    once however often it recurs (a meta block lists up to 50,000 people awaited)."""
    keys: dict[Any, Any] = {}

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return mask_text(item)
        if isinstance(item, bool):
            return item
        if isinstance(item, int):
            if -_FEWER_DIGITS < item < _FEWER_DIGITS:
                return item
            text = str(item)
            return mask_text(text) if _PREFILTER.search(text) else item
        if isinstance(item, dict):
            out = {}
            for key, inner in item.items():
                masked = keys.get(key) if type(key) is str else key    # 0, False and 0.0 are one dict key
                if masked is None:
                    masked = keys[key] = mask_text(key)
                out[masked] = inner if key in keep else walk(inner)
            return out
        if isinstance(item, (list, tuple)):
            return [walk(inner) for inner in item]
        return item

    return walk(value)


_TRAILING_RUN = re.compile(f"[{_DIGIT}{_X}]+$")
_LEADING_RUN = re.compile(f"^[{_DIGIT}{_X}]")


def cut_text(text: str, limit: int, ellipsis: str = "") -> str:
    """`text` masked (`mask_text`), then cut to `limit` characters without splitting a digit
    run: masking first means no cut can leave a fragment too short to be recognised, and a
    cut through any other number drops the whole number from the quote."""
    text = mask_text(text)
    if len(text) <= limit:
        return text
    head = text[:limit]
    if _LEADING_RUN.match(text[limit:]):
        head = _TRAILING_RUN.sub("", head)
    return head + ellipsis


def cut_text_series(s: pd.Series, limit: int, ellipsis: str = "") -> pd.Series:
    """`cut_text` over a text column (NA kept): masked in one vectorised pass, then only the
    rows longer than `limit` are cut (and end with `ellipsis`)."""
    text = mask_text_series(s.astype("string"))
    long = (text.str.len() > limit).fillna(False).to_numpy(dtype=bool)
    if not long.any():
        return text
    out = text.copy()
    out[long] = [cut_text(v, limit, ellipsis) for v in text[long]]
    return out
