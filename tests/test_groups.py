"""Rules across candidates: duplicates across rosters, relatives on a slate, per-village counts, in every format."""

from __future__ import annotations

import csv
import io
import json
import re

import openpyxl
import pytest

from conftest import FIXTURES, committed, generated
from vetting.cli import cli

GROUPS = FIXTURES / "groups"
ROSTERS = [str(GROUPS / "slate_roster.csv"), str(GROUPS / "late_roster.csv")]
ARGS = ["--as-of", "2026-12-15", "--no-history", "--ruleset", "reserve"]


@pytest.fixture
def report(runner, tmp_path):
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["run", *ROSTERS, *ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _findings(report, name):
    return {f["rule"]: f for c in report["candidates"] if c["name"] == name for f in c["findings"]}


def test_duplicate_person_is_flagged_on_every_occurrence(report):
    occurrences = [c for c in report["candidates"] if c["name"] == "李强"]
    assert len(occurrences) == 2
    for c in occurrences:
        g01 = next(f for f in c["findings"] if f["rule"] == "G01")
        other = "late_roster.csv 第2行" if c["file"] == "slate_roster.csv" else "slate_roster.csv 第8行"
        assert other in g01["reason"]


def test_married_couple_and_same_household_on_one_slate(report):
    assert "马建国" in _findings(report, "马秀兰")["G02"]["reason"]
    assert "马秀兰" in _findings(report, "马建国")["G02"]["reason"]
    assert "同户" in _findings(report, "李明")["G02"]["reason"]
    assert "G02" not in _findings(report, "马建军")


def test_village_findings_belong_to_the_village(report):
    villages = {(v["village"], v["rule"]): v for v in report["villages"]}
    assert ("西村", "G03") in villages and ("东村", "G03") not in villages
    assert "李强" in villages[("西村", "G03")]["evidence"]
    assert ("西村", "R01") in villages and "0人" in villages[("西村", "R01")]["reason"]
    assert ("东村", "R01") not in villages
    summary = {g["rule"]: g for g in report["meta"]["group_summary"]}
    assert summary["R01"]["villages"] == 2 and summary["R01"]["meeting"] == 1
    assert summary["R01"]["listed"] == ["花马池镇西村"]


def test_every_format_shows_the_group_findings(runner, tmp_path):
    csv_out, xlsx_out = tmp_path / "r.csv", tmp_path / "r.xlsx"
    assert runner.invoke(cli, ["run", *ROSTERS, *ARGS, "-o", str(csv_out)]).exit_code == 0
    assert runner.invoke(cli, ["run", *ROSTERS, *ARGS, "-o", str(xlsx_out)]).exit_code == 0
    main = csv_out.read_text(encoding="utf-8-sig")
    assert "G01" in main and "G02" in main
    villages = list(csv.reader(io.StringIO((tmp_path / "r.villages.csv").read_text(encoding="utf-8-sig"))))
    assert {(row[1], row[2]) for row in villages[1:]} >= {("西村", "G03"), ("西村", "R01")}
    book = openpyxl.load_workbook(xlsx_out)
    village_sheet = [row for row in book["村级问题"].iter_rows(values_only=True)]
    assert any(row[2] == "西村" and row[3] == "R01" for row in village_sheet)
    findings = [row for row in book["问题清单"].iter_rows(values_only=True)]
    assert any("G02" in row for row in findings) and any("G01" in row for row in findings)
    assert any("村级达标" == row[0] for row in book["说明"].iter_rows(values_only=True))


def test_fixture_script_reproduces_files(tmp_path):
    assert generated(GROUPS / "make_groups.py", tmp_path, (".csv",)) == committed(GROUPS, (".csv",))


def _valid(first17: str) -> str:
    from vetting.normalize.idcard import check_char
    return first17 + check_char(first17)


def test_relation_written_before_the_name_and_repeat_counts_once():
    import datetime as dt

    from vetting.pipeline import vet_records
    from vetting.ruleset.loader import load_ruleset
    people = [
        {"姓名": "张一", "性别": "男", "拟任职务": "村委会主任", "亲属关系": "配偶：张二"},
        {"姓名": "张二", "性别": "女", "拟任职务": "村委会委员"},
        {"姓名": "张三", "性别": "男", "拟任职务": "村委会委员"},
    ]
    records = [{**p, "公民身份号码": _valid(f"64032319800101{i:03d}"), "乡镇(街道)": "镇", "村(社区)": "北村"}
               for i, p in enumerate(people, 1)]
    records.append(dict(records[2]))  # 张三 listed twice: still three people on the slate
    result = vet_records(records, load_ruleset("national"), dt.date(2026, 12, 15))
    relatives = result.findings[result.findings["rule"] == "G02"]
    assert set(relatives["row_id"]) == {0, 1}
    assert not ((result.villages["rule"] == "G05") & (result.villages["village"] == "北村")).any()


# ---------------------------------------------------------------- statutory slate rules (组织法第六条、第十五条、第三十二条)

STATUTORY = str(GROUPS / "statutory_roster.csv")


@pytest.fixture(scope="module")
def statutory():
    import datetime as dt

    from vetting.pipeline import vet_records
    from vetting.ruleset.loader import load_ruleset
    with open(STATUTORY, encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    return vet_records(records, load_ruleset("national"), dt.date(2026, 12, 15))


def _village_findings(result, rule):
    rows = result.villages[result.villages["rule"] == rule]
    return {v: (s, r) for v, s, r in zip(rows["village"], rows["severity"], rows["reason"])}


def _person_findings(result, rule):
    rows = result.findings[result.findings["rule"] == rule]
    return {int(r): why for r, why in zip(rows["row_id"], rows["reason"])}


def test_supervisory_candidates_related_to_committee_candidates(statutory):
    g06 = _person_findings(statutory, "G06")
    assert set(g06) == {3, 4, 5}    # 苏梅 (declared husband), 马成 (same household), 马德 (the same person)
    assert "马林" in g06[3] and "申报为其丈夫" in g06[3] and "村务监督机构成员" in g06[3]
    assert "同户" in g06[4]
    assert g06[5].startswith("本人（同一公民身份号码）同时是本村村委会委员人选：马德")
    # 王平's wife 王静 stands for the party committee only; the committee members themselves are not flagged
    assert 7 not in g06 and not {0, 1, 2} & set(g06)


def test_slate_compared_with_the_seats_a_village_declares(statutory):
    g05 = _village_findings(statutory, "G05")
    assert g05["北村"] == ("review", "花马池镇北村：村委会人选3人，不多于应选村委会职数3人，无法差额选举")
    assert "南村" not in g05                                   # 6 candidates for 5 seats (declared on one row)
    assert g05["中村"][0] == "review" and "各行填报不一致（5、7人）" in g05["中村"][1]
    assert g05["东村"] == ("review", "花马池镇东村：村委会人选2人，少于村民委员会最少职数3人")
    assert g05["西村"][0] == "notice" and "未填报村委会职数" in g05["西村"][1]  # unknown seats: said, not flagged
    assert g05["高村"][0] == "review" and "不在3至7人之间" in g05["高村"][1]
    summary = next(s for s in statutory.group_summary if s["rule"] == "G05")
    assert (summary["meeting"], summary["below_or_above"], summary["undetermined"]) == (1, 4, 1)
    assert "note" not in summary


def test_two_committee_members_count_on_the_committee_slate(statutory):
    assert "南村" not in _village_findings(statutory, "G03")     # its women stand as 两委委员


def test_minority_member_notice_for_villages_that_declare_groups(statutory):
    g07 = _village_findings(statutory, "G07")
    assert set(g07) == {"南村"}                                  # 刘洋 (回族) stands for the party committee only
    assert g07["南村"][0] == "notice" and "本村人数较少的民族为回族" in g07["南村"][1]
    summary = next(s for s in statutory.group_summary if s["rule"] == "G07")
    assert (summary["villages"], summary["meeting"]) == (2, 1)  # 中村 (周一 written 回) meets it; 东村 wrote 无


def test_rosters_without_village_columns_say_so_once(report):
    assert not [v for v in report["villages"] if v["rule"] in ("G05", "G07")]
    summary = {g["rule"]: g for g in report["meta"]["group_summary"]}
    assert "没有「村委会职数」列" in summary["G05"]["note"] and summary["G05"]["below_or_above"] == 0
    assert "没有「本村人数较少的民族」列" in summary["G07"]["note"] and summary["G07"]["villages"] == 0


@pytest.mark.parametrize(("extra", "message"), [
    ("    village_field: committee_seats\n    against: [村委会委员]\n", "只有 kind: relatives 的规则可以写 against"),
    ("    village_field: village_minorities\n", "kind: seats 需要 int 类型的村级字段"),
    ("    village_field: 职数\n", "未知字段「职数」"),
    ("", "缺少必填项「village_field」"),
])
def test_slate_rule_keys_are_checked_when_the_pack_loads(tmp_path, extra, message):
    from vetting.errors import RulesetError
    from vetting.ruleset.loader import load_ruleset
    pack = tmp_path / "pack.yaml"
    pack.write_text("schema_version: 1\nid: t\ntitle: t\nversion: '1'\nextends: national\n"
                    "group_rules:\n  - code: G90\n    name: 职数\n    kind: seats\n    severity: review\n"
                    "    min: 3\n    basis: [依据]\n" + extra, encoding="utf-8")
    with pytest.raises(RulesetError, match=re.escape(message)):
        load_ruleset(str(pack))


def test_village_codes_number_villages_in_order_and_tell_townships_apart():
    import numpy as np
    import pandas as pd

    from vetting.engine.slate import id_keys, village_codes, village_key

    frame = pd.DataFrame({"township": ["甲镇", "乙镇", "甲镇", None, "", "乙镇"],
                          "village": ["新村", "新村", "新村", "东村", "东村", None]})
    expected = [0, 1, 0, 2, 2, 3]               # a blank township is one with no township
    assert village_codes(frame).tolist() == expected
    as_categories = frame.astype("category")     # as a streamed run's index keeps them
    assert village_codes(as_categories).tolist() == expected
    assert village_key(frame.assign(village_code=np.int32(7))).tolist() == [7] * 6
    ids = pd.DataFrame({"id_number": ["510525197205140135", "510525198309210243", "123", None],
                        "id_status": ["valid", "valid", "invalid", "blank"]})
    assert id_keys(ids).tolist() == [51052519720514013, 51052519830921024, pd.NA, pd.NA]


@pytest.mark.parametrize("block", [2, 1 << 22])
def test_village_codes_in_blocks_and_for_many_villages(monkeypatch, block):
    import pandas as pd

    from vetting.engine import slate

    monkeypatch.setattr(slate, "_BLOCK", block)
    few = pd.DataFrame({"township": list("甲乙甲丙乙甲丙"), "village": list("一一一二一三二")})
    assert slate.village_codes(few).tolist() == [0, 1, 0, 2, 1, 3, 2]
    many = pd.DataFrame({"township": list("甲乙丙丁戊己甲"), "village": list("一二三四五六一")})   # numbered by hashing
    assert slate.village_codes(many).tolist() == [0, 1, 2, 3, 4, 5, 0]
