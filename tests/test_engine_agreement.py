"""Both engines give identical findings (rule, severity, reason, evidence, basis) and verdicts:
on every fixture through the CLI, on every shipped pack's test cases, on generated candidates across
every field's edge cases, on generated conditions and on a seeded 10,000-candidate roster.

A disagreement is fixed where it arises (vetting/engine/durable.py or the shared assembly in
vector.py), never by loosening these comparisons. Agreement cannot catch a mistake both engines
share (ages, window ends: computed once, for both); the pack cases' expected verdicts do
(tests/test_packs.py). A durable_rules call starts worker processes (~0.4 s), so inputs are batched:
fixtures that need no options in one `vet run`, several generated rosters per call. The default run
tries a few generated examples; the `slow` properties try many (CI: `-m slow` with
VETTING_HYPOTHESIS_PROFILE=long) and evaluate the 10k roster.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, shipped_suites
from vetting.cli import cli
from vetting.engine import durable, vector
from vetting.errors import EngineError
from vetting.pipeline import ENGINES, ReadOptions, load_candidates, vet_records
from vetting.ruleset.loader import load_ruleset
from vetting.vocab import ROLE_NAMES

AS_OF = dt.date(2026, 12, 15)
NATIONAL = load_ruleset("national")
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
#: The default run: a few examples per property (each one durable_rules call).
QUICK = settings(deadline=None, max_examples=3, suppress_health_check=_HEALTH)
#: `-m slow`: the active Hypothesis profile's number of examples (150 with VETTING_HYPOTHESIS_PROFILE=long).
LONG = settings(deadline=None, suppress_health_check=_HEALTH)


def assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.findings, b.findings)
    pd.testing.assert_frame_equal(a.candidates, b.candidates)
    pd.testing.assert_frame_equal(a.villages, b.villages)
    assert {k: v for k, v in a.meta.items() if k != "engine"} == {k: v for k, v in b.meta.items() if k != "engine"}


def records_agree(ruleset, records, as_of=AS_OF):
    a = vet_records(records, ruleset, as_of, engine="vector")
    b = vet_records(records, ruleset, as_of, engine="durable")
    assert_same(a, b)
    return a


# ---------------------------------------------------------------- every fixture, through `vet run`

BAD = yaml.safe_load((FIXTURES / "bad" / "cases.yaml").read_text(encoding="utf-8"))["cases"]
#: Runs whose options only re-read (some of) the rows another run reads, with the run they repeat.
SAME_CANDIDATES = {"sheet_by_name": "office_two_level_xlsx", "header_row_given": "office_two_level_xlsx",
                   "csv_gbk_encoding_given": "csv_gbk", "one_sheet_per_village_by_name": "one_sheet_per_village"}
PLAIN = [c for c in BAD if c["exit"] == 0 and not c.get("args") and "generate" not in c]   # generated: made at test time
FIXTURE_RUNS = [
    ("demo_and_bad_fixtures_as_one_roster",
     [str(FIXTURES / "demo_roster.xlsx"), str(FIXTURES / "demo_roster.csv"),
      *dict.fromkeys(str(FIXTURES / "bad" / c["file"]) for c in PLAIN), "--as-of", "2026-12-15"]),
    ("groups", [*map(str, sorted((FIXTURES / "groups").glob("*.csv"))), "--as-of", "2026-12-15",
                "--ruleset", "reserve"]),
    ("joint", [str(FIXTURES / "joint" / "opinions_roster.csv"), "--as-of", "2027-04-15"]),
    ("joint_replies", [str(FIXTURES / "joint" / "opinions_roster.csv"), "--as-of", "2027-04-15",
                       "--findings", f"公安={FIXTURES / 'joint' / 'replies' / 'police.csv'}"]),
] + [(f"bad_{c['id']}", [str(FIXTURES / "bad" / c["file"]), "--as-of", "2026-12-15",
                         *[a.replace("{here}", str(FIXTURES / "bad")) for a in c.get("args", [])]])
     for c in BAD if c["exit"] == 0 and c.get("args") and c["id"] not in SAME_CANDIDATES and "generate" not in c]


def test_fixture_runs_cover_every_fixture_that_vets():
    """Every roster fixture that `vet run` accepts is in some run above, alone or in the one roster. A run
    left out only re-reads, by sheet name, header row or encoding, rows the plain run of the same file
    reads (tests/test_bad_inputs.py checks that those options read what they should)."""
    used = {Path(a).name for _, args in FIXTURE_RUNS for a in args}
    committed = {c["file"] for c in BAD if c["exit"] == 0 and "generate" not in c}
    assert committed | {"demo_roster.xlsx", "demo_roster.csv"} <= used
    by_id = {c["id"]: c for c in BAD}
    for left_out, repeated in SAME_CANDIDATES.items():
        assert by_id[left_out]["exit"] == by_id[repeated]["exit"] == 0 and not by_id[repeated].get("args")
        assert by_id[left_out]["file"] == by_id[repeated]["file"]
        assert {a for a in by_id[left_out]["args"] if a.startswith("--")} <= {"--sheet", "--header-row", "--encoding"}


@pytest.mark.parametrize("args", [a for _, a in FIXTURE_RUNS], ids=[i for i, _ in FIXTURE_RUNS])
def test_vet_run_reports_are_identical_on_every_fixture(runner, tmp_path, args):
    reports = {}
    for engine in ENGINES:
        out = tmp_path / f"{engine}.json"
        result = runner.invoke(cli, ["run", *args, "--no-history", "--engine", engine, "--format", "json",
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        report = json.loads(out.read_text(encoding="utf-8"))
        assert report["meta"].pop("engine") == engine
        report["meta"].pop("generated_at", None)
        reports[engine] = report
    assert reports["vector"] == reports["durable"]


@pytest.mark.xdist_group("shipped")
def test_every_shipped_pack_test_case_agrees(shipped_report):
    """The pack cases' own runs (one per batch and engine, shared with tests/test_packs.py): beyond
    each case's expected verdict and codes, the full findings and candidate tables are identical."""
    suites = shipped_suites()
    assert {s.ruleset.id for s in suites} >= {"national", "reserve", "county-template"}
    for index, suite in enumerate(suites):
        report = shipped_report(index)
        assert sorted(i for run in report.runs for i in run.members) == list(range(len(suite.cases)))
        for run in report.runs:
            assert set(run.results) == set(ENGINES)
            assert_same(run.results["vector"], run.results["durable"])


@pytest.mark.slow
def test_seeded_10k_roster_agrees(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import generate  # bench/generate.py

    path = tmp_path / "roster_10000.csv"
    generate.write_roster(generate.generate_roster(10_000, 20261215), path)
    candidates = load_candidates([str(path)], NATIONAL, ReadOptions())
    from vetting.engine.coverage import assess

    covered = assess(NATIONAL, candidates)  # the roster lacks some columns: those rules are said once
    a = vector.evaluate(NATIONAL, candidates, AS_OF, covered)
    b = durable.evaluate(NATIONAL, candidates, AS_OF, covered)
    assert_same(a, b)
    assert_same(vector.evaluate(NATIONAL, candidates, AS_OF), durable.evaluate(NATIONAL, candidates, AS_OF))
    assert len(a.findings) > 500 and set(a.candidates["verdict"]) == {"pass", "pending", "review", "unsuitable",
                                                                    "disqualified"}


# ---------------------------------------------------------------- generated candidates

def _check_char(id17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(id17, weights)) % 11]


def _shift_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError


#: Days where rules change their answer: window ends around the as-of date, the 18th birthday, ...
BOUNDARY_DAYS = sorted({_shift_months(AS_OF, -m) + dt.timedelta(days=d)
                        for m in (0, 1, 6, 12, 18, 24, 36, 48, 60, 72, 216, 420, 432)
                        for d in (-1, 0, 1)} | {dt.date(2024, 2, 29), dt.date(2027, 1, 1)})
DATE_FORMATS = [lambda d: d.isoformat(), lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d.year}.{d.month:02d}",
                lambda d: f"{d.year}年{d.month}月", lambda d: f"{d.year}年", lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
                lambda d: f"{d.year}/{d.month}/{d.day}"]
days = st.one_of(st.sampled_from(BOUNDARY_DAYS), st.dates(dt.date(1940, 1, 1), dt.date(2030, 12, 31)))
date_texts = st.one_of(st.builds(lambda d, f: f(d), days, st.sampled_from(DATE_FORMATS)),
                       st.sampled_from(["", "无", "去年", "2025-13-01", "2025-02-30", "1899"]))
FLAGS = ["是", "否", "有", "无", "", "√", "不详", "1", "0"]
INTS = ["", "0", "6", "12", "18", "24", "36", "1.5", "-3", "abc", "99999999999999999999", "forever"]
EDUCATION = ["", "不识字", "小学", "初中", "高中", "中专", "大专", "全日制大专", "本科", "研究生", "博士", "大学肄业"]
ROLE_TEXTS = ["", "党组织书记", "村委会主任", "书记兼主任", "一肩挑", "村委会委员", "党组织委员", "支委", "副书记",
              "副主任", "妇女主任", "副书记兼主任", "两委后备人选", "书记后备人选", "村务监督委员会成员", "会计", "外星职务"]
TEXTS = ["", "平丰村", "太平镇", "=1+1", 'a"b', "13800000000", "张三（配偶）"]


@st.composite
def id_numbers(draw) -> str:
    birth = draw(st.one_of(st.sampled_from([_shift_months(AS_OF, -216) + dt.timedelta(days=d) for d in (-1, 0, 1)]),
                           st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31))))
    id17 = f"510525{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    kind = draw(st.sampled_from(["valid", "valid", "valid", "bad_check", "old15", "float", "blank", "garbage"]))
    if kind == "valid":
        return id17 + _check_char(id17)
    if kind == "bad_check":
        return id17 + ("0" if _check_char(id17) != "0" else "1")
    if kind == "old15":
        return f"510525{birth:%y%m%d}{draw(st.integers(0, 999)):03d}"
    if kind == "float":
        return "5.10525E+17"
    return "" if kind == "blank" else "51052519XX"


def field_values(field) -> st.SearchStrategy:
    if field.type == "date":
        return date_texts
    if field.type == "flag":
        return st.sampled_from(FLAGS)
    if field.type == "int":
        return st.sampled_from(INTS)
    if field.type == "education":
        return st.sampled_from(EDUCATION)
    if field.type == "role":
        return st.sampled_from(ROLE_TEXTS)
    if field.type == "id_number":
        return id_numbers()
    if field.type == "enum":
        spellings = [v for canonical, aliases in field.values.items() for v in (canonical, *aliases)]
        return st.sampled_from(["", "不详", *spellings])
    return st.sampled_from(TEXTS)


PACKS = {name: load_ruleset(name) for name in ("national", "reserve", "county-template", "zhejiang-shangyu-2013")}


@st.composite
def rosters(draw, pack: str) -> list[dict]:
    ruleset = PACKS[pack]
    fields = [f for f in ruleset.fields.values() if not f.derived]
    columns = draw(st.lists(st.sampled_from(fields), min_size=3, max_size=len(fields), unique_by=lambda f: f.name))
    headers = {h for f in fields for h in (f.label, *f.aliases)}
    opinion_columns = sorted(a for a in ruleset.agencies if a not in headers)   # 乡镇 is also a column header
    agencies = draw(st.lists(st.sampled_from(opinion_columns), max_size=3, unique=True)) if opinion_columns else []
    opinions = st.sampled_from(["", "无", "经核查，无违纪违法记录", "待反馈", "2025年10月受党内严重警告处分",
                                "2019年3月因盗窃被判处有期徒刑一年", "列为失信被执行人", "看不懂的意见"])
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        row = {f.name: draw(field_values(f)) for f in columns}
        row.update({agency: draw(opinions) for agency in agencies})
        rows.append(row)
    return rows


def candidates_agree(data) -> None:
    """One to three drawn rosters for one pack and as-of date, evaluated as one roster (one call per engine)."""
    pack = data.draw(st.sampled_from(["national", "national", *PACKS]))
    as_of = data.draw(st.sampled_from([AS_OF, dt.date(2027, 4, 15), dt.date(2021, 1, 1)]))
    records = [row for roster in data.draw(st.lists(rosters(pack), min_size=1, max_size=3)) for row in roster]
    records_agree(PACKS[pack], records, as_of)


@QUICK
@given(st.data())
def test_generated_candidates_agree(data):
    candidates_agree(data)


@pytest.mark.slow
@LONG
@given(st.data())
def test_generated_candidates_agree_long(data):
    candidates_agree(data)


# ---------------------------------------------------------------- generated conditions

NUMBERS = ["age", "education", "party_probation_months", "0", "17", "18", "36", "60", "$min_age",
           "coalesce(party_probation_months, 12)", "age + 1", "age - education", "-age",
           "$party_sanction_months[party_sanction]"]
DATES = ["party_sanction_date", "gov_sanction_date", "birth_used", "admin_detention_date", "party_join_date",
         'date("2025-10-08")', "as_of", "party_sanction_date + 6 months", "as_of - 18 years",
         "coalesce(party_sanction_date, gov_sanction_date)", "birth_used + 18 years", "party_join_date - 30 days"]
DURATIONS = ["12 months", "365 days", "1 years", "0 days", "$party_sanction_months[party_sanction] months",
             "(coalesce(party_probation_months, $probation_max_months) + $after_probation_months) months",
             "$gov_sanction_months[gov_sanction] months", "party_probation_months months"]
ENUMS = {f: sorted(NATIONAL.fields[f].values) for f in ("party_sanction", "gov_sanction", "criminal_punishment",
                                                         "political_status", "assessment_last", "sex")}
FLAG_FIELDS = ["dishonest_debtor", "long_absence", "under_investigation", "id_valid", "admin_detention"]
OPS = ["<", "<=", ">", ">=", "==", "!="]


def _quoted(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


leaves = st.one_of(
    st.builds(lambda a, op, b: f"{a} {op} {b}", st.sampled_from(NUMBERS), st.sampled_from(OPS), st.sampled_from(NUMBERS)),
    st.builds(lambda a, op, b: f"{a} {op} {b}", st.sampled_from(DATES), st.sampled_from(OPS), st.sampled_from(DATES)),
    st.builds(lambda d, p: f"within({d}, {p})", st.sampled_from(DATES[:5]), st.sampled_from(DURATIONS)),
    st.sampled_from(sorted(ENUMS)).flatmap(lambda f: st.one_of(
        st.builds(lambda op, v: f'{f} {op} "{v}"', st.sampled_from(["==", "!="]), st.sampled_from(ENUMS[f])),
        st.builds(lambda neg, vs: f"{f} {neg}in {_quoted(vs)}", st.sampled_from(["", "not "]),
                  st.lists(st.sampled_from(ENUMS[f]), max_size=4, unique=True)))),
    st.sampled_from(["assessment_last == assessment_prev", "sex == sex_from_id", "sex != sex_from_id",
                     "political_status != political_status", "party_sanction_date == gov_sanction_date"]),
    st.builds(lambda f, form: form.format(f), st.sampled_from(FLAG_FIELDS),
              st.sampled_from(["{}", "{} == true", "{} != false", "not {}", "coalesce({}, long_absence)"])),
    st.builds(lambda fn, x: f"{fn}({x})", st.sampled_from(["blank", "present"]),
              st.sampled_from(["phone", "party_sanction_date", "education", "dishonest_debtor", "age",
                               "coalesce(party_probation_months, education)", "party_sanction_date + 6 months"])),
    st.builds(lambda x, neg, vs: f"{x} {neg}in [{', '.join(vs)}]",
              st.sampled_from(["age", "education", "party_probation_months"]),
              st.sampled_from(["", "not "]), st.lists(st.sampled_from(["3", "4", "12", "17", "18", "24", "36"]),
                                                     max_size=3, unique=True)),
    st.builds(lambda neg, ds: f"party_sanction_date {neg}in [{', '.join(ds)}]", st.sampled_from(["", "not "]),
              st.lists(st.sampled_from(['date("2025-10-08")', 'date("2025-10-31")', 'date("2020-01-01")']),
                       min_size=1, max_size=3, unique=True)),
    st.sampled_from(["true", "false"]),
)
conditions = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
    st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
    st.builds(lambda a: f"not ({a})", inner)), max_leaves=4)


def _fixed_roster(n: int = 60) -> list[dict]:
    """A seeded roster drawing every field from the same edge-case pools."""
    rng = random.Random(20261215)
    pool_days = BOUNDARY_DAYS + [dt.date(rng.randint(1950, 2029), rng.randint(1, 12), rng.randint(1, 28))
                                 for _ in range(40)]

    def value(field) -> str:
        if field.type == "date":
            return rng.choice(DATE_FORMATS)(rng.choice(pool_days)) if rng.random() < 0.85 else rng.choice(["", "去年"])
        if field.type == "id_number":
            birth = rng.choice(pool_days[:60] + [dt.date(1990, 1, 1)])
            id17 = f"510525{birth:%Y%m%d}{rng.randint(0, 999):03d}"
            return id17 + (_check_char(id17) if rng.random() < 0.9 else "0")
        pools = {"flag": FLAGS, "int": INTS, "education": EDUCATION, "role": ROLE_TEXTS}
        if field.type in pools:
            return rng.choice(pools[field.type])
        if field.type == "enum":
            return rng.choice(["", *field.values])
        return rng.choice(TEXTS)

    fields = [f for f in NATIONAL.fields.values() if not f.derived]
    return [{f.name: value(f) for f in fields} for _ in range(n)]


FIXED_ROSTER = _fixed_roster()


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return "forever" if value == float("inf") else value


PARAMETERS = {name: {"description": name, "value": _plain(NATIONAL.parameters[name].at(AS_OF))}
              for name in ("min_age", "party_sanction_months", "probation_max_months", "after_probation_months",
                           "gov_sanction_months")}


def conditions_agree(rules) -> None:
    """Generated rules (one per drawn condition) in one ruleset, over the fixed roster."""
    severities = ["disqualify", "review", "notice", "unsuitable"]
    spec = {"id": "generated", "title": "生成的规则", "version": 1, "parameters": PARAMETERS,
            "rules": [{"code": f"Z{i:02d}", "name": f"生成规则{i}", "category": "测试",
                       "severity": severities[i % 4], "when": when, "reason": "命中", "basis": ["测试"],
                       **({"roles": roles} if roles else {})}
                      for i, (when, roles) in enumerate(rules)]}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        ruleset = load_ruleset(str(path))
    try:
        records_agree(ruleset, FIXED_ROSTER)
    except EngineError as exc:
        if "过于复杂" not in exc.message:
            raise
        reject()   # beyond what durable_rules can compile: a stated limit, not a disagreement


generated_rules = st.lists(st.tuples(conditions, st.lists(st.sampled_from(sorted(ROLE_NAMES)), max_size=2)),
                           min_size=1, max_size=6)


@QUICK
@given(generated_rules)
def test_generated_conditions_agree(rules):
    conditions_agree(rules)


@pytest.mark.slow
@LONG
@given(generated_rules)
def test_generated_conditions_agree_long(rules):
    conditions_agree(rules)
