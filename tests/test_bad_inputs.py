"""Real office files and hostile input through the CLI: every case in fixtures/bad/cases.yaml.

A refused file must end with exit 2, a Chinese message naming the file and what is wrong, no
traceback and no output file (not even a temporary one); a usable file must give a normal run
in which every candidate is present, with the detected layout reported on stderr and in meta.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import json
import time
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import yaml

from conftest import FIXTURES
from hostile import fingerprint, id_leaks, ids_in, run_isolated
from vetting.cli import cli

BAD = FIXTURES / "bad"
CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))["cases"]
AS_OF = ["--as-of", "2026-12-15"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Outcome:
    """What a case's run left: exit code and the two streams, from CliRunner or a child process."""

    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr
        self.output = stdout + stderr


def case_input(case: dict, work: Path) -> Path:
    """The case's roster: a committed fixture, or one `make_bad.generate_<name>` writes into `work`
    (large hostile files are made at test time, never committed)."""
    if "generate" not in case:
        return BAD / case["file"]
    target = work / case["file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (target.exists() or target.is_symlink()):  # made once per test, not again by run_case
        getattr(_make_bad(), f"generate_{case['generate']}")(target)
    return target


def case_args(case: dict, out_dir: Path, fmt: str, output: str | None, work: Path | None = None) -> tuple[list[str], Path]:
    """`vet run`'s options and the case's args; a case with its own `command` gets only its args."""
    output = out_dir / (output or case.get("output", f"out.{fmt}"))
    args = [a.replace("{here}", str(BAD)).replace("{out}", str(out_dir)).replace("{in}", str(work or out_dir.parent))
            for a in case.get("args", [])]
    if "command" in case:
        return args, output
    return [*AS_OF, "--format", fmt, "-o", str(output), *args], output


def run_case(runner, case: dict, out_dir: Path, fmt: str = "json", output: str | None = None,
             work: Path | None = None, env: dict[str, str] | None = None):
    """Run one case through the CLI: in this process, or (`isolated: {memory_mb, seconds}`) in a
    child process under an address-space cap and a timeout."""
    roster = case_input(case, work or out_dir.parent)
    args, output = case_args(case, out_dir, fmt, output, work or out_dir.parent)
    words = [*case.get("command", ["run"]), *args]
    if any("{input}" in w for w in words):
        command = [w.replace("{input}", str(roster)) for w in words]
    else:
        command = [*case.get("command", ["run"]), *([] if case.get("bare") else [str(roster)]), *args]
    started = time.perf_counter()
    if "isolated" in case or "fault" in case:
        limits = case.get("isolated", {})
        done = run_isolated(command, env or {}, memory_mb=limits.get("memory_mb", 2048),
                            seconds=limits.get("seconds", 120), fault=case.get("fault"))
        result = Outcome(done.returncode, done.stdout.decode("utf-8", "replace"),
                         done.stderr.decode("utf-8", "replace"))
    else:
        invoked = runner.invoke(cli, command)
        result = Outcome(invoked.exit_code, invoked.stdout, invoked.stderr)
    return result, output, time.perf_counter() - started


@functools.lru_cache(maxsize=None)
def _make_bad():
    spec = importlib.util.spec_from_file_location("make_bad_generators", BAD / "make_bad.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_case_ids_are_unique_and_every_fixture_is_used():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    used = {Path(c["file"]).name for c in CASES}
    used |= {Path(a.split("{here}/", 1)[1]).name for c in CASES for a in c.get("args", []) if "{here}/" in a}
    files = {p.name for p in BAD.iterdir() if p.name not in ("make_bad.py", "cases.yaml", "README.md")}
    assert files - used == set(), "fixtures without a case"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(runner, tmp_path, monkeypatch, case):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    history = tmp_path / "history" / "history.sqlite3"
    monkeypatch.setenv("VETTING_HISTORY_DB", str(history))
    work = tmp_path / "in"
    roster = case_input(case, work)
    inputs = [BAD, work] if roster.is_relative_to(work) else [BAD]
    before = fingerprint(inputs)
    result, output, seconds = run_case(runner, case, out_dir, work=work, env={"VETTING_HISTORY_DB": str(history)})
    assert "Traceback" not in result.output and "内部错误" not in result.output, result.output
    assert result.exit_code == case["exit"], result.output
    for fragment in case.get("stderr", []):
        assert fragment in result.stderr, (fragment, result.stderr)
    if "max_seconds" in case:
        assert seconds < case["max_seconds"]
    assert fingerprint(inputs) == before, "a run may never change, add or remove a file beside its inputs"
    written = [p for p in out_dir.rglob("*") if p.is_file()]
    assert not [p for p in written if p.name.endswith(".tmp")], "no temporary file may be left"
    secrets = {i.encode() for i in case.get("ids", [])}
    if roster.is_file() and roster.stat().st_size < 20_000_000:
        secrets |= ids_in(roster.read_bytes())
    stored = [history] if history.exists() else []
    assert id_leaks(written + stored, secrets) == [], "ID digits escaped masking"
    if case["exit"] != 0:
        # before the error, only what the reader detected may have been said
        lines = result.stderr.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("错误："))
        assert all(line.startswith("读取 ") for line in lines[:first]), lines
        assert result.stdout == ""
        assert not output.exists()
        assert written == [], "no partial or temporary output may be left"
        return
    report = json.loads(output.read_text(encoding="utf-8"))
    people = report["candidates"]
    meta = report["meta"]
    assert len(people) == case["candidates"] == meta["candidate_count"]
    if "names" in case:
        assert [p["name"] for p in people] == case["names"]
    if "rows" in case:
        assert [p["row"] for p in people] == case["rows"]
    for key, value in case.get("input", {}).items():
        assert meta["inputs"][0][key] == value, key
    assert meta["inputs"][0]["notes"], "what was detected is reported"
    if "unmapped" in case:
        assert [u.split(": ", 1)[1] for u in meta["unmapped_columns"]] == case["unmapped"]
    by_name = {p["name"]: p for p in people}
    for name, codes in case.get("rules", {}).items():
        assert set(codes) <= {f["rule"] for f in by_name[name]["findings"]}, name
    for name, text in case.get("reasons", {}).items():
        assert any(text in f["reason"] for f in by_name[name]["findings"]), by_name[name]["findings"]
    for name, verdict in case.get("verdicts", {}).items():
        assert by_name[name]["verdict"] == verdict, (name, by_name[name]["findings"])
    for name, wanted in case.get("evidence", {}).items():
        for code, text in wanted.items():
            quoted = [f["evidence"] for f in by_name[name]["findings"] if f["rule"] == code]
            assert any(text in e for e in quoted), (name, code, quoted)
    for code in case.get("no_rules", []):
        hits = [(p["name"], f["reason"]) for p in people for f in p["findings"] if f["rule"] == code]
        assert hits == [], hits


def test_every_candidate_survives_a_200000_character_cell(runner, tmp_path):
    case = next(c for c in CASES if c["id"] == "cell_of_200000_characters")
    result, output, _ = run_case(runner, case, tmp_path)
    assert result.exit_code == 0, result.output
    names = [p["name"] for p in json.loads(output.read_text(encoding="utf-8"))["candidates"]]
    assert names[0] == "张三" and names[2] == "王五"
    assert len(names[1]) == 200_000, "the long cell is kept whole in the JSON report"


def _formula_case() -> dict:
    return next(c for c in CASES if c["id"] == "formula_injection")


def test_formula_injection_is_neutralised_in_csv_report(runner, tmp_path):
    result, output, _ = run_case(runner, _formula_case(), tmp_path, fmt="csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    names = [row[rows[0].index("姓名")] for row in rows[1:]]
    assert names[0].startswith("'=HYPERLINK(") and names[1:] == ["'+李四", "'-王五", "'@赵六"]
    villages = [row[rows[0].index("村(社区)")] for row in rows[1:]]
    assert villages[0] == "'=1+2"


def test_formula_injection_is_neutralised_in_xlsx_report(runner, tmp_path):
    result, output, _ = run_case(runner, _formula_case(), tmp_path, fmt="xlsx")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(output)
    seen = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), (sheet.title, cell.coordinate, cell.value)
                    seen += cell.value.startswith("'=HYPERLINK")
    assert seen >= 1, "the neutralised name is in the workbook"


def _workbook(data: bytes) -> list:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in book.sheet_names]


def test_fixture_generator_is_deterministic_and_files_are_current(tmp_path, monkeypatch):
    """make_bad.py writes the same bytes twice, and what it writes is what is committed.

    Zip-based files are compared by their cells: their bytes depend on the zlib and openpyxl
    versions. Without xlwt the .xls is not rewritten (see make_bad.py) and not compared.
    """
    spec = importlib.util.spec_from_file_location("make_bad", BAD / "make_bad.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = {}
    for attempt in ("first", "second"):
        folder = tmp_path / attempt
        folder.mkdir()
        monkeypatch.setattr(module, "HERE", folder)
        module.main()
        made[attempt] = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert made["first"] == made["second"]
    assert set(made["first"]) >= {c["file"] for c in CASES if "/" not in c["file"] and (BAD / c["file"]).is_file()} \
        - {"office_two_level.xls"}
    for name, data in made["first"].items():
        committed = (BAD / name).read_bytes()
        if name == "truncated.xlsx":
            assert len(data) == len(committed)
        elif data.startswith(b"PK\x03\x04"):
            assert _workbook(data) == _workbook(committed), name
        else:
            assert data == committed, name


def test_harness_sees_leaked_id_digits_and_changed_inputs(tmp_path):
    """The generic checks above could fail: a 14-digit fragment is a leak, a masked ID is not."""
    secret = b"11010519491231002X"
    (tmp_path / "report.csv").write_bytes("编号11010519491231,110105********002X".encode())
    assert id_leaks([tmp_path / "report.csv"], {secret}) != []
    (tmp_path / "report.csv").write_bytes("110105********002X".encode())
    assert id_leaks([tmp_path / "report.csv"], {secret}) == []
    before = fingerprint([tmp_path])
    (tmp_path / "report.csv").write_bytes(b"changed")
    assert fingerprint([tmp_path]) != before


def test_harness_caps_the_child_address_space(tmp_path):
    """A run that needs pandas cannot start in 40 MB (`vet --version` alone now fits in 20 MB)."""
    args = ["run", str(FIXTURES / "demo_roster.csv"), "--as-of", "2026-12-15", "--no-history", "-q",
            "-o", str(tmp_path / "r.json")]
    done = run_isolated(args, {}, memory_mb=2048, seconds=120)
    assert done.returncode == 0, done.stderr
    starved = run_isolated(args, {}, memory_mb=40, seconds=120)
    assert starved.returncode != 0
