"""`vet rules lint`: a pack seeded with one instance of each defect gets every defect reported in one
run (fixtures/lint/defects.yaml), each with file:line; the shipped packs lint clean; exit codes 0/1/2;
JSON; the condition analysis behind never-fires."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES
from vetting.cli import cli
from vetting.fields import builtin_fields
from vetting.lint import lint_pack
from vetting.lint.checks import local_unmarked, missing_keys, never_firing, no_basis, shadowed, unused_parameters
from vetting.lint.never import never_fires
from vetting.lint.overrides import no_op_overrides
from vetting.ruleset import condition as cond
from vetting.ruleset.loader import bundled_packs, load_ruleset, pack_sources

DEFECTS = FIXTURES / "lint" / "defects.yaml"
EXPECTED = {
    ("no-op-override", "$min_age", 10), ("unused-parameter", "$spare_months", 16),
    ("missing-key", "$warn_months", 22), ("local-unmarked", "$lookback_months", 28),
    ("no-op-override", "B01", 35), ("never-fires", "L01", 43), ("no-firing-case", "L01", 43),
    ("never-fires", "L02", 54), ("no-firing-case", "L02", 54), ("no-passing-case", "L02", 54),
    ("shadowed", "L03", 63), ("no-basis", "L06", 87), ("local-unmarked", "L07", 96),
    ("reviewable-needless", "L08", 106), ("no-firing-case", "L09", 115), ("no-passing-case", "L10", 124),
}


def test_every_seeded_defect_is_reported_once_with_its_line():
    _, problems = lint_pack(str(DEFECTS))
    assert {(p.check, p.subject, p.line) for p in problems} == EXPECTED
    assert len(problems) == len(EXPECTED)
    assert all(p.file.endswith("defects.yaml") for p in problems)
    missing = next(p for p in problems if p.check == "missing-key")
    assert "撤销党内职务" in missing.message and "L05" in missing.message


def test_cli_exit_codes_and_json(runner):
    result = runner.invoke(cli, ["rules", "lint", str(DEFECTS), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["problem_count"] == len(EXPECTED) and data["invalid"] == []
    assert {p["check"] for p in data["packs"][0]["problems"]} == {c for c, _, _ in EXPECTED}
    text = runner.invoke(cli, ["rules", "lint", str(DEFECTS)])
    assert text.exit_code == 1 and "defects.yaml:43: [never-fires] L01：" in text.output
    invalid = runner.invoke(cli, ["rules", "lint", str(FIXTURES.parent / "tests" / "ruleset_lazy" / "child_errors.yaml")])
    assert invalid.exit_code == 2 and "共 2 处错误" in invalid.output


def test_a_shipped_pack_lints_clean_through_the_cli(runner):
    result = runner.invoke(cli, ["rules", "lint", "zhejiang-shangyu-2013"])
    assert result.exit_code == 0, result.output
    assert "没有发现问题" in result.output


@pytest.mark.parametrize("pack", sorted(bundled_packs()))
def test_every_shipped_pack_lints_clean(pack):
    """The checks of the pack itself (its cases: next test)."""
    ruleset = load_ruleset(pack)
    merged, chain = pack_sources(pack)
    problems = [*never_firing(ruleset), *shadowed(ruleset), *unused_parameters(ruleset, merged),
                *missing_keys(ruleset, merged), *no_basis(ruleset), *local_unmarked(ruleset, merged),
                *no_op_overrides(chain, lambda parent: pack_sources(str(parent))[0])]
    assert [p.text() for p in problems] == []


@pytest.mark.xdist_group("shipped")
def test_shipped_pack_cases_fire_and_pass_every_rule(shipped_report):
    from conftest import shipped_suites
    for index, _ in enumerate(shipped_suites()):
        report = shipped_report(index)
        assert (report.ruleset.id, report.never_fired, report.never_passed) == (report.ruleset.id, [], [])


@pytest.mark.parametrize("when, roles, never", [
    ("age < 18 and age > 60", (), True),
    ("age < 18 or age > 60", (), False),
    ("age > 200", (), True),
    ("education > 6", (), True),
    ("not (age >= 18) and age >= 18", (), True),
    ('party_sanction == "警告" and party_sanction == "严重警告"', (), True),
    ('party_sanction in ["警告", "严重警告"] and party_sanction not in ["警告", "严重警告"]', (), True),
    ('party_sanction != "无" and party_sanction in ["警告"]', (), False),
    ("dishonest_debtor == true and dishonest_debtor == false", (), True),
    ("blank(party_sanction_date) and within(party_sanction_date, 12 months)", (), False),
    ('blank(party_sanction) and party_sanction == "警告"', (), True),
    ('role == "村委会委员"', ("党组织书记",), True),
    ('role == "书记兼主任"', ("党组织书记",), False),
    ("age < $min_age and age > 60", (), True),
])
def test_never_fires(when, roles, never):
    fields = builtin_fields()
    params = load_ruleset("national").parameters
    node = cond.parse_condition(when)
    assert bool(never_fires(node, fields, params, roles)) is never
