"""Reserve pools followed over time (vetting.pools): three half-yearly reserve rosters recorded into
one history database; priority (two 优秀 in a row) and removal (two 不称职 in a row) with the runs
that justify them, each half-year counted once, a reserve missing from a later run listed on their
village, and 一村一职一备 against the current officers (--officers) in every report format.

The three recorded runs go through `vet run` (about 1.5 s each, once per module): following a
pool across recorded runs is the point, and only the CLI wires history, officers and reports."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import sqlite3
import zipfile

import pytest

from conftest import FIXTURES
from vetting.cli import cli
from vetting.errors import InputError, VettingError
from vetting.history import SCHEMA_VERSION, key_path, open_history
from vetting.pipeline import ReadOptions, load_candidates, vet_files
from vetting.pools import follow_pool, read_officers, read_pool
from vetting.pools.periods import adjacent, period_label, period_of, previous
from vetting.pools.timeline import Source, timeline
from vetting.reports import write_report
from vetting.ruleset.loader import load_ruleset

POOLS = FIXTURES / "pools"
RUNS = [("后备力量_2025下半年.csv", "2025-12-31"), ("后备力量_2026上半年.csv", "2026-06-30"),
        ("后备力量_2026下半年.csv", "2026-12-31")]
OFFICERS = str(POOLS / "现任干部.csv")
RESERVE = load_ruleset("reserve")
FULL_ID = re.compile(r"\d{17}[\dX]")


def _run(runner, db, index, *extra):
    roster, as_of = RUNS[index]
    out = db.parent / f"run{index + 1}.json"
    result = runner.invoke(cli, ["run", str(POOLS / roster), "-r", "reserve", "--as-of", as_of, "--db", str(db),
                                 "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8")), result.output


def _by_name(report):
    return {c["name"]: c for c in report["candidates"]}


def _rules(candidate):
    return [f["rule"] for f in candidate["findings"]]


def _reason(candidate, rule):
    return next(f["reason"] for f in candidate["findings"] if f["rule"] == rule)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Three half-years of one pool recorded in one database; the third run with --officers."""
    from click.testing import CliRunner

    runner = CliRunner()
    db = tmp_path_factory.mktemp("pool") / "history.sqlite3"
    first, _ = _run(runner, db, 0)
    second, _ = _run(runner, db, 1)
    before_third = db.parent / "before_third"
    before_third.mkdir()
    shutil.copy(db, before_third / db.name)
    shutil.copy(key_path(db), key_path(before_third / db.name))
    third, output = _run(runner, db, 2, "--officers", OFFICERS)
    return {"db": db, "runs": [first, second, third], "output": output, "before_third": before_third / db.name}


def test_the_first_run_has_no_history_and_says_so(pool):
    first = pool["runs"][0]
    assert not any(r in _rules(c) for c in first["candidates"] for r in ("T03", "T02"))
    assert any("第一次记录" in line for line in first["meta"]["pool"]["lines"])
    assert any("未提供现任干部名册" in line for line in first["meta"]["pool"]["lines"])


def test_second_run_gives_priority_and_removal_from_the_recorded_run(pool):
    second = _by_name(pool["runs"][1])
    # 马优: 2025年下半年 优秀 in run #1, 2026年上半年 优秀 now; this roster gives no 前一次考核 for him
    reason = _reason(second["马优"], "R06")
    assert "2025年下半年优秀（审查记录#1（基准日2025-12-31））" in reason and "2026年上半年优秀（本次花名册" in reason
    # 李差: the roster alone left R05 pending (no 前一次考核); run #1 answers it, and it is settled
    assert second["李差"]["verdict"] == "unsuitable"
    r05 = [f for f in second["李差"]["findings"] if f["rule"] == "R05"]
    assert [f["severity"] for f in r05] == ["unsuitable"]
    assert "2025年下半年不称职（审查记录#1" in r05[0]["reason"]
    assert pool["runs"][1]["meta"]["pool"]["settled"] == 1
    assert pool["runs"][1]["meta"]["verdict_counts"]["unsuitable"] == 1


def test_third_run_keeps_removal_and_counts_each_half_year_once(pool):
    third = _by_name(pool["runs"][2])
    # removal reached in 2026年上半年 stays, although the latest rating (称职) alone would not fire R05
    assert third["李差"]["verdict"] == "unsuitable"
    assert "2026年上半年已达到清理条件，此后仍在后备名单中" in _reason(third["李差"], "R05")
    # 马优's roster fires R06 itself (优秀, 优秀): the history does not add a second one
    assert _rules(third["马优"]).count("R06") == 1
    ratings = _reason(third["马优"], "T03")
    assert "历次考核（4期" in ratings and ratings.count("2026年上半年") == 1
    # 孙改: run #1 said 称职 for 2025年下半年, run #2 优秀: once, the newer one, the other named
    sun = _reason(third["孙改"], "T03")
    assert "2025年下半年优秀（审查记录#2（基准日2026-06-30）；审查记录#1（基准日2025-12-31）记为称职）" in sun
    assert sun.count("2025年下半年") == 1
    # 赵新 is new: no history, no T03; 钱无号 has no ID number: cannot be followed, said once
    assert "T03" not in _rules(third["赵新"])
    assert any("1名后备力量没有身份证号" in line for line in pool["runs"][2]["meta"]["pool"]["lines"])


def test_a_reserve_missing_from_a_later_run_is_listed_on_their_village(pool):
    third = pool["runs"][2]
    assert "王缺" not in _by_name(third)
    absent = [v for v in third["villages"] if v["rule"] == "T02"]
    assert [(v["township"], v["village"]) for v in absent] == [("青山镇", "西村")]
    assert "王缺（640323********" in absent[0]["reason"] and "最近见于审查记录#2（基准日2026-06-30）" in absent[0]["reason"]
    assert "最近考核2026年上半年称职" in absent[0]["reason"]
    assert third["meta"]["pool"]["absent"] == {"absent": 1, "removed_before": 0, "outside": 0}


def test_posts_without_a_reserve_are_village_findings(pool):
    posts = {v["village"]: v for v in pool["runs"][2]["villages"] if v["rule"] == "T01"}
    assert set(posts) == {"东村", "西村"}
    east, west = posts["东村"]["reason"], posts["西村"]["reason"]
    # 东村: 马优 backs the secretary (后备岗位), 钱无号 the 主任; 李差 is to be removed and does not count
    assert "村委会委员（2个职位缺2个后备；现任：陈委员、周委员）" in east and "不计入：李差（连续两次考核不称职" in east
    # 西村: two 两委 reserves for two 委员, none for the 书记兼主任
    assert "书记兼主任（1个职位；现任：吴书记）" in west and "委员" not in west.split("没有后备力量的职位：")[1]
    assert posts["东村"]["basis"].startswith("【地方口径") and "宁夏日报" in posts["东村"]["basis"]
    officers = pool["runs"][2]["meta"]["pool"]["officers"]
    assert (officers["villages"], officers["posts"], officers["uncovered"]) == (2, 7, 3)
    assert any("村务监督委员会成员1人" in line for line in pool["runs"][2]["meta"]["pool"]["lines"])


def test_ids_stay_masked_in_reports_stderr_and_the_ratings_table(pool):
    assert not FULL_ID.search(json.dumps(pool["runs"], ensure_ascii=False))
    assert not FULL_ID.search(pool["output"])
    with sqlite3.connect(pool["db"]) as conn:
        stored = conn.execute("SELECT run_id, period, rating, source FROM ratings ORDER BY run_id, row_id, period")
        rows = stored.fetchall()
    assert rows[:2] == [(1, "2025H1", "称职", "assessment_prev"), (1, "2025H2", "优秀", "assessment_last")]
    assert {r[0] for r in rows} == {1, 2, 3} and not FULL_ID.search(repr(rows))


def test_every_report_format_shows_the_pool_village_findings(pool, tmp_path):
    as_of = dt.date(2026, 12, 31)
    result = vet_files([str(POOLS / RUNS[2][0])], RESERVE, as_of, generated_at="2027-01-05T09:00:00+08:00")
    result = follow_pool(result, RESERVE, _candidates_for(2, RESERVE), as_of,
                         read_pool(pool["before_third"], "reserve", as_of), read_officers(OFFICERS))
    for fmt in ("xlsx", "csv", "html"):
        out = tmp_path / f"报告.{fmt}"
        written = write_report(result, out, fmt)
        if fmt == "xlsx":
            with zipfile.ZipFile(out) as book:
                text = "".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
        elif fmt == "csv":
            villages = next(p for p in written if p.name.endswith(".villages.csv"))
            text = villages.read_text(encoding="utf-8-sig") + out.with_suffix(".meta.csv").read_text(encoding="utf-8-sig")
            assert {row["规则"] for row in csv.DictReader(villages.open(encoding="utf-8-sig"))} >= {"T01", "T02"}
        else:
            text = out.read_text(encoding="utf-8")
        for expected in ("T01", "现任职位没有后备力量", "T02", "王缺", "后备力量跟踪"):
            assert expected in text, (fmt, expected)
        assert not FULL_ID.search(text), fmt


# ---------------------------------------------------------------- pure parts

def test_half_years():
    assert period_of(dt.date(2026, 6, 30)) == "2026H1" and period_of(dt.date(2026, 7, 1)) == "2026H2"
    assert previous("2026H1") == "2025H2" and previous("2026H2") == "2026H1"
    assert adjacent("2025H2", "2026H1") and not adjacent("2025H1", "2026H1")
    assert period_label("2025H2") == "2025年下半年"


def test_a_gap_between_two_ratings_is_not_two_in_a_row():
    run1, now = Source(1, "2025-06-30"), Source(None, "2026-06-30", "名册.csv", 2)
    line = timeline([("2025H1", "不称职", run1), ("2026H1", "不称职", now)])
    assert line.removed is None and [r.period for r in line.ratings] == ["2025H1", "2026H1"]


def test_the_newest_source_wins_a_half_year_and_the_other_is_named():
    line = timeline([("2025H2", "称职", Source(1, "2025-12-31")), ("2025H2", "优秀", Source(2, "2026-06-30")),
                     ("2026H1", "优秀", Source(2, "2026-06-30")), ("2026H1", "优秀", Source(None, "2026-06-30"))])
    assert [(r.period, r.rating) for r in line.ratings] == [("2025H2", "优秀"), ("2026H1", "优秀")]
    assert line.priority is not None and line.ratings[1].source.run_id is None   # this roster over run #2
    assert line.ratings[0].differing == (("称职", Source(1, "2025-12-31")),) and not line.ratings[1].differing


def test_priority_needs_the_last_two_ratings():
    s = Source(1, "x")
    assert timeline([("2025H1", "优秀", s), ("2025H2", "优秀", s), ("2026H1", "称职", s)]).priority is None


# ---------------------------------------------------------------- officers' roster and errors

def test_officers_roster_problems_name_file_row_and_column(tmp_path):
    bad = tmp_path / "现任干部.csv"
    bad.write_text("村(社区),姓名,现任职务\n东村,甲,党组织书记\n东村,乙,会计\n东村,丙,\n西村,丁,两委后备人选\n",
                   encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_officers(bad)
    message = caught.value.message
    for part in ("现任干部.csv 第3行「现任职务」", "会计", "第4行", "为空", "第5行", "是后备人选"):
        assert part in message, part
    missing = tmp_path / "无职务.csv"
    missing.write_text("村(社区),姓名\n东村,甲\n", encoding="utf-8")
    with pytest.raises(InputError, match="没有「现任职务」列"):
        read_officers(missing)


def test_officers_on_a_pack_without_the_posts_rule_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(cli, ["run", str(POOLS / RUNS[0][0]), "-r", "national", "--as-of", "2025-12-31",
                                 "--no-history", "--officers", OFFICERS, "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 2 and "没有一村一职一备规则" in result.output
    bad = runner.invoke(cli, ["run", str(POOLS / RUNS[0][0]), "-r", "reserve", "--as-of", "2025-12-31",
                              "--no-history", "--officers", str(tmp_path / "无此文件.csv"), "-o", str(tmp_path / "r.json")])
    assert bad.exit_code == 2 and "无此文件.csv" in bad.output and "Traceback" not in bad.output


def test_without_history_the_pool_says_what_it_did_not_check(runner, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["run", str(POOLS / RUNS[2][0]), "-r", "reserve", "--as-of", "2026-12-31",
                                 "--no-history", "--officers", OFFICERS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert any("--no-history" in line for line in report["meta"]["pool"]["lines"])
    assert {v["rule"] for v in report["villages"]} >= {"T01"} and "T02" not in {v["rule"] for v in report["villages"]}


def test_a_version_3_database_gains_the_ratings_table(pool, tmp_path):
    old = tmp_path / "v3.sqlite3"
    shutil.copy(pool["db"], old)
    with sqlite3.connect(old) as conn:
        conn.execute("DROP TABLE ratings")
        conn.execute("DROP TABLE decisions")
        conn.execute("PRAGMA user_version = 3")
    with open_history(old) as store:
        assert store.count() == 3
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
        assert conn.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0    # older runs: no ratings


def test_a_pack_without_pool_rules_is_untouched_but_still_records_ratings():
    national = load_ruleset("national")
    as_of = dt.date(2025, 12, 31)
    result = vet_files([str(POOLS / RUNS[0][0])], national, as_of)
    followed = follow_pool(result, national, _candidates_for(0, national), as_of, read_pool(None, "national", as_of))
    assert followed.findings.equals(result.findings) and "pool" not in followed.meta
    assert len(followed.ratings) == 7
    with pytest.raises(VettingError):
        follow_pool(result, national, _candidates_for(0, national), as_of, read_pool(None, "national", as_of),
                    read_officers(OFFICERS))


def _candidates_for(index, rules):
    return load_candidates([str(POOLS / RUNS[index][0])], rules, ReadOptions())


def test_post_coverage_named_posts_first_then_by_class():
    import pandas as pd

    from vetting.pools.posts import post_coverage

    rule = next(g for g in RESERVE.group_rules if g.kind == "posts")
    officers = pd.DataFrame({"township": [pd.NA] * 4, "village": ["甲村"] * 4, "name": ["书", "主", "委一", "委二"],
                             "post": ["党组织书记", "村委会主任", "村委会委员", "村委会委员"],
                             "source_file": "干部.xlsx", "source_row": [2, 3, 4, 5]})
    reserves = pd.DataFrame({"township": ["乙镇"] * 3, "village": ["甲村"] * 3, "name": ["甲", "乙", "丙"],
                             "role": ["两委后备人选"] * 3, "post": ["村委会主任", pd.NA, pd.NA],
                             "counts": [True, True, False], "why": ["", "", "审查结论为不能"],
                             "where": ["后备.csv 第2行", "后备.csv 第3行", "后备.csv 第4行"]})
    found = post_coverage(rule, officers, reserves)     # no township on the officers' side: by village
    assert (found.posts, found.uncovered, found.not_listed) == (4, 2, [])
    reason = found.villages["reason"].iloc[0]
    assert "党组织书记（1个职位；现任：书）" in reason and "村委会委员（2个职位缺1个后备；现任：委一、委二）" in reason
    assert "村委会主任" not in reason.split("没有后备力量的职位：")[1] and "不计入：丙（审查结论为不能）" in reason
