"""The two engines side by side: candidates per second of rule evaluation, vectorised vs durable_rules.

    python bench/bench_engines.py                    # 10,000 and 100,000 candidates
    python bench/bench_engines.py --sizes 10000      # one size
    python bench/bench_engines.py --repeat 3         # best of three

For each size the synthetic roster (bench/generate.py, fixed seed, written to bench/out/roster_<n>.csv
if absent) is read and normalised once; then each engine evaluates the national ruleset on
2026-12-15 (vetting.engine.vector.evaluate and vetting.engine.durable.evaluate: derived values,
the decision per rule, reasons, evidence and verdicts). Reading and writing files are not in the
figure: they are the same for both engines (see bench/run_bench.py for end to end). The durable
time includes starting its child process, compiling, building the facts and the child's run; the
split is printed. Both results must be identical or the benchmark fails. Results also go to
bench/out/engines.json. Timings depend on the machine: they belong here, never in unit tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import pandas as pd  # noqa: E402

import generate  # noqa: E402  (bench/generate.py)
from vetting.engine import durable, vector  # noqa: E402
from vetting.pipeline import ReadOptions, load_candidates  # noqa: E402
from vetting.ruleset.loader import load_ruleset  # noqa: E402

AS_OF = dt.date(2026, 12, 15)
SEED = 20261215


class _Timed:
    """Wraps durable's stages to report where its time goes."""

    def __init__(self) -> None:
        self.split: dict[str, float] = {}

    def wrap(self, name: str, func):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.split[name] = self.split.get(name, 0.0) + time.perf_counter() - start
        return timed


def measure(n: int, repeat: int) -> dict:
    path = generate.roster_path(n)
    if not path.exists():
        generate.write_roster(generate.generate_roster(n, SEED), path)
    rules = load_ruleset("national")
    start = time.perf_counter()
    candidates = load_candidates([str(path)], rules, ReadOptions())
    read_s = time.perf_counter() - start
    timer = _Timed()
    originals = {name: getattr(durable, name) for name in ("compile_ruleset", "build_facts", "run_program")}
    for name, func in originals.items():
        setattr(durable, name, timer.wrap(name, func))
    try:
        best = {"vector": float("inf"), "durable": float("inf")}
        results = {}
        for _ in range(repeat):
            for engine, evaluate in (("vector", vector.evaluate), ("durable", durable.evaluate)):
                timer.split.clear()
                start = time.perf_counter()
                results[engine] = evaluate(rules, candidates, AS_OF)
                elapsed = time.perf_counter() - start
                if elapsed < best[engine]:
                    best[engine] = elapsed
                    if engine == "durable":
                        split = dict(timer.split)
    finally:
        for name, func in originals.items():
            setattr(durable, name, func)
    pd.testing.assert_frame_equal(results["vector"].findings, results["durable"].findings)
    pd.testing.assert_frame_equal(results["vector"].candidates, results["durable"].candidates)
    program = durable.compile_ruleset(rules, vector.params_in_force(rules, AS_OF), AS_OF)
    return {
        "candidates": n, "read_normalise_s": read_s, "findings": len(results["vector"].findings),
        "vector_s": best["vector"], "durable_s": best["durable"],
        "vector_per_s": n / best["vector"], "durable_per_s": n / best["durable"],
        "durable_split_s": split, "durable_rulesets": len(program.rulesets),
        "durable_rules": len(program.outcomes), "fact_properties": program.properties + 2,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    print(f"{'candidates':>10} {'vector s':>9} {'cand/s':>9} {'durable s':>10} {'cand/s':>9}  durable split")
    for n in args.sizes:
        row = measure(n, args.repeat)
        rows.append(row)
        split = ", ".join(f"{k} {v:.2f}s" for k, v in row["durable_split_s"].items())
        print(f"{n:>10,} {row['vector_s']:>9.2f} {row['vector_per_s']:>9,.0f} {row['durable_s']:>10.2f} "
              f"{row['durable_per_s']:>9,.0f}  {split}", flush=True)
    print(f"durable_rules: {rows[-1]['durable_rules']} rules in {rows[-1]['durable_rulesets']} rulesets, "
          f"{rows[-1]['fact_properties']} properties per fact; findings identical in both engines")
    out = BENCH / "out" / "engines.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
