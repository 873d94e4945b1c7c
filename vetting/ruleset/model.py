"""The validated rule model: immutable rulesets, rules, parameters and legal bases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from vetting.fields import Field


@dataclass(frozen=True)
class Basis:
    """A legal or policy basis: citation text and, where known, a URL."""

    text: str
    url: str | None = None

    def render(self) -> str:
        return f"{self.text}（{self.url}）" if self.url else self.text


LOCAL_LABEL = "地方口径"
NATIONAL_LABEL = "全国规定（法律、党内法规、中央文件）"


def scope_text(local: bool, places: tuple[str, ...]) -> str:
    """Where a rule's item or figure comes from, as users read it: 地方口径 with the places that use
    it, or the national label. Shown by `vet rules show`/`export` and in a local finding's basis."""
    if not local:
        return NATIONAL_LABEL
    return f"{LOCAL_LABEL}（{'、'.join(places)}）" if places else LOCAL_LABEL


def _basis_text(basis: tuple[Basis, ...], local: bool, places: tuple[str, ...]) -> str:
    text = "；".join(b.render() for b in basis)
    return f"【{scope_text(local, places)}】{text}" if local else text


@dataclass(frozen=True)
class Parameter:
    """A named value of a pack, optionally effective-dated (OpenFisca style)."""

    name: str
    description: str
    kind: str  # number | string | date | mapping
    values: tuple  # ((start date or None, value), ...) sorted by start date
    unit: str | None = None
    reference: str | None = None
    local: bool = False
    note: str | None = None

    def at(self, as_of: dt.date) -> Any:
        """The value in force on the as-of date, or None when none is in force yet."""
        current = None
        for start, value in self.values:
            if start is None or start <= as_of:
                current = value
        return current

    def keys(self) -> frozenset:
        """For a mapping parameter: every key any dated value uses."""
        return frozenset(k for _, v in self.values if isinstance(v, Mapping) for k in v)


@dataclass(frozen=True)
class Rule:
    """One review criterion: what fires, how bad it is, why, and on what legal basis."""

    code: str
    name: str
    category: str
    severity: str
    when: str
    condition: Any
    reason_text: str
    reason: tuple
    basis: tuple[Basis, ...]
    roles: tuple[str, ...] = ()
    description: str = ""
    fields: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    source: str = ""
    line: int | None = None
    note: str = ""  # caveats: local or unverified figures (shown by `vet rules show` and export)
    must_cover: bool = False  # the review is incomplete without it: uncovered → pending for everyone
    local: bool = False  # the item, its severity or a figure it reads comes from local lists only
    places: tuple[str, ...] = ()  # the places (local documents) that use it
    reviewable: bool = False  # a recorded human decision (复核结论) may clear its disqualify finding

    def scope_text(self) -> str:
        return scope_text(self.local, self.places)

    def basis_text(self) -> str:
        """The basis as a finding cites it; a local rule's starts with its 地方口径 mark."""
        return _basis_text(self.basis, self.local, self.places)


#: Kinds a reserve pool followed over time needs (vetting.pools, after the engine): each current
#: officer's post against the reserves (`posts`, with --officers), reserves of earlier recorded runs
#: missing from this one (`absent`), and each reserve's ratings across recorded runs (`ratings`).
POOL_KINDS = ("posts", "absent", "ratings")
GROUP_KINDS = ("duplicate", "relatives", "count", "seats", "minority", *POOL_KINDS)


@dataclass(frozen=True)
class GroupRule:
    """A rule over groups of candidates: a person listed twice, relatives on one village's slate
    (or between two slates: `against`), a count per village (women, youth, reserve quota) against a
    minimum/maximum, the slate against the seats a village declares (`seats`), or the members of the
    less numerous ethnic groups a village declares (`minority`; both read `village_field`)."""

    code: str
    name: str
    kind: str
    severity: str
    basis: tuple[Basis, ...]
    roles: tuple[str, ...] = ()
    where: Any = None          # condition AST selecting the rows counted (kind count)
    where_text: str = ""
    minimum: Any = None        # number or "$param"
    maximum: Any = None
    scope: tuple[str, ...] = ()  # relation categories (kind relatives)
    same_household: bool = True
    against: tuple[str, ...] = ()  # kind relatives: the other slate (roles) a member's relatives sit on
    village_field: str = ""        # kinds seats, minority: the village-level column (职数, 人数较少的民族)
    reason: str = ""
    description: str = ""
    source: str = ""
    line: int | None = None
    local: bool = False
    places: tuple[str, ...] = ()

    def scope_text(self) -> str:
        return scope_text(self.local, self.places)

    def basis_text(self) -> str:
        """The basis as a finding cites it; a local rule's starts with its 地方口径 mark."""
        return _basis_text(self.basis, self.local, self.places)


@dataclass(frozen=True)
class Agency:
    """A reviewing agency (联审部门): how its opinion column is named, what it answers for, who needs it."""

    name: str
    aliases: tuple[str, ...]
    supplies: tuple[str, ...]
    required: bool = False
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpinionPattern:
    """A finding pattern: a regex over an agency's free-text opinion and the fields it sets."""

    id: str
    name: str
    regex: Any  # vetting.ruleset.pattern.Regex (RE2, linear time)
    sets: Mapping[str, str]
    maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    unless: Any = None


@dataclass(frozen=True)
class OpinionRules:
    """How agency opinions are read: clear phrases, not-yet-answered phrases, finding patterns
    (each a vetting.ruleset.pattern.Regex); a longer text than `max_length` is left to a person."""

    clear: tuple = ()
    pending: tuple = ()
    patterns: tuple[OpinionPattern, ...] = ()
    max_length: int = 2000


@dataclass(frozen=True)
class Ruleset:
    """A validated ruleset after `extends` is resolved."""

    id: str
    title: str
    version: str
    rules: tuple[Rule, ...]
    parameters: Mapping[str, Parameter]
    fields: Mapping[str, Field]
    required_fields: tuple[str, ...]
    election_date: dt.date | None = None
    description: str = ""
    chain: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # (file name, sha256) for every file in the chain
    sha256: str = ""
    disabled: tuple[str, ...] = field(default=())
    agencies: Mapping[str, Agency] = field(default_factory=dict)
    opinions: OpinionRules = field(default_factory=OpinionRules)
    group_rules: tuple[GroupRule, ...] = ()
    coverage: str = "partial"  # a rule this run cannot check: said once (partial) or pending for all (strict)

    def rule(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.code == code), None)

    def params_at(self, as_of: dt.date) -> dict[str, Any]:
        """Every parameter's value in force on the as-of date."""
        return {name: p.at(as_of) for name, p in self.parameters.items()}
