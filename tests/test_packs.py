"""The shipped rule packs: each loads, validates, documents its rules and passes its own cases on
both engines, and the cases catch a wrong age or a short look-back in the derivation both engines share.

Every case in rulesets/tests/<pack>/*.yaml is one test with an id like
`D01-national-severe_warning_last_day`, so `pytest -k D01` runs one rule's cases in every pack.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import shipped_suites
from vetting.casetest import Suite, case_id, run_suite
from vetting.cli import cli
from vetting.engine import derive, values
from vetting.pipeline import ENGINES, vet_files
from vetting.ruleset.loader import bundled_packs, load_ruleset

ROOT = Path(__file__).resolve().parents[1]
PACKS = ("national", "reserve", "zhejiang-shangyu-2013", "county-template")
AS_OF = dt.date(2026, 12, 15)
SUITES = shipped_suites()
CASES = [(i, j) for i, suite in enumerate(SUITES) for j in range(len(suite.cases))]


@pytest.mark.xdist_group("shipped")
@pytest.mark.parametrize("where", CASES, ids=[case_id(SUITES[i].cases[j], SUITES[i].ruleset) for i, j in CASES])
def test_case(shipped_report, where):
    i, j = where
    report = shipped_report(i)
    case = SUITES[i].cases[j]
    outcomes = [o for o in report.outcomes if o.case is case]
    assert [o.engine for o in outcomes] == list(ENGINES)
    assert all(o.ok for o in outcomes), "\n".join(o.message() for o in outcomes if not o.ok)


@pytest.mark.xdist_group("shipped")
@pytest.mark.parametrize("pack", PACKS)
def test_pack_is_shipped_validates_and_has_full_case_coverage(runner, shipped_report, pack):
    assert pack in bundled_packs()
    result = runner.invoke(cli, ["rules", "validate", str(bundled_packs()[pack])])
    assert result.exit_code == 0 and "有效" in result.output, result.output
    index = next(i for i, s in enumerate(SUITES) if s.ruleset.id == pack)
    report = shipped_report(index)
    assert report.engines == ENGINES and len(report.cases) >= 2 * len(report.ruleset.rules)
    assert report.never_fired == [] and report.never_passed == [], (report.never_fired, report.never_passed)


def test_case_ids_select_one_rule():
    ids = {case_id(SUITES[i].cases[j], SUITES[i].ruleset) for i, j in CASES}
    assert "D01-national-severe_warning_last_day" in ids
    assert "D01-national-severe_warning_day_after" in ids
    assert "C01-zhejiang-shangyu-2013-c01_released_5_years_day_after" in ids
    assert {s.ruleset.id for s in SUITES} == set(PACKS)


@pytest.mark.parametrize("pack", PACKS)
def test_every_rule_is_complete_and_reasons_carry_values(pack):
    rules = load_ruleset(pack)
    for rule in rules.rules:
        assert rule.code and rule.name and rule.category and rule.basis and rule.reason_text, rule.code
        assert rule.severity in ("disqualify", "unsuitable", "review", "notice")
        valued = [f for f in rule.fields if rules.fields[f].type not in ("flag",)]
        if valued or rule.params:
            assert any(not isinstance(part, str) for part in rule.reason), f"{pack} {rule.code}：理由应写出实际值"


def _raw(pack: str) -> dict:
    return yaml.safe_load(bundled_packs()[pack].read_text(encoding="utf-8"))


@pytest.mark.parametrize("pack", ["reserve", "county-template"])
def test_local_choices_are_marked_local_with_a_source_or_note(pack):
    params = _raw(pack)["parameters"]
    assert params
    for name, spec in params.items():
        assert spec.get("local") is True, f"{pack} ${name} 应标为 local"
        assert spec.get("reference") and spec.get("note"), f"{pack} ${name} 应写明出处和说明"


def test_shangyu_cites_the_document_in_every_rule_and_marks_its_look_backs_local():
    rules = load_ruleset("zhejiang-shangyu-2013")
    assert rules.chain == (str(bundled_packs()["zhejiang-shangyu-2013"]),)  # extends nothing
    for rule in rules.rules:
        assert any("虞政发〔2013〕72号" in b.text for b in rule.basis), rule.code
    for name in ("criminal_lookback_months", "gang_lookback_months", "family_planning_lookback_months"):
        assert rules.parameters[name].local
    assert rules.parameters["criminal_lookback_months"].at(dt.date(2026, 12, 15)) == 60
    assert "slate" in rules.rule("K01").note  # the per-person flag stands in for the cross-candidate rule


def test_national_periods_match_the_issue():
    params = load_ruleset("national").params_at(dt.date(2026, 12, 15))
    assert params["party_sanction_months"] == {"警告": 12, "严重警告": 18, "撤销党内职务": 24, "开除党籍": 60}
    assert params["gov_sanction_months"] == {"警告": 6, "记过": 12, "记大过": 18, "降级": 24, "撤职": 24,
                                             "开除": float("inf")}
    assert "probation_default_months" not in params  # an unstated 留党察看 period is never assumed
    assert (params["probation_min_months"], params["probation_max_months"], params["after_probation_months"]) \
        == (12, 24, 24)
    assert (params["detention_lookback_months"], params["petition_lookback_months"],
            params["unqualified_member_lookback_months"]) == (60, 36, 36)


# ---------------------------------------------------------------- the demo roster under each pack

@functools.lru_cache(maxsize=None)
def _demo(pack: str) -> dict:
    result = vet_files([str(ROOT / "fixtures" / "demo_roster.xlsx")], load_ruleset(pack), dt.date(2026, 12, 15))
    out = {}
    for row in result.candidates.itertuples():
        found = result.findings[result.findings["row_id"] == row.row_id]
        out[row.name] = (row.verdict, dict(zip(found["rule"], found["severity"])),
                         dict(zip(found["rule"], found["reason"])))
    return out


def test_demo_roster_verdicts_differ_where_the_packs_differ():
    national, shangyu = _demo("national"), _demo("zhejiang-shangyu-2013")
    # 2009 有期徒刑: no time limit nationally; Shangyu needs the release date (5-year look-back).
    assert national["赵军"][0] == "disqualified" and national["赵军"][1]["C01"] == "disqualify"
    assert shangyu["赵军"][0] == "pending" and shangyu["赵军"][1]["C01"] == "pending"
    assert "刑罚执行完毕日期" in shangyu["赵军"][2]["C01"]
    # 政务处分 and 失信被执行人 are national items only (失信: 不能 while listed, as the local lists naming it say).
    assert national["吴静"][0] == "disqualified" and "D03" not in shangyu["吴静"][1]
    assert national["徐涛"][0] == "disqualified" and "S01" not in shangyu["徐涛"][1]
    # 2025.10 闹事: unsuitable under both (3-year window nationally, no limit in Shangyu).
    assert national["宋家豪"][1]["S02"] == shangyu["宋家豪"][1]["S02"] == "unsuitable"
    # Same party-discipline period in both.
    assert national["黄婷"][0] == shangyu["黄婷"][0] == "disqualified"


def test_demo_roster_under_reserve_and_county_template():
    national, reserve, county = _demo("national"), _demo("reserve"), _demo("county-template")
    # The reserve pack adds notices for reserves only; verdicts stay those of the national list.
    assert {n: v[0] for n, v in reserve.items()} == {n: v[0] for n, v in national.items()}
    assert reserve["陈明"][1] == {"R04": "notice"} and national["陈明"][1] == {}
    assert "R04" not in reserve["王志强"][1]  # a committee candidate, not a reserve
    # The county template: a 54-year-old secretary-and-chair may be new to the post → pending P01.
    assert national["张建华"][0] == "pass" and county["张建华"][0] == "pending"
    assert county["张建华"][1]["P01"] == "pending"


# ---------------------------------------------------------------- a broken rule change is caught

def _copy_pack(tmp_path: Path, pack: str) -> Path:
    root = tmp_path / "rulesets"
    (root / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets" / f"{pack}.yaml", root / f"{pack}.yaml")
    shutil.copytree(ROOT / "rulesets" / "tests" / pack, root / "tests" / pack)
    return root


def test_shortening_a_look_back_by_a_month_fails_a_named_case(runner, tmp_path):
    root = _copy_pack(tmp_path, "national")
    pack = root / "national.yaml"
    text = pack.read_text(encoding="utf-8")
    assert text.count("严重警告: 18") == 1
    pack.write_text(text.replace("严重警告: 18", "严重警告: 17"), encoding="utf-8")
    broken = runner.invoke(cli, ["test", str(root / "tests" / "national"), "--engine", "vector"])
    assert broken.exit_code == 1, broken.output
    failed = [line for line in broken.output.splitlines() if line.strip().startswith("失败 ")]
    assert any("discipline.yaml: severe_warning_last_day: 预期 disqualified [D01]，实际 pass []" in line
               and line.endswith("（引擎：vector）") for line in failed), broken.output
    assert all("D01" in line or "severe_warning" in line for line in failed), failed


# ---------------------------------------------------------------- a bug both engines share is caught

def _age_one_day_late(age_on):
    """Ages as if the as-of date were the day before: the 18th birthday itself still counts as 17."""
    return lambda birth, as_of: age_on(birth, as_of - dt.timedelta(days=1))


def _windows_one_month_short(add_months):
    """Every month step one month shorter: a 18-month look-back ends after 17 months."""
    def short(dates, months):
        months = np.asarray(months, dtype=float)
        return add_months(dates, np.where(np.isfinite(months), months - np.sign(months), months))
    return short


@pytest.mark.parametrize("module,name,mutate,rules", [
    (derive, "age_on", _age_one_day_late, {"A01"}),
    (values, "add_months", _windows_one_month_short,
     {"D01", "D02", "D03", "D05", "C01", "C05", "C06", "C07", "S02", "S07", "A07", "O01"}),
], ids=["age_one_day_late", "look_back_one_month_short"])
def test_shipped_cases_catch_a_wrong_shared_derivation_on_both_engines(monkeypatch, module, name, mutate, rules):
    """Both engines read ages and window ends from the same precomputation (the durable engine builds
    its facts in this process, with the vectorised engine's Evaluator), so engine agreement cannot
    catch a mistake there; the pack cases' expected verdicts must. The national cases of the files'
    as-of date (all but the few that need a date of their own; one batch, one call per engine) run
    on both engines with the derivation made wrong, and each engine must fail cases of the rules it breaks."""
    monkeypatch.setattr(module, name, mutate(getattr(module, name)))
    [national] = [s for s in SUITES if s.ruleset.id == "national"]
    main = [c for c in national.cases if c.as_of == AS_OF]
    assert len(main) >= len(national.cases) - 6
    report = run_suite(Suite(national.ruleset, main))
    assert len(report.runs) == 1
    for engine in ENGINES:
        failed = [o for o in report.failures if o.engine == engine]
        assert failed, f"{name} 出错后，{engine} 引擎上所有案例仍然通过"
        assert {code for o in failed for code in o.case.subjects} <= rules, [o.message() for o in failed]
        assert any(o.case.name.startswith("a01_18th_birthday") or o.case.name.endswith("_last_day")
                   for o in failed), [o.message() for o in failed]
    lines = report.failure_lines()
    assert any(line.endswith("（引擎：vector、durable）") for line in lines), lines
