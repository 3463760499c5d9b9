"""Speed of the analytic cost model (issue: core library).

Targets: one config's analytic count under 1 ms; a 1,000-config `sweep` from the CLI under 5 s
wall on a 2-core machine, interpreter start included.

    python benchmarks/bench_counting.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from _common import ROOT, fmt, report, summary

from explorer import count, paper_config
from explorer.plan import make_plan


def time_one_count(repeats: int = 2000) -> dict:
    # A fresh config each time, so the plan cache never answers: this is the cold cost.
    configs = [paper_config("v2", width_multiplier=0.3 + i * 1e-4) for i in range(repeats)]
    # Building a config counts it (its size limits) and count() keeps the answer: clear both caches.
    make_plan.cache_clear()
    count.cache_clear()
    samples = []
    for config in configs:
        start = time.perf_counter()
        count(config)
        samples.append(time.perf_counter() - start)
    make_plan.cache_clear()
    count.cache_clear()
    parse_samples = []
    for i in range(repeats // 4):
        start = time.perf_counter()
        paper_config("v1", width_multiplier=0.3 + i * 1e-4)  # validate + size check
        parse_samples.append(time.perf_counter() - start)
    return {"count": summary(samples), "validate_and_count": summary(parse_samples)}


def time_cli_sweep(runs: int = 5, arch: str = "v2") -> dict:
    widths = ",".join(f"{0.1 + 0.05 * i:.2f}" for i in range(40))  # 0.10 … 2.05
    resolutions = ",".join(str(32 + 20 * i) for i in range(25))  # 32 … 512
    cmd = [sys.executable, "-m", "explorer", "sweep", "--arch", arch, "--widths", widths, "--resolutions", resolutions, "--json"]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    assert out.stdout.count(b'"macs"') == 1000
    return summary(samples)


if __name__ == "__main__":
    one = time_one_count()
    sweep = time_cli_sweep()
    # Issue 21: a V3 sweep should cost per config what a V2 one does (both are plan arithmetic).
    sweep_v3 = time_cli_sweep(arch="v3-small")
    print(f"analytic count, one V2 config:   {fmt(one['count'], 'ms', 1e3)}   target < 1 ms")
    print(f"validate + count, one V1 config: {fmt(one['validate_and_count'], 'ms', 1e3)}")
    print(f"CLI sweep of 1,000 configs:      {fmt(sweep, 's')}   target < 5 s")
    print(f"same, V3-Small:                  {fmt(sweep_v3, 's')}   target: as V2's")
    report("counting", {"count_s": one["count"], "validate_and_count_s": one["validate_and_count"], "cli_sweep_1000_s": sweep,
                        "cli_sweep_1000_v3_small_s": sweep_v3})
