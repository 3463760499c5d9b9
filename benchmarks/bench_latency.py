"""Latency lab (issue 3): parity with plain PyTorch, per-layer coverage, slowest layers per MAC.

1. Parity: the project's MobileNetV2 (α = 1, 224 px, batch 1) against a minimal plain-PyTorch
   MobileNetV2 written below, independently of ``explorer.models``, with the same weights.
   Alternating rounds (the order flips each round, so drift hits both), each a ``time_call``, in
   several fresh processes that alternate which model is built first: memory placement alone
   moves one process's ratio by up to ±15%. Target: median ours / plain ≤ 1.05.
2. Coverage: per-layer sum / whole-model median from ``measure_latency`` (expected 0.7–1.1).
3. The three layers with the lowest achieved GMAC/s (layers without MACs, i.e. pooling, left out).

    python benchmarks/bench_latency.py [--processes 6] [--rounds 8] [--threads N]

Other jobs on a shared machine make timings noisy: read the medians and the per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import torch
from _common import fmt, report, summary
from torch import nn

from explorer import build_model, paper_config
from explorer.latency import measure_latency
from explorer.lock import MeasurementLock
from explorer.machine import available_cores
from explorer.measurement import LatencySettings
from explorer.store import default_path
from explorer.timing import time_call

# --- a plain MobileNetV2, written from the paper (arXiv:1801.04381, Table 2) --------------------


def round_channels(value: float, divisor: int = 8) -> int:
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn_relu6(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, t: int):
        super().__init__()
        hidden = int(round(cin * t))
        layers = [conv_bn_relu6(cin, hidden, 1)] if t != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class PlainMobileNetV2(nn.Module):
    TABLE = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        cin = round_channels(32)
        features = [conv_bn_relu6(3, cin, 3, 2)]
        for t, c, n, s in self.TABLE:
            cout = round_channels(c)
            for i in range(n):
                features.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        features.append(conv_bn_relu6(cin, 1280, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def plain_with_our_weights(ours: nn.Module) -> nn.Module:
    """The plain model carrying our weights and BN statistics, so both compute on the same values."""
    plain = PlainMobileNetV2()
    ours_state, plain_state = ours.state_dict(), plain.state_dict()
    ours_shapes = [tuple(v.shape) for v in ours_state.values()]
    plain_shapes = [tuple(v.shape) for v in plain_state.values()]
    assert ours_shapes == plain_shapes, "the plain model does not have our shape"
    plain.load_state_dict(dict(zip(plain_state, ours_state.values())))
    return plain.eval()


# --- measurements -------------------------------------------------------------------------------


def parity(rounds: int, threads: int, budget_s: float, plain_first: bool = False) -> dict:
    """Alternating rounds of ours and plain in this process (built in the given order)."""
    config = paper_config("v2")
    if plain_first:  # allocate the plain model's tensors first, then load our weights into it
        plain = PlainMobileNetV2().eval()
        ours = build_model(config)
        plain.load_state_dict(plain_with_our_weights(ours).state_dict())
    else:
        ours = build_model(config)
        plain = plain_with_our_weights(ours)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in plain.parameters()) == 3_504_872
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    models = {"ours": ours, "plain": plain}
    times: dict[str, list[float]] = {"ours": [], "plain": []}
    with torch.inference_mode():
        assert torch.allclose(ours(x), plain(x), atol=1e-5), "same weights must give the same outputs"
        for r in range(rounds):
            order = ("ours", "plain") if r % 2 == 0 else ("plain", "ours")
            for name in order:
                model = models[name]
                times[name].append(time_call(lambda: model(x), threads=threads, budget_s=budget_s).median)
    ratios = [o / p for o, p in zip(times["ours"], times["plain"])]
    return {
        "threads": threads,
        "plain_first": plain_first,
        "ours_s": summary(times["ours"]),
        "plain_s": summary(times["plain"]),
        "ratio_of_medians": statistics.median(times["ours"]) / statistics.median(times["plain"]),
        "round_ratio": summary(ratios),
    }


def parity_across_processes(processes: int, rounds: int, threads: int, budget_s: float) -> dict:
    """Parity in several fresh processes, alternating which model is built first.

    Within one process the gap between two models with identical operators can be ±15%, and
    it changes from process to process (where the allocator puts weights and activations). One
    process's figure is therefore not the code's: the median over processes is.
    """
    runs = []
    for i in range(processes):
        cmd = [sys.executable, __file__, "--worker", "--threads", str(threads), "--rounds", str(rounds),
               "--budget", str(budget_s)] + (["--plain-first"] if i % 2 else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    ratios = [r["ratio_of_medians"] for r in runs]
    return {
        "threads": threads, "processes": runs, "process_ratio": summary(ratios),
        "ours_s": summary([r["ours_s"]["median"] for r in runs]), "plain_s": summary([r["plain_s"]["median"] for r in runs]),
    }


def coverage(repeats: int, threads: int) -> dict:
    config = paper_config("v2")
    model = build_model(config)
    settings = LatencySettings(threads=threads)
    lock = MeasurementLock.beside(default_path())  # one measurement at a time, with the app and the CLI
    reports, walls = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        reports.append(measure_latency(config, settings, model=model, lock=lock))
        walls.append(time.perf_counter() - start)
    middle = sorted(reports, key=lambda r: r.coverage)[len(reports) // 2]
    slowest = sorted((row for row in middle.layers if row.macs > 0), key=lambda row: row.gmacs_per_s)[:3]
    return {"threads": threads, "coverage": summary([r.coverage for r in reports]),
            "median_ms": summary([r.median_ms for r in reports]), "wall_s": summary(walls), "budget_s": settings.budget_s,
            "good": sum(r.quality == "good" for r in reports), "attempts": [r.attempts for r in reports],
            "lowest_gmacs": [{"name": row.name, "kind": row.kind, "latency_ms": round(row.latency_ms, 3),
                              "gmacs_per_s": round(row.gmacs_per_s, 2), "macs_per_byte": round(row.arithmetic_intensity, 2),
                              "latency_share": round(row.latency_share, 3), "mac_share": round(row.mac_share, 3)}
                             for row in slowest]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds per process")
    parser.add_argument("--budget", type=float, default=0.4, help="seconds per time_call in the parity rounds")
    parser.add_argument("--threads", type=int, nargs="+", default=sorted({1, available_cores()}))
    parser.add_argument("--processes", type=int, default=6, help="fresh processes per thread count")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plain-first", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # one process's parity rounds, as a JSON line for the driver
        print(json.dumps(parity(args.rounds, args.threads[0], args.budget, args.plain_first)))
        sys.exit(0)

    results = {}
    for threads in args.threads:
        p = parity_across_processes(args.processes, args.rounds, threads, args.budget)
        print(f"parity, V2 1.0/224 batch 1, {threads} thread(s), {args.processes} processes × {args.rounds} alternating rounds:")
        print(f"  ours:  {fmt(p['ours_s'], 'ms', 1e3)}   (per-process medians)")
        print(f"  plain: {fmt(p['plain_s'], 'ms', 1e3)}")
        per_process = ", ".join(f"{r['ratio_of_medians']:.3f}" for r in p["processes"])
        print(f"  ours/plain per process: {per_process}")
        print(f"  ours/plain: {fmt(p['process_ratio'], '')}   target: median <= 1.05")
        results[f"parity_{threads}t"] = p
    for threads in args.threads:
        c = coverage(5, threads)
        print(f"measure_latency V2 1.0/224, {threads} thread(s), budget {c['budget_s']:g} s, 5 measurements:")
        print(f"  whole model: {fmt(c['median_ms'], 'ms')}   wall per measurement: {fmt(c['wall_s'], 's')}")
        print(f"  coverage (per-layer sum / whole median): {fmt(c['coverage'], '')}   expected 0.7-1.1")
        print(f"  verdicts: {c['good']}/5 good, attempts {c['attempts']} (noisy ones were retried; see bench_repeatability.py)")
        print("  lowest achieved GMAC/s (report with the median coverage):")
        for row in c["lowest_gmacs"]:
            print(f"    {row['name']:<20} {row['kind']:<10} {row['latency_ms']:7.3f} ms  {row['gmacs_per_s']:6.2f} GMAC/s  "
                  f"{row['macs_per_byte']:5.2f} MACs/byte  time {100 * row['latency_share']:4.1f}% vs MACs {100 * row['mac_share']:4.1f}%")
        results[f"coverage_{threads}t"] = c
    report("latency", results)
