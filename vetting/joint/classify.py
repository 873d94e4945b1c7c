"""Classify agencies' free-text opinions with the ruleset's declarative patterns (once per distinct text).

Reading order, chosen so that a finding is never mistaken for "nothing found":
1. the whole text is a not-yet-answered phrase → pending;
2. every clause of the text is a clear phrase ("经核查，该同志无违法犯罪记录，无行政拘留记录") → clear;
3. any finding pattern matches a clause that does not negate it ("未被列入失信被执行人名单" is negated,
   "无犯罪记录但有行政拘留记录" is not) → finding;
4. otherwise → unclassified (the caller makes it `review`, quoting the text).

A finding text may report several records ("2025年3月受到撤销党内职务处分；2025年6月受到党内警告处分"):
each is returned on its own, so that every one is weighed. A clause of a finding text that looks
like a record (a date, a sanction word) but that no pattern reads is returned as unread, never dropped.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from vetting.normalize.text import clean_text
from vetting.ruleset.loader import DATE_REGEX
from vetting.ruleset.model import OpinionPattern, OpinionRules

#: Status of one opinion cell.
BLANK, PENDING, CLEAR, FINDING, UNCLASSIFIED = "blank", "pending", "clear", "finding", "unclassified"
_GROUP = re.compile(r"\{([A-Za-z_][A-Za-z0-9_|]*)\}")
_CLAUSE_BREAK = re.compile(r"[，,；;。、\n\r\t！!？?]+")
_PREFACE = re.compile(r"(经|已)?(核查|查询|审查|比对|排查|查)(结果|意见|结论)?[：:]?|结论[：:]?|意见[：:]?")
_NEGATION = re.compile(r"未曾|从未|并未|未被|未受|未发现|未查询到|未查到|未|没有|无(?!法)|不存在|不是|不|非")
_AFFIRMATION = re.compile(r"但|却|仍|然而|有(?!无)|曾经|现(?!无)")
_DATE = re.compile(DATE_REGEX)
#: Words that make a clause look like a record of its own (with a date, see _unread).
_RECORD_HINT = re.compile(DATE_REGEX + r"|处分|处罚|判处|判决|判刑|拘留|警告|记过|降级|撤职|开除|留置|立案|罚款"
                          r"|违法|违纪|犯罪|刑事")
NEGATION_REACH = 3
#: Records read from one text at most; the text's further events are quoted for a human (J02),
#: so that a crafted text cannot multiply the rows every rule is evaluated on.
MAX_RECORDS_PER_TEXT = 10


class Reading(NamedTuple):
    """What one opinion text says: its status, each record it reports (field -> text, "" where the
    record's pattern names a field the text does not state), the patterns matched, and the clauses
    that look like records but that no pattern reads."""

    status: str
    records: tuple[dict[str, str], ...] = ()
    patterns: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_BREAK.split(text) if c.strip()]


def _is_clear(text: str, rules: OpinionRules) -> bool:
    """Every clause is a clear phrase that no finding pattern affirms (a leading 经核查/结论
    preface may stand alone)."""
    clauses = [c for c in _clauses(text) if not _PREFACE.fullmatch(c)]
    return bool(clauses) and all(
        any(p.fullmatch(c) for p in rules.clear) and not any(_affirmed(c, p) for p in rules.patterns)
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


def _fill(template: str, match: re.Match, pattern: OpinionPattern) -> str:
    def group(ref: re.Match) -> str:
        for name in ref.group(1).split("|"):
            text = match.group(name) or ""
            if text:
                return pattern.maps.get(name, {}).get(text, text)
        return ""
    return _GROUP.sub(group, template).strip()


def _tighten(text: str, pattern: OpinionPattern, match: re.Match) -> tuple[re.Match, int]:
    """The match re-anchored at the last date before its end (a lazy date prefix may reach back
    over an earlier event: "2020年1月受党内警告处分，2024年3月被行政拘留"), and where its own
    words begin after an optional leading date (so "…，无行政拘留记录" is seen as negated)."""
    end = match.end()
    for date in _DATE.finditer(text, match.start() + 1, end):
        again = pattern.regex.match(text, date.start())
        if again is not None and again.end() == end:
            match = again
    date = match.groupdict().get("date")
    if not date or match.start("date") != match.start():
        return match, match.start()
    core = match.start()
    for start in range(match.end("date"), end):
        again = pattern.regex.match(text, start)
        if again is not None and again.end() == end:
            core = start
            break
    return match, core


def _matches(text: str, pattern: OpinionPattern) -> list[tuple[re.Match, bool]]:
    """The pattern's matches, each with whether it is negated; a negation covers later matches of
    the same clause too ("未参加法轮功等邪教组织") until an affirmation ("但有…") intervenes."""
    found, negated_until = [], -1
    for raw in pattern.regex.finditer(text):
        match, core = _tighten(text, pattern, raw)
        same_clause = negated_until >= 0 and not _CLAUSE_BREAK.search(text, negated_until, core)
        carried = same_clause and not _AFFIRMATION.search(text, negated_until, core)
        negated = carried or _negated(text, match.start()) or _negated(text, core)
        negated_until = match.end() if negated else -1
        found.append((match, negated))
    return found


def _affirmed(text: str, pattern: OpinionPattern) -> list[re.Match]:
    """The pattern's matches not under a negation."""
    return [match for match, negated in _matches(text, pattern) if not negated]


def _records(text: str, rules: OpinionRules) -> tuple[list[tuple[int, int, dict[str, str]]], list[str],
                                                      list[tuple[int, int]]]:
    """Each event the patterns read (its span and fields), in text order, each distinct one once;
    the matched pattern ids; every span a pattern matched (negated ones too). A match overlapping
    an earlier pattern's event that names one of the same fields describes that event (patterns
    are listed most specific first: 缓刑 before 拘役, 严重警告 before 警告): it only fills what the
    event left unstated."""
    events: list[tuple[int, int, dict[str, str]]] = []
    matched, spans = [], []
    for pattern in rules.patterns:
        every = _matches(text, pattern)
        spans += [m.span() for m, _ in every]
        if pattern.unless is not None and pattern.unless.search(text):
            continue
        found = [m for m, negated in every if not negated]
        if found:
            matched.append(pattern.id)
        earlier = list(events)
        for match in found:
            values = {name: _fill(template, match, pattern) for name, template in pattern.sets.items()}
            same = next((e for e in earlier if e[0] < match.end() and match.start() < e[1]
                         and set(e[2]) & set(values)), None)
            if same is None:
                events.append((match.start(), match.end(), values))
                continue
            for name, value in values.items():
                if value and not same[2].get(name):
                    same[2][name] = value
    records: list[tuple[int, int, dict[str, str]]] = []
    for event in sorted(events, key=lambda e: e[0]):
        if all(event[2] != kept[2] for kept in records):
            records.append(event)
    return records, matched, spans


def _unread(text: str, rules: OpinionRules, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """Clauses no pattern touched that are not clear phrases but look like a record."""
    out, start = [], 0
    for end in [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]:
        clause = text[start:end].strip()
        touched = any(s < end and start < e for s, e in spans)
        if clause and not touched and not _PREFACE.fullmatch(clause) \
                and not any(p.fullmatch(clause) for p in rules.clear) and _RECORD_HINT.search(clause):
            out.append(clause)
        nxt = _CLAUSE_BREAK.match(text, end)
        start = nxt.end() if nxt else end
    return tuple(out)


def classify_text(text: str | None, rules: OpinionRules) -> Reading:
    """What one cleaned opinion text says: status, every record it reports, the patterns matched
    and the record-like clauses no pattern reads."""
    if text is None or not text.strip():
        return Reading(BLANK)
    if len(text) > rules.max_length:
        return Reading(UNCLASSIFIED)
    if any(p.fullmatch(text) for p in rules.pending):
        return Reading(PENDING)
    if _is_clear(text, rules):
        return Reading(CLEAR)
    events, matched, spans = _records(text, rules)
    if not matched:
        return Reading(UNCLASSIFIED)
    unread = _unread(text, rules, spans)
    if len(events) > MAX_RECORDS_PER_TEXT:
        further = "；".join(text[start:end] for start, end, _ in events[MAX_RECORDS_PER_TEXT:])
        unread += (f"另有{len(events) - MAX_RECORDS_PER_TEXT}项记录超出逐项审查上限{MAX_RECORDS_PER_TEXT}项：{further}",)
    return Reading(FINDING, tuple(values for _, _, values in events[:MAX_RECORDS_PER_TEXT]), tuple(matched), unread)


class Classified(NamedTuple):
    """Opinion cells classified: per cell `status`, `patterns`, `text` and `unread` ("；"-joined
    clauses, "" if none); and one row per record they report, with `cell` (the cell's position)
    and one column per field a record names (text, "" unstated, None not named by that record)."""

    table: pd.DataFrame
    records: pd.DataFrame


def classify_opinions(texts: pd.Series, rules: OpinionRules) -> Classified:
    """Every opinion cell classified (each distinct text once), with every record each reports."""
    cleaned = clean_text(texts)
    codes, uniques = pd.factorize(cleaned, use_na_sentinel=True)
    results = [classify_text(str(u), rules) for u in uniques] + [Reading(BLANK)]
    take = np.where(codes < 0, len(uniques), codes)
    table = pd.DataFrame({
        "status": np.array([r.status for r in results], dtype=object)[take],
        "patterns": np.array(["、".join(r.patterns) for r in results], dtype=object)[take],
        "text": cleaned.to_numpy(dtype=object, na_value=None),
        "unread": np.array(["；".join(r.unread) for r in results], dtype=object)[take],
    }, index=texts.index)
    return Classified(table, _spread_records(results, take))


def _spread_records(results: list[Reading], take: np.ndarray) -> pd.DataFrame:
    """One row per (cell, record of its text), cells in order."""
    counts = np.array([len(r.records) for r in results], dtype=np.int64)
    flat = [record for r in results for record in r.records]
    fields = sorted({name for record in flat for name in record})
    starts = np.cumsum(counts) - counts
    per_cell = counts[take]
    cell = np.repeat(np.arange(len(take)), per_cell)
    within = np.arange(len(cell)) - np.repeat(np.cumsum(per_cell) - per_cell, per_cell)
    index = np.repeat(starts[take], per_cell) + within
    columns = {"cell": cell}
    for name in fields:
        columns[name] = np.array([record.get(name) for record in flat], dtype=object)[index] if len(flat) \
            else np.array([], dtype=object)
    return pd.DataFrame(columns)
