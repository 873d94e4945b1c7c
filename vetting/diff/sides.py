"""The two sides of a diff as the run history stores a run: candidates with masked IDs, keyed ID
digests (to pair the same person) and findings worst first. No I/O."""

from __future__ import annotations

import pandas as pd

from vetting.diff.compare import Side
from vetting.history.keys import id_digester, key_fingerprint, normalise_id
from vetting.history.model import RunDetail, StoredCandidate, StoredFinding
from vetting.history.rows import worst_first
from vetting.history.text import ruleset_text
from vetting.privacy import mask_id, mask_text
from vetting.result import VettingResult


def _text(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else mask_text(str(value))


def result_side(result: VettingResult, label: str, key: bytes | None = None) -> Side:
    """A vetting result as a diff side: every candidate (input order) with its findings, ID
    numbers masked and, with `key`, digested (so that two sides made with one key pair by ID)."""
    meta = result.meta or {}
    ruleset = meta.get("ruleset") or {}
    digest = id_digester(key) if key else None
    findings: dict[int, list[StoredFinding]] = {}
    f = result.findings
    for row, rule, name, severity, reason, evidence, basis in zip(
            f["row_id"], f["rule"], f["rule_name"], f["severity"], f["reason"], f["evidence"], f["basis"]):
        findings.setdefault(int(row), []).append(StoredFinding(
            _text(rule), _text(name), _text(severity), _text(reason), _text(evidence), _text(basis)))
    c = result.candidates
    candidates = []
    for row, file, source_row, name, role, village, township, id_number, verdict in zip(
            c["row_id"], c["source_file"], c["source_row"], c["name"], c["role"], c["village"], c["township"],
            c["id_number"], c["verdict"]):
        number = normalise_id(None if pd.isna(id_number) else id_number)
        candidates.append(StoredCandidate(
            int(row), _text(file), None if pd.isna(source_row) else int(source_row), _text(name), _text(role),
            _text(village), _text(township), digest(number) if digest and number else None,
            mask_id(number) if number else None, str(verdict), worst_first(findings.get(int(row), ()))))
    title = ruleset_text(_Named(ruleset.get("id"), ruleset.get("title"), ruleset.get("version")))
    inputs = tuple(str(i.get("file", "")) for i in meta.get("inputs") or ())
    return Side(label, title, str(meta.get("as_of") or ""), tuple(candidates),
                key_fingerprint(key) if key else None, inputs)


def recorded_side(detail: RunDetail, label: str | None = None) -> Side:
    """A recorded run (`vet history`) as a diff side."""
    run = detail.run
    return Side(label or f"审查记录 #{run.id}", ruleset_text(run), str(run.as_of or ""), tuple(detail.candidates),
                run.id_key_id, tuple(str(i.get("file", "")) for i in run.inputs))


class _Named:
    """What `ruleset_text` reads of a run, for a result's meta block."""

    def __init__(self, ruleset_id: object, title: object, version: object) -> None:
        self.ruleset_id, self.ruleset_title, self.ruleset_version = ruleset_id, title, version

