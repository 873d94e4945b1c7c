"""Agency reply files: the people an agency has records on, matched to the roster by ID number."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vetting.fields import Field, builtin_fields
from vetting.inputs import RawTable, read_tables
from vetting.inputs.reader import NoPeopleError
from vetting.inputs.table import file_sha256
from vetting.normalize.headers import map_headers
from vetting.normalize.idcard import parse_id_numbers
from vetting.normalize.text import clean_name, clean_text

_REPLY_ONLY = {
    "reply_text": Field("reply_text", "核查情况", "text",
                        ("核查情况", "核查结果", "问题", "问题情况", "违法犯罪情况", "违法违纪情况", "处理情况",
                         "处分情况", "情况说明", "具体情况", "查询结果", "记录", "意见", "结论", "主要问题",
                         "违法犯罪记录", "违法违纪记录", "犯罪记录", "处罚情况", "处罚记录", "记录情况", "案由",
                         "处分内容", "处罚内容", "情况", "备注")),
    "reply_date": Field("reply_date", "日期", "date",
                        ("日期", "时间", "处理日期", "处分日期", "判决日期", "决定日期", "发生时间", "处理时间",
                         "立案时间", "列入日期")),
    "doc_number": Field("doc_number", "文号", "text",
                        ("文号", "文书号", "案号", "决定书文号", "判决书文号", "处分文号", "文件号")),
}


def reply_fields() -> dict[str, Field]:
    """The columns a reply file may have: ID number, name, finding text, date, document number."""
    base = builtin_fields()
    return {"id_number": base["id_number"], "name": base["name"], **_REPLY_ONLY}


@dataclass
class Reply:
    """One agency's reply file, read and normalised (one row per record it lists)."""

    agency: str
    table: RawTable
    rows: np.ndarray        # row numbers as the user sees them in the reply file
    id_number: np.ndarray   # normalised 18-char ID or None
    id_valid: np.ndarray
    name: np.ndarray
    text: pd.Series
    date: np.ndarray        # raw date text or ""
    doc: np.ndarray
    scope: str = ""         # the roster file or township it answers for ("" = every candidate)

    @property
    def file(self) -> str:
        return self.table.name


def read_replies(agency: str, path: str, encoding: str | None = None) -> list[Reply]:
    """Read one agency reply file (every sheet that lists people; its columns are found by header
    like a roster's). A reply listing nobody is a valid answer: nobody has a record."""
    fields = reply_fields()
    try:
        tables = read_tables(path, fields, encoding=encoding)
    except NoPeopleError:
        empty = RawTable(str(path), file_sha256(Path(path)), pd.DataFrame(), np.array([], dtype=np.int64), 0,
                         notes=["回复文件中没有列出任何人：视为该部门对全部人选均无记录"])
        tables = [empty]
    return [_reply(agency, table) for table in tables]


def _reply(agency: str, table: RawTable) -> Reply:
    fields = reply_fields()
    mapping = map_headers(table.frame.columns, fields, path=table.path)
    frame = table.frame.rename(columns=mapping)

    def column(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series([""] * len(frame), index=frame.index, dtype=object)

    ids = parse_id_numbers(column("id_number"))
    valid = (ids["id_status"] == "valid").fillna(False).to_numpy(dtype=bool)
    text = clean_text(column("reply_text"))
    empty = np.ones(len(frame), dtype=bool)
    for name in ("id_number", "name", "reply_text"):
        empty &= column(name).astype(str).str.strip().to_numpy() == ""
    keep = ~empty
    return Reply(
        agency=agency, table=table, rows=np.asarray(table.source_rows)[keep],
        id_number=np.where(valid, ids["id_number"].to_numpy(dtype=object, na_value=None), None)[keep],
        id_valid=valid[keep],
        name=clean_name(column("name")).to_numpy(dtype=object, na_value=None)[keep],
        text=text[keep].reset_index(drop=True),
        date=column("reply_date").astype(str).to_numpy(dtype=object)[keep],
        doc=clean_text(column("doc_number")).fillna("").to_numpy(dtype=object)[keep],
    )


def match_rows(reply: Reply, roster_ids: np.ndarray, roster_names: np.ndarray) -> pd.DataFrame:
    """Pairs (reply index, roster row) by ID number, else by a unique name (a weak match).

    Returns columns reply, row, how ('id' | 'name'), name_differs. Reply rows that match nothing
    are absent here; the caller lists them as unmatched.
    """
    replies = pd.DataFrame({"reply": np.arange(len(reply.id_number)), "id": reply.id_number,
                            "reply_name": reply.name})
    roster = pd.DataFrame({"row": np.arange(len(roster_ids)), "id": roster_ids, "name": roster_names})
    by_id = replies.dropna(subset=["id"]).merge(roster.dropna(subset=["id"]), on="id")
    by_id["how"] = "id"
    by_id["name_differs"] = (by_id["reply_name"].notna() & by_id["name"].notna()
                             & (by_id["reply_name"] != by_id["name"]))
    rest = replies[replies["id"].isna() & replies["reply_name"].notna()]
    counts = roster["name"].value_counts()
    unique_names = roster[roster["name"].map(counts).eq(1)]
    by_name = rest.merge(unique_names[["row", "name"]], left_on="reply_name", right_on="name")
    by_name["how"] = "name"
    by_name["name_differs"] = False
    columns = ["reply", "row", "how", "name_differs"]
    return pd.concat([by_id[columns], by_name[columns]], ignore_index=True)
