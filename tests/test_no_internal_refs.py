"""Nothing outside the package: no file that ships or that a user reads points at the project's
internal research notes, its source articles or paths on the developers' machines, and no rule
text shown by `vet rules show` / `vet rules export` cites them. Users get public documents only.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from vetting.cli import cli
from vetting.ruleset.loader import bundled_packs, load_ruleset

ROOT = Path(__file__).resolve().parents[1]
PACKS = ("national", "reserve", "zhejiang-shangyu-2013", "county-template")

#: Written so that this file does not match itself.
INTERNAL = re.compile("|".join((
    r"criteria\.md",
    r"shared[/\\]",
    r"[/\\]work[/\\]",
    r"seeds[/\\]",
    r"seed 0\d\d",
    r"\[seed\]",
    r"(?<![A-Za-z0-9])(?:DQ|NS|DC|ST|RS|JR|DV)-\d\d(?!\d)",
    r"github\.com", r"LawRef[B]ook", r"nbx[i]nxi",   # mirrors and copies: a citation names the document
)))
#: The notes' source tags (V9, R1, L11, N5, W6, I1 …). Rule codes are zero-padded (R01, V05), so in
#: packs and in what the CLI prints a bare tag can only be a citation of the notes.
SOURCE_TAG = re.compile(r"(?<![A-Za-z0-9])[VRLNWI][1-9]\d?(?![A-Za-z0-9])")

SCANNED = ("vetting", "rulesets", "fixtures", "tests", "bench")
TOP_FILES = ("README.md", "setup.cfg", "pyproject.toml")
SKIP_DIRS = {"__pycache__", ".pytest_cache"}

#: The lead's branch removes this docstring mention; delete this entry once that change is merged.
def _ignored() -> set[Path]:
    """Files git ignores (benchmark output, caches): generated locally, never shipped."""
    try:
        listed = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {ROOT / line for line in listed.splitlines()}


def _shipped_text_files() -> list[Path]:
    ignored = _ignored()
    files = [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path not in ignored and not SKIP_DIRS.intersection(path.relative_to(ROOT).parts) \
                    and not path.name.endswith(".pyc") and ".egg-info" not in str(path):
                files.append(path)
    return files


def _text(path: Path) -> str | None:
    raw = path.read_bytes()
    if b"\0" in raw:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _hits(text: str, patterns: tuple[re.Pattern, ...], where: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern in patterns:
            for match in pattern.finditer(line):
                found.append(f"{where}:{number}: {match.group(0)!r} in {line.strip()[:120]!r}")
    return found


def test_the_scan_sees_the_packs_the_sources_and_the_tests():
    names = {p.relative_to(ROOT).as_posix() for p in _shipped_text_files()}
    assert {"rulesets/national.yaml", "rulesets/tests/national/discipline.yaml", "vetting/explain.py",
            "tests/test_no_internal_refs.py", "README.md", "fixtures/demo_roster.csv"} <= names


def test_the_patterns_catch_what_they_are_meant_to():
    internal = ["见 ../shar" + "ed/policy/criteria" + ".md", "(criteria" + ".md N" + "S-01)", "seed " + "003",
                "/work" + "/main", "DQ" + "-06", "见DQ" + "-07", "[se" + "ed]", "../see" + "ds/001.txt",
                "https://git" + "hub.com/LawRef" + "Book/Laws/blob/master/x.md"]
    assert all(INTERNAL.search(text) for text in internal)
    assert all(SOURCE_TAG.search(text) for text in ("（V" + "9）", "淮南（V" + "2）", "R" + "1：涞源", "L" + "11"))
    assert not any(SOURCE_TAG.search(text) for text in ("R01", "V05", "G04", "虞政发〔2013〕72号", "ST01"))


def test_no_shipped_or_user_read_file_points_at_internal_notes():
    found = []
    for path in _shipped_text_files():
        text = _text(path)
        if text is None:
            continue
        where = path.relative_to(ROOT).as_posix()
        patterns = (INTERNAL, SOURCE_TAG) if where.startswith("rulesets/") else (INTERNAL,)
        found += _hits(text, patterns, where)
    assert not found, "内部资料的引用：\n" + "\n".join(found)


def _without_own_location(output: str, pack: str) -> str:
    """`vet rules show` names the file that defines the rule: the package's own pack directory."""
    own = str(bundled_packs()[pack].resolve().parent)
    return output.replace(own, "<rulesets>")


@pytest.mark.parametrize("pack", PACKS)
def test_rules_show_cites_only_public_documents(runner, pack):
    found = []
    for rule in load_ruleset(pack).rules:
        result = runner.invoke(cli, ["rules", "show", rule.code, "-r", pack, "--as-of", "2026-12-15"])
        assert result.exit_code == 0, result.output
        assert "依据：" in result.output
        found += _hits(_without_own_location(result.output, pack), (INTERNAL, SOURCE_TAG),
                       f"vet rules show {rule.code} -r {pack}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("pack", PACKS)
def test_rules_export_cites_only_public_documents(runner, pack, tmp_path):
    found = []
    for as_of in ([], ["--as-of", "2013-06-01"]):
        result = runner.invoke(cli, ["rules", "export", "-r", pack, *as_of])
        assert result.exit_code == 0, result.output
        assert "| 依据 |" in result.output
        found += _hits(_without_own_location(result.output, pack), (INTERNAL, SOURCE_TAG),
                       f"vet rules export -r {pack} {' '.join(as_of)}")
    xlsx = tmp_path / "审定表.xlsx"
    result = runner.invoke(cli, ["rules", "export", "-r", pack, "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    cells = "\n".join(str(c) for ws in load_workbook(xlsx).worksheets
                      for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    found += _hits(cells, (INTERNAL, SOURCE_TAG), f"vet rules export -r {pack} -o 审定表.xlsx")
    assert not found, "\n".join(found)


def test_a_rule_with_refs_is_rejected_with_file_line_and_field(runner, tmp_path):
    pack = tmp_path / "old.yaml"
    pack.write_text((ROOT / "rulesets" / "national.yaml").read_text(encoding="utf-8").replace(
        "    severity: disqualify\n    when: age < $min_age\n",
        "    severity: disqualify\n    refs: [甲-01]\n    when: age < $min_age\n", 1), encoding="utf-8")
    result = runner.invoke(cli, ["rules", "validate", str(pack)])
    assert result.exit_code != 0
    assert "old.yaml:" in result.output and "refs" in result.output, result.output
