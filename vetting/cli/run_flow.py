"""`vet run` from reading to the written report: read whole and evaluate, write chunk by chunk
(vetting.chunked), or read slice by slice (vetting.streamed), whichever the run allows."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from vetting.cli.boundary import writing
from vetting.cli.run_history import ChunkRecording
from vetting.cli.terminal import notes
from vetting.pipeline import ReadOptions
from vetting.result import VettingResult
from vetting.ruleset.model import Ruleset


@dataclass
class RunRequest:
    """What `vet run` was asked to do, its options parsed."""

    rosters: Sequence[str]
    rules: Ruleset
    as_of: dt.date
    read: ReadOptions
    fmt: str
    output: str | None
    show_id: bool
    engine: str
    coverage: str | None
    chunk_rows: int | None
    quiet: bool
    db_path: str | None          # None: --no-history
    officers: str | None
    decisions: tuple | None
    clock: Callable[[], dt.datetime] = dt.datetime.now   # the CLI's clock (a report's 生成时间)
    jobs: int | None = None      # worker processes of a run read slice by slice (None: by its size)


def evaluate_and_write(request: RunRequest) -> tuple[VettingResult, ChunkRecording | None]:
    """Read the rosters, evaluate, write the report; returns the run (for the summary and the
    history) and, for a run written chunk by chunk, its slices staged in the history."""
    from vetting.cli.progress import REVIEW, ProgressLine
    from vetting.runsummary import input_lines
    from vetting.streamed import can_stream

    r = request
    with ProgressLine.for_stderr(r.quiet) as progress:
        if not r.decisions and can_stream(r.rosters, r.read, r.fmt, r.output, r.engine, r.rules, r.chunk_rows,
                                          officers=bool(r.officers), jobs=r.jobs):
            from vetting.streamed import vet_streamed

            recording = ChunkRecording(r.db_path, progress)   # each slice recorded and counted once written

            def read_done(inputs: list[dict], candidates: int) -> None:
                progress.close()
                notes(input_lines(inputs))
                progress(REVIEW, 0, candidates)

            with writing(f"报告 {r.output}"):
                return vet_streamed(r.rules, r.rosters, r.as_of, r.output, r.fmt, r.read, r.show_id, r.chunk_rows,
                                    _now(r), r.coverage, recording, read_done, progress, r.jobs), recording
        return _whole(r, progress)


def _now(r: RunRequest) -> str:
    return r.clock().astimezone().isoformat(timespec="seconds")


def _whole(r: RunRequest, progress) -> tuple[VettingResult, ChunkRecording | None]:  # noqa: ANN001 - a ProgressLine
    """The rosters read whole; the report written chunk by chunk when the run is large."""
    from vetting.chunked import should_chunk, vet_chunked
    from vetting.cli.progress import REVIEW, WRITE
    from vetting.decisions import apply_decisions
    from vetting.pipeline import load_candidates, run_engine
    from vetting.pools import follow_pool, read_officers, read_pool
    from vetting.reports import report_bytes, write_report
    from vetting.runsummary import input_lines

    candidates = load_candidates(r.rosters, r.rules, r.read, progress)
    progress.close()                    # the reading line is said when reading ends
    notes(input_lines(candidates.inputs))
    current = read_officers(r.officers, r.read.encoding) if r.officers else None
    generated_at = _now(r)
    pool = read_pool(r.db_path, r.rules.id, r.as_of)
    if not r.decisions and should_chunk(len(candidates), r.chunk_rows, r.fmt, r.output, r.engine, r.rules):
        progress(REVIEW, 0, len(candidates))
        recording = ChunkRecording(r.db_path, progress)     # each slice recorded and counted once written
        with writing(f"报告 {r.output}"):
            result = vet_chunked(r.rules, candidates, r.as_of, r.output, r.fmt, r.show_id, r.chunk_rows, generated_at,
                                 r.coverage, recording)
        return follow_pool(result, r.rules, candidates, r.as_of, pool, current), recording
    result = run_engine(r.rules, candidates, r.as_of, r.engine, generated_at, r.coverage, progress)
    result = follow_pool(result, r.rules, candidates, r.as_of, pool, current)
    if r.decisions:
        result = apply_decisions(result, r.decisions[0], r.rules, r.decisions[1])
    rows = len(result.candidates)
    with writing(f"报告 {r.output}" if r.output else "报告到标准输出"):
        if r.output:
            progress(WRITE, 0, rows)
            write_report(result, r.output, r.fmt, show_id=r.show_id)
            progress(WRITE, rows, rows)
        else:
            progress.close()            # the report itself may go to the same terminal
            sys.stdout.buffer.write(report_bytes(result, r.fmt, r.show_id))
            sys.stdout.buffer.flush()
    return result, None
