"""Whether a rule's condition can ever be true (pure): the condition in disjunctive normal form,
each conjunction's constraints on one field at a time - enumeration values, number ranges, yes/no,
blank or present, the posts the rule applies to - and, when every conjunction contradicts itself,
why. Anything the analysis does not model (two fields compared, arithmetic, look-ups) is taken as
satisfiable, so a rule reported here truly never fires."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from vetting.fields import Field
from vetting.ruleset import condition as cond
from vetting.ruleset.model import Parameter
from vetting.vocab import EDUCATION_LEVELS, ROLE_TAGS, roles_selected

#: Conjunctions beyond this many are not analysed (the rule is taken as satisfiable).
MAX_TERMS = 64
_RANGES = {"age": (0.0, 150.0), "education": (float(min(EDUCATION_LEVELS)), float(max(EDUCATION_LEVELS)))}
_FLIP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}

Atom = tuple[object, bool]  # (node, negated)


def dnf(node: object, negated: bool = False) -> list[list[Atom]] | None:
    """The condition as a list of conjunctions of (atom, negated), or None when it would exceed MAX_TERMS."""
    if isinstance(node, cond.Unary) and node.op == "not":
        return dnf(node.operand, not negated)
    if isinstance(node, cond.Binary) and node.op in ("and", "or"):
        left, right = dnf(node.left, negated), dnf(node.right, negated)
        if left is None or right is None:
            return None
        if (node.op == "or") != negated:
            terms = left + right
        else:
            terms = [a + b for a in left for b in right]
        return terms if len(terms) <= MAX_TERMS else None
    return [[(node, negated)]]


@dataclass
class _State:
    """What one conjunction says about one field."""

    allowed: set | None = None          # text values still possible (None: any)
    excluded: set = field(default_factory=set)
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    flag: set = field(default_factory=lambda: {True, False})
    blank: bool | None = None           # True: must be blank, False: must be present
    said: list = field(default_factory=list)


def _constant(node: object, params: Mapping[str, Parameter]) -> object | None:
    """A literal's value, or a scalar parameter's single value (the same on every date)."""
    if isinstance(node, cond.Literal) and node.type in ("number", "string", "bool"):
        return node.value
    if isinstance(node, cond.ParamRef) and node.index is None and node.name in params:
        values = {repr(v) for _, v in params[node.name].values}
        if len(values) == 1 and params[node.name].kind in ("number", "string"):
            return params[node.name].values[0][1]
    return None


def _atoms(atom: Atom, params: Mapping[str, Parameter]) -> Iterator[tuple[str, str, object]]:
    """(field, operator, value) constraints an atom puts on a single field ("blank"/"present" too)."""
    node, negated = atom
    if isinstance(node, cond.Call) and node.func in ("blank", "present") and isinstance(node.args[0], cond.FieldRef):
        wants_blank = (node.func == "blank") != negated
        yield node.args[0].name, "blank" if wants_blank else "present", None
    elif isinstance(node, cond.InList) and isinstance(node.operand, cond.FieldRef):
        values = frozenset(i.value for i in node.items if isinstance(i, cond.Literal))
        yield node.operand.name, "not in" if node.negate != negated else "in", values
    elif isinstance(node, cond.Binary) and node.op in _FLIP:
        op = _FLIP[node.op] if negated else node.op
        for side, other, how in ((node.left, node.right, op), (node.right, node.left, _MIRROR[op])):
            value = _constant(other, params)
            if isinstance(side, cond.FieldRef) and value is not None:
                yield side.name, how, value
                return
    elif isinstance(node, cond.FieldRef):
        yield node.name, "==", not negated


def _apply(state: _State, op: str, value: object, kind: str) -> None:
    if op == "blank":
        state.blank = True if state.blank in (None, True) else "both"
        return
    if op == "present":
        state.blank = False if state.blank in (None, False) else "both"
        return
    state.blank = "both" if state.blank is True else False  # a value constraint needs a value
    if kind == "bool":
        if op in ("==", "!="):
            state.flag &= {value} if op == "==" else {not value}
        return
    if kind == "number" and isinstance(value, (int, float)) and op in ("<", "<=", ">", ">=", "=="):
        v = float(value)
        if op in (">", ">=", "=="):
            if v > state.low or (v == state.low and op == ">"):
                state.low, state.low_open = v, op == ">"
        if op in ("<", "<=", "=="):
            if v < state.high or (v == state.high and op == "<"):
                state.high, state.high_open = v, op == "<"
        return
    if kind == "string":
        if op in ("==", "in"):
            wanted = {value} if op == "==" else set(value)
            state.allowed = wanted if state.allowed is None else state.allowed & wanted
        elif op in ("!=", "not in"):
            state.excluded |= {value} if op == "!=" else set(value)


def _empty(state: _State, universe: frozenset | None) -> bool:
    if state.blank == "both" or not state.flag:
        return True
    if state.low > state.high or (state.low == state.high and (state.low_open or state.high_open)):
        return True
    possible = state.allowed if state.allowed is not None else universe
    return possible is not None and not (set(possible) - state.excluded)


def _kind(spec: Field | None) -> str:
    return cond.field_value_type(spec.type) if spec is not None else "number"


def conjunction_conflict(atoms: list[Atom], fields: Mapping[str, Field], params: Mapping[str, Parameter],
                         roles: tuple[str, ...]) -> str | None:
    """The field a conjunction contradicts itself on (its label), or None when it may hold."""
    states: dict[str, _State] = {}
    if roles:
        states["role"] = _State(allowed=set(roles_selected(roles)))
    for atom in atoms:
        for name, op, value in _atoms(atom, params):
            state = states.setdefault(name, _State())
            if name in _RANGES and state.low == -math.inf and state.high == math.inf:
                state.low, state.high = _RANGES[name]
            spec = fields.get(name)
            _apply(state, op, value, _kind(spec))
    for name, state in states.items():
        spec = fields.get(name)
        universe = frozenset(spec.values) if spec is not None and spec.values else (
            frozenset(ROLE_TAGS) if name == "role" else None)
        if _empty(state, universe):
            return spec.label if spec is not None else name
    return None


def never_fires(node: object, fields: Mapping[str, Field], params: Mapping[str, Parameter],
                roles: tuple[str, ...] = ()) -> str | None:
    """Why a rule with this condition (and these posts) can never fire - the fields each way of
    satisfying it contradicts itself on - or None when it may fire (or is beyond the analysis)."""
    terms = dnf(node)
    if terms is None:
        return None
    conflicts = []
    for atoms in terms:
        conflict = conjunction_conflict(atoms, fields, params, roles)
        if conflict is None:
            return None
        conflicts.append(conflict)
    return "、".join(dict.fromkeys(conflicts))


def admitted_values(node: object, index: str, fields: Mapping[str, Field], params: Mapping[str, Parameter],
                    roles: tuple[str, ...] = ()) -> set | None:
    """The enumeration values of field `index` under which the condition may hold (union over its
    satisfiable conjunctions), or None when that cannot be told."""
    spec = fields.get(index)
    terms = dnf(node)
    if spec is None or not spec.values or terms is None:
        return None
    found: set = set()
    for atoms in terms:
        if conjunction_conflict(atoms, fields, params, roles) is not None:
            continue
        state = _State()
        for atom in atoms:
            for name, op, value in _atoms(atom, params):
                if name == index:
                    _apply(state, op, value, "string")
        possible = state.allowed if state.allowed is not None else set(spec.values)
        found |= set(possible) - state.excluded
    return found
