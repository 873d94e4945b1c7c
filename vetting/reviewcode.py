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

import pandas as pd

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
    """The 复核依据码 of every finding (index of `findings`); `candidates` gives each row_id's
    file and row, to cut from the evidence."""
    if findings.empty:
        return pd.Series([], index=findings.index, dtype=object)
    by_row = candidates.set_index("row_id")
    files = findings["row_id"].map(by_row["source_file"])
    rows = findings["row_id"].map(by_row["source_row"])
    codes = [finding_code(rule, reason, evidence, f"{file} 第{row}行")
             for rule, reason, evidence, file, row in zip(findings["rule"], findings["reason"], findings["evidence"],
                                                          files, rows)]
    return pd.Series(codes, index=findings.index, dtype=object)


def normalise_code(text: object) -> str:
    """A code as typed (lower case, spaces or dashes inside) in its canonical form."""
    return _NOT_CODE.sub("", _text(text)).upper()


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
