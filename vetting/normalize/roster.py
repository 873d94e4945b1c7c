"""Turn raw roster tables into typed candidate columns plus a table of data problems (never dropping a row)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Collection, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from vetting.fields import FLAG_FALSE, FLAG_TRUE, Field
from vetting.inputs import RawTable
from vetting.inputs.region import template_rows
from vetting.normalize.dates import parse_dates
from vetting.normalize.education import parse_education
from vetting.normalize.headers import check_user_mapping, map_headers
from vetting.normalize.idcard import HMT_NOTE, parse_id_numbers
from vetting.normalize.roles import parse_roles
from vetting.normalize.silence import Silence
from vetting.normalize.text import clean_name, clean_text
from vetting.textbytes import stored_arrow

if TYPE_CHECKING:
    from vetting.normalize.records import Records

ISSUE_COLUMNS = ["row_id", "code", "field", "column", "value", "problem", "evidence"]


@dataclass(frozen=True)
class Candidates:
    """Typed candidate columns (index 0..n-1) with raw cell text kept for evidence.

    `frame` holds the typed columns, `raw` the cell text of every mapped field (as read, or as
    an agency's answer set it), `extra` the text of columns no field maps to (agency opinion
    columns among them, read by the joint review; categoricals where the texts repeat),
    `unmapped` those columns as (table, header), `records` what agencies report beyond the
    candidate's own row (each weighed on its own), `silence` the agencies that still owe each
    candidate an answer (J01, kept compact: these are not rows of `issues`, see
    vetting.normalize.silence).
    Later stages never change a Candidates: they make a new one (dataclasses.replace)."""

    frame: pd.DataFrame
    raw: pd.DataFrame
    issues: pd.DataFrame
    present: frozenset
    headers: dict[str, str] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)
    provenance: dict = field(default_factory=dict)   # field -> per-row evidence where an agency set it (categorical)
    weak: dict = field(default_factory=dict)         # field -> rows whose value came from a weak match
    joint: dict = field(default_factory=dict)        # awaiting agencies, unmatched reply rows, reply files
    groups: dict = field(default_factory=dict)       # `extra` header -> the group title above it (联审部门意见)
    records: Records | None = None                   # agencies' records beyond each candidate's own row
    silence: Silence = field(default_factory=Silence)  # J01 per agency as masks, rendered when reported
    file_columns: dict = field(default_factory=dict)   # source_file -> FileColumns (what each file asked)

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class FileColumns:
    """What one roster file has columns for: the fields it maps and its other headers (agency
    opinion columns among them). A run of several files may ask different things of each."""

    fields: frozenset = frozenset()
    others: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)    # field -> the header it is read from

    @classmethod
    def of(cls, headers: Sequence, mapping: Mapping) -> "FileColumns":
        """A file's columns from its header and what `map_headers` made of it."""
        return cls(frozenset(mapping.values()), tuple(str(h) for h in headers if h not in mapping),
                   {v: str(k) for k, v in mapping.items()})

    def __or__(self, other: "FileColumns") -> "FileColumns":
        """Two tables named alike (their people cannot be told apart): what either has."""
        return FileColumns(self.fields | other.fields, tuple(dict.fromkeys(self.others + other.others)),
                           {**other.headers, **self.headers})


def column_label(candidates: Candidates, name: str, fallback: str, rows: np.ndarray | None = None) -> str | np.ndarray:
    """The header a field was read from ("年度考核" for assessment_last; `fallback` where there is
    none), or, when the run's roster files name it differently, each row's (of `rows`, else of
    every row) from its own file, as a run read in slices names it."""
    return _labels(candidates.file_columns, candidates.raw["source_file"], candidates.headers, name, fallback, rows)


def _labels(files: Mapping[str, FileColumns], source: pd.Series, headers: Mapping[str, str], name: str,
            fallback: str, rows: np.ndarray | None = None) -> str | np.ndarray:
    own = {file: columns.headers.get(name) for file, columns in files.items()}
    if len(set(own.values())) <= 1:
        return headers.get(name, fallback)
    source = source if rows is None else source.iloc[rows]
    return source.astype(str).map({f: h or fallback for f, h in own.items()}).fillna(fallback).to_numpy(dtype=object)


def in_files_lacking(candidates: Candidates, name: str, rows: np.ndarray | None = None) -> np.ndarray | None:
    """Per row (of `rows`, else every row), whether its roster file lacks a field (`name` a field
    name) or a column no field maps to (`name` its header); None when no file of the run lacks it."""
    lacking = [file for file, columns in candidates.file_columns.items()
               if name not in columns.fields and name not in columns.others]
    if not lacking:
        return None
    source = candidates.raw["source_file"] if rows is None else candidates.raw["source_file"].iloc[rows]
    return source.astype(str).isin(lacking).to_numpy(dtype=bool)


def file_columns(headers: Sequence, fields: Mapping[str, Field], user_mapping: Mapping[str, str] | None = None,
                 path: str | None = None) -> FileColumns:
    """A roster file's columns as a run reads them (its header mapped as `normalise_tables` maps it)."""
    return FileColumns.of(headers, map_headers(headers, fields, user_mapping, path))


def _issues(rows: pd.Index, code: str, name: str, column: str, values: pd.Series,
            problems: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"row_id": rows, "code": code, "field": name, "column": column,
                         "value": values.to_numpy(dtype=object), "problem": problems.to_numpy(dtype=object),
                         "evidence": None})


#: Field types whose parsing depends on the cell text alone: parsed once per distinct text.
_PER_DISTINCT_TEXT = ("enum", "flag", "int", "education", "role")
#: A column's distinct texts, when this few, are parsed once per process (`_parse_distinct`).
_REMEMBERED_TEXTS = 256
#: Parsed sets of distinct texts remembered at most (then forgotten all at once).
_REMEMBERED_SETS = 512
_remembered: dict[tuple, tuple[dict[str, pd.Series], pd.Series]] = {}


def _parse_column(spec: Field, values: pd.Series, numbers: np.ndarray | None = None
                  ) -> tuple[dict[str, pd.Series], pd.Series]:
    """Typed columns for one field and a problem text per row (NA when fine); ``numbers`` marks
    the cells that were numbers with a fraction in a workbook (read by date fields)."""
    if spec.type not in _PER_DISTINCT_TEXT:
        return _parse_values(spec, values, numbers)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    columns, problems = _parse_distinct(spec, pd.Series(uniques, dtype=object).astype("string"))

    def spread(column: pd.Series) -> pd.Series:
        return pd.Series(column.array.take(codes), index=values.index)

    return {k: spread(v) for k, v in columns.items()}, spread(problems)


def _parse_distinct(spec: Field, texts: pd.Series) -> tuple[dict[str, pd.Series], pd.Series]:
    """`_parse_values` of a column's distinct texts, remembered when they are few: the slices of
    a large roster repeat the same few texts per column (是/否, 无, the ratings), and parsing even
    three texts costs a dozen pandas steps per column and slice. The result is never changed by
    its callers (they take from it)."""
    if len(texts) > _REMEMBERED_TEXTS:
        return _parse_values(spec, texts)
    key = (spec.name, spec.type, spec.bounds, tuple(spec.values.items()),
           tuple(text if isinstance(text, str) else None for text in texts))
    if key not in _remembered:
        if len(_remembered) >= _REMEMBERED_SETS:
            _remembered.clear()
        _remembered[key] = _parse_values(spec, texts)
    return _remembered[key]


def _parse_values(spec: Field, values: pd.Series, numbers: np.ndarray | None = None
                  ) -> tuple[dict[str, pd.Series], pd.Series]:
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
        parsed = parse_dates(values, numbers)
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
        low, high = spec.int_bounds()
        absurd = ~bad & text.notna() & ((number < low) | (number > high))
        outside = _problem(absurd, text, f"超出合理范围（应为{low}至{high}之间的整数）")
        problems = _problem(bad, text, "应为整数").fillna(outside)
        return {spec.name: number.where(~(bad | absurd))}, problems
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
    rows = bad.fillna(False).to_numpy(dtype=bool)
    if rows.any():
        out[rows] = "「" + text[rows] + "」" + what
    return out


def normalise_tables(tables: Sequence[RawTable], fields: Mapping[str, Field],
                     required: Sequence[str] = (), user_mapping: Mapping[str, str] | None = None,
                     keep: Collection[str] | None = None, check_mapping: bool = True) -> Candidates:
    """Normalise one or more roster tables into one candidate set (input order kept, blank rows
    counted, columns no field maps to kept as text in `extra`). With `keep`, only those fields are
    parsed, for a pass that reads a few columns: no data issues and no `extra` are made.
    `check_mapping` False: the --map headers were checked against every file of the run already."""
    if check_mapping:
        check_user_mapping(user_mapping, tables)
    parts, extras, inputs, unmapped, headers, numbers, groups = [], [], [], [], {}, [], {}
    columns_of: dict[str, FileColumns] = {}
    for table in tables:
        mapping = map_headers(table.frame.columns, fields, user_mapping, table.path)
        blank = table.skipped if table.skipped is not None else template_rows(table.frame)
        body = table.frame.loc[~blank]
        raw = body.rename(columns=mapping)[list(mapping.values())]
        numbers.append({mapping[h]: mask[~blank] for h, mask in table.numbers.items() if h in mapping})
        raw["source_file"] = table.name
        raw["source_row"] = table.source_rows[~blank]
        parts.append(raw)
        others = [c for c in table.frame.columns if c not in mapping]
        repeated = int(table.headings.sum()) if table.headings is not None else 0   # skipped, not blank
        if keep is None:
            extras.append(body[others].set_axis([str(c) for c in others], axis=1))
        inputs.append({"file": table.name, "path": table.path, "sha256": table.sha256,
                       "sheet": table.sheet, "header_row": table.header_row,
                       "rows": int((~blank).sum()), "blank_rows_skipped": int(blank.sum()) - repeated,
                       "footer_rows_skipped": int(table.footer_rows), "notes": list(table.notes)})
        unmapped += [(table.name, str(c)) for c in others]
        own = FileColumns.of(table.frame.columns, mapping)
        columns_of[table.name] = columns_of[table.name] | own if table.name in columns_of else own
        groups.update({str(c): table.groups[c] for c in others if c in table.groups})
        headers.update({v: k for k, v in mapping.items()})
    raw = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for column in raw.columns:
        if raw[column].dtype == object:
            raw[column] = raw[column].astype(object).fillna("")
    extra = _as_categories(pd.concat(extras, ignore_index=True)) if extras else pd.DataFrame(index=raw.index)
    present = frozenset(c for c in raw.columns if c in fields)
    typed: dict[str, pd.Series] = {"source_file": raw["source_file"].astype("string"),
                                   "source_row": raw["source_row"].astype("int64")}
    issues = []
    for name in sorted(present if keep is None else present & frozenset(keep)):
        columns, problems = _parse_column(fields[name], raw[name], _stacked(numbers, parts, name))
        typed.update(columns)
        if keep is None:
            label = _labels(columns_of, raw["source_file"], headers, name, fields[name].label)
            issues += _field_issues(fields[name], raw[name], problems, label, columns)
    frame = pd.DataFrame(typed, index=raw.index)
    candidates = Candidates(frame=frame, raw=raw, issues=pd.DataFrame(columns=ISSUE_COLUMNS), present=present,
                            headers=headers, inputs=inputs, unmapped=unmapped, extra=extra, groups=groups,
                            file_columns=columns_of)
    if keep is not None:
        return candidates
    return replace(candidates, issues=_ordered_issues(issues + _required_issues(candidates, fields, required),
                                                      required))


def _as_categories(table: pd.DataFrame) -> pd.DataFrame:
    """Columns no field maps to, blank cells as "": a column whose cells are all text and mostly
    repeat as a categorical (one Python string per distinct text and a small code per cell:
    opinion columns repeat 无 or 未反馈 a hundred thousand times), one of mostly distinct texts
    (a serial number) as Arrow strings, any other column as objects, as read."""
    if table.shape[1] == 0:
        return table.astype(object)
    columns = []
    for i in range(table.shape[1]):
        column = table.iloc[:, i]
        text = _arrow_categories(column)
        if text is None:
            text = column.astype(object).fillna("")
            if pd.api.types.is_string_dtype(text):
                text = text.astype("category") if text.nunique() <= len(text) // 2 else text.astype("str")
        columns.append(text)
    return pd.concat(columns, axis=1)


def _arrow_categories(column: pd.Series) -> pd.Series | None:
    """`_as_categories` of a column read as Arrow text (a CSV roster's), from one dictionary
    encoding instead of a Python string per cell hashed twice: the same categories (sorted) and
    codes, or the same text column; None for a column held another way."""
    text = stored_arrow(column)
    if text is None:
        return None
    encoded = pc.dictionary_encode(pc.fill_null(text.combine_chunks(), ""))
    labels = encoded.dictionary.to_pylist()
    if len(labels) > len(column) // 2:
        return pd.Series(pd.array(pc.fill_null(text, ""), dtype="str"), index=column.index, name=column.name)
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)] if len(labels) else np.zeros(0, dtype=np.int64)
    dtype = pd.CategoricalDtype(pd.Index([labels[k] for k in order]))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=column.index, name=column.name)


def _stacked(numbers: list[dict[str, np.ndarray]], parts: list[pd.DataFrame], name: str) -> np.ndarray | None:
    """One field's number-cell marks over all tables (None when no table has any)."""
    if not any(name in marks for marks in numbers):
        return None
    return np.concatenate([marks.get(name, np.zeros(len(part), dtype=bool)) for marks, part in zip(numbers, parts)])


#: V07: a valid number of a 港澳台居民居住证 (address code 81/82/83): its holder is not normally a
#: registered voter of a village, so the cell goes to a person rather than being taken as any ID.
PERMIT_PROBLEM = (HMT_NOTE + "：持证人为香港、澳门或台湾居民，一般不是本村户籍村民，"
                  "须核实其是否已登记参加本村选举")


def _field_issues(spec: Field, text: pd.Series, problems: pd.Series, column: str | np.ndarray,
                  columns: Mapping[str, pd.Series] | None = None) -> list[pd.DataFrame]:
    """V01 (ID numbers) or V05 for the rows of one field whose text could not be read, and V07 for
    ID numbers of 港澳台居民居住证 (read from the parser's note); none for a field read cleanly.
    `column`: the header, or each row's of `text` (`column_label`)."""
    bad = problems.notna().to_numpy()
    code = "V01" if spec.type == "id_number" else "V05"

    def where(rows: np.ndarray) -> str | np.ndarray:
        return column if isinstance(column, str) else column[rows]
    found = [_issues(text.index[bad], code, spec.name, where(bad), text[bad], problems[bad])] if bad.any() else []
    note = (columns or {}).get("id_note")
    if note is not None:
        permit = note.str.contains(HMT_NOTE, regex=False).fillna(False).to_numpy(dtype=bool)
        if permit.any():
            found.append(_issues(text.index[permit], "V07", spec.name, where(permit), text[permit],
                                 pd.Series(PERMIT_PROBLEM, index=text.index[permit])))
    return found


def _required_issues(candidates: Candidates, fields: Mapping[str, Field], required: Sequence[str]) -> list:
    """V04 for every blank required cell (a whole missing column is blank everywhere)."""
    raw, out = candidates.raw, []
    for name in required:
        blank = (raw[name].fillna("").astype(str).str.strip() == "").to_numpy(dtype=bool) \
            if name in candidates.present else np.ones(len(raw), dtype=bool)    # a cell of a file without it: NA
        if not blank.any():
            continue
        rows = np.flatnonzero(blank)
        header = column_label(candidates, name, fields[name].label, rows)
        without = in_files_lacking(candidates, name, rows) \
            if name in candidates.present else None
        without = np.full(len(rows), name not in candidates.present) if without is None else without
        why = np.where(without, "花名册中没有此列", "为空").astype(object)
        out.append(_issues(raw.index[blank], "V04", name, header, pd.Series([""] * len(rows)),
                           pd.Series(("必填项「" + np.asarray(header, dtype=object) + "」" + why).astype(object))))
    return out


def _ordered_issues(parts: list[pd.DataFrame], required: Sequence[str]) -> pd.DataFrame:
    """Data problems in one order whatever produced them: unreadable values by field name, then
    blank required cells in the order the ruleset lists them, each by row."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    blank = (table["code"] == "V04").to_numpy()
    rank = {name: f"{i:04d}" for i, name in enumerate(required)}
    order = pd.DataFrame({"required": blank, "row": table["row_id"].to_numpy(),
                          "field": np.where(blank, [rank.get(f, "") for f in table["field"]], table["field"])})
    return table.loc[order.sort_values(["required", "field", "row"], kind="stable").index].reset_index(drop=True)


def with_columns(candidates: Candidates, fields: Mapping[str, Field], required: Sequence[str],
                 columns: Mapping[str, np.ndarray]) -> Candidates:
    """A new candidate set whose fields in `columns` have the given cell text (e.g. as the joint
    review filled them in): raw text replaced, typed values and data problems recomputed for the
    rows whose text changed. `candidates` itself is left as it was."""
    if not columns:
        return candidates
    raw = candidates.raw.assign(**{name: np.asarray(values, dtype=object) for name, values in columns.items()})
    frame = candidates.frame.copy(deep=False)
    present = candidates.present | frozenset(columns)
    kept = candidates.issues
    fresh = []
    for name in columns:
        spec, text = fields[name], raw[name]
        if name in candidates.present:
            changed = (text.to_numpy(dtype=object) != candidates.raw[name].to_numpy(dtype=object))
        else:
            changed = np.ones(len(raw), dtype=bool)
        if not changed.any():
            continue
        typed, problems = _parse_column(spec, text[changed])
        for column, values in typed.items():
            if name not in candidates.present:      # a new column: every row was parsed
                frame[column] = values
                continue
            updated = frame[column].copy()
            updated[changed] = values.array if isinstance(updated.dtype, pd.api.extensions.ExtensionDtype) \
                else values.to_numpy(dtype=updated.dtype)
            frame[column] = updated
        stale = (kept["field"] == name) & (kept["code"] != "V04") & kept["row_id"].isin(np.flatnonzero(changed))
        kept = kept[~stale.to_numpy(dtype=bool)]
        fresh += _field_issues(spec, text[changed], problems,
                               column_label(candidates, name, spec.label, np.flatnonzero(changed)), typed)
    updated = replace(candidates, raw=raw, frame=frame, present=present)
    kept = kept[~((kept["code"] == "V04") & kept["field"].isin(list(columns))).to_numpy(dtype=bool)]
    renewed = _required_issues(updated, fields, [r for r in required if r in columns])
    return replace(updated, issues=_ordered_issues([kept, *fresh, *renewed], required))


def candidates_from_records(records: Sequence[Mapping[str, object]], fields: Mapping[str, Field],
                            required: Sequence[str] = (), source: str = "命令行") -> Candidates:
    """Candidates given directly as {field or header: value} records (for `vet check`)."""
    frame = pd.DataFrame([{str(k): "" if v is None else str(v) for k, v in r.items()} for r in records])
    table = RawTable(path=source, sha256="", frame=frame.fillna(""),
                     source_rows=np.arange(1, len(frame) + 1), header_row=0)
    return normalise_tables([table], fields, required)
