"""`vet rules validate` collects every error before exiting: several per file (each rule's condition,
reason and roles, each parameter, each field) and several files, each with file:line; a parameter
or field that is broken is not reported again through the rules that read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vetting.cli import cli
from vetting.errors import RulesetErrors
from vetting.ruleset.loader import load_ruleset

ERRORS = Path(__file__).parent / "ruleset_lazy"
MANY = [
    (8, "fields.my_flag.type", "flagg"),
    (14, "parameters.big.value", "5000"),
    (21, "rules[0].when", "未定义的参数「$nope」"),
    (27, "rules[1].severity", "fatal"),
    (35, "rules[2].when", "记大过"),
    (36, "rules[2].reason", "unknown_field"),
    (37, "rules[2].roles", "村长"),
]


def test_every_independent_error_of_a_file_is_collected():
    with pytest.raises(RulesetErrors) as info:
        load_ruleset(str(ERRORS / "many_errors.yaml"))
    got = [(e.line, e.field, e.detail) for e in info.value.errors]
    assert [(line, field) for line, field, _ in got] == [(line, field) for line, field, _ in MANY]
    for (_, _, detail), (_, _, fragment) in zip(got, MANY):
        assert fragment in detail
    assert "my_flag" not in " ".join(d for _, f, d in got if f and f.startswith("rules"))  # X04: no echo


def test_validate_reports_every_file_and_every_error_in_one_run(runner):
    result = runner.invoke(cli, ["rules", "validate", str(ERRORS / "many_errors.yaml"),
                                 str(ERRORS / "child_errors.yaml"), "national"])
    assert result.exit_code == 2
    out = result.output
    assert "national：有效" in out
    assert "共 9 处错误" in out
    for line, field, _ in MANY:
        assert f"many_errors.yaml:{line}: {field}:" in out
    assert "child_errors.yaml:8: parameters.detention_lookback_months.value:" in out
    assert "child_errors.yaml:12: rules[0].severity:" in out
    assert "Traceback" not in out


def test_one_error_is_reported_as_before(runner):
    result = runner.invoke(cli, ["rules", "validate", str(ERRORS.parent / "ruleset_errors" / "unknown_field.yaml")])
    assert result.exit_code == 2 and "处错误" not in result.output and "未知字段「agee」" in result.output
