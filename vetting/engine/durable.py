"""The durable_rules engine (`--engine durable`): the validated rule model compiled to durable_rules
rulesets (their JSON form) and run in child processes. This is the only module that touches durable_rules.

What durable_rules decides, and what is computed beforehand
    Each YAML rule becomes durable rules over ONE fact per candidate. The condition is compiled
    twice, Kleene style, over the same interval values the vectorised engine uses (values.py):
    T(c) matches when c is definitely true, F(c) when definitely false; "undecided" is neither.
        T(a and b) = T(a) ∧ T(b)      F(a and b) = F(a) ∨ F(b)      T(not a) = F(a)
        T(x < y)   = x.hi < y.lo      F(x < y)   = x.lo >= y.hi     (both values known)
    Both are put in disjunctive normal form; every conjunction is one durable rule whose pattern is
    a flat `$and` of `$lt/$lte/$gt/$gte/$neq/equality/$ex/$nex` tests (no `$or`, no joins), so a
    candidate's outcome for a YAML rule is read from which of its durable rules fired. Rules limited
    to roles also get the role test (applies / role unknown / not applicable) as part of the pattern.
    The fact carries only the values the rules read, under safe names (`f3_party_sanction_date_lo`,
    never `id`/`sid`/`m`/`s`), dates as day numbers. What durable_rules cannot compute is computed
    beforehand with the vectorised engine's own Evaluator, so both engines see identical values:
    derived fields (age on the as-of date, the birth date used, education rank), parameter
    look-ups (`$months[party_sanction]`), coalesce and +/- arithmetic, and for within() the two
    window ends (date + duration by civil-law month arithmetic). Sub-expressions without fields
    are folded to constants. Reasons, evidence, the pending/review split and the weak-identity
    downgrade are then assembled by the shared code in vector.py, so only the yes/no/undecided
    per rule and candidate comes from durable_rules.

durable_rules 2.0.28 sharp edges (/work/shared/product/anchors.md §1) and what is done here
    F1 segfaults (jruizgit/rules#381): single-pattern rules only; the C core runs in worker
       processes (vetting.engine.durable_worker) fed in batches; a crash becomes EngineError
       naming the ruleset, the durable ruleset and the candidate rows, and nothing is written.
    F2/F3 false duplicates (#376), 1,024 live states: one state (sid) per candidate, deleted after.
    F4 a fact that matches nothing is dropped (#286) and, worse, deleting its state frees
       uninitialised pointers (createStateNode never sets `context.messages/stateFact`,
       deleteStateNode frees them; random SIGSEGV/SIGABRT): every ruleset has a catch-all rule,
       a state is only deleted after an action ran in it, and each candidate must show one
       catch-all firing per ruleset.
    F5 post() fires one rule (#190): facts are asserted.
    F6 reserved names and the state object matching patterns (#302, #288): every property is
       prefixed and every pattern requires the candidate marker `v_row`.
    F7 at most 255 properties per fact: checked at compile time. Properties are found by their
       32-bit FNV hash alone, so no two property names may share one (checked, renamed).
    F8 limits (#377, #361, #312): more than 64 patterns of one ruleset matching one fact fail with
       error 303, and a ruleset of more than 512 rules never finishes compiling; the durable rules
       are split into rulesets of at most MAX_RULES_PER_RULESET (plus the catch-all).
    F9 names are registered once: every compiled ruleset gets a name unique in the process.
    F10 exceptions swallowed into the state (#305): no Python action code at all; the worker
       drives the core's action loop itself and only records which durable rule fired.
    `$m` references to a missing property match unpredictably: both sides get `$ex`.
    Numbers: the core rejects JSON numbers written like `1e+16` (error 204, exponent without a
       fraction) and JSON has no infinity, so facts and rules are serialised here: `1.0e+16`,
       and ±infinity ("forever") as ±1.7976931348623157e+308.
    Both engines assume an interval value has lo <= hi and no NaN where known; a value that breaks
    this (e.g. 'forever' minus 'forever') stops a durable run with EngineError instead of being
    compared differently.
"""

from __future__ import annotations

import array
import concurrent.futures
import datetime as dt
import itertools
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from vetting.errors import EngineError
from vetting.ruleset import condition as C

#: Durable rules per durable_rules ruleset (error 303 above 64 simultaneous matches; hang above 512).
MAX_RULES_PER_RULESET = 40
#: Conjunctions one polarity of one rule may compile to.
MAX_TERMS = 64
#: Properties per fact, including `sid` and the marker (durable_rules: 255).
MAX_PROPERTIES = 250
#: Candidates sent to a worker per request.
BATCH_SIZE = 1000
#: Worker processes at most (never more than CPUs or batches).
MAX_WORKERS = 4
MARKER = "v_row"
#: Stand-in for ±infinity ("forever"): JSON has no infinity.
FOREVER_NUMBER = sys.float_info.max

T, F, N, SEEN = 0, 1, 2, 3  # polarities: condition true (rule applies), false, rule not applicable; catch-all
DERIVED = ("age", "birth_used", "sex_from_id", "id_valid")

_counter = itertools.count(1)

# ---------------------------------------------------------------- conditions in disjunctive normal form
# A leaf is ("ex", prop) | ("nex", prop) | (op, prop, ("c", value)) | (op, prop, ("p", prop2)),
# op in lt lte gt gte eq neq. A term is a frozenset of leaves (their conjunction); a DNF is a tuple
# of terms (their disjunction). TRUE has one empty term, FALSE none.

DNF = tuple
TRUE: DNF = (frozenset(),)
FALSE: DNF = ()

_OPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "==": "eq", "!=": "neq"}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class _TooComplex(Exception):
    pass


def _consistent(term: frozenset) -> bool:
    present = {leaf[1] for leaf in term if leaf[0] == "ex"}
    return not any(leaf[0] == "nex" and leaf[1] in present for leaf in term)


def _simplify(terms) -> DNF:
    """Drop contradictory terms and terms implied by a smaller one; deterministic order."""
    unique = sorted({t for t in terms if _consistent(t)}, key=lambda t: (len(t), sorted(map(repr, t))))
    kept: list[frozenset] = []
    for term in unique:
        if not any(k <= term for k in kept):
            kept.append(term)
    if len(kept) > MAX_TERMS:
        raise _TooComplex()
    return tuple(kept)


def dnf_and(*parts: DNF) -> DNF:
    out = TRUE
    for part in parts:
        out = _simplify(a | b for a in out for b in part)
    return out


def dnf_or(*parts: DNF) -> DNF:
    return _simplify(t for part in parts for t in part)


def _ex(prop: str) -> DNF:
    return (frozenset({("ex", prop)}),)


def _nex(prop: str) -> DNF:
    return (frozenset({("nex", prop)}),)


def _py_compare(op: str, x, y) -> bool:
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y, "!=": x != y}[op]


def rel(op: str, x: tuple, y: tuple) -> DNF:
    """`x op y` with IEEE semantics; x, y are ("c", value) or ("p", prop). Props must be present."""
    if x[0] == "c" and y[0] == "c":
        return TRUE if _py_compare(op, x[1], y[1]) else FALSE
    if x[0] == "c":
        op, x, y = _MIRROR[op], y, x
    if y[0] == "c" and isinstance(y[1], float) and np.isnan(y[1]):
        return FALSE
    if y[0] == "p" and y[1] == x[1]:
        return _ex(x[1]) if op in ("==", "<=", ">=") else FALSE
    leaves = {("ex", x[1]), (_OPS[op], x[1], y)}
    if y[0] == "p":
        leaves.add(("ex", y[1]))  # a `$m` reference to a missing property matches unpredictably
    return (frozenset(leaves),)


# ---------------------------------------------------------------- values read by the rules


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
    """One ruleset, one as-of date, one parameter set -> conditions over slots (see module docstring)."""

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
        """A field-free sub-expression, evaluated once by the vectorised engine's Evaluator."""
        from vetting.engine.vector import Evaluator

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
            if kind in ("string", "bool") or (kind == "number" and name not in DERIVED):
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
        return Operand(kind, ("p", lo), ("p", hi), _ex(lo))

    # -------------------------------------------------------- conditions

    def condition(self, node: Any) -> tuple[DNF, DNF]:
        """(definitely true, definitely false) of a boolean node."""
        if not _fields_in(node):
            value = self.constant(node)
            if value.known == FALSE:
                return FALSE, FALSE
            return (TRUE, FALSE) if value.lo[1] else (FALSE, TRUE)
        if isinstance(node, C.Binary) and node.op in ("and", "or"):
            (lt, lf), (rt, rf) = self.condition(node.left), self.condition(node.right)
            if node.op == "and":
                return dnf_and(lt, rt), dnf_or(lf, rf)
            return dnf_or(lt, rt), dnf_and(lf, rf)
        if isinstance(node, C.Unary) and node.op == "not":
            true, false = self.condition(node.operand)
            return false, true
        if isinstance(node, C.Binary) and node.op in _OPS:
            return self.compare(node.op, self.operand(node.left), self.operand(node.right))
        if isinstance(node, C.InList):
            true, false = self.in_list(self.operand(node.operand), node.items)
            return (false, true) if node.negate else (true, false)
        if isinstance(node, C.Call) and node.func == "within":
            return self.within(node)
        if isinstance(node, C.Call) and node.func in ("blank", "present"):
            value = self.operand(node.args[0])
            missing = _nex(value.lo[1])
            return (value.known, missing) if node.func == "present" else (missing, value.known)
        value = self.operand(node)  # a flag, coalesce(flag, flag), ...
        return (dnf_and(value.known, rel("==", value.lo, ("c", 1))),
                dnf_and(value.known, rel("==", value.lo, ("c", 0))))

    def compare(self, op: str, a: Operand, b: Operand) -> tuple[DNF, DNF]:
        known = dnf_and(a.known, b.known)
        if a.kind in ("string", "bool"):
            equal, differ = rel("==", a.lo, b.lo), rel("!=", a.lo, b.lo)
            return (dnf_and(known, equal), dnf_and(known, differ)) if op == "==" else \
                (dnf_and(known, differ), dnf_and(known, equal))
        if op in (">", ">="):
            a, b, op = b, a, ("<" if op == ">" else "<=")
        if op == "<":
            true, false = rel("<", a.hi, b.lo), rel(">=", a.lo, b.hi)
        elif op == "<=":
            true, false = rel("<=", a.hi, b.lo), rel(">", a.lo, b.hi)
        else:
            exact = dnf_and(rel("==", a.lo, a.hi), rel("==", b.lo, b.hi), rel("==", a.lo, b.lo))
            apart = dnf_or(rel("<", a.hi, b.lo), rel("<", b.hi, a.lo))
            true, false = (exact, apart) if op == "==" else (apart, exact)
        return dnf_and(known, true), dnf_and(known, false)

    def in_list(self, a: Operand, items: tuple) -> tuple[DNF, DNF]:
        values = [_plain(i.type, i.value) for i in items]
        if a.kind in ("string", "bool"):
            true = dnf_or(*[rel("==", a.lo, ("c", v)) for v in values])
            false = dnf_and(*[rel("!=", a.lo, ("c", v)) for v in values])
            return dnf_and(a.known, true), dnf_and(a.known, false)
        true = dnf_and(rel("==", a.lo, a.hi), dnf_or(*[rel("==", a.lo, ("c", v)) for v in values]))
        if a.lo == a.hi:  # exact: no listed value inside = differs from each
            false = dnf_and(*[rel("!=", a.lo, ("c", v)) for v in values])
        else:             # no listed value inside [lo, hi]: the interval sits in a gap between them
            ordered = sorted(set(values))
            gaps = [rel("<", a.hi, ("c", ordered[0]))] if ordered else [TRUE]
            gaps += [dnf_and(rel(">", a.lo, ("c", x)), rel("<", a.hi, ("c", y)))
                     for x, y in zip(ordered, ordered[1:])]
            gaps += [rel(">", a.lo, ("c", ordered[-1]))] if ordered else []
            false = dnf_or(*gaps)
        return dnf_and(a.known, true), dnf_and(a.known, false)

    def within(self, call: C.Call) -> tuple[DNF, DNF]:
        dates = self.operand(call.args[0])
        slot = self.window_slot(call)
        early, late = ("p", slot.props[0]), ("p", slot.props[1])
        as_of = ("c", self.as_of_day)
        known = _ex(slot.props[2])  # date and duration known (an end may still be unrepresentable)
        true = dnf_and(rel("<=", dates.hi, as_of), rel(">=", early, as_of))
        # false = date after as_of, or the late end before it and (as in values.within) not true: the ends
        # come from month arithmetic, which need not keep early <= late for absurd durations
        not_true = dnf_or(rel(">", dates.hi, as_of), _nex(slot.props[0]), rel("<", early, as_of))
        false = dnf_or(rel(">", dates.lo, as_of), dnf_and(rel("<", late, as_of), not_true))
        return dnf_and(known, true), dnf_and(known, false)

    # -------------------------------------------------------- roles

    def role_gates(self, roles: tuple) -> tuple[DNF, DNF, DNF]:
        """(applies, applies or role unknown, not applicable) for a rule limited to roles."""
        if not roles:
            return TRUE, TRUE, FALSE
        import pandas as pd

        from vetting.normalize.roles import ROLE_TAGS, roles_match

        names = list(ROLE_TAGS)
        hits = [r for r, hit in zip(names, roles_match(pd.Series(names, dtype="string"), roles)) if hit]
        role = ("p", self.field_slot("role").props[0])
        applies = dnf_or(*[rel("==", role, ("c", h)) for h in hits])
        return applies, dnf_or(applies, _nex(role[1])), dnf_and(_ex(role[1]), *[rel("!=", role, ("c", h))
                                                                               for h in hits])


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


def _key(prop: str) -> str:
    return json.dumps(prop)


def number_text(value: float) -> str:
    """A JSON number durable_rules parses exactly: never `1e+16` (it needs `1.0e+16`), ±inf as ±max."""
    if np.isinf(value):
        value = FOREVER_NUMBER if value > 0 else -FOREVER_NUMBER
    text = repr(float(value))
    if "e" in text and "." not in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (bool, int, np.integer)):
        return str(int(value))
    return number_text(value)


def _leaf_json(leaf: tuple) -> str:
    if leaf[0] in ("ex", "nex"):
        return '{"$%s": {%s: 1}}' % (leaf[0], _key(leaf[1]))
    op, prop, (kind, value) = leaf
    rhs = '{"$m": %s}' % _key(value) if kind == "p" else _value_text(value)
    if op == "eq":
        return "{%s: %s}" % (_key(prop), rhs)
    return '{"$%s": {%s: %s}}' % (op, _key(prop), rhs)


def _leaf_order(leaf: tuple) -> tuple:
    return (leaf[1], 0 if leaf[0] in ("ex", "nex") else 1, repr(leaf))


def _pattern(term: frozenset) -> str:
    leaves = ['{"$ex": {%s: 1}}' % _key(MARKER)] + [_leaf_json(leaf) for leaf in sorted(term, key=_leaf_order)]
    return '{"all": [{"m": {"$and": [%s]}}]}' % ", ".join(leaves)


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
        except _TooComplex:
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
        # after a fact that started none frees uninitialised pointers (see DurableHost.run).
        body = [f'"r{len(outcomes)}": {_pattern(frozenset())}']
        outcomes.append((-1, SEEN))
        for term, index, polarity in chunk:
            body.append(f'"r{len(outcomes)}": {_pattern(term)}')
            outcomes.append((index, polarity))
        rulesets.append((f"{name}_{k + 1}", "{" + ", ".join(body) + "}", len(chunk) + 1))
    return DurableProgram(name=name, rulesets=tuple(rulesets), outcomes=tuple(outcomes),
                          codes=tuple(r.code for r in ruleset.rules), slots=tuple(compiler.slots.values()),
                          source=str(ruleset.id))


# ---------------------------------------------------------------- facts


def _days(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[D]").astype(np.int64)


def _fragments(prop: str, texts: np.ndarray, present: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    out[present] = (f", {_key(prop)}: " + texts[present].astype(object)).astype(object)
    return out


def _number_fragments(prop: str, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    texts = np.full(len(values), "", dtype=object)
    if present.any():
        uniques, inverse = np.unique(values[present], return_inverse=True)
        texts[present] = np.array([number_text(v) for v in uniques], dtype=object)[inverse]
    return _fragments(prop, texts, present, len(values))


def _day_fragments(prop: str, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    texts = np.full(len(values), "", dtype=object)
    texts[present] = _days(values[present]).astype(str).astype(object)
    return _fragments(prop, texts, present, len(values))


def _scalar_fragments(prop: str, kind: str, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    texts = np.full(len(values), "", dtype=object)
    if kind == "bool":
        texts[present] = np.where(values[present].astype(bool), "1", "0").astype(object)
    elif present.any():
        import pandas as pd

        codes, uniques = pd.factorize(pd.Series(values[present], dtype=object))
        encoded = np.array([json.dumps(str(u), ensure_ascii=False) for u in uniques], dtype=object)
        texts[present] = encoded[codes]
    return _fragments(prop, texts, present, len(values))


def build_facts(program: DurableProgram, evaluator: Any) -> list[str]:
    """One JSON fact per candidate with every slot's values (absent where unknown)."""
    import pandas as pd

    from vetting.engine import values as V

    n = evaluator.n
    columns = []
    for slot in program.slots:
        if slot.kind == "window":
            dates, duration = evaluator.eval(slot.node.args[0]), evaluator.eval(slot.node.args[1])
            check_interval(slot.rule, _as_float(dates.lo), _as_float(dates.hi), dates.known, "（日期）")
            check_interval(slot.rule, duration.lo, duration.hi, duration.known, "（期限）")
            step = V.add_months if duration.kind == "duration_months" else V.add_days
            known = dates.known & duration.known
            early, late = step(dates.lo, duration.lo), step(dates.hi, duration.hi)
            columns.append(_day_fragments(slot.props[0], early, known & ~np.isnat(early)))
            columns.append(_day_fragments(slot.props[1], late, known & ~np.isnat(late)))
            columns.append(_scalar_fragments(slot.props[2], "bool", known, known))
            continue
        vec = evaluator.eval(slot.node)
        known = np.asarray(vec.known, dtype=bool)
        if vec.kind in ("string", "bool"):
            if vec.kind == "string":
                known = known & ~pd.isna(vec.lo)
            columns.append(_scalar_fragments(slot.props[0], vec.kind, vec.lo, known))
            continue
        check_interval(slot.rule, _as_float(vec.lo), _as_float(vec.hi), known)
        fragments = _day_fragments if vec.kind == "date" else _number_fragments
        columns.append(fragments(slot.props[0], vec.lo, known))
        if slot.props[1] != slot.props[0]:
            columns.append(fragments(slot.props[1], vec.hi, known))
    heads = [f'{{"sid": "{i}", {_key(MARKER)}: {i}' for i in range(n)]
    return ["".join(parts) + "}" for parts in zip(heads, *columns)]


def _as_float(values: np.ndarray) -> np.ndarray:
    if np.issubdtype(values.dtype, np.datetime64):
        out = values.astype("datetime64[D]").astype(np.int64).astype(float)
        out[np.isnat(values)] = np.nan
        return out
    return values.astype(float)


# ---------------------------------------------------------------- the host wrapper (runs in the worker)

_CORE_HINTS = {
    "106": "（规则数超出 durable_rules 上限，jruizgit/rules#377）",
    "113": "（条件表达式超出 durable_rules 上限，jruizgit/rules#361）",
    "204": "（JSON 无法解析）",
    "302": "（事实属性超过255个）",
    "303": "（同时匹配的规则过多，jruizgit/rules#312）",
}


class DurableHost:
    """The durable_rules core driven synchronously: one state per candidate, no Python actions.

    `status(ruleset_index, candidate_index)` is called before every assertion so that the parent can
    say where a crash happened."""

    def __init__(self, rulesets: Sequence[tuple], status: Callable[[int, int], None] = lambda k, i: None) -> None:
        import durable  # noqa: F401  - the durable-rules package; its C core is durable_rules_engine
        import durable_rules_engine

        self.core, self.status = durable_rules_engine, status
        self.handles = []
        for k, (name, text, count) in enumerate(rulesets):
            status(k, -1)
            try:
                self.handles.append((name, self.core.create_ruleset(name, text), count))
            except self.core.error as exc:
                raise EngineError(f"durable_rules 无法创建规则集「{name}」：{_hint(exc)}") from None

    def run(self, start: int, facts: Sequence[Sequence[str]]) -> bytes:
        """Assert each candidate's facts in its own state; per firing the int32 pair (candidate index
        in this batch, durable rule id), as bytes.

        A state is deleted only after at least one action ran in it: durable_rules 2.0.28's
        createStateNode leaves `context.messages`/`context.stateFact` uninitialised and
        deleteStateNode frees them, so deleting a state in which no action started (a fact that
        matched nothing, F4) frees garbage and crashes at random. Compiled programs have a
        catch-all rule, so this never happens; if it does, the run stops with EngineError."""
        core, hits = self.core, array.array("i")
        for i, texts in enumerate(facts):
            sid = str(start + i)
            for k, (name, handle, count) in enumerate(self.handles):
                self.status(k, i)
                fired = 0
                try:
                    for text in texts:
                        result, state = core.assert_fact(handle, text)
                        if result == 1:          # matched no rule (F4): nothing fired
                            continue
                        if result != 0:          # 2: "already observed" (F2) is never "skip"
                            raise EngineError(f"durable_rules 在规则集「{name}」中拒绝了第{i + 1}个事实（结果码{result}）")
                        action = core.start_action_for_state(handle, state)
                        while action:
                            messages = action[1] if isinstance(action, tuple) else action
                            begin = messages.index('"') + 1
                            hits.append(i)
                            hits.append(int(messages[begin + 1:messages.index('"', begin)]))
                            fired += 1
                            if fired > count:
                                raise EngineError(f"durable_rules 在规则集「{name}」中反复触发同一批规则（疑似死循环）")
                            action = core.complete_and_start_action(handle, state)
                    if not fired:
                        raise EngineError(f"durable_rules 规则集「{name}」未处理第{i + 1}个事实（连兜底规则都未触发）")
                    core.delete_state(handle, sid)
                except core.error as exc:
                    raise EngineError(f"durable_rules 在规则集「{name}」中出错：{_hint(exc)}") from None
        return hits.tobytes()

    def close(self) -> None:
        for _, handle, _ in self.handles:
            try:
                self.core.delete_ruleset(handle)
            except Exception:  # noqa: BLE001 - the process ends anyway
                pass


def _hint(exc: Exception) -> str:
    text = str(exc)
    code = text.rsplit(" ", 1)[-1]
    return text + _CORE_HINTS.get(code, "")


# ---------------------------------------------------------------- the worker process (parent side)

_BOOT = ("import sys; p = sys.argv[1]; (p in sys.path) or sys.path.insert(0, p); "
         "from vetting.engine.durable_worker import main; sys.exit(main(sys.argv[2:]))")
_FRAME = struct.Struct("<Q")
STATUS = struct.Struct("<ii")


def send(stream, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(data)) + data)
    stream.flush()


def receive(stream) -> Any:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


def _signal_text(code: int) -> str:
    if code >= 0:
        return f"退出码 {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = str(-code)
    what = {"SIGSEGV": "，段错误", "SIGABRT": "，异常中止", "SIGKILL": "，被强制结束", "SIGBUS": "，总线错误"}
    return f"信号 {name}{what.get(name, '')}"


class Worker:
    """One child process running vetting.engine.durable_worker for one compiled program."""

    def __init__(self, program: DurableProgram, label: Callable[[int, int], str]) -> None:
        self.program, self.label = program, label
        root = str(Path(__file__).resolve().parents[2])
        self._status_file = tempfile.NamedTemporaryFile(delete=False)
        self._status_file.write(STATUS.pack(-1, -1))
        self._status_file.close()
        self._stderr = tempfile.TemporaryFile()
        self.batch: tuple[int, int] | None = None
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _BOOT, root, self._status_file.name],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        except OSError as exc:
            self._stderr.close()
            os.unlink(self._status_file.name)
            raise EngineError(f"无法启动 durable_rules 引擎进程：{exc}") from None
        self._call(("init", program.rulesets), during="创建规则集时")

    def run(self, start: int, facts: Sequence[Sequence[str]]) -> np.ndarray:
        """(candidate index, durable rule id) per firing, as rows."""
        self.batch = (start, start + len(facts))
        reply = self._call(("batch", start, facts), during="")
        pairs = np.frombuffer(reply[1], dtype=np.dtype("int32")).reshape(-1, 2).astype(np.int64)
        pairs[:, 0] += start
        return pairs

    def _call(self, message: Any, during: str) -> Any:
        try:
            send(self.proc.stdin, message)
            reply = receive(self.proc.stdout)
        except (BrokenPipeError, ConnectionResetError, OSError):
            reply = None
        if reply is None:
            raise self._died(during)
        if reply[0] == "error":
            self.close()
            raise EngineError(f"{reply[1]}；{self._where()}。本次审查未完成，未写出报告")
        return reply

    def _where(self) -> str:
        text = f"规则集「{self.program.source}」"
        if self.batch:
            text += f"，人选批次：{self.label(*self.batch)}"
        return text

    def _died(self, during: str) -> EngineError:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        try:
            k, i = STATUS.unpack(Path(self._status_file.name).read_bytes()[:STATUS.size])
        except (OSError, struct.error):
            k, i = -1, -1
        where = self._where()
        if 0 <= k < len(self.program.rulesets):
            where += f"（崩溃于 durable_rules 规则集「{self.program.rulesets[k][0]}」"
            if self.batch and i >= 0:
                where += f"，正在审查{self.label(self.batch[0] + i, self.batch[0] + i + 1)}"
            where += "）"
        self._stderr.seek(0)
        said = [line for line in self._stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
        self._cleanup()
        return EngineError(f"durable_rules 引擎进程意外终止（{_signal_text(code)}）{during}：{where}。"
                           "本次审查未完成，未写出报告；可改用 --engine vector 审查"
                           + (f"（进程最后输出：{said[-1][:200]}）" if said else ""))

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._stderr.close()
        try:
            os.unlink(self._status_file.name)
        except OSError:
            pass

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def run_program(program: DurableProgram, facts: Sequence[Sequence[str]],
                label: Callable[[int, int], str] | None = None, batch_size: int | None = None,
                workers: int | None = None) -> np.ndarray:
    """Every firing as rows (candidate index, durable rule id).

    The evaluation runs in child processes: one per CPU (at most MAX_WORKERS), each taking a
    contiguous share of the batches, so a crash names the batch that was being evaluated."""
    label = label or (lambda a, b: f"第{a + 1}至{b}个人选")
    batch_size = batch_size or BATCH_SIZE
    if not len(facts) or not program.rulesets:
        return np.zeros((0, 2), dtype=np.int64)
    starts = list(range(0, len(facts), batch_size))
    workers = max(1, min(workers or MAX_WORKERS, os.cpu_count() or 1, len(starts)))
    shares = [starts[k * len(starts) // workers:(k + 1) * len(starts) // workers] for k in range(workers)]
    stop = threading.Event()

    def run_share(share: list[int]) -> list[np.ndarray]:
        pairs = []
        with Worker(program, label) as worker:
            for start in share:
                if stop.is_set():
                    break
                pairs.append(worker.run(start, facts[start:start + batch_size]))
        return pairs

    if workers == 1:
        pairs = run_share(shares[0])
    else:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(run_share, share) for share in shares]
            try:
                for future in concurrent.futures.as_completed(futures):
                    if future.exception() is not None:
                        stop.set()
            except BaseException:  # Ctrl-C: the other workers stop after their current batch
                stop.set()
                raise
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]
        pairs = [part for future in futures for part in future.result()]
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)


# ---------------------------------------------------------------- the engine


def _rows_label(candidates: Any) -> Callable[[int, int], str]:
    raw = candidates.raw

    def label(start: int, stop: int) -> str:
        part = raw.iloc[start:stop]
        texts = []
        for name, group in part.groupby("source_file", sort=False):
            rows = group["source_row"]
            first, last = int(rows.min()), int(rows.max())
            texts.append(f"{name} 第{first}行" if first == last else f"{name} 第{first}至{last}行")
        return "；".join(texts) or f"第{start + 1}至{stop}个人选"

    return label


def decide(ruleset: Any, evaluator: Any, candidates: Any) -> Callable[[Any], tuple[np.ndarray, np.ndarray]]:
    """The durable_rules decision per rule: rows where it fires and rows it leaves undecided."""
    program = compile_ruleset(ruleset, evaluator.params, evaluator.as_of.astype(dt.date))
    n = evaluator.n
    flags = np.zeros((len(ruleset.rules), n), dtype=np.uint8)
    if n and program.rulesets:
        hits = run_program(program, [(fact,) for fact in build_facts(program, evaluator)],
                           _rows_label(candidates))
        outcomes = np.array(program.outcomes, dtype=np.int64).reshape(-1, 2)
        rule, polarity = outcomes[hits[:, 1], 0], outcomes[hits[:, 1], 1]
        seen = np.bincount(hits[polarity == SEEN, 0], minlength=n)
        if (seen != len(program.rulesets)).any():
            row = int(np.flatnonzero(seen != len(program.rulesets))[0])
            raise EngineError(f"durable_rules 没有完整处理{_rows_label(candidates)(row, row + 1)}"
                              f"（兜底规则触发{int(seen[row])}次，应为{len(program.rulesets)}次）；请改用 --engine vector")
        judged = polarity != SEEN
        np.bitwise_or.at(flags, (rule[judged], hits[judged, 0]), (1 << polarity[judged]).astype(np.uint8))
    mixed = (flags & (flags - 1)) != 0
    if mixed.any():
        index, row = map(int, np.argwhere(mixed)[0])
        raise EngineError(f"durable_rules 对规则 {program.codes[index]} 给出了互相矛盾的结论"
                          f"（{_rows_label(candidates)(row, row + 1)}）；这是引擎缺陷，请改用 --engine vector 并报告此问题")
    index = {code: i for i, code in enumerate(program.codes)}

    def decision(rule: Any) -> tuple[np.ndarray, np.ndarray]:
        row = flags[index[rule.code]]
        return row == (1 << T), row == 0

    return decision


def evaluate(ruleset: Any, candidates: Any, as_of: dt.date) -> Any:
    """Run every rule over every candidate with durable_rules; same result shape as the vectorised engine."""
    from vetting.engine.vector import evaluate as assemble

    return assemble(ruleset, candidates, as_of, decide=decide)


def durable_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("durable-rules")
    except PackageNotFoundError:
        return "?"
