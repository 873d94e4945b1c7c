"""Start-up benchmark (#14 item 7): wall time of short commands, interpreter start included.

    python bench/startup.py                     # 10 runs of each command
    python bench/startup.py --runs 20
    python bench/startup.py --no-bytecode       # as with PYTHONDONTWRITEBYTECODE=1 and no __pycache__
    python bench/startup.py --checkout ../main  # another checkout of the tool (before/after)

Each command runs as a child process `python -m vetting …` (what the `vet` script runs), in and
with this checkout (or --checkout) first on the path, its stdout and stderr discarded. Before the timed runs, one
untimed run per command fills the caches a user's second command finds: the ruleset cache (in a
private XDG_CACHE_HOME, so the user's own cache is neither read nor changed) and, unless
--no-bytecode, the modules' bytecode (in a private PYTHONPYCACHEPREFIX: an installed tool has its
bytecode compiled by pip). Prints, per command, the median and the minimum wall time of the runs,
the median CPU time (user + system, the command's own child processes included: what the load
of a shared machine changes least) and the first (untimed) run, with the 1-minute load average
before and after, and the targets of #14: `vet --help` < 0.3 s, `vet check --set …` < 1 s
(median). Missing a target is reported, not turned into a failure. Timings depend on the
machine and its load: they belong here, never in unit tests (tests/test_startup.py checks
structure: which modules the light commands import).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (label, arguments after `python -m vetting`, target median in seconds or None)
COMMANDS = [
    ("vet --help", ["--help"], 0.3),
    ("vet rules list", ["rules", "list"], None),
    ("vet check --set …", ["check", "--as-of", "2026-12-15", "--set", "姓名=张三",
                           "--set", "公民身份号码=510525200812160685", "--set", "拟任职务=村委会委员",
                           "--set", "村(社区)=平丰村"], 1.0),
    ("vet check ROSTER --row 9", ["check", str(ROOT / "fixtures" / "demo_roster.xlsx"), "--row", "9",
                                  "--as-of", "2026-12-15"], None),
]


def child_env(root: Path, cache: Path, bytecode: bool) -> dict[str, str]:
    """The checkout first on the path; a private cache directory; bytecode kept or not."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["XDG_CACHE_HOME"] = str(cache / "user-cache")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(args: list[str], env: dict[str, str], root: Path) -> tuple[float, float]:
    """Wall seconds of one `python -m vetting ARGS`, and the CPU seconds it and its own child
    processes used (less sensitive to the machine's load); a failing command stops the benchmark."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "vetting", *args], env=env, cwd=root,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"`vet {' '.join(args)}` failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return took, _cpu() - cpu


def load() -> str:
    """The 1-minute load average, or '?' where the system has none."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="no bytecode cache: every run compiles the tool's modules")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    options = parser.parse_args(argv)
    root = options.checkout.resolve()
    print(f"{root}: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, runs {options.runs}, "
          f"bytecode {'none' if options.no_bytecode else 'cached'}, load average {load()} before")
    print(f"{'command':<26} {'median_s':>9} {'min_s':>7} {'cpu_s':>7} {'first_s':>8}  target")
    missed = []
    with tempfile.TemporaryDirectory(prefix="vet-startup-") as tmp:
        env = child_env(root, Path(tmp), not options.no_bytecode)
        for label, args, target in COMMANDS:
            first = timed(args, env, root)[0]
            walls, cpus = zip(*(timed(args, env, root) for _ in range(options.runs)))
            median = statistics.median(walls)
            verdict = "" if target is None else f"< {target} s: {'met' if median < target else 'MISSED'}"
            if target is not None and median >= target:
                missed.append(label)
            print(f"{label:<26} {median:9.3f} {min(walls):7.3f} {statistics.median(cpus):7.3f} {first:8.3f}  "
                  + verdict)
    print(f"load average {load()} after" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
