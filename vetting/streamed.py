"""Runs over CSV rosters read slice by slice: memory bounded by a slice plus a compact index.

A run of a roster too large to hold (10,000,000 rows) goes over the file twice (vetting.inputs.stream):

1. **Index.** Each slice is read for what the rules across candidates need (the first slice whole,
   for what the run consults; every slice whole when a count rule reads a fact an agency answers
   for): a few compact columns per candidate (a valid ID number as an integer, name, township,
   village and an integer per village, role, household, declared relatives, ethnicity, the
   village-level columns, file and row) and the outcome of each count rule's condition. The rules
   across candidates (duplicates, relatives, per-village counts, seats) are then decided over
   everyone at once, so a duplicate or a village split across slices is seen whole.
2. **Slices.** Each slice is normalised again and every rule about one person decided on it;
   its findings get the cross-candidate findings of its people, and it is written.

With `jobs` > 1 the slices after the first are indexed, and every slice of the second pass is
decided and rendered, by worker processes (vetting.slicework, vetting.parallel) while this
process reads the file and writes the report in order. Then the file is parsed once: the first
pass keeps each slice, as read, in a file beside the report (mode 0600, removed once the second
pass has taken it, or when the run ends), since parsing is the work this process cannot share.

The reports are byte for byte those of a run that reads the files whole (tests/test_streamed.py).
Only runs whose rosters are all CSV text and that read no agency reply files, apply no
decisions, follow no reserve pool and write CSV or JSON to a file are streamed (`can_stream`).
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from vetting.atomic import check_target, temp_beside
from vetting.chunked import ChunkTally, OnChunk, findings_aim, run_without_rows, shell_of
from vetting.engine.assemble import params_in_force
from vetting.engine.coverage import Coverage, assess, resolve_mode
from vetting.engine.derive import DERIVED_FROM
from vetting.engine.groups import GroupOutcome, evaluate_groups
from vetting.engine.slate import REPEATED, VILLAGE_CODE, repeated_people, village_codes
from vetting.engine.values import Vec
from vetting.errors import VettingError
from vetting.inputs.stream import RosterStream, scan_file, streamable
from vetting.inputs.table import RawTable, distinct_names
from vetting.joint.chase import ChaseList
from vetting.memory import hand_back_free_pages, map_large_blocks
from vetting.meta import meta_from_counts
from vetting.normalize.headers import check_mapped_headers
from vetting.normalize.roster import Candidates
from vetting.parallel import Workers, auto_jobs
from vetting.pipeline import ReadOptions
from vetting.progress import READ, Progress, silent
from vetting.result import CANDIDATE_COLUMNS, GROUP_COLUMNS, VettingResult
from vetting.ruleset.condition import referenced_fields
from vetting.ruleset.model import POOL_KINDS, Ruleset
from vetting.slicework import (
    IndexJob,
    SliceJob,
    count_rules,
    decide_slice,
    decided_chunks,
    index_columns,
    index_part,
    kept_chunks,
    read_whole,
    ready,
    run_shell,
)

if TYPE_CHECKING:
    from vetting.reports.stream import ChunkWriter

#: Text rosters larger than this (bytes, all files together) are streamed when a run may be.
STREAM_THRESHOLD_BYTES = 64 << 20
#: ... and larger than this when the run has worker processes: from about 100,000 candidates (of
#: the bench's 36-column roster, ~200 bytes each) the workers win back their start (a second of
#: imports each) and the second reading (the bench's rosters on two processors, read whole against
#: streamed: 100,000 candidates before the agencies reply 5.4 s against 4.5 s, fully answered 2.4 s
#: either way; 200,000: 10.5 s against 7.6 s; 300,000 fully answered 5.6 s against 5.2 s).
PARALLEL_THRESHOLD_BYTES = 20 << 20
#: Candidates per slice, at most: each slice costs a fixed ~0.14 s of processor time beside its
#: rows (1M fully answered on two processors: 13.2 s in slices of 25,000, 12.6 s in 50,000).
STREAM_ROWS = 50_000
#: ... and at least, however many workers a run has.
MIN_STREAM_ROWS = 25_000
#: Candidates in the slices the workers hold at once (~300 MB a worker with 50,000; four workers
#: take 25,000 each).
SLICED_ROWS = 100_000
#: Rosters larger than this (bytes, all files together; ~2.5M candidates) are read in slices of
#: MIN_STREAM_ROWS: their index needs the room (10M candidates peak at 1.7 GB so).
LARGE_ROSTER_BYTES = 512 << 20
#: Up to this many candidates, the workers of the first pass wait idle for the second while the
#: index is stacked (~200 MB each beside an index of ~100 bytes a candidate): starting them
#: again costs a second of imports, 7 % of a 1M run. Above, they stop, and the stacking peak
#: does not sit beside them.
KEEP_WORKERS_ROWS = 2_000_000
#: Rosters up to this size (bytes, all files together) have their slices kept for the second
#: pass as they are (~5x the CSV beside the report: 1 GB for 1M rows), larger ones compressed
#: (~1.5x): compressing and reading back is ~15 % of the work on a slice of a fully answered roster.
KEEP_PLAIN_BYTES = 256 << 20


def can_stream(paths: Sequence[str], options: ReadOptions, fmt: str, output: str | None, engine: str,
               ruleset: Ruleset, chunk_rows: int | None, decisions: bool = False, officers: bool = False,
               jobs: int | None = None) -> bool:
    """Whether a run reads its rosters slice by slice: a run that may be (see the module) whose
    rosters together exceed `stream_threshold(jobs)`, or any such run given ``--chunk-rows``."""
    from vetting.reports.stream import STREAM_FORMATS

    if fmt not in STREAM_FORMATS or not output or engine != "vector" or decisions or officers or options.replies:
        return False
    if any(g.kind in POOL_KINDS for g in ruleset.group_rules) or not paths:
        return False
    if not all(streamable(p) for p in paths):
        return False
    return bool(chunk_rows) or _roster_bytes(paths) > stream_threshold(jobs)


def stream_threshold(jobs: int | None) -> int:
    """Roster bytes above which a run is streamed: PARALLEL_THRESHOLD_BYTES when it has worker
    processes (`jobs` above 1, or none given and more than one usable processor), else
    STREAM_THRESHOLD_BYTES (in one process, reading the file twice costs more than it saves)."""
    return PARALLEL_THRESHOLD_BYTES if (auto_jobs() if jobs is None else jobs) > 1 else STREAM_THRESHOLD_BYTES


def stream_jobs(paths: Sequence[str], jobs: int | None) -> int:
    """Worker processes of a streamed run: `jobs` when given, else one per usable
    processor (vetting.parallel.auto_jobs) for rosters above PARALLEL_THRESHOLD_BYTES and none
    (this process) below: starting a worker costs about a second of imports."""
    if jobs is not None:
        return max(1, jobs)
    return auto_jobs() if _roster_bytes(paths) > PARALLEL_THRESHOLD_BYTES else 1


def slice_rows(roster_bytes: int, jobs: int) -> int:
    """Candidates per slice of a streamed run with `jobs` worker processes: as many as
    SLICED_ROWS shared by the workers allows, between MIN_STREAM_ROWS and STREAM_ROWS, and
    MIN_STREAM_ROWS for rosters above LARGE_ROSTER_BYTES."""
    if roster_bytes > LARGE_ROSTER_BYTES:
        return MIN_STREAM_ROWS
    return max(MIN_STREAM_ROWS, min(STREAM_ROWS, SLICED_ROWS // max(1, jobs)))


def _roster_bytes(paths: Sequence[str]) -> int:
    return sum(Path(p).stat().st_size for p in paths)


def index_fields(ruleset: Ruleset) -> frozenset[str] | None:
    """The fields a first pass reads after its first slice: the index columns and what the count
    rules' conditions read (with the roster fields a derived value comes from); None (every field,
    every opinion) when a count rule reads a fact an agency may answer for."""
    read = {f for g in count_rules(ruleset) for f in referenced_fields(g.where)}
    read |= {source for f in read for source in DERIVED_FROM.get(f, ())}
    answered = {f for a in ruleset.agencies.values() for f in a.supplies}
    answered |= {f for p in ruleset.opinions.patterns for f in (*p.sets, *p.maps)}
    if read & answered:
        return None
    return frozenset(index_columns(ruleset)) | read


def _stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Index parts one under another, categories merged (pandas would fall back to objects), each
    village numbered (VILLAGE_CODE) and repeated people marked (REPEATED). `parts` is emptied
    column by column as it is stacked, so the index is not held twice."""
    if not parts:
        return pd.DataFrame()
    columns = {}
    for name in list(dict.fromkeys(name for p in parts for name in p.columns)):
        model = next(p[name] for p in parts if name in p)
        pieces = [p.pop(name) if name in p else _missing_like(model, len(p)) for p in parts]
        if isinstance(pieces[0].dtype, pd.CategoricalDtype):
            columns[name] = pd.Series(pd.api.types.union_categoricals(pieces, ignore_order=True))
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
        del pieces
    parts.clear()
    index = pd.DataFrame(columns)
    index[VILLAGE_CODE] = village_codes(index)
    index[REPEATED] = repeated_people(index)
    return index


def _missing_like(model: pd.Series, n: int) -> pd.Series:
    """`n` missing values of `model`'s kind: a slice of a roster file without a column another
    file has (as a whole read leaves those people's cells)."""
    if isinstance(model.dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical([None] * n, categories=model.cat.categories[:0]))
    if isinstance(model.dtype, pd.api.extensions.ExtensionDtype):
        return pd.Series(pd.array([None] * n, dtype=model.dtype))
    return pd.Series(np.full(n, np.nan))


@dataclass
class _IndexEvaluator:
    """What `evaluate_groups` asks of an evaluator, from the index: each count rule's condition
    was evaluated slice by slice in the first pass."""

    where: dict[int, Vec]
    params: dict
    columns: object

    def eval(self, node: object) -> Vec:
        return self.where[id(node)]


@dataclass
class _RulesetView:
    ruleset: Ruleset


@dataclass
class StreamedRun:
    """One run over rosters read slice by slice (see the module): `index()` (the first pass),
    then `chunks()` yields each slice's candidates, findings and unchecked rules (row ids over
    the whole run), then `result()` / `shell()` as vetting.chunked.ChunkedRun gives them."""

    ruleset: Ruleset
    paths: Sequence[str]
    as_of: dt.date
    options: ReadOptions = field(default_factory=ReadOptions)
    chunk_rows: int | None = None
    generated_at: str | None = None
    coverage: str | None = None
    on_chunk: OnChunk | None = None
    jobs: int = 1
    cache_beside: str | None = None
    streams: list[RosterStream] = field(default_factory=list)
    _workers: Workers = field(init=False)
    _sizes: list[int] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    _groups: GroupOutcome | None = None
    _covered: Coverage | None = None
    _shell: Candidates | None = None
    _tally: ChunkTally = field(default_factory=ChunkTally)
    _result: VettingResult | None = None
    _n: int = 0
    _cache: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._workers = Workers(self.jobs)
        self._workers.start(ready)                  # their imports overlap reading the files' heads
        rows = self.chunk_rows or slice_rows(_roster_bytes(self.paths), self.jobs)
        scan = partial(self._workers.submit, scan_file) if self.jobs > 1 else None    # beside the first pass
        try:
            for path, name in zip(self.paths, distinct_names(self.paths)):
                self.streams.append(RosterStream.open(path, self.ruleset.fields, rows, self.options.sheet,
                                                      self.options.header_row, self.options.encoding, scan))
                self.streams[-1].label = None if name == Path(path).name else name
            check_mapped_headers(self.options.mapping, [(s.name, s.columns) for s in self.streams])
        except BaseException as exc:
            try:
                if isinstance(exc, Exception):
                    self._checked()     # an earlier file's refusal is said first, as without workers
            finally:
                self._workers.stop_now()
            raise

    def _tables(self) -> Iterator[RawTable]:
        """Each slice of every roster as read, slices without people left out."""
        for stream in self.streams:
            for table in stream.tables():
                if table.skipped is None or not table.skipped.all():
                    yield table

    def index(self, progress: Progress = silent) -> list[dict]:
        """The first pass: the compact index, the rules across candidates decided over it; returns
        what was read per file (as `Candidates.inputs`). `progress` hears the rows read per slice.
        The first slice is read whole here (what the run consults); the others, with `jobs` > 1,
        by worker processes (vetting.parallel) while this process reads on, started with the run;
        they wait for the second pass while the index is stacked, or, above KEEP_WORKERS_ROWS
        candidates, stop before it and new ones start for the second pass."""
        self._remove_kept()                     # a second call starts afresh
        self._sizes = []
        ruleset, parts = self.ruleset, []
        counted, params = count_rules(ruleset), params_in_force(ruleset, self.as_of)
        where: dict[int, list[Vec]] = {id(g.where): [] for g in counted}
        keep = index_fields(ruleset)
        compress = sum(stream.size for stream in self.streams) > KEEP_PLAIN_BYTES
        jobs = (IndexJob(ruleset, self.as_of, self.options, keep, params, table, self._cache_file(), compress)
                for table in self._tables())
        try:
            head = next(jobs, None)
            first = None if head is None else read_whole(ruleset, self.options, head.table)
            done = [] if head is None else [index_part(head, first)]
            read = 0
            for part in chain(done, self._workers.map(index_part, jobs)):
                parts.append(part.part)
                self._sizes.append(part.size)
                read += part.size
                progress(READ, read, None)
                for rule, vec in zip(counted, part.where):
                    where[id(rule.where)].append(vec)
        except Exception:
            if self._checked():
                raise                   # the files' checks agree with how they were read
            return self.index(progress)     # read again, each file in the encoding its check found
        if not self._checked():
            return self.index(progress)
        if read > KEEP_WORKERS_ROWS:
            self._workers.close()       # the index is stacked next, the run's peak: no idle worker beside it
        self.inputs = [s.summary for s in self.streams]
        if first is None:
            raise VettingError("花名册中没有人选")   # each file without people is refused while it is read
        hand_back_free_pages()                  # what the slices were read into
        index = _stack(parts)
        hand_back_free_pages()
        self._n = len(index)
        self._shell = run_shell(self.ruleset, self.options, first, index, self.streams, self.inputs)
        self._covered = assess(ruleset, self._shell, resolve_mode(self.coverage, ruleset))
        stacked = {key: Vec(v[0].kind, *(np.concatenate([getattr(x, a) for x in v]) for a in ("lo", "hi", "known")))
                   for key, v in where.items() if v}
        del where
        evaluator = _IndexEvaluator(stacked, ruleset.params_at(self.as_of), _RulesetView(ruleset))
        self._groups = evaluate_groups(ruleset.group_rules, self._shell, evaluator, self._covered)
        hand_back_free_pages()
        return self.inputs

    def _checked(self) -> bool:
        """Whether every file's check (RosterStream.confirm) agrees with the encoding it was read
        in; what a check refuses is raised here, in the files' order, before anything read from
        the file is used. A file found in another encoding is opened again (what that refuses is
        raised) before a later file's check is taken."""
        agreed = True
        for k, stream in enumerate(self.streams):
            if not stream.confirm():
                self.streams[k] = stream.reopened()
                agreed = False
        return agreed

    def _cache_file(self) -> str | None:
        """An empty file beside `cache_beside` for a slice the first pass keeps for the second
        (slicework.keep_slice), or None: kept only when workers decide the slices."""
        if self.jobs <= 1 or self.cache_beside is None:
            return None
        fd, name = temp_beside(self.cache_beside, "slice")
        self._cache.append(name)
        os.close(fd)
        return name

    @property
    def candidates(self) -> int:
        """Candidates in the run (known once the first pass is done)."""
        return self._n

    def chunks(self) -> Iterator[VettingResult]:
        """The second pass: each slice with its findings (row ids over the whole run)."""
        return self._second_pass(None, keep_rows=True)

    def write(self, writer: ChunkWriter) -> None:
        """The second pass written by `writer` (see vetting.reports.stream.write_by)."""
        for _ in self._second_pass(writer):
            pass

    def _second_pass(self, writer: ChunkWriter | None, keep_rows: bool = False) -> Iterator[VettingResult]:
        """Each chunk of the second pass, once `writer` (if any) has written it: in this process
        when `jobs` is 1, chunk by chunk; else each slice decided by a worker and written into a
        spool of `writer`'s (vetting.reports.stream), merged with the slice's first chunk. A chunk
        from a worker holds its rows only with `keep_rows` or when `on_chunk` keeps them (its
        `needs_rows`: the history does). The workers stop, and the slices kept for them are
        removed, when it ends, fails or is left unfinished."""
        try:
            yield from self._decided(writer, keep_rows)
        finally:
            self.close()

    def _decided(self, writer: ChunkWriter | None, keep_rows: bool) -> Iterator[VettingResult]:
        if self._groups is None:
            self.index()
        rows_back = keep_rows or (self.on_chunk is not None and getattr(self.on_chunk, "needs_rows", True))
        fmt, show_id = (writer.fmt, writer.show_id) if writer is not None else ("csv", False)
        offsets = np.cumsum([0, *self._sizes])
        tables = iter(self._cache) if self._cache else self._tables()    # kept only for workers
        aim = findings_aim(self.jobs, fmt)
        chase, unmapped, k = ChaseList(list(self.ruleset.agencies)), {}, 0
        jobs = (SliceJob(self.ruleset, self.as_of, self.options, self._covered, self.chunk_rows, int(offsets[k]),
                         self._groups.of_candidates(int(offsets[k]), int(offsets[k + 1])), table, rows_back, fmt, show_id,
                         aim=aim, room=chase.room())    # made as a worker frees up: the room after the slices back
                for k, table in enumerate(tables))

        def slice_back(size: int, waits: list[dict], columns: list[tuple[str, str]]) -> None:
            """A slice decided: its size checked against the first pass, what it awaits and did not read kept."""
            nonlocal k
            self._check_size(size, k)
            chase.add(waits)
            unmapped.update(dict.fromkeys(columns))
            k += 1

        if self.jobs <= 1:
            for job in jobs:
                made, waits, columns, size = decided_chunks(job)
                slice_back(size, waits, columns)
                for chunk, done in made:
                    self._tally.add(chunk)
                    if writer is not None:
                        writer.write_chunk(chunk)
                    yield chunk
                    self._written(chunk, done)
        else:
            spooled = (replace(job, spool=writer.new_spool(keep=rows_back)) if writer is not None else job
                       for job in jobs)
            for part in self._workers.map(decide_slice, spooled):
                slice_back(part.size, part.awaiting, part.unmapped)
                self._tally.merge(part.tally)
                if part.spool is not None:
                    writer.merge(part.spool)
                kept = kept_chunks(part.spool) if part.kept else None
                for chunk, done in part.chunks:
                    chunk = next(kept) if kept is not None else chunk
                    yield chunk
                    self._written(chunk, done)
                if kept is not None:
                    kept.close()
        self._shell.joint["awaiting"] = chase.entries()
        self._shell = replace(self._shell, unmapped=list(unmapped))     # every file's, as a whole read lists them

    def _check_size(self, size: int, k: int) -> None:
        if size != self._sizes[k]:
            raise VettingError(f"花名册在审查过程中发生变化（第{k + 1}段人数前后不一致），请重新审查")

    def _written(self, chunk: VettingResult, done: int) -> None:
        """A chunk is written: `on_chunk` records it and says how far the run is."""
        if self.on_chunk is not None:
            self.on_chunk(chunk, done, self._n)

    def close(self) -> None:
        """Stop the worker processes and remove the slices kept for a second pass that did not
        take them (done once the second pass ends; idempotent)."""
        try:
            if any(stream.checking() for stream in self.streams):
                self._workers.stop_now()        # a file's check is not waited for by a run that ended
            else:
                self._workers.close()
        finally:
            self._remove_kept()

    def _remove_kept(self) -> None:
        """Remove the slices the first pass kept that no second pass has taken."""
        for name in self._cache:
            with suppress(OSError):
                os.unlink(name)
        self._cache = []

    def result(self) -> VettingResult:
        """The whole run without its findings text (see ChunkedRun.result)."""
        if self._result is not None:
            return self._result
        meta = meta_from_counts(self._tally.counts(self._n), self._groups.summary, self.ruleset, self._shell,
                                self.as_of, "vector", self.generated_at, self._covered)
        villages = pd.concat(self._groups.villages, ignore_index=True) if self._groups.villages else \
            pd.DataFrame(columns=GROUP_COLUMNS)
        self._result = run_without_rows(meta, pd.DataFrame(columns=CANDIDATE_COLUMNS), villages,
                                        self._groups.summary, self.ruleset, self.as_of)
        return self._result

    def shell(self) -> VettingResult:
        """What a chunked report's `finish` needs: meta and village findings, no candidates."""
        return shell_of(self.result())


def vet_streamed(ruleset: Ruleset, paths: Sequence[str], as_of: dt.date, output: str, fmt: str,
                 options: ReadOptions | None = None, show_id: bool = False, chunk_rows: int | None = None,
                 generated_at: str | None = None, coverage: str | None = None, on_chunk: OnChunk | None = None,
                 on_read: Callable[[list[dict], int], None] | None = None,
                 progress: Progress = silent, jobs: int | None = None) -> VettingResult:
    """Read, evaluate and write a large run slice by slice; `on_read(inputs, candidates)` hears
    what was read once the first pass ends (`progress`: the rows read), `on_chunk` each slice
    once written; `jobs` worker processes decide and render the slices (see `stream_jobs`).
    Returns the run without its candidates and findings (see ChunkedRun)."""
    from vetting.reports.stream import write_by

    check_target(output)                        # before the first pass keeps slices beside it
    map_large_blocks()                          # resident size follows what the run holds (vetting.memory)
    run = StreamedRun(ruleset, paths, as_of, options or ReadOptions(), chunk_rows, generated_at, coverage, on_chunk,
                      jobs=stream_jobs(paths, jobs), cache_beside=output)
    try:
        inputs = run.index(progress)
        if on_read is not None:
            on_read(inputs, run.candidates)
        write_by(run.write, run.shell, output, fmt, show_id)
    finally:
        run.close()
    return run.result()
