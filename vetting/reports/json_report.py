"""JSON report: {"meta": ..., "candidates": [...]}, UTF-8, indent 2, stable key order.

``json.dumps(indent=2)`` runs the pure-Python encoder and is far too slow for a million
candidates, so the candidates array is rendered column-wise with Arrow string kernels:
each column is JSON-escaped once, then columns and fixed key templates are concatenated.
The bytes are identical to ``json.dumps(obj, ensure_ascii=False, indent=2)`` of the same
object (a test checks this).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.objarrays import repeated
from vetting.reports.common import as_int, as_text, redact, sorted_findings
from vetting.reports.joining import join_by
from vetting.result import VettingResult

#: Candidate keys in output order, with the source column each comes from.
CANDIDATE_KEYS = {"row": "source_row", "file": "source_file", "name": "name", "role": "role",
                  "village": "village", "township": "township", "id_number": "id_number",
                  "verdict": "verdict"}
#: Finding keys in output order (same names as the findings columns).
FINDING_KEYS = ("rule", "severity", "reason", "evidence", "basis")

_CONTROL = r"[\x00-\x1f]"


def format_json(result: VettingResult, show_id: bool = False) -> bytes:
    """The whole report as UTF-8 JSON bytes (ends with a newline). Each candidate carries
    its findings, worst severity first then by rule code; NA becomes null; IDs are masked
    unless `show_id`."""
    result = redact(result, show_id)
    head, tail = json_frame(result)
    body = candidates_json(result)
    if not body:
        return (head + "[]" + tail).encode("utf-8")
    return (head + "[\n").encode("utf-8") + body + ("\n  ]" + tail).encode("utf-8")


def json_frame(result: VettingResult) -> tuple[str, str]:
    """The report around its candidates array: everything up to ``"candidates": `` (the meta
    block) and everything after the array (village findings, closing brace). `result` is shown
    as it is (already redacted)."""
    meta = json.dumps(result.meta, ensure_ascii=False, indent=2, default=_json_default)
    head = '{\n  "meta": ' + meta.replace("\n", "\n  ") + ',\n  "candidates": '
    return head, _villages(result) + "\n}\n"


def candidates_json(result: VettingResult) -> bytes:
    """The candidates of `result` as the inside of the report's candidates array (objects joined
    by ",\n", no brackets; empty bytes when there are none). A chunked run joins the bytes of its
    chunks with ",\n"; `result` is shown as it is (already redacted)."""
    blocks = _candidate_blocks(result.candidates, result.findings, result.unchecked)
    if len(blocks) == 0:
        return b""
    offsets = pa.array([0, len(blocks)], pa.int64())
    return pc.binary_join(pa.LargeListArray.from_arrays(offsets, blocks),
                          pa.scalar(",\n", pa.large_string()))[0].as_buffer().to_pybytes()


def _villages(result: VettingResult) -> str:
    """The `villages` member (village-level findings), present only when there are any."""
    if result.villages is None or result.villages.empty:
        return ""
    items = result.villages.astype(object).where(result.villages.notna(), None).to_dict(orient="records")
    return ',\n  "villages": ' + json.dumps(items, ensure_ascii=False, indent=2).replace("\n", "\n  ")


def candidate_object(result: VettingResult, row_id: Any, show_id: bool = False) -> dict:
    """One candidate exactly as it appears in `format_json` (used by ``vet check``).
    Raises KeyError if `row_id` is not a candidate."""
    result = redact(result, show_id)
    candidates = result.candidates[result.candidates["row_id"] == row_id]
    if candidates.empty:
        raise KeyError(row_id)
    findings = result.findings[result.findings["row_id"] == row_id]
    unchecked = result.unchecked[result.unchecked["row_id"] == row_id]
    return json.loads(_candidate_blocks(candidates.head(1), findings, unchecked)[0].as_py())


def _candidate_blocks(candidates: pd.DataFrame, findings: pd.DataFrame, unchecked: pd.DataFrame) -> pa.Array:
    """Each candidate's JSON object (large_string), indented for the candidates array;
    `not_covered` lists the rules the run could not check for them (meta.coverage says why)."""
    pieces: list[Any] = []
    for key, column in CANDIDATE_KEYS.items():
        values = candidates[column]
        literals = _int_literals(values) if key == "row" else _literals(values)
        pieces += [f',\n      "{key}": ', literals]
    codes = join_by(unchecked["row_id"], _literals(unchecked["rule"]).to_pandas(), ",\n        ")
    at = pd.Index(codes.index).get_indexer(candidates["row_id"].to_numpy())
    listed = _arrow_text("[\n        " + codes + "\n      ]").take(pa.array(at, mask=at < 0))
    pieces += [',\n      "not_covered": ', pc.fill_null(listed, "[]")]
    lists = _finding_lists(findings)
    at = pd.Index(lists.index).get_indexer(candidates["row_id"].to_numpy())
    nested = _arrow_text(lists).take(pa.array(at, mask=at < 0))
    pieces += [',\n      "findings": ', pc.fill_null(nested, "[]"), "\n    }"]
    pieces[0] = pieces[0].replace(",", "    {", 1)
    return _concat(pieces)


def _finding_lists(findings: pd.DataFrame) -> pd.Series:
    """Each row_id's findings as a rendered JSON array, indexed by row_id."""
    f = sorted_findings(findings)
    pieces: list[Any] = []
    for key in FINDING_KEYS:
        pieces += [f',\n          "{key}": ', _literals(f[key])]
    if "review" in f:
        pieces += [',\n          "review": ', _review_objects(f)]
    pieces[0] = pieces[0].replace(",", "        {", 1)
    objects = pd.Series(_concat(pieces + ["\n        }"]), dtype="str")
    return "[\n" + join_by(f["row_id"], objects, ",\n") + "\n      ]"


#: A decided finding's `review` object (run with --decisions): key -> findings column.
REVIEW_KEYS = {"decision": "review_decision", "severity_before": "severity_before", "decided_by": "review_by",
               "decided_on": "review_on", "document": "review_document", "note": "review_note", "text": "review"}


def _review_objects(f: pd.DataFrame) -> pa.Array:
    """Each finding's `review` object as indented JSON (null where no decision applies); a run
    has few decided findings, so those few are rendered one by one."""
    out = repeated("null", len(f))
    for i in np.flatnonzero(f["review"].notna().to_numpy()):
        obj = {key: (None if pd.isna(v := f[column].iat[i]) else str(v)) for key, column in REVIEW_KEYS.items()}
        out[i] = json.dumps(obj, ensure_ascii=False, indent=2).replace("\n", "\n          ")
    return pa.array(out.tolist(), pa.large_string())


def _concat(pieces: list[Any]) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings."""
    arrays = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in pieces]
    joined = pc.binary_join_element_wise(*arrays, pa.scalar("", pa.large_string()))
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _literals(values: pd.Series) -> pa.Array:
    """Each text value as a JSON string literal escaped like json.dumps, NA as null."""
    text = _arrow_text(values)
    escaped = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    quoted = _concat(['"', escaped, '"'])
    control = pc.fill_null(pc.match_substring_regex(text, _CONTROL), False)
    if pc.any(control).as_py():
        fixed = [json.dumps(v, ensure_ascii=False) for v in text.filter(control).to_pylist()]
        quoted = pc.replace_with_mask(quoted, control, pa.array(fixed, pa.large_string()))
    return pc.fill_null(quoted, "null")


def _int_literals(values: pd.Series) -> pa.Array:
    numbers = as_int(values)
    if not isinstance(numbers.dtype, pd.Int64Dtype):
        return _literals(values)
    return pc.fill_null(_arrow_text(numbers), "null")


def _arrow_text(values: pd.Series) -> pa.Array:
    """`values` as one contiguous Arrow large_string array."""
    text = pa.array(as_text(values), from_pandas=True)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text.cast(pa.large_string())


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
