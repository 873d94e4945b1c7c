"""vetting: joint qualification review (人选资格联审) for village and community "两委" candidates."""

import os as _os

__version__ = "0.1.0"

# Arrow's default allocator (mimalloc) reserves 1 GiB of address space on its first use; under a
# `ulimit -v` that alone can refuse a run. The system allocator is as fast for what we ask of Arrow.
_os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
