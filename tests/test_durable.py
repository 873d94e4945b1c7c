"""The durable_rules engine: compiling to durable_rules' limits, the C core's quirks we rely on or avoid,
every operator against the vectorised engine, and the `--engine` option."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from conftest import FIXTURES
from vetting.cli import cli
from vetting.engine import durable, vector
from vetting.errors import EngineError, VettingError
from vetting.normalize.idcard import check_char
from vetting.pipeline import run_engine, vet_records
from vetting.ruleset.loader import bundled_packs, load_ruleset

AS_OF = dt.date(2026, 12, 15)


def _fix(id17: str) -> str:
    """A valid ID number from its first 17 digits (check character tested in test_normalize_idcard)."""
    return id17 + check_char(id17)


ID_1990 = _fix("51052519900101001")
ID_2008_12_15 = _fix("51052520081215001")
ID_2008_12_16 = _fix("51052520081216001")


def both(ruleset, records, as_of=AS_OF):
    """Vector and durable results for the same records; asserts they are identical."""
    a = vet_records(records, ruleset, as_of, engine="vector")
    b = vet_records(records, ruleset, as_of, engine="durable")
    pd.testing.assert_frame_equal(a.findings, b.findings)
    pd.testing.assert_frame_equal(a.candidates, b.candidates)
    return a


def program(definition: dict | str, codes=("X",), outcomes=None) -> durable.DurableProgram:
    text = definition if isinstance(definition, str) else json.dumps(definition, ensure_ascii=False)
    count = text.count('"all"')
    return durable.DurableProgram(name="t", rulesets=(("vetting_test_rs", text, count),),
                                  outcomes=tuple(outcomes or [(0, 0)] * count), codes=codes, slots=(),
                                  source="test")


# ---------------------------------------------------------------- serialisation and limits

@pytest.mark.parametrize("value,text", [
    (36.0, "36.0"), (0.5, "0.5"), (-0.75, "-0.75"), (1e16, "1.0e+16"), (1.5e16, "1.5e+16"),
    (1e-7, "1.0e-07"), (float("inf"), "1.7976931348623157e+308"), (float("-inf"), "-1.7976931348623157e+308"),
])
def test_numbers_are_written_so_durable_parses_them(value, text):
    assert durable.number_text(value) == text


@pytest.mark.parametrize("pack", sorted(bundled_packs()))
def test_every_shipped_pack_compiles_within_durable_limits(pack):
    rules = load_ruleset(pack)
    compiled = durable.compile_ruleset(rules, vector.params_in_force(rules, AS_OF), AS_OF)
    assert compiled.properties + 2 <= durable.MAX_PROPERTIES
    names = [name for name, _, _ in compiled.rulesets]
    assert len(set(names)) == len(names)
    for _name, text, count in compiled.rulesets:
        definition = json.loads(text)
        assert len(definition) == count <= durable.MAX_RULES_PER_RULESET + 1
        for rule in definition.values():
            (pattern,) = rule["all"]
            leaves = pattern["m"]["$and"]
            assert leaves[0] == {"$ex": {durable.MARKER: 1}}      # the state object never matches (F6)
            assert "$or" not in json.dumps(leaves)               # flat conjunctions only
    props = {p for slot in compiled.slots for p in slot.props}
    assert not props & {"id", "sid", "$s", "m", "s"}
    assert {rule for rule, _ in compiled.outcomes if rule >= 0} == set(range(len(rules.rules)))


def test_a_condition_too_complex_for_durable_is_a_clear_error(make_ruleset):
    clause = " and ".join(f"(age == {i} or education == {i})" for i in range(8))
    rules = load_ruleset(make_ruleset(f"not ({clause})"))
    with pytest.raises(EngineError, match="过于复杂"):
        vet_records([{"name": "甲", "id_number": ID_1990}], rules, AS_OF, engine="durable")


def test_unknown_engine_is_refused():
    with pytest.raises(VettingError, match="未知的审查引擎"):
        run_engine(load_ruleset("national"), None, AS_OF, engine="drools")


# ---------------------------------------------------------------- the C core's behaviour we depend on

def _fired(definition: dict, *facts: str) -> set[int]:
    hits = durable.run_program(program(definition), [facts])
    return {int(rule) for _, rule in hits}


def test_comparisons_on_a_missing_property_never_match():
    marker = {"$ex": {"v": 1}}
    tests = [{"$lt": {"a": 5}}, {"$gte": {"a": 5}}, {"a": 5}, {"$neq": {"a": 5}}, {"$nex": {"v": 1}}]
    definition = {"r0": {"all": [{"m": marker}]}}   # catch-all, so the state is safe to delete
    definition.update({f"r{i + 1}": {"all": [{"m": {"$and": [marker, t]}}]} for i, t in enumerate(tests)})
    assert _fired(definition, '{"sid": "0", "v": 1, "b": 1}') == {0}


def test_guarded_references_compare_two_properties_of_one_fact():
    # A `$m` reference to a missing property is unreliable in durable_rules 2.0.28 (it matched in
    # some rulesets of ours and not in others), so the compiler always adds $ex for both sides.
    marker = {"$ex": {"v": 1}}
    guarded = [marker, {"$ex": {"b": 1}}, {"$ex": {"zz": 1}}]
    definition = {"r0": {"all": [{"m": marker}]},
                  "r1": {"all": [{"m": {"$and": [*guarded, {"b": {"$m": "zz"}}]}}]},
                  "r2": {"all": [{"m": {"$and": [*guarded, {"$neq": {"b": {"$m": "zz"}}}]}}]},
                  "r3": {"all": [{"m": {"$and": [*guarded, {"$lt": {"b": {"$m": "zz"}}}]}}]}}
    assert _fired(definition, '{"sid": "0", "v": 1, "b": 1}') == {0}
    assert _fired(definition, '{"sid": "0", "v": 1, "b": 1, "zz": 1}') == {0, 1}
    assert _fired(definition, '{"sid": "0", "v": 1, "b": 1, "zz": 2.5}') == {0, 2, 3}


def test_property_names_never_share_durable_hashes():
    compiled = durable.compile_ruleset(load_ruleset("national"), vector.params_in_force(load_ruleset("national"), AS_OF),
                                       AS_OF)
    names = {p for slot in compiled.slots for p in slot.props} | {"sid", "id", durable.MARKER}
    assert len({durable.fnv1_32(n) for n in names}) == len(names)


def test_exponent_without_fraction_is_rejected_by_durable():
    with pytest.raises(EngineError, match="204"):
        durable.run_program(program('{"r0": {"all": [{"m": {"$gt": {"a": 1e+16}}}]}}'), [('{"sid": "0", "a": 1}',)])


def test_a_state_in_which_no_action_started_is_not_deleted():
    # delete_state would free uninitialised pointers (random SIGSEGV/SIGABRT): refuse instead
    definition = {"r0": {"all": [{"m": {"$and": [{"$ex": {"v": 1}}, {"a": 1}]}}]}}
    with pytest.raises(EngineError, match="未处理"):
        durable.run_program(program(definition), [('{"sid": "0", "v": 1, "a": 2}',)])


def test_many_candidates_reuse_no_state_and_stay_under_the_state_limit():
    definition = {"r0": {"all": [{"m": {"$ex": {"v": 1}}}]}}
    facts = [(f'{{"sid": "{i}", "v": 1}}',) for i in range(2500)]   # > 1,024 live states if kept (F3)
    hits = durable.run_program(program(definition), facts, batch_size=700)
    assert sorted(hits[:, 0].tolist()) == list(range(2500))


# ---------------------------------------------------------------- every operator, both engines

@pytest.mark.parametrize("when,fields", [
    ("age < 18", {"id_number": ID_2008_12_16}),
    ("age < 18", {"id_number": ID_2008_12_15}),
    ("age < 18", {"id_number": "", "birth_date": "2008年12月"}),
    ("age >= 36", {}),
    ("age == 36", {"id_number": "", "birth_date": "1990"}),
    ("age != 36", {}),
    ("age in [17, 36]", {"id_number": "", "birth_date": "1990年"}),
    ("age in [35, 36]", {"id_number": "", "birth_date": "1990年"}),
    ("age not in [20, 40]", {"id_number": "", "birth_date": "1990年"}),
    ("age in []", {}),
    ("party_sanction == \"警告\"", {"party_sanction": "党内警告"}),
    ("party_sanction in [\"警告\", \"严重警告\"]", {"party_sanction": "严重警告"}),
    ("party_sanction not in [\"警告\", \"严重警告\"]", {"party_sanction": "无"}),
    ("party_sanction not in [\"警告\"]", {}),
    ("dishonest_debtor == true", {"dishonest_debtor": "是"}),
    ("dishonest_debtor != false", {"dishonest_debtor": ""}),
    ("not dishonest_debtor", {"dishonest_debtor": "否"}),
    ("dishonest_debtor or long_absence", {"dishonest_debtor": "否", "long_absence": "是"}),
    ("dishonest_debtor or long_absence", {"dishonest_debtor": "否"}),
    ("dishonest_debtor and long_absence", {"dishonest_debtor": "是", "long_absence": "否"}),
    ("dishonest_debtor and long_absence", {"dishonest_debtor": "是"}),
    ("coalesce(dishonest_debtor, long_absence)", {"long_absence": "是"}),
    ("education < 4", {"education": "高中"}),
    ("education >= 4", {"education": "全日制大专"}),
    ("education in [3, 4]", {"education": "中专"}),
    ("age + 1 > 36", {}),
    ("age - education > 30", {"education": "初中"}),
    ("-age < -35", {}),
    ("blank(phone)", {}),
    ("present(phone)", {"phone": "13800000000"}),
    ("present(coalesce(party_probation_months, education))", {"education": "高中"}),
    ("coalesce(party_probation_months, 12) == 12", {}),
    ("party_join_date < date(\"2020-01-01\")", {"party_join_date": "2019-06"}),
    ("party_join_date < date(\"2020-01-01\")", {"party_join_date": "2019"}),
    ("party_join_date == date(\"2019-06-01\")", {"party_join_date": "2019-06"}),
    ("party_join_date in [date(\"2019-06-01\"), date(\"2019-06-30\")]", {"party_join_date": "2019-06"}),
    ("party_join_date not in [date(\"2018-01-01\"), date(\"2020-01-01\")]", {"party_join_date": "2019-06"}),
    ("party_join_date + 1 years > as_of", {"party_join_date": "2026-06-01"}),
    ("party_join_date - 30 days < date(\"2026-05-01\")", {"party_join_date": "2026-05-20"}),
    ("party_join_date < party_sanction_date", {"party_join_date": "2019", "party_sanction_date": "2020-03"}),
    ("party_join_date == party_sanction_date", {"party_join_date": "2020-03-05", "party_sanction_date": "2020-03"}),
    ("assessment_last == assessment_prev", {"assessment_last": "称职", "assessment_prev": "合格"}),
    ("within(party_sanction_date, 12 months)", {"party_sanction_date": "2025-12-15"}),
    ("within(party_sanction_date, 12 months)", {"party_sanction_date": "2025-12-14"}),
    ("within(party_sanction_date, 12 months)", {"party_sanction_date": "2025年12月"}),
    ("within(party_sanction_date, 365 days)", {"party_sanction_date": "2025-12-15"}),
    ("within(party_sanction_date, 1 years)", {"party_sanction_date": "2027-01-01"}),
    ("within(party_sanction_date, coalesce(party_probation_months, 6) months)",
     {"party_sanction_date": "2026-07", "party_probation_months": "12"}),
    ("within(date(\"2026-01-01\"), coalesce(party_probation_months, 6) months)", {}),
    ("true and dishonest_debtor", {"dishonest_debtor": "是"}),
    ("false or age > 100", {}),
])
def test_each_operator_agrees_with_the_vector_engine(make_ruleset, when, fields):
    rules = load_ruleset(make_ruleset(when, reason="命中：{age}"))
    base = {"name": "张三", "id_number": ID_1990, "role": "村委会委员", "village": "平丰村"}
    records = [{**base, **fields}, base, {**base, **{k: "" for k in fields}}]
    both(rules, [{rules.fields[k].label: v for k, v in r.items()} for r in records])


def test_forever_parameters_agree(make_ruleset):
    rules = load_ruleset(make_ruleset("$m[gov_sanction] > 12 and within(gov_sanction_date, $m[gov_sanction] months)",
                                      params={"m": {"警告": 6, "开除": "forever"}}, reason="{$m[gov_sanction] months}"))
    records = [{"姓名": "甲", "公民身份号码": ID_1990, "政务处分": s, "政务处分日期": d}
               for s, d in [("开除", "1990-01-01"), ("警告", "2026-10-01"), ("记过", "2026-10-01"), ("开除", "")]]
    result = both(rules, records)
    assert result.findings.loc[result.findings["rule"] == "T01", "reason"].iloc[0] == "永久"


def test_roles_agree(make_ruleset):
    rules = load_ruleset(make_ruleset("political_status != \"中共党员\"", roles=["党组织书记"]))
    records = [{"姓名": "甲", "公民身份号码": ID_1990, "政治面貌": "群众", "拟任职务": role}
               for role in ("村委会委员", "党组织书记", "书记兼主任", "", "会计", "外星职务")]
    both(rules, records)
    both(rules, [{"姓名": "甲", "公民身份号码": ID_1990, "政治面貌": "群众"}])   # no role column at all


# ---------------------------------------------------------------- the --engine option

def test_run_engine_option_and_meta(runner, tmp_path):
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["run", str(FIXTURES / "demo_roster.csv"), "--as-of", "2026-12-15",
                                 "--engine", "durable", "--no-history", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["meta"]["engine"] == "durable"


def test_check_uses_durable_by_default_and_says_the_same(runner):
    args = ["check", "--as-of", "2026-12-15", "--format", "json", "--set", "姓名=张三",
            "--set", f"公民身份号码={ID_2008_12_16}", "--set", "拟任职务=村委会委员", "--set", "党纪处分=严重警告",
            "--set", "党纪处分日期=2025年10月"]
    by_default = runner.invoke(cli, args)
    vectorised = runner.invoke(cli, [*args, "--engine", "vector"])
    assert by_default.exit_code == vectorised.exit_code == 0, by_default.output
    assert json.loads(by_default.output) == json.loads(vectorised.output)
    assert "A01" in by_default.output
