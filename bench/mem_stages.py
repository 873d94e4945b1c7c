"""Resident memory per stage of one run, before any report is rendered (#14, item 1).

    python bench/mem_stages.py bench/out/roster_b_100000.csv [--ruleset national] [--as-of 2026-12-15]

Reads, normalises, runs the joint review and `plan()` (every rule decided, nothing rendered), and
prints after each stage the process's resident set (after a garbage collection), its growth, the
bytes pyarrow holds, and at the end the growth per candidate. What a run holds here stays resident
while a chunked run renders its report slice by slice, so it bounds the roster size that fits.
Figures only: nothing is asserted (the structural checks are in tests/test_compact.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster")
    parser.add_argument("--ruleset", default="national")
    parser.add_argument("--as-of", default="2026-12-15")
    args = parser.parse_args(argv)

    import pyarrow as pa

    from vetting.engine.assemble import plan
    from vetting.engine.coverage import assess, resolve_mode
    from vetting.engine.vector import vector_decide
    from vetting.inputs import read_tables
    from vetting.joint.merge import joint_review
    from vetting.normalize.roster import normalise_tables
    from vetting.pipeline import joint_spec
    from vetting.ruleset.loader import load_ruleset

    ruleset = load_ruleset(args.ruleset)
    as_of = dt.date.fromisoformat(args.as_of)
    gc.collect()
    base = previous = _rss_mb()

    def stage(name: str) -> None:
        nonlocal previous
        gc.collect()
        now = _rss_mb()
        print(f"{name:<14} RSS {now:7.0f} MB  +{now - previous:5.0f} MB  (since start +{now - base:5.0f} MB, "
              f"pyarrow {pa.total_allocated_bytes() / 1e6:4.0f} MB)")
        previous = now

    tables = read_tables(args.roster, ruleset.fields, None, None, None)
    stage("read")
    candidates = normalise_tables(tables, ruleset.fields, ruleset.required_fields, {})
    del tables
    stage("normalise")
    candidates = joint_review(candidates, ruleset.fields, ruleset.required_fields, joint_spec(ruleset))
    stage("joint_review")
    decided = plan(ruleset, candidates, as_of, vector_decide,
                   assess(ruleset, candidates, resolve_mode(None, ruleset)))
    stage("plan")
    n = max(1, len(candidates))
    print(f"{len(candidates)} candidates: {(_rss_mb() - base) * 1e6 / n:.0f} bytes each resident after plan(); "
          f"{decided.issue_count()} data issues ({len(candidates.silence)} of them J01, kept as masks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
