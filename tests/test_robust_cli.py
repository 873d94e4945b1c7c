"""No "内部错误" for reachable input: `--json` bounded, absurd run numbers, and a full disk (the report,
the history database, its key file, standard output) each end in a Chinese message and exit 2."""

from __future__ import annotations

import errno
import json
import os

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from hostile import run_isolated
from vetting.cli import cli
from vetting.errors import VettingError, os_reason
from vetting.history import open_history
from vetting.history.errors import HistoryError
from vetting.history.keys import create_key
from vetting.single import MAX_JSON_BYTES, load_json

DEMO = FIXTURES / "demo_roster.csv"
AS_OF = ["--as-of", "2026-12-15"]


# ------------------------------------------------------------------ --json

@pytest.mark.parametrize("text,fragment", [
    ('{"姓名": ' + "[" * 100_000 + "]" * 100_000 + "}", "嵌套过深"),
    ('{"年龄": ' + "9" * 5000 + "}", "位数过多（最多30位）"),
    ('{"年龄": 1e400}', "超出范围"),
    ('{"年龄": NaN}', "不能有 NaN"),
    ('{"年龄": -Infinity}', "不能有 -Infinity"),
    ('{"姓名": {"姓": "张"}}', "「姓名」的值应为文本、数值或 true/false，实为对象"),
    ('{"姓名": ["张三"]}', "实为列表"),
    ('{"姓名": "张三",}', "格式有误，第1行第13列"),
    ("[1, 2]", "应为一个对象"),
    ('{"姓名": "' + "张" * MAX_JSON_BYTES + '"}', "人选JSON过长"),
])
def test_json_given_inline_is_bounded(text, fragment):
    with pytest.raises(VettingError, match=fragment):
        load_json(text)


def test_json_file_is_read_at_most_to_the_limit(tmp_path):
    big = tmp_path / "大.json"
    big.write_bytes(b'{"x": "' + b"a" * (MAX_JSON_BYTES * 3) + b'"}')
    with pytest.raises(VettingError, match="大.json：文件过大"):
        load_json(f"@{big}")
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes('{"姓名": "张三"}'.encode("gbk"))
    with pytest.raises(VettingError, match="不是UTF-8编码"):
        load_json(f"@{gbk}")
    with pytest.raises(VettingError, match="文件或目录不存在（ENOENT）"):
        load_json(f"@{tmp_path / 'missing.json'}")
    assert load_json('{"姓名": "张三", "年龄": 35, "党员": true}') == {"姓名": "张三", "年龄": 35, "党员": True}


# ------------------------------------------------------------------ history run numbers

def _recorded(folder):
    db = folder / "history.sqlite3"
    done = CliRunner().invoke(cli, ["run", str(DEMO), *AS_OF, "-o", str(folder / "r.json"), "--db", str(db)])
    assert done.exit_code == 0, done.output
    return db


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A database holding one run (read only by the tests that share it)."""
    return _recorded(tmp_path_factory.mktemp("one_run"))


@pytest.mark.parametrize("ref", ["99999999999999999999", "9" * 5000, "#9223372036854775808", "latest~" + "9" * 30,
                                 "0" * 40 + "2"])
def test_absurd_run_numbers_name_no_run(history, ref):
    with open_history(history) as store, pytest.raises(HistoryError, match="（现有编号 1）"):
        store.resolve(ref)


def test_leading_zeros_and_the_largest_id_still_resolve(history):
    with open_history(history) as store:
        assert store.resolve("0" * 40 + "1") == 1
        assert len(store.runs(limit=10 ** 30)) == 1


def test_absurd_run_numbers_through_the_cli(history, runner):
    for args in (["show", "9" * 5000], ["compare", "1", "99999999999999999999"], ["--limit", "9" * 30]):
        done = runner.invoke(cli, ["history", "--db", str(history), *args])
        assert "内部错误" not in done.output and "Traceback" not in done.output
    assert done.exit_code == 0 and "#1" in done.output


# ------------------------------------------------------------------ operating-system errors

def test_os_reasons_are_chinese():
    assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "磁盘空间不足（ENOSPC）"
    assert os_reason(PermissionError(errno.EACCES, "Permission denied")) == "没有权限（EACCES）"
    assert "space" not in os_reason(OSError(errno.ENOSPC, "No space left on device"))
    assert os_reason(OSError(errno.EOVERFLOW, "Value too large")) == "操作系统报告错误（EOVERFLOW）"
    assert os_reason(OSError("no errno")) == "操作系统报告错误（no errno）", "without errno the message is all there is"
    assert os_reason(OSError()) == "操作系统报告错误"


def test_an_os_error_nobody_explained_is_chinese_at_the_cli(runner, monkeypatch, tmp_path):
    def fail(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x.yaml"))

    monkeypatch.setattr("vetting.cli.load_ruleset", fail)
    done = runner.invoke(cli, ["rules", "list"])
    assert done.exit_code == 2
    assert done.stderr == f"错误：无法读写文件 {tmp_path / 'x.yaml'}：没有权限（EACCES）\n"


def test_the_key_file_on_a_full_disk(tmp_path, monkeypatch):
    def no_space(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(HistoryError, match="无法写入审查记录密钥文件 .*：磁盘空间不足（ENOSPC）"):
        create_key(tmp_path / "history.sqlite3.key")
    assert list(tmp_path.iterdir()) == [], "a half-written key file is removed"


def test_a_report_on_a_full_disk_leaves_nothing(runner, tmp_path, monkeypatch):
    """The xlsx writer fills a temporary file that is fsynced before it replaces the report."""
    def no_space(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    done = runner.invoke(cli, ["run", str(DEMO), *AS_OF, "-o", str(tmp_path / "结果.xlsx"), "--no-history"])
    assert done.exit_code == 2
    assert done.stderr.splitlines()[0].startswith("读取 demo_roster")  # said when reading ended
    assert done.stderr.split("\n", 1)[1] == (f"错误：无法写出 {tmp_path / '结果.xlsx'}：磁盘空间不足（ENOSPC）；"
                                             "本次未写出任何文件，原有文件保持不变\n")
    assert list(tmp_path.iterdir()) == []


def test_history_on_a_full_disk_keeps_the_report_and_no_part_of_the_run(tmp_path):
    """SQLite answers SQLITE_FULL (tests/fault_child.py caps the database at its size): the report
    is written, the run is not recorded at all, no journal is left, exit 2 in Chinese."""
    history = _recorded(tmp_path)
    report = tmp_path / "第二次.json"
    done = run_isolated(["run", str(DEMO), *AS_OF, "-o", str(report), "--db", str(history)], {},
                        seconds=120, fault="history_full")
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2, stderr
    assert f"报告已写入 {report}，但审查记录未能保存" in stderr and "磁盘已满" in stderr
    assert "Traceback" not in stderr and "内部错误" not in stderr
    assert json.loads(report.read_text(encoding="utf-8"))["meta"]["candidate_count"] == 27
    with open_history(history) as store:
        assert store.count() == 1
    assert sorted(p.name for p in history.parent.iterdir()) == sorted(
        ["history.sqlite3", "history.sqlite3.key", "r.json", "第二次.json"])
