"""`vet check` answers sooner (#14 item 7) and says exactly what it said before: the rules it
leaves out (village counts, seats, ethnic groups) change no candidate's text or JSON; its
durable_rules process is started ahead and taken over only when started as the run would start
it; it loads no Arrow query engine. Structural, never timed (bench/startup.py times it)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from vetting.cli import cli
from vetting.engine.durable import spawn
from vetting.explain import candidate_text
from vetting.pipeline import ReadOptions, load_candidates, run_engine, vet_records
from vetting.reports.json_report import candidate_object
from vetting.ruleset.loader import load_ruleset
from vetting.single import check_record, check_roster_row, person_rules

AS_OF = dt.date(2026, 12, 15)
#: The slate roster has every kind of village finding; the other two (slower) run under -m slow.
ROSTERS = [FIXTURES / "groups" / "slate_roster.csv",
           pytest.param(FIXTURES / "groups" / "statutory_roster.csv", marks=pytest.mark.slow),
           pytest.param(FIXTURES / "demo_roster.csv", marks=pytest.mark.slow)]


def _outputs(result, row_id: int) -> tuple[str, dict]:  # noqa: ANN001
    return candidate_text(result, row_id), candidate_object(result, row_id)


@pytest.mark.parametrize("roster", ROSTERS, ids=lambda p: p.name)
def test_every_row_checked_reads_as_in_a_run_with_every_group_rule(roster):
    rules = load_ruleset("national")
    candidates = load_candidates([str(roster)], rules, ReadOptions())
    full = run_engine(rules, candidates, AS_OF, "vector")
    assert not full.villages.empty, "the rules a single check leaves out do find something here"
    assert person_rules(rules).group_rules != rules.group_rules
    single = run_engine(person_rules(rules), candidates, AS_OF, "vector")   # what check_roster_row runs
    for row_id in range(len(candidates)):
        assert _outputs(single, row_id) == _outputs(full, row_id), row_id
    row = int(candidates.frame["source_row"].iloc[-1])
    checked = check_roster_row(str(roster), row, rules, AS_OF, engine="vector")
    assert _outputs(checked.result, checked.row_id) == _outputs(full, len(candidates) - 1)


def test_a_record_checked_reads_as_with_every_group_rule_on_both_engines():
    rules = load_ruleset("national")
    record = {"姓名": "马秀兰", "公民身份号码": "64032319820202004X", "拟任职务": "村委会委员", "性别": "女",
              "村(社区)": "东村", "乡镇(街道)": "花马池镇", "亲属关系": "马建国(妻子)", "户号": "7"}
    full = vet_records([record], rules, AS_OF, engine="vector")
    assert not full.villages.empty
    for engine in ("vector", "durable"):
        assert _outputs(check_record(record, rules, AS_OF, engine=engine).result, 0) == _outputs(full, 0)


def test_pair_rules_are_kept():
    rules = load_ruleset("national")
    kinds = [g.kind for g in person_rules(rules).group_rules]
    assert "duplicate" in kinds and "relatives" in kinds and not {"count", "seats", "minority"} & set(kinds)


# ---------------------------------------------------------------- the durable_rules process started ahead

def test_vet_check_takes_over_the_process_it_started_ahead(runner, monkeypatch):
    started = []
    original = spawn.start_host
    monkeypatch.setattr(spawn, "start_host", lambda: started.append(1) or original())
    result = runner.invoke(cli, ["check", "--as-of", "2026-12-15", "--set", "姓名=张三", "--set", "出生日期=2008-12-16"])
    assert result.exit_code == 0, result.output
    assert "A01" in result.output and started == [1] and not spawn._spare
    assert runner.invoke(cli, ["check", "--as-of", "2026-12-15", "--set", "姓名=张三", "--engine", "vector"]
                         ).exit_code == 0
    assert started == [1] and not spawn._spare   # no durable engine, no process


def test_a_process_started_under_another_environment_is_not_taken(monkeypatch):
    spawn.prestart()
    spare = spawn._spare[0]
    monkeypatch.setenv("VETTING_SPAWN_TEST", "1")      # e.g. a test pointing PYTHONPATH elsewhere
    host = spawn.take_host()
    try:
        assert host is not spare and spare.proc.poll() is not None and not os.path.exists(spare.status_path)
    finally:
        spawn.close_host(host)
    assert host.proc.returncode == 0 and not os.path.exists(host.status_path)


def test_a_spare_never_taken_is_ended_at_exit(tmp_path):
    code = ("import json, sys; from vetting.engine.durable import spawn; spawn.prestart(); "
            "h = spawn._spare[0]; print(json.dumps([h.proc.pid, h.status_path]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    pid, status = json.loads(done.stdout)
    assert not os.path.exists(status)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("args", [["--set", "姓名=张三"],
                                  pytest.param([str(FIXTURES / "demo_roster.xlsx"), "--row", "9"],
                                               marks=pytest.mark.slow)], ids=["set", "row"])
def test_vet_check_loads_no_arrow_query_engine(tmp_path, args):
    """One interpreter (~1 s): Arrow's group-by would load pyarrow.acero, dataset, parquet, ssl.
    (Said by an exit handler: `vet check` ends the process once they have run.)"""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('LOADED', sorted(m for m in ('pyarrow.acero', 'pyarrow.dataset')"
            " if m in sys.modules)))\n"
            "from vetting.cli import main; sys.argv = ['vet'] + sys.argv[1:]; main()")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code, "check", "--as-of", "2026-12-15", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "LOADED []" in done.stdout, (args, done.stdout[-300:], done.stderr[-500:])


# ---------------------------------------------------------------- ending without the interpreter's tear-down

def _vet(args: list[str], tmp_path) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache"), "TMPDIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "vetting", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def test_vet_check_ends_quickly_with_its_output_whole_and_its_files_gone(runner, tmp_path):
    """Two interpreters (~2 s): the process ends by os._exit after flushing and the exit handlers."""
    args = ["check", "--as-of", "2026-12-15", "--set", "姓名=张三", "--set", "出生日期=2008-12-16"]
    done = _vet(args, tmp_path)
    assert done.returncode == 0 and done.stdout == runner.invoke(cli, args).stdout and "A01" in done.stdout
    failed = _vet(["check", "--as-of", "2026-12-15"], tmp_path)     # usage error: exit 2, the message said
    assert failed.returncode == 2 and "请给出花名册和 --row" in failed.stderr
    # the durable_rules process started ahead of that failed check was ended, its status file removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
