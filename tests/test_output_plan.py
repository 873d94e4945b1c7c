"""The output plan (vetting.outplan) beyond single CLI calls: what counts as the same file, and
standard output redirected onto an input (a child process, since the shell's redirection is the
point). The refusals of `-o`, sidecars, the history files, `rules export` and `template` onto an
input are cases in fixtures/bad/cases.yaml."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from vetting.errors import InputError
from vetting.outplan import Place, check_plan, check_run, run_inputs, run_outputs, same_file


def test_same_file_follows_the_file_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    assert same_file("r.csv", "./r.csv") and same_file("r.csv", tmp_path / "sub" / ".." / "r.csv")
    assert same_file("new.csv", tmp_path / "new.csv")            # neither exists yet: the same real path
    assert not same_file("r.csv", "new.csv") and not same_file("a.csv", "b.csv")
    (tmp_path / "link").symlink_to(tmp_path / "sub")
    assert same_file("link/new.csv", "sub/new.csv")              # a folder reached through a link


def test_every_file_a_csv_run_may_write_or_remove_is_planned(tmp_path):
    planned = {p.path.name: (p.role, p.option) for p in run_outputs(str(tmp_path / "r.csv"), "csv", tmp_path / "h.db")}
    assert set(planned) == {"r.csv", "r.meta.csv", "r.findings.csv", "r.villages.csv", "r.awaiting.csv", "r.unmatched.csv",
                            "r.decisions.csv",
                            "h.db", "h.db.key", "h.db-journal", "h.db-wal", "h.db-shm"}
    assert planned["r.unmatched.csv"][1] == "-o" and planned["h.db.key"] == ("审查记录密钥文件", "--db")
    assert [p.path.name for p in run_outputs(str(tmp_path / "r.xlsx"), "xlsx", None)] == ["r.xlsx"]


def test_two_outputs_or_an_output_and_an_input_may_not_meet(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("x", encoding="utf-8")
    inputs = run_inputs([str(roster)], [("公安", str(tmp_path / "p.csv"))], [str(tmp_path / "pack.yaml")])
    check_plan(run_outputs(str(tmp_path / "out.json"), "json", tmp_path / "h.db"), inputs)
    with pytest.raises(InputError, match="联审回复文件（公安）"):
        check_plan([Place(tmp_path / "p.csv", "报告文件", "-o")], inputs)
    with pytest.raises(InputError, match="两个输出是同一个文件"):
        check_plan(run_outputs(str(tmp_path / "h.db.key"), "json", tmp_path / "h.db"), inputs)


@pytest.mark.skipif(os.name != "posix", reason="shell-style redirection of a file descriptor")
def test_standard_output_appended_to_the_roster_is_refused(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_bytes((FIXTURES / "demo_roster.csv").read_bytes())
    before = roster.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    with roster.open("ab") as appended:                           # vet run r.csv >> r.csv
        done = subprocess.run([sys.executable, "-m", "vetting", "run", str(roster), "--as-of", "2026-12-15",
                               "--no-history"], stdout=appended, stderr=subprocess.PIPE, env=env, timeout=60)
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2 and "标准输出被重定向到了花名册「" in stderr, stderr
    assert roster.read_bytes() == before


def test_one_roster_given_twice_is_refused(tmp_path, monkeypatch):
    """The same file twice (its people would all be duplicates of themselves, named by full paths)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv").write_text("x", encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.csv").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="同一个花名册文件给出了两次"):
        check_run(["r.csv", "./r.csv"], [], [], None, "csv", None)
    check_run(["r.csv", "a/r.csv"], [], [], None, "csv", None)     # two files of one name: both read
