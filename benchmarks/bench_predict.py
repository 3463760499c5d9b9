"""Speed of the phone-latency predictor (issue 12: "predicting 1,000 configs on every device
takes < 1 s", so it can run inside the budget finder's sweep).

* fit: a fresh interpreter imports explorer.phones and builds every platform's model
  (model choice and nested leave-one-out, once per process).
* sweep, cold features: 1,000 configs (V1 and V2, α 0.25–1.4, 96–320 px; built beforehand, as a
  sweep has them) predicted on every published platform, with the plan and feature caches
  cleared first: what a new sweep costs. Target < 1 s.
* sweep, warm: the same again with the features cached.

    python benchmarks/bench_predict.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import ROOT, fmt, report, summary

from explorer import paper_config
from explorer.phones import features, phone_model
from explorer.plan import make_plan

FIT = """
import time
start = time.perf_counter()
from explorer.phones import phone_model
imported = time.perf_counter()
phone_model()
print(imported - start, time.perf_counter() - imported)
"""


def sweep_configs(n: int = 1000) -> list:
    """n paper configs of both families on an α × resolution grid (the budget finder's span)."""
    widths = [round(0.25 + 0.05 * i, 2) for i in range(24)]
    resolutions = list(range(96, 321, 8))
    grid = [(arch, w, r) for arch in ("v1", "v2") for w in widths for r in resolutions]
    step = len(grid) / n
    return [paper_config(arch, width_multiplier=w, resolution=r) for arch, w, r in (grid[int(i * step)] for i in range(n))]


def time_fit(runs: int) -> tuple[dict, dict]:
    imports, fits = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", FIT], cwd=ROOT, capture_output=True, text=True, check=True)
        imported, fitted = map(float, out.stdout.split())
        imports.append(imported)
        fits.append(fitted)
    return summary(imports), summary(fits)


def time_sweep(configs: list, rounds: int, cold: bool) -> tuple[dict, int]:
    model = phone_model()
    samples, predictions = [], 0
    for _ in range(rounds):
        if cold:
            features.cache_clear()
            make_plan.cache_clear()
        start = time.perf_counter()
        predictions = sum(len(row) for row in model.predict_grid(configs))
        samples.append(time.perf_counter() - start)
    return summary(samples), predictions


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    imports, fit = time_fit(max(3, args.rounds // 2))
    configs = sweep_configs()
    cold, n = time_sweep(configs, args.rounds, cold=True)
    warm, _ = time_sweep(configs, args.rounds, cold=False)
    platforms = len(phone_model().platforms)
    print(f"import explorer.phones:                  {fmt(imports, 'ms', 1e3)}")
    print(f"fit every platform (once per process):   {fmt(fit, 'ms', 1e3)}")
    print(f"{len(configs):,} configs × {platforms} platforms, cold:  {fmt(cold, 'ms', 1e3)}   target < 1 s ({n:,} predictions)")
    print(f"{len(configs):,} configs × {platforms} platforms, warm:  {fmt(warm, 'ms', 1e3)}")
    report("predict", {"configs": len(configs), "platforms": platforms, "predictions": n, "import_s": imports, "fit_s": fit,
                       "sweep_cold_s": cold, "sweep_warm_s": warm})
