"""Run history: ID-like digit runs of every shape are masked before they reach the database
(findings' reason and evidence, names, file names, options, the meta block) and never appear
in `vet history` output; digests under ``sha256`` stay intact."""

from __future__ import annotations

import sqlite3

import pytest
from test_history import ID_A, T0, T1, finding, make_result, person

from vetting.cli import cli
from vetting.history import open_history, run_text

#: ID-like digit runs in the shapes a roster or a reply may hold them.
R15 = "320106850723415"
R16 = "4401061979111822"
R17 = "33010619820304567"
R18 = "110105198807159993"
RX = "51052519930817372X"
RFW = "１３０１０２１９７５０６０６３３１８"             # full-width digits
RUNS = (R15, R16, R17, R18, RX, RFW)
SHA = "0" * 20 + "1" * 20 + "abcdef" * 4


def middle(run: str) -> str:
    """The digits a masked run hides (all but the first 6 and the last 4)."""
    return run[6:-4]


def masked(run: str) -> str:
    """An ID's length keeps 6 + 4; any other length (a cut or mistyped number) is all stars."""
    return run[:6] + "*" * (len(run) - 10) + run[-4:] if len(run) in (15, 18) else "*" * len(run)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "h.sqlite3"


@pytest.fixture
def recorded(db):
    """A run whose every free-text place holds ID-like runs, recorded in `db`."""
    result = make_result(
        [person(0, 2, f"张三{R17}", ID_A, "review", file=f"名册{RX}.xlsx"),
         person(1, 3, "李四", None, "review")],
        [finding(0, "X1", "review", f"编号{R16}与档案不符"),
         finding(1, "X2", "review", f"旧号{R15}，村委填报{RFW}", name="旧号规则")])
    result.findings.loc[0, "evidence"] = f"ID{R18}; no.{R15}"
    result.candidates.loc[1, "village"] = f"红星村{RFW}"
    result.meta["warnings"] = [f"第5行身份证号{R18}校验位错误", f"编号{R16}"]
    result.meta["replies"] = [{"agency": "公安", "file": f"回复ID{R17}.xlsx", "sha256": SHA}]
    result.meta["inputs"][0]["file"] = f"名册{RX}.xlsx"
    result.meta["ruleset"]["sha256"] = SHA
    options = {"rosters": [f"/data/abc{R18}.xlsx", f"/data/名册{RFW}.csv"], "sheet": f"第{R16}页",
               "findings": [["公安", f"回复{R15}.xlsx"]]}
    with open_history(db, create=True) as store:
        store.record(result, T0, T1, options)
    return db


def table_text(db) -> str:
    """Every value of every table, as text."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells = [str(v) for t in tables for row in conn.execute(f"SELECT * FROM {t}") for v in row]
    conn.close()
    return "\n".join(cells)


def assert_no_middle(text: str) -> None:
    for run in RUNS:
        assert middle(run) not in text, run


def test_id_like_runs_of_every_shape_are_masked_in_every_table(recorded):
    text = table_text(recorded)
    assert_no_middle(text)
    for run in RUNS:
        assert masked(run) in text, run
    with sqlite3.connect(recorded) as conn:
        reasons = [r[0] for r in conn.execute("SELECT reason FROM all_findings ORDER BY row_id")]
        evidence = conn.execute("SELECT evidence FROM all_findings WHERE row_id = 0").fetchone()[0]
        name, file = conn.execute("SELECT name, source_file FROM candidates WHERE row_id = 0").fetchone()
        ruleset_sha256 = conn.execute("SELECT ruleset_sha256 FROM runs").fetchone()[0]
    conn.close()
    assert reasons[0] == f"编号{masked(R16)}与档案不符"          # digits right after a word
    assert reasons[1] == f"旧号320106*****3415，村委填报{masked(RFW)}"
    assert evidence == "ID110105********9993; no.320106*****3415"
    assert (name, file) == (f"张三{masked(R17)}", "名册510525********372X.xlsx")
    assert ruleset_sha256 == SHA and text.count(SHA) == 3      # runs column, meta ruleset, meta reply


def test_raw_database_file_never_holds_the_hidden_digits(recorded):
    raw = b"".join(p.read_bytes() for p in recorded.parent.iterdir())
    for run in RUNS:
        assert middle(run).encode("utf-8") not in raw, run
    assert SHA.encode() in raw


def test_vet_history_output_never_holds_the_hidden_digits(recorded, runner):
    for args in (["history"], ["history", "show", "latest"], ["history", "show", "1", "--show-id"],
                 ["history", "compare", "1", "1"]):
        result = runner.invoke(cli, [*args, "--db", str(recorded)])
        assert result.exit_code == 0, result.output
        assert_no_middle(result.output)
    shown = runner.invoke(cli, ["history", "show", "latest", "--db", str(recorded)]).output
    for fragment in (f"编号{masked(R16)}与档案不符", "证据：ID110105********9993", f"张三{masked(R17)}",
                     "名册510525********372X.xlsx", f"红星村{masked(RFW)}", f"工作表=第{masked(R16)}页",
                     "/data/abc110105********9993.xlsx", "警告：第5行身份证号110105********9993校验位错误",
                     f"规则集SHA256：{SHA}"):
        assert fragment in shown, fragment
    with open_history(recorded) as store:
        assert run_text(store.run(1)) in shown
