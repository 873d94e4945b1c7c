"""Turn raw roster tables into typed candidate columns plus a table of data problems (never dropping a row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from vetting.fields import FLAG_FALSE, FLAG_TRUE, Field
from vetting.inputs import RawTable
from vetting.inputs.region import template_rows
from vetting.normalize.dates import parse_dates
from vetting.normalize.education import parse_education
from vetting.normalize.headers import map_headers
from vetting.normalize.idcard import parse_id_numbers
from vetting.normalize.roles import parse_roles
from vetting.normalize.text import clean_name, clean_text
from vetting.joint.merge import OPINION_PREFIX, agency_of_header, apply_joint

ISSUE_COLUMNS = ["row_id", "code", "field", "column", "value", "problem", "evidence"]


@dataclass
class Candidates:
    """Typed candidate columns (index 0..n-1) with raw cell text kept for evidence."""

    frame: pd.DataFrame
    raw: pd.DataFrame
    issues: pd.DataFrame
    present: frozenset
    headers: dict[str, str] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)   # field -> per-row evidence text where an agency set it
    weak: dict = field(default_factory=dict)         # field -> rows whose value came from a weak match
    joint: dict = field(default_factory=dict)        # awaiting agencies, unmatched reply rows, reply files

    def __len__(self) -> int:
        return len(self.frame)


def _issues(rows: pd.Index, code: str, name: str, column: str, values: pd.Series,
            problems: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"row_id": rows, "code": code, "field": name, "column": column,
                         "value": values.to_numpy(dtype=object), "problem": problems.to_numpy(dtype=object),
                         "evidence": None})


#: Field types whose parsing depends on the cell text alone: parsed once per distinct text.
_PER_DISTINCT_TEXT = ("enum", "flag", "int", "education", "role")


def _parse_column(spec: Field, values: pd.Series) -> tuple[dict[str, pd.Series], pd.Series]:
    """Typed columns for one field and a problem text per row (NA when fine)."""
    if spec.type not in _PER_DISTINCT_TEXT:
        return _parse_values(spec, values)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    columns, problems = _parse_values(spec, pd.Series(uniques, dtype=object).astype("string"))

    def spread(column: pd.Series) -> pd.Series:
        return pd.Series(column.array.take(codes), index=values.index)

    return {k: spread(v) for k, v in columns.items()}, spread(problems)


def _parse_values(spec: Field, values: pd.Series) -> tuple[dict[str, pd.Series], pd.Series]:
    none = pd.Series(pd.NA, index=values.index, dtype="string")
    kind = spec.type
    if kind == "name":
        return {spec.name: clean_name(values)}, none
    if kind == "text":
        return {spec.name: clean_text(values)}, none
    if kind == "id_number":
        parsed = parse_id_numbers(values)
        cols = {spec.name: parsed["id_number"], "id_status": parsed["id_status"],
                "id_birth_date": parsed["id_birth_date"], "id_sex": parsed["id_sex"],
                "id_note": parsed["id_note"]}
        return cols, parsed["id_problem"]
    if kind == "date":
        parsed = parse_dates(values)
        return {f"{spec.name}__lo": parsed["lo"], f"{spec.name}__hi": parsed["hi"]}, parsed["problem"]
    if kind == "education":
        parsed = parse_education(values)
        return {spec.name: parsed["education_level"].astype("Float64"),
                f"{spec.name}__label": parsed["education"]}, parsed["problem"]
    if kind == "role":
        parsed = parse_roles(values)
        return {spec.name: parsed["role"]}, parsed["problem"]
    text = clean_text(values)
    if kind == "int":
        number = pd.to_numeric(text, errors="coerce").astype("Float64")
        bad = text.notna() & (number.isna() | (number % 1 != 0))
        return {spec.name: number.where(~bad)}, _problem(bad, text, "应为整数")
    lowered = text.str.lower()
    if kind == "flag":
        flag = pd.Series(pd.NA, index=values.index, dtype="boolean")
        flag[lowered.isin(FLAG_TRUE).fillna(False).to_numpy(dtype=bool)] = True
        flag[lowered.isin(FLAG_FALSE).fillna(False).to_numpy(dtype=bool)] = False
        bad = text.notna() & flag.isna()
        return {spec.name: flag}, _problem(bad, text, "应为「是」或「否」")
    if kind == "enum":
        mapped = lowered.map(spec.value_lookup()).astype("string")
        bad = text.notna() & mapped.isna()
        allowed = "、".join(spec.values)
        return {spec.name: mapped}, _problem(bad, text, f"不是可识别的值（可选：{allowed}）")
    raise ValueError(f"unknown field type {kind}")


def _problem(bad: pd.Series, text: pd.Series, what: str) -> pd.Series:
    out = pd.Series(pd.NA, index=text.index, dtype="string")
    out[bad.fillna(False).to_numpy(dtype=bool)] = "「" + text[bad.fillna(False)] + "」" + what
    return out


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows that are not people: every cell empty or white space, except 序号-like columns
    (a template row with only its number filled in is a blank template row, not a person)."""
    return template_rows(frame)


@dataclass
class JointSpec:
    """What the joint review needs: the ruleset's agencies and opinion patterns, and reply files."""

    agencies: Mapping
    opinions: object
    replies: Sequence = ()


def _opinion_columns(table: RawTable, mapping: Mapping[str, str], joint: JointSpec | None,
                     names: dict[str, str]) -> dict[str, str]:
    """Header -> internal column name for every agency opinion column of a table (one per header,
    so two columns of one agency, e.g. 公安机关意见 and 派出所意见, are both read)."""
    if joint is None or not joint.agencies:
        return {}
    found = {}
    for header in table.frame.columns:
        agency = None if header in mapping else agency_of_header(str(header), joint.agencies)
        if agency:
            found[header] = names.setdefault(str(header), f"{OPINION_PREFIX}{agency}::{header}")
    return found


def normalise_tables(tables: Sequence[RawTable], fields: Mapping[str, Field],
                     required: Sequence[str] = (), user_mapping: Mapping[str, str] | None = None,
                     joint: JointSpec | None = None) -> Candidates:
    """Normalise one or more roster tables into one candidate set (input order kept, blank rows counted)."""
    parts, inputs, unmapped, headers, opinion_names = [], [], [], {}, {}
    for table in tables:
        mapping = map_headers(table.frame.columns, fields, user_mapping, table.path)
        mapping.update(_opinion_columns(table, mapping, joint, opinion_names))
        blank = table.skipped if table.skipped is not None else _blank_rows(table.frame)
        body = table.frame.loc[~blank].rename(columns=mapping)[list(mapping.values())]
        raw = body.copy()
        raw["source_file"] = table.name
        raw["source_row"] = table.source_rows[~blank]
        parts.append(raw)
        inputs.append({"file": table.name, "path": table.path, "sha256": table.sha256,
                       "sheet": table.sheet, "header_row": table.header_row,
                       "rows": int((~blank).sum()), "blank_rows_skipped": int(blank.sum()),
                       "footer_rows_skipped": int(table.footer_rows), "notes": list(table.notes)})
        unmapped += [f"{table.name}: {c}" for c in table.frame.columns if c not in mapping]
        headers.update({v: k for k, v in mapping.items() if not v.startswith(OPINION_PREFIX)})
    raw = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for column in raw.columns:
        if raw[column].dtype == object or str(column).startswith(OPINION_PREFIX):
            raw[column] = raw[column].astype(object).fillna("")
    outcome = apply_joint(raw, fields, joint.agencies, joint.opinions, joint.replies) if joint else None
    candidates = _typed(raw, fields, required, inputs, unmapped, headers)
    if outcome is not None:
        candidates.provenance = outcome.provenance
        candidates.weak = outcome.weak
        candidates.joint = {"awaiting": outcome.awaiting, "unmatched_replies": outcome.unmatched,
                            "replies": outcome.replies}
        candidates.issues = pd.concat([candidates.issues, *outcome.issues], ignore_index=True)
    return candidates


def _typed(raw: pd.DataFrame, fields: Mapping[str, Field], required: Sequence[str],
           inputs: list, unmapped: list, headers: dict) -> Candidates:
    present = frozenset(c for c in raw.columns if c in fields)
    typed: dict[str, pd.Series] = {"source_file": raw["source_file"].astype("string"),
                                   "source_row": raw["source_row"].astype("int64")}
    issues = []
    for name in sorted(present):
        spec = fields[name]
        columns, problems = _parse_column(spec, raw[name])
        typed.update(columns)
        bad = problems.notna().to_numpy()
        if bad.any():
            code = "V01" if spec.type == "id_number" else "V05"
            issues.append(_issues(raw.index[bad], code, name, headers.get(name, spec.label),
                                  raw[name][bad], problems[bad]))
    for name in required:
        header = headers.get(name, fields[name].label)
        blank = (raw[name].astype(str).str.strip() == "").to_numpy() if name in present \
            else np.ones(len(raw), dtype=bool)
        if blank.any():
            why = "为空" if name in present else "花名册中没有此列"
            issues.append(_issues(raw.index[blank], "V04", name, header,
                                  pd.Series([""] * int(blank.sum())), pd.Series([f"必填项「{header}」{why}"] * int(blank.sum()))))
    frame = pd.DataFrame(typed, index=raw.index)
    issue_table = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=ISSUE_COLUMNS)
    return Candidates(frame=frame, raw=raw, issues=issue_table, present=present, headers=headers,
                      inputs=inputs, unmapped=unmapped)


def candidates_from_records(records: Sequence[Mapping[str, object]], fields: Mapping[str, Field],
                            required: Sequence[str] = (), source: str = "命令行",
                            joint: JointSpec | None = None) -> Candidates:
    """Candidates given directly as {field or header: value} records (for `vet check`)."""
    frame = pd.DataFrame([{str(k): "" if v is None else str(v) for k, v in r.items()} for r in records])
    table = RawTable(path=source, sha256="", frame=frame.fillna(""),
                     source_rows=np.arange(1, len(frame) + 1), header_row=0)
    return normalise_tables([table], fields, required, joint=joint)
