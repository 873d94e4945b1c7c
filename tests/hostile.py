"""Harness for hostile-input cases: run the CLI in a child process under an address-space cap and a
timeout, fingerprint the inputs, and look for ID digits that escaped masking.

A case that can exhaust memory or hang must not be run inside the pytest process: `run_isolated`
gives it a fresh interpreter with RLIMIT_AS set, so a regression fails the test instead of the
machine.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ID_NUMBER = re.compile(rb"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
#: The longest run of an ID's characters a masked form may show ("510525********123X" shows 6).
LEAK_WINDOW = 11
#: What may stand between the digit groups of an ID written by hand (space, hyphen, ideographic space).
SEPARATORS = re.compile("(?<=[0-9])(?: |-|\u3000)(?=[0-9Xx])".encode())


def run_isolated(args: list[str], env: dict[str, str], memory_mb: int = 2048, seconds: float = 120,
                 stdin: bytes | None = None, fault: str | None = None) -> subprocess.CompletedProcess:
    """`python -m vetting *args` in a child with at most `memory_mb` of address space and `seconds`
    of wall time; raises subprocess.TimeoutExpired when it hangs. With `fault`, the child is
    tests/fault_child.py, which makes that fault happen (a full disk …) before running the CLI."""
    limit = memory_mb * 1024 * 1024

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                "PYTHONIOENCODING": "utf-8", **env}
    program = [str(ROOT / "tests" / "fault_child.py"), fault] if fault else ["-m", "vetting"]
    return subprocess.run([sys.executable, *program, *args], env=full_env, input=stdin,
                          capture_output=True, timeout=seconds, preexec_fn=cap, check=False)


def fingerprint(paths: list[Path]) -> dict[str, str]:
    """Path -> sha256 (or the kind of thing it is), for proving a run left its inputs alone."""
    out = {}
    for path in paths:
        if path.is_symlink() or not path.exists():
            out[str(path)] = "absent" if not path.exists() else f"link:{os.readlink(path)}"
        elif path.is_dir():
            out.update(fingerprint(sorted(path.iterdir())))
        elif path.is_file():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[str(path)] = "special"
    return out


def ids_in(data: bytes) -> set[bytes]:
    """The 18-character ID numbers written in `data` (any encoding that keeps ASCII digits)."""
    return set(ID_NUMBER.findall(data))


def readable_bytes(path: Path) -> bytes:
    """A file's bytes, with a zip container (xlsx) replaced by its members' uncompressed bytes."""
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as book:
                return b"\n".join(book.read(name) for name in book.namelist())
        except zipfile.BadZipFile:
            return data
    return data


def id_leaks(files: list[Path], ids: set[bytes]) -> list[str]:
    """Every place in `files` where LEAK_WINDOW or more consecutive characters of one of `ids`
    appear: a masked ID never shows that many."""
    windows = {i[k:k + LEAK_WINDOW] for i in ids for k in range(len(i) - LEAK_WINDOW + 1)}
    found = []
    for path in files:
        data = readable_bytes(path)
        joined = SEPARATORS.sub(b"", data)          # "110105 19491231 002X" written with spaces
        for window in windows:
            if window in data or window in joined:
                found.append(f"{path.name}: …{window.decode()}…")
    return found
