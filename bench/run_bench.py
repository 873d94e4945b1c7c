"""End-to-end benchmark of `vet run` against the pandas and pyarrow I/O floors.

    python bench/run_bench.py                                   # 100k and 1M rows, shapes a b c
    python bench/run_bench.py --sizes 100000 --shapes ab        # one size, two shapes
    python bench/run_bench.py --sizes 100000 --formats csv json # only those report formats

Roster shapes (bench/generate.py): (a) fully answered, (b) before replies (no fact cells,
opinion columns mostly blank or 未反馈), (c) shape (b) as an office-format XLSX with a title row
and a two-level header (only at sizes <= --xlsx-max-rows). For each size and shape it
  1. generates the roster under bench/out/ if absent (fixed seed);
  2. measures, in child processes, the pandas floor (pd.read_csv(path, dtype=str) + df.to_csv)
     and the pyarrow floor (pyarrow.csv read as strings + write of the same table); for the XLSX
     shape the pandas floor reads with calamine and there is no pyarrow floor;
  3. runs `python -m vetting run <roster> --ruleset national --as-of 2026-12-15 --format F
     -o bench/out/report_<shape>_<n>.<F> [--no-history]` for each format F (csv, json; xlsx only at
     sizes <= --xlsx-max-rows), as a child process: wall time, peak RSS, output bytes (report plus
     its sidecars);
  4. prints one row per run with the ratios to both floors, and the targets.

Peak memory is the child's own ru_maxrss, read with os.wait4 on that child (so one run's peak
never leaks into the next), or, when larger, the peak of the resident sizes of the child and its
worker processes added up (`vet run --jobs`: sampled from /proc every 50 ms on Linux). Timings
are wall-clock and machine-dependent: they belong here, never in unit tests. Child output goes
to bench/out/logs/.
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
DEFAULT_SHAPES = "abc"
DEFAULT_FORMATS = ["csv", "xlsx", "json"]
XLSX_MAX_ROWS = 100_000      # XLSX rosters and XLSX reports only up to this size (slow)
TARGET_RATIO = 1.0           # end-to-end / pandas floor, at 1M rows (CSV)
TARGET_PA_RATIO = 2.0        # end-to-end / pyarrow floor, at 1M rows (CSV): the aim
TARGET_RATIO_ROWS = 1_000_000
TARGET_MEM_MB = 1536         # peak RSS of `vet run` at 1M rows
TARGET_MEM_10M_MB = 2048     # peak RSS of `vet run` at 10M rows


def child_env() -> dict[str, str]:
    """Let the child import `vetting` from this checkout even when it is not installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _children() -> dict[int, list[int]]:
    """Each process's children, from /proc (empty where there is no /proc)."""
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out.setdefault(int(fields[1]), []).append(int(entry.parent.name))
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident size of `pid` and all its descendants added up (MB; 0 without /proc)."""
    children, todo, total = _children(), [pid], 0
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total / (1024 * 1024)


def run_child(cmd: list[str], log_name: str, timeout: float | None = None) -> dict:
    """Run cmd; return wall time, exit code, peak RSS (MB) of that child (or of it and its worker
    processes together, when larger), and its log paths."""
    LOGS.mkdir(parents=True, exist_ok=True)
    out_path, err_path = LOGS / f"{log_name}.out", LOGS / f"{log_name}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=out, stderr=err)
        deadline = None if timeout is None else start + timeout
        timed_out, tree_mb, sampled = False, 0.0, 0.0
        while True:
            # wait4 on this one child: its own peak RSS, not the max over all children so far.
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                timed_out = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            if time.perf_counter() - sampled >= 0.05:
                tree_mb, sampled = max(tree_mb, tree_rss_mb(proc.pid)), time.perf_counter()
            time.sleep(0.01)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    own_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"wall_s": wall, "rc": proc.returncode, "peak_mb": max(own_mb, tree_mb), "own_peak_mb": own_mb,
            "tree_peak_mb": tree_mb,
            "stdout": out_path, "stderr": err_path, "timed_out": timed_out}


def tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").rstrip()
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


# ----------------------------------------------------------------------------- steps

def ensure_roster(n: int, seed: int, regenerate: bool, shape: str = "a") -> Path:
    sys.path.insert(0, str(BENCH))
    import generate  # noqa: E402  (bench/generate.py)

    path = generate.roster_path(n, shape)
    if path.exists() and not regenerate:
        print(f"[{n:,}{shape}] roster exists: {path.relative_to(ROOT)}")
        return path
    t0 = time.perf_counter()
    generate.write_shape(n, seed, shape)
    print(f"[{n:,}{shape}] generated and written in {time.perf_counter() - t0:.2f}s -> {path.relative_to(ROOT)}")
    return path


def io_floor_child(kind: str, src: str, dst: str) -> None:
    """Runs inside a child process: pandas (or pyarrow) alone reading the roster as text and
    writing it back."""
    t0 = time.perf_counter()
    if kind == "pyarrow":
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        with open(src, "rb") as handle:
            names = handle.readline().decode("utf-8-sig").rstrip("\r\n").split(",")
        table = pa_csv.read_csv(src, convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in names}))
        rows = table.num_rows
        t1 = time.perf_counter()
        pa_csv.write_csv(table, dst)
    else:
        import pandas as pd

        if src.endswith(".xlsx"):
            df = pd.read_excel(src, dtype=str, header=2, engine="calamine")
        else:
            df = pd.read_csv(src, dtype=str)
        rows = len(df)
        t1 = time.perf_counter()
        df.to_csv(dst, index=False, encoding="utf-8-sig")
    t2 = time.perf_counter()
    print(json.dumps({"rows": rows, "read_s": t1 - t0, "write_s": t2 - t1}))


def measure_io_floor(n: int, path: Path, kind: str = "pandas") -> dict | None:
    """The `kind` (pandas|pyarrow) read+write floor of the roster at `path`, in a child
    process; None when it does not apply (pyarrow has no XLSX reader)."""
    if kind == "pyarrow" and path.suffix == ".xlsx":
        return None
    dst = OUT / f"io_roundtrip_{n}.csv"
    res = run_child([sys.executable, str(Path(__file__).resolve()), "--io-floor-child", kind, str(path), str(dst)],
                    f"io_floor_{kind}_{path.stem}")
    dst.unlink(missing_ok=True)
    if res["rc"] != 0:
        raise SystemExit(f"{kind} I/O floor failed for {path}:\n{tail(res['stderr'])}")
    stats = json.loads(res["stdout"].read_text(encoding="utf-8").strip().splitlines()[-1])
    stats["io_floor_s"] = stats["read_s"] + stats["write_s"]
    stats["peak_mb"] = res["peak_mb"]
    print(f"[{path.name}] {kind} floor: read {stats['read_s']:.2f}s + write {stats['write_s']:.2f}s "
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


def output_bytes(report: Path) -> int:
    """Bytes of the report and every sidecar written beside it (report.meta.csv, …)."""
    stem = report.name[: -len(report.suffix)]
    return sum(p.stat().st_size for p in report.parent.glob(stem + ".*") if p.is_file())


def run_cli(n: int, path: Path, extra: list[str], timeout: float | None, fmt: str = "csv",
            shape: str = "a") -> dict:
    report = OUT / f"report_{shape}_{n}.{fmt}"
    cmd = [sys.executable, "-m", "vetting", "run", str(path), "--ruleset", RULESET, "--as-of", AS_OF,
           "--format", fmt, "-o", str(report), *extra]
    label = f"[{n:,}{shape} {fmt}]"
    print(f"{label} running: {' '.join(['python'] + cmd[1:])}")
    stem = report.name[: -len(report.suffix)]
    for old in report.parent.glob(stem + ".*"):
        old.unlink()
    res = run_child(cmd, f"vet_run_{shape}_{n}_{fmt}", timeout=timeout)
    # A non-zero exit code may still be a completed run (e.g. "disqualified candidates found");
    # it counts as a failure only when no report was written.
    ok = report.exists()
    if res["timed_out"]:
        print(f"{label} vet run TIMED OUT after {res['wall_s']:.0f}s; log: {res['stderr']}")
        ok = False
    elif not ok:
        print(f"{label} vet run FAILED (exit code {res['rc']}, no report written). Last lines of stderr:\n"
              f"{tail(res['stderr'])}\n  full log: {res['stderr']}")
    else:
        print(f"{label} vet run: {res['wall_s']:.2f}s, exit code {res['rc']}, peak {res['peak_mb']:.0f} MB "
              f"(own {res['own_peak_mb']:.0f} MB, with workers {res['tree_peak_mb']:.0f} MB) "
              f"-> {report.relative_to(ROOT)} ({output_bytes(report) / 1e6:.1f} MB with sidecars)")
    return {**res, "ok": ok, "out_bytes": output_bytes(report) if ok else None}


# ----------------------------------------------------------------------------- table

def fmt(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_table(results: list[dict]) -> None:
    head = (f"{'rows':>10} {'shape':>5} {'fmt':>4} {'vet_run_s':>9} {'pandas_s':>8} {'x_pd':>6} {'pyarrow_s':>9} "
            f"{'x_pa':>6} {'peak_MB':>8} {'out_MB':>8} {'roster_MB':>9}")
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['rows']:>10,} {r['shape']:>5} {r['format']:>4} {fmt(r['end_to_end_s'], '.2f'):>9} "
              f"{fmt(r['pandas_s'], '.2f'):>8} {fmt(r['ratio'], '.2f'):>6} {fmt(r['pyarrow_s'], '.2f'):>9} "
              f"{fmt(r['pa_ratio'], '.2f'):>6} {fmt(r['peak_mem_mb'], '.0f'):>8} "
              f"{fmt(None if r['out_bytes'] is None else r['out_bytes'] / 1e6, '.1f'):>8} "
              f"{r['roster_bytes'] / 1e6:>9.1f}")
    print()
    print(f"targets at {TARGET_RATIO_ROWS:,} rows (CSV): <= {TARGET_RATIO:g}x the pandas floor, aim <= "
          f"{TARGET_PA_RATIO:g}x the pyarrow floor, peak <= {TARGET_MEM_MB:,} MB; 10M rows: peak <= "
          f"{TARGET_MEM_10M_MB:,} MB")
    for r in results:
        where = f"{r['rows']:>10,} {r['shape']} {r['format']}"
        if r["end_to_end_s"] is None:
            print(f"  {where}: no end-to-end result (CLI unavailable or failed)")
            continue
        if r["rows"] == TARGET_RATIO_ROWS and r["format"] == "csv":
            checks = [f"pandas ratio {'OK' if r['ratio'] <= TARGET_RATIO else 'OVER'}",
                      f"pyarrow ratio {'OK' if r['pa_ratio'] is not None and r['pa_ratio'] <= TARGET_PA_RATIO else 'OVER'}",
                      f"memory {'OK' if r['peak_mem_mb'] <= TARGET_MEM_MB else 'OVER'}"]
            print(f"  {where}: " + ", ".join(checks))
        elif r["rows"] >= 10 * TARGET_RATIO_ROWS:
            print(f"  {where}: memory {'OK' if r['peak_mem_mb'] <= TARGET_MEM_10M_MB else 'OVER'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="row counts (default 100000 1000000)")
    parser.add_argument("--shapes", default=DEFAULT_SHAPES, help="roster shapes among a, b, c (default abc)")
    parser.add_argument("--formats", nargs="+", default=DEFAULT_FORMATS, choices=DEFAULT_FORMATS,
                        help="report formats (default csv xlsx json)")
    parser.add_argument("--xlsx-max-rows", type=int, default=XLSX_MAX_ROWS,
                        help="largest size for the XLSX roster shape and XLSX reports (default 100000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--regenerate", action="store_true", help="rewrite rosters even if present")
    parser.add_argument("--skip-cli", action="store_true", help="only the generator and the I/O floors")
    parser.add_argument("--extra", nargs="*", default=[], help="further `vet run` options (e.g. --chunk-rows 7)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per `vet run` (default 3600)")
    parser.add_argument("--io-floor-child", nargs=3, metavar=("KIND", "SRC", "DST"), help=argparse.SUPPRESS)
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
    extra = extra + [e for a in args.extra for e in a.split()]

    results = []
    for n in args.sizes:
        for shape in args.shapes:
            if shape == "c" and n > args.xlsx_max_rows:
                continue
            path = ensure_roster(n, args.seed, args.regenerate, shape)
            pandas_io = measure_io_floor(n, path, "pandas")
            arrow_io = measure_io_floor(n, path, "pyarrow")
            for out_format in args.formats:
                if out_format == "xlsx" and n > args.xlsx_max_rows:
                    continue
                row = {"rows": n, "shape": shape, "format": out_format, "roster_bytes": path.stat().st_size,
                       "pandas_s": pandas_io["io_floor_s"], "pandas_peak_mb": pandas_io["peak_mb"],
                       "pyarrow_s": arrow_io["io_floor_s"] if arrow_io else None,
                       "end_to_end_s": None, "ratio": None, "pa_ratio": None, "peak_mem_mb": None,
                       "out_bytes": None, "cli_exit_code": None, "load_avg": os.getloadavg()[0]}
                if cli_ok:
                    res = run_cli(n, path, extra, args.timeout, out_format, shape)
                    row["cli_exit_code"] = res["rc"]
                    if res["ok"]:
                        row.update(end_to_end_s=res["wall_s"], ratio=res["wall_s"] / pandas_io["io_floor_s"],
                                   pa_ratio=res["wall_s"] / arrow_io["io_floor_s"] if arrow_io else None,
                                   peak_mem_mb=res["peak_mb"], out_bytes=res["out_bytes"])
                results.append(row)

    print_table(results)
    (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    failed = cli_ok and any(r["end_to_end_s"] is None for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
