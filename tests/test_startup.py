"""Quick start-up and progress (issue #14, items 6 and 7). Structural, never timed: `vet --help` and
`vet rules …` import no pandas (nor, once the ruleset is in the cache, numpy, Arrow, openpyxl or
jsonschema); a long `vet run` shows its phases and rows per second on a terminal's
stderr, and nothing else changes anywhere else."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import vetting.cli.progress
from conftest import FIXTURES, ROOT
from vetting.cli import cli
from vetting.pipeline import ReadOptions, load_candidates, run_engine
from vetting.progress import PHASES
from vetting.ruleset.loader import load_ruleset

NATIONAL = str(ROOT / "rulesets" / "national.yaml")
AS_OF = dt.date(2026, 12, 15)
#: What the light commands run (each invoked in one child process, one after the other).
LIGHT_COMMANDS = [
    ["--help"], ["run", "--help"], ["check", "--help"], ["history", "--help"], ["diff", "--help"],
    ["rules", "list"], ["rules", "show", "D01", "--as-of", "2026-12-15"], ["rules", "packs"],
    ["rules", "validate", NATIONAL], ["rules", "export", "--as-of", "2026-12-15"],
]
_CHILD = """
import json, sys
from click.testing import CliRunner
from vetting.cli import cli
heavy, found = json.loads(sys.argv[1]), {}
for args in json.loads(sys.argv[2]):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, (args, result.output)
    found[" ".join(args)] = sorted(m for m in heavy if m in sys.modules)
print(json.dumps(found))
"""


def _imported(commands: list[list[str]], heavy: tuple[str, ...], cache: str) -> dict[str, list[str]]:
    """For each command, run in order in one fresh interpreter, the heavy modules loaded by then."""
    env = {**os.environ, "XDG_CACHE_HOME": cache, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(heavy), json.dumps(commands)],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return json.loads(done.stdout)


def test_help_and_rules_commands_import_no_pandas(tmp_path):
    """Even the first time (nothing cached: the pack's RE2 patterns are checked with Arrow)."""
    found = _imported(LIGHT_COMMANDS, ("pandas", "openpyxl", "jinja2"), str(tmp_path))
    assert found == {" ".join(args): [] for args in LIGHT_COMMANDS}


def test_with_the_ruleset_cached_they_import_no_data_library_at_all(tmp_path):
    heavy = ("pandas", "numpy", "pyarrow", "openpyxl", "jinja2", "jsonschema", "python_calamine")
    _imported([["rules", "list"]], heavy, str(tmp_path))      # fills the cache
    assert _imported(LIGHT_COMMANDS, heavy, str(tmp_path)) == {" ".join(args): [] for args in LIGHT_COMMANDS}


# ---------------------------------------------------------------- progress

def _run(runner, tmp_path, *extra: str):  # noqa: ANN001, ANN202
    return runner.invoke(cli, ["run", str(FIXTURES / "demo_roster.xlsx"), "--as-of", "2026-12-15",
                               "--no-history", "-o", str(tmp_path / "r.json"), *extra])


def test_a_terminal_sees_each_phase_and_its_rows_per_second(runner, tmp_path, monkeypatch):
    plain = _run(runner, tmp_path)
    monkeypatch.setattr(vetting.cli.progress, "stderr_is_terminal", lambda: True)
    shown = _run(runner, tmp_path)
    assert plain.exit_code == shown.exit_code == 0
    for phase in PHASES:
        assert re.search(f"{phase}: .*行/s", shown.stderr), phase
    # the notes are the same lines, said at the same points; the rest is the progress line only
    progress = shown.stderr
    for line in plain.stderr.splitlines():
        assert line in progress
        progress = progress.replace(line, "", 1)
    assert set(re.findall(r"[^\x00-\x7f]", progress)) <= set("".join(PHASES) + "行█▏▎▍▌▋▊▉")
    assert not re.search(r"\d{6,}", progress), "counts of rows only: no ID number, no long digit run"
    assert shown.stderr.index("读取: ") < shown.stderr.index("读取 demo_roster.xlsx") < shown.stderr.index("审查: ")


def test_quiet_or_a_redirected_stderr_shows_no_progress(runner, tmp_path, monkeypatch):
    plain = _run(runner, tmp_path)
    assert not any(f"{phase}: " in plain.stderr for phase in PHASES)
    monkeypatch.setattr(vetting.cli.progress, "stderr_is_terminal", lambda: True)
    assert _run(runner, tmp_path, "-q").stderr == plain.stderr
    assert _run(runner, tmp_path, "--quiet").stderr == plain.stderr


def test_the_pipeline_reports_phases_through_its_callback_and_prints_nothing(capsys):
    heard = []
    rules = load_ruleset("national")
    candidates = load_candidates([str(FIXTURES / "demo_roster.xlsx")], rules, ReadOptions(),
                                 progress=lambda *call: heard.append(call))
    run_engine(rules, candidates, AS_OF, progress=lambda *call: heard.append(call))
    assert [phase for phase, _, _ in heard] == ["读取", "读取", "标准化", "标准化", "联审", "联审", "审查", "审查"]
    assert heard[1] == ("读取", 27, None) and heard[-1] == ("审查", 27, 27)
    assert all(total is None or 0 <= done <= total for _, done, total in heard)
    assert capsys.readouterr() == ("", "")


def test_without_a_callback_the_stages_are_silent(capsys):
    rules = load_ruleset("national")
    run_engine(rules, load_candidates([str(FIXTURES / "demo_roster.csv")], rules, ReadOptions()), AS_OF)
    assert capsys.readouterr() == ("", "")
