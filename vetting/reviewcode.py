"""复核依据码: a short fingerprint of what one finding says about one person.

A recorded human decision (vetting.decisions) names the finding it settled by this code. When the
facts behind the finding change (another agency text, another date, another reason), the code
changes too and the decision is flagged stale instead of being applied to facts nobody reviewed.

The code hashes the rule code, the reason and the evidence without its leading "文件 第N行"
(so a roster re-sorted or renamed does not make every decision stale), all with ID-like numbers
masked (vetting.privacy): the same code whether a report shows full ID numbers or not, and a
report (JSON) is enough to recompute it (`vet template --decisions --from 报告.json`).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.privacy import mask_text
from vetting.textbytes import spread, stored_arrow

#: Hex digits kept of the SHA-256: 8 (32 bits) tell one person's findings for one rule apart.
CODE_LENGTH = 8
_NOT_CODE = re.compile(r"[\s\-_—－]+")


def finding_code(rule: object, reason: object, evidence: object, where: str = "") -> str:
    """The 复核依据码 of one finding: 8 upper-case hex digits. `where` is the candidate's
    "文件 第N行", cut from the front of the evidence when it starts with it."""
    text = "" if evidence is None or evidence is pd.NA or (isinstance(evidence, float) and evidence != evidence) \
        else str(evidence)
    if where and text.startswith(where):
        text = text[len(where):]
    parts = [_text(rule), mask_text(_text(reason)), mask_text(text)]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:CODE_LENGTH].upper()


def finding_codes(findings: pd.DataFrame, candidates: pd.DataFrame) -> pd.Series:
    """The 复核依据码 of every finding (index of `findings`), as `finding_code` gives it; `candidates`
    gives each row_id's file and row, to cut from the evidence. The same rule, reason and evidence
    recur for many people (what every agency has not answered yet): each distinct finding is hashed once."""
    if findings.empty:
        return pd.Series([], index=findings.index, dtype=object)
    by_row = candidates.set_index("row_id")
    files = _strings(findings["row_id"].map(by_row["source_file"]))
    rows = _strings(findings["row_id"].map(by_row["source_row"]))
    where = pc.binary_join_element_wise(files, _large(" 第"), rows, _large("行"), _large(""))   # "文件 第N行"
    evidence = _strings(findings["evidence"])
    cut = _without_lead(evidence, where)
    keys = [_strings(findings["rule"]), _strings(findings["reason"]), cut]
    which = np.zeros(len(findings), dtype=np.int64)
    for key in keys:
        encoded = pc.dictionary_encode(key)
        which = pd.factorize(which * (len(encoded.dictionary) + 1) + encoded.indices.to_numpy())[0].astype(np.int64)
    order, first = np.unique(which, return_index=True)
    texts = [k.take(pa.array(first)).to_pylist() for k in keys]
    codes = np.empty(len(order), dtype=object)
    codes[order] = [finding_code(rule, reason, text) for rule, reason, text in zip(*texts)]
    return pd.Series(codes[which], index=findings.index, dtype=object)


def _without_lead(evidence: pa.Array, where: pa.Array) -> pa.Array:
    """Each evidence text without its candidate's "文件 第N行" (`where`) where it starts with it,
    as `finding_code` cuts it: sliced and compared as bytes once per distinct byte length of
    `where` (a few: the row number's digits), no regex and no character counting over every
    text; the groups are put back in row order with one take. Where the first bytes are `where`,
    the cut falls between two characters."""
    lengths = pc.binary_length(where).to_numpy(zero_copy_only=False)
    distinct = np.unique(lengths)
    evidence_bytes, where_bytes = evidence.cast(pa.large_binary()), where.cast(pa.large_binary())
    pieces, positions = [], []
    for length in distinct:
        rows = np.flatnonzero(lengths == length) if len(distinct) > 1 else None
        texts, lead = (evidence_bytes, where_bytes) if rows is None else \
            (evidence_bytes.take(rows), where_bytes.take(rows))
        starts = pc.equal(pc.binary_slice(texts, 0, int(length)), lead)
        end = int(pc.max(pc.binary_length(texts)).as_py() or 0) + 1     # an explicit stop: apache/arrow#51222
        pieces.append(pc.if_else(starts, pc.binary_slice(texts, int(length), end), texts))
        positions.append(rows)
    if not pieces:
        return evidence
    cut = pieces[0] if len(pieces) == 1 else \
        pa.concat_arrays(pieces).take(np.argsort(np.concatenate(positions), kind="stable"))
    return cut.cast(evidence.type)


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _strings(values: pd.Series) -> pa.Array:
    """A column (text, categories or integers) as Arrow text, a missing value as ""."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        array = spread(_strings(pd.Series(values.cat.categories)), values.cat.codes.to_numpy())
    elif pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        array = pa.array(values.to_numpy(dtype=np.int64)).cast(pa.large_string())
    else:
        array = stored_arrow(values)          # the column's own Arrow data, not a copy
        if array is None:
            array = stored_arrow(values.astype("string[pyarrow]"))
        array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    array = array.cast(pa.large_string())
    return pc.fill_null(array, "") if array.null_count else array


def normalise_code(text: object) -> str:
    """A code as typed (lower case, spaces or dashes inside) in its canonical form."""
    return _NOT_CODE.sub("", _text(text)).upper()


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
