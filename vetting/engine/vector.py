"""The vectorised batch engine: every rule becomes column operations over the whole roster."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import numpy as np
import pandas as pd

from vetting.datachecks import DATA_CHECKS
from vetting.engine import values as V
from vetting.engine.derive import derive
from vetting.engine.text import format_vec
from vetting.normalize.education import LEVELS as EDUCATION_LEVELS
from vetting.normalize.roles import roles_match
from vetting.normalize.roster import Candidates
from vetting.engine.groups import evaluate_groups
from vetting.result import FINDING_COLUMNS, GROUP_COLUMNS, VettingResult
from vetting.engine.verdicts import candidate_table
from vetting.errors import RulesetError
from vetting.ruleset import condition as C
from vetting.ruleset.model import Rule, Ruleset

WEAK_IDENTITY_NOTE = "（公民身份号码无法核验，比对依据不足，降为人工复核）"


class Columns:
    """Typed candidate columns as interval vectors, converted once and shared by all rules."""

    def __init__(self, candidates: Candidates, ruleset: Ruleset, derived: dict[str, tuple]) -> None:
        self.candidates, self.ruleset, self.derived = candidates, ruleset, derived
        self.n = len(candidates)
        self._cache: dict[str, V.Vec] = {}

    def get(self, name: str) -> V.Vec:
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str) -> V.Vec:
        if name in self.derived:
            kind, lo, hi = self.derived[name]
            known = ~pd.isna(lo) if kind != "bool" else np.ones(self.n, dtype=bool)
            if name == "id_valid":
                known = np.full(self.n, "id_number" in self.candidates.present)
            return V.Vec(kind, lo, hi, np.asarray(known, dtype=bool))
        spec = self.ruleset.fields[name]
        kind = C.field_value_type(spec.type)
        frame = self.candidates.frame
        if name not in self.candidates.present:
            return V.unknown(kind, self.n)
        if kind == "date":
            lo = frame[f"{name}__lo"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            hi = frame[f"{name}__hi"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            return V.Vec(kind, lo, hi, ~np.isnat(lo))
        if kind == "number":
            arr = frame[name].to_numpy(dtype=float, na_value=np.nan)
            return V.Vec(kind, arr, arr, ~np.isnan(arr))
        if kind == "bool":
            col = frame[name]
            known = col.notna().to_numpy(dtype=bool)
            arr = col.fillna(False).to_numpy(dtype=bool)
            return V.Vec(kind, arr, arr, known)
        arr = frame[name].to_numpy(dtype=object, na_value=None)
        return V.Vec("string", arr, arr, frame[name].notna().to_numpy(dtype=bool))

    def blank(self, name: str) -> np.ndarray:
        """Rows where the roster cell behind a field is empty (an unreadable cell is not blank)."""
        raw = self.candidates.raw
        if name not in raw:
            return np.ones(self.n, dtype=bool)
        return (raw[name].astype("string").fillna("").str.strip() == "").to_numpy(dtype=bool)


class Evaluator:
    """Evaluates an AST over all rows (or a subset) on a fixed as-of date and parameter set."""

    def __init__(self, columns: Columns, params: dict[str, Any], as_of: dt.date,
                 rows: np.ndarray | None = None) -> None:
        self.columns, self.params, self.rows = columns, params, rows
        self.as_of = np.datetime64(as_of, "D")
        self.n = columns.n if rows is None else len(rows)

    def subset(self, rows: np.ndarray) -> "Evaluator":
        return Evaluator(self.columns, self.params, self.as_of.astype(dt.date), rows)

    def eval(self, node: C.Node) -> V.Vec:
        handler: Callable[[Any], V.Vec] = getattr(self, "eval_" + type(node).__name__)
        return handler(node)

    def eval_Literal(self, node: C.Literal) -> V.Vec:
        return V.constant(node.type, node.value, self.n)

    def eval_AsOf(self, node: C.AsOf) -> V.Vec:
        return V.constant("date", self.as_of, self.n)

    def eval_FieldRef(self, node: C.FieldRef) -> V.Vec:
        vec = self.columns.get(node.name)
        return vec if self.rows is None else vec.take(self.rows)

    def eval_ParamRef(self, node: C.ParamRef) -> V.Vec:
        value = self.params.get(node.name)
        if node.index is None:
            kind = "date" if isinstance(value, dt.date) else \
                "number" if isinstance(value, (int, float)) else "string"
            return V.constant(kind, value, self.n)
        keys = self.eval(node.index)
        mapped = pd.Series(keys.lo, dtype=object).map(value or {}).to_numpy(dtype=float, na_value=np.nan)
        return V.Vec("number", mapped, mapped, keys.known & ~np.isnan(mapped))

    def eval_Unary(self, node: C.Unary) -> V.Vec:
        operand = self.eval(node.operand)
        return V.logical_not(operand) if node.op == "not" else V.negate(operand)

    def eval_Binary(self, node: C.Binary) -> V.Vec:
        left, right = self.eval(node.left), self.eval(node.right)
        if node.op == "and":
            return V.logical_and(left, right)
        if node.op == "or":
            return V.logical_or(left, right)
        if node.op in ("+", "-"):
            return V.arith(node.op, left, right)
        return V.compare(node.op, left, right)

    def eval_InList(self, node: C.InList) -> V.Vec:
        operand = self.eval(node.operand)
        items = [np.datetime64(i.value, "D") if i.type == "date" else i.value for i in node.items]
        result = V.is_in(operand, items)
        return V.logical_not(result) if node.negate else result

    def eval_Duration(self, node: C.Duration) -> V.Vec:
        amount = self.eval(node.amount)
        factor = 12 if node.unit == "years" else 1
        kind = "duration_days" if node.unit == "days" else "duration_months"
        return V.Vec(kind, amount.lo * factor, amount.hi * factor, amount.known)

    def eval_Call(self, node: C.Call) -> V.Vec:
        args = [self.eval(a) for a in node.args]
        if node.func == "within":
            return V.within(args[0], args[1], self.as_of)
        if node.func in ("blank", "present"):
            return V.presence(args[0], node.func == "present")
        return V.coalesce(args[0], args[1])


DERIVED = ("age", "birth_used", "sex_from_id", "id_valid")
DERIVED_FROM_BIRTH = ("age", "birth_used")
#: Cells never spelled out in evidence: with the masked ID number they would reveal the hidden digits.
HIDDEN_VALUES = ("birth_date", "id_number")


def _evidence(columns: Columns, rows: np.ndarray, fields: tuple[str, ...]) -> np.ndarray:
    """'文件 第N行：「列」=值；…' for the roster fields a rule read (ID numbers never spelled out)."""
    candidates = columns.candidates
    raw = candidates.raw
    text = _where(raw, rows)
    parts = []
    if any(f in DERIVED_FROM_BIRTH for f in fields):
        from_id = columns.get("id_valid").lo[rows]
        known = columns.get("birth_used").known[rows]
        parts.append(np.where(from_id, "年龄据公民身份号码推算",
                              np.where(known, "年龄据填报的出生年月推算", "无可用的出生日期（身份证号无效或缺失，且未填出生年月）"))
                     .astype(object))
    for name in fields:
        if name in DERIVED:
            continue
        label = candidates.headers.get(name)
        if label is None and name in candidates.provenance:
            label = columns.ruleset.fields[name].label
        if label is None:
            parts.append(np.full(len(rows), f"无「{columns.ruleset.fields[name].label}」列", dtype=object))
            continue
        cells = raw[name].iloc[rows].astype("string").fillna("")
        values = np.where(cells.str.strip() == "", "（空）", cells.to_numpy(dtype=object)).astype(object)
        if name in HIDDEN_VALUES:
            values = np.where(values == "（空）", values, "（已隐去）").astype(object)
        text_part = f"「{label}」=" + values
        source = candidates.provenance.get(name)
        if source is not None:
            text_part = np.where(pd.isna(source[rows]), text_part, source[rows]).astype(object)
        parts.append(text_part)
    for i, part in enumerate(parts):
        text = text + ("：" if i == 0 else "；") + part
    return text


def _where(raw: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """'文件 第N行' for the given rows."""
    return (raw["source_file"].iloc[rows].to_numpy(dtype=object).astype(str) + " 第"
            + raw["source_row"].iloc[rows].to_numpy().astype(str) + "行")


def _imprecise(columns: Columns, rows: np.ndarray, fields: tuple[str, ...]) -> np.ndarray:
    """'「列」仅为2025-10' for date fields a rule read whose value is a month or year, not a day."""
    out = np.full(len(rows), "", dtype=object)
    for name in fields:
        vec = columns.get(name)
        if vec.kind != "date":
            continue
        vec = vec.take(rows)
        vague = vec.known & (vec.lo != vec.hi)
        label = columns.candidates.headers.get(name, columns.ruleset.fields[name].label)
        out = np.where(vague, out + np.where(out == "", "", "、") + f"「{label}」仅为" + format_vec(vec), out)
    return out


def _render_reason(rule: Rule, evaluator: Evaluator) -> np.ndarray:
    out = np.full(evaluator.n, "", dtype=object)
    for part in rule.reason:
        out = out + (part if isinstance(part, str) else _display(part, evaluator))
    return out


def _display(node: C.Node, evaluator: Evaluator) -> np.ndarray:
    """A placeholder's text; an education level shows as its name (高中), not its rank."""
    vec = evaluator.eval(node)
    fields = evaluator.columns.ruleset.fields
    if isinstance(node, C.FieldRef) and fields[node.name].type == "education":
        names = pd.Series(vec.lo).map(EDUCATION_LEVELS).to_numpy(dtype=object)
        return np.where(vec.known & (vec.lo == vec.hi), names, format_vec(vec)).astype(object)
    return format_vec(vec)


def _applicability(rule: Rule, candidates: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Rows a rule surely applies to, and rows where that is unknown (role blank or unreadable)."""
    n = len(candidates)
    if not rule.roles:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    if "role" not in candidates.frame:
        return np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    role = candidates.frame["role"]
    return roles_match(role, rule.roles).to_numpy(dtype=bool), role.isna().to_numpy(dtype=bool)


def _downgrade_weak(rule: Rule, rows: np.ndarray, candidates: Candidates, weak: np.ndarray,
                    severity: np.ndarray, reason: np.ndarray) -> None:
    """A strong verdict resting on a weak match (unverifiable ID, name-only or name-mismatch record) → review."""
    if rule.severity not in ("disqualify", "unsuitable"):
        return
    downgrade = weak[rows]
    for name in rule.fields:
        if name in candidates.weak:
            downgrade = downgrade | candidates.weak[name][rows]
    severity[downgrade] = "review"
    reason[downgrade] = reason[downgrade] + WEAK_IDENTITY_NOTE


def _undecided(rule: Rule, rows: np.ndarray, evaluator: Evaluator, role_unknown: np.ndarray) -> pd.DataFrame:
    """Findings for rows the evidence does not settle: `pending` when a decisive cell is blank, else `review`."""
    columns = evaluator.columns
    names = [f for f in C.decisive_fields(rule.condition) if f not in DERIVED]
    if rule.roles:
        names.append("role")
    blank = np.zeros(len(rows), dtype=bool)
    missing = np.full(len(rows), "", dtype=object)
    for name in dict.fromkeys(names):
        is_blank = columns.blank(name)[rows]
        if name == "role":
            is_blank &= role_unknown[rows]
        label = columns.candidates.headers.get(name, columns.ruleset.fields[name].label)
        missing = np.where(is_blank, missing + np.where(missing == "", "", "、") + f"「{label}」", missing)
        blank |= is_blank
    severity = np.where(blank, "pending", "review").astype(object)
    vague = _imprecise(columns, rows, rule.fields)
    unclear = np.where(vague == "", "现有信息", vague + "，")
    reason = np.where(blank, "尚无" + missing + "信息，无法判定是否属于「" + rule.name + "」",
                      unclear + "不足以判定截至" + str(evaluator.as_of) + "是否属于「" + rule.name
                      + "」，需核实具体日期或情况")
    return _frame(rows, rule, severity, reason.astype(object), _evidence(columns, rows, rule.fields))


#: An engine's decision on one rule: (rows where it fires, rows it leaves undecided), boolean masks.
Decision = Callable[[Rule], tuple[np.ndarray, np.ndarray]]


def vector_decide(ruleset: Ruleset, evaluator: Evaluator, candidates: Candidates) -> Decision:
    """This engine's decisions: each condition evaluated over all rows with interval three-valued logic."""

    def decision(rule: Rule) -> tuple[np.ndarray, np.ndarray]:
        result = evaluator.eval(rule.condition)
        applies, role_unknown = _applicability(rule, candidates)
        true = result.known & result.lo
        false = result.known & ~result.lo
        return applies & true, (applies & ~result.known) | (role_unknown & ~false)

    return decision


def _rule_findings(rule: Rule, evaluator: Evaluator, candidates: Candidates, weak: np.ndarray,
                   fires: np.ndarray, unsettled: np.ndarray) -> list[pd.DataFrame]:
    """Findings for one rule from an engine's decision (shared by every engine)."""
    _, role_unknown = _applicability(rule, candidates)
    out = []
    fired = np.flatnonzero(fires)
    if len(fired):
        severity = np.full(len(fired), rule.severity, dtype=object)
        reason = _render_reason(rule, evaluator.subset(fired))
        _downgrade_weak(rule, fired, candidates, weak, severity, reason)
        out.append(_frame(fired, rule, severity, reason, _evidence(evaluator.columns, fired, rule.fields)))
    undecided = np.flatnonzero(unsettled)
    if len(undecided) and rule.severity != "notice":
        out.append(_undecided(rule, undecided, evaluator, role_unknown))
    return out


def _frame(rows: np.ndarray, rule: Rule, severity, reason, evidence) -> pd.DataFrame:
    return pd.DataFrame({"row_id": rows, "rule": rule.code, "rule_name": rule.name,
                         "severity": severity, "reason": reason, "evidence": evidence,
                         "basis": rule.basis_text()})


def _data_findings(issues: pd.DataFrame, candidates: Candidates) -> pd.DataFrame:
    if issues.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    rows = issues["row_id"].to_numpy(dtype=np.int64)
    evidence = (_where(candidates.raw, rows) + "「"
                + issues["column"].astype(str).to_numpy(dtype=object) + "」列")
    if "evidence" in issues:
        own = issues["evidence"].to_numpy(dtype=object)
        evidence = np.where(pd.isna(own), evidence, own).astype(object)
    codes = issues["code"].to_numpy(dtype=object)
    checks = [DATA_CHECKS[c] for c in codes]
    reason = ("「" + issues["column"].astype(str).to_numpy(dtype=object) + "」："
              + issues["problem"].astype(str).to_numpy(dtype=object))
    return pd.DataFrame({"row_id": rows, "rule": codes, "rule_name": [c.name for c in checks],
                         "severity": [c.severity for c in checks], "reason": reason, "evidence": evidence,
                         "basis": [c.basis for c in checks]})


def params_in_force(ruleset: Ruleset, as_of: dt.date) -> dict[str, Any]:
    """Parameter values on the as-of date; a rule reading one not yet in force is an error, not a guess."""
    params = ruleset.params_at(as_of)
    for rule in ruleset.rules:
        for name in rule.params:
            if params.get(name) is None:
                raise RulesetError(f"参数「${name}」在审查基准日{as_of.isoformat()}尚未生效（规则 {rule.code} 需要它）",
                                   rule.source, rule.line)
    return params


def evaluate(ruleset: Ruleset, candidates: Candidates, as_of: dt.date,
             decide: Callable[[Ruleset, Evaluator, Candidates], Decision] = vector_decide) -> VettingResult:
    """Run every rule over every candidate; returns candidates with verdicts and the findings table.

    `decide` is the engine: it says per rule where it fires and where it is undecided (this module's
    vector_decide, or vetting.engine.durable.decide); findings, verdicts and meta are built here for both."""
    params = params_in_force(ruleset, as_of)
    derived, derived_issues = derive(candidates, as_of)
    columns = Columns(candidates, ruleset, derived)
    evaluator = Evaluator(columns, params, as_of)
    weak = ~derived["id_valid"][1]
    parts = [_data_findings(pd.concat([candidates.issues, derived_issues], ignore_index=True), candidates)]
    decision = decide(ruleset, evaluator, candidates)
    for rule in ruleset.rules:
        parts.extend(_rule_findings(rule, evaluator, candidates, weak, *decision(rule)))
    groups = evaluate_groups(ruleset.group_rules, candidates, evaluator)
    parts = [p for p in parts + groups.findings if not p.empty]
    findings = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FINDING_COLUMNS)
    findings = findings[FINDING_COLUMNS]
    villages = pd.concat(groups.villages, ignore_index=True) if groups.villages else \
        pd.DataFrame(columns=GROUP_COLUMNS)
    meta = _meta(ruleset, candidates, as_of, findings)
    if groups.summary:
        meta["group_summary"] = groups.summary
    return VettingResult(candidates=candidate_table(candidates, findings), findings=findings, meta=meta,
                         villages=villages)


def _meta(ruleset: Ruleset, candidates: Candidates, as_of: dt.date, findings: pd.DataFrame) -> dict:
    warnings = []
    pending = findings.loc[findings["severity"] == "pending", "rule"].value_counts()
    for rule in ruleset.rules:
        missing = [ruleset.fields[f].label for f in C.decisive_fields(rule.condition)
                   if f not in candidates.present and not ruleset.fields[f].derived]
        if missing and pending.get(rule.code, 0):
            warnings.append(f"花名册中没有「{'」「'.join(missing)}」列：规则 {rule.code}（{rule.name}）"
                            f"对 {pending[rule.code]} 名人选无法判定，结论为待反馈")
    return {
        "ruleset": {"id": ruleset.id, "title": ruleset.title, "version": ruleset.version,
                    "sha256": ruleset.sha256, "files": [{"file": f, "sha256": s} for f, s in ruleset.sources]},
        "as_of": as_of.isoformat(),
        "inputs": [{k: v for k, v in i.items() if k != "path"} for i in candidates.inputs],
        "blank_rows_skipped": sum(i["blank_rows_skipped"] for i in candidates.inputs),
        "unmapped_columns": candidates.unmapped,
        "warnings": warnings,
        **candidates.joint,
    }
