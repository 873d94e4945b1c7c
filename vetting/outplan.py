"""The output plan: every file a command will write or remove, checked against every file it
reads - and against each other - before any roster is read or anything is written, so that no
output can ever land on an input.

`vet run` writes its report (and, for CSV, the sidecars it may write or remove), the history
database, its key file and SQLite's journal; it reads rosters, agency reply files and the
ruleset with its `extends` parents. `vet rules export` writes one file and reads the ruleset.
Two paths are the same file when the file system says so (`os.path.samefile`: symbolic and hard
links, ``./x`` and ``x``), or, where one does not exist yet, when they resolve to the same real
path. Standard output redirected to a file counts as an output too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from vetting.atomic import check_target, remove_leftovers
from vetting.errors import InputError


@dataclass(frozen=True)
class Place:
    """One file in the plan: where, its Chinese role, and the option that chose it."""

    path: Path
    role: str
    option: str = ""


_NOTHING_DONE = "本次未写出任何文件，输入文件保持不变"
def run_outputs(output: str | None, fmt: str, db: str | os.PathLike | None) -> list[Place]:
    """What `vet run` may write or remove: the report and its sidecars (when `output` is given)
    and the history files (unless `db` is None, i.e. --no-history)."""
    from vetting.history import history_files
    from vetting.reports import report_files  # the writers import pandas; `vet rules export` needs none

    places = [Place(p, role, "-o") for p, role in (report_files(output, fmt) if output else [])]
    places += [Place(p, role, "--db") for p, role in (history_files(db) if db is not None else [])]
    return places


def run_inputs(rosters: Iterable[str], replies: Iterable[tuple[str, ...]], ruleset_chain: Sequence[str]) -> list[Place]:
    """What `vet run` reads: rosters, agency reply files, the ruleset and its `extends` parents
    (`ruleset_chain` as `Ruleset.chain` lists them: the root parent first, the pack itself last)."""
    places = [Place(Path(p), "花名册") for p in rosters]
    places += [Place(Path(p), f"联审回复文件（{agency}）") for agency, p, *_ in replies]
    places += [Place(Path(p), "规则集文件" if i == len(ruleset_chain) - 1 else "规则集继承的上级规则集文件（extends）")
               for i, p in enumerate(ruleset_chain)]
    return places


def check_run(rosters: Iterable[str], replies: Iterable[tuple[str, ...]], ruleset_chain: Sequence[str],
              output: str | None, fmt: str, db: str | os.PathLike | None,
              stdout: os.stat_result | None = None, decisions: str | None = None) -> None:
    """`vet run`'s plan checked (see `check_plan`): its outputs (`run_outputs`) against its
    inputs (`run_inputs`, and the decisions file of --decisions); `stdout` matters only when
    there is no `output`."""
    rosters = list(rosters)
    for i, roster in enumerate(rosters):
        for other in rosters[i + 1:]:
            if same_file(Path(roster), Path(other)):
                raise InputError(f"同一个花名册文件给出了两次：「{roster}」就是「{other}」；每个花名册只需给出一次。"
                                 + _NOTHING_DONE)
    inputs = run_inputs(rosters, replies, ruleset_chain)
    inputs += [Place(Path(decisions), "复核结论文件")] if decisions else []
    check_plan(run_outputs(output, fmt, db), inputs, stdout=None if output else stdout)


def sweep_run_leftovers(output: str | None, fmt: str, db: str | os.PathLike | None) -> list[str]:
    """`sweep_leftovers` beside every output of `vet run`."""
    return sweep_leftovers(place.path for place in run_outputs(output, fmt, db))


def sweep_leftovers(outputs: Iterable[str | os.PathLike]) -> list[str]:
    """Remove what killed commands left beside these outputs (a report and its sidecars, an
    export: vetting.atomic.remove_leftovers); the line saying so for stderr, or none."""
    removed = [name for path in outputs for name in remove_leftovers(path)]
    if not removed:
        return []
    shown = "、".join(removed[:3]) + ("等" if len(removed) > 3 else "")
    return [f"已删除此前被强行终止的审查留在输出文件旁的临时文件{len(removed)}个（可能含人选信息）：{shown}"]


def check_file_output(output: str | None, role: str, ruleset_chain: Sequence[str],
                      stdout: os.stat_result | None = None, inputs: Sequence[str] = ()) -> None:
    """The plan of a command that writes one file (`output`, or standard output when None) from a
    ruleset (`vet rules export`, `vet template`), checked against the ruleset's files and any
    other file it reads (`inputs`: the report of `vet template --decisions --from`)."""
    places = run_inputs((), (), ruleset_chain) + [Place(Path(p), "输入文件") for p in inputs]
    check_plan([Place(Path(output), role, "-o")] if output else [], places, stdout=None if output else stdout)


def check_history_export(output: str, fmt: str, db: str | os.PathLike) -> None:
    """`vet history show -o`'s plan checked: the export (a report of format `fmt` with its
    sidecars) against the history database and its key and journal files."""
    from vetting.history import history_files
    from vetting.reports import report_files

    outputs = [Place(path, role, "-o") for path, role in report_files(output, fmt)]
    check_plan(outputs, [Place(path, role, "--db") for path, role in history_files(db)])


def check_plan(outputs: Sequence[Place], inputs: Sequence[Place], stdout: os.stat_result | None = None) -> None:
    """Refuse (InputError, nothing read or written yet) when an output is the same file as an
    input, or two outputs are the same file. `stdout` is the status of standard output when it
    is a regular file and the command writes its result there."""
    for i, out in enumerate(outputs):
        if out.option == "-o":
            check_target(str(out.path))  # before anything is read: a long run must not end in this
        for other in outputs[i + 1:]:
            if same_file(out.path, other.path):
                options = "、".join(dict.fromkeys(o for o in (out.option, other.option) if o))
                raise InputError(f"两个输出是同一个文件：{out.role}「{out.path}」就是{other.role}「{other.path}」；"
                                 f"请用 {options} 另选位置。{_NOTHING_DONE}")
        for source in inputs:
            if same_file(out.path, source.path):
                raise InputError(f"输出会覆盖输入：{out.role}「{out.path}」就是{source.role}「{source.path}」，"
                                 f"写出或清理时会改写或删除它；请用 {out.option or '-o'} 另选输出位置。{_NOTHING_DONE}")
    if stdout is not None:
        for source in inputs:
            if _same_status(stdout, source.path):
                raise InputError(f"标准输出被重定向到了{source.role}「{source.path}」（该文件可能已被清空）；"
                                 f"请重定向到其他文件或用 -o 指定输出文件。{_NOTHING_DONE}")


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether `a` and `b` name one file: the file system's answer when both exist, else the
    comparison of their resolved real paths (a file about to be created)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        pass
    return _real(a) == _real(b)


def _real(path: str | os.PathLike) -> str:
    return os.path.normcase(os.path.realpath(os.path.expanduser(os.fspath(path))))


def _same_status(status: os.stat_result, path: Path) -> bool:
    try:
        other = os.stat(path)
    except (OSError, ValueError):
        return False
    return (status.st_dev, status.st_ino) == (other.st_dev, other.st_ino)
