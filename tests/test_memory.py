"""vetting.memory: the allocator settings a streamed run asks for are taken on this (glibc) machine
and are harmless no-ops elsewhere."""

from __future__ import annotations

import subprocess
import sys

import vetting.memory as memory


def test_glibc_takes_the_settings_in_a_process_of_its_own():
    code = ("import vetting.memory as m; import sys; "
            "sys.exit(0 if (m.map_large_blocks(), m.hand_back_free_pages()) == (True, True) else 1)")
    if memory._libc() is None:
        return
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_without_glibc_nothing_is_asked(monkeypatch):
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory._libc() is None
    assert memory.map_large_blocks() is False and memory.hand_back_free_pages() is False
