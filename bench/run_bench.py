"""End-to-end benchmark of `vet run` against the pandas I/O floor.

    python bench/run_bench.py                      # 100k and 1M rows
    python bench/run_bench.py --sizes 100000       # just one size

For each size it
  1. generates bench/out/roster_<n>.csv if absent (bench/generate.py, fixed seed);
  2. measures the I/O floor in a child process: pd.read_csv(path, dtype=str) + df.to_csv(...);
  3. runs `python -m vetting run <csv> --ruleset national --as-of 2026-12-15 --format csv
     -o bench/out/report_<n>.csv [--no-history]` as a child process (wall time, peak RSS);
  4. prints rows, io_floor_s, end_to_end_s, ratio, peak_mem_MB and the targets.

Peak memory is the child's own ru_maxrss, read with os.wait4 on that child (so one run's peak
never leaks into the next). Timings are wall-clock and machine-dependent: they belong here,
never in unit tests. Child output goes to bench/out/logs/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
LOGS = OUT / "logs"

AS_OF = "2026-12-15"
RULESET = "national"
SEED = 20261215
DEFAULT_SIZES = [100_000, 1_000_000]
TARGET_RATIO = 3.0           # end-to-end / I/O floor, at 1M rows
TARGET_RATIO_ROWS = 1_000_000
TARGET_MEM_MB = 3 * 1024     # peak RSS of `vet run`


def child_env() -> dict[str, str]:
    """Let the child import `vetting` from this checkout even when it is not installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run_child(cmd: list[str], log_name: str, timeout: float | None = None) -> dict:
    """Run cmd; return wall time, exit code, peak RSS (MB) of that child, and its log paths."""
    LOGS.mkdir(parents=True, exist_ok=True)
    out_path, err_path = LOGS / f"{log_name}.out", LOGS / f"{log_name}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=out, stderr=err)
        deadline = None if timeout is None else start + timeout
        timed_out = False
        while True:
            # wait4 on this one child: its own peak RSS, not the max over all children so far.
            pid, status, usage = os.wait4(proc.pid, 0 if deadline is None else os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                timed_out = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    peak_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"wall_s": wall, "rc": proc.returncode, "peak_mb": peak_mb,
            "stdout": out_path, "stderr": err_path, "timed_out": timed_out}


def tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").rstrip()
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


# ----------------------------------------------------------------------------- steps

def ensure_roster(n: int, seed: int, regenerate: bool) -> Path:
    sys.path.insert(0, str(BENCH))
    import generate  # noqa: E402  (bench/generate.py)

    path = generate.roster_path(n)
    if path.exists() and not regenerate:
        print(f"[{n:,}] roster exists: {path.relative_to(ROOT)}")
        return path
    t0 = time.perf_counter()
    df = generate.generate_roster(n, seed)
    t1 = time.perf_counter()
    generate.write_roster(df, path)
    t2 = time.perf_counter()
    print(f"[{n:,}] generated in {t1 - t0:.2f}s, written in {t2 - t1:.2f}s -> {path.relative_to(ROOT)}")
    return path


def io_floor_child(src: str, dst: str) -> None:
    """Runs inside a child process: pandas alone reading the roster and writing it back."""
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_csv(src, dtype=str)
    t1 = time.perf_counter()
    df.to_csv(dst, index=False, encoding="utf-8-sig")
    t2 = time.perf_counter()
    print(json.dumps({"rows": len(df), "read_s": t1 - t0, "write_s": t2 - t1}))


def measure_io_floor(n: int, path: Path) -> dict:
    dst = OUT / f"io_roundtrip_{n}.csv"
    res = run_child([sys.executable, str(Path(__file__).resolve()), "--io-floor-child", str(path), str(dst)],
                    f"io_floor_{n}")
    dst.unlink(missing_ok=True)
    if res["rc"] != 0:
        raise SystemExit(f"pandas I/O floor failed for {path}:\n{tail(res['stderr'])}")
    stats = json.loads(res["stdout"].read_text(encoding="utf-8").strip().splitlines()[-1])
    stats["io_floor_s"] = stats["read_s"] + stats["write_s"]
    stats["peak_mb"] = res["peak_mb"]
    print(f"[{n:,}] I/O floor: read {stats['read_s']:.2f}s + write {stats['write_s']:.2f}s "
          f"= {stats['io_floor_s']:.2f}s (peak {res['peak_mb']:.0f} MB)")
    return stats


def detect_cli() -> tuple[bool, list[str], str]:
    """(usable, extra flags, message). Detects `--no-history` from `vet run --help`."""
    res = run_child([sys.executable, "-m", "vetting", "run", "--help"], "cli_help", timeout=120)
    if res["rc"] != 0:
        return False, [], (f"`python -m vetting run --help` exited with {res['rc']}; "
                           f"the CLI is not usable yet.\n{tail(res['stderr'])}")
    help_text = res["stdout"].read_text(encoding="utf-8", errors="replace")
    extra = ["--no-history"] if "--no-history" in help_text else []
    note = "" if extra else "(`--no-history` not offered by this CLI; running without it)"
    return True, extra, note


def run_cli(n: int, path: Path, extra: list[str], timeout: float | None) -> dict:
    report = OUT / f"report_{n}.csv"
    cmd = [sys.executable, "-m", "vetting", "run", str(path), "--ruleset", RULESET, "--as-of", AS_OF,
           "--format", "csv", "-o", str(report), *extra]
    print(f"[{n:,}] running: {' '.join(['python'] + cmd[1:])}")
    report.unlink(missing_ok=True)
    res = run_child(cmd, f"vet_run_{n}", timeout=timeout)
    # A non-zero exit code may still be a completed run (e.g. "disqualified candidates found");
    # it counts as a failure only when no report was written.
    ok = report.exists()
    if res["timed_out"]:
        print(f"[{n:,}] vet run TIMED OUT after {res['wall_s']:.0f}s; log: {res['stderr']}")
        ok = False
    elif not ok:
        print(f"[{n:,}] vet run FAILED (exit code {res['rc']}, no report written). Last lines of stderr:\n"
              f"{tail(res['stderr'])}\n  full log: {res['stderr']}")
    else:
        print(f"[{n:,}] vet run: {res['wall_s']:.2f}s, exit code {res['rc']}, peak {res['peak_mb']:.0f} MB "
              f"-> {report.relative_to(ROOT)}")
    return {**res, "ok": ok}


# ----------------------------------------------------------------------------- table

def fmt(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_table(results: list[dict]) -> None:
    head = f"{'rows':>10} {'io_floor_s':>11} {'end_to_end_s':>13} {'ratio':>7} {'peak_mem_MB':>12} {'io_peak_MB':>11}"
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['rows']:>10,} {fmt(r['io_floor_s'], '.2f'):>11} {fmt(r['end_to_end_s'], '.2f'):>13} "
              f"{fmt(r['ratio'], '.2f'):>7} {fmt(r['peak_mem_mb'], '.0f'):>12} {fmt(r['io_peak_mb'], '.0f'):>11}")
    print()
    print(f"targets: ratio <= {TARGET_RATIO:g} at {TARGET_RATIO_ROWS:,} rows; peak memory < {TARGET_MEM_MB:,} MB (3 GB)")
    for r in results:
        if r["end_to_end_s"] is None:
            print(f"  {r['rows']:>10,} rows: no end-to-end result (CLI unavailable or failed)")
            continue
        checks = [f"memory {'OK' if r['peak_mem_mb'] < TARGET_MEM_MB else 'OVER'}"]
        if r["rows"] == TARGET_RATIO_ROWS:
            checks.insert(0, f"ratio {'OK' if r['ratio'] <= TARGET_RATIO else 'OVER'}")
        print(f"  {r['rows']:>10,} rows: " + ", ".join(checks))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="row counts (default 100000 1000000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--regenerate", action="store_true", help="rewrite rosters even if present")
    parser.add_argument("--skip-cli", action="store_true", help="only the generator and the pandas I/O floor")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per `vet run` (default 1800)")
    parser.add_argument("--io-floor-child", nargs=2, metavar=("SRC", "DST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.io_floor_child:
        io_floor_child(*args.io_floor_child)
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    cli_ok, extra, note = (False, [], "skipped (--skip-cli)") if args.skip_cli else detect_cli()
    if not cli_ok:
        print(f"NOTE: end-to-end step disabled: {note}")
    elif note:
        print(note)

    results = []
    for n in args.sizes:
        path = ensure_roster(n, args.seed, args.regenerate)
        io = measure_io_floor(n, path)
        row = {"rows": n, "io_floor_s": io["io_floor_s"], "read_s": io["read_s"], "write_s": io["write_s"],
               "io_peak_mb": io["peak_mb"], "end_to_end_s": None, "ratio": None, "peak_mem_mb": None,
               "cli_exit_code": None}
        if cli_ok:
            res = run_cli(n, path, extra, args.timeout)
            row["cli_exit_code"] = res["rc"]
            if res["ok"]:
                row.update(end_to_end_s=res["wall_s"], ratio=res["wall_s"] / io["io_floor_s"],
                           peak_mem_mb=res["peak_mb"])
        results.append(row)

    print_table(results)
    (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    failed = cli_ok and any(r["end_to_end_s"] is None for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
