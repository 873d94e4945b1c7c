"""An opinion column is read once per distinct text and spread to the rows holding it
(vetting.joint.merge): whatever else the column holds, each candidate gets what its cells alone
give it: its facts and their evidence, its records, its data issues and the agencies it awaits."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vetting.pipeline import record_candidates
from vetting.ruleset.loader import load_ruleset

NATIONAL = load_ruleset("national")
TEXTS = ["", "无", "经核查，无违法违纪记录", "未反馈", "/", "待核查", "查无此人", "该同志系老上访户，情况复杂",
         "2025年10月受党内严重警告处分", "2012年因故意伤害罪被判处有期徒刑一年六个月",
         "2016年3月因赌博被行政拘留五日，2025年8月因斗殴被行政拘留十日",
         "2018年2月受党内警告处分，2026年1月受党内严重警告处分",
         "2025年3月受到撤销党内职务处分；2025年6月受到警告处分", "被列入失信被执行人名单,至今未履行"]
COLUMNS = ["纪委监委意见", "公安机关意见", "人民法院意见"]
PERSON = st.fixed_dictionaries({column: st.sampled_from(TEXTS) for column in COLUMNS})


def _person(k: int, opinions: dict) -> dict:
    return {"姓名": f"人{k}", "公民身份号码": "510525198001010018", "拟任职务": "村委会委员", "村(社区)": "一村",
            **{column: opinions[column] for column in COLUMNS}}     # the same columns in the same order


def _of(candidates, row: int) -> dict:
    """What the joint review gave one candidate, without the row it was on."""
    unrowed = re.compile(r"第\d+行")
    issues = candidates.issues[candidates.issues["row_id"] == row].drop(columns="row_id")
    records = candidates.records
    mine = [] if records is None else np.flatnonzero(records.owner == row)
    return {
        "issues": sorted(tuple(unrowed.sub("", str(v)) for v in r) for r in issues.itertuples(index=False)),
        "facts": {name: candidates.raw[name].iloc[row] for name in candidates.raw.columns    # a column another
                  if name not in ("source_row", "source_file") and candidates.raw[name].iloc[row] != ""},  # filled
        "evidence": {name: str(values[row]) for name, values in candidates.provenance.items() if not pd.isna(values[row])},
        "records": [({name: column[i] for name, column in records.columns.items() if column[i] is not None},
                     str(records.evidence[i]),
                     bool(records.weak[i])) for i in mine],
        "silence": [(b.agency, b.column, b.problem if isinstance(b.problem, str) else str(b.problem[row]))
                    for b in candidates.silence.blocks if b.owed[row]],
    }


def each_gets_what_its_own_cells_give(people: list[dict]) -> None:
    together = record_candidates([_person(k, p) for k, p in enumerate(people)], NATIONAL)
    for k, opinions in enumerate(people):
        alone = record_candidates([_person(k, opinions)], NATIONAL)
        assert _of(together, k) == _of(alone, 0), opinions


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(PERSON, min_size=2, max_size=5))
def test_each_candidate_gets_what_its_own_cells_give(people):
    each_gets_what_its_own_cells_give(people)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(PERSON, min_size=2, max_size=8))
def test_each_candidate_gets_what_its_own_cells_give_long(people):
    each_gets_what_its_own_cells_give(people)
