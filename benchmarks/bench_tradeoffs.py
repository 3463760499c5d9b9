"""Speed of the budget finder (issue 5: "answers within a second").

Cold: a fresh interpreter's first answer, which counts the published rows and the α × resolution
sweep (720 configs) once. Warm: later answers, which only filter and sort the cached candidates.
Target: both under 1 s.

    python benchmarks/bench_tradeoffs.py
"""

from __future__ import annotations

import subprocess
import sys
import time

from _common import ROOT, fmt, report, summary

from explorer.tradeoffs import MEASURED, find_configs, sweep_candidates

COLD = """
import time
start = time.perf_counter()
from explorer.tradeoffs import find_configs
imported = time.perf_counter()
find_configs(max_macs=300e6)
print(imported - start, time.perf_counter() - imported)
"""


def time_cold(runs: int = 5) -> tuple[dict, dict]:
    """Import and first answer, each in a fresh interpreter (nothing cached)."""
    imports, answers = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True)
        imported, answered = map(float, out.stdout.split())
        imports.append(imported)
        answers.append(answered)
    return summary(imports), summary(answers)


def time_warm(repeats: int = 200) -> dict:
    find_configs()  # fill the caches
    measured = {c.config: 1.0 + i % 50 for i, c in enumerate(sweep_candidates()[:100])}
    queries = [
        {"max_macs": 300e6},
        {"max_macs": 150e6, "max_params": 2e6},
        {"max_latency_ms": 30, "latency_source": ("Pixel 1", "TF-Lite CPU, single large core")},
        {"max_latency_ms": 20, "latency_source": MEASURED, "measured_latency_ms": measured},
    ]
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        find_configs(**queries[i % len(queries)])
        samples.append(time.perf_counter() - start)
    return summary(samples)


if __name__ == "__main__":
    cold_import, cold = time_cold()
    warm = time_warm()
    print(f"import explorer.tradeoffs:        {fmt(cold_import, 'ms', 1e3)}")
    print(f"budget finder, cold first answer: {fmt(cold, 'ms', 1e3)}   target < 1 s")
    print(f"budget finder, warm answer:       {fmt(warm, 'ms', 1e3)}   target < 1 s")
    report("tradeoffs", {"import_s": cold_import, "find_configs_cold_s": cold, "find_configs_warm_s": warm})
