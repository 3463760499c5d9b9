"""The data behind the quality thresholds (explorer/quality.py): quiet vs deliberately loaded.

For each load condition (no extra load; a CPU hog on one core; a hog on every core) and thread
count, it runs single-attempt measurements of V2 1.0/224, batch 1, and records what the verdict
looks at: the whole model's relative IQR, the per-layer coverage, the number of samples, other
processes' CPU use over the window, the measuring thread's CPU share, and the page faults per
timed run. It prints, per condition, each signal's min / median / max and how many attempts the
current thresholds flag.

``--allocator bad`` forces this process into the mode where freed memory goes back to the system
at once (``M_TRIM_THRESHOLD`` 0), so every forward faults its buffers in again: the data for the
page-fault threshold (``--allocator fixed``, the default, is the policy every measurement runs
under; ``unfixed`` leaves glibc's adaptive thresholds, as before issue 17). Fault counts hardly
depend on CPU contention, so they can be collected on a busy machine.

    python benchmarks/collect_quality_data.py [--repeats 5] [--budget 1.0] [--threads 1 2] [--allocator fixed]
        [--arch v2 --width 1.0 --resolution 224]

Run it on a quiet machine to see the quiet side of each threshold; "none" on a shared machine
already includes other people's work. Each measurement takes the machine's measurement lock.
"""

from __future__ import annotations

import argparse
import os
import statistics

from _common import report

from explorer import allocator, paper_config
from explorer.latency import measure_latency
from explorer.lock import MeasurementLock
from explorer.machine import available_cores
from explorer.measurement import LatencySettings
from explorer.quality import (
    COVERAGE_RANGE,
    FAULTS_PER_ACTIVATION_PAGE,
    MAX_OTHERS_CORES,
    MAX_RELATIVE_IQR,
    MIN_THREAD_CPU_SHARE,
    cpu_hogs,
)

SIGNALS = ("relative_iqr", "coverage", "others_cores", "thread_cpu_share", "page_faults_per_run", "median_ms")


def one(config, settings: LatencySettings, lock: MeasurementLock) -> dict:
    r = measure_latency(config, settings, lock=lock, max_attempts=1)
    w = r.window
    return {"median_ms": r.median_ms, "relative_iqr": r.iqr_ms / r.median_ms, "samples": r.samples, "coverage": r.coverage,
            "others_cores": w.others_cores, "thread_cpu_share": w.thread_cpu_share, "own_cores": w.own_cores,
            "load_1min": w.load_1min, "page_faults_per_run": r.page_faults_per_run, "quality": r.quality,
            "reasons": list(r.quality_reasons)}


def spread(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per measurement")
    parser.add_argument("--threads", type=int, nargs="+", default=sorted({1, available_cores()}))
    parser.add_argument("--loads", nargs="+", default=["none", "one", "all"], help="hogs: none, one core, all cores")
    parser.add_argument("--allocator", choices=["fixed", "bad", "unfixed"], default="fixed",
                        help="fixed: the measuring policy; bad: memory handed back at once; unfixed: glibc's adaptive thresholds")
    parser.add_argument("--arch", default="v2")
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    if args.allocator == "bad":
        allocator.force_bad_allocator()  # before anything is built; measure_latency then cannot fix it
    elif args.allocator == "unfixed":
        os.environ[allocator.ENV_SKIP] = "1"
    config, cores = paper_config(args.arch, width_multiplier=args.width, resolution=args.resolution), available_cores()
    lock = MeasurementLock.machine()
    print(f"{config.arch} α={config.width_multiplier:g} {config.resolution}px, batch {args.batch}, allocator {args.allocator}")
    print(f"thresholds: relative IQR <= {MAX_RELATIVE_IQR:.0%}, coverage {COVERAGE_RANGE[0]:.0%}-{COVERAGE_RANGE[1]:.0%}, "
          f"other processes <= {MAX_OTHERS_CORES} cores, thread CPU share >= {MIN_THREAD_CPU_SHARE:.0%}, "
          f"page faults per run <= {FAULTS_PER_ACTIVATION_PAGE:g} x the activation pages; {cores} cores")
    results = {}
    for load in args.loads:
        hogs = {"none": 0, "one": 1, "all": cores}[load]
        for threads in args.threads:
            settings = LatencySettings(threads=threads, budget_s=args.budget, batch=args.batch)
            with cpu_hogs(hogs):
                rows = [one(config, settings, lock) for _ in range(args.repeats)]
            name = f"hogs={hogs} threads={threads} allocator={args.allocator}"
            flagged = sum(r["quality"] != "good" for r in rows)
            print(f"\n{name}: {flagged}/{len(rows)} flagged noisy   (min / median / max)")
            for signal in SIGNALS:
                print(f"  {signal:<17} {spread([r[signal] for r in rows])}")
            reasons = sorted({reason.split(':')[0].split(' (')[0] for r in rows for reason in r["reasons"]})
            print(f"  reasons seen: {reasons or 'none'}")
            results[name] = rows
    report("quality_data", results)
