"""The shape of the house: data flows one way between the stages (no import cycle between packages,
no stage importing a later one), only the CLI talks to Click, no module grows past ~500 lines, and
test hooks stay out of production code."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "vetting"
MAX_LINES = 500
#: Each stage may import only from the stages before it (and from the shared base modules).
STAGES = ["ruleset", "inputs", "normalize", "joint", "engine", "reports"]
#: Modules every stage may read: vocabulary, field catalogue, errors, privacy, result shapes, text helpers.
BASE = {"errors", "vocab", "fields", "privacy", "result", "datachecks", "atomic", "textsafe", "textbytes", "objarrays",
        "reviewcode"}


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
            for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every vetting module a file imports, at any depth (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("vetting")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vetting"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _unit(module: str) -> str:
    """The package or top-level module a module belongs to: vetting.engine.durable.host -> engine."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "vetting"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(path):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and _unit(target) != _unit(name) and _unit(target) != "vetting":
                graph[_unit(name)].add(_unit(target))
    return graph


def test_no_import_cycle_between_packages():
    graph = _graph()
    cycles = []

    def reach(start: str, node: str, path: list[str], seen: set[str]) -> None:
        for nxt in graph.get(node, ()):
            if nxt == start:
                cycles.append(" -> ".join([*path, nxt]))
            elif nxt not in seen:
                seen.add(nxt)
                reach(start, nxt, [*path, nxt], seen)

    for unit in list(graph):
        reach(unit, unit, [unit], {unit})
    assert not cycles, cycles


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_earlier_stages_and_the_base(stage):
    allowed = BASE | set(STAGES[:STAGES.index(stage) + 1])
    assert not _graph().get(stage, set()) - allowed


def test_only_the_cli_imports_click():
    users = [name for name, path in _modules().items()
             if any(n == "click" or n.startswith("click.") for n in _third_party(path))]
    assert users and all(name.startswith("vetting.cli") for name in users), users


def _third_party(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_module_is_too_long():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long


def test_production_code_reads_no_test_hook():
    """The environment variables production code reads are the documented ones (no test hooks)."""
    read = set()
    for path in _modules().values():
        read |= set(re.findall(r"""environ(?:\.get\(|\[)\s*["']([A-Z_]+)["']""", path.read_text(encoding="utf-8")))
        read |= set(re.findall(r"""getenv\(\s*["']([A-Z_]+)["']""", path.read_text(encoding="utf-8")))
    assert read <= {"VETTING_HISTORY_DB", "VETTING_DEBUG"}, read
