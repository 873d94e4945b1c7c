"""The condition language: a small, restricted expression grammar parsed into an AST (never eval'd).

    condition  := or
    or         := and ('or' and)*
    and        := not ('and' not)*
    not        := 'not' not | compare
    compare    := sum [('=='|'!='|'<'|'<='|'>'|'>=') sum | ['not'] 'in' list]
    sum        := unary (('+'|'-') unary)*
    unary      := '-' unary | primary [unit]          unit := days | months | years
    primary    := number | "string" | true | false | as_of | field | $param ['[' condition ']']
                | function '(' [condition (',' condition)*] ')' | '(' condition ')' | list
    list       := '[' [primary (',' primary)*] ']'

Functions: within(date, duration), blank(x), present(x), coalesce(a, b), date("YYYY-MM-DD").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Mapping

from vetting.errors import ConditionError, did_you_mean
from vetting.ruleset.syntax import (  # noqa: F401 - the AST is read as condition.Literal etc. everywhere
    AsOf,
    Binary,
    Call,
    Duration,
    FieldRef,
    InList,
    Literal,
    Node,
    ParamRef,
    Unary,
    depth,
    walk,
)

UNITS = ("days", "months", "years")
KEYWORDS = {"and", "or", "not", "in", "true", "false", "as_of", *UNITS}
FUNCTIONS = ("within", "blank", "present", "coalesce", "date")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
#: Limits that keep every recursive pass over a condition (checker, engines, explanations) far from
#: Python's recursion limit; the shipped packs stay under 200 characters and 7 levels.
MAX_CONDITION_LENGTH = 2000
MAX_DEPTH = 50
MAX_NUMBER_DIGITS = 15

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"[^"\n]*"|'[^'\n]*'|“[^”\n]*”|「[^」\n]*」)
  | (?P<param>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\(|\)|\[|\]|,)
""", re.VERBOSE)


# ---------------------------------------------------------------- tokens and parser

@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ConditionError(f"无法识别的字符「{text[pos]}」", text, pos + 1)
        kind = match.lastgroup
        if kind != "ws":
            word = match.group()
            if kind == "name" and word in KEYWORDS:
                kind = "kw"
            tokens.append(_Token(kind, word, pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def nested(self, parse: Callable[[], Node]) -> Node:
        """Parse one level deeper (a bracket, a list, a `not`, a minus), refusing more than MAX_DEPTH."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ConditionError(_too_deep(), self.text, self.peek().pos)
            return parse()
        finally:
            self.depth -= 1

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.i += 1
        return token

    def accept(self, *texts: str) -> _Token | None:
        token = self.peek()
        if token.kind in ("op", "kw") and token.text in texts:
            return self.take()
        return None

    def expect(self, text: str) -> _Token:
        token = self.accept(text)
        if token is None:
            self.fail(f"此处应为「{text}」")
        return token

    def fail(self, message: str, token: _Token | None = None):
        token = token or self.peek()
        found = f"，实为「{token.text}」" if token.text else "，但条件已结束"
        raise ConditionError(message + found, self.text, token.pos)

    def parse(self) -> Node:
        node = self.nested(self.parse_or)
        if self.peek().kind != "end":
            self.fail("多余的内容")
        if depth(node) > MAX_DEPTH:
            raise ConditionError(_too_deep(), self.text, 1)
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.accept("or"):
            node = Binary("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.accept("and"):
            node = Binary("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.accept("not"):
            return Unary("not", self.nested(self.parse_not))
        return self.parse_compare()

    def parse_compare(self) -> Node:
        left = self.parse_sum()
        token = self.accept(*COMPARISONS)
        if token:
            return Binary(token.text, left, self.parse_sum())
        if self.peek().text == "not" and self.peek(1).text == "in":
            self.take()
            self.take()
            return InList(left, self.parse_list(), True)
        if self.accept("in"):
            return InList(left, self.parse_list(), False)
        return left

    def parse_sum(self) -> Node:
        node = self.parse_unary()
        while True:
            token = self.accept("+", "-")
            if not token:
                return node
            node = Binary(token.text, node, self.parse_unary())

    def parse_unary(self) -> Node:
        if self.accept("-"):
            return Unary("-", self.nested(self.parse_unary))
        node = self.parse_primary()
        unit = self.accept(*UNITS)
        return Duration(node, unit.text) if unit else node

    def parse_list(self) -> tuple:
        self.expect("[")
        items = []
        if not self.accept("]"):
            items.append(self.parse_primary())
            while self.accept(","):
                items.append(self.parse_primary())
            self.expect("]")
        return tuple(items)

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "number":
            if len(token.text) > MAX_NUMBER_DIGITS:
                raise ConditionError(f"数值「{token.text[:20]}…」位数过多（最多{MAX_NUMBER_DIGITS}位）",
                                     self.text, token.pos)
            value = float(token.text) if "." in token.text else int(token.text)
            return Literal(value, "number")
        if token.kind == "string":
            return Literal(token.text[1:-1], "string")
        if token.kind == "param":
            index = None
            if self.accept("["):
                index = self.nested(self.parse_or)
                self.expect("]")
            return ParamRef(token.text[1:], index)
        if token.kind == "kw" and token.text in ("true", "false"):
            return Literal(token.text == "true", "bool")
        if token.kind == "kw" and token.text == "as_of":
            return AsOf()
        if token.kind == "name":
            if self.peek().text == "(":
                return self.parse_call(token)
            return FieldRef(token.text)
        if token.text == "(":
            node = self.nested(self.parse_or)
            self.expect(")")
            return node
        if token.text == "[":
            self.i -= 1
            return Literal(self.nested(self.parse_list), "list")
        self.i -= 1
        self.fail("此处应为字段、参数、数值或字符串")

    def parse_call(self, name: _Token) -> Node:
        if name.text not in FUNCTIONS:
            raise ConditionError(f"未知函数「{name.text}」{did_you_mean(name.text, FUNCTIONS)}；可用函数："
                                 + "、".join(FUNCTIONS), self.text, name.pos)
        self.expect("(")
        args = []
        if not self.accept(")"):
            args.append(self.nested(self.parse_or))
            while self.accept(","):
                args.append(self.nested(self.parse_or))
            self.expect(")")
        if name.text == "date":
            return _date_literal(args, self.text, name.pos)
        return Call(name.text, tuple(args))


def _date_literal(args: list, text: str, pos: int) -> Literal:
    if len(args) != 1 or not (isinstance(args[0], Literal) and args[0].type == "string"):
        raise ConditionError('date() 需要一个形如 "2021-01-01" 的字符串', text, pos)
    try:
        return Literal(dt.date.fromisoformat(args[0].value), "date")
    except ValueError:
        raise ConditionError(f"日期「{args[0].value}」无效，应为 YYYY-MM-DD", text, pos) from None


def _too_deep() -> str:
    return f"条件嵌套过深（超过{MAX_DEPTH}层：括号、not 和连写的 and/or 每个都算一层）；请拆成几条规则"


def parse_condition(text: str) -> Node:
    """Parse condition text into an AST; syntax errors name the character position. A condition
    longer than MAX_CONDITION_LENGTH or nested deeper than MAX_DEPTH is refused."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("条件为空", str(text or ""), 1)
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionError(f"条件过长（{len(text)}个字符，最多{MAX_CONDITION_LENGTH}个）；请拆成几条规则或改用参数",
                             text[:40], 1)
    return _Parser(text).parse()


# ---------------------------------------------------------------- type checking

@dataclass(frozen=True)
class Env:
    """What names a condition may use: fields (name -> (type, allowed values)) and params."""

    fields: Mapping[str, tuple[str, frozenset]]
    params: Mapping[str, str]  # name -> number | string | date | mapping
    param_keys: Mapping[str, frozenset]


_VALUE_TYPE = {"text": "string", "name": "string", "id_number": "string", "enum": "string",
               "role": "string", "education": "number", "int": "number", "date": "date",
               "flag": "bool"}


def field_value_type(field_type: str) -> str:
    """The condition-language type of a catalogue field type."""
    return _VALUE_TYPE[field_type]


class _Checker:
    def __init__(self, env: Env, text: str) -> None:
        self.env, self.text = env, text

    def fail(self, message: str) -> None:
        raise ConditionError(message, self.text)

    def check(self, node: Node) -> str:
        method: Callable[[Node], str] = getattr(self, "check_" + type(node).__name__)
        return method(node)

    def check_Literal(self, node: Literal) -> str:
        return node.type

    def check_AsOf(self, node: AsOf) -> str:
        return "date"

    def check_FieldRef(self, node: FieldRef) -> str:
        if node.name not in self.env.fields:
            self.fail(f"未知字段「{node.name}」{did_you_mean(node.name, self.env.fields)}")
        return self.env.fields[node.name][0]

    def check_ParamRef(self, node: ParamRef) -> str:
        kind = self.env.params.get(node.name)
        if kind is None:
            self.fail(f"未定义的参数「${node.name}」{did_you_mean(node.name, self.env.params)}")
        if kind == "mapping":
            if node.index is None:
                self.fail(f"参数「${node.name}」是对照表，需写成 ${node.name}[字段]")
            if self.check(node.index) != "string":
                self.fail(f"参数「${node.name}」的下标应为文本字段")
            self._check_values(node.index, self.env.param_keys.get(node.name, frozenset()), node.name)
            return "number"
        if node.index is not None:
            self.fail(f"参数「${node.name}」不是对照表，不能加下标")
        return kind

    def check_Unary(self, node: Unary) -> str:
        kind = self.check(node.operand)
        want = "bool" if node.op == "not" else "number"
        if kind != want:
            self.fail(f"「{node.op}」需要{_TYPE_LABEL[want]}，实为{_TYPE_LABEL[kind]}")
        return want

    def check_Binary(self, node: Binary) -> str:
        left, right = self.check(node.left), self.check(node.right)
        if node.op in ("and", "or"):
            if left != "bool" or right != "bool":
                self.fail(f"「{node.op}」两边应为条件（真/假），实为{_TYPE_LABEL[left]}和{_TYPE_LABEL[right]}")
            return "bool"
        if node.op in ("+", "-"):
            return self._arith(node.op, left, right)
        if left != right:
            self.fail(f"不能比较{_TYPE_LABEL[left]}和{_TYPE_LABEL[right]}（{node.op}）")
        if left in ("list", "duration", "duration_days"):
            self.fail(f"不能用「{node.op}」比较{_TYPE_LABEL[left]}")
        if node.op not in ("==", "!=") and left not in ("number", "date"):
            self.fail(f"「{node.op}」只能比较数值或日期，实为{_TYPE_LABEL[left]}")
        if left == "string":
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(other, Literal):
                    self._check_values(side, frozenset([other.value]), None)
        return "bool"

    def _arith(self, op: str, left: str, right: str) -> str:
        if left == right == "number":
            return "number"
        if left == "date" and right in ("duration", "duration_days"):
            return "date"
        if op == "+" and left == right and left in ("duration", "duration_days"):
            return left
        if left in ("duration", "duration_days") and right in ("duration", "duration_days"):
            self.fail("不能把以月（年）计和以天计的期限相加")
        self.fail(f"不能计算{_TYPE_LABEL[left]} {op} {_TYPE_LABEL[right]}")

    def check_InList(self, node: InList) -> str:
        kind = self.check(node.operand)
        values = set()
        for item in node.items:
            if not isinstance(item, Literal) or item.type != kind:
                self.fail(f"「in」列表中的每一项都应为{_TYPE_LABEL[kind]}常量")
            values.add(item.value)
        if kind == "string":
            self._check_values(node.operand, frozenset(values), None)
        return "bool"

    def check_Duration(self, node: Duration) -> str:
        if self.check(node.amount) != "number":
            self.fail(f"「{node.unit}」前应为数值")
        return "duration_days" if node.unit == "days" else "duration"

    def check_Call(self, node: Call) -> str:
        arity = {"within": 2, "blank": 1, "present": 1, "coalesce": 2}[node.func]
        if len(node.args) != arity:
            self.fail(f"函数 {node.func}() 需要{arity}个参数，实为{len(node.args)}个")
        kinds = [self.check(a) for a in node.args]
        if node.func == "within":
            if kinds[0] != "date" or kinds[1] not in ("duration", "duration_days"):
                self.fail("within(日期, 期限) 的参数应为日期和期限，如 within(party_sanction_date, 18 months)")
            return "bool"
        if node.func in ("blank", "present"):
            return "bool"
        if kinds[0] != kinds[1]:
            self.fail(f"coalesce() 两个参数类型应一致，实为{_TYPE_LABEL[kinds[0]]}和{_TYPE_LABEL[kinds[1]]}")
        return kinds[0]

    def _check_values(self, node: Node, values: frozenset, param: str | None) -> None:
        """A string literal compared with an enum field must be one of its values."""
        if not isinstance(node, FieldRef):
            return
        allowed = self.env.fields[node.name][1]
        if not allowed:
            return
        for value in values:
            if value not in allowed:
                where = f"参数「${param}」的键" if param else "值"
                self.fail(f"{where}「{value}」不是字段「{node.name}」的可选值{did_you_mean(value, allowed)}；"
                          f"可选值：{'、'.join(sorted(allowed))}")


_TYPE_LABEL = {"number": "数值", "string": "文本", "bool": "条件", "date": "日期",
               "duration": "期限", "duration_days": "期限（天）", "list": "列表"}


def check_condition(node: Node, env: Env, text: str = "", want: str | None = "bool") -> str:
    """Type-check an AST against the known fields and parameters; returns its type."""
    kind = _Checker(env, text).check(node)
    if want and kind != want:
        raise ConditionError(f"结果应为{_TYPE_LABEL[want]}，实为{_TYPE_LABEL[kind]}", text)
    return kind


def referenced_fields(node: Node) -> list[str]:
    """Fields a condition reads, in first-use order (for evidence and pending detection)."""
    return list(dict.fromkeys(n.name for n in walk(node) if isinstance(n, FieldRef)))


def decisive_fields(node: Node) -> list[str]:
    """Fields whose blankness can leave a condition undecided (not those only under
    blank()/present() or as the first argument of coalesce(), which handle blanks themselves)."""
    found: list[str] = []

    def walk(n: object) -> None:
        if isinstance(n, FieldRef):
            found.append(n.name)
        elif isinstance(n, Call) and n.func in ("blank", "present"):
            return
        elif isinstance(n, Call) and n.func == "coalesce":
            walk(n.args[1])
        elif isinstance(n, (Unary, Binary, InList, Call, Duration, ParamRef)):
            for child in vars(n).values():
                for item in (child if isinstance(child, tuple) else (child,)):
                    walk(item)

    walk(node)
    return list(dict.fromkeys(found))


def referenced_params(node: Node) -> list[str]:
    """Parameters a condition reads, in first-use order (for explanations)."""
    return list(dict.fromkeys(n.name for n in walk(node) if isinstance(n, ParamRef)))
