"""What every operator of the condition language means over intervals, defined once.

A value is an interval [lo, hi] (a month-precise date, an age from a year of birth); a
condition is *definitely true* when it holds for every point of its operands' intervals,
*definitely false* when it holds for none, and undecided otherwise. This module states, for
each operator, the two formulas over the operands' endpoints, as data:

    x < y     true: x.hi < y.lo                      false: x.lo >= y.hi
    x == y    true: x.lo == x.hi == y.lo == y.hi     false: x.hi < y.lo or y.hi < x.lo
    x in L    true: x exact and x.lo is listed       false: [x.lo, x.hi] lies in a gap of L
    within(d, p)  true: d.hi <= as_of <= d.lo + p.lo   false: d.lo > as_of, or d.hi + p.hi < as_of
    and / or / not: Kleene's strong three-valued logic

Both engines *realise* these formulas, never restate them: the vectorised engine over numpy
columns (vetting.engine.values), the durable_rules compiler into pattern conjunctions
(vetting.engine.durable.compiler). Formulas hold where both operands are known; an endpoint
comparison with a missing endpoint (NaN/NaT, an absent fact property) is never true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Mapping, Sequence, TypeVar

X = TypeVar("X")


@dataclass(frozen=True)
class End:
    """An endpoint: `lo`/`hi` of a named operand, or a named scalar (as_of, a window end)."""

    operand: str
    side: str = "lo"


@dataclass(frozen=True)
class Const:
    """A constant endpoint (a listed value)."""

    value: Any


@dataclass(frozen=True)
class Cmp:
    """One endpoint comparison, IEEE style: false when either side is missing."""

    op: str
    left: End | Const
    right: End | Const


@dataclass(frozen=True)
class All:
    parts: tuple


@dataclass(frozen=True)
class Any_:
    parts: tuple


@dataclass(frozen=True)
class Not:
    """Negation of a formula; a comparison's negation also holds where an endpoint is missing."""

    part: Any


Formula = Cmp | All | Any_ | Not


@dataclass(frozen=True)
class Outcome:
    """When an operator is definitely true and when definitely false (over known operands)."""

    true: Formula
    false: Formula


A_LO, A_HI, B_LO, B_HI = End("a", "lo"), End("a", "hi"), End("b", "lo"), End("b", "hi")
_SWAP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}

_EQUAL = Outcome(All((Cmp("==", A_LO, A_HI), Cmp("==", B_LO, B_HI), Cmp("==", A_LO, B_LO))),
                 Any_((Cmp("<", A_HI, B_LO), Cmp("<", B_HI, A_LO))))

#: Comparisons of numbers, dates and durations (intervals).
INTERVAL_COMPARISON: dict[str, Outcome] = {
    "<": Outcome(Cmp("<", A_HI, B_LO), Cmp(">=", A_LO, B_HI)),
    "<=": Outcome(Cmp("<=", A_HI, B_LO), Cmp(">", A_LO, B_HI)),
    ">": Outcome(Cmp(">", A_LO, B_HI), Cmp("<=", A_HI, B_LO)),
    ">=": Outcome(Cmp(">=", A_LO, B_HI), Cmp("<", A_HI, B_LO)),
    "==": _EQUAL,
    "!=": Outcome(_EQUAL.false, _EQUAL.true),
}
#: Comparisons of texts and flags (exact values).
EXACT_COMPARISON: dict[str, Outcome] = {
    "==": Outcome(Cmp("==", A_LO, B_LO), Cmp("!=", A_LO, B_LO)),
    "!=": Outcome(Cmp("!=", A_LO, B_LO), Cmp("==", A_LO, B_LO)),
}

DATE, AS_OF, EARLY_END, LATE_END = "date", End("as_of"), End("early_end"), End("late_end")
_WITHIN_TRUE = All((Cmp("<=", End(DATE, "hi"), AS_OF), Cmp(">=", EARLY_END, AS_OF)))
#: within(date, period): the as-of date is on or after the date and on or before date + period.
#: The window ends (early_end = date.lo + period.lo, late_end = date.hi + period.hi) come from
#: civil-law month arithmetic, which need not keep early <= late for absurd periods: true wins.
WITHIN = Outcome(_WITHIN_TRUE,
                 Any_((Cmp(">", End(DATE, "lo"), AS_OF), All((Cmp("<", LATE_END, AS_OF), Not(_WITHIN_TRUE))))))


def comparison(op: str, exact: bool) -> Outcome:
    """The outcome of `a op b`; `exact` for texts and flags."""
    return (EXACT_COMPARISON if exact else INTERVAL_COMPARISON)[op]


def membership(items: Sequence[Any], exact: bool) -> Outcome:
    """`a in [items]`: for texts and flags, equal to one of them; for intervals, true only when
    the value is exact and listed, false when no listed value lies inside [lo, hi] (the interval
    sits in a gap between the sorted listed values)."""
    if exact:
        return Outcome(Any_(tuple(Cmp("==", A_LO, Const(v)) for v in items)),
                       All(tuple(Cmp("!=", A_LO, Const(v)) for v in items)))
    listed = Any_(tuple(Cmp("==", A_LO, Const(v)) for v in items))
    ordered = sorted(set(items))
    if not ordered:
        return Outcome(Any_(()), All(()))
    gaps = [Cmp("<", A_HI, Const(ordered[0]))]
    gaps += [All((Cmp(">", A_LO, Const(x)), Cmp("<", A_HI, Const(y)))) for x, y in zip(ordered, ordered[1:])]
    gaps.append(Cmp(">", A_LO, Const(ordered[-1])))
    return Outcome(All((Cmp("==", A_LO, A_HI), listed)), Any_(tuple(gaps)))


def swapped(op: str) -> str:
    """The operator with its operands exchanged (`x < y` is `y > x`)."""
    return _SWAP[op]


class Algebra(Generic[X]):
    """How an engine represents endpoint comparisons and their combinations."""

    def compare(self, op: str, left: Any, right: Any) -> X:
        raise NotImplementedError

    def missing(self, value: Any) -> X:
        """Where an endpoint value is missing (its comparisons are all false)."""
        raise NotImplementedError

    def all(self, parts: Sequence[X]) -> X:
        raise NotImplementedError

    def any(self, parts: Sequence[X]) -> X:
        raise NotImplementedError


def realise(formula: Formula, ends: Mapping[End, Any], algebra: Algebra[X],
            constant: Callable[[Any], Any] = lambda v: v) -> X:
    """A formula in an engine's terms: `ends` gives each endpoint's engine value, `constant`
    turns a listed value into one."""

    def value(end: End | Const) -> Any:
        return constant(end.value) if isinstance(end, Const) else ends[end]

    def walk(node: Formula, negate: bool) -> X:
        if isinstance(node, Not):
            return walk(node.part, not negate)
        if isinstance(node, (All, Any_)):
            parts = [walk(p, negate) for p in node.parts]
            return algebra.all(parts) if isinstance(node, All) != negate else algebra.any(parts)
        left, right = value(node.left), value(node.right)
        if not negate:
            return algebra.compare(node.op, left, right)
        return algebra.any([algebra.compare(NEGATED[node.op], left, right),
                            algebra.missing(left), algebra.missing(right)])

    return walk(formula, False)


def operand_ends(**operands: tuple[Any, Any]) -> dict[End, Any]:
    """{End: value} for operands given as name=(lo, hi)."""
    return {End(name, side): value for name, (lo, hi) in operands.items()
            for side, value in (("lo", lo), ("hi", hi))}


# ---------------------------------------------------------------- Kleene logic

def kleene_and(a: tuple[X, X], b: tuple[X, X], algebra: Algebra[X]) -> tuple[X, X]:
    """(true, false) of `a and b` from the operands' (true, false)."""
    return algebra.all([a[0], b[0]]), algebra.any([a[1], b[1]])


def kleene_or(a: tuple[X, X], b: tuple[X, X], algebra: Algebra[X]) -> tuple[X, X]:
    """(true, false) of `a or b`."""
    return algebra.any([a[0], b[0]]), algebra.all([a[1], b[1]])


def kleene_not(a: tuple[X, X]) -> tuple[X, X]:
    """(true, false) of `not a`."""
    return a[1], a[0]


def presence(known: X, missing: X, present: bool) -> tuple[X, X]:
    """(true, false) of present(x) / blank(x): always decided."""
    return (known, missing) if present else (missing, known)
