"""The condition language's syntax tree: immutable nodes, and walks over them that never recurse
deeper than the tree (the parser refuses trees deeper than condition.MAX_DEPTH)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Literal:
    value: object
    type: str  # number | string | bool | date


@dataclass(frozen=True)
class FieldRef:
    name: str


@dataclass(frozen=True)
class ParamRef:
    name: str
    index: "Node | None" = None


@dataclass(frozen=True)
class AsOf:
    pass


@dataclass(frozen=True)
class Unary:
    op: str
    operand: "Node"


@dataclass(frozen=True)
class Binary:
    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class InList:
    operand: "Node"
    items: tuple
    negate: bool


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple


@dataclass(frozen=True)
class Duration:
    amount: "Node"
    unit: str


Node = Union[Literal, FieldRef, ParamRef, AsOf, Unary, Binary, InList, Call, Duration]


def walk(node: object):
    """Every AST node, depth first, left to right (conditions are at most MAX_DEPTH deep)."""
    yield node
    if isinstance(node, (Unary, Binary, InList, Call, Duration, ParamRef)):
        for child in vars(node).values():
            for item in (child if isinstance(child, tuple) else (child,)):
                yield from walk(item)


def depth(node: object) -> int:
    """How deep an AST is, counted without recursion (it guards the recursive passes)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        part, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(part, (Unary, Binary, InList, Call, Duration, ParamRef)):
            for child in vars(part).values():
                stack.extend((item, level + 1) for item in (child if isinstance(child, tuple) else (child,))
                             if hasattr(item, "__dataclass_fields__"))
    return deepest
