"""One candidate checked on their own (`vet check`): a row of a roster file, or a record given
as field=value pairs and/or a JSON object. Returns the result, the candidate's position in it and
the hints to show the user; every failure is a VettingError with a Chinese message."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from vetting.errors import VettingError
from vetting.pipeline import ReadOptions, load_candidates, run_engine, vet_records
from vetting.privacy import mask_text
from vetting.result import VettingResult
from vetting.ruleset.model import Ruleset


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
    return SingleCheck(run_engine(ruleset, candidates, as_of, engine), int(matches[0]))


def check_record(record: Mapping[str, object], ruleset: Ruleset, as_of: dt.date,
                 engine: str = "durable") -> SingleCheck:
    """Vet one candidate given as field (or Chinese header) -> value; fields the ruleset does not
    know are ignored and named in the hints, so that a misspelt header is noticed."""
    result = vet_records([dict(record)], ruleset, as_of, engine=engine)
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


def load_json(text: str) -> dict:
    """A JSON object given inline, or read from a file when the text starts with "@"."""
    try:
        if text.startswith("@"):
            text = Path(text[1:]).read_text(encoding="utf-8-sig")
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise VettingError(f"无法读取人选JSON：{exc}") from None
    if not isinstance(data, dict):
        raise VettingError("人选JSON应为一个对象，如 {\"姓名\": \"张三\"}")
    return data
