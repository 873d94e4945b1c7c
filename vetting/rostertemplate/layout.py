"""What the roster template of a pack holds (pure: no files, no openpyxl): one column per field the
pack reads, the header bands (基本情况 / 联审部门意见 / 考察情况), who fills each column, drop-down
choices, input hints and the rules that read each column with their basis.

Who fills a column comes from data: the pack's `agencies:` (the agencies supplying a fact), else
the `template:` block of vetting/fields.yaml (`filled_by`, and the band's own filler).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import yaml

from vetting.fields import Field, builtin_fields
from vetting.ruleset import condition as C
from vetting.ruleset.model import Ruleset
from vetting.vocab import ROLES, SEVERITY_LABELS

BASIC, JOINT, ASSESSED = "基本情况", "联审部门意见", "考察情况"
BANDS = (BASIC, JOINT, ASSESSED)
FLAG_CHOICES = ("是", "否")
#: Columns a slate rule reads besides its `where` and `roles`, by kind (see engine/groups.py):
#: relatives and counts group candidates by village.
GROUP_KIND_FIELDS = {"duplicate": ("id_number",),
                     "relatives": ("township", "village", "name", "household_id", "relatives"),
                     "count": ("township", "village"),
                     "seats": ("township", "village"),
                     "minority": ("township", "village", "ethnicity")}
#: Types whose column is stored as text (Excel would turn an ID number into a rounded number and
#: a date into a serial; a phone number or 户号 would lose its leading zeros).
TEXT_TYPES = frozenset({"id_number", "date", "text", "name"})


@dataclass(frozen=True)
class RuleUse:
    """A rule that reads a column: code, name, severity label and basis."""

    code: str
    name: str
    severity: str
    basis: str


@dataclass(frozen=True)
class Column:
    """One template column: the field, its header label, band, fillers, choices and hint."""

    field: str
    label: str
    band: str
    filled_by: tuple[str, ...]
    type: str
    choices: tuple[str, ...] = ()
    strict: bool = True      # only a listed choice may be entered (else a warning only)
    text: bool = False       # stored as text (number format "@")
    required: bool = False
    hint: str = ""
    rules: tuple[RuleUse, ...] = ()

    @property
    def filler(self) -> str:
        """Who fills the column, as shown in the header: "公安、法院填写"."""
        return "、".join(self.filled_by) + "填写"


@dataclass(frozen=True)
class Span:
    """A merged header cell: its text and first/last column (0-based, inclusive)."""

    text: str
    first: int
    last: int


@dataclass(frozen=True)
class TemplateLayout:
    """The whole template of one pack."""

    ruleset_id: str
    title: str
    version: str
    columns: tuple[Column, ...]
    bands: tuple[Span, ...]
    fillers: tuple[Span, ...]
    notes: tuple[str, ...]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.columns]


@lru_cache(maxsize=1)
def template_catalogue() -> Mapping[str, Any]:
    """The `template:` block of vetting/fields.yaml (bands, fallback fillers, choices, derived_from)."""
    text = resources.files("vetting").joinpath("fields.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text).get("template") or {}


def fields_read(ruleset: Ruleset) -> dict[str, list[str]]:
    """Every roster field the pack reads -> the codes of the rules reading it, in first-use order.

    Read are: the fields of every enabled rule's condition and reason, the required fields, what
    slate rules group, select and compare by, and the facts of required agencies (a candidate
    passes only when those agencies have answered). A derived value (age) stands for the columns
    it is computed from (公民身份号码, 出生年月)."""
    derived = template_catalogue().get("derived_from", {})
    used: dict[str, list[str]] = {}

    def add(name: str, code: str | None) -> None:
        for source in derived.get(name, [name]) if ruleset.fields[name].derived else [name]:
            codes = used.setdefault(source, [])
            if code and code not in codes:
                codes.append(code)

    for name in ruleset.required_fields:
        add(name, None)
    for rule in ruleset.rules:
        reason_nodes = [part for part in rule.reason if not isinstance(part, str)]
        for name in [*C.referenced_fields(rule.condition), *(f for n in reason_nodes for f in C.referenced_fields(n))]:
            add(name, rule.code)
        if rule.roles:
            add("role", rule.code)
    for group in ruleset.group_rules:
        where = C.referenced_fields(group.where) if group.where is not None else []
        village = [group.village_field] if group.village_field else []
        for name in [*GROUP_KIND_FIELDS.get(group.kind, ()), *(["role"] if group.roles else []), *where, *village]:
            add(name, group.code)
    for agency in ruleset.agencies.values():
        if agency.required:
            for name in agency.supplies:
                add(name, None)
    return used


def _fillers(name: str, ruleset: Ruleset) -> tuple[str, ...]:
    """The pack's agencies supplying a field, else the catalogue's fallback."""
    agencies = tuple(a.name for a in ruleset.agencies.values() if name in a.supplies)
    return agencies or tuple(template_catalogue().get("filled_by", {}).get(name, ()))


def _band_of(name: str, fillers: tuple[str, ...]) -> str:
    bands = template_catalogue().get("bands", {})
    for band in (BASIC, ASSESSED):
        spec = bands.get(band) or {}
        if name in (spec.get("standard") or ()) or name in (spec.get("fields") or ()):
            return band
    return JOINT if fillers else ASSESSED


def _order(read: Mapping[str, list[str]], ruleset: Ruleset) -> list[str]:
    """Standard basic columns first, then basic, joint (agency by agency, in the pack's order)
    and assessed columns, each in catalogue order."""
    bands = template_catalogue().get("bands", {})
    standard = list((bands.get(BASIC) or {}).get("standard") or ())
    catalogue = list(builtin_fields())
    agency_order = [f for a in ruleset.agencies.values() for f in a.supplies]
    rank = {name: i for i, name in enumerate(dict.fromkeys([*agency_order, *catalogue, *ruleset.fields]))}
    rest = sorted((n for n in read if n not in standard), key=lambda n: rank.get(n, len(rank)))
    names = standard + rest
    return sorted(names, key=lambda n: BANDS.index(_band_of(n, _fillers(n, ruleset))))


def _choices(spec: Field) -> tuple[tuple[str, ...], bool]:
    """Drop-down choices of a column and whether only those may be entered."""
    listed = template_catalogue().get("choices", {}).get(spec.name)
    if spec.type == "flag":
        return FLAG_CHOICES, True
    if spec.type == "role":
        return tuple(listed or ROLES), True
    if spec.type == "education":
        return tuple(listed or ()), False  # "本科（函授）", "全日制大专" are read too
    if spec.type == "enum":
        return tuple(listed or spec.values), True
    return (), True


def _hint(spec: Field, band: str, required: bool, choices: tuple[str, ...]) -> str:
    """The input message shown when a cell of the column is selected."""
    fact = band != BASIC
    parts = ["必填。"] if required else []
    if spec.type == "id_number":
        parts.append("填18位公民身份号码；本列为文本格式，请勿改为数值格式（否则末位会丢失）。")
    elif spec.type == "date":
        example = "2025-10-08；只知年月的填 2025-10" if fact else "1985-06-15；只知年月的填 1985-06"
        parts.append(f"填日期，如 {example}。" + ("没有此情形的留空。" if fact else ""))
    elif spec.type == "int":
        within = f"（{spec.bounds[0]}至{spec.bounds[1]}）" if spec.bounds else ""
        parts.append(f"填整数{within}。" + ("没有此情形的留空。" if fact else ""))
    elif spec.type == "education":
        parts.append("从下拉列表选择；也可填“全日制本科”“大专（函授）”等。")
    elif choices:
        parts.append("从下拉列表选择。")
    clear = next((v for v in ("否", "无") if v in choices), None)
    if fact and clear:
        parts.append(f"没有此情形填“{clear}”，不要留空：空白表示尚未反馈，结论为“待反馈”。")
    return "".join(parts)


def _rule_uses(ruleset: Ruleset, codes: list[str]) -> tuple[RuleUse, ...]:
    rules = {r.code: r for r in (*ruleset.rules, *ruleset.group_rules)}
    return tuple(RuleUse(code, rules[code].name, SEVERITY_LABELS[rules[code].severity], rules[code].basis_text())
                 for code in codes)


def _spans(keys: list[tuple[str, ...]]) -> tuple[Span, ...]:
    """Runs of equal neighbouring keys as merged cells, titled with the key's last part."""
    spans: list[Span] = []
    for i, key in enumerate(keys):
        if i and keys[i - 1] == key:
            spans[-1] = Span(spans[-1].text, spans[-1].first, i)
        else:
            spans.append(Span(key[-1], i, i))
    return tuple(spans)


def template_layout(ruleset: Ruleset) -> TemplateLayout:
    """The template of a pack: its columns, header bands, fillers and general instructions."""
    read = fields_read(ruleset)
    bands = template_catalogue().get("bands", {})
    columns = []
    for name in _order(read, ruleset):
        spec = ruleset.fields[name]
        fillers = _fillers(name, ruleset)
        band = _band_of(name, fillers)
        fillers = fillers or tuple((bands.get(band) or {}).get("filled_by") or ())
        choices, strict = _choices(spec)
        required = name in ruleset.required_fields
        columns.append(Column(field=name, label=spec.label, band=band, filled_by=fillers, type=spec.type,
                              choices=choices, strict=strict, text=spec.type in TEXT_TYPES, required=required,
                              hint=_hint(spec, band, required, choices),
                              rules=_rule_uses(ruleset, read.get(name, []))))
    return TemplateLayout(ruleset_id=ruleset.id, title=ruleset.title, version=ruleset.version,
                          columns=tuple(columns), bands=_spans([(c.band,) for c in columns]),
                          fillers=_spans([(c.band, c.filler) for c in columns]), notes=_notes(ruleset))


def _notes(ruleset: Ruleset) -> tuple[str, ...]:
    return (
        f"1. 本表按规则集「{ruleset.title}」（{ruleset.id}，版本 {ruleset.version}）生成：每一列都是该规则集审查时读取的"
        "内容，第4行注明由谁填写；选中单元格时显示填写提示。",
        "2. 每名人选填一行；不要改动、合并或删除表头各行，不要在表头和人选之间插入空行或说明。"
        "需要序号、备注等列时加在最后一列之后（审查时列为未识别的列，不影响结论）。",
        "3. 联审部门意见、考察情况各列：没有此情形的填“无”或“否”，有此情形的同时填写对应日期；"
        "空白表示该部门尚未反馈，该人选的结论为“待反馈”。",
        "4. 日期可写作 2025-10-08、2025-10、2025年10月8日；只知年月时按整月计算，恰在期限边界的结论为“需复核”。"
        "公民身份号码和日期列已设为文本格式，请勿改为数值或日期格式。",
        "5. 带下拉箭头的列请从列表中选择；文化程度也可填写“全日制本科”“大专（函授）”等。",
        "6. 填好后审查：vet run 花名册.xlsx -r 规则集 --as-of 选举日 -o 审查结果.xlsx（规则集与生成本表时相同）。",
        "7. 本表含公民身份号码等个人信息，请妥善保管，按规定范围传递。",
    )
