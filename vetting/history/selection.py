"""Which candidates of a recorded run `vet history show` lists or exports: filters by verdict,
village, township and rule, and one page of the result. Pure: the store turns a Selection into
SQL (`where_clause`), the text and the export describe it (`selection_text`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from vetting.errors import did_you_mean
from vetting.history.errors import HistoryError
from vetting.vocab import VERDICT_LABELS, VERDICTS

#: Candidates `vet history show` prints by default: a page that fits a terminal's scrollback.
DEFAULT_LIMIT = 50
#: Formats a selection can be exported in (a whole report; the candidate table is its first part).
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Selection:
    """Filters on a run's candidates; an empty tuple does not filter. A candidate is selected
    when it matches every non-empty filter (any one of the values given for it)."""

    verdicts: tuple[str, ...] = ()
    villages: tuple[str, ...] = ()
    townships: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.verdicts or self.villages or self.townships or self.rules)


def make_selection(verdicts: Iterable[str] = (), villages: Iterable[str] = (), townships: Iterable[str] = (),
                   rules: Iterable[str] = ()) -> Selection:
    """A Selection from what a user typed: verdicts as codes or Chinese labels (取消资格 or
    disqualified), rule codes in any case, names stripped. An unknown verdict is a HistoryError
    naming the valid ones."""
    return Selection(tuple(dict.fromkeys(verdict_code(v) for v in verdicts)),
                     _texts(villages), _texts(townships), tuple(dict.fromkeys(r.strip().upper() for r in rules)))


def verdict_code(text: str) -> str:
    """The verdict code for a code or its Chinese label; HistoryError if it is neither."""
    value = text.strip()
    by_label = {label: code for code, label in VERDICT_LABELS.items()}
    if value.lower() in VERDICTS:
        return value.lower()
    if value in by_label:
        return by_label[value]
    choices = [f"{VERDICT_LABELS[v]}（{v}）" for v in VERDICTS]
    raise HistoryError(f"无法识别的审查结论「{value}」：应为{'、'.join(choices)}之一"
                       + did_you_mean(value, [*VERDICTS, *by_label]))


def where_clause(run_id: int, selection: Selection) -> tuple[str, list]:
    """The SQL condition on ``candidates`` (and its parameters) choosing the selected candidates
    of run `run_id`; rules are matched against the run's findings, in the old table and the
    compact one (not through ``all_findings``, which would rebuild every evidence text)."""
    parts, params = ["run_id = ?"], [run_id]
    for column, values in (("verdict", selection.verdicts), ("village", selection.villages),
                           ("township", selection.townships)):
        if values:
            parts.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += list(values)
    if selection.rules:
        codes = f"upper(rule) IN ({', '.join('?' * len(selection.rules))})"
        parts.append(f"row_id IN (SELECT row_id FROM findings WHERE run_id = ? AND {codes} UNION ALL "
                     "SELECT row_id FROM finding_refs WHERE run_id = ? AND text_id IN "
                     f"(SELECT id FROM finding_texts WHERE {codes}))")
        params += [run_id, *selection.rules, run_id, *selection.rules]
    return " AND ".join(parts), params


def selection_text(selection: Selection) -> str:
    """The filters in Chinese, e.g. "审查结论=取消资格、不宜；村(社区)=红星村；规则=D01"."""
    parts = [(label, values) for label, values in (
        ("审查结论", [VERDICT_LABELS.get(v, v) for v in selection.verdicts]), ("村(社区)", selection.villages),
        ("乡镇(街道)", selection.townships), ("规则", selection.rules)) if values]
    return "；".join(f"{label}={'、'.join(values)}" for label, values in parts)


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
