"""The parent side of the durable_rules engine: child processes (one per CPU, at most MAX_WORKERS)
that each evaluate a contiguous share of the candidate batches, and the Chinese error that names
the ruleset and the candidate rows when durable_rules' C core kills its process."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import struct
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from vetting.engine.durable.compiler import DurableProgram
from vetting.engine.durable.protocol import STATUS, receive, send
from vetting.engine.durable.spawn import take_host
from vetting.errors import EngineError
from vetting.privacy import cut_text

#: Candidates sent to a worker per request.
BATCH_SIZE = 1000
#: Worker processes at most (never more than CPUs or batches).
MAX_WORKERS = 4


def _signal_text(code: int) -> str:
    if code >= 0:
        return f"退出码 {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = str(-code)
    what = {"SIGSEGV": "，段错误", "SIGABRT": "，异常中止", "SIGKILL": "，被强制结束", "SIGBUS": "，总线错误"}
    return f"信号 {name}{what.get(name, '')}"


class Worker:
    """One child process running the durable_rules host (`spawn.CHILD_ENTRY`) for one compiled
    program: a process started ahead by `spawn.prestart` when there is one, else a new one."""

    def __init__(self, program: DurableProgram, label: Callable[[int, int], str]) -> None:
        self.program, self.label = program, label
        host = take_host()
        self.proc, self._stderr, self._status_path = host.proc, host.stderr, host.status_path
        self.batch: tuple[int, int] | None = None
        self._call(("init", program.rulesets), during="创建规则集时")

    def run(self, start: int, facts: Sequence[Sequence[str]]) -> np.ndarray:
        """(candidate index, durable rule id) per firing, as rows."""
        self.batch = (start, start + len(facts))
        reply = self._call(("batch", start, facts), during="")
        pairs = np.frombuffer(reply[1], dtype=np.dtype("int32")).reshape(-1, 2).astype(np.int64)
        pairs[:, 0] += start
        return pairs

    def _call(self, message: Any, during: str) -> Any:
        try:
            send(self.proc.stdin, message)
            reply = receive(self.proc.stdout)
        except (BrokenPipeError, ConnectionResetError, OSError):
            reply = None
        if reply is None:
            raise self._died(during)
        if reply[0] == "error":
            self.close()
            raise EngineError(f"{reply[1]}；{self._where()}。本次审查未完成，未写出报告")
        return reply

    def _where(self) -> str:
        text = f"规则集「{self.program.source}」"
        if self.batch:
            text += f"，人选批次：{self.label(*self.batch)}"
        return text

    def _died(self, during: str) -> EngineError:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        try:
            k, i = STATUS.unpack(Path(self._status_path).read_bytes()[:STATUS.size])
        except (OSError, struct.error):
            k, i = -1, -1
        where = self._where()
        if 0 <= k < len(self.program.rulesets):
            where += f"（崩溃于 durable_rules 规则集「{self.program.rulesets[k][0]}」"
            if self.batch and i >= 0:
                where += f"，正在审查{self.label(self.batch[0] + i, self.batch[0] + i + 1)}"
            where += "）"
        self._stderr.seek(0)
        said = [line for line in self._stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
        self._cleanup()
        return EngineError(f"durable_rules 引擎进程意外终止（{_signal_text(code)}）{during}：{where}。"
                           "本次审查未完成，未写出报告；可改用 --engine vector 审查"
                           + (f"（进程最后输出：{cut_text(said[-1], 200)}）" if said else ""))

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._stderr.close()
        try:
            os.unlink(self._status_path)
        except OSError:
            pass

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def run_program(program: DurableProgram, facts: Sequence[Sequence[str]],
                label: Callable[[int, int], str] | None = None, batch_size: int | None = None,
                workers: int | None = None) -> np.ndarray:
    """Every firing as rows (candidate index, durable rule id).

    The evaluation runs in child processes: one per CPU (at most MAX_WORKERS), each taking a
    contiguous share of the batches, so a crash names the batch that was being evaluated."""
    label = label or (lambda a, b: f"第{a + 1}至{b}个人选")
    batch_size = batch_size or BATCH_SIZE
    if not len(facts) or not program.rulesets:
        return np.zeros((0, 2), dtype=np.int64)
    starts = list(range(0, len(facts), batch_size))
    workers = max(1, min(workers or MAX_WORKERS, os.cpu_count() or 1, len(starts)))
    shares = [starts[k * len(starts) // workers:(k + 1) * len(starts) // workers] for k in range(workers)]
    stop = threading.Event()

    def run_share(share: list[int]) -> list[np.ndarray]:
        pairs = []
        with Worker(program, label) as worker:
            for start in share:
                if stop.is_set():
                    break
                pairs.append(worker.run(start, facts[start:start + batch_size]))
        return pairs

    if workers == 1:
        pairs = run_share(shares[0])
    else:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(run_share, share) for share in shares]
            try:
                for future in concurrent.futures.as_completed(futures):
                    if future.exception() is not None:
                        stop.set()
            except BaseException:  # Ctrl-C: the other workers stop after their current batch
                stop.set()
                raise
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]
        pairs = [part for future in futures for part in future.result()]
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)


# ---------------------------------------------------------------- the engine
