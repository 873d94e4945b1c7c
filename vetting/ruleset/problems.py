"""Collecting a ruleset's problems instead of stopping at the first (like pandera's lazy validation):
each independent part - a rule, a parameter, a field, an agency, a pattern - is checked on its own,
a part with a structural error is set aside so that its siblings are still checked, and every
problem is raised at the end as one RulesetErrors naming each file, line and field."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from vetting.errors import RulesetError, RulesetErrors

T = TypeVar("T")

#: Top-level keys whose entries are independent parts (set aside one by one when broken).
_PARTS = ("rules", "group_rules", "parameters", "fields", "agencies")


class Problems:
    """The problems found so far, and the parts set aside (a broken parameter or field is not
    reported again through every rule that reads it)."""

    def __init__(self) -> None:
        self.errors: list[RulesetError] = []
        self.broken_params: set[str] = set()
        self.broken_fields: set[str] = set()

    def add(self, exc: RulesetError) -> None:
        """Keep a problem (each of a RulesetErrors), once."""
        for error in exc.errors if isinstance(exc, RulesetErrors) else [exc]:
            if all(e.message != error.message for e in self.errors):
                self.errors.append(error)

    def attempt(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`check(*args)`, or None when it raised a RulesetError (kept)."""
        try:
            return check(*args, **kwargs)
        except RulesetError as exc:
            self.add(exc)
            return None

    def raise_if_any(self) -> None:
        """Raise what was found: one error as itself, several as RulesetErrors (in file-line order)."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            ordered = sorted(self.errors, key=lambda e: (e.path or "", e.line or 0))
            raise RulesetErrors(ordered)


def set_aside(tree: dict, where: list, problems: Problems) -> None:
    """Remove the part of a parsed ruleset that a structural error at `where` (a schema path)
    lies in, so that the rest can still be compiled: a rule or slate rule becomes None in its
    list (keeping the other items' indexes and lines), a parameter, field or agency is dropped
    and remembered as broken, an opinion pattern becomes None, any other key is dropped."""
    if not where or not isinstance(tree, dict) or where[0] not in tree:
        return
    key = where[0]
    container = tree[key]
    if key in _PARTS and len(where) >= 2 and isinstance(container, (list, dict)):
        item = where[1]
        if isinstance(container, list) and isinstance(item, int) and item < len(container):
            container[item] = None
        elif isinstance(container, dict) and item in container:
            del container[item]
            if key == "parameters":
                problems.broken_params.add(str(item))
            elif key == "fields":
                problems.broken_fields.add(str(item))
        return
    if key == "opinions" and len(where) >= 3 and where[1] == "patterns" and isinstance(container, dict):
        patterns = container.get("patterns")
        if isinstance(patterns, list) and isinstance(where[2], int) and where[2] < len(patterns):
            patterns[where[2]] = None
            return
    if key == "opinions" and len(where) >= 2 and isinstance(container, dict):
        container.pop(where[1], None)
        return
    del tree[key]
