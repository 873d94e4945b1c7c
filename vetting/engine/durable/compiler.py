"""The validated rule model compiled to durable_rules rulesets (their JSON form).

Each YAML rule becomes durable rules over ONE fact per candidate. Its condition is compiled twice,
Kleene style, by realising the operator table of vetting.engine.semantics as normal forms: one set
of conjunctions matches when the condition is definitely true, one when definitely false;
"undecided" is neither. Rules limited to roles also get the role test (applies / role unknown /
not applicable). What durable_rules cannot compute (derived values, parameter look-ups, coalesce,
+/- arithmetic, within()'s window ends) becomes a fact property computed beforehand by the shared
evaluator (vetting.engine.durable.facts); field-free sub-expressions are folded to constants.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from vetting.engine import semantics as S
from vetting.engine.durable.normal_form import (
    ALGEBRA,
    DNF,
    FALSE,
    MARKER,
    MAX_TERMS,
    TRUE,
    TooComplex,
    dnf_and,
    dnf_or,
    ex,
    nex,
    pattern,
    rel,
)
from vetting.engine.evaluator import Evaluator
from vetting.errors import EngineError
from vetting.ruleset import condition as C
from vetting.vocab import ROLES, roles_selected

#: Durable rules per durable_rules ruleset (error 303 above 64 simultaneous matches; hang above 512).
MAX_RULES_PER_RULESET = 40
#: Properties per fact, including `sid` and the marker (durable_rules: 255).
MAX_PROPERTIES = 250

T, F, N, SEEN = 0, 1, 2, 3  # polarities: condition true (rule applies), false, rule not applicable; catch-all

_counter = itertools.count(1)


@dataclass(frozen=True)
class Slot:
    """Values one fact carries for one field, computed expression or within() window."""

    kind: str            # field | expr | window
    node: Any            # FieldRef, expression AST, or the within() Call
    value_kind: str      # number | date | string | bool | duration | window
    props: tuple         # (lo, hi) for intervals (the same name twice when exact), (value,) otherwise
    rule: str            # first rule reading it (for error messages)


@dataclass(frozen=True)
class Operand:
    """A value in a comparison: endpoints ("c", constant) or ("p", property), and when it is known."""

    kind: str
    lo: tuple
    hi: tuple
    known: DNF


_UNKNOWN = Operand("number", ("c", float("nan")), ("c", float("nan")), FALSE)


def fnv1_32(name: str) -> int:
    """durable_rules' property-name hash (src/rules: fnv1Hash32, FNV-1a over the bytes)."""
    value = 2166136261
    for byte in name.encode("utf-8"):
        value ^= byte if byte < 128 else byte - 256 & 0xFFFFFFFF
        value = (value * 16777619) & 0xFFFFFFFF
    return value


def _fields_in(node: Any) -> bool:
    return bool(C.referenced_fields(node))


class _Compiler:
    """One ruleset, one as-of date, one parameter set -> conditions over slots."""

    def __init__(self, ruleset: Any, params: dict, as_of: dt.date) -> None:
        self.ruleset, self.params, self.as_of = ruleset, params, as_of
        self.as_of_day = int(np.datetime64(as_of, "D").astype(np.int64))
        self.slots: dict[Any, Slot] = {}
        self.rule = ""
        self.hashes = {fnv1_32(name) for name in ("sid", "id", "$s", MARKER)}

    def name(self, base: str, suffixes: tuple = ("",)) -> str:
        """A property name whose durable_rules hashes collide with no other: the C core finds a
        property by its 32-bit FNV hash alone, so two names with one hash would read each other."""
        while True:
            hashes = {fnv1_32(base + suffix) for suffix in suffixes}
            if len(hashes) == len(suffixes) and not hashes & self.hashes:
                self.hashes |= hashes
                return base
            base += "_"

    # -------------------------------------------------------- kinds and constants

    def value_kind(self, node: Any) -> str:
        if isinstance(node, C.Literal):
            return node.type
        if isinstance(node, C.AsOf):
            return "date"
        if isinstance(node, C.FieldRef):
            return C.field_value_type(self.ruleset.fields[node.name].type)
        if isinstance(node, C.ParamRef):
            if node.index is not None:
                return "number"
            value = self.params.get(node.name)
            return "date" if isinstance(value, dt.date) else \
                "number" if isinstance(value, (int, float)) else "string"
        if isinstance(node, C.Unary):
            return "bool" if node.op == "not" else "number"
        if isinstance(node, C.Binary):
            return self.value_kind(node.left) if node.op in ("+", "-") else "bool"
        if isinstance(node, C.Duration):
            return "duration"
        if isinstance(node, C.Call):
            return self.value_kind(node.args[0]) if node.func == "coalesce" else "bool"
        return "bool"

    def constant(self, node: Any) -> Operand:
        """A field-free sub-expression, evaluated once by the shared Evaluator."""
        vec = Evaluator(_NoColumns(), self.params, self.as_of).eval(node)
        kind = self.value_kind(node)
        if not vec.known[0]:
            return Operand(kind, _UNKNOWN.lo, _UNKNOWN.hi, FALSE)
        lo, hi = _plain(vec.kind, vec.lo[0]), _plain(vec.kind, vec.hi[0])
        if vec.kind not in ("string", "bool"):
            check_interval(self.rule, np.array([lo], dtype=float), np.array([hi], dtype=float), np.array([True]))
        return Operand(kind, ("c", lo), ("c", hi), TRUE)

    # -------------------------------------------------------- operands

    def field_slot(self, name: str) -> Slot:
        key = ("field", name)
        if key not in self.slots:
            kind = C.field_value_type(self.ruleset.fields[name].type)
            base = f"f{len(self.slots)}_{name[:40]}"
            if kind in ("string", "bool") or (kind == "number" and not self.ruleset.fields[name].derived):
                base = self.name(base)
                props = (base, base) if kind == "number" else (base,)
            else:
                base = self.name(base, ("_lo", "_hi"))
                props = (base + "_lo", base + "_hi")
            self.slots[key] = Slot("field", C.FieldRef(name), kind, props, self.rule)
        return self.slots[key]

    def expr_slot(self, node: Any) -> Slot:
        key = ("expr", node)
        if key not in self.slots:
            kind = self.value_kind(node)
            suffixes = ("",) if kind in ("string", "bool") else ("_lo", "_hi")
            base = self.name(f"x{len(self.slots)}", suffixes)
            props = tuple(base + suffix for suffix in suffixes)
            self.slots[key] = Slot("expr", node, kind, props, self.rule)
        return self.slots[key]

    def window_slot(self, call: C.Call) -> Slot:
        key = ("window", call)
        if key not in self.slots:
            base = self.name(f"w{len(self.slots)}", ("_ee", "_el", "_k"))
            self.slots[key] = Slot("window", call, "window", (base + "_ee", base + "_el", base + "_k"), self.rule)
        return self.slots[key]


    def operand(self, node: Any) -> Operand:
        kind = self.value_kind(node)
        if not _fields_in(node):
            return self.constant(node)
        slot = self.field_slot(node.name) if isinstance(node, C.FieldRef) else self.expr_slot(node)
        lo, hi = slot.props[0], slot.props[-1]
        return Operand(kind, ("p", lo), ("p", hi), ex(lo))

    # -------------------------------------------------------- conditions, by the operator table

    def condition(self, node: Any) -> tuple[DNF, DNF]:
        """(definitely true, definitely false) of a boolean node."""
        if not _fields_in(node):
            value = self.constant(node)
            if value.known == FALSE:
                return FALSE, FALSE
            return (TRUE, FALSE) if value.lo[1] else (FALSE, TRUE)
        if isinstance(node, C.Binary) and node.op in ("and", "or"):
            combine = S.kleene_and if node.op == "and" else S.kleene_or
            return combine(self.condition(node.left), self.condition(node.right), ALGEBRA)
        if isinstance(node, C.Unary) and node.op == "not":
            return S.kleene_not(self.condition(node.operand))
        if isinstance(node, C.Binary):
            a, b = self.operand(node.left), self.operand(node.right)
            outcome = S.comparison(node.op, exact=a.kind in ("string", "bool"))
            return _realise(outcome, S.operand_ends(a=(a.lo, a.hi), b=(b.lo, b.hi)), dnf_and(a.known, b.known))
        if isinstance(node, C.InList):
            a = self.operand(node.operand)
            items = [_plain(i.type, i.value) for i in node.items]
            outcome = S.membership(items, exact=a.kind in ("string", "bool"))
            decided = _realise(outcome, S.operand_ends(a=(a.lo, a.hi)), a.known)
            return S.kleene_not(decided) if node.negate else decided
        if isinstance(node, C.Call) and node.func == "within":
            return self.within(node)
        if isinstance(node, C.Call) and node.func in ("blank", "present"):
            value = self.operand(node.args[0])
            return S.presence(value.known, nex(value.lo[1]), node.func == "present")
        value = self.operand(node)  # a flag, coalesce(flag, flag), ...
        return (dnf_and(value.known, rel("==", value.lo, ("c", 1))),
                dnf_and(value.known, rel("==", value.lo, ("c", 0))))

    def within(self, call: C.Call) -> tuple[DNF, DNF]:
        dates = self.operand(call.args[0])
        slot = self.window_slot(call)
        ends = {**S.operand_ends(date=(dates.lo, dates.hi)), S.AS_OF: ("c", self.as_of_day),
                S.EARLY_END: ("p", slot.props[0]), S.LATE_END: ("p", slot.props[1])}
        return _realise(S.WITHIN, ends, ex(slot.props[2]))  # known: date and period (an end may be unrepresentable)

    # -------------------------------------------------------- roles

    def role_gates(self, roles: tuple) -> tuple[DNF, DNF, DNF]:
        """(applies, applies or role unknown, not applicable) for a rule limited to roles."""
        if not roles:
            return TRUE, TRUE, FALSE
        selected = set(roles_selected(roles))
        hits = [r for r in ROLES if r in selected]
        role = ("p", self.field_slot("role").props[0])
        applies = dnf_or(*[rel("==", role, ("c", h)) for h in hits])
        return applies, dnf_or(applies, nex(role[1])), dnf_and(ex(role[1]), *[rel("!=", role, ("c", h))
                                                                              for h in hits])


def _realise(outcome: S.Outcome, ends: dict, known: DNF) -> tuple[DNF, DNF]:
    return (dnf_and(known, S.realise(outcome.true, ends, ALGEBRA, lambda v: ("c", v))),
            dnf_and(known, S.realise(outcome.false, ends, ALGEBRA, lambda v: ("c", v))))


def check_interval(rule: str, lo: np.ndarray, hi: np.ndarray, known: np.ndarray, where: str = "") -> None:
    """Known interval values must be numbers with lo <= hi (both engines' comparisons rely on it)."""
    with np.errstate(invalid="ignore"):
        bad = known & (np.isnan(lo) | np.isnan(hi) | (lo > hi))
    if bad.any():
        raise EngineError(f"规则 {rule} 中的值{where}无法比较（例如「永久」减去「永久」），"
                          "durable 引擎不能与向量引擎作出一致的判定；请改用 --engine vector")


class _NoColumns:
    """Columns for evaluating field-free expressions once."""

    n = 1

    def get(self, name: str):
        raise KeyError(name)


def _plain(kind: str, value: Any) -> Any:
    """A constant as the fact/rule value: days for dates, float for numbers, 0/1 for flags."""
    if kind == "date":
        day = np.datetime64(value, "D")
        return float("nan") if np.isnat(day) else int(day.astype(np.int64))
    if kind == "bool":
        return int(bool(value))
    if kind == "string":
        return str(value)
    return float(value)


# ---------------------------------------------------------------- the compiled program


@dataclass(frozen=True)
class DurableProgram:
    """Compiled durable_rules rulesets for one ruleset, as-of date and parameter set."""

    name: str
    rulesets: tuple          # ((durable ruleset name, JSON text, number of durable rules), ...)
    outcomes: tuple          # durable rule id -> (rule index, polarity)
    codes: tuple             # rule index -> rule code
    slots: tuple             # Slot, in property order
    source: str = ""         # the YAML ruleset id, for messages

    @property
    def properties(self) -> int:
        return sum(len(set(s.props)) for s in self.slots)


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in str(text))[:40]


def compile_ruleset(ruleset: Any, params: dict, as_of: dt.date) -> DurableProgram:
    """The durable_rules rulesets for every (non-group) rule of a validated ruleset."""
    compiler = _Compiler(ruleset, params, as_of)
    terms: list[tuple[frozenset, int, int]] = []
    for index, rule in enumerate(ruleset.rules):
        compiler.rule = rule.code
        try:
            true, false = compiler.condition(rule.condition)
            applies, may_apply, not_applicable = compiler.role_gates(rule.roles)
            parts = ((T, dnf_and(true, applies)), (F, dnf_and(false, may_apply)), (N, not_applicable))
        except TooComplex:
            raise EngineError(f"规则 {rule.code}（{rule.name}）的条件展开后过于复杂（超过{MAX_TERMS}个合取式），"
                              "durable 引擎无法编译；请简化条件或改用 --engine vector") from None
        terms += [(term, index, polarity) for polarity, dnf in parts for term in dnf]
    properties = 2 + sum(len(set(s.props)) for s in compiler.slots.values())
    if properties > MAX_PROPERTIES:
        raise EngineError(f"规则集「{ruleset.id}」需要的字段和中间值过多（{properties}个），超过 durable_rules "
                          f"单个事实{MAX_PROPERTIES}个属性的上限；请改用 --engine vector")
    name = f"vetting_{_safe_name(ruleset.id)}_{os.getpid()}_{next(_counter)}"
    rulesets, outcomes = [], []
    for k, start in enumerate(range(0, len(terms), MAX_RULES_PER_RULESET)):
        chunk = terms[start:start + MAX_RULES_PER_RULESET]
        # The catch-all: every candidate starts an action in every ruleset, because delete_state
        # after a fact that started none frees uninitialised pointers (see host.DurableHost.run).
        body = [f'"r{len(outcomes)}": {pattern(frozenset())}']
        outcomes.append((-1, SEEN))
        for term, index, polarity in chunk:
            body.append(f'"r{len(outcomes)}": {pattern(term)}')
            outcomes.append((index, polarity))
        rulesets.append((f"{name}_{k + 1}", "{" + ", ".join(body) + "}", len(chunk) + 1))
    return DurableProgram(name=name, rulesets=tuple(rulesets), outcomes=tuple(outcomes),
                          codes=tuple(r.code for r in ruleset.rules), slots=tuple(compiler.slots.values()),
                          source=str(ruleset.id))
