"""A report and its sidecars are one transaction (vetting.atomic.write_all): a failure in any part
- while writing, while renaming part-way, with or without hard links - leaves every target as it
was and no temporary file; SIGTERM mid-write unwinds like Ctrl-C (a child process is killed while
its XLSX report sits complete in its temporary file)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_report_sidecars import with_lists
from test_reports import sample_result

from conftest import FIXTURES, ROOT
from vetting.atomic import write_all
from vetting.errors import InputError
from vetting.reports import write_report
from vetting.reports.csv_report import awaiting_path, meta_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def earlier(tmp_path):
    """A CSV report with all its sidecars, as an earlier run left it."""
    out = tmp_path / "r.csv"
    write_report(with_lists(), out, "csv")
    return out


def test_a_failure_writing_one_part_changes_nothing(tmp_path, earlier):
    before = snapshot(tmp_path)

    def broken(path: str) -> None:
        Path(path).write_bytes(b"half a list")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="磁盘空间不足（ENOSPC）.*原有文件保持不变"):
        write_all([(earlier, b"new report"), (meta_path(earlier), b"new meta"), (awaiting_path(earlier), broken)])
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("hard_links", [True, False], ids=["hard links", "no hard links"])
def test_a_rename_failing_part_way_puts_the_earlier_files_back(tmp_path, earlier, monkeypatch, hard_links):
    before = snapshot(tmp_path)
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        staged = os.fspath(src).endswith(".tmp") and not os.fspath(src).endswith(".old.tmp")
        if os.fspath(dst) == str(awaiting_path(earlier)) and staged:
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst, *args, **kwargs)

    def no_link(*args, **kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "replace", replace)
    if not hard_links:
        monkeypatch.setattr(os, "link", no_link)
    result = sample_result()
    result.meta["awaiting"] = with_lists().meta["awaiting"]      # report, meta and awaiting are rewritten,
    with pytest.raises(InputError, match="没有权限（EACCES）"):    # villages and unmatched would be removed
        write_report(result, earlier, "csv")
    assert snapshot(tmp_path) == before


def test_a_committed_transaction_leaves_only_its_files(tmp_path, earlier):
    write_report(sample_result(), earlier, "csv")
    assert sorted(os.listdir(tmp_path)) == ["r.csv", "r.findings.csv", "r.meta.csv"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_during_an_xlsx_write_removes_the_temporary_file(tmp_path):
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    out.mkdir()
    scratch.mkdir()
    report = out / "r.xlsx"
    report.write_bytes(b"previous report")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]), "TMPDIR": str(scratch),
           "PYTHONIOENCODING": "utf-8"}
    child = subprocess.Popen([sys.executable, str(ROOT / "tests" / "slow_write_child.py"), "run",
                              str(FIXTURES / "demo_roster.csv"), "--as-of", "2026-12-15", "-o", str(report),
                              "--no-history"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        said = []
        while not said or said[-1] not in (b"WRITING\n", b""):
            said.append(child.stderr.readline())
        assert said[-1] == b"WRITING\n", b"".join(said).decode("utf-8", "replace")
        temporary = [p for p in out.iterdir() if p.name.endswith(".tmp")]
        assert temporary and temporary[0].stat().st_size > 1000, "the workbook is complete in its temporary file"
        child.send_signal(signal.SIGTERM)
        try:
            rest = child.communicate(timeout=30)[1].decode("utf-8")
        except subprocess.TimeoutExpired:   # seen once in ~25 full runs: the stacks the child dumped say where
            child.kill()
            pytest.fail("30 s after SIGTERM the child still ran:\n" + child.communicate()[1].decode("utf-8", "replace"))
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 128 + signal.SIGTERM, rest
    assert "已终止（收到终止信号）：本次审查未完成，未写出报告" in rest and "Traceback" not in rest
    assert os.listdir(out) == ["r.xlsx"] and report.read_bytes() == b"previous report"
    assert os.listdir(scratch) == [], "the workbook writer's own temporary files are gone too"


@pytest.mark.skipif(os.name != "posix", reason="process ids are asked about only on POSIX")
def test_a_run_killed_outright_leaves_files_the_next_run_removes(tmp_path):
    """SIGKILL lets no clean-up run: the workbook half written stays beside the report, hidden,
    holding candidates' data. The next run writing there removes it and says so."""
    from click.testing import CliRunner

    from vetting.cli import cli

    report = tmp_path / "r.xlsx"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]), "PYTHONIOENCODING": "utf-8"}
    args = ["run", str(FIXTURES / "demo_roster.csv"), "--as-of", "2026-12-15", "-o", str(report), "--no-history"]
    child = subprocess.Popen([sys.executable, str(ROOT / "tests" / "slow_write_child.py"), *args], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        said = []
        while not said or said[-1] not in (b"WRITING\n", b""):
            said.append(child.stderr.readline())
        assert said[-1] == b"WRITING\n", b"".join(said).decode("utf-8", "replace")
        child.kill()
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))   # the workbook and its rows
    assert len(left) == 2 and all(name.startswith(f".r.xlsx.{child.pid}.") for name in left)
    ran = CliRunner().invoke(cli, args)
    assert ran.exit_code == 0, ran.output
    assert f"已删除此前被强行终止的审查留在输出文件旁的临时文件2个（可能含人选信息）：{'、'.join(left)}" in ran.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


@pytest.mark.skipif(os.name != "posix", reason="process ids are asked about only on POSIX")
def test_only_the_files_of_a_process_that_is_gone_are_removed(tmp_path):
    from vetting.atomic import remove_leftovers, temp_prefix

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    names = [f".r.csv.{gone.pid}.abcd_123.tmp", f".r.csv.{gone.pid}.zz9y8x7w.slice.tmp",   # a killed run's
             f".r.csv.{os.getppid()}.abcd_123.tmp",            # a run still going
             temp_prefix(tmp_path / "r.csv") + "abcd_123.rows.tmp",   # this very process
             ".r.csv.12345678.old.tmp",                         # a previous report kept aside: maybe its only copy
             f".r.csv.{gone.pid}.abcd_123.other.tmp", f".x.csv.{gone.pid}.abcd_123.tmp", "r.csv",
             f".r.csv.{gone.pid}.abcd_123.tmp.rows.abcd_123"]          # a file where a rows folder would be
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / f".r.csv.{gone.pid}.abcd_124.tmp.rows.abcd_123").mkdir()     # a killed XLSX writer's rows
    (tmp_path / f".r.csv.{gone.pid}.abcd_124.tmp.rows.abcd_123" / "rows").write_bytes(b"x")
    assert remove_leftovers(tmp_path / "r.csv") == sorted([*names[:2], f".r.csv.{gone.pid}.abcd_124.tmp.rows.abcd_123"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[2:])


@pytest.mark.skipif(os.name != "posix", reason="process ids are asked about only on POSIX")
def test_exports_diffs_and_templates_also_remove_what_a_killed_one_left(tmp_path):
    from click.testing import CliRunner

    from vetting.cli import cli

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    db, roster = tmp_path / "h.sqlite3", str(FIXTURES / "demo_roster.csv")
    runner = CliRunner()
    assert runner.invoke(cli, ["run", roster, "--as-of", "2026-12-15", "-q", "--db", str(db),
                               "-o", str(tmp_path / "r.json")]).exit_code == 0
    for name, args in (("导出.xlsx", ["history", "show", "latest", "--db", str(db)]),
                       ("变化.json", ["diff", roster, "--as-of", "2026-12-15"]),
                       ("审定表.xlsx", ["rules", "export", "--as-of", "2026-12-15"]),
                       ("花名册模板.xlsx", ["template"]),
                       ("复核结论.xlsx", ["template", "--decisions", "--from", str(tmp_path / "r.json")])):
        left = tmp_path / f".{name}.{gone.pid}.abcd_123.tmp"
        left.write_bytes(b"half a file")
        ran = runner.invoke(cli, [*args, "-o", str(tmp_path / name)])
        assert ran.exit_code == 0, ran.output
        assert f"临时文件1个（可能含人选信息）：{left.name}" in ran.stderr and not left.exists()
