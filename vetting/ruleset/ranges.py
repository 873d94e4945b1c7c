"""Sane ranges for the numbers of a ruleset: periods, ages and counts.

A negative look-back period, a period of three billion months or an age of 900 is a typo that
would silently change verdicts; each is refused when the pack loads, naming the file, line and
field of the value. A number's meaning comes from its parameter's `unit` (月, 年, 周岁, 人 …)
and from how conditions use it (`$x months`, `age < $x`, a group rule's min/max).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from vetting.errors import RulesetError
from vetting.ruleset import condition as cond
from vetting.ruleset.yamlsafe import line_of

#: How a pack writes "no time limit" (a parameter value).
FOREVER = ("forever", "永久", "终身", "无期限")


@dataclass(frozen=True)
class Range:
    """What a number means and the values it may take (`forever` only for periods)."""

    label: str
    low: float
    high: float
    forever: bool = False

    def problem(self, value: Any) -> str | None:
        """Why `value` is not a sane value of this kind, or None when it is."""
        if isinstance(value, str) and value.strip() in FOREVER:
            value = math.inf
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if math.isinf(value) and value > 0 and self.forever:
            return None
        if math.isnan(value) or not self.low <= value <= self.high:
            forever = "；不限期请写 forever" if self.forever else ""
            return f"「{_show(value)}」作为{self.label}应在 {_show(self.low)} 至 {_show(self.high)} 之间{forever}"
        return None


MONTHS = Range("月数", 0, 1200, forever=True)
YEARS = Range("年数", 0, 100, forever=True)
DAYS = Range("天数", 0, 36600, forever=True)
AGE = Range("年龄（周岁）", 0, 150)
COUNT = Range("人数", 0, 100_000)
BY_DURATION_UNIT = {"months": MONTHS, "years": YEARS, "days": DAYS}
BY_UNIT = {"月": MONTHS, "个月": MONTHS, "年": YEARS, "周年": YEARS, "天": DAYS, "日": DAYS,
           "周岁": AGE, "岁": AGE, "人": COUNT, "名": COUNT, "个": COUNT, "人次": COUNT}
AGE_FIELDS = frozenset({"age"})


@dataclass(frozen=True)
class Site:
    """Where a parameter's value is written: file, line and field."""

    value: Any
    path: str
    line: int | None
    field: str


def _show(value: float) -> str:
    if math.isinf(value):
        return "forever" if value > 0 else "-forever"
    return str(int(value)) if float(value).is_integer() else str(value)


def value_sites(name: str, spec: dict, path: str, line: int | None) -> Iterator[Site]:
    """Every number a parameter spec writes (each value of a mapping, each dated value)."""
    field = f"parameters.{name}"
    if "value" in spec:
        dated = [(spec["value"], line_of(spec, "value") or line, f"{field}.value")]
    else:
        values = spec.get("values") or {}
        dated = [(v, line_of(values, k) or line, f"{field}.values.{k}") for k, v in values.items()]
    for value, where, label in dated:
        if isinstance(value, dict):
            for key, item in value.items():
                yield Site(item, path, line_of(value, key) or where, f"{label}.{key}")
        else:
            yield Site(value, path, where, label)


def check_sites(sites: Iterable[Site], kind: Range, use: str = "") -> None:
    """Raise a RulesetError for the first value that is not a sane `kind`."""
    for site in sites:
        problem = kind.problem(site.value)
        if problem:
            raise RulesetError(problem + use, site.path, site.line, site.field)


def check_units(params: dict[str, list[Site]], units: dict[str, str | None]) -> None:
    """Each parameter whose `unit` is known (月, 年, 周岁, 人 …) holds only sane values of it."""
    for name, sites in params.items():
        kind = BY_UNIT.get((units.get(name) or "").strip())
        if kind is not None:
            check_sites(sites, kind, f"（单位：{units[name]}）")


def _constant(node: Any) -> float | None:
    """The value of a field-free arithmetic on number literals, else None."""
    if isinstance(node, cond.Literal) and node.type == "number":
        return node.value
    if isinstance(node, cond.Unary) and node.op == "-":
        inner = _constant(node.operand)
        return None if inner is None else -inner
    if isinstance(node, cond.Binary) and node.op in ("+", "-"):
        left, right = _constant(node.left), _constant(node.right)
        if left is not None and right is not None:
            return left + right if node.op == "+" else left - right
    return None


def _uses(node: Any) -> Iterator[tuple[Any, Range]]:
    """(operand, range) for every number a condition uses as a period or compares with an age."""
    for part in cond.walk(node):
        if isinstance(part, cond.Duration):
            yield part.amount, BY_DURATION_UNIT[part.unit]
        elif isinstance(part, cond.Binary) and part.op in cond.COMPARISONS:
            for side, other in ((part.left, part.right), (part.right, part.left)):
                if isinstance(side, cond.FieldRef) and side.name in AGE_FIELDS:
                    yield other, AGE


def check_usage(node: Any, params: dict[str, list[Site]], path: str, line: int | None, field: str,
                owner: str) -> None:
    """Numbers a condition uses as periods (`18 months`, `$x months`) or ages (`age < $x`) must be
    sane: a literal is checked at the condition, a parameter at its own value (`owner`, such as
    "规则 C05", says who uses it that way)."""
    for operand, kind in _uses(node):
        if isinstance(operand, cond.ParamRef) and operand.name in params:
            check_sites(params[operand.name], kind, f"（{owner}按{kind.label}使用此参数）")
            continue
        value = _constant(operand)
        problem = kind.problem(value) if value is not None else None
        if problem:
            raise RulesetError(f"条件中的{problem}", path, line, field)
