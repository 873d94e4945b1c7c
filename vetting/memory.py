"""Resident memory of a run that reads a roster in slices, on glibc's allocator.

glibc keeps what a process frees for its own later use: after a first pass has built and freed
thousands of slice-sized arrays, the resident size stays at the highest it ever was, and the
blocks a later step frees are rarely the size the next one asks for. A streamed run therefore
asks the allocator to map blocks of SLICE_BLOCK bytes and more on their own (returned to the
system as soon as they are freed; by default glibc raises that threshold as large blocks are
freed), and to hand back free pages once the index is built. Elsewhere (no glibc) both are no-ops.

The threshold is a trade: a block mapped on its own is fresh pages, each faulted in by the kernel
when first written. At 128 KB every array of a slice was, about thirty page faults a candidate
and a third of a run's processor time in the kernel (1M rows of shape (a): 36.5 s, 10.7 s of it
system time; at 8 MB: 28.0 s, 4 s; peak 636 MB against 671 MB). At 8 MB a slice's own arrays come
from the heap, reused slice after slice; the index's columns and a chunk's findings text are
still mapped on their own.

A worker process that decides slice after slice (vetting.slicework.decide_slice) does the
opposite: every block comes from the heap and what it frees stays there for the next slice
(`reuse_freed_blocks`). Mapped afresh, a slice's large blocks (its findings text, 40 MB and more
before the agencies answer) were faulted in page by page for every slice: ~170 MB a slice, 1.4
million page faults in a 1M-row run of shape (b) (0.46 million reused; system time 7 -> 5 s).
Kept, the worker's resident size stays at its largest slice's, which its peak already was.
"""

from __future__ import annotations

import ctypes
import sys

#: Blocks at least this large are mapped on their own (see the module).
SLICE_BLOCK = 8 << 20
#: mallopt's parameter numbers (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
#: Free memory at the heap's top above this is returned to the system while blocks are reused.
_KEEP_FREED = 1 << 30


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def map_large_blocks() -> bool:
    """Have blocks of SLICE_BLOCK bytes and more mapped on their own and returned when freed;
    whether the allocator took it."""
    libc = _libc()
    return bool(libc and libc.mallopt(_M_MMAP_THRESHOLD, SLICE_BLOCK) and libc.mallopt(_M_TRIM_THRESHOLD, 16 << 20))


def reuse_freed_blocks() -> bool:
    """Have every block come from the heap and freed ones kept for the process's next use (see the
    module); whether the allocator took it."""
    libc = _libc()
    return bool(libc and libc.mallopt(_M_MMAP_MAX, 0) and libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_FREED))


def hand_back_free_pages() -> bool:
    """Return the free pages the allocators hold to the system (glibc's, and Arrow's own pool,
    which keeps what the CSV parser and the text columns freed); whether glibc could be asked."""
    arrow = sys.modules.get("pyarrow")
    release = getattr(arrow.default_memory_pool(), "release_unused", None) if arrow is not None else None
    if release is not None:
        release()
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
