"""Text made safe for where it lands, so that no cell or name can break the file or the terminal
it is written to. Each output has its own rule, decided here once:

- **XLSX** (XML 1.0): the C0 controls other than tab, line feed and carriage return, and the
  non-characters U+FFFE and U+FFFF, make the workbook unreadable; each is replaced by U+FFFD
  (the replacement character) and the report's audit block says how many texts were changed.
- **CSV**: the same C0 controls, DEL and the C1 controls (U+0080–U+009F) are replaced by U+FFFD
  and flagged the same way: a CSV is opened in a spreadsheet or printed with ``cat``, where they
  are either garbage or terminal commands. Tab and line breaks stay (they are quoted).
- **JSON**: left as it is; the JSON encoder writes every C0 control as an escape (``\\u001b``).
- **Terminal** (stderr notes, `vet check`, `vet history`, every line the CLI prints): the C0
  controls other than tab and line feed, DEL, the C1 controls and the bidirectional overrides
  are shown as visible marks (ESC as "␛", CR as "␍", U+009B as "<U+009B>"), so that a name or
  a sheet name can neither send escape sequences nor disguise a line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `replace_series` imports pandas when called; the terminal's text is plain `re`
    import numpy as np
    import pandas as pd

#: What replaces a character a file format cannot hold.
REPLACEMENT = "\ufffd"
#: Characters an XLSX cell (XML 1.0) cannot hold; written so that Python's re and Arrow's RE2
#: read it alike.
XLSX_FORBIDDEN = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\ufffe\uffff]"
#: Characters replaced in CSV output: C0 controls but tab, LF and CR; DEL; C1 controls.
CSV_FORBIDDEN = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\x7f-\x9f]"
#: Per pattern above, what its characters' UTF-8 bytes may contain (sequences, single bytes): a
#: column whose bytes hold none of them needs no search (`replace_series`).
_TRIGGERS = {
    CSV_FORBIDDEN: ((b"\xc2",), bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])),
    XLSX_FORBIDDEN: ((b"\xef\xbf\xbe", b"\xef\xbf\xbf"), bytes([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20)])),
}
_TERMINAL = re.compile("[\\x00-\\x08\\x0b-\\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def terminal_text(text: str) -> str:
    """`text` as a terminal may show it: control characters, DEL, C1 controls and bidirectional
    overrides replaced by visible marks (tab and line feed kept)."""
    return _TERMINAL.sub(_visible, text)


def replace_text(text: Any, forbidden: str) -> Any:
    """`text` with every character matching `forbidden` replaced by REPLACEMENT; non-text passes
    through."""
    return re.sub(forbidden, REPLACEMENT, text) if isinstance(text, str) else text


#: An object column at least this long is searched per distinct text when its texts repeat.
_DISTINCT_FROM = 1024


def replace_series(s: pd.Series, forbidden: str) -> tuple[pd.Series, int]:
    """`replace_text` over a text column in one Arrow pass, and how many values it changed (the
    column itself is returned when none holds such a character; a categorical column is searched
    through its categories)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from vetting.textbytes import may_hold, relabel_rows, repeated_texts

    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, labels = s.cat.codes.to_numpy(), s.cat.categories.to_numpy(dtype=object)
        cleaned = _cleaned_labels(labels, forbidden)
        if cleaned is None:
            return s, 0
        values = labels[np.where(codes < 0, 0, codes)]
        values[codes < 0] = None
        return relabel_rows(pd.Series(values, index=s.index, dtype=object), codes, labels, cleaned)
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)) or s.empty:
        return s, 0
    if s.dtype == object and len(s) >= _DISTINCT_FROM:
        try:        # a set of shared strings is cheap (each keeps its hash); pandas' factorize is ~10x slower
            distinct = set(s.to_numpy())
        except TypeError:       # an unhashable cell: searched as text below
            distinct = None
        if distinct is not None and 2 * len(distinct) <= len(s):   # shared texts (rule names, bases)
            if not any(isinstance(text, str) and re.search(forbidden, text) for text in distinct):
                return s, 0
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            return _per_label(s, np.asarray(uniques, dtype=object), codes, forbidden)
    try:
        text = pa.array(s.array if isinstance(s.dtype, pd.StringDtype) else s.to_numpy(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = None
    if text is None or not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        text = pa.array(s.astype("str"), from_pandas=True)     # an object column holding numbers or dates
    shared = repeated_texts(text)
    triggers = _TRIGGERS.get(forbidden)
    if shared is None and triggers is not None and not may_hold(text, *triggers[0], delete=triggers[1]):
        return s, 0
    if shared is not None:      # a few texts repeated: each searched once
        return _per_label(s, np.asarray(shared[1], dtype=object), shared[0], forbidden)
    hits = pc.fill_null(pc.match_substring_regex(text, forbidden), False)
    count = pc.sum(hits).as_py() or 0
    if not count:
        return s, 0
    out = s.copy()
    at = np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)
    out[at] = [replace_text(v, forbidden) for v in s[at]]
    return out, int(count)


def _per_label(s: pd.Series, labels: np.ndarray, codes: np.ndarray, forbidden: str) -> tuple[pd.Series, int]:
    """`replace_series` of a column given as its distinct `labels` and a code per row (-1: missing)."""
    from vetting.textbytes import relabel_rows

    cleaned = _cleaned_labels(labels, forbidden)
    return (s, 0) if cleaned is None else relabel_rows(s, codes, labels, cleaned)


def _cleaned_labels(labels: np.ndarray, forbidden: str) -> np.ndarray | None:
    """Distinct texts with `replace_text` applied, or None when none changes."""
    import pandas as pd

    cleaned, changed = replace_series(pd.Series(labels, dtype=object), forbidden)
    return cleaned.to_numpy(dtype=object) if changed else None


def replace_tree(value: Any, forbidden: str) -> tuple[Any, int]:
    """A JSON-like structure with `replace_text` applied to every string and key, and how many
    strings it changed. Each string is searched before it is rewritten: a meta block names up to
    50,000 people awaited (vetting.joint.chase), nearly all of them clean."""
    pattern, count = re.compile(forbidden), 0

    def walk(item: Any) -> Any:
        nonlocal count
        if isinstance(item, str):
            if pattern.search(item) is None:
                return item
            count += 1
            return pattern.sub(REPLACEMENT, item)
        if isinstance(item, dict):
            return {walk(key): walk(inner) for key, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(inner) for inner in item]
        return item

    return walk(value), count
