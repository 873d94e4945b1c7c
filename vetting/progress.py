"""How a run reports its progress without printing: the stages call a `Progress` callback with the
phase, the rows done and the rows in all (None while unknown); the command line decides whether
and how to show it (vetting.cli.progress). The default, `silent`, does nothing.

A callback receives counts and the fixed phase names below, never a candidate's data."""

from __future__ import annotations

from typing import Callable, Optional

#: progress(phase, rows done, rows in all or None).
Progress = Callable[[str, int, Optional[int]], None]

READ = "读取"
NORMALISE = "标准化"
JOINT = "联审"
REVIEW = "审查"
WRITE = "写出报告"
#: The phases of `vet run`, in order.
PHASES = (READ, NORMALISE, JOINT, REVIEW, WRITE)


def silent(phase: str, done: int, total: int | None) -> None:
    """The progress callback that shows nothing (library calls, tests, stderr not a terminal)."""
