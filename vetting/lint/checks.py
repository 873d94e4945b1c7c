"""The checks of `vet rules lint` over a loaded pack (pure): rules that can never fire or that a
stronger rule with the same condition always shadows, parameters never read, enumeration values a
period table lacks, rules without a basis, figures that cite nothing and are not marked local."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from vetting.lint.never import admitted_values, never_fires
from vetting.ruleset import condition as cond
from vetting.ruleset.model import Rule, Ruleset
from vetting.vocab import SEVERITY_LABELS, SEVERITY_RANK, roles_selected

#: Each check: its id and what it means, in Chinese.
CHECKS = {
    "never-fires": "规则永远不会命中",
    "shadowed": "规则总被条件相同、更严重的规则遮蔽",
    "unused-parameter": "参数没有被任何规则读取",
    "missing-key": "对照表缺少某个取值",
    "no-basis": "规则没有依据",
    "no-firing-case": "没有命中该规则的回归案例",
    "no-passing-case": "没有不命中该规则的回归案例",
    "no-cases": "规则集没有回归案例",
    "local-unmarked": "数值既无出处也未标为地方自定",
    "no-op-override": "extends 中的覆盖没有改变任何内容",
    "reviewable-needless": "reviewable 只对取消资格规则起作用",
}
#: A basis entry that is only a placeholder: "（填本县换届工作方案文号）", "待补充", "TODO".
PLACEHOLDER = re.compile(r"^[（(【\[]?\s*(填|待|请填|此处填|TODO|TBD|XXX|xxx|无$|暂无$)", re.IGNORECASE)
#: Words by which a rule's note says that a figure in its condition is a local choice.
LOCAL_WORDS = ("地方", "本县", "本市", "本省", "县级", "自定", "local")
_NUMERIC_FIELDS = frozenset({"age", "education"})


@dataclass(frozen=True)
class Problem:
    """One defect: which check, where (file and line), what it concerns, and the message."""

    check: str
    file: str
    line: int | None
    subject: str
    message: str

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: [{self.check}] {self.subject}：{self.message}"


def _rule_problem(check: str, rule: Rule, message: str) -> Problem:
    return Problem(check, rule.source, rule.line, rule.code, message)


def never_firing(ruleset: Ruleset) -> Iterator[Problem]:
    """Rules whose condition contradicts itself (given the fields' types, enumerations and the
    rule's posts): they can never be true for anyone."""
    for rule in ruleset.rules:
        conflict = never_fires(rule.condition, ruleset.fields, ruleset.parameters, rule.roles)
        if conflict:
            yield _rule_problem("never-fires", rule, f"条件对「{conflict}」的要求自相矛盾（或与适用职务不相交），"
                                                     "对任何人都不可能成立")
    for group in ruleset.group_rules:
        if group.where is not None and never_fires(group.where, ruleset.fields, ruleset.parameters, group.roles):
            yield Problem("never-fires", group.source, group.line, group.code, "where 条件自相矛盾，永远数不到人")


def _canonical(node: object) -> object:
    """A condition with the operands of chained and/or sorted, so `a and b` equals `b and a`."""
    if isinstance(node, cond.Binary) and node.op in ("and", "or"):
        parts, stack = [], [node]
        while stack:
            part = stack.pop()
            if isinstance(part, cond.Binary) and part.op == node.op:
                stack += [part.left, part.right]
            else:
                parts.append(_canonical(part))
        return (node.op, tuple(sorted(parts, key=repr)))
    if isinstance(node, cond.Unary):
        return (node.op, _canonical(node.operand))
    return node


def shadowed(ruleset: Ruleset) -> Iterator[Problem]:
    """Rules with the same condition as a more severe rule that applies to every post they apply to:
    the stronger finding always comes with theirs, so they never decide a verdict."""
    canon = {rule.code: repr(_canonical(rule.condition)) for rule in ruleset.rules}
    posts = {rule.code: set(roles_selected(rule.roles)) if rule.roles else None for rule in ruleset.rules}
    for rule in ruleset.rules:
        for other in ruleset.rules:
            if other is rule or canon[other.code] != canon[rule.code]:
                continue
            stronger = SEVERITY_RANK[other.severity] < SEVERITY_RANK[rule.severity]
            covers = posts[other.code] is None or (posts[rule.code] is not None and posts[rule.code] <= posts[other.code])
            if stronger and covers:
                yield _rule_problem("shadowed", rule, f"与 {other.code}（{SEVERITY_LABELS[other.severity]}）条件相同，"
                                                      f"{other.code} 适用于它的全部人选：其{SEVERITY_LABELS[rule.severity]}"
                                                      "永远不会决定结论")
                break


def _reason_params(rule: Rule) -> list[str]:
    return [name for part in rule.reason if not isinstance(part, str) for name in cond.referenced_params(part)]


def _lookups(rule: Rule) -> Iterator[tuple[str, str]]:
    """(parameter, index field) of every table look-up `$m[field]` in a rule's condition or reason."""
    nodes = [rule.condition, *(p for p in rule.reason if not isinstance(p, str))]
    for node in nodes:
        for part in cond.walk(node):
            if isinstance(part, cond.ParamRef) and isinstance(part.index, cond.FieldRef):
                yield part.name, part.index.name


def unused_parameters(ruleset: Ruleset, sources: dict) -> Iterator[Problem]:
    """Parameters no enabled rule reads (condition, reason, a slate rule's where/min/max)."""
    read = set()
    for rule in ruleset.rules:
        read |= set(rule.params) | set(_reason_params(rule))
    for group in ruleset.group_rules:
        read |= {str(b)[1:] for b in (group.minimum, group.maximum) if isinstance(b, str) and b.startswith("$")}
        if group.where is not None:
            read |= set(cond.referenced_params(group.where))
    for name in ruleset.parameters:
        if name not in read:
            _, path, line = sources["parameters"][name]
            yield Problem("unused-parameter", path, line, f"${name}",
                          "没有任何启用的规则读取此参数（规则已停用或参数名写错？）")


def missing_keys(ruleset: Ruleset, sources: dict) -> Iterator[Problem]:
    """A table parameter looked up by an enumeration field lacks an entry for a value the rule's
    condition lets through (a sanction kind without its period), on some effective date."""
    seen = set()
    for rule in ruleset.rules:
        for name, index in _lookups(rule):
            param = ruleset.parameters.get(name)
            admitted = admitted_values(rule.condition, index, ruleset.fields, ruleset.parameters, rule.roles)
            if param is None or param.kind != "mapping" or not admitted:
                continue
            for start, table in param.values:
                for value in sorted(admitted - set(table)):
                    if (name, start, value) in seen:
                        continue
                    seen.add((name, start, value))
                    _, path, line = sources["parameters"][name]
                    when = f"（{start} 起的值）" if start else ""
                    label = ruleset.fields[index].label
                    yield Problem("missing-key", path, line, f"${name}",
                                  f"规则 {rule.code} 对「{label}」为「{value}」的人选查此对照表，"
                                  f"但对照表{when}没有「{value}」（已有：{'、'.join(table)}）")


def no_basis(ruleset: Ruleset) -> Iterator[Problem]:
    """Rules (and slate rules) whose every basis entry is a placeholder still to be filled in."""
    for rule in (*ruleset.rules, *ruleset.group_rules):
        if all(PLACEHOLDER.match(b.text.strip()) for b in rule.basis):
            yield Problem("no-basis", rule.source, rule.line, rule.code,
                          f"依据只有待填的占位文字（{rule.basis[0].text}）：请写明文件名称、文号和条款")


def reviewable_needless(ruleset: Ruleset) -> Iterator[Problem]:
    """`reviewable: true` on a rule that does not disqualify: a recorded decision may clear its
    findings anyway, so the mark says nothing (and may hide that the severity was meant otherwise)."""
    for rule in ruleset.rules:
        if rule.reviewable and rule.severity != "disqualify":
            label = SEVERITY_LABELS.get(rule.severity, rule.severity)
            yield _rule_problem("reviewable-needless", rule,
                                f"严重程度为「{label}」，复核结论本来就可以撤销其问题；reviewable: true 只对「取消资格」"
                                "规则起作用：删去它，或确认严重程度")


def _figures(rule: Rule) -> Iterator[str]:
    """Numbers written into a condition as periods or thresholds (`60 months`, `age > 50`)."""
    for part in cond.walk(rule.condition):
        if isinstance(part, cond.Duration) and isinstance(part.amount, cond.Literal):
            yield f"{part.amount.value} {part.unit}"
        elif isinstance(part, cond.Binary) and part.op in cond.COMPARISONS:
            for side, other in ((part.left, part.right), (part.right, part.left)):
                if isinstance(side, cond.FieldRef) and side.name in _NUMERIC_FIELDS and \
                        isinstance(other, cond.Literal) and other.type == "number":
                    yield f"{side.name} {part.op} {other.value}"


def local_unmarked(ruleset: Ruleset, sources: dict) -> Iterator[Problem]:
    """Figures that cite no document and are not marked local: a parameter with neither `reference:`
    nor `local: true`, or a number written into a condition whose rule's note does not say it is a
    local choice (`vet rules show` and the export label `local: true` figures 地方自定)."""
    for name, param in ruleset.parameters.items():
        if not param.reference and not param.local:
            _, path, line = sources["parameters"][name]
            yield Problem("local-unmarked", path, line, f"${name}",
                          "没有出处（reference）也未标 local: true：是全国文件的数值就写明出处，是地方口径就标 local: true")
    for rule in ruleset.rules:
        figures = list(dict.fromkeys(_figures(rule)))
        if figures and not any(word in (rule.note or "").lower() for word in LOCAL_WORDS):
            yield _rule_problem("local-unmarked", rule,
                                f"条件中写定的数值（{'、'.join(figures)}）没有出处：改为参数并写 reference 或 local: true，"
                                "或在规则的 note 中注明是地方口径")
