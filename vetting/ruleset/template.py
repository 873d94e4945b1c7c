"""Reason templates: literal text with {expressions} of the condition language, checked like
conditions; fields that would undo ID-number masking may not be shown."""

from __future__ import annotations

import re

from vetting.errors import ConditionError
from vetting.ruleset.condition import Env, check_condition, parse_condition, referenced_fields

#: Fields a reason may not display (they would undo ID-number masking).
TEMPLATE_HIDDEN = frozenset({"id_number", "birth_date", "birth_used"})
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def parse_template(text: str, env: Env) -> tuple:
    """Split a reason template into literal text and checked expressions ({field}, {$param}, ...)."""
    parts: list = []
    pos = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[pos:match.start()])
        token = match.group()
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif match.group(1) is None:
            raise ConditionError(f"理由模板中「{token}」不成对（字面的花括号请写成 {{{{ 或 }}}}）",
                                 text, match.start() + 1)
        else:
            expr = match.group(1).strip()
            try:
                node = parse_condition(expr)
                check_condition(node, env, expr, want=None)
                shown = set(referenced_fields(node)) & TEMPLATE_HIDDEN
                if shown:
                    raise ConditionError(f"理由中不得显示「{'、'.join(sorted(shown))}」：报告会对身份证号打码，"
                                         "显示出生日期会泄露被隐去的数字")
            except ConditionError as exc:
                raise ConditionError(f"理由模板占位符「{{{expr}}}」有误：{exc.detail}", text,
                                     match.start() + 1) from None
            parts.append(node)
        pos = match.end()
    parts.append(text[pos:])
    return tuple(p for p in parts if p != "")
