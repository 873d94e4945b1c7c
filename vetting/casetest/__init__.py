"""Regression cases for rule packs (`vet test`): candidates with expected verdicts, run through the engine.

A case file (``rulesets/tests/<pack>/*.yaml``) names a clean, valid person once under ``defaults``;
each case lists only what differs, the as-of date, the expected verdict and the rule codes that
must produce a finding (data checks V01–V05 included)::

    as_of: 2026-12-15
    defaults: {姓名: 测试人, 公民身份号码: "510525198006150116", 拟任职务: 村委会委员, ...}
    cases:
      - name: severe_warning_last_day
        rule: D01                     # the rule under test (pytest id, `pytest -k D01`)
        candidate: {党纪处分: 严重警告, 党纪处分日期: 2025-06-15}
        verdict: disqualified
        rules: [D01]                  # or {D01: disqualify} to check the severity too
        reason_contains: ["2026-12-15"]

The pack is the file's ``pack:`` key, else its directory name; a name is looked up beside the
test directory first (``<dir>/../../<pack>.yaml``), then among the shipped packs. ``include:``
runs another file's (or directory's) cases against this file's pack, with this file's
``defaults`` laid over theirs and its ``ignore`` codes left out of the comparison.

Every case is checked on each engine asked for (by default both, vector and durable_rules), and
a failure names the engine(s) that gave the wrong answer. Cases run in batches, one engine call per
as-of date (see `_batches`), since a durable_rules call starts worker processes.

Coverage: a rule is covered when some case makes it fire (a finding at the rule's own severity)
and some case, with every field the rule reads present and a role the rule applies to, gives no
finding from it, on every engine run.
"""

from vetting.casetest.cases import Case, Suite, load_suites, shipped_cases_dir
from vetting.casetest.run import Outcome, Run, SuiteReport, case_id, report_text, run_suite

__all__ = ["Case", "Outcome", "Run", "Suite", "SuiteReport", "case_id", "load_suites", "report_text", "run_suite",
           "shipped_cases_dir"]
