"""Chunked runs: every rule decided over the whole roster at once (compact boolean masks; rules
across candidates - duplicates, relatives, per-village counts, slates - over every candidate),
then findings rendered and the report written one slice of candidates at a time, so that the
reasons and evidence of a large roster never sit in memory together.

Each slice gets exactly the findings a whole-run evaluation gives its candidates (a duplicate ID
or a village split between slices included: those rules never see a slice), and the report
writers of vetting.reports.stream write the same bytes as a whole-run report. The meta block is
built from counts gathered slice by slice. `vet run` chunks above CHUNK_THRESHOLD candidates
(or with ``--chunk-rows N``) when it writes CSV or JSON to a file with the vectorised engine.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from vetting.engine.assemble import Plan, plan
from vetting.engine.coverage import Coverage, assess, resolve_mode
from vetting.engine.profile import declared_targets
from vetting.engine.vector import vector_decide
from vetting.engine.verdicts import candidate_table
from vetting.meta import RunCounts, counted, meta_from_counts
from vetting.normalize.roster import Candidates
from vetting.result import CANDIDATE_COLUMNS, FINDING_COLUMNS, VettingResult
from vetting.ruleset.model import POOL_KINDS, Ruleset
from vetting.vocab import Severity

#: Candidates above which `vet run` renders and writes in chunks.
CHUNK_THRESHOLD = 50_000
#: Most candidates per chunk when none is given.
DEFAULT_CHUNK_ROWS = 50_000
#: Findings a chunk aims at when its size is not given: rendered findings and the report rows
#: built from them take a few kilobytes each while a chunk is written (with two worker processes a
#: 1M-row roster before the agencies reply peaked at 923 MB with this aim, 1,046 MB with 150,000).
FINDINGS_PER_CHUNK = 100_000
#: ... in a JSON report, whose chunk takes several times the memory of a CSV one for the same
#: findings (each an indented object, joined in Arrow): 1M before the agencies reply, two
#: workers, peaked at 1.88 GB aiming at 100,000.
JSON_FINDINGS_PER_CHUNK = 40_000
#: Findings in the chunks that the worker processes of a streamed run render at once: with more
#: than two workers, each aims at its share (1M before the agencies reply, four workers: 1.52 GB
#: aiming at 100,000 each).
CHUNKED_FINDINGS = 200_000
#: Fewest candidates per chunk when none is given.
MIN_CHUNK_ROWS = 1_000
#: Called after each slice is written: on_chunk(slice, candidates done, candidates in all); the
#: CLI records the slice in the history (vetting.history.recorder) and shows the progress.
OnChunk = Callable[[VettingResult, int, int], None]


def should_chunk(candidates: int, chunk_rows: int | None, fmt: str, output: str | None, engine: str,
                 ruleset: Ruleset | None = None) -> bool:
    """Whether a run is written in chunks: CSV or JSON to a file, vectorised engine, a pack without
    reserve-pool rules (they change findings after the evaluation: vetting.pools), and more
    candidates than one chunk holds (`chunk_rows`, else CHUNK_THRESHOLD)."""
    from vetting.reports.stream import STREAM_FORMATS

    if fmt not in STREAM_FORMATS or not output or engine != "vector":
        return False
    if ruleset is not None and any(g.kind in POOL_KINDS for g in ruleset.group_rules):
        return False
    return candidates > (chunk_rows if chunk_rows else CHUNK_THRESHOLD)


@dataclass
class ChunkTally:
    """The meta block's counts, gathered as a run's chunks pass."""

    verdicts: Counter = field(default_factory=Counter)
    unchecked: Counter = field(default_factory=Counter)
    pending: Counter = field(default_factory=Counter)
    findings: int = 0

    def add(self, chunk: VettingResult) -> None:
        """Count one chunk's verdicts, findings, and rules pending or not checked."""
        findings = chunk.findings
        self.verdicts.update(chunk.candidates["verdict"].value_counts().to_dict())
        self.findings += len(findings)
        self.unchecked.update(chunk.unchecked["rule"].value_counts().to_dict())
        is_pending = findings["severity"] == Severity.PENDING.value
        self.pending.update(counted(findings.loc[is_pending, "rule"]))

    def merge(self, other: ChunkTally) -> None:
        """Add the counts of chunks another process tallied."""
        self.verdicts.update(other.verdicts)
        self.unchecked.update(other.unchecked)
        self.pending.update(other.pending)
        self.findings += other.findings

    def counts(self, candidates: int) -> RunCounts:
        """The counts of the chunks seen, for `candidates` in all."""
        return RunCounts(dict(self.verdicts), candidates, self.findings, dict(self.unchecked), dict(self.pending))


@dataclass
class ChunkedRun:
    """One run evaluated in slices of `chunk_rows` candidates (None: sized by `chunk_bounds`):
    iterate `chunks()` (each slice's candidates, findings and unchecked rules; `on_chunk` hears
    each once the slice is written), then `result()` gives the meta block and village findings."""

    ruleset: Ruleset
    candidates: Candidates
    as_of: dt.date
    chunk_rows: int | None = None
    generated_at: str | None = None
    coverage: str | None = None
    on_chunk: OnChunk | None = None
    engine: str = "vector"
    aim: int | None = None              # findings a chunk aims at (`findings_aim`; None: FINDINGS_PER_CHUNK)
    _plan: Plan | None = None
    _covered: Coverage | None = None
    _tally: ChunkTally = field(default_factory=ChunkTally)
    _result: VettingResult | None = None

    def __post_init__(self) -> None:
        self._covered = assess(self.ruleset, self.candidates, resolve_mode(self.coverage, self.ruleset))
        self._plan = plan(self.ruleset, self.candidates, self.as_of, vector_decide, self._covered)

    def chunks(self) -> Iterator[VettingResult]:
        """Each slice of candidates with its findings and unchecked rules (meta empty)."""
        n = len(self.candidates)
        for lo, hi in chunk_bounds(self._plan, self.chunk_rows, self.aim):
            findings, not_checked = self._plan.findings(lo, hi)
            table = candidate_table(self.candidates, findings, lo, hi)
            chunk = VettingResult(candidates=table, findings=findings, unchecked=not_checked)
            self._tally.add(chunk)
            yield chunk
            if self.on_chunk is not None:       # the slice is written: record it, say how far the run is
                self.on_chunk(chunk, hi, n)

    def result(self) -> VettingResult:
        """The whole run without its candidates and findings (`on_chunk` saw them slice by slice):
        meta, village findings, group summaries, the pack's targets."""
        if self._result is not None:
            return self._result
        decided = self._plan
        meta = meta_from_counts(self._tally.counts(len(self.candidates)), decided.groups.summary, self.ruleset,
                                self.candidates, self.as_of,
                                self.engine, self.generated_at, self._covered)
        candidates = candidate_table(self.candidates, pd.DataFrame(columns=FINDING_COLUMNS), 0, 0)
        self._result = run_without_rows(meta, candidates, decided.villages(), decided.groups.summary, self.ruleset,
                                        self.as_of)
        return self._result

    def shell(self) -> VettingResult:
        """What a chunked report's `finish` needs: meta and village findings, no candidates."""
        return shell_of(self.result())


def run_without_rows(meta: dict, candidates: pd.DataFrame, villages: pd.DataFrame, summary: list,
                     ruleset: Ruleset, as_of: dt.date) -> VettingResult:
    """A run written chunk by chunk, once written: its meta, village findings and the pack's
    targets, no candidates (`candidates` an empty table) and no findings."""
    result = VettingResult(candidates=candidates[CANDIDATE_COLUMNS], findings=pd.DataFrame(columns=FINDING_COLUMNS),
                           villages=villages, group_summary=summary)
    result.meta = meta
    result.targets = declared_targets(ruleset, as_of)
    return result


def shell_of(whole: VettingResult) -> VettingResult:
    """A run's meta and village findings without candidates or findings (a chunked report's end)."""
    return VettingResult(candidates=whole.candidates.iloc[:0], findings=whole.findings.iloc[:0],
                         meta=whole.meta, villages=whole.villages, group_summary=whole.group_summary)


def findings_aim(jobs: int = 1, fmt: str = "csv") -> int:
    """Findings a chunk of a `fmt` report aims at when `jobs` worker processes render chunks at once."""
    aim = JSON_FINDINGS_PER_CHUNK if fmt == "json" else FINDINGS_PER_CHUNK
    return max(1, min(aim, CHUNKED_FINDINGS // max(1, jobs)))


def chunk_bounds(decided: Plan, chunk_rows: int | None = None, aim: int | None = None) -> Iterator[tuple[int, int]]:
    """The candidates lo..hi-1 of each chunk, in order (one empty chunk when there are none):
    `chunk_rows` each, else as many as hold about `aim` findings (`expected_findings`; None:
    FINDINGS_PER_CHUNK), at least MIN_CHUNK_ROWS and at most DEFAULT_CHUNK_ROWS candidates: a
    roster before the agencies reply gives nine-odd findings per candidate, a fully answered one a
    few per hundred, and a roster may hold both (one township answered, the next not)."""
    n = len(decided.candidates)
    if n == 0:
        yield 0, 0
        return
    if chunk_rows:
        step = max(1, int(chunk_rows))
        yield from ((lo, min(n, lo + step)) for lo in range(0, n, step))
        return
    aim = FINDINGS_PER_CHUNK if aim is None else aim
    reach = np.cumsum(decided.expected_findings())
    lo = 0
    while lo < n:
        before = int(reach[lo - 1]) if lo else 0
        hi = int(np.searchsorted(reach, before + aim, side="right"))
        hi = min(n, max(lo + MIN_CHUNK_ROWS, min(hi, lo + DEFAULT_CHUNK_ROWS)))
        yield lo, hi
        lo = hi


def write_chunked(run: ChunkedRun, output: str, fmt: str, show_id: bool = False) -> list[Path]:
    """Write the report of `run` at `output` (CSV or JSON) chunk by chunk."""
    from vetting.reports.stream import write_chunks

    return write_chunks(run.chunks(), run.shell, output, fmt, show_id)


def vet_chunked(ruleset: Ruleset, candidates: Candidates, as_of: dt.date, output: str, fmt: str,
                show_id: bool = False, chunk_rows: int | None = None, generated_at: str | None = None,
                coverage: str | None = None, on_chunk: OnChunk | None = None) -> VettingResult:
    """Evaluate and write the report of a large run chunk by chunk (`on_chunk` hears each slice
    once written); returns the run without its candidates and findings (meta, village findings)."""
    run = ChunkedRun(ruleset, candidates, as_of, chunk_rows, generated_at, coverage, on_chunk,
                     aim=findings_aim(1, fmt))
    write_chunked(run, output, fmt, show_id)
    return run.result()
