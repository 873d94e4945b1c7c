"""The stages wired together: read rosters, normalise, evaluate, add the audit meta block."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from vetting.engine.coverage import assess, resolve_mode
from vetting.engine.profile import candidate_profile, declared_targets
from vetting.engine.vector import evaluate
from vetting.errors import VettingError, did_you_mean
from vetting.inputs import read_tables
from vetting.inputs.table import distinct_names, named
from vetting.joint.merge import JointSpec, joint_review
from vetting.joint.replies import read_replies
from vetting.meta import build_meta
from vetting.normalize.roster import Candidates, candidates_from_records, normalise_tables
from vetting.progress import JOINT, NORMALISE, READ, REVIEW, Progress, silent
from vetting.result import VettingResult
from vetting.ruleset.model import Ruleset
from vetting.vocab import ENGINES


@dataclass
class ReadOptions:
    """How to read roster files (sheet, header row, encoding, extra header mapping)."""

    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    replies: Sequence[tuple[str, ...]] = ()  # (agency, reply file[, scope]) from --findings


def joint_spec(ruleset: Ruleset, replies: Sequence[tuple[str, ...]] = (), encoding: str | None = None) -> JointSpec:
    """The ruleset's agencies and opinion patterns with the agencies' reply files read; a reply
    given with a scope (a roster file or a township) answers for those candidates only."""
    read = []
    for agency, path, *scope in replies:
        if agency not in ruleset.agencies:
            known = f"可用：{'、'.join(ruleset.agencies)}" if ruleset.agencies else "该规则集未定义联审部门（agencies）"
            raise VettingError(f"规则集「{ruleset.id}」中没有联审部门「{agency}」{did_you_mean(agency, ruleset.agencies)}；"
                               + known)
        read.extend(replace(reply, scope=scope[0] if scope else "") for reply in read_replies(agency, path, encoding))
    return JointSpec(ruleset.agencies, ruleset.opinions, read)


def load_candidates(paths: Sequence[str], ruleset: Ruleset, options: ReadOptions,
                    progress: Progress = silent) -> Candidates:
    """Read and normalise every roster file (and agency reply files) into one candidate set;
    a workbook with one roster sheet per village contributes every such sheet. `progress` hears
    the rows read after each file, and the start and end of normalising and the joint review."""
    tables = []
    progress(READ, 0, None)
    for p, name in zip(paths, distinct_names(paths)):
        tables += [named(t, name) for t in read_tables(p, ruleset.fields, options.sheet, options.header_row,
                                                       options.encoding)]
        progress(READ, sum(len(t.frame) for t in tables), None)
    rows = sum(len(t.frame) for t in tables)
    progress(NORMALISE, 0, rows)
    candidates = normalise_tables(tables, ruleset.fields, ruleset.required_fields, options.mapping)
    progress(NORMALISE, rows, rows)
    progress(JOINT, 0, len(candidates))
    joined = joint_review(candidates, ruleset.fields, ruleset.required_fields,
                          joint_spec(ruleset, options.replies, options.encoding))
    progress(JOINT, len(joined), len(joined))
    return joined


def run_engine(ruleset: Ruleset, candidates: Candidates, as_of: dt.date, engine: str = "vector",
               generated_at: str | None = None, coverage: str | None = None,
               progress: Progress = silent) -> VettingResult:
    """Evaluate candidates with the named engine (both give the same findings, reasons and
    verdicts) and add the report's meta block. `coverage` (partial|strict, else the pack's
    setting) says whether a rule the run cannot check is stated once or `pending` for all.
    `progress` hears the start and the end of the review."""
    if engine not in ENGINES:
        raise VettingError(f"未知的审查引擎「{engine}」{did_you_mean(engine, ENGINES)}；可用：{'、'.join(ENGINES)}")
    progress(REVIEW, 0, len(candidates))
    covered = assess(ruleset, candidates, resolve_mode(coverage, ruleset))
    if engine == "durable":
        from vetting.engine.durable import evaluate as evaluate_durable
        result = evaluate_durable(ruleset, candidates, as_of, covered)
    else:
        result = evaluate(ruleset, candidates, as_of, covered)
    result.meta = build_meta(result, ruleset, candidates, as_of, engine, generated_at, covered)
    result.profile = candidate_profile(candidates, as_of)
    result.targets = declared_targets(ruleset, as_of)
    progress(REVIEW, len(candidates), len(candidates))
    return result


def vet_files(paths: Sequence[str], ruleset: Ruleset, as_of: dt.date,
              options: ReadOptions | None = None, engine: str = "vector",
              generated_at: str | None = None, coverage: str | None = None) -> VettingResult:
    """Batch vetting of roster files (vectorised engine unless another is named)."""
    candidates = load_candidates(paths, ruleset, options or ReadOptions())
    return run_engine(ruleset, candidates, as_of, engine, generated_at, coverage)


def record_candidates(records: Sequence[Mapping[str, object]], ruleset: Ruleset) -> Candidates:
    """Candidates given as field/header -> value records, normalised and with their opinions read."""
    candidates = candidates_from_records(records, ruleset.fields, ruleset.required_fields)
    return joint_review(candidates, ruleset.fields, ruleset.required_fields, joint_spec(ruleset))


def vet_records(records: Sequence[Mapping[str, object]], ruleset: Ruleset, as_of: dt.date,
                engine: str = "vector", coverage: str | None = None) -> VettingResult:
    """Vetting of candidates given as field/header -> value records (single checks)."""
    return run_engine(ruleset, record_candidates(records, ruleset), as_of, engine, coverage=coverage)
