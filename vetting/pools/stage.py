"""The reserve-pool stage, after the engine: each reserve followed across the pool's recorded runs
(matched by keyed ID digest), priority and removal from two ratings in a row, reserves of earlier
runs missing from this one, and 一村一职一备 against the current officers. Pure: the history rows
and the officers' roster are read by the caller (vetting.pools.source, vetting.pools.officers).

Findings use the pack's rules: its `ratings`, `absent` and `posts` group rules, and the per-person
rules REMOVAL_RULE and PRIORITY_RULE when history shows what the roster's own two rating columns
did not (a rule the roster already fired is not given twice). Verdicts and counts are redone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from vetting.engine.verdicts import verdicts
from vetting.errors import VettingError
from vetting.history.keys import id_digester, normalise_id
from vetting.history.ratings import PoolRow
from vetting.normalize.roster import Candidates
from vetting.pools.officers import Officers
from vetting.pools.periods import period_label, period_of, previous
from vetting.pools.posts import post_coverage
from vetting.pools.ratings import roster_ratings
from vetting.pools.source import RESERVE_ROLES, PoolHistory
from vetting.pools.timeline import Source, Timeline, pair_text, timeline
from vetting.result import FINDING_COLUMNS, GROUP_COLUMNS, VettingResult
from vetting.ruleset.model import POOL_KINDS, GroupRule, Ruleset
from vetting.vocab import VERDICTS, Severity

#: The reserve pack's per-person rules that two ratings in a row fire (清理出库, 优先使用).
REMOVAL_RULE, PRIORITY_RULE = "R05", "R06"
_SHOWN = 10
PENDING = Severity.PENDING.value


@dataclass
class _Person:
    """A reserve of this run: row, digest (None: no ID number to match by) and timeline."""

    row: int
    digest: str | None
    line: Timeline


def _place(township: object, village: object) -> tuple[str, str]:
    return ("" if pd.isna(township) else str(township), "" if pd.isna(village) else str(village))


def _where(file: object, row: object) -> str:
    return f"{file} 第{row}行"


def _digests(result: VettingResult, pool: PoolHistory) -> list[str | None]:
    """Each candidate's keyed ID digest as recorded runs store it (None without ID or key)."""
    if pool.key is None:
        return [None] * len(result.candidates)
    digest = id_digester(pool.key)
    ids = result.candidates["id_number"].astype(object)
    return [digest(i) if i else None for i in map(normalise_id, ids.where(ids.notna(), None))]


def _observations(rows: list[PoolRow]) -> list[tuple[str, str, Source]]:
    return [(p.period, p.rating, Source(p.run_id, p.as_of, p.candidate.source_file, p.candidate.source_row))
            for p in rows if p.period and p.rating]


def _finding(rule_code: str, name: str, severity: str, basis: str, row: int, reason: str, evidence: str) -> dict:
    return {"row_id": row, "rule": rule_code, "rule_name": name, "severity": severity, "reason": reason,
            "evidence": evidence, "basis": basis}


def _evidence(line: Timeline) -> str:
    sources = dict.fromkeys(r.source for r in line.ratings)
    sources.update(dict.fromkeys(s for r in line.ratings for _, s in r.differing))
    ordered = sorted(sources, key=Source.order)
    return "；".join(s.label() + (f" {_where(s.file, s.row)}" if s.run_id is not None and s.file else "")
                    for s in ordered)


def _settle_pending(findings: pd.DataFrame, people: list[_Person], period: str) -> tuple[pd.DataFrame, int]:
    """`findings` without the `pending` REMOVAL_RULE/PRIORITY_RULE findings of reserves whose two
    latest half-years (this one and the one before) the history now gives: the roster lacked one of
    the two ratings, and the recorded runs answer it (the timeline then decides). How many went."""
    known = [p.row for p in people if {period, previous(period)} <= {r.period for r in p.line.ratings}]
    stale = ((findings["severity"] == PENDING) & findings["rule"].isin([REMOVAL_RULE, PRIORITY_RULE])
             & findings["row_id"].isin(known)).to_numpy(dtype=bool)
    return findings[~stale].reset_index(drop=True), int(stale.sum())


def _person_findings(ruleset: Ruleset, rules: dict[str, GroupRule], people: list[_Person],
                     fired: set[tuple[int, str]]) -> list[dict]:
    """T03 (ratings across runs) for every reserve history knows, and R05/R06 where the timeline
    shows two ratings in a row that the roster's own columns did not already fire."""
    out = []
    removal, priority = ruleset.rule(REMOVAL_RULE), ruleset.rule(PRIORITY_RULE)
    for person in people:
        line = person.line
        if not line.recorded():
            continue
        evidence = _evidence(line)
        if "ratings" in rules:
            rule = rules["ratings"]
            out.append(_finding(rule.code, rule.name, rule.severity, rule.basis_text(), person.row,
                                f"历次考核（{len(line.ratings)}期，同一半年只计一次）：{line.text()}", evidence))
        if line.removed and removal and (person.row, removal.code) not in fired:
            later = line.ratings[-1].period != line.removed[1].period
            reason = (f"{pair_text(line.removed)}，连续两次考核不称职" +
                      (f"（{period_label(line.removed[1].period)}已达到清理条件，此后仍在后备名单中）" if later else "") +
                      "，应及时清理出后备干部队伍")
            out.append(_finding(removal.code, removal.name, removal.severity, removal.basis_text(), person.row,
                                reason, evidence))
        if line.priority and priority and (person.row, priority.code) not in fired:
            out.append(_finding(priority.code, priority.name, priority.severity, priority.basis_text(), person.row,
                                f"{pair_text(line.priority)}，连续两次考核优秀，换届前可在村务公开栏重点介绍，优先选拔使用",
                                evidence))
    return out


def _absent(rule: GroupRule | None, earlier: dict[str, list[PoolRow]], present: set[str],
            places: set[tuple[str, str]]) -> tuple[pd.DataFrame | None, dict]:
    """Village findings naming the reserves of earlier runs (not removed) missing from this run,
    in villages this run covers; counts of the rest (removed, villages outside this run)."""
    counts = {"absent": 0, "removed_before": 0, "outside": 0}
    by_village: dict[tuple[str, str], list[str]] = {}
    for digest, rows in earlier.items():
        if digest in present:
            continue
        line = timeline(_observations(rows))
        if line.removed:
            counts["removed_before"] += 1
            continue
        latest = max(rows, key=lambda p: p.run_id)
        last = latest.candidate
        place = _place(last.township, last.village)
        if place not in places:
            counts["outside"] += 1
            continue
        counts["absent"] += 1
        seen = Source(latest.run_id, latest.as_of).label()
        rating = f"，最近考核{period_label(line.ratings[-1].period)}{line.ratings[-1].rating}" if line.ratings else ""
        by_village.setdefault(place, []).append(
            f"{last.name or '（无姓名）'}（{last.id_masked or '无身份证号'}，{last.role}，最近见于{seen} "
            f"{_where(last.source_file, last.source_row)}{rating}）")
    if rule is None or not by_village:
        return None, counts
    rows = []
    for (township, village), people in by_village.items():
        listed = "、".join(people[:_SHOWN]) + (f"等{len(people)}人" if len(people) > _SHOWN else "")
        rows.append({"township": township, "village": village, "rule": rule.code, "rule_name": rule.name,
                     "severity": rule.severity,
                     "reason": (f"{township}{village}：此前记录的审查中在库的后备力量{len(people)}人本次花名册中没有："
                                f"{listed}；请核实是已调整出库、已进入\"两委\"班子还是漏报"),
                     "evidence": "审查记录（按身份证号加密钥摘要比对）", "basis": rule.basis_text()})
    return pd.DataFrame(rows, columns=GROUP_COLUMNS), counts


def _reserves_for_posts(result: VettingResult, candidates: Candidates, reserve: np.ndarray,
                        removed: set[int]) -> pd.DataFrame:
    """This run's reserves as post_coverage reads them: place, name, role, named post, whether
    they count (not to be removed, not `disqualify`) and why not."""
    table = result.candidates[reserve]
    rows = table["row_id"].to_numpy(dtype=int)
    post = candidates.frame["reserve_post"].astype("string").to_numpy(dtype=object)[rows] \
        if "reserve_post" in candidates.frame else np.full(len(rows), pd.NA, dtype=object)
    out_removed = np.isin(rows, list(removed))
    barred = (table["verdict"] == VERDICTS[0]).to_numpy(dtype=bool)
    why = np.where(out_removed, "连续两次考核不称职，应清理出库", np.where(barred, "审查结论为不能", ""))
    return pd.DataFrame({"township": table["township"].to_numpy(), "village": table["village"].to_numpy(),
                         "name": table["name"].to_numpy(), "role": table["role"].to_numpy(), "post": post,
                         "counts": ~(out_removed | barred), "why": why,
                         "where": [_where(f, r) for f, r in zip(table["source_file"], table["source_row"])]})


def require_posts_rule(ruleset: Ruleset) -> None:
    """Refuse --officers for a pack without a 一村一职一备 rule (kind: posts): nothing would read it.
    Called before anything is read, and again by `follow_pool`."""
    if not any(g.kind == "posts" for g in ruleset.group_rules):
        raise VettingError(f"规则集「{ruleset.id}」没有一村一职一备规则（kind: posts），无法使用 --officers；"
                           "请用 --ruleset reserve 或在县级规则集中启用该规则")


def follow_pool(result: VettingResult, ruleset: Ruleset, candidates: Candidates, as_of: dt.date,
                pool: PoolHistory, officers: Officers | None = None) -> VettingResult:
    """`result` with the roster's ratings attached (recorded with the run) and, when the pack has
    pool rules, each reserve followed over the pool's recorded runs (`pool`) and 一村一职一备
    checked against `officers`: new findings, village findings, verdicts, and meta["pool"]."""
    result = replace(result, ratings=roster_ratings(candidates, as_of))
    rules = {g.kind: g for g in ruleset.group_rules if g.kind in POOL_KINDS}
    if officers is not None:
        require_posts_rule(ruleset)
    if not rules:
        return result
    table = result.candidates
    reserve = table["role"].isin(RESERVE_ROLES).fillna(False).to_numpy(dtype=bool)
    digests = _digests(result, pool)
    fingerprint = pool.fingerprint()
    usable = [p for p in pool.rows if fingerprint and p.id_key_id == fingerprint and p.candidate.id_hmac]
    earlier: dict[str, list[PoolRow]] = {}
    for p in usable:
        earlier.setdefault(p.candidate.id_hmac, []).append(p)
    mine = result.ratings.groupby("row_id")
    own = {row: part for row, part in mine}
    people = []
    for row in np.flatnonzero(reserve):
        source = Source(None, as_of.isoformat(), table.at[row, "source_file"], table.at[row, "source_row"])
        obs = [(p, r, source) for p, r in zip(own[row]["period"], own[row]["rating"])] if row in own else []
        obs += _observations(earlier.get(digests[row], [])) if digests[row] else []
        people.append(_Person(int(row), digests[row], timeline(obs)))
    findings, settled = _settle_pending(result.findings, people, period_of(as_of))
    settled_rows = findings["severity"] != PENDING
    fired = set(zip(findings["row_id"][settled_rows].astype(int), findings["rule"][settled_rows]))
    added = _person_findings(ruleset, rules, people, fired)
    removed = {p.row for p in people if p.line.removed} | {r for r, c in fired if c == REMOVAL_RULE}
    places = {_place(t, v) for t, v in zip(table["township"], table["village"])}
    if officers is not None:
        places |= {_place(t, v) for t, v in zip(officers.table["township"], officers.table["village"])}
    present = {d for d in digests if d}
    absent, counts = _absent(rules.get("absent"), earlier, present, places)
    villages = [absent] if absent is not None else []
    if added:
        findings = pd.concat([findings, pd.DataFrame(added, columns=FINDING_COLUMNS)], ignore_index=True)
    coverage = None
    if officers is not None:
        coverage = post_coverage(rules["posts"], officers.table, _reserves_for_posts(result, candidates, reserve,
                                                                                     removed))
        villages.append(coverage.villages)
    villages = [v for v in (result.villages, *villages) if v is not None and len(v)]
    candidates_table = table.assign(verdict=verdicts(len(table), findings))
    meta = dict(result.meta)
    counted = candidates_table["verdict"].value_counts()
    meta.update({"finding_count": int(len(findings)),
                 "verdict_counts": {v: int(counted.get(v, 0)) for v in VERDICTS}})
    meta["pool"] = _pool_meta(as_of, pool, rules, people, added, counts, reserve, digests, officers, coverage,
                              settled)
    return replace(result, candidates=candidates_table, findings=findings, meta=meta,
                   villages=pd.concat(villages, ignore_index=True)[GROUP_COLUMNS] if villages
                   else pd.DataFrame(columns=GROUP_COLUMNS))


def _pool_meta(as_of: dt.date, pool: PoolHistory, rules: dict[str, GroupRule], people: list[_Person],
               added: list[dict], counts: dict, reserve: np.ndarray, digests: list[str | None],
               officers: Officers | None, coverage, settled: int = 0) -> dict:  # noqa: ANN001 - posts.Coverage
    """The audit block of the pool: runs consulted, who was followed, and one Chinese line each
    for what was found and what could not be checked (the report's header prints `lines`)."""
    fingerprint = pool.fingerprint()
    runs = sorted({(p.run_id, p.as_of) for p in pool.rows if fingerprint and p.id_key_id == fingerprint})
    other_key = sorted({p.run_id for p in pool.rows} - {r for r, _ in runs})
    unmatched = int(sum(1 for r in np.flatnonzero(reserve) if not digests[r]))
    followed = sum(1 for p in people if p.line.recorded())
    by_rule = {}
    for f in added:
        by_rule[f["rule"]] = by_rule.get(f["rule"], 0) + 1
    period = period_of(as_of)
    lines = [f"考核期次按审查基准日推定：最近一次考核为{period_label(period)}，前一次考核为其前一个半年"]
    if pool.note:
        lines.append(pool.note)
    elif runs:
        lines.append(f"对照此前记录的审查 {len(runs)} 次（" + "、".join(f"#{r}（基准日{a}）" for r, a in runs)
                     + f"）：{followed}名后备力量有此前的考核记录")
    else:
        lines.append("审查记录中没有同一规则集、基准日不晚于本次的后备力量审查，未对照此前的审查")
    if other_key:
        lines.append(f"审查记录 {'、'.join(f'#{r}' for r in other_key)} 使用的身份证号密钥不同，无法按身份证号比对，未计入")
    if settled:
        lines.append(f"{settled}条因缺少一次考核而待反馈的 {REMOVAL_RULE}/{PRIORITY_RULE} 已由此前的审查记录补齐并重新判定")
    if unmatched:
        lines.append(f"{unmatched}名后备力量没有身份证号，未能与此前的审查比对（只按本次花名册的考核列）")
    for kind, word in (("removed", REMOVAL_RULE), ("priority", PRIORITY_RULE)):
        if by_rule.get(word):
            lines.append(f"据历次记录新增 {word}：{by_rule[word]}人（" +
                         ("连续两次不称职，应清理出库" if kind == "removed" else "连续两次优秀，优先使用") + "）")
    if "absent" in rules and runs:
        lines.append(f"此前在库、本次花名册中没有的后备力量：{counts['absent']}人（列入村级问题清单）"
                     + (f"；另有{counts['outside']}人所在村不在本次范围内" if counts["outside"] else "")
                     + (f"；{counts['removed_before']}人此前已因连续两次不称职应清理出库"
                        if counts["removed_before"] else ""))
    posts = None
    if officers is not None and coverage is not None:
        files = "、".join(f"{i['file']}（SHA256：{i['sha256']}）" for i in officers.inputs)
        lines.append(f"现任干部名册 {files}：{coverage.villages_checked}个村(社区)、{coverage.posts}个职位，"
                     f"没有后备力量的职位{coverage.uncovered}个")
        if officers.skipped:
            lines.append(f"现任干部名册中村务监督委员会成员{officers.skipped}人不属\"两委\"职位，未核对一村一职一备")
        if coverage.not_listed:
            shown = "、".join(coverage.not_listed[:_SHOWN]) + (f"等{len(coverage.not_listed)}个" if
                                                                len(coverage.not_listed) > _SHOWN else "")
            lines.append(f"以下村(社区)有后备力量但不在现任干部名册中，未核对一村一职一备：{shown}")
        posts = {"files": officers.inputs, "villages": coverage.villages_checked, "posts": coverage.posts,
                 "uncovered": coverage.uncovered, "not_listed": coverage.not_listed[:200]}
    elif "posts" in rules:
        lines.append(f"未提供现任干部名册（--officers），未核对一村一职一备（{rules['posts'].code}）")
    return {"period": period, "runs": [{"run": r, "as_of": a} for r, a in runs], "other_key_runs": other_key,
            "reserves": int(reserve.sum()), "followed": followed, "without_id": unmatched,
            "added": by_rule, "settled": settled, "absent": counts, "officers": posts, "lines": lines}
