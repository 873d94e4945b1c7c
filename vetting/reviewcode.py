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
    lead = pc.struct_field(pc.extract_regex(evidence, _LEAD), [0])
    cut = pc.if_else(pc.fill_null(pc.equal(lead, where), False),
                     pc.replace_substring_regex(evidence, _LEAD, "", max_replacements=1), evidence)
    keys = [_strings(findings["rule"]), _strings(findings["reason"]), cut]
    which = np.zeros(len(findings), dtype=np.int64)
    for key in keys:
        encoded = pc.dictionary_encode(key)
        which = pd.factorize(which * (len(encoded.dictionary) + 1) + encoded.indices.to_numpy())[0].astype(np.int64)
    order, first = np.unique(which, return_index=True)
    texts = [k.take(pa.array(first)).to_pylist() for k in keys]
    # a file whose name itself reads "… 第N行" is cut as finding_code cuts it, one finding at a time
    odd = np.flatnonzero(pc.match_substring_regex(files, _ROW).to_numpy(zero_copy_only=False))
    codes = np.empty(len(order), dtype=object)
    codes[order] = [finding_code(rule, reason, text) for rule, reason, text in zip(*texts)]
    out = codes[which]
    for i in odd:
        out[i] = finding_code(keys[0][i].as_py(), keys[1][i].as_py(), evidence[i].as_py(),
                              f"{files[i].as_py()} 第{rows[i].as_py()}行")
    return pd.Series(out, index=findings.index, dtype=object)


#: The "文件 第N行" an evidence text starts with, and a file name that could be mistaken for one.
_LEAD = r"^(?P<lead>.*? 第\d+行)"
_ROW = r" 第\d+行"


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _strings(values: pd.Series) -> pa.Array:
    """A column (text, categories or integers) as Arrow text, a missing value as ""."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = _strings(pd.Series(values.cat.categories))
        codes = values.cat.codes.to_numpy()
        array = labels.take(pa.array(codes, mask=codes < 0))
    elif pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        array = pa.array(values.to_numpy(dtype=np.int64)).cast(pa.large_string())
    else:
        array = pa.chunked_array([pa.array(values.astype("string[pyarrow]").array)]).combine_chunks()
    return pc.fill_null(array.cast(pa.large_string()), "")


def normalise_code(text: object) -> str:
    """A code as typed (lower case, spaces or dashes inside) in its canonical form."""
    return _NOT_CODE.sub("", _text(text)).upper()


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
