"""Latency you can trust (issues 10 and 17): do separate measurements agree, and is a loaded machine caught?

1. Quiet: N separate measurements (each in a fresh process, as a user would start them) of V2
   1.0/224, batch 1, 1 thread, default budget and retries, under the fixed allocator policy
   (explorer.allocator). Target: max/min of their medians <= 1.05, and every one ``good``.
2. Without the fix (``MOBILENET_EXPLORER_NO_MALLOPT=1``): the same, for contrast: glibc's own
   thresholds put some fresh processes in the mode that faults every forward's buffers in again
   (page faults per run in the thousands, the verdict flags it).
3. Loaded: the fixed series with a CPU hog on every core. Target: 100% flagged ``noisy`` (or waited).

Each measurement's median, verdict, attempts and page faults per run are printed.

    python benchmarks/bench_repeatability.py [--runs 10] [--threads 1] [--budget 2.0] [--skip-unfixed] [--skip-loaded]

Only meaningful on an otherwise quiet machine: on a shared one, part 1 measures other people's
work too, and the verdicts say so. Each measurement takes the machine's measurement lock.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from _common import fmt, report, summary

from explorer import paper_config
from explorer.allocator import ENV_SKIP, fix_allocator
from explorer.latency import measure_latency
from explorer.lock import MeasurementLock
from explorer.machine import available_cores
from explorer.measurement import LatencySettings
from explorer.quality import cpu_hogs


def worker(threads: int, budget_s: float) -> None:
    """One measurement in this (fresh) process; prints its summary as a JSON line."""
    r = measure_latency(paper_config("v2"), LatencySettings(threads=threads, budget_s=budget_s), lock=MeasurementLock.machine())
    print(json.dumps({"median_ms": r.median_ms, "iqr_ms": r.iqr_ms, "runs": r.runs, "coverage": r.coverage, "quality": r.quality,
                      "reasons": list(r.quality_reasons), "attempts": r.attempts, "waited_s": r.waited_s,
                      "page_faults_per_run": r.page_faults_per_run, "allocator_fixed": fix_allocator(),
                      "others_cores": r.window.others_cores, "thread_cpu_share": r.window.thread_cpu_share}))


def series(runs: int, threads: int, budget_s: float, *, fixed: bool = True) -> list[dict]:
    out = []
    env = {k: v for k, v in os.environ.items() if k != ENV_SKIP} | ({} if fixed else {ENV_SKIP: "1"})
    for _ in range(runs):
        cmd = [sys.executable, str(Path(__file__)), "--worker", "--threads", str(threads), "--budget", str(budget_s)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            sys.exit(f"a measuring process failed:\n{done.stderr[-3000:]}")
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def show(name: str, rows: list[dict]) -> dict:
    medians = [r["median_ms"] for r in rows]
    good = sum(r["quality"] == "good" for r in rows)
    result = {"medians_ms": summary(medians), "max_over_min": max(medians) / min(medians), "good": good, "n": len(rows),
              "flagged_share": (len(rows) - good) / len(rows), "runs": rows}
    print(f"{name}:")
    print(f"  medians: {fmt(result['medians_ms'], 'ms')}")
    print(f"  max/min of the medians: {result['max_over_min']:.3f}")
    print(f"  each median (ms): {[round(m, 2) for m in medians]}")
    print(f"  verdicts: {good}/{len(rows)} good, {len(rows) - good}/{len(rows)} noisy; attempts "
          f"{[r['attempts'] for r in rows]}; coverage {[round(r['coverage'] or 0, 2) for r in rows]}")
    faults = [r["page_faults_per_run"] for r in rows]
    result["page_faults_per_run"] = summary(faults)
    print(f"  page faults per run: {[round(f) for f in faults]}")
    for r in rows:
        if r["reasons"]:
            print(f"    {r['median_ms']:.2f} ms: {r['reasons'][0]}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--budget", type=float, default=LatencySettings().budget_s, help="seconds per attempt")
    parser.add_argument("--skip-unfixed", action="store_true", help="no series without the fixed allocator policy")
    parser.add_argument("--skip-loaded", action="store_true", help="no series under CPU hogs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.threads, args.budget)
        sys.exit(0)

    results = {"threads": args.threads, "budget_s": args.budget}
    results["quiet"] = show(f"V2 1.0/224, batch 1, {args.threads} thread(s), {args.runs} separate measurements "
                            "(target: max/min <= 1.05, all good)", series(args.runs, args.threads, args.budget))
    if not args.skip_unfixed:
        results["unfixed"] = show(f"the same without the fixed allocator policy ({ENV_SKIP}=1), for contrast",
                                  series(args.runs, args.threads, args.budget, fixed=False))
    if not args.skip_loaded:
        with cpu_hogs(available_cores()):
            loaded = series(args.runs, args.threads, args.budget)
        results["loaded"] = show(f"the same under a CPU hog on each of the {available_cores()} cores (target: 100% flagged)", loaded)
    report("repeatability", results)
