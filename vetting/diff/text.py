"""The Chinese text and the JSON object of a diff (pure): who changes, old -> new, the findings
that appeared, disappeared or changed, the reason each rule differs, and counts per rule and
per village. IDs appear masked only (the sides hold nothing else)."""

from __future__ import annotations

from typing import Any

from vetting.diff.compare import Change, Diff
from vetting.diff.packs import AS_OF_LABEL
from vetting.history.model import StoredCandidate, StoredFinding
from vetting.history.text import finding_lines, verdict_label, where
from vetting.vocab import SEVERITY_LABELS

_INDENT = "    "
_KINDS = (("appeared", "新增"), ("disappeared", "消失"))


def who(c: StoredCandidate) -> str:
    """Name, post, village and masked ID of a candidate."""
    text = " ".join(x for x in (c.name, c.role, c.township, c.village) if x) or "（无姓名）"
    return f"{text}  {c.id_masked or '身份证号空白'}"


def change_lines(change: Change, diff: Diff) -> list[str]:
    """One candidate: where and who, old -> new verdict, each finding that differs and why."""
    a, b = change.old, change.new
    moved = where(b) if where(a) == where(b) else f"{where(a)} → {where(b)}"
    lines = [f"{_INDENT}{moved}  {who(b)}", f"{_INDENT * 2}{verdict_label(a.verdict)} → {verdict_label(b.verdict)}"]
    for attr, label in _KINDS:
        for f in getattr(change, attr):
            lines.append(f"{_INDENT * 2}{label}：{finding_lines(f, indent='', details=False)[0]}")
    for rule_change in change.changed:
        for label, findings in (("原为", rule_change.old), ("现为", rule_change.new)):
            for f in findings:
                lines.append(f"{_INDENT * 2}{label}：{finding_lines(f, indent='', details=False)[0]}")
    for code in change.rules():
        for reason in diff.reasons.get(code, ()):
            lines.append(f"{_INDENT * 3}原因（{code}）：{reason}")
    return lines


def diff_text(diff: Diff) -> str:
    """`vet diff`: the two setups, candidates whose verdict changed, then those whose findings alone
    changed, counts per rule and per village, and the rest."""
    old, new = diff.old, diff.new
    lines = [f"对照：{old.label} → {new.label}",
             f"{_INDENT}旧：{old.ruleset}，基准日 {old.as_of or '?'}，{len(old.candidates)} 人",
             f"{_INDENT}新：{new.ruleset}，基准日 {new.as_of or '?'}，{len(new.candidates)} 人"]
    lines += [f"{_INDENT}{note}" for note in diff.notes]
    changed_rules = [(code, why) for code, why in diff.reasons.items()
                     if any(not w.startswith(AS_OF_LABEL) for w in why)]
    if changed_rules:
        lines.append("规则变化：")
        lines += [f"{_INDENT}{code}：{'；'.join(why)}" for code, why in changed_rules]
    lines.append("")
    lines.append(f"结论有变化：{len(diff.verdict_changes)} 人")
    for change in diff.verdict_changes:
        lines += change_lines(change, diff)
    if diff.finding_changes:
        lines.append("")
        lines.append(f"结论未变、问题有变化：{len(diff.finding_changes)} 人")
        for change in diff.finding_changes:
            lines += change_lines(change, diff)
    for label, group in (("仅在旧结果中", diff.only_old), ("仅在新结果中", diff.only_new)):
        if group:
            lines.append("")
            lines.append(f"{label}：{len(group)} 人")
            lines += [f"{_INDENT}{where(c)}  {who(c)}  —— {verdict_label(c.verdict)}" for c in group]
    if diff.changes:
        lines.append("")
        lines.append("按规则：")
        for count in diff.by_rule():
            parts = [f"{label} {n} 人" for label, n in (("新增", count.appeared), ("消失", count.disappeared),
                                                        ("变化", count.changed)) if n]
            lines.append(f"{_INDENT}{count.rule} {count.name}：{'，'.join(parts)}")
        lines.append("按村：")
        for village in diff.by_village():
            moves = "，".join(f"{verdict_label(a)}→{verdict_label(b)} {n}" for (a, b), n in village.moves.items())
            parts = [f"结论变化 {village.verdict_changed} 人" + (f"（{moves}）" if moves else "")]
            if village.findings_changed:
                parts.append(f"仅问题变化 {village.findings_changed} 人")
            place = " ".join(x for x in (village.township, village.village) if x) or "（未填村）"
            lines.append(f"{_INDENT}{place}：{'；'.join(parts)}")
    lines.append("")
    lines.append(f"两边均有：{sum(diff.matched_by.values())} 人；结论和问题均未变 {diff.unchanged} 人")
    return "\n".join(lines)


def _finding(f: StoredFinding) -> dict[str, Any]:
    return {"rule": f.rule, "rule_name": f.rule_name, "severity": f.severity, "reason": f.reason}


def _candidate(c: StoredCandidate) -> dict[str, Any]:
    return {"file": c.source_file, "row": c.source_row, "name": c.name, "role": c.role, "village": c.village,
            "township": c.township, "id_number": c.id_masked, "verdict": c.verdict}


def diff_object(diff: Diff) -> dict[str, Any]:
    """The JSON form of a diff (IDs masked): sides, rule reasons, changes, counts."""
    def side(s) -> dict[str, Any]:  # noqa: ANN001
        return {"label": s.label, "ruleset": s.ruleset, "as_of": s.as_of, "candidates": len(s.candidates),
                "inputs": list(s.inputs)}

    changes = []
    for c in diff.changes:
        changes.append({
            "candidate": _candidate(c.new), "old_verdict": c.old.verdict, "new_verdict": c.new.verdict,
            "verdict_changed": c.verdict_changed, "matched_by": c.matched_by,
            "appeared": [_finding(f) for f in c.appeared], "disappeared": [_finding(f) for f in c.disappeared],
            "changed": [{"rule": r.rule, "old": [_finding(f) for f in r.old], "new": [_finding(f) for f in r.new]}
                        for r in c.changed],
            "rules": c.rules(), "reasons": {code: diff.reasons[code] for code in c.rules() if code in diff.reasons}})
    return {
        "old": side(diff.old), "new": side(diff.new), "notes": diff.notes, "rule_changes": dict(diff.reasons),
        "verdict_changed": len(diff.verdict_changes), "findings_changed": len(diff.finding_changes),
        "unchanged": diff.unchanged, "changes": changes,
        "only_old": [_candidate(c) for c in diff.only_old], "only_new": [_candidate(c) for c in diff.only_new],
        "by_rule": [{"rule": r.rule, "name": r.name, "appeared": r.appeared, "disappeared": r.disappeared,
                     "changed": r.changed} for r in diff.by_rule()],
        "by_village": [{"township": v.township, "village": v.village, "verdict_changed": v.verdict_changed,
                        "findings_changed": v.findings_changed,
                        "moves": [{"old": a, "new": b, "count": n} for (a, b), n in v.moves.items()]}
                       for v in diff.by_village()],
    }


def severity_label(severity: str | None) -> str:
    """The Chinese name of a severity (the code itself if unknown)."""
    return SEVERITY_LABELS.get(severity or "", severity or "")
