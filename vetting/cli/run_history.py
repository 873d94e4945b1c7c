"""`vet run` and the history: recording the finished run, and recording a chunked run slice by slice
while its report is written (`ChunkRecording`, the `on_chunk` of vetting.chunked), which also
shows the run's progress after each slice.

The report comes first: a history that cannot be opened or written never stops the report. The
failure is kept and said once the report is written, exactly as when recording a whole run fails
("报告已写入 …，但审查记录未能保存：…", exit 2)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from vetting.cli.terminal import note
from vetting.errors import VettingError, os_reason
from vetting.progress import WRITE, Progress
from vetting.result import VettingResult


class ChunkRecording:
    """The `on_chunk` of a chunked `vet run`: each slice written is staged in the history database
    `db` (None: --no-history) and the progress moves on to it. Opened before the run (the
    database created when missing, the key read), committed by `record_history`, closed when the
    command ends whatever happens (Click's context)."""

    def __init__(self, db: Path | None, progress: Progress) -> None:
        self.progress = progress
        self.failure: Exception | None = None
        self._store = self._recorder = None
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.call_on_close(self.close)
        if db is not None:
            self._guard(lambda: self._open(db))

    def _open(self, db: Path) -> None:
        from vetting.history import open_history

        self._store = open_history(db, create=True)
        self._recorder = self._store.recorder()

    @property
    def needs_rows(self) -> bool:
        """Whether the slices must reach it with their rows (to be recorded), or only as progress."""
        return self._recorder is not None

    def __call__(self, chunk: VettingResult, done: int, total: int) -> None:
        if self._recorder is not None:
            self._guard(lambda: self._recorder.add_chunk(chunk))
        self.progress(WRITE, done, total)

    def _guard(self, step) -> None:  # noqa: ANN001 - a step of the recording
        """Run one step of the recording; a failure is kept for `finish` and ends the recording
        (interrupts are not kept: they stop the run)."""
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - any failure: said once the report is written
            self.failure = exc
            self.close()

    def finish(self, result: VettingResult, started_at: dt.datetime, finished_at: dt.datetime, options: dict):
        """Commit the staged run (see `RunRecorder.finish`) and return it as a RecordedRun; the
        failure kept while recording is raised here instead."""
        from vetting.history import RecordedRun

        if self.failure is not None:
            raise self.failure
        try:
            run_id = self._recorder.finish(result, started_at, finished_at, options)
            return RecordedRun(run_id, self._store.path, self._store.key_note)
        finally:
            self.close()

    def close(self) -> None:
        """Drop what was staged and close the database (idempotent)."""
        if self._recorder is not None:
            self._recorder.abort()
        if self._store is not None:
            self._store.close()
        self._store = self._recorder = None


def record_history(db, result, started_at, output, options, recording: ChunkRecording | None = None) -> None:  # noqa: ANN001
    """Record the finished run in the history database (committing `recording`'s slices when the
    run was chunked). The report is already written and is never touched here: a failure says
    so, and exits 2 like any other error."""
    from vetting.history import record_run

    written = f"报告已写入 {output}" if output else "报告已输出到标准输出"
    try:
        finished_at = dt.datetime.now().astimezone()
        if recording is not None:
            recorded = recording.finish(result, started_at, finished_at, options)
        else:
            recorded = record_run(db, os.environ, result, started_at, finished_at, options)
    except KeyboardInterrupt as exc:
        exc.done = f"{written}，但审查记录未保存"
        raise
    except Exception as exc:  # noqa: BLE001 - the report exists; say so whatever went wrong
        if os.environ.get("VETTING_DEBUG") and not isinstance(exc, VettingError):
            raise
        reason = (exc.message if isinstance(exc, VettingError) else os_reason(exc) if isinstance(exc, OSError)
                  else f"{type(exc).__name__}: {exc}")
        raise VettingError(f"{written}，但审查记录未能保存：{reason}（可用 --db 另选位置，或用 --no-history 不记录）"
                           ) from None
    note(f"审查记录：#{recorded.run_id}（{recorded.path}）")
    if recorded.key_note:
        note(f"提示：{recorded.key_note}")
