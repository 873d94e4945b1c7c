"""Work spread over worker processes (vetting.parallel): results in order, errors whole."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from vetting.errors import InputError
from vetting.parallel import MAX_AUTO_JOBS, Workers, auto_jobs


def _square_or_refuse(n: int) -> int:
    if n == 5:
        raise InputError("第5项读不懂", "名册.csv", 6, "姓名")
    return n * n


def test_results_come_in_the_order_of_the_items_in_this_process_or_in_workers():
    assert list(Workers(1).map(_square_or_refuse, range(5))) == [0, 1, 4, 9, 16]
    with Workers(2) as workers:                     # one pool serves both passes of a run
        assert list(workers.map(_square_or_refuse, range(5))) == [0, 1, 4, 9, 16]
        assert list(workers.map(_square_or_refuse, [4, 3])) == [16, 9]


def _pid(_: int) -> int:
    return os.getpid()


def test_workers_started_ahead_are_the_ones_that_take_the_work():
    with Workers(2) as workers:
        workers.start(os.getpid)                    # e.g. while the run checks its files
        started = set(workers._pool._processes)
        assert len(started) == 2
        assert set(workers.map(_pid, range(6))) <= started
    one = Workers(1)
    one.start(os.getpid)
    assert one._pool is None and list(one.map(_pid, [0])) == [os.getpid()]     # in this process


def test_an_error_in_a_worker_reaches_the_caller_at_its_turn_with_its_details():
    got = []
    with pytest.raises(InputError) as raised, Workers(2) as workers:
        for value in workers.map(_square_or_refuse, range(8)):
            got.append(value)
    assert got == [0, 1, 4, 9, 16]                  # the items before it were all delivered
    error = raised.value
    assert error.message == "名册.csv，第6行，「姓名」列：第5项读不懂"
    assert (error.path, error.row, error.column) == ("名册.csv", 6, "姓名")


def test_one_call_submitted_runs_on_a_worker_or_here_at_once():
    with Workers(2) as workers:
        workers.start(os.getpid)
        assert workers.submit(_pid, 0).result() in set(workers._pool._processes)
        with pytest.raises(InputError):
            workers.submit(_square_or_refuse, 5).result()            # raised when its result is taken
    one = Workers(1)
    assert one.submit(_pid, 0).done() and one.submit(_pid, 0).result() == os.getpid()
    with pytest.raises(InputError):
        one.submit(_square_or_refuse, 5)                             # here, at once
    assert one._pool is None


def test_items_are_drawn_only_as_workers_free_up():
    drawn = []

    def items():
        for n in range(20):
            drawn.append(n)
            yield n

    with Workers(2) as workers:
        results = workers.map(_square_or_refuse, items())
        assert next(results) == 0
        assert len(drawn) <= 4                      # jobs + 1 in flight, not the whole input
        results.close()


def test_automatic_jobs_are_bounded():
    assert 1 <= auto_jobs() <= MAX_AUTO_JOBS


def _slow_after_the_first(n: int) -> int:
    if n:
        time.sleep(120)
    return n


def test_results_no_longer_wanted_stop_the_workers_at_once():
    with Workers(2) as workers:
        results = workers.map(_slow_after_the_first, range(4))
        assert next(results) == 0
        started = time.monotonic()
        results.close()                             # e.g. the run was interrupted while writing
        assert time.monotonic() - started < 60      # not waiting for the two-minute items in flight


_KILLED_PARENT = """
import sys, time
from vetting.parallel import Workers
workers = Workers(2)
results = workers.map(time.sleep, [0, 0.5, 0.5])
list(results)                                       # the pool is started and idle, waiting for work
print(*workers._pool._processes, flush=True)
time.sleep(300)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return "\\nState:\\tZ" in status.read()     # a zombie nobody has reaped yet: ended
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed_outright():
    """SIGKILL (or the out-of-memory killer) lets the run stop nothing: its workers must notice
    and end, not wait for work forever holding a slice's memory."""
    parent = subprocess.Popen([sys.executable, "-c", _KILLED_PARENT], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and not any(_gone(pid) for pid in workers)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_gone(pid) for pid in workers)
