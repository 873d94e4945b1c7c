"""The work on one slice of a streamed run (vetting.streamed), done in this process or in a worker
process (vetting.parallel): a first-pass slice read into its part of the compact index, and a
second-pass slice read whole, decided and rendered. Each job carries all it needs and pickles."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import struct
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, BinaryIO, Iterator, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from vetting.chunked import ChunkTally, chunk_bounds
from vetting.engine.assemble import plan
from vetting.engine.coverage import Coverage, consulted_in_files
from vetting.engine.derive import derive
from vetting.engine.evaluator import Columns, Evaluator
from vetting.engine.groups import GroupOutcome
from vetting.engine.slate import ID_KEY, id_keys
from vetting.engine.values import Vec
from vetting.engine.vector import vector_decide
from vetting.engine.verdicts import candidate_table
from vetting.inputs.table import RawTable
from vetting.joint.chase import awaiting_list
from vetting.joint.merge import joint_review
from vetting.memory import reuse_freed_blocks
from vetting.normalize.roster import ISSUE_COLUMNS, Candidates, file_columns, normalise_tables
from vetting.normalize.silence import Silence
from vetting.pipeline import ReadOptions, joint_spec
from vetting.result import VettingResult
from vetting.ruleset.model import POOL_KINDS, Ruleset

if TYPE_CHECKING:
    from vetting.inputs.stream import RosterStream
    from vetting.reports.stream import Spool

#: Columns of a candidate the rules across candidates read (with each rule's village column).
INDEX_COLUMNS = ("source_file", "source_row", "id_number", "id_status", "name", "township", "village", "role",
                 "household_id", "relatives", "ethnicity")
#: How the first pass compresses the slices it keeps for the second (`keep_slice`).
_CODEC = pa.Codec("lz4")
#: Texts kept as Arrow strings in the index (the rest repeat, and are kept as categories).
_FREE_TEXT = ("name", "relatives", "household_id")


def ready() -> None:
    """Nothing: a worker started with it has imported this module."""


def count_rules(ruleset: Ruleset) -> list:
    """The count rules whose condition the first pass evaluates (pool rules read the history)."""
    return [g for g in ruleset.group_rules if g.where is not None and g.kind not in POOL_KINDS]


def index_columns(ruleset: Ruleset) -> list[str]:
    """The columns the index keeps: INDEX_COLUMNS and each rule's village-level column."""
    village = [g.village_field for g in ruleset.group_rules if g.village_field]
    return list(dict.fromkeys([*INDEX_COLUMNS, *village]))


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """A slice's index part: each valid ID number as an integer (ID_KEY), the row number as int32,
    repeated texts as categories (townships, villages, roles, files), names as Arrow strings."""
    out = {ID_KEY: id_keys(frame)}
    for name in frame.columns:
        column = frame[name]
        if name in ("id_number", "id_status"):
            continue
        if name == "source_row" and column.to_numpy().max(initial=0) < np.iinfo(np.int32).max:
            out[name] = column.astype(np.int32)
        elif column.dtype == object or str(column.dtype) in ("str", "string"):
            out[name] = column.astype("string[pyarrow]" if name in _FREE_TEXT else "category")
        else:
            out[name] = column
    return pd.DataFrame(out, index=frame.index)


@dataclass(frozen=True)
class IndexJob:
    """One slice of the first pass as a worker gets it (`keep`: see index_fields)."""

    ruleset: Ruleset
    as_of: dt.date
    options: ReadOptions
    keep: frozenset[str] | None
    params: dict
    table: RawTable
    cache: str | None = None    # where the slice is kept, read, for the second pass (`keep_slice`)
    compress: bool = True       # whether it is kept compressed


@dataclass
class IndexPart:
    """A slice's part of the index, its count rules' conditions (in `count_rules` order) and size."""

    part: pd.DataFrame
    where: list[Vec]
    size: int


def index_part(job: IndexJob, candidates: Candidates | None = None) -> IndexPart:
    """One slice's part of the index: its table read here, or `candidates` already read from it.
    When `job.cache` is given, the slice is read whole (as the second pass reads it) and kept
    there for the second pass, which then only decides it."""
    ruleset, as_of, params = job.ruleset, job.as_of, job.params
    if candidates is None:
        fields, required, mapping = ruleset.fields, ruleset.required_fields, job.options.mapping
        candidates = read_whole(ruleset, job.options, job.table) if job.keep is None or job.cache is not None \
            else normalise_tables([job.table], fields, required, mapping, job.keep, check_mapping=False)
    if job.cache is not None:
        keep_slice(candidates, job.cache, job.compress)
    frame = candidates.frame
    part = compact(frame[[c for c in index_columns(ruleset) if c in frame]])
    where = []
    counted = count_rules(ruleset)
    if counted:
        derived, _ = derive(candidates, as_of)
        evaluator = Evaluator(Columns(candidates, ruleset, derived), params, as_of)
        where = [evaluator.eval(rule.where) for rule in counted]
    return IndexPart(part, where, len(frame))


def run_shell(ruleset: Ruleset, options: ReadOptions, first: Candidates, index: pd.DataFrame,
              streams: list[RosterStream], inputs: list[dict]) -> Candidates:
    """A streamed run's candidate set without its rows: the first slice's, with the run's index
    and what every file asks (its columns, the agencies it has an opinion column for) as a whole
    read has it, so that coverage does not depend on which file comes first."""
    columns = {}
    for stream in streams:
        own = file_columns(stream.columns, ruleset.fields, options.mapping, str(stream.path))
        columns[stream.name] = columns[stream.name] | own if stream.name in columns else own
    shell = replace(first, frame=index, raw=pd.DataFrame(index=index.index), file_columns=columns,
                    present=first.present.union(*(c.fields for c in columns.values())),
                    issues=pd.DataFrame(columns=ISSUE_COLUMNS), inputs=inputs, joint=dict(first.joint),
                    extra=pd.DataFrame(index=index.index), provenance={}, silence=Silence())
    shell.joint["consulted_agencies"] = consulted_in_files(ruleset, shell)
    return shell


def read_whole(ruleset: Ruleset, options: ReadOptions, table: RawTable) -> Candidates:
    """One slice normalised with every field and its opinions read (the joint review); its chase
    list is left for `decided_chunks`, which knows how many people the run's list still takes."""
    fields, required = ruleset.fields, ruleset.required_fields
    return joint_review(normalise_tables([table], fields, required, options.mapping, check_mapping=False),
                        fields, required, joint_spec(ruleset), room=0)


def keep_slice(candidates: Candidates, path: str, compress: bool = True) -> None:
    """Keep a slice as the first pass read it (normalised, its opinions read) in `path` (a file of
    this run, mode 0600), so that the second pass neither parses the roster again nor reads the
    slice twice: with workers, parsing in this process is the part of a run that does not spread
    over processors, and the first pass leaves the workers time to spare (shape (b), 400k rows:
    46-48 s against 49-51 s keeping the slice as parsed). The column buffers are pickled out of
    band, and compressed one by one when `compress` (LZ4: a 25k-row slice of the fully answered
    roster, 24 MB, kept in ~35 ms and read back in ~23 ms, 7 MB on disk; as they are, ~15 ms and
    ~9 ms): about 300 MB beside the report for 1M rows compressed, 1 GB as they are; each slice
    removed once read."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(candidates, pickle.HIGHEST_PROTOCOL, buffer_callback=buffers.append)
    raw = [memoryview(head), *(b.raw() for b in buffers)]
    parts = [_CODEC.compress(part) for part in raw] if compress else raw
    with open(path, "r+b") as handle:            # never created here: a worker late after the run ended fails
        handle.write(struct.pack(f"<QQ{2 * len(parts)}Q", int(compress), len(parts), *(r.nbytes for r in raw),
                                 *(memoryview(p).nbytes for p in parts)))
        for part in parts:
            handle.write(part)


def _kept(path: str) -> Candidates:
    """A slice kept by `keep_slice` (written by this run's first pass, mode 0600)."""
    with open(path, "rb") as handle:
        compressed, count = struct.unpack("<QQ", handle.read(16))
        sizes = struct.unpack(f"<{2 * count}Q", handle.read(16 * count))
        parts = [_read_part(handle, size, stored, bool(compressed)) for size, stored in zip(sizes[:count], sizes[count:])]
    return pickle.loads(parts[0], buffers=parts[1:])


def _read_part(handle: BinaryIO, size: int, stored: int, compressed: bool) -> bytearray:
    """One kept buffer, writable (the arrays pickled out of band are used in place)."""
    if compressed:
        return bytearray(_CODEC.decompress(handle.read(stored), decompressed_size=size))
    part = bytearray(size)
    if handle.readinto(part) != size:
        raise EOFError(f"kept slice cut short: {handle.name}")
    return part


def slice_read(ruleset: Ruleset, options: ReadOptions, table: RawTable | str) -> Candidates:
    """A slice read whole: from its table, or the one kept in a file by `keep_slice` (removed once
    read)."""
    if isinstance(table, RawTable):
        return read_whole(ruleset, options, table)
    try:
        return _kept(table)
    finally:
        os.unlink(table)


@dataclass(frozen=True)
class SliceJob:
    """One slice of the second pass as a worker gets it: what it needs to decide the slice alone
    (`groups`: its cross-candidate findings, row ids local to the slice; `offset`: its first
    candidate's row id in the run), and where to write it (`spool`, as the writer of `fmt`
    writes; None: not written). `rows_back`: whether the chunks return with their rows."""

    ruleset: Ruleset
    as_of: dt.date
    options: ReadOptions
    covered: Coverage
    chunk_rows: int | None
    offset: int
    groups: GroupOutcome
    table: RawTable | str       # or the file the first pass kept it in, read (`keep_slice`)
    rows_back: bool = True
    fmt: str = "csv"
    show_id: bool = False
    spool: Spool | None = None
    aim: int | None = None      # findings a chunk aims at (vetting.chunked.findings_aim)
    room: Mapping[str, int] | None = None   # people per agency the run's chase list still takes


def decided_chunks(job: SliceJob) -> tuple[Iterator[tuple[VettingResult, int]], list[dict], list[tuple[str, str]],
                                           int]:
    """One slice read and decided: its chunks (row ids over the run, each with the candidates
    done once it is written), made one at a time as they are taken; the agencies it awaits, naming
    as many people as `job.room` allows; the columns no field or agency took (file, header); its size."""
    candidates = slice_read(job.ruleset, job.options, job.table)
    decided = plan(job.ruleset, candidates, job.as_of, vector_decide, job.covered, groups=job.groups)
    n, offset = len(candidates), job.offset

    def chunks() -> Iterator[tuple[VettingResult, int]]:
        for lo, hi in chunk_bounds(decided, job.chunk_rows, job.aim):
            if hi == lo:
                continue
            findings, not_checked = decided.findings(lo, hi)
            table = candidate_table(candidates, findings, lo, hi)
            table, findings, not_checked = (t.assign(row_id=t["row_id"].to_numpy(dtype=np.int64) + offset)
                                            for t in (table, findings, not_checked))
            yield VettingResult(candidates=table, findings=findings, unchecked=not_checked), offset + hi

    return chunks(), awaiting_list(candidates, job.room), list(candidates.unmapped), n


@dataclass
class SliceDone:
    """A slice decided by a worker: its chunks (without their rows unless `rows_back`) with the
    candidates done once each is written, their tally, the agencies it awaits, the columns no
    field or agency took, its size (to check against the first pass) and the spool it was written
    into."""

    chunks: list[tuple[VettingResult, int]]
    tally: ChunkTally
    awaiting: list[dict]
    unmapped: list[tuple[str, str]]
    size: int
    spool: Spool | None
    kept: bool = False          # the chunks with their rows are in the spool (`kept_chunks`)


def decide_slice(job: SliceJob) -> SliceDone:
    """A worker's part: one slice decided and written into its spool, a chunk at a time (what it
    frees kept for the next slice: vetting.memory)."""
    from vetting.reports.stream import chunk_writer

    reuse_freed_blocks()
    made, awaiting, unmapped, n = decided_chunks(job)
    tally, chunks = ChunkTally(), []
    keep = job.rows_back and job.spool is not None and job.spool.kept is not None  # one chunk at a time

    def counted(kept: BinaryIO | None = None) -> Iterator[VettingResult]:
        for chunk, done in made:
            tally.add(chunk)
            if kept is not None:
                pickle.dump(chunk, kept, pickle.HIGHEST_PROTOCOL)
            chunks.append((chunk if job.rows_back and not keep else _without_rows(chunk), done))
            yield chunk

    spool = None
    if job.spool is not None:
        with open(job.spool.kept, "wb") if keep else nullcontext() as kept:
            spool = chunk_writer(job.fmt, job.show_id).fill(job.spool, counted(kept))
    else:
        for _ in counted():
            pass
    return SliceDone(chunks, tally, awaiting, unmapped, n, spool, keep)


def kept_chunks(spool: Spool) -> Iterator[VettingResult]:
    """The chunks a worker kept in `spool` (see decide_slice), read one at a time; the file is
    removed once read (or by the writer's `abort`)."""
    try:
        with open(spool.kept, "rb") as kept:
            while True:
                try:
                    yield pickle.load(kept)       # written by this run's own worker (mode 0600)
                except EOFError:
                    return
    finally:
        if os.path.exists(spool.kept):
            os.unlink(spool.kept)


def _without_rows(chunk: VettingResult) -> VettingResult:
    """The chunk's tables emptied, sharing no memory with them (a zero-row slice of a frame keeps
    its arrays alive: every chunk of a slice would stay in memory until the slice ends)."""
    return VettingResult(**{name: pd.DataFrame(columns=list(getattr(chunk, name).columns))
                            for name in ("candidates", "findings", "unchecked")})
