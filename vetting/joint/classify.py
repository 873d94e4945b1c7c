"""Classify agencies' free-text opinions with the ruleset's declarative patterns (once per distinct text)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from vetting.normalize.text import clean_text
from vetting.ruleset.model import OpinionPattern, OpinionRules

#: Status of one opinion cell.
BLANK, PENDING, CLEAR, FINDING, UNCLASSIFIED = "blank", "pending", "clear", "finding", "unclassified"
_GROUP = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(template: str, match: re.Match, pattern: OpinionPattern) -> str:
    def group(ref: re.Match) -> str:
        name = ref.group(1)
        text = match.group(name) or ""
        return pattern.maps.get(name, {}).get(text, text)
    return _GROUP.sub(group, template).strip()


def classify_text(text: str | None, rules: OpinionRules) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """Status, extracted field texts and matched pattern ids for one cleaned opinion text."""
    if text is None or not text.strip():
        return BLANK, {}, ()
    if len(text) > rules.max_length:
        return UNCLASSIFIED, {}, ()
    if any(p.fullmatch(text) for p in rules.pending):
        return PENDING, {}, ()
    if any(p.fullmatch(text) for p in rules.clear):
        return CLEAR, {}, ()
    values: dict[str, str] = {}
    matched = []
    for pattern in rules.patterns:
        match = pattern.regex.search(text)
        if not match or (pattern.unless is not None and pattern.unless.search(text)):
            continue
        matched.append(pattern.id)
        for field, template in pattern.sets.items():
            value = _fill(template, match, pattern)
            if value and field not in values:
                values[field] = value
    return (FINDING if matched else UNCLASSIFIED), values, tuple(matched)


def classify_opinions(texts: pd.Series, rules: OpinionRules) -> pd.DataFrame:
    """Per cell: `status`, `patterns` (matched ids) and one column per extracted field (text or NA)."""
    cleaned = clean_text(texts)
    codes, uniques = pd.factorize(cleaned, use_na_sentinel=True)
    results = [classify_text(str(u), rules) for u in uniques] + [(BLANK, {}, ())]
    fields = sorted({f for _, values, _ in results for f in values})
    take = np.where(codes < 0, len(uniques), codes)
    table = {
        "status": np.array([r[0] for r in results], dtype=object)[take],
        "patterns": np.array(["、".join(r[2]) for r in results], dtype=object)[take],
        "text": cleaned.to_numpy(dtype=object, na_value=None),
    }
    for field in fields:
        table[field] = np.array([r[1].get(field) for r in results], dtype=object)[take]
    return pd.DataFrame(table, index=texts.index)
