"""Reading a decisions file (复核结论, xlsx or csv) with the project's readers: header found like a
roster's, the input limits applied, and every bad row named with its file, row and column in one
Chinese message (never a traceback, never a row silently left out)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from vetting.decisions.model import CLEARING, DECISIONS, Decision
from vetting.errors import InputError, VettingError, did_you_mean
from vetting.fields import Field, builtin_fields
from vetting.inputs import read_tables
from vetting.inputs.reader import NoPeopleError
from vetting.normalize.dates import parse_dates
from vetting.normalize.headers import map_headers
from vetting.normalize.text import clean_name, clean_text
from vetting.privacy import mask_text
from vetting.reviewcode import CODE_LENGTH, normalise_code

#: A county's decisions for one election are a few hundred rows; far more is not a decisions file.
MAX_DECISIONS = 20_000
#: The longest 说明 / 复核人 / 文号 kept (a decision's note is a sentence or two, not a document).
MAX_NOTE = 500
MAX_SHORT = 100

_ONLY = {
    "source_file": Field("source_file", "来源文件", "text", ("来源文件", "花名册文件", "文件", "文件名")),
    "source_row": Field("source_row", "行号", "text", ("行号", "花名册行号", "所在行")),
    "rule": Field("rule", "规则编号", "text", ("规则编号", "规则", "规则代码", "问题编号", "编号")),
    "code": Field("code", "复核依据码", "text", ("复核依据码", "依据码")),
    "decision": Field("decision", "复核结论", "text", ("复核结论", "复核意见", "决定")),
    "decided_by": Field("decided_by", "复核人/决定机关", "text",
                        ("复核人/决定机关", "复核人", "决定机关", "复核单位", "复核人或决定机关")),
    "decided_on": Field("decided_on", "决定日期", "text", ("决定日期", "复核日期")),
    "document": Field("document", "文号", "text", ("文号", "决定文号", "会议纪要文号", "文件号")),
    "note": Field("note", "说明", "text", ("说明", "复核说明", "理由", "备注")),
}
#: A row with all of these blank is a finding not decided yet (a pre-filled template's row).
UNDECIDED_BLANK = ("decision", "decided_by", "decided_on", "document", "note")
#: Columns a decisions file must have (the person is named by ID number or by file + row + name).
REQUIRED = ("rule", "code", "decision", "decided_by", "decided_on")


def decision_fields() -> dict[str, Field]:
    """The columns a decisions file may have, with the header texts each is found by."""
    base = builtin_fields()
    return {"id_number": base["id_number"], "name": base["name"], **_ONLY}


class DecisionFileError(VettingError):
    """A decisions file that cannot be used: every problem found, each with file, row and column."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:50]
        more = f"\n（另有 {len(problems) - len(shown)} 处，未列出）" if len(problems) > len(shown) else ""
        head = f"复核结论文件 {path} 有 {len(problems)} 处错误，未作任何复核：\n" if len(problems) > 1 else ""
        super().__init__(mask_text(head + "\n".join(shown) + more))


def read_decisions(path: str | Path, encoding: str | None = None) -> tuple[list[Decision], dict]:
    """Every decision of a decisions file, in file order, and the file's audit entry (name,
    SHA-256, rows). A bad row, a missing column or an unknown decision word is an error listing
    every problem with its row and column; the file is not used at all then."""
    fields = decision_fields()
    try:
        tables = read_tables(path, fields, encoding=encoding)
    except NoPeopleError:
        tables = []
    except InputError as exc:
        if "表头" in exc.message and "找不到" in exc.message:
            raise DecisionFileError(str(path), [
                f"{path}：前几行中找不到复核结论表头（表头行应含「公民身份号码」「规则编号」「复核依据码」「复核结论」"
                "等列名）；可用 vet template --decisions -o 复核结论.xlsx 生成模板"]) from None
        raise
    decisions: list[Decision] = []
    problems: list[str] = []
    name = Path(path).name
    audit = {"file": name, "sha256": tables[0].sha256 if tables else "", "rows": 0, "undecided": 0}
    for table in tables:
        mapping = map_headers(table.frame.columns, fields, path=str(path))
        frame = table.frame.rename(columns=mapping)
        missing = [fields[f].label for f in REQUIRED if f not in frame]
        if "id_number" not in frame and not all(f in frame for f in ("source_file", "source_row", "name")):
            missing.append("公民身份号码（或来源文件、行号、姓名三列）")
        if missing:
            raise DecisionFileError(str(path), [f"{table.name}：缺少「{'」「'.join(missing)}」列"])
        skipped = table.skipped if table.skipped is not None else [False] * len(frame)
        rows = [(int(r), record) for r, record, skip in zip(table.source_rows, frame.to_dict("records"), skipped)
                if not skip]
        audit["rows"] += len(rows)
        if len(decisions) + len(rows) > MAX_DECISIONS:
            raise DecisionFileError(str(path), [f"{path}：复核结论超过 {MAX_DECISIONS} 条，不像一个复核结论文件"])
        dates = parse_dates(pd.Series([str(record.get("decided_on", "")) for _, record in rows], dtype=object))
        for (row, record), lo, hi, problem in zip(rows, dates["lo"], dates["hi"], dates["problem"]):
            if not any(_clean(record.get(f, "")) for f in UNDECIDED_BLANK):
                audit["undecided"] += 1     # a pre-filled template's row nobody has decided yet
                continue
            decision = _decision(table.name, row, record, fields, (lo, hi, problem), problems)
            if decision is not None:
                decisions.append(decision)
    problems += _duplicates(decisions)
    if problems:
        raise DecisionFileError(str(path), problems)
    return decisions, audit


def _decision(file: str, row: int, record: dict, fields: dict[str, Field], date: tuple,
              problems: list[str]) -> Decision | None:
    """One row as a Decision, or None after adding its problems (file, row, column) to `problems`."""
    def bad(field: str, text: str) -> None:
        problems.append(f"{file} 第{row}行「{fields[field].label}」列：{text}")

    def cell(field: str, limit: int = MAX_SHORT) -> str:
        text = _clean(record.get(field, ""), keep=field in _WORDS)
        if len(text) > limit:
            bad(field, f"内容过长（{len(text)}字，最多{limit}字）")
        return text

    before = len(problems)
    values = {f: cell(f, MAX_NOTE if f == "note" else MAX_SHORT) for f in fields}
    decision = values["decision"]
    if decision not in DECISIONS:
        bad("decision", (f"「{decision}」不是可用的复核结论{did_you_mean(decision, DECISIONS)}" if decision else "未填写")
            + f"（可选：{'、'.join(DECISIONS)}）")
    for field in ("rule", "decided_by"):
        if not values[field]:
            bad(field, "未填写")
    code = normalise_code(values["code"])
    if not code:
        bad("code", "未填写（请从审查报告的问题清单抄录，或用 vet template --decisions --from 报告.json 生成）")
    elif not re.fullmatch(f"[0-9A-F]{{{CODE_LENGTH}}}", code):
        bad("code", f"「{values['code']}」应为{CODE_LENGTH}位字母数字（0-9、A-F），如 3FA91B2C")
    lo, hi, problem = date
    on = ""
    if not values["decided_on"]:
        bad("decided_on", "未填写")
    elif pd.isna(lo) or lo.year != hi.year or lo.month != hi.month:
        bad("decided_on", f"「{values['decided_on']}」" + ("应写到日，如 2026-12-01" if pd.notna(lo) else
                                                         f"无法识别（{problem or '应为 YYYY-MM-DD'}）"))
    else:   # a month alone is kept as such: Excel gives a date cell on the 1st as its month (inputs.cells)
        on = lo.date().isoformat() if lo == hi else lo.strftime("%Y-%m")
    if decision in CLEARING and not values["note"]:
        bad("note", f"「{decision}」须写明理由（如：经核实非本人；依法封存的未成年人犯罪记录）")
    id_number = id_text(values["id_number"])
    if "*" in id_number:
        bad("id_number", "是打码后的号码，无法比对；请填完整号码，或留空并填来源文件、行号、姓名")
    source_row = None
    if not id_number:
        if not (values["source_file"] and values["source_row"] and values["name"]):
            problems.append(f"{file} 第{row}行：未填「公民身份号码」时须填「来源文件」「行号」「姓名」三项")
        elif not values["source_row"].isdigit():
            bad("source_row", f"「{values['source_row']}」应为花名册中的行号（正整数）")
        else:
            source_row = int(values["source_row"])
    if len(problems) > before:
        return None
    return Decision(file=file, row=row, rule=values["rule"].upper(), code=code, decision=decision,
                    decided_by=values["decided_by"], decided_on=on, document=values["document"],
                    note=values["note"], id_number=id_number, source_file=Path(values["source_file"]).name,
                    source_row=source_row, name=_name(values["name"]))


def _duplicates(decisions: list[Decision]) -> list[str]:
    """Two rows deciding the same finding of the same person: which one counts would be a guess."""
    seen: dict[tuple, Decision] = {}
    problems = []
    for d in decisions:
        key = (d.id_number or (d.source_file, d.source_row, d.name), d.rule, d.code)
        if key in seen:
            problems.append(f"{d.where}：与第{seen[key].row}行是对同一人同一问题（{d.rule}，{d.code}）的复核结论，"
                            "请只保留一行")
        else:
            seen[key] = d
    return problems


#: Cells kept as written (full-width punctuation of a note or a document number is not folded).
_WORDS = frozenset({"note", "decided_by", "document"})


def _clean(value: object, keep: bool = False) -> str:
    """A cell's text: NFKC-folded and trimmed, or (`keep`) only trimmed with whitespace runs collapsed."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if keep:
        return " ".join(str(value).split())
    cleaned = clean_text(pd.Series([str(value)], dtype=object)).iloc[0]
    return "" if pd.isna(cleaned) else str(cleaned)


def _name(text: str) -> str:
    cleaned = clean_name(pd.Series([text], dtype=object)).iloc[0] if text else ""
    return "" if pd.isna(cleaned) else str(cleaned)


def id_text(text: str) -> str:
    """An ID number as compared with the roster's: NFKC, no spaces or dashes, upper-case X."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
