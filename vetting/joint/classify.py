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

The pack's patterns run on all distinct texts at once in RE2 (vetting.ruleset.pattern: linear time,
so a hostile text cannot stall a run); a text longer than the pack's `max_length` is never matched
but left to a person. Only the matches themselves are looked at one by one (negation, dates).
"""

from __future__ import annotations

import re
import weakref
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.normalize.text import clean_text
from vetting.ruleset.loader import DATE_REGEX
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
_DATE = re.compile(DATE_REGEX)
#: A clause of a finding text that no pattern touched but that has a date or one of these words may
#: be a record of its own: it is quoted for a person rather than passed over.
_RECORD_HINT = re.compile(DATE_REGEX + r"|处分|处罚|判处|判决|判刑|拘留|警告|记过|降级|撤职|开除|留置|立案|罚款"
                          r"|违法|违纪|犯罪|刑事")
NEGATION_REACH = 3
#: Records read from one text at most; the text's further events are quoted for a person (J02),
#: so that a crafted text cannot multiply the rows every rule is evaluated on.
MAX_RECORDS_PER_TEXT = 10
#: Texts whose reading a process keeps, per set of opinion rules (`classify_distinct`).
READINGS_KEPT = 4096
_kept: dict[int, tuple[weakref.ref, dict[str, "Reading"]]] = {}


class Reading(NamedTuple):
    """What one opinion text says: its status, each record it reports (field -> text, "" where the
    record's pattern names a field the text does not state), the patterns matched, and the parts
    that look like records but were not read (clauses no pattern reads, records over the limit)."""

    status: str
    records: tuple[dict[str, str], ...] = ()
    patterns: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()


def _negated(text: str, start: int) -> bool:
    """Whether a negation word stands right before a match ("未被列入…", "未发现涉黑…"), at most
    NEGATION_REACH characters away in the same clause and with no affirmation in between."""
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    prefix = text[(breaks[-1] if breaks else 0):start]
    negations = list(_NEGATION.finditer(prefix))
    if not negations or len(prefix) - negations[-1].end() > NEGATION_REACH:
        return False
    return not _AFFIRMATION.search(prefix, negations[-1].end())


def _fill(template: str, match: Match, pattern: OpinionPattern) -> str:
    def group(ref: re.Match) -> str:
        for name in ref.group(1).split("|"):
            text = match.group(name)
            if text:
                return pattern.maps.get(name, {}).get(text, text)
        return ""
    return _GROUP.sub(group, template).strip()


def _whole(pattern: OpinionPattern, pieces: list[str]) -> dict[int, Match]:
    """By piece index: the pattern's match that spans the whole piece, where there is one."""
    found = pattern.regex.find_all(pieces) if pieces else {}
    return {k: ms[0] for k, ms in found.items() if ms[0].start == 0 and ms[0].end == len(pieces[k])}


def _words_start(pattern: OpinionPattern, pieces: list[str]) -> dict[int, int]:
    """By piece index: where the pattern's match that ends the piece begins, where there is one."""
    found = pattern.regex.find_all(pieces) if pieces else {}
    return {k: ms[-1].start for k, ms in found.items() if ms[-1].end == len(pieces[k])}


def _tighten(texts: list[str], pattern: OpinionPattern,
             found: dict[int, list[Match]]) -> dict[int, list[tuple[Match, int]]]:
    """Each match re-anchored at the last date before its end from which the pattern still spans
    it (a lazy date prefix may reach back over an earlier event: "2020年1月受党内警告处分，2024年3月
    被行政拘留"), with where its own words begin after a leading date (so that "…，无行政拘留记录"
    is seen as negated)."""
    pieces, at = [], []
    for i, matches in found.items():
        for j, m in enumerate(matches):
            for date in _DATE.finditer(texts[i], m.start + 1, m.end):
                pieces.append(texts[i][date.start():m.end])
                at.append((i, j, date.start()))
    for k, whole in sorted(_whole(pattern, pieces).items()):   # a later date replaces an earlier one
        i, j, offset = at[k]
        found[i][j] = Match(offset, offset + whole.end, whole.groups)
    pieces, at = [], []
    for i, matches in found.items():
        for j, m in enumerate(matches):
            date = m.group("date")
            if date and texts[i].startswith(date, m.start) and m.start + len(date) < m.end:
                pieces.append(texts[i][m.start + len(date):m.end])
                at.append((i, j, m.start + len(date)))
    cores = {(i, j): offset + start for (i, j, offset), start in
             ((at[k], start) for k, start in _words_start(pattern, pieces).items())}
    return {i: [(m, cores.get((i, j), m.start)) for j, m in enumerate(matches)] for i, matches in found.items()}


def _matches(texts: list[str], pattern: OpinionPattern,
             among: np.ndarray | None = None) -> dict[int, list[tuple[Match, bool]]]:
    """By text index: the pattern's matches, each with whether it is negated; a negation covers
    later matches of the same clause too ("未参加法轮功等邪教组织") until an affirmation ("但有…")."""
    out = {}
    for i, matches in _tighten(texts, pattern, pattern.regex.find_all(texts, among)).items():
        text, found, negated_until = texts[i], [], -1
        for match, core in matches:
            same_clause = negated_until >= 0 and not _CLAUSE_BREAK.search(text, negated_until, core)
            carried = same_clause and not _AFFIRMATION.search(text, negated_until, core)
            negated = carried or _negated(text, match.start) or _negated(text, core)
            negated_until = match.end if negated else -1
            found.append((match, negated))
        out[i] = found
    return out


def _any_fullmatch(arr: pa.Array, patterns: tuple) -> np.ndarray:
    hit = np.zeros(len(arr), dtype=bool)
    for pattern in patterns:
        hit |= pattern.fullmatch(arr)
    return hit


def _clause_table(texts: list[str]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Every non-empty clause of the texts, the text each belongs to, and whether it is a preface."""
    parts = pc.split_pattern_regex(pa.array(texts, pa.string()), _BREAK_CHARS)
    clauses = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    owner = pc.list_parent_indices(parts).to_numpy()
    kept = pc.utf8_length(clauses).to_numpy() > 0
    clauses, owner = clauses.filter(pa.array(kept)), owner[kept]
    return clauses, owner, _mask(pc.match_substring_regex(clauses, _PREFACE))


def _clear(texts: list[str], rules: OpinionRules) -> np.ndarray:
    """Per text: every clause is a clear phrase that no finding pattern affirms (a leading
    经核查/结论 preface may stand alone)."""
    clauses, owner, preface = _clause_table(texts)
    clauses, owner = clauses.filter(pa.array(~preface)), owner[~preface]
    ok = _any_fullmatch(clauses, rules.clear)
    bad_owner = np.zeros(len(texts), dtype=bool)
    bad_owner[owner[~ok]] = True
    check = np.flatnonzero(~bad_owner[owner])
    words = clauses.take(pa.array(check, pa.int64())).to_pylist()
    for pattern in rules.patterns:
        found = [k for k, ms in _matches(words, pattern).items() if any(not negated for _, negated in ms)]
        bad_owner[owner[check[np.asarray(found, dtype=np.int64)]]] = True
    has_clause = np.zeros(len(texts), dtype=bool)
    has_clause[owner] = True
    return has_clause & ~bad_owner


def _mask(result: pa.Array) -> np.ndarray:
    return result.fill_null(False).to_numpy(zero_copy_only=False)


def _events(text: str, readings: list[tuple[OpinionPattern, list[tuple[Match, bool]]]]) \
        -> list[tuple[int, int, dict[str, str]]]:
    """Each event the patterns read in one text (span and fields), in text order, each distinct one
    once. A match overlapping an earlier pattern's event that names one of the same fields
    describes that event (patterns are listed most specific first: 缓刑 before 拘役, 严重警告 before
    警告): it only fills what the event left unstated."""
    events: list[tuple[int, int, dict[str, str]]] = []
    for pattern, matches in readings:
        earlier = list(events)
        for match, negated in matches:
            if negated:
                continue
            values = {name: _fill(template, match, pattern) for name, template in pattern.sets.items()}
            same = next((e for e in earlier if e[0] < match.end and match.start < e[1] and set(e[2]) & set(values)),
                        None)
            if same is None:
                events.append((match.start, match.end, values))
                continue
            for name, value in values.items():
                if value and not same[2].get(name):
                    same[2][name] = value
    distinct: list[tuple[int, int, dict[str, str]]] = []
    for event in sorted(events, key=lambda e: e[0]):
        if all(event[2] != kept[2] for kept in distinct):
            distinct.append(event)
    return distinct


def _unread(text: str, spans: list[tuple[int, int]], clear: tuple) -> tuple[str, ...]:
    """Clauses no pattern touched that are not clear phrases but look like a record."""
    out, start = [], 0
    for end in [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]:
        clause = text[start:end].strip()
        if clause and not any(s < end and start < e for s, e in spans) and _RECORD_HINT.search(clause) \
                and not re.fullmatch(_PREFACE[2:-2], clause) \
                and not _any_fullmatch(pa.array([clause], pa.string()), clear)[0]:
            out.append(clause)
        after = _CLAUSE_BREAK.match(text, end)
        start = after.end() if after else end
    return tuple(out)


def _reading(text: str, rules: OpinionRules, readings: list) -> Reading:
    """A finding text's reading from every pattern's matches in it."""
    matched = tuple(pattern.id for pattern, matches, _ in readings if any(not n for _, n in matches))
    if not matched:
        return Reading(UNCLASSIFIED)
    events = _events(text, [(pattern, matches) for pattern, matches, skipped in readings if not skipped])
    spans = [(m.start, m.end) for _, matches, _ in readings for m, _ in matches]
    unread = _unread(text, spans, rules.clear)
    if len(events) > MAX_RECORDS_PER_TEXT:
        further = "；".join(text[start:end] for start, end, _ in events[MAX_RECORDS_PER_TEXT:])
        unread += (f"另有{len(events) - MAX_RECORDS_PER_TEXT}项记录超出逐项审查上限{MAX_RECORDS_PER_TEXT}项：{further}",)
    return Reading(FINDING, tuple(values for _, _, values in events[:MAX_RECORDS_PER_TEXT]), matched, unread)


def classify_texts(texts: list[str], rules: OpinionRules) -> list[Reading]:
    """What each cleaned opinion text says: status, every record it reports, the patterns matched
    and the record-like parts not read."""
    arr = pa.array(texts, pa.string())
    results = [Reading(UNCLASSIFIED)] * len(texts)
    blank = pc.utf8_length(pc.utf8_trim_whitespace(arr)).to_numpy() == 0
    open_ = ~blank & (pc.utf8_length(arr).to_numpy() <= rules.max_length)
    pending = open_ & _any_fullmatch(arr, rules.pending)
    rest = np.flatnonzero(open_ & ~pending)
    clear = _clear([texts[i] for i in rest], rules) if len(rest) else np.zeros(0, dtype=bool)
    for i in np.flatnonzero(blank):
        results[i] = Reading(BLANK)
    for i in np.flatnonzero(pending):
        results[i] = Reading(PENDING)
    for i in rest[clear]:
        results[i] = Reading(CLEAR)
    found = rest[~clear]
    subject = [texts[i] for i in found]
    arr = pa.array(subject, pa.string())
    readings: list[list] = [[] for _ in found]
    for pattern in rules.patterns:
        among = pattern.regex.search(arr)
        skipped = pattern.unless.search(arr) if pattern.unless is not None else np.zeros(len(found), dtype=bool)
        for k, matches in _matches(subject, pattern, np.flatnonzero(among)).items():
            readings[k].append((pattern, matches, bool(skipped[k])))
    for k, i in enumerate(found):
        applied = [(p, [(m, n or skipped) for m, n in ms], skipped) for p, ms, skipped in readings[k]]
        results[i] = _reading(texts[i], rules, applied)
    return results


def classify_distinct(texts: list[str], rules: OpinionRules) -> list[Reading]:
    """`classify_texts` for distinct texts, each text read once per process and set of rules: a
    run meets the same few texts ("无", "未反馈", "经核查，无违法违纪记录") in every opinion column
    of every slice, and reading even a handful runs every pattern (the first READINGS_KEPT texts
    are kept; a reading depends on the text and the rules alone)."""
    kept = _readings_kept(rules)
    new = [text for text in texts if text not in kept]
    fresh = dict(zip(new, classify_texts(new, rules))) if new else {}
    for text in new[:max(0, READINGS_KEPT - len(kept))]:
        kept[text] = fresh[text]
    return [fresh[text] if text in fresh else kept[text] for text in texts]


def _readings_kept(rules: OpinionRules) -> dict[str, Reading]:
    """The readings kept for `rules`; those of rules no longer alive are dropped here (no weakref
    callback: one running at interpreter exit, after this module's globals are gone, could print
    an ignored exception on stderr)."""
    for key in [key for key, (ref, _) in _kept.items() if ref() is None]:
        del _kept[key]
    entry = _kept.get(id(rules))
    if entry is None or entry[0]() is not rules:
        entry = (weakref.ref(rules), {})
        _kept[id(rules)] = entry
    return entry[1]


def classify_text(text: str | None, rules: OpinionRules) -> Reading:
    """What one cleaned opinion text says (see classify_texts)."""
    if text is None or not text.strip():
        return Reading(BLANK)
    return classify_texts([text], rules)[0]


class Classified(NamedTuple):
    """Opinion cells classified: per cell `status`, `patterns`, `text` and `unread` ("；"-joined
    parts, "" if none); and one row per record they report, with `cell` (the cell's position)
    and one column per field a record names (text, "" unstated, None not named by that record)."""

    table: pd.DataFrame
    records: pd.DataFrame


def classify_opinions(texts: pd.Series, rules: OpinionRules) -> Classified:
    """Every opinion cell classified (each distinct text once), with every record each reports."""
    cleaned = clean_text(texts)
    codes, uniques = pd.factorize(cleaned, use_na_sentinel=True)
    results = classify_distinct([str(u) for u in uniques], rules) + [Reading(BLANK)]
    take = np.where(codes < 0, len(uniques), codes)
    table = pd.DataFrame({     # Python texts as the callers take them, not Arrow strings made and undone
        "status": np.array([r.status for r in results], dtype=object)[take],
        "patterns": np.array(["、".join(r.patterns) for r in results], dtype=object)[take],
        "text": cleaned.to_numpy(dtype=object, na_value=None),
        "verbatim": texts.astype("string").str.strip().replace("", pd.NA).to_numpy(dtype=object, na_value=None),
        "unread": np.array(["；".join(r.unread) for r in results], dtype=object)[take],
    }, index=texts.index, dtype=object)
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
        columns[name] = np.array([record.get(name) for record in flat], dtype=object)[index]
    return pd.DataFrame(columns)
