"""The benchmark roster generator (bench/generate.py): deterministic, right headers, valid IDs.

No timings here: speed is measured by bench/run_bench.py, never asserted in unit tests.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

EXPECTED_HEADER = (ROOT / "fixtures" / "demo_roster.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")


def _load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def mod11_2_ok(id_number: str) -> bool:
    """GB 11643-1999: 18 characters, 17 digits, a real birth date, ISO 7064 MOD 11-2 check char."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(id_number[:17], weights))
    if "10X98765432"[total % 11] != id_number[17].upper():
        return False
    try:
        dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return False
    return True


def test_mod11_2_reference_numbers():
    # Valid numbers whose check characters were worked out by hand (GB 11643-1999, ISO 7064 MOD 11-2).
    assert mod11_2_ok("11010519491231002X")
    assert mod11_2_ok("360426199101010071")
    assert mod11_2_ok("440524188001010014")
    assert not mod11_2_ok("110105194912310021")


def test_deterministic_for_a_fixed_seed():
    a = gen.generate_roster(2000, seed=12345)
    b = gen.generate_roster(2000, seed=12345)
    pd.testing.assert_frame_equal(a, b)
    c = gen.generate_roster(2000, seed=54321)
    assert not a["公民身份号码"].equals(c["公民身份号码"])


def test_headers_match_demo_and_field_catalogue():
    df = gen.generate_roster(2000, seed=1)
    assert list(df.columns) == EXPECTED_HEADER
    assert len(df) == 2000

    demo = ROOT / "fixtures" / "demo_roster.csv"
    if demo.exists():
        header = demo.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert header == EXPECTED_HEADER

    catalogue = yaml.safe_load((ROOT / "vetting" / "fields.yaml").read_text(encoding="utf-8"))
    labels = {spec["label"] for spec in catalogue["fields"].values()}
    assert set(EXPECTED_HEADER) - {"序号"} <= labels


def test_every_id_meant_to_be_valid_passes_mod11_2():
    df, truth = gen.generate(2000, seed=2026)
    ids = df["公民身份号码"].tolist()
    meant_valid = truth["id_valid"].tolist()
    failing = [i for i, (s, ok) in enumerate(zip(ids, meant_valid)) if ok and not mod11_2_ok(s)]
    assert failing == []
    # ... and the deliberately invalid ones (~1 %) really are invalid.
    invalid = [s for s, ok in zip(ids, meant_valid) if not ok]
    assert 5 <= len(invalid) <= 50
    assert not any(mod11_2_ok(s) for s in invalid)


@pytest.mark.parametrize("n", [1, 13, 301])
def test_small_sizes(n):
    df = gen.generate_roster(n, seed=0)
    assert len(df) == n
    assert df["公民身份号码"].notna().all()


def test_pending_shape_has_opinion_columns_and_no_facts():
    """Shape (b): the same people before replies, 24 columns, every agency's opinion column of
    the national ruleset, mostly blank or 未反馈."""
    df = gen.generate_pending(2000, seed=7)
    base = gen.generate_roster(2000, seed=7)
    assert len(df.columns) == 24
    assert df["公民身份号码"].equals(base["公民身份号码"])
    assert not set(gen.FACT_CLEAN) & set(df.columns)
    from vetting.joint.merge import agency_of_header
    from vetting.ruleset.loader import load_ruleset
    agencies = load_ruleset("national").agencies
    assert all(agency_of_header(c, agencies) for c in gen.OPINION_COLUMNS)
    opinions = df[gen.OPINION_COLUMNS].fillna("")
    unanswered = opinions.isin(["", "未反馈", "待核查"]).to_numpy().mean()
    assert 0.8 < unanswered < 0.95
    pd.testing.assert_frame_equal(df, gen.generate_pending(2000, seed=7))


def test_office_xlsx_has_title_and_two_level_header(tmp_path):
    pytest.importorskip("xlsxwriter")
    from openpyxl import load_workbook
    df = gen.generate_pending(5, seed=3)
    path = tmp_path / "office.xlsx"
    gen.write_office_xlsx(df, path)
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == gen.TITLE
    assert rows[1][0] == "基本情况" and rows[1][len(gen.PENDING_PERSONAL)] == "联审部门意见"
    assert list(rows[2]) == list(df.columns)
    assert len(rows) == 3 + 5
    assert rows[3][7] == df["公民身份号码"][0]
