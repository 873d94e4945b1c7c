"""Classify agencies' free-text opinions with the ruleset's declarative patterns (once per distinct text).

Reading order, chosen so that a finding is never mistaken for "nothing found":
1. the whole text is a not-yet-answered phrase → pending;
2. every clause of the text is a clear phrase ("经核查，该同志无违法犯罪记录，无行政拘留记录") → clear;
3. any finding pattern matches a clause that does not negate it ("未被列入失信被执行人名单" is negated,
   "无犯罪记录但有行政拘留记录" is not) → finding;
4. otherwise → unclassified (the caller makes it `review`, quoting the text).

The pack's patterns run on all distinct texts at once in RE2 (vetting.ruleset.pattern: linear time,
so a hostile text cannot stall a run); a text longer than the pack's `max_length` is never matched
but left to a person. Only the matches themselves are looked at one by one (negation, latest date).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.normalize.text import clean_text
from vetting.ruleset.model import OpinionPattern, OpinionRules
from vetting.ruleset.pattern import Match

#: Status of one opinion cell.
BLANK, PENDING, CLEAR, FINDING, UNCLASSIFIED = "blank", "pending", "clear", "finding", "unclassified"
_GROUP = re.compile(r"\{([A-Za-z_][A-Za-z0-9_|]*)\}")
_BREAK_CHARS = r"[，,；;。、\n\r\t！!？?]+"
_CLAUSE_BREAK = re.compile(_BREAK_CHARS)
_PREFACE = r"\A(?:(经|已)?(核查|查询|审查|比对|排查|查)(结果|意见|结论)?[：:]?|结论[：:]?|意见[：:]?)\z"
_NEGATION = re.compile(r"未曾|从未|并未|未被|未受|未发现|未查询到|未查到|未|没有|无(?!法)|不存在|不是|不|非")
_AFFIRMATION = re.compile(r"但|却|仍|然而|有(?!无)|曾经|现(?!无)")
_DIGITS = re.compile(r"\d+")
NEGATION_REACH = 3

Result = tuple[str, dict[str, str], tuple[str, ...]]


def _negated(text: str, start: int) -> bool:
    """Whether a negation word stands right before a match ("未被列入…", "未发现涉黑…"), at most
    NEGATION_REACH characters away in the same clause and with no affirmation in between."""
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    prefix = text[(breaks[-1] if breaks else 0):start]
    negations = list(_NEGATION.finditer(prefix))
    if not negations or len(prefix) - negations[-1].end() > NEGATION_REACH:
        return False
    return not _AFFIRMATION.search(prefix, negations[-1].end())


def _date_key(match: Match) -> tuple:
    """Numbers of the first date-like group of a match (for choosing its latest event)."""
    for name in ("date", "date_after"):
        if match.group(name):
            return tuple(int(d) for d in _DIGITS.findall(match.group(name)))
    return ()


def _fill(template: str, match: Match, pattern: OpinionPattern) -> str:
    def group(ref: re.Match) -> str:
        for name in ref.group(1).split("|"):
            text = match.group(name)
            if text:
                return pattern.maps.get(name, {}).get(text, text)
        return ""
    return _GROUP.sub(group, template).strip()


def _affirmed(text: str, matches: list[Match]) -> list[Match]:
    """The matches not under a negation; a negation covers later matches of the same clause too
    ("未参加法轮功等邪教组织") until an affirmation ("但有…") intervenes."""
    found, negated_until = [], -1
    for match in matches:
        same_clause = negated_until >= 0 and not _CLAUSE_BREAK.search(text, negated_until, match.start)
        carried = same_clause and not _AFFIRMATION.search(text, negated_until, match.start)
        if carried or _negated(text, match.start):
            negated_until = match.end
        else:
            negated_until = -1
            found.append(match)
    return found


def _best_matches(texts: list[str], pattern: OpinionPattern, among: np.ndarray | None = None) -> dict[int, Match]:
    """By text index: the pattern's affirmed match with the latest date (the event a look-back
    window cares about), for the texts (at the indices `among`) that have one."""
    best = {}
    for i, matches in pattern.regex.find_all(texts, among).items():
        affirmed = _affirmed(texts[i], matches)
        if affirmed:
            best[i] = max(affirmed, key=_date_key)
    return best


def _any_fullmatch(arr: pa.Array, patterns: tuple) -> np.ndarray:
    hit = np.zeros(len(arr), dtype=bool)
    for pattern in patterns:
        hit |= pattern.fullmatch(arr)
    return hit


def _clear(texts: list[str], rules: OpinionRules) -> np.ndarray:
    """Per text: every clause is a clear phrase that no finding pattern affirms (a leading
    经核查/结论 preface may stand alone)."""
    parts = pc.split_pattern_regex(pa.array(texts, pa.string()), _BREAK_CHARS)
    clauses = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    owner = pc.list_parent_indices(parts).to_numpy()
    kept = (pc.utf8_length(clauses).to_numpy() > 0) & ~_mask(pc.match_substring_regex(clauses, _PREFACE))
    clauses, owner = clauses.filter(pa.array(kept)), owner[kept]
    ok = _any_fullmatch(clauses, rules.clear)
    bad_owner = np.zeros(len(texts), dtype=bool)
    bad_owner[owner[~ok]] = True
    check = np.flatnonzero(~bad_owner[owner])
    words = clauses.take(pa.array(check, pa.int64())).to_pylist()
    for pattern in rules.patterns:
        found = np.fromiter(_best_matches(words, pattern), dtype=np.int64)
        bad_owner[owner[check[found]]] = True
    has_clause = np.zeros(len(texts), dtype=bool)
    has_clause[owner] = True
    return has_clause & ~bad_owner


def _mask(result: pa.Array) -> np.ndarray:
    return result.fill_null(False).to_numpy(zero_copy_only=False)


def classify_texts(texts: list[str], rules: OpinionRules) -> list[Result]:
    """Status, extracted field texts and matched pattern ids for each cleaned opinion text."""
    arr = pa.array(texts, pa.string())
    results: list[Result] = [(UNCLASSIFIED, {}, ())] * len(texts)
    blank = pc.utf8_length(pc.utf8_trim_whitespace(arr)).to_numpy() == 0
    open_ = ~blank & (pc.utf8_length(arr).to_numpy() <= rules.max_length)
    pending = open_ & _any_fullmatch(arr, rules.pending)
    rest = np.flatnonzero(open_ & ~pending)
    clear = _clear([texts[i] for i in rest], rules) if len(rest) else np.zeros(0, dtype=bool)
    for i in np.flatnonzero(blank):
        results[i] = (BLANK, {}, ())
    for i in np.flatnonzero(pending):
        results[i] = (PENDING, {}, ())
    for i in rest[clear]:
        results[i] = (CLEAR, {}, ())
    found = rest[~clear]
    values: list[dict[str, str]] = [{} for _ in found]
    matched: list[list[str]] = [[] for _ in found]
    subject = [texts[i] for i in found]
    arr = pa.array(subject, pa.string())
    for pattern in rules.patterns:
        among = pattern.regex.search(arr)
        if pattern.unless is not None:
            among &= ~pattern.unless.search(arr)
        for k, match in _best_matches(subject, pattern, np.flatnonzero(among)).items():
            matched[k].append(pattern.id)
            for field, template in pattern.sets.items():
                value = _fill(template, match, pattern)
                if value and field not in values[k]:
                    values[k][field] = value
    for k, i in enumerate(found):
        results[i] = (FINDING if matched[k] else UNCLASSIFIED), values[k], tuple(matched[k])
    return results


def classify_text(text: str | None, rules: OpinionRules) -> Result:
    """Status, extracted field texts and matched pattern ids for one cleaned opinion text."""
    if text is None or not text.strip():
        return BLANK, {}, ()
    return classify_texts([text], rules)[0]


def classify_opinions(texts: pd.Series, rules: OpinionRules) -> pd.DataFrame:
    """Per cell: `status`, `patterns` (matched ids) and one column per extracted field (text or NA)."""
    cleaned = clean_text(texts)
    codes, uniques = pd.factorize(cleaned, use_na_sentinel=True)
    results = classify_texts([str(u) for u in uniques], rules) + [(BLANK, {}, ())]
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
