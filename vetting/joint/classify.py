"""Classify agencies' free-text opinions with the ruleset's declarative patterns (once per distinct text).

Reading order, chosen so that a finding is never mistaken for "nothing found":
1. the whole text is a not-yet-answered phrase → pending;
2. every clause of the text is a clear phrase ("经核查，该同志无违法犯罪记录，无行政拘留记录") → clear;
3. any finding pattern matches a clause that does not negate it ("未被列入失信被执行人名单" is negated,
   "无犯罪记录但有行政拘留记录" is not) → finding;
4. otherwise → unclassified (the caller makes it `review`, quoting the text).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from vetting.normalize.text import clean_text
from vetting.ruleset.model import OpinionPattern, OpinionRules

#: Status of one opinion cell.
BLANK, PENDING, CLEAR, FINDING, UNCLASSIFIED = "blank", "pending", "clear", "finding", "unclassified"
_GROUP = re.compile(r"\{([A-Za-z_][A-Za-z0-9_|]*)\}")
_CLAUSE_BREAK = re.compile(r"[，,；;。、\n\r\t！!？?]+")
_PREFACE = re.compile(r"(经|已)?(核查|查询|审查|比对|排查|查)(结果|意见|结论)?[：:]?|结论[：:]?|意见[：:]?")
_NEGATION = re.compile(r"未曾|从未|并未|未被|未受|未发现|未查询到|未查到|未|没有|无(?!法)|不存在|不是|不|非")
_AFFIRMATION = re.compile(r"但|却|仍|然而|有(?!无)|曾经|现(?!无)")
_DIGITS = re.compile(r"\d+")
NEGATION_REACH = 3


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_BREAK.split(text) if c.strip()]


def _is_clear(text: str, rules: OpinionRules) -> bool:
    """Every clause is a clear phrase that no finding pattern affirms (a leading 经核查/结论
    preface may stand alone)."""
    clauses = [c for c in _clauses(text) if not _PREFACE.fullmatch(c)]
    return bool(clauses) and all(
        any(p.fullmatch(c) for p in rules.clear) and not any(_best_match(c, p) for p in rules.patterns)
        for c in clauses)


def _negated(text: str, start: int) -> bool:
    """Whether a negation word stands right before a match ("未被列入…", "未发现涉黑…"), at most
    NEGATION_REACH characters away in the same clause and with no affirmation in between."""
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    prefix = text[(breaks[-1] if breaks else 0):start]
    negations = list(_NEGATION.finditer(prefix))
    if not negations or len(prefix) - negations[-1].end() > NEGATION_REACH:
        return False
    return not _AFFIRMATION.search(prefix, negations[-1].end())


def _date_key(match: re.Match) -> tuple:
    """Numbers of the first date-like group of a match (for choosing its latest event)."""
    for name in ("date", "date_after"):
        if name in match.re.groupindex and match.group(name):
            return tuple(int(d) for d in _DIGITS.findall(match.group(name)))
    return ()


def _fill(template: str, match: re.Match, pattern: OpinionPattern) -> str:
    def group(ref: re.Match) -> str:
        for name in ref.group(1).split("|"):
            text = match.group(name) or ""
            if text:
                return pattern.maps.get(name, {}).get(text, text)
        return ""
    return _GROUP.sub(group, template).strip()


def _affirmed(text: str, pattern: OpinionPattern) -> list[re.Match]:
    """The pattern's matches not under a negation; a negation covers later matches of the same
    clause too ("未参加法轮功等邪教组织") until an affirmation ("但有…") intervenes."""
    found, negated_until = [], -1
    for match in pattern.regex.finditer(text):
        same_clause = negated_until >= 0 and not _CLAUSE_BREAK.search(text, negated_until, match.start())
        carried = same_clause and not _AFFIRMATION.search(text, negated_until, match.start())
        if carried or _negated(text, match.start()):
            negated_until = match.end()
        else:
            negated_until = -1
            found.append(match)
    return found


def _best_match(text: str, pattern: OpinionPattern) -> re.Match | None:
    """The pattern's affirmed match with the latest date (the event a look-back window cares about)."""
    matches = _affirmed(text, pattern)
    return max(matches, key=_date_key) if matches else None


def classify_text(text: str | None, rules: OpinionRules) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """Status, extracted field texts and matched pattern ids for one cleaned opinion text."""
    if text is None or not text.strip():
        return BLANK, {}, ()
    if len(text) > rules.max_length:
        return UNCLASSIFIED, {}, ()
    if any(p.fullmatch(text) for p in rules.pending):
        return PENDING, {}, ()
    if _is_clear(text, rules):
        return CLEAR, {}, ()
    values: dict[str, str] = {}
    matched = []
    for pattern in rules.patterns:
        if pattern.unless is not None and pattern.unless.search(text):
            continue
        match = _best_match(text, pattern)
        if match is None:
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
