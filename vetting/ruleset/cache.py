"""Loaded rulesets kept between commands, so that `vet check` and `vet rules` do not parse and
validate the same YAML again each time (the YAML parse, the schema check and compiling the RE2
patterns are most of a single check's own work).

An entry is the compiled `Ruleset` of one pack path, stored with what it was made from: the
SHA-256 of every file of its `extends` chain (the ruleset's own `sources`) and a fingerprint of
the tool's code (`__version__` and the name, size and modification time of every module and data
file of the vetting package). Any change to a pack file, to a parent it extends or to the tool
makes the entry a miss; a miss loads the pack as usual (every check, every error with its file
and line) and stores the result. Only a pack that loaded without error is ever stored.

The entry is a pickle, so the cache directory is trusted like the user's own files: it is the
user's cache directory, created private (0700); an entry that is not a regular file owned by the
user, or that others may write, is ignored, as is one that cannot be read or unpickled. Storing is
best effort (atomic, `vetting.atomic`): a cache that cannot be written never fails a command.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from pathlib import Path
from typing import Callable

from vetting import __version__
from vetting.errors import VettingError
from vetting.ruleset.loader import _unchanged as file_unchanged  # the loader's own check of a chain file
from vetting.ruleset.model import Ruleset

#: Changes when the entry's layout changes (the code fingerprint covers the classes pickled).
FORMAT = 1
_PACKAGE = Path(__file__).resolve().parents[1]


def code_fingerprint(root: Path = _PACKAGE) -> str:
    """A digest of the tool's code: the version and each module or data file's name, size and
    modification time (a stat per file: no file is read)."""
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}".encode())
    stack = [root]
    while stack:
        for entry in sorted(os.scandir(stack.pop()), key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(Path(entry.path))
            elif entry.name.endswith((".py", ".yaml", ".json")):
                info = entry.stat()
                digest.update(f"\0{entry.path}\0{info.st_size}\0{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def entry_path(cache_dir: Path, pack: Path) -> Path:
    """Where the entry of the pack file `pack` lives in `cache_dir`: one entry per path as given
    (and, for a relative path, per working directory), since the ruleset's chain and rule sources
    are the paths as given."""
    key = str(pack) if pack.is_absolute() else f"{os.getcwd()}\0{pack}"
    return cache_dir / f"ruleset-{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"


def cached_ruleset(pack: Path, cache_dir: Path, load: Callable[[str], Ruleset]) -> Ruleset:
    """The ruleset of the pack file `pack`: from its entry in `cache_dir` when that entry was made
    from the same files by the same code, else `load(str(pack))`, stored for next time."""
    where, code = entry_path(cache_dir, pack), code_fingerprint()
    ruleset = _read(where, code)
    if ruleset is not None and _unchanged(ruleset):
        return ruleset
    ruleset = load(str(pack))
    _write(where, code, ruleset)
    return ruleset


def _read(where: Path, code: str) -> Ruleset | None:
    try:
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if (not stat.S_ISREG(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
                    or (hasattr(os, "getuid") and info.st_uid != os.getuid())):
                return None
            stored = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a damaged or foreign entry is a miss, never an error
        return None
    if not (isinstance(stored, tuple) and len(stored) == 3 and stored[:2] == (FORMAT, code)
            and isinstance(stored[2], Ruleset)):
        return None
    return stored[2]


def _unchanged(ruleset: Ruleset) -> bool:
    """Whether every file of the ruleset's chain still holds the bytes it was loaded from."""
    return len(ruleset.chain) == len(ruleset.sources) and all(
        file_unchanged(path, sha) for path, (_, sha) in zip(ruleset.chain, ruleset.sources))


def _write(where: Path, code: str, ruleset: Ruleset) -> None:
    from vetting.atomic import write_atomic

    try:
        where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(where, pickle.dumps((FORMAT, code, ruleset), protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, VettingError, pickle.PicklingError):
        pass  # best effort: the next command loads the pack again
