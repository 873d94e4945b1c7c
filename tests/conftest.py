"""Shared fixtures: a Click runner, paths to the demo fixtures, a tiny-ruleset factory, the shipped
pack cases run once per session on both engines, and the Hypothesis profiles.

Hypothesis profiles (VETTING_HYPOTHESIS_PROFILE): `default` (Hypothesis' own settings) or `long`,
which gives every property more examples; CI runs the `slow` properties with it:
    VETTING_HYPOTHESIS_PROFILE=long python -m pytest -q -m slow
"""

from __future__ import annotations

import functools
import os
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import settings

from vetting.casetest import Suite, SuiteReport, load_suites, run_suite
from vetting.ruleset.loader import load_ruleset

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

settings.register_profile("long", max_examples=150)
settings.load_profile(os.environ.get("VETTING_HYPOTHESIS_PROFILE", "default"))


@functools.lru_cache(maxsize=None)
def shipped_suites() -> tuple[Suite, ...]:
    """The checkout's pack cases (rulesets/tests), however vetting is installed; loaded once."""
    return tuple(load_suites([ROOT / "rulesets" / "tests"]))


@functools.lru_cache(maxsize=None)
def _shipped_report(index: int) -> SuiteReport:
    return run_suite(shipped_suites()[index])


@pytest.fixture(scope="session")
def shipped_report():
    """`shipped_report(i)`: suite i of `shipped_suites()` run once per session on both engines (one
    engine call per batch), shared by the per-case tests and the engine-agreement test."""
    return _shipped_report


@pytest.fixture(scope="session", autouse=True)
def _history_db_in_tmp(tmp_path_factory):
    """`vet run` records history; keep it out of the real user data directory in every test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VETTING_HISTORY_DB", str(tmp_path_factory.mktemp("history") / "history.sqlite3"))
        yield


@pytest.fixture(scope="session", autouse=True)
def _cache_in_tmp(tmp_path_factory):
    """The command line keeps loaded rulesets in the user cache directory (vetting.ruleset.cache);
    keep them out of the real one in every test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def national():
    """The national pack, loaded once per test module."""
    return load_ruleset("national")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def demo_expected() -> dict:
    return yaml.safe_load((FIXTURES / "demo_expected.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def make_ruleset(tmp_path):
    """Write a one-rule ruleset (plus optional parameters) and return its path."""

    def make(when: str, reason: str = "命中", severity: str = "disqualify", params: dict | None = None,
             roles: list | None = None, required: list | None = None) -> str:
        rule = {"code": "T01", "name": "测试规则", "category": "测试", "severity": severity,
                "when": when, "reason": reason, "basis": ["测试依据"]}
        if roles:
            rule["roles"] = roles
        data = {"id": "t", "title": "测试", "version": 1, "rules": [rule]}
        if params:
            data["parameters"] = {k: {"description": k, "value": v} for k, v in params.items()}
        if required is not None:
            data["required_fields"] = required
        path = tmp_path / f"rules_{abs(hash((when, reason, severity, str(params), str(roles))))}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return str(path)

    return make


def plain_findings(findings):
    """Findings with their shared columns (rule, name, severity, basis: categories) as plain text,
    to compare two runs' findings whatever categories each run's frame holds."""
    from vetting.engine.findings import SHARED_COLUMNS

    return findings.astype({c: "str" for c in SHARED_COLUMNS if c in findings})


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def generated(script: Path, into: Path, suffixes: tuple[str, ...]) -> dict[str, bytes]:
    """The files a fixture generator writes (those ending in `suffixes`, by path under its
    folder) when it writes into `into` instead of the shared fixtures folder: another test may be
    reading the committed files at the same moment (pytest -n), so they are never rewritten."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"fixture_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = into
    module.main()
    return {p.relative_to(into).as_posix(): p.read_bytes() for p in sorted(into.rglob("*")) if p.suffix in suffixes}


def committed(folder: Path, suffixes: tuple[str, ...]) -> dict[str, bytes]:
    """The committed fixture files under `folder` ending in `suffixes`, by path under it."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.suffix in suffixes}
