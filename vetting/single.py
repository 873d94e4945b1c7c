"""One candidate checked on their own (`vet check`): a row of a roster file, or a record given
as field=value pairs and/or a JSON object. Returns the result, the candidate's position in it and
the hints to show the user; every failure is a VettingError with a Chinese message."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from vetting.errors import VettingError, os_reason
from vetting.pipeline import ReadOptions, load_candidates, run_engine, vet_records
from vetting.privacy import mask_text
from vetting.result import VettingResult
from vetting.ruleset.model import Ruleset

#: The group rules that can give a candidate a finding of their own: pairs of rows (one ID
#: number twice, relatives on one slate). The village rules (counts, seats, ethnic groups) give
#: village findings, which a single check neither shows nor uses: it leaves them out.
PERSON_GROUP_KINDS = ("duplicate", "relatives")


def person_rules(ruleset: Ruleset) -> Ruleset:
    """The ruleset as a single check applies it: every rule that can find something about the
    candidate (see PERSON_GROUP_KINDS), so that their answer is the same, sooner."""
    kept = tuple(g for g in ruleset.group_rules if g.kind in PERSON_GROUP_KINDS)
    return ruleset if kept == ruleset.group_rules else replace(ruleset, group_rules=kept)


@dataclass(frozen=True)
class SingleCheck:
    """A single candidate's result: `row_id` is their position in `result.candidates`;
    `hints` are Chinese notes for stderr (ignored fields), already masked."""

    result: VettingResult
    row_id: int
    hints: tuple[str, ...] = ()


def check_roster_row(roster: str, row: int, ruleset: Ruleset, as_of: dt.date,
                     options: ReadOptions | None = None, engine: str = "durable") -> SingleCheck:
    """Vet the candidate on row `row` (the row number the user sees) of one roster file.

    A workbook with several roster sheets is refused: each sheet has its own row numbers, so the
    row would be ambiguous; the message says how to pick one with --sheet."""
    candidates = load_candidates([roster], ruleset, options or ReadOptions())
    sheets = [str(source.get("sheet")) for source in candidates.inputs]
    if len(sheets) > 1:
        raise VettingError(f"{roster} 中有{len(sheets)}个工作表含花名册表头（{'、'.join(sheets)}），"
                           f"各工作表都有自己的行号，第{row}行无法确定是哪个工作表的；"
                           f"请用 --sheet 指定工作表，如 --sheet {sheets[0]} --row {row}")
    rows = candidates.frame["source_row"]
    matches = (rows == row).to_numpy().nonzero()[0]
    if len(matches) == 0:
        raise VettingError(f"{roster} 中没有第{row}行的人选（数据行为第{rows.min()}至{rows.max()}行）")
    return SingleCheck(run_engine(person_rules(ruleset), candidates, as_of, engine), int(matches[0]))


def check_record(record: Mapping[str, object], ruleset: Ruleset, as_of: dt.date,
                 engine: str = "durable") -> SingleCheck:
    """Vet one candidate given as field (or Chinese header) -> value; fields the ruleset does not
    know are ignored and named in the hints, so that a misspelt header is noticed."""
    result = vet_records([dict(record)], person_rules(ruleset), as_of, engine=engine)
    if result.candidates.empty:
        raise VettingError("给出的人选信息全部为空，无法审查")
    hints = tuple(mask_text(f"提示：未识别的字段「{column.split(': ', 1)[-1]}」，已忽略"
                            "（字段可写花名册中文表头，如「公民身份号码」）")
                  for column in result.meta.get("unmapped_columns", []))
    return SingleCheck(result, 0, hints)


def record_from(values: Mapping[str, str], json_text: str | None = None) -> dict:
    """The candidate record from --set pairs and a --json object (JSON values win); may be empty."""
    record = dict(values)
    if json_text:
        record.update(load_json(json_text))
    return record


#: One candidate's JSON is a few kilobytes; `--json @FILE` reads at most this much.
MAX_JSON_BYTES = 1_000_000
#: The longest integer a candidate value may be (an ID number has 18 characters).
MAX_JSON_DIGITS = 30
_JSON_KINDS = {dict: "对象", list: "列表"}


def _json_text(text: str) -> tuple[str, str]:
    """The JSON text and how to name it: given inline, or read from a file after "@"."""
    if not text.startswith("@"):
        if len(text.encode("utf-8", "surrogatepass")) > MAX_JSON_BYTES:
            raise VettingError(f"人选JSON过长（超过{MAX_JSON_BYTES // 1_000_000}MB），不像一个人选的信息")
        return text, "人选JSON"
    path = Path(text[1:])
    where = f"人选JSON文件 {path}"
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise VettingError(f"无法读取{where}：{os_reason(exc)}") from None
    if len(raw) > MAX_JSON_BYTES:
        raise VettingError(f"{where}：文件过大（超过{MAX_JSON_BYTES // 1_000_000}MB），不像一个人选的信息")
    try:
        return raw.decode("utf-8-sig"), where
    except UnicodeDecodeError:
        raise VettingError(f"{where}：不是UTF-8编码的文本") from None


def load_json(text: str) -> dict:
    """A JSON object given inline, or read from a file when the text starts with "@": one
    candidate, field -> text, number or true/false. Too large, too deeply nested, a number of
    more than MAX_JSON_DIGITS digits, NaN or a nested value is refused with a Chinese message."""
    text, where = _json_text(text)

    def number(digits: str) -> int | float:
        if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
            raise VettingError(f"{where}：数值「{digits[:20]}…」位数过多（最多{MAX_JSON_DIGITS}位）")
        value = float(digits) if any(c in digits for c in ".eE") else int(digits)
        if not math.isfinite(value):
            raise VettingError(f"{where}：数值「{digits}」超出范围")
        return value

    def constant(name: str) -> None:
        raise VettingError(f"{where}：不能有 {name}（不是有效数值）")

    try:
        data = json.loads(text, parse_int=number, parse_float=number, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise VettingError(f"{where}：格式有误，第{exc.lineno}行第{exc.colno}列不符合JSON语法") from None
    except RecursionError:
        raise VettingError(f"{where}：嵌套过深，不像一个人选的信息") from None
    if not isinstance(data, dict):
        raise VettingError(f"{where}：应为一个对象，如 {{\"姓名\": \"张三\"}}")
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            raise VettingError(f"{where}：「{key}」的值应为文本、数值或 true/false，实为{_JSON_KINDS[type(value)]}")
    return data
