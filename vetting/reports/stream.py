"""Reports written chunk by chunk (CSV and JSON), byte for byte what `write_report` writes for
the same run, with only one chunk's findings text in memory at a time.

The seam is `ChunkWriter`: `begin(path)`, `write_chunk(result)` for each slice of candidates
(their findings and unchecked rules only, meta empty), `finish(result)` with the whole run's
small parts (meta, village findings; no candidates) once every chunk is written. A worker
process (vetting.slicework) writes its slice's chunks into a `Spool` instead, files beside the
report that the writer made for it (`new_spool`, `fill`), and the writer takes them in order
(`merge`): only file names cross between the processes, never a slice's text. The candidate
rows go to a hidden temporary file beside the report while chunks arrive; `finish` puts the
report and its sidecars in place in one transaction (`vetting.atomic`), so an interrupted run
leaves no half-written report. An XLSX writer needs the same three steps (rows appended to a
constant-memory worksheet, the summary and findings sheets at `finish`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from vetting.atomic import Payload, check_target, temp_beside, write_all
from vetting.reports.common import CANDIDATE_HEADINGS, clean_counted, control_warning, redact
from vetting.reports.csv_report import findings_arrow, findings_path, format_csv, heading_line, sidecar_files, write_csv_rows
from vetting.reports.json_report import candidates_json, json_frame
from vetting.result import VettingResult
from vetting.textsafe import CSV_FORBIDDEN

#: Formats a chunked run can write.
STREAM_FORMATS = ("csv", "json")


@dataclass(frozen=True)
class Spool:
    """Chunks written by a worker for the writer to take (see the module docstring): `rows` and
    `findings` are files beside the report, each starting with its own heading (CSV); `kept` a
    third file where the worker keeps the chunks themselves for the run (the history records
    them; None when nothing records them); `chunks` written, texts `changed` (cleaned for the
    format), and the findings heading once there is one."""

    rows: str
    findings: str
    kept: str | None
    chunks: int = 0
    changed: int = 0
    findings_heading: bytes | None = None


class ChunkWriter:
    """A report of one format written from chunks (see the module docstring)."""

    fmt = ""
    #: (characters the format cannot hold, its name in the warning), or None (JSON holds any).
    forbidden: tuple[str, str] | None = None
    #: Whether a worker's rows stay in its spool until `finish` copies them into the report, rather
    #: than into the temporary rows as they arrive: a report whose head is written last (JSON) is
    #: copied whole at `finish`, and the rows would be copied twice.
    rows_kept_in_spools = False

    def __init__(self, show_id: bool = False) -> None:
        self.show_id = show_id
        self.changed = 0          # texts cleaned of characters the format cannot hold, so far
        self.path: Path | None = None
        self._body: str | None = None
        self._handle = None
        self._chunks = 0
        self._spools: list[str] = []     # spool files made and not yet merged
        self._pieces: list[tuple[str, int, bytes]] = []  # (file, bytes to skip, prefix) before the rows

    def begin(self, path: str | os.PathLike) -> None:
        """Start the report at `path`: the candidate rows go to a temporary file beside it."""
        self.path = Path(path)
        check_target(os.fspath(self.path))
        fd, self._body = temp_beside(self.path, "body")
        self._handle = os.fdopen(fd, "wb")

    def write_chunk(self, result: VettingResult) -> None:
        """Append the candidates of one chunk (masked unless show_id, cleaned for the format)."""
        shown, changed = self._shown(result)
        self.changed += changed
        data = self._rows(self._format(shown), first=self._chunks == 0)
        if data:
            self._handle.write(data)
        self._chunks += 1
        self._write_more(shown)

    def _write_more(self, shown: VettingResult) -> None:
        """What else a format writes of a chunk (masked and cleaned), beside its candidate rows."""

    def new_spool(self, keep: bool = True) -> Spool:
        """Empty files beside the report for a worker's chunks (removed by `merge`, the kept chunks
        by whoever reads them, all by `abort`); the file for the kept chunks only when `keep`."""
        names = []
        for part in ("rows", "findings", "kept")[:3 if keep else 2]:
            fd, name = temp_beside(self.path, part)
            os.close(fd)
            names.append(name)
            self._spools.append(name)
        return Spool(*names) if keep else Spool(*names, kept=None)

    def fill(self, spool: Spool, chunks: Iterable[VettingResult]) -> Spool:
        """In a worker: write `chunks` into `spool` as this writer would write them into a report
        of their own; returns the spool with what was written."""
        with open(spool.rows, "wb") as self._handle, open(spool.findings, "wb") as self._findings_handle:
            for chunk in chunks:
                self.write_chunk(chunk)
        return replace(spool, chunks=self._chunks, changed=self.changed,
                       findings_heading=getattr(self, "_findings_heading", None))

    def merge(self, spool: Spool) -> None:
        """Write a worker's chunks after those before them, and remove its files."""
        self.changed += spool.changed
        kept = spool.chunks and self.rows_kept_in_spools
        if spool.chunks:
            skip, prefix = self._joint(spool)
            if kept:
                self._set_rows_aside()
                self._pieces.append((spool.rows, skip, prefix))
            else:
                _copy_into(self._handle, spool.rows, skip, prefix)
        self._chunks += spool.chunks
        for name in (spool.rows, spool.findings):
            self._spools.remove(name)       # a kept spool's rows are a piece now
            if not (kept and name == spool.rows):
                os.unlink(name)

    def _set_rows_aside(self) -> None:
        """The rows written here so far become a piece of the report, before a spool's."""
        if not self._handle.tell():
            return
        self._handle.close()
        self._pieces.append((self._body, 0, b""))
        fd, self._body = temp_beside(self.path, "body")
        self._handle = os.fdopen(fd, "wb")

    def _joint(self, spool: Spool) -> tuple[int, bytes]:
        """How a spool's rows join the rows so far: bytes of its start to skip, bytes to put first."""
        raise NotImplementedError

    def finish(self, result: VettingResult) -> list[Path]:
        """Write the report and its sidecars in place from the whole run's meta and village
        findings (`result` holds no candidates); returns the paths written."""
        shown, changed = self._shown(result)
        count = self.changed + changed
        if count:
            shown.meta["warnings"] = [*(shown.meta.get("warnings") or []), control_warning(count, self.forbidden[1])]
        self._handle.close()
        try:
            files, stale = self._files(shown)
            write_all(files, stale)
        finally:
            self.abort()
        return [Path(p) for p, _ in files]

    def abort(self) -> None:
        """Remove the temporary rows (after `finish`, or when the run fails)."""
        if self._handle is not None and not self._handle.closed:
            self._handle.close()
        for name in [self._body, *(piece[0] for piece in self._pieces), *self._spools]:
            if name and os.path.exists(name):
                os.unlink(name)
        self._spools, self._pieces = [], []

    def _shown(self, result: VettingResult) -> tuple[VettingResult, int]:
        """As `vetting.reports.shown_result`: masked, then cleaned (with the count of texts changed)."""
        shown = redact(result, self.show_id)
        return clean_counted(shown, self.forbidden[0]) if self.forbidden else (shown, 0)

    def _format(self, shown: VettingResult) -> bytes:
        raise NotImplementedError

    def _rows(self, data: bytes, first: bool) -> bytes | memoryview:
        """A chunk's rows as they follow those before it (`first`: none before)."""
        raise NotImplementedError

    def _files(self, shown: VettingResult) -> tuple[list[tuple[Path, Payload]], list[Path]]:
        raise NotImplementedError

    def _body_into(self, head: bytes = b"", tail: bytes = b"") -> Callable[[str], None]:
        """A payload writing `head`, the rows written so far, then `tail` at the staging path."""
        body, pieces = self._body, [*self._pieces, (self._body, 0, b"")]

        def write(tmp: str) -> None:
            if not head and not tail and len(pieces) == 1:  # the rows are the file: renamed, not copied
                os.replace(body, tmp)
                return
            with open(tmp, "wb") as out:
                out.write(head)
                for name, skip, prefix in pieces:
                    _copy_into(out, name, skip, prefix)
                out.write(tail)
        return write


class CsvChunkWriter(ChunkWriter):
    """The candidate table as CSV, plus the meta and optional sidecars at `finish`."""

    fmt = "csv"
    forbidden = (CSV_FORBIDDEN, "CSV")
    _findings_heading: bytes | None = None

    def _format(self, shown: VettingResult) -> bytes:
        return format_csv(shown, show_id=True)

    def _rows(self, data: bytes, first: bool) -> bytes | memoryview:
        if first:
            return data
        heading = heading_line(CANDIDATE_HEADINGS)
        assert data.startswith(heading)
        return memoryview(data)[len(heading):]

    def _joint(self, spool: Spool) -> tuple[int, bytes]:
        return (len(heading_line(CANDIDATE_HEADINGS)) if self._chunks else 0), b""

    def merge(self, spool: Spool) -> None:
        """As `ChunkWriter.merge`, and the spool's findings to the findings sidecar."""
        heading = spool.findings_heading
        if heading is not None:
            skip = len(heading) if self._findings_heading is not None else 0
            self._findings_heading = self._findings_heading or heading
            _copy_into(self._findings_handle, spool.findings, skip)
        super().merge(spool)

    def begin(self, path: str | os.PathLike) -> None:
        """As `ChunkWriter.begin`; the findings sidecar's rows wait in a second temporary file."""
        super().begin(path)
        fd, self._findings = temp_beside(self.path, "findings")
        self._findings_handle = os.fdopen(fd, "wb")
        self._findings_heading: bytes | None = None

    def _write_more(self, shown: VettingResult) -> None:
        """The chunk's findings in full to the findings sidecar."""
        table = findings_arrow(shown, show_id=True)
        if table is not None:
            if self._findings_heading is None:
                self._findings_heading = heading_line(table.column_names)
                self._findings_handle.write(self._findings_heading)
            write_csv_rows(table, self._findings_handle)

    def abort(self) -> None:
        super().abort()
        handle, body = getattr(self, "_findings_handle", None), getattr(self, "_findings", None)
        if handle is not None and not handle.closed:
            handle.close()
        if body and os.path.exists(body):
            os.unlink(body)

    def _files(self, shown: VettingResult) -> tuple[list[tuple[Path, Payload]], list[Path]]:
        path = self.path
        head = b"" if self._chunks else heading_line(CANDIDATE_HEADINGS)
        sidecars, stale = sidecar_files(shown, path)
        self._findings_handle.close()
        if self._findings_heading is not None:   # the findings of every chunk, in input order
            where = findings_path(path)
            stale = [p for p in stale if p != where]
            body = self._findings
            sidecars.append((where, lambda tmp: os.replace(body, tmp)))
        return [(path, self._body_into(head)), *sidecars], stale


class JsonChunkWriter(ChunkWriter):
    """The JSON report: the meta block first, so the candidates wait in the temporary file."""

    fmt = "json"
    rows_kept_in_spools = True

    def __init__(self, show_id: bool = False) -> None:
        super().__init__(show_id)
        self._empty = True

    def _format(self, shown: VettingResult) -> bytes:
        return candidates_json(shown)

    def _rows(self, data: bytes, first: bool) -> bytes | memoryview:
        if not data:
            return b""
        sep = b"" if self._empty else b",\n"
        self._empty = False
        return sep + data

    def _joint(self, spool: Spool) -> tuple[int, bytes]:
        if not os.path.getsize(spool.rows):
            return 0, b""
        sep = b"" if self._empty else b",\n"
        self._empty = False
        return 0, sep

    def _files(self, shown: VettingResult) -> tuple[list[tuple[Path, Payload]], list[Path]]:
        head, tail = json_frame(shown)
        if self._empty:
            return [(self.path, (head + "[]" + tail).encode("utf-8"))], []
        return [(self.path, self._body_into((head + "[\n").encode("utf-8"), ("\n  ]" + tail).encode("utf-8")))], []


def _copy_into(handle: BinaryIO, name: str, skip: int = 0, prefix: bytes = b"") -> None:
    """`prefix`, then the file `name` from byte `skip` on, appended to `handle`. The kernel copies
    between the files (copy_file_range, beside the report: the same file system) where it can: a
    run before the agencies answer merges gigabytes of findings, and this process would otherwise
    read each byte in and write it out again."""
    handle.write(prefix)
    with open(name, "rb") as source:
        left = os.fstat(source.fileno()).st_size - skip
        copy = getattr(os, "copy_file_range", None)
        if copy is not None and left > 0:
            handle.flush()
            try:
                while left > 0:
                    done = copy(source.fileno(), handle.fileno(), left, skip)
                    if not done:
                        break
                    skip, left = skip + done, left - done
            except OSError:     # not between these files (another file system, an old kernel)
                pass
            handle.seek(0, os.SEEK_END)
        source.seek(skip)
        shutil.copyfileobj(source, handle, 1 << 20)


def chunk_writer(fmt: str, show_id: bool = False) -> ChunkWriter:
    """The chunk writer of `fmt` (one of STREAM_FORMATS)."""
    return {"csv": CsvChunkWriter, "json": JsonChunkWriter}[fmt](show_id)


def write_chunks(chunks: Iterable[VettingResult], final: Callable[[], VettingResult], path: str | os.PathLike,
                 fmt: str, show_id: bool = False) -> list[Path]:
    """Write a report from `chunks`; `final()` (called once every chunk is written) gives the
    run's meta and village findings. The same bytes as `write_report` of the whole result."""
    def write(writer: ChunkWriter) -> None:
        for chunk in chunks:
            writer.write_chunk(chunk)

    return write_by(write, final, path, fmt, show_id)


def write_by(write: Callable[[ChunkWriter], None], final: Callable[[], VettingResult], path: str | os.PathLike,
             fmt: str, show_id: bool = False) -> list[Path]:
    """As `write_chunks`, where `write(writer)` gives the writer every chunk in order itself
    (`write_chunk`, or `merge` of a worker's spool: vetting.streamed)."""
    writer = chunk_writer(fmt, show_id)
    writer.begin(path)
    try:
        write(writer)
        return writer.finish(replace(final()))
    finally:
        writer.abort()
