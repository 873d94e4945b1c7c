"""`vet template`: the roster template of each shipped pack is read back with every column mapped and a
column for every field the pack's rules read; the workbook carries its drop-down lists, input hints
and text formats (checked with openpyxl); its structure for the national pack is a golden file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from vetting.cli import cli
from vetting.fields import builtin_fields
from vetting.normalize.education import parse_education
from vetting.normalize.idcard import check_char
from vetting.pipeline import ReadOptions, vet_files
from vetting.rostertemplate import format_csv, template_format, template_layout
from vetting.rostertemplate.layout import ASSESSED, BASIC, JOINT, fields_read, template_catalogue
from vetting.rostertemplate.xlsx import CHOICES_SHEET, FIRST_DATA_ROW, LABEL_ROW, NOTES_SHEET, ROSTER_SHEET
from vetting.ruleset import condition as C
from vetting.ruleset.loader import bundled_packs, load_ruleset
from vetting.runsummary import summary_lines
from vetting.vocab import ROLES

PACKS = sorted(bundled_packs())
AS_OF = dt.date(2026, 12, 15)
GOLDEN = Path(__file__).parent / "golden" / "template_national.yaml"


def _id(first17: str) -> str:
    return first17 + check_char(first17)


#: Two people with nothing to report and one with a party sanction still in force (D01 in every pack).
PEOPLE = [
    {"name": "王建国", "id_number": _id("51052519800615011"), "birth_date": "1980-06-15", "sex": "男",
     "household_id": "0001"},
    {"name": "李秀英", "id_number": _id("51052519850320022"), "birth_date": "1985-03", "sex": "女",
     "household_id": "0002"},
    {"name": "赵德胜", "id_number": _id("51052519780101033"), "birth_date": "1978年1月", "sex": "男",
     "household_id": "0003", "party_sanction": "严重警告", "party_sanction_date": "2026-06-10"},
]
COMMON = {"township": "平丰镇", "village": "平丰村", "ethnicity": "汉族", "political_status": "中共党员",
          "party_join_date": "2005-07-01", "education": "高中", "role": "村委会委员", "phone": "0831-5551234",
          "assessment_last": "称职", "assessment_prev": "称职", "registered_voter": "是", "hukou_in_village": "是"}


def _cell(column, person: dict) -> str:
    """What an office writes in a column for a person: their data, else 否/无, else nothing."""
    value = {**COMMON, **person}.get(column.field)
    if value is not None:
        return value
    return next((v for v in ("否", "无") if v in column.choices), "")  # what a clean person's cell says


def _generate(runner, tmp_path: Path, pack: str, name: str) -> Path:
    out = tmp_path / name
    result = runner.invoke(cli, ["template", "-r", pack, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"已生成花名册模板（{load_ruleset(pack).id}" in result.output
    return out


def _fill_xlsx(path: Path, pack: str) -> None:
    layout = template_layout(load_ruleset(pack))
    wb = load_workbook(path)
    ws = wb[ROSTER_SHEET]
    for row, person in enumerate(PEOPLE, start=FIRST_DATA_ROW):
        for index, column in enumerate(layout.columns, start=1):
            ws.cell(row, index, _cell(column, person) or None)
    wb.save(path)


def _fill_csv(path: Path, pack: str) -> None:
    layout = template_layout(load_ruleset(pack))
    with open(path, "a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for person in PEOPLE:
            writer.writerow([_cell(c, person) for c in layout.columns])


def _fields_rules_read(ruleset) -> set[str]:
    """The roster fields the pack's enabled rules read, worked out here independently of the layout."""
    read = set(ruleset.required_fields)
    for rule in ruleset.rules:
        read |= set(C.referenced_fields(rule.condition))
        read |= {f for part in rule.reason if not isinstance(part, str) for f in C.referenced_fields(part)}
    for group in ruleset.group_rules:
        if group.where is not None:
            read |= set(C.referenced_fields(group.where))
    derived = {n for n in read if ruleset.fields[n].derived}
    return (read - derived) | ({"id_number", "birth_date"} if derived else set())


@pytest.mark.parametrize("pack,fmt", [*((p, "xlsx") for p in PACKS), ("national", "csv"),
                                      ("zhejiang-shangyu-2013", "csv")])
def test_a_filled_template_is_read_back_whole(runner, tmp_path, pack, fmt):
    path = _generate(runner, tmp_path, pack, f"花名册模板.{fmt}")
    (_fill_xlsx if fmt == "xlsx" else _fill_csv)(path, pack)
    ruleset = load_ruleset(pack)
    result = vet_files([str(path)], ruleset, AS_OF, ReadOptions(None, None, None, {}))
    meta = result.meta
    assert meta["unmapped_columns"] == []
    assert meta["warnings"] == []
    assert meta["coverage"]["not_covered"] == [] and result.unchecked.empty  # every rule is covered
    from vetting.engine.coverage import assess
    from vetting.pipeline import load_candidates
    assert assess(ruleset, load_candidates([str(path)], ruleset, ReadOptions())).gaps == {}
    assert len(meta["inputs"]) == 1 and meta["inputs"][0]["rows"] == len(PEOPLE)
    if fmt == "xlsx":
        assert meta["inputs"][0]["sheet"] == ROSTER_SHEET
    labels = set(template_layout(ruleset).labels)
    missing = {ruleset.fields[f].label for f in _fields_rules_read(ruleset)} - labels
    assert not missing, missing
    verdicts = result.candidates["verdict"].tolist()
    assert verdicts == ["pass", "pass", "disqualified"], result.findings[["row_id", "rule", "reason"]]
    d01 = result.findings[(result.findings["row_id"] == 2) & (result.findings["rule"] == "D01")]
    assert len(d01) == 1
    assert not any("vet template" in line for line in summary_lines(result))   # nothing left to add


def test_every_template_column_maps_to_its_field():
    for pack in PACKS:
        ruleset = load_ruleset(pack)
        for column in template_layout(ruleset).columns:
            assert not ruleset.fields[column.field].derived
            assert column.label == ruleset.fields[column.field].label


# ------------------------------------------------------------------ the workbook (openpyxl)


@pytest.fixture(scope="module")
def national_book(tmp_path_factory):
    from click.testing import CliRunner

    path = _generate(CliRunner(), tmp_path_factory.mktemp("template"), "national", "模板.xlsx")
    return load_workbook(path)


def _validations(ws) -> dict[str, object]:
    """Column letter -> the data validation covering its data rows."""
    found = {}
    for check in ws.data_validations.dataValidation:
        for cells in check.sqref.ranges:
            if cells.min_row == FIRST_DATA_ROW:
                found[get_column_letter(cells.min_col)] = check
    return found


def _list_values(book, check) -> list[str]:
    formula = check.formula1
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, cells = formula.split("!")
    ws = book[sheet.strip("'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def _columns(ws) -> dict[str, str]:
    """Header label -> column letter."""
    return {c.value: c.column_letter for c in ws[LABEL_ROW] if c.value}


def test_drop_downs_exist_for_yes_no_and_every_enumeration(national_book):
    ws = national_book[ROSTER_SHEET]
    checks, letters, fields = _validations(ws), _columns(ws), builtin_fields()
    for spec in fields.values():
        if spec.derived or spec.label not in letters:
            continue
        check = checks[letters[spec.label]]
        assert check.showInputMessage and check.prompt, spec.label
        if spec.type == "flag":
            assert check.type == "list" and _list_values(national_book, check) == ["是", "否"], spec.label
        elif spec.type == "enum":
            assert check.type == "list" and _list_values(national_book, check) == list(spec.values), spec.label
    assert _list_values(national_book, checks[letters["拟任职务"]]) == list(ROLES)
    assert _list_values(national_book, checks[letters["文化程度"]])[:3] == ["研究生", "本科", "大专"]
    assert checks[letters["文化程度"]].errorStyle == "warning"  # "全日制本科" may be typed
    assert checks[letters["党纪处分"]].errorStyle == "stop"
    for label in ("政治面貌", "党纪处分", "政务处分", "刑事处罚"):
        assert CHOICES_SHEET in checks[letters[label]].formula1
    assert national_book[CHOICES_SHEET].sheet_state == "hidden"
    assert "纪委监委" in checks[letters["党纪处分"]].promptTitle


def test_id_and_date_columns_are_text_with_a_hint(national_book):
    ws = national_book[ROSTER_SHEET]
    letters, checks = _columns(ws), _validations(ws)
    for label in ("公民身份号码", "出生年月", "党纪处分日期", "刑事处罚日期", "联系电话"):
        assert ws.column_dimensions[letters[label]].number_format == "@", label
        assert "填" in checks[letters[label]].prompt
    assert "文本格式" in checks[letters["公民身份号码"]].prompt
    assert ws.column_dimensions[letters["党纪处分"]].number_format != "@"


def test_header_bands_name_who_fills_each_column(national_book):
    ws = national_book[ROSTER_SHEET]
    bands = sorted((r.min_col, ws.cell(r.min_row, r.min_col).value) for r in ws.merged_cells.ranges
                   if r.min_row == LABEL_ROW - 2)
    assert [text for _, text in bands] == [BASIC, JOINT, ASSESSED]
    letters = _columns(ws)

    def filler(label: str) -> str:
        col = ws[f"{letters[label]}{LABEL_ROW}"].column
        for cells in ws.merged_cells.ranges:
            if cells.min_row == LABEL_ROW - 1 and cells.min_col <= col <= cells.max_col:
                return ws.cell(cells.min_row, cells.min_col).value
        return ws.cell(LABEL_ROW - 1, col).value

    assert filler("党纪处分") == "纪委监委填写"
    assert filler("刑事处罚") == "公安、法院、检察院填写"
    assert filler("非正常上访或聚众闹事") == "信访填写"
    assert filler("姓名") == "乡镇填写"
    assert filler("最近一次考核") == "组织部填写"
    assert ws.freeze_panes == f"{get_column_letter(list(letters).index('姓名') + 2)}{FIRST_DATA_ROW}"


def test_notes_sheet_lists_each_column_with_choices_rules_and_basis(national_book):
    ws = national_book[NOTES_SHEET]
    rows = {r[1]: r for r in ws.iter_rows(values_only=True) if r[1]}
    layout = template_layout(load_ruleset("national"))
    assert set(layout.labels) <= set(rows)
    party = rows["党纪处分"]
    assert party[3] == "纪委监委填写" and "严重警告" in party[5]
    assert "D01 党纪处分影响期未满（取消资格）" in party[6] and "中国共产党纪律处分条例" in party[7]
    assert "A01" in rows["公民身份号码"][6]  # age is computed from the ID number
    text = "\n".join(str(v) for r in ws.iter_rows(values_only=True) for v in r if v)
    assert ".yaml" not in text and "rulesets" not in text


def test_zhejiang_facts_without_an_agency_take_the_catalogue_filler():
    columns = {c.field: c for c in template_layout(load_ruleset("zhejiang-shangyu-2013")).columns}
    assert columns["family_planning"].filled_by == ("卫健",) and columns["family_planning"].band == JOINT
    assert columns["poor_moral_standing"].filled_by == ("考察组",) and columns["poor_moral_standing"].band == ASSESSED
    assert columns["criminal_punishment"].filled_by == ("公安", "法院", "检察院")


def test_a_local_field_goes_to_its_agency_or_else_to_the_assessment(tmp_path):
    pack = tmp_path / "local.yaml"
    pack.write_text(yaml.safe_dump({
        "id": "local", "title": "本地", "version": "1", "extends": "national",
        "fields": {"ecology_damage": {"label": "严重损害生态环境", "type": "flag", "aliases": ["损害生态环境"]},
                   "pledge": {"label": "未签订承诺书", "type": "flag"}},
        "agencies": {"生态环境": {"aliases": ["生态环境局"], "supplies": ["ecology_damage"]}},
        "rules": [{"code": "L01", "name": "损害生态", "category": "八不宜", "severity": "unsuitable",
                   "when": "ecology_damage == true or pledge == true", "reason": "命中", "basis": ["本县文件"]}],
    }, allow_unicode=True), encoding="utf-8")
    columns = {c.field: c for c in template_layout(load_ruleset(str(pack))).columns}
    assert columns["ecology_damage"].band == JOINT and columns["ecology_damage"].filled_by == ("生态环境",)
    assert columns["pledge"].band == ASSESSED and columns["pledge"].filled_by == ("考察组",)
    assert [u.code for u in columns["pledge"].rules] == ["L01"]


# ------------------------------------------------------------------ golden structure


def template_structure(path: Path) -> dict:
    """What the national template holds, as plain data: sheets, header rows, and per column its
    label, band, filler, number format, validation and list (the golden file's content)."""
    book = load_workbook(path)
    ws = book[ROSTER_SHEET]
    checks = _validations(ws)
    merged = {(r.min_row, r.min_col): r.max_col for r in ws.merged_cells.ranges}

    def spans(row: int) -> list[str]:
        out = []
        for cell in ws[row]:
            if cell.value:
                last = merged.get((row, cell.column), cell.column)
                out.append(f"{cell.column_letter}:{get_column_letter(last)} {cell.value}")
        return out

    columns = []
    for cell in ws[LABEL_ROW]:
        check = checks.get(cell.column_letter)
        entry = {"column": cell.column_letter, "label": cell.value,
                 "format": ws.column_dimensions[cell.column_letter].number_format}
        if check is not None and check.type:
            entry["validation"] = f"{check.type} ({check.errorStyle or 'stop'})"
            if check.type == "list":
                entry["choices"] = "、".join(_list_values(book, check))
        columns.append(entry)
    return {"sheets": [f"{s.title} ({s.sheet_state})" for s in book.worksheets],
            "bands": spans(LABEL_ROW - 2), "fillers": spans(LABEL_ROW - 1), "columns": columns,
            "freeze": ws.freeze_panes}


def write_golden(path: Path) -> None:
    """Rewrite the golden file from a freshly written national template."""
    from vetting.rostertemplate import write_template

    out = path.parent / "_template_national.xlsx"
    try:
        write_template(load_ruleset("national"), out, "xlsx")
        text = yaml.safe_dump(template_structure(out), allow_unicode=True, sort_keys=False, width=120)
    finally:
        out.unlink(missing_ok=True)
    path.write_text("# Written by tests/golden/regenerate_template.py; review the diff.\n" + text, encoding="utf-8")


def test_national_template_structure_is_golden(tmp_path):
    from vetting.rostertemplate import write_template

    out = tmp_path / "模板.xlsx"
    write_template(load_ruleset("national"), out, "xlsx")
    expected = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    assert template_structure(out) == expected, "template changed; if intended: python tests/golden/regenerate_template.py"


# ------------------------------------------------------------------ catalogue data, CSV, CLI, stderr hint


def test_template_catalogue_names_only_known_fields():
    catalogue, fields = template_catalogue(), builtin_fields()
    local = {"family_planning", "family_planning_date"}  # zhejiang-shangyu-2013's own fields
    listed = [f for band in catalogue["bands"].values() for key in ("standard", "fields") for f in band.get(key) or ()]
    assert set(listed) <= set(fields)
    assert set(catalogue["filled_by"]) - local <= set(fields)
    assert {n for n, f in fields.items() if f.derived} == set(catalogue["derived_from"])
    parsed = parse_education(__import__("pandas").Series(catalogue["choices"]["education"]))
    assert parsed["problem"].isna().all() and parsed["education_level"].notna().all()


def test_fields_read_maps_age_to_the_id_number_and_birth_date():
    read = fields_read(load_ruleset("national"))
    assert "age" not in read and "A01" in read["id_number"] and "A01" in read["birth_date"]
    assert read["party_sanction"] == ["D01", "D02", "D05"]


def test_csv_template_is_one_header_row_with_a_bom():
    layout = template_layout(load_ruleset("national"))
    data = format_csv(layout)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == [",".join(layout.labels)]


@pytest.mark.parametrize("fmt,output,expected", [
    (None, "模板.xlsx", "xlsx"), (None, "模板.CSV", "csv"), (None, "模板", "xlsx"), ("csv", "模板.xlsx", "csv")])
def test_template_format(fmt, output, expected):
    assert template_format(fmt, output) == expected


def test_cli_needs_an_output_and_refuses_a_missing_directory(runner, tmp_path):
    result = runner.invoke(cli, ["template"])
    assert result.exit_code == 2 and "--output" in result.output
    result = runner.invoke(cli, ["template", "-o", str(tmp_path / "无此目录" / "模板.xlsx")])
    assert result.exit_code == 2 and "输出目录不存在" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_rule_without_its_column_points_to_vet_template():
    from conftest import FIXTURES

    ruleset = load_ruleset("zhejiang-shangyu-2013")
    result = vet_files([str(FIXTURES / "demo_roster.csv")], ruleset, AS_OF)
    lines = summary_lines(result)
    assert any("在花名册中增加「道德品质低劣、群众影响较坏」列" in line for line in lines)
    assert any(line.startswith("提示：用 vet template -r zhejiang-shangyu-2013 -o 花名册模板.xlsx") for line in lines)
    national = summary_lines(vet_files([str(FIXTURES / "demo_roster.csv")], load_ruleset("national"), AS_OF))
    assert any("在花名册中增加「已登记参加本村选举」列" in line for line in national)  # A05 has no column there
