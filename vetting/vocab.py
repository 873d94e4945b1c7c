"""The project's shared vocabulary: severities and verdicts, posts (拟任职务) and their tags,
education levels. Pure data that every stage (rulesets, inputs, normalisation, joint review,
engines, reports, history) may read; it imports nothing from those stages."""

from __future__ import annotations

from enum import Enum
from typing import Iterable

from vetting.errors import VettingError, did_you_mean


class _Ordered(str, Enum):
    """A string enum whose members are ordered worst first and carry a Chinese label."""

    label: str

    def __new__(cls, value: str, label: str) -> "_Ordered":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """0 for the worst member, counting up."""
        return list(type(self)).index(self)


class Severity(_Ordered):
    """How bad one finding is; `notice` never changes a verdict."""

    DISQUALIFY = "disqualify", "取消资格"
    UNSUITABLE = "unsuitable", "不宜"
    REVIEW = "review", "需复核"
    PENDING = "pending", "待反馈"
    NOTICE = "notice", "提示"

    @property
    def verdict(self) -> "Verdict | None":
        """The verdict this severity leads to (None for a notice)."""
        return _VERDICT_OF.get(self)


class Verdict(_Ordered):
    """One candidate's outcome: the worst severity of their findings, else pass."""

    DISQUALIFIED = "disqualified", "取消资格"
    UNSUITABLE = "unsuitable", "不宜"
    REVIEW = "review", "需复核"
    PENDING = "pending", "待反馈"
    PASS = "pass", "通过"


_VERDICT_OF = {Severity.DISQUALIFY: Verdict.DISQUALIFIED, Severity.UNSUITABLE: Verdict.UNSUITABLE,
               Severity.REVIEW: Verdict.REVIEW, Severity.PENDING: Verdict.PENDING}

#: Severities worst first (plain strings, as stored in findings tables).
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
#: Verdicts worst first.
VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)
#: Severities a pack's rule may declare (`pending` is the engine's, for missing answers).
RULE_SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity if s is not Severity.PENDING)
SEVERITY_VERDICT: dict[str, str] = {s.value: v.value for s, v in _VERDICT_OF.items()}
SEVERITY_LABELS: dict[str, str] = {s.value: s.label for s in Severity}
VERDICT_LABELS: dict[str, str] = {v.value: v.label for v in Verdict}
SEVERITY_RANK: dict[str, int] = {s.value: s.rank for s in Severity}
VERDICT_RANK: dict[str, int] = {v.value: v.rank for v in Verdict}

# ---------------------------------------------------------------- posts (拟任职务)

TWO_COMMITTEES = "两委委员"
#: Canonical post -> the tags a ruleset may select it by (the post's own name included).
ROLE_TAGS: dict[str, frozenset[str]] = {
    "书记兼主任": frozenset({"党组织书记", "村委会主任", "党组织委员", "村委会委员", TWO_COMMITTEES}),
    "党组织书记": frozenset({"党组织书记", "党组织委员", TWO_COMMITTEES}),
    "党组织委员": frozenset({"党组织委员", TWO_COMMITTEES}),
    "副书记兼主任": frozenset({"党组织委员", "村委会主任", "村委会委员", TWO_COMMITTEES}),
    "村委会主任": frozenset({"村委会主任", "村委会委员", TWO_COMMITTEES}),
    "村委会委员": frozenset({"村委会委员", TWO_COMMITTEES}),
    # Standing for both committees: on the 村委会 slate (women, size, relatives). Not tagged 党组织委员:
    # a bare "委员" is read as this post too, and a party-post rule must not judge a 村委会 candidate.
    TWO_COMMITTEES: frozenset({TWO_COMMITTEES, "村委会委员"}),
    "书记后备人选": frozenset({"后备力量", "书记后备人选"}),
    "两委后备人选": frozenset({"后备力量", "两委后备人选"}),
    "村务监督委员会成员": frozenset({"村务监督委员会成员"}),
}
ROLES: tuple[str, ...] = tuple(ROLE_TAGS)
#: Every name a ruleset may use in `roles:` (canonical posts and tags).
ROLE_NAMES: frozenset[str] = frozenset(ROLE_TAGS).union(*ROLE_TAGS.values())


def roles_selected(wanted: Iterable[str]) -> tuple[str, ...]:
    """The canonical posts a `roles:` list selects (a post named, or one carrying a named tag).

    A name outside ROLE_NAMES raises, so that a misspelt role never silently matches nobody."""
    wanted = set(wanted)
    unknown = sorted(wanted - ROLE_NAMES)
    if unknown:
        raise VettingError(f"未知的职务名称：{'、'.join(unknown)}{did_you_mean(unknown[0], ROLE_NAMES)}")
    return tuple(role for role, tags in ROLE_TAGS.items() if role in wanted or tags & wanted)


# ---------------------------------------------------------------- education (文化程度)

#: Ordinal level -> canonical label; rules compare education as this ordinal.
EDUCATION_LEVELS: dict[int, str] = {0: "文盲", 1: "小学", 2: "初中", 3: "高中", 4: "大专", 5: "本科", 6: "研究生"}
EDUCATION_LEVEL_BY_LABEL: dict[str, int] = {label: level for level, label in EDUCATION_LEVELS.items()}

#: What became of a recorded human decision (复核结论) in a run: applied to a finding, stale (the
#: finding's facts changed since), or unmatched (nobody on the roster, or no such finding).
DECISION_STATUS_LABELS: dict[str, str] = {"applied": "已适用", "stale": "已过时，未适用", "unmatched": "未匹配，未适用"}

#: How a run treats a rule whose facts no source of the run carries: stated once per run as not
#: covered (`partial`), or `pending` for every candidate it applies to (`strict`).
COVERAGE_MODES: tuple[str, ...] = ("partial", "strict")
COVERAGE_LABELS = {"partial": "未覆盖的规则在报告中统一说明", "strict": "未覆盖的规则对每名人选记为待反馈"}
#: A rule's own coverage setting: `required` when the review is incomplete without it.
RULE_COVERAGE: tuple[str, ...] = ("required", "optional")

# ---------------------------------------------------------------- runs

#: Engines that evaluate a ruleset: the vectorised pandas engine and durable_rules (in a child process).
ENGINES: tuple[str, ...] = ("vector", "durable")
#: Report formats of `vet run` (written by vetting.reports; named here so that the command line
#: can offer them without importing the writers).
REPORT_FORMATS: tuple[str, ...] = ("json", "csv", "xlsx", "html")
