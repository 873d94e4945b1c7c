"""Conditions in disjunctive normal form, and their text as durable_rules patterns.

A leaf is ("ex", prop) | ("nex", prop) | (op, prop, ("c", value)) | (op, prop, ("p", prop2)),
op in lt lte gt gte eq neq. A term is a frozenset of leaves (their conjunction); a DNF is a tuple
of terms (their disjunction). TRUE has one empty term, FALSE none. Every term becomes one durable
rule whose pattern is a flat `$and` of tests over ONE fact (no `$or`, no joins: jruizgit/rules#381).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Sequence

import numpy as np

from vetting.engine import semantics as S

#: Conjunctions one polarity of one rule may compile to.
MAX_TERMS = 64
#: The property every candidate fact carries (and the state object never has: F6).
MARKER = "v_row"
#: Stand-in for ±infinity ("forever"): JSON has no infinity.
FOREVER_NUMBER = sys.float_info.max

DNF = tuple
TRUE: DNF = (frozenset(),)
FALSE: DNF = ()

_OPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "==": "eq", "!=": "neq"}


class TooComplex(Exception):
    """A condition whose normal form has more than MAX_TERMS conjunctions."""


def _consistent(term: frozenset) -> bool:
    present = {leaf[1] for leaf in term if leaf[0] == "ex"}
    return not any(leaf[0] == "nex" and leaf[1] in present for leaf in term)


def _simplify(terms: Iterable[frozenset]) -> DNF:
    """Drop contradictory terms and terms implied by a smaller one; deterministic order."""
    unique = sorted({t for t in terms if _consistent(t)}, key=lambda t: (len(t), sorted(map(repr, t))))
    kept: list[frozenset] = []
    for term in unique:
        if not any(k <= term for k in kept):
            kept.append(term)
    if len(kept) > MAX_TERMS:
        raise TooComplex()
    return tuple(kept)


def dnf_and(*parts: DNF) -> DNF:
    out = TRUE
    for part in parts:
        out = _simplify(a | b for a in out for b in part)
    return out


def dnf_or(*parts: DNF) -> DNF:
    return _simplify(t for part in parts for t in part)


def ex(prop: str) -> DNF:
    """The fact has the property (the value is known)."""
    return (frozenset({("ex", prop)}),)


def nex(prop: str) -> DNF:
    """The fact lacks the property."""
    return (frozenset({("nex", prop)}),)


def _py_compare(op: str, x: Any, y: Any) -> bool:
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "==": x == y, "!=": x != y}[op]


def rel(op: str, x: tuple, y: tuple) -> DNF:
    """`x op y` with IEEE semantics; x, y are ("c", value) or ("p", prop). Props must be present."""
    if x[0] == "c" and y[0] == "c":
        return TRUE if _py_compare(op, x[1], y[1]) else FALSE
    if x[0] == "c":
        op, x, y = S.swapped(op), y, x
    if y[0] == "c" and isinstance(y[1], float) and np.isnan(y[1]):
        return FALSE
    if y[0] == "p" and y[1] == x[1]:
        return ex(x[1]) if op in ("==", "<=", ">=") else FALSE
    leaves = {("ex", x[1]), (_OPS[op], x[1], y)}
    if y[0] == "p":
        leaves.add(("ex", y[1]))  # a `$m` reference to a missing property matches unpredictably
    return (frozenset(leaves),)


class PatternAlgebra(S.Algebra):
    """The operator table (vetting.engine.semantics) realised as normal forms over fact properties."""

    def compare(self, op: str, left: tuple, right: tuple) -> DNF:
        return rel(op, left, right)

    def missing(self, value: tuple) -> DNF:
        if value[0] == "p":
            return nex(value[1])
        return TRUE if isinstance(value[1], float) and np.isnan(value[1]) else FALSE

    def all(self, parts: Sequence[DNF]) -> DNF:
        return dnf_and(*parts)

    def any(self, parts: Sequence[DNF]) -> DNF:
        return dnf_or(*parts)


ALGEBRA = PatternAlgebra()

# ---------------------------------------------------------------- durable_rules JSON text


def key(prop: str) -> str:
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
        return '{"$%s": {%s: 1}}' % (leaf[0], key(leaf[1]))
    op, prop, (kind, value) = leaf
    rhs = '{"$m": %s}' % key(value) if kind == "p" else _value_text(value)
    if op == "eq":
        return "{%s: %s}" % (key(prop), rhs)
    return '{"$%s": {%s: %s}}' % (op, key(prop), rhs)


def _leaf_order(leaf: tuple) -> tuple:
    return (leaf[1], 0 if leaf[0] in ("ex", "nex") else 1, repr(leaf))


def pattern(term: frozenset) -> str:
    """One conjunction as a durable_rules rule body (the candidate marker always required)."""
    leaves = ['{"$ex": {%s: 1}}' % key(MARKER)] + [_leaf_json(leaf) for leaf in sorted(term, key=_leaf_order)]
    return '{"all": [{"m": {"$and": [%s]}}]}' % ", ".join(leaves)
