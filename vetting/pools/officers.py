"""Reading the current officers' roster (现任干部名册, `--officers`): who holds which "两委" post
in each village, to check 一村一职一备 against. Read with the roster readers (xlsx, csv, …); a
file that cannot be used, a missing column or a row whose post is blank or unreadable is an
InputError naming the file, row and column, never a silent drop."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vetting.errors import InputError
from vetting.fields import Field, builtin_fields
from vetting.inputs import read_tables
from vetting.normalize.roster import normalise_tables
from vetting.vocab import ROLE_TAGS

#: The officers' post column: 职务 headers of a 现任干部 list (not the candidates' 拟任职务).
POST_ALIASES = ("现任职务", "职务", "现任岗位", "岗位", "担任职务", "任职情况")
#: Posts a reserve cannot hold as an officer: the reserve categories themselves.
_NOT_OFFICER = frozenset(role for role, tags in ROLE_TAGS.items() if "后备力量" in tags)
#: Not a "两委" post: listed, but outside 一村一职一备.
SUPERVISORY = "村务监督委员会成员"
#: Rows named in one error at most.
_SHOWN = 5
OFFICERS_LABEL = "现任干部名册"


@dataclass(frozen=True)
class Officers:
    """The current officers, one row per person: township, village, name, post (canonical role),
    source_file, source_row; `skipped` the 村务监督委员会 rows outside 一村一职一备; `inputs`
    the file's name, SHA-256 and rows, as a report's audit block names it."""

    table: pd.DataFrame
    skipped: int
    inputs: list[dict]


def officer_fields() -> dict[str, Field]:
    """The fields an officers' roster is read with: place, name, ID, and the post (现任职务)."""
    fields = builtin_fields()
    post = dataclasses.replace(fields["role"], label="现任职务", aliases=POST_ALIASES)
    return {"township": fields["township"], "village": fields["village"], "name": fields["name"],
            "id_number": fields["id_number"], "role": post}


def read_officers(path: str | Path, encoding: str | None = None) -> Officers:
    """The officers' roster at `path`, checked: it must have 村(社区) and 现任职务 columns, and every
    row a village and a "两委" post that can be read; otherwise an InputError lists the rows."""
    fields = officer_fields()
    tables = read_tables(path, fields, None, None, encoding)
    people = normalise_tables(tables, fields, ("village", "role"))
    name = Path(path).name
    for needed in ("village", "role"):
        if needed not in people.present:
            raise InputError(f"{OFFICERS_LABEL}中没有「{fields[needed].label}」列（可写作："
                             f"{'、'.join((fields[needed].label, *fields[needed].aliases[:4]))}）", name)
    frame, raw = people.frame, people.raw
    problems = people.issues[people.issues["field"].isin(["village", "role"])]
    bad = [(int(frame.at[r, "source_row"]), str(frame.at[r, "source_file"]),
            people.headers.get(f, fields[f].label), str(p)) for r, f, p in
           zip(problems["row_id"], problems["field"], problems["problem"])]
    role = frame["role"].astype("string")
    reserve = role.isin(list(_NOT_OFFICER)).fillna(False).to_numpy(dtype=bool)
    bad += [(int(frame.at[r, "source_row"]), str(frame.at[r, "source_file"]), people.headers.get("role", "现任职务"),
             f"「{raw.at[r, 'role']}」是后备人选，不是现任职务") for r in frame.index[reserve]]
    if bad:
        bad.sort()
        lines = "；".join(f"{file} 第{row}行「{column}」：{problem}" for row, file, column, problem in bad[:_SHOWN])
        more = f"等共{len(bad)}处" if len(bad) > _SHOWN else ""
        raise InputError(f"{OFFICERS_LABEL}有无法使用的行：{lines}{more}。每行应填写村(社区)和一个"
                         "\"两委\"职务（如 党组织书记、村委会主任、村委会委员）", name)
    table = pd.DataFrame({
        "township": frame["township"].astype("string") if "township" in frame else pd.Series(pd.NA, index=frame.index,
                                                                                              dtype="string"),
        "village": frame["village"].astype("string"),
        "name": frame["name"].astype("string") if "name" in frame else pd.Series(pd.NA, index=frame.index,
                                                                                  dtype="string"),
        "post": role,
        "source_file": frame["source_file"].astype("string"),
        "source_row": frame["source_row"].astype("int64"),
    })
    supervisory = (table["post"] == SUPERVISORY).fillna(False).to_numpy(dtype=bool)
    inputs = [{"file": i["file"], "sha256": i["sha256"], "rows": i["rows"]} for i in people.inputs]
    return Officers(table[~supervisory].reset_index(drop=True), int(supervisory.sum()), inputs)
