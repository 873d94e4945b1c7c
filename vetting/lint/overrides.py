"""`extends` overrides that change nothing (pure over the files as written): a rule override whose
every key equals the parent's, a parameter, field or agency written exactly as the parent has it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from vetting.lint.checks import Problem
from vetting.ruleset.yamlsafe import line_of


def no_op_overrides(chain: list, parent_sources: Callable[[Path], dict]) -> Iterator[Problem]:
    """For each file of the chain that extends another, the overrides that leave the parent as it was.
    `parent_sources(path)` gives the merged raw pack of the parent file (see loader.pack_sources)."""
    for (parent, _, _), (path, _, tree) in zip(chain, chain[1:]):
        merged = parent_sources(parent)
        shown = str(path)
        for key in ("rules", "group_rules"):
            by_code = {r["code"]: r for r in merged[key]}
            for index, spec in enumerate(tree.get(key) or []):
                old = by_code.get(spec["code"])
                if old is None:
                    continue
                changes = {k: v for k, v in spec.items() if k != "code" and old.get(k, _MISSING) != v}
                if not changes:
                    yield Problem("no-op-override", shown, line_of(tree[key], index), spec["code"],
                                  "覆盖的每一项都与上级规则集相同（或只写了 code），删去此项不改变任何结论")
        for key, label in (("parameters", "参数"), ("fields", "字段"), ("agencies", "联审部门")):
            for name, spec in (tree.get(key) or {}).items():
                if name not in merged[key]:
                    continue
                old = merged[key][name][0]
                same = {**old, **spec} == old if key == "agencies" else dict(spec) == dict(old)
                if same:
                    subject = f"${name}" if key == "parameters" else name
                    yield Problem("no-op-override", shown, line_of(tree[key], name), subject,
                                  f"此{label}与上级规则集中的完全相同，删去它不改变任何内容")


_MISSING = object()
