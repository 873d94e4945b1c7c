"""The two vettings of a diff wired together: the rosters vetted under each setup (vector engine),
or a recorded run against the rosters vetted now, then compared (`vetting.diff.compare`)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Sequence

from vetting.diff.compare import Diff, diff_sides
from vetting.diff.packs import rule_reasons, setup_notes
from vetting.diff.sides import recorded_side, result_side
from vetting.errors import VettingError
from vetting.history.model import RunDetail
from vetting.pipeline import ReadOptions, load_candidates, run_engine, vet_files
from vetting.ruleset.loader import load_ruleset
from vetting.ruleset.model import Ruleset


def _label(name: str, as_of: dt.date, other_name: str, other_as_of: dt.date) -> str:
    parts = [name] if name != other_name else []
    if as_of != other_as_of:
        parts.append(f"基准日 {as_of}")
    return "，".join(parts) or f"{name}，基准日 {as_of}"


def _same_reading(a: Ruleset, b: Ruleset) -> bool:
    """Whether both rulesets read rosters and agency answers alike (one reading serves both)."""
    return (dict(a.fields) == dict(b.fields) and a.required_fields == b.required_fields
            and dict(a.agencies) == dict(b.agencies) and a.opinions == b.opinions)


def diff_setups(rosters: Sequence[str], old: Ruleset, new: Ruleset, old_as_of: dt.date, new_as_of: dt.date,
                read: ReadOptions | None = None, names: tuple[str, str] | None = None) -> Diff:
    """Vet the rosters under (old pack, old as-of) and (new pack, new as-of) and compare: who changes
    and the rules responsible (a one-off random key pairs the same ID number on both sides). `names`
    are how the user named the two packs (default: their ids)."""
    key = secrets.token_bytes(32)
    read = read or ReadOptions()
    candidates = load_candidates(rosters, old, read)
    before = run_engine(old, candidates, old_as_of)
    if not _same_reading(old, new):
        candidates = load_candidates(rosters, new, read)
    after = run_engine(new, candidates, new_as_of)
    old_name, new_name = names or (old.id, new.id)
    old_side = result_side(before, _label(old_name, old_as_of, new_name, new_as_of), key)
    new_side = result_side(after, _label(new_name, new_as_of, old_name, old_as_of), key)
    return diff_sides(old_side, new_side, rule_reasons(old, new, old_as_of, new_as_of),
                      setup_notes(old, new, old_as_of, new_as_of))


def recorded_ruleset(detail: RunDetail) -> Ruleset | None:
    """The ruleset a recorded run used, when it can still be loaded unchanged (same SHA-256)."""
    name = (detail.run.options or {}).get("ruleset") or detail.run.ruleset_id
    if not name:
        return None
    try:
        ruleset = load_ruleset(str(name))
    except VettingError:
        return None
    return ruleset if ruleset.sha256 == detail.run.ruleset_sha256 else None


def diff_recorded(detail: RunDetail, rosters: Sequence[str], new: Ruleset, as_of: dt.date,
                  read: ReadOptions | None = None, key: bytes | None = None, name: str | None = None) -> Diff:
    """Compare a recorded run with the rosters vetted now under `new` on `as_of`. `key` is the
    history's own ID key (when it is the key of the run) so that the same person pairs by ID."""
    after = vet_files(rosters, new, as_of, read)
    old_side = recorded_side(detail, f"审查记录 #{detail.run.id}")
    new_side = result_side(after, f"{name or new.id}，基准日 {as_of}", key)
    old_rules = recorded_ruleset(detail)
    old_as_of = _date(detail.run.as_of)
    notes = setup_notes(old_rules, new, old_as_of, as_of) if old_rules else []
    if old_rules is None:
        notes.append(f"记录 #{detail.run.id} 所用规则集（{detail.run.ruleset_id or '?'}）现已改动或找不到，"
                     "只能按问题本身比较，无法指出规则的哪一处变了")
        if old_as_of and old_as_of != as_of:
            notes.append(f"审查基准日：{old_as_of} → {as_of}")
    if _inputs(detail.run.inputs) != _inputs((after.meta or {}).get("inputs") or []):
        notes.append("注意：花名册内容与记录中的不同（SHA256 不一致），结论变化也可能来自花名册本身")
    decided = sum(any(d.changed_verdict for d in c.decisions) for c in detail.candidates)
    if decided:
        notes.append(f"注意：记录 #{detail.run.id} 适用了复核结论（{decided}人的结论因此改变），本次审查未适用，"
                     "这些人的结论变化可能来自复核结论而非规则集")
    return diff_sides(old_side, new_side, rule_reasons(old_rules, new, old_as_of, as_of) if old_rules else {},
                      notes)


def _inputs(items: Sequence[dict[str, Any]]) -> list:
    return sorted(str(i.get("sha256")) for i in items)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
