"""Standard vs depthwise-separable convolution, measured (issue 6).

Three implementations of the same function (explorer.separable_timing): a dense k×k conv, grouped
depthwise (groups = M) + 1×1, and a per-channel Python loop depthwise + 1×1, on two real V1
layers, with 1 and 2 threads. For each: time per call, speedup over the dense conv, and the
fraction of the MAC reduction realized as speed (speedup / MAC reduction; 1.0 = all of it).

Each round times the three implementations back to back with explorer.timing.time_call; times
are summarized over the rounds' medians, so drift between rounds shows in IQR / min / max. Speedups
are paired: the median over rounds of (standard / this) within a round, which cancels slow drift.
No targets: this machine's timings drift 10–30% (FIELD-NOTES); read the ratios.

    python benchmarks/bench_separable.py [--rounds 5] [--budget 0.5]
"""

from __future__ import annotations

import argparse
import statistics

from _common import fmt, report, summary

from explorer.separable import ConvShape, factorization
from explorer.separable_timing import IMPLEMENTATIONS, compare_outputs, measure_implementations

LAYERS = {
    "V1 blocks.6 14×14, 512→512": ConvShape(3, 512, 512, 14),  # five of V1's thirteen layers
    "V1 blocks.0 112×112, 32→64": ConvShape(3, 32, 64, 112),  # V1's first, widest-map layer
}


def bench_layer(shape: ConvShape, threads: int, rounds: int, budget_s: float) -> dict:
    samples: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    speedups: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    for _ in range(rounds):
        for timing in measure_implementations(shape, threads=threads, budget_s=budget_s):
            samples[timing.name].append(timing.median_ms / 1e3)
            speedups[timing.name].append(timing.speedup)
    counts = factorization(shape)
    medians = {name: statistics.median(s) for name, s in samples.items()}
    out = {}
    for name in IMPLEMENTATIONS:
        speedup = statistics.median(speedups[name])
        macs = counts.standard_macs if name == "standard" else counts.separable_macs
        reduction = counts.standard_macs / macs
        out[name] = {
            "time_s": summary(samples[name]), "speedup": speedup, "mac_reduction": reduction,
            "mac_reduction_realized": speedup / reduction, "gmacs_per_s": macs / medians[name] / 1e9,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per layer and thread count (default 5)")
    parser.add_argument("--budget", type=float, default=0.5, help="seconds per implementation per round (default 0.5)")
    args = parser.parse_args()
    results = {}
    for label, shape in LAYERS.items():
        counts = factorization(shape)
        agreement = compare_outputs(shape)
        print(f"\n{label}: {counts.standard_macs / 1e6:.1f}M vs {counts.separable_macs / 1e6:.1f}M MACs "
              f"({counts.mac_reduction:.2f}× fewer; 1/N + 1/D_K² = {counts.formula_ratio:.4f}); "
              f"max |grouped − loop| = {agreement.grouped_vs_loop:.1e}, "
              f"max |standard − grouped| = {agreement.standard_vs_grouped:.1e} (outputs up to {agreement.output_scale:.1f})")
        for threads in (1, 2):
            rows = bench_layer(shape, threads, args.rounds, args.budget)
            results[f"{label}, {threads} thread(s)"] = rows
            for name in IMPLEMENTATIONS:
                r = rows[name]
                print(f"  {threads} thr  {name:8s} {fmt(r['time_s'], 'ms', 1e3)}  speedup {r['speedup']:6.2f}×  "
                      f"{r['gmacs_per_s']:6.2f} GMAC/s  MAC reduction realized {r['mac_reduction_realized']:6.1%}")
    report("separable", {"rounds": args.rounds, "budget_s": args.budget, "results": results})


if __name__ == "__main__":
    main()
