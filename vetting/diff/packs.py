"""What changed between two rule setups (pure): per rule code, the Chinese reasons its findings
may differ - the rule added, disabled or rewritten (severity, condition, roles, reason), a
parameter it reads holding another value on the as-of date, or the as-of date itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vetting.ruleset import condition as cond
from vetting.ruleset.model import Parameter, Rule, Ruleset
from vetting.vocab import SEVERITY_LABELS

#: How a reason that is only the as-of date begins (the header of `vet diff` leaves those out).
AS_OF_LABEL = "审查基准日："
_FIELDS = (("severity", "严重程度"), ("when", "条件"), ("roles", "适用职务"), ("reason_text", "理由模板"),
           ("must_cover", "必须覆盖"), ("name", "名称"))


def rule_params(rule: Rule) -> list[str]:
    """Every parameter a rule reads, in its condition or its reason."""
    names = list(rule.params)
    for part in rule.reason:
        if not isinstance(part, str):
            names += cond.referenced_params(part)
    return list(dict.fromkeys(names))


def _time_bound(rule: Rule) -> bool:
    """Whether the rule's outcome depends on the as-of date (ages, windows, as_of)."""
    return any(isinstance(n, cond.AsOf) or (isinstance(n, cond.FieldRef) and n.name == "age")
               or (isinstance(n, cond.Call) and n.func == "within") for n in cond.walk(rule.condition))


def _shown(value: Any, unit: str | None) -> str:
    if value is None:
        return "（未生效）"
    if isinstance(value, float) and value == float("inf"):
        return "永久"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{unit or ''}"


def parameter_change(name: str, old: Parameter | None, new: Parameter | None, old_as_of: dt.date,
                     new_as_of: dt.date) -> str | None:
    """"参数 $x（说明）：60月 → 36月" when the value in force differs, else None."""
    if old is None or new is None:
        which = "新规则集" if old is None else "旧规则集"
        return f"参数 ${name} 在{which}中才有" if (old or new) else None
    a, b = old.at(old_as_of), new.at(new_as_of)
    if a == b:
        return None
    label = f"参数 ${name}（{new.description}）"
    if isinstance(a, dict) and isinstance(b, dict):
        keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        parts = [f"{k} {_shown(a.get(k), new.unit)} → {_shown(b.get(k), new.unit)}" for k in keys]
        return f"{label}：{'，'.join(parts)}"
    return f"{label}：{_shown(a, old.unit)} → {_shown(b, new.unit)}"


def rule_reasons(old: Ruleset | None, new: Ruleset | None, old_as_of: dt.date | None,
                 new_as_of: dt.date | None) -> dict[str, list[str]]:
    """Per rule code of either ruleset, why its findings may differ between the setups (only
    codes with a reason are listed). A missing ruleset (a recorded run) gives no reasons."""
    if old is None or new is None or old_as_of is None or new_as_of is None:
        return {}
    out: dict[str, list[str]] = {}
    codes = list(dict.fromkeys([*(r.code for r in old.rules), *(r.code for r in new.rules)]))
    for code in codes:
        a, b = old.rule(code), new.rule(code)
        if a is None:
            out[code] = ["在旧规则集中已停用，新规则集启用" if code in old.disabled else "新规则集新增的规则"]
            continue
        if b is None:
            out[code] = ["新规则集停用了此规则（enabled: false）" if code in new.disabled else "新规则集中没有此规则"]
            continue
        why = []
        for attr, label in _FIELDS:
            x, y = getattr(a, attr), getattr(b, attr)
            if x != y:
                if attr == "severity":
                    x, y = SEVERITY_LABELS.get(x, x), SEVERITY_LABELS.get(y, y)
                elif attr == "roles":
                    x, y = "、".join(x) or "全部人选", "、".join(y) or "全部人选"
                why.append(f"{label}：{x} → {y}")
        for name in dict.fromkeys([*rule_params(a), *rule_params(b)]):
            change = parameter_change(name, old.parameters.get(name), new.parameters.get(name), old_as_of, new_as_of)
            if change:
                why.append(change)
        if old_as_of != new_as_of and (_time_bound(a) or _time_bound(b)):
            why.append(f"{AS_OF_LABEL}{old_as_of} → {new_as_of}")
        if why:
            out[code] = why
    return out


def setup_notes(old: Ruleset | None, new: Ruleset | None, old_as_of: dt.date | None,
                new_as_of: dt.date | None) -> list[str]:
    """What differs between the two setups as a whole (ruleset, as-of date, joint-review set-up)."""
    notes = []
    if old is not None and new is not None:
        if old.sha256 != new.sha256:
            notes.append(f"规则集：{old.id} {old.version}（{old.sha256[:12]}）→ {new.id} {new.version}"
                         f"（{new.sha256[:12]}）")
        if dict(old.agencies) != dict(new.agencies) or old.opinions != new.opinions:
            notes.append("联审部门或意见识别规则不同：依据部门意见的结论也可能因此变化")
        if {k: v for k, v in old.fields.items()} != {k: v for k, v in new.fields.items()}:
            notes.append("字段定义（列名、取值写法）不同：花名册的读法也可能因此变化")
    if old_as_of and new_as_of and old_as_of != new_as_of:
        notes.append(f"审查基准日：{old_as_of} → {new_as_of}")
    return notes
