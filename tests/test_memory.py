"""vetting.memory: the allocator settings a streamed run asks for are taken on this (glibc) machine
and are harmless no-ops elsewhere."""

from __future__ import annotations

import subprocess
import sys

import vetting.memory as memory


def test_glibc_takes_the_settings_in_a_process_of_its_own():
    code = ("import vetting.memory as m; import sys; "
            "sys.exit(0 if (m.map_large_blocks(), m.hand_back_free_pages(), m.reuse_freed_blocks()) == (True,) * 3 "
            "else 1)")
    if memory._libc() is None:
        return
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_without_glibc_nothing_is_asked(monkeypatch):
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory._libc() is None
    assert memory.map_large_blocks() is False and memory.hand_back_free_pages() is False
    assert memory.reuse_freed_blocks() is False


_FAULTS = """
import resource, sys
import vetting.memory as m
assert (m.reuse_freed_blocks() if sys.argv[1] == "reuse" else m.map_large_blocks())
len(b"x" * (64 << 20))                      # a slice's 64 MB block (a text, every byte written), the first time
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):                          # the next slices' blocks of the same size
    len(b"x" * (64 << 20))
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_a_worker_reuses_what_it_freed_instead_of_faulting_in_fresh_pages_for_each_slice():
    """A 64 MB block mapped on its own is 16,384 fresh pages every time (each one a page fault);
    with reuse_freed_blocks the next blocks come from what the last one freed."""
    if memory._libc() is None:
        return

    def faults(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True)
        return int(done.stdout)

    mapped, reused = faults("map"), faults("reuse")
    assert mapped > 5 * 16_000 and reused < mapped / 20, (mapped, reused)
