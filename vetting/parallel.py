"""Work spread over worker processes, its results taken in order.

A large run's slices are independent once the rules across candidates are decided (vetting.streamed):
each is normalised, decided and rendered on its own, which is nearly all of a run's time and,
in CPython, holds the interpreter lock (threads gave 1.2x on two cores). Workers are started
with "spawn" (every platform has it; a fork of a process with Arrow's and the allocator's threads
may deadlock), so the function and its items must pickle. Results come back in the order of the
items, with at most `jobs + 1` items in flight, so that memory stays bounded by a few slices.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Most worker processes a run uses when none is asked for (each holds a slice: a few hundred MB).
MAX_AUTO_JOBS = 4


def auto_jobs() -> int:
    """Worker processes for a large run when the user gave none: the processors this process may
    use, at most MAX_AUTO_JOBS."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(MAX_AUTO_JOBS, usable))


def _start_worker() -> None:
    """A worker ignores Ctrl-C (the terminal sends it to every process of the run): the parent
    stops the run and says so, no worker prints its own traceback. And it ends as soon as the
    parent is gone: a run killed outright (SIGKILL, the out-of-memory killer) would otherwise leave
    its workers waiting for work forever, each holding a slice's memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with_parent, args=(parent.sentinel,), daemon=True).start()


def _end_with_parent(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


class Workers:
    """A pool of `jobs` worker processes (none when jobs <= 1: the work runs in this process),
    started when first used and shared by every `map` until `close` (a later `map` starts it again)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def start(self, fn: Callable[[], object]) -> None:
        """Start the workers now, each running `fn` (a function of the module the work needs, so
        that each imports it), rather than at the first item: a worker's start-up, about a second
        of imports, then overlaps what this process does before it has work to give."""
        if self.jobs <= 1 or self._pool is not None:
            return
        pool = self._started()
        for _ in range(self.jobs):
            pool.submit(fn)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker)
        return self._pool

    def submit(self, fn: Callable[..., R], *args: object) -> Future:
        """`fn(*args)` on a worker: its future (when jobs <= 1, done here before returning, what
        it raises raised here)."""
        if self.jobs > 1:
            return self._started().submit(fn, *args)
        done: Future = Future()
        done.set_result(fn(*args))
        return done

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """`map(fn, items)` over the workers, results in the items' order. Items are drawn from
        `items` only as workers free up (at most jobs + 1 in flight); an exception raised by `fn`
        is raised here, at its item's turn, and the work not yet started is dropped."""
        if self.jobs <= 1:
            yield from map(fn, items)
            return
        pool = self._started()
        waiting: deque[Future] = deque()
        finished = False
        try:
            for item in items:
                waiting.append(pool.submit(fn, item))
                if len(waiting) > self.jobs:
                    yield waiting.popleft().result()
            while waiting:
                yield waiting.popleft().result()
            finished = True
        finally:
            if not finished:    # an error, an interrupt, or the results no longer wanted
                self.stop_now()

    def stop_now(self) -> None:
        """Stop the workers at once: the work in flight is not wanted (and must not go on
        writing files the run is removing)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        terminate = getattr(pool, "terminate_workers", None)      # Python 3.14
        if terminate is not None:
            terminate()
        else:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers once their current item is done (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
