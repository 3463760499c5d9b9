"""Measured sweeps (issue 14): wall time of a 16-point sweep on this machine and on a local Ray cluster.

Both run the same grid (V2, 4 widths × 4 resolutions by default) into a fresh store, so every
point is measured; the order of the two alternates between repeats so that drift hits both.
Untimed first: starting the Ray cluster (reported on its own) and one point on each backend, so
that torch is imported and the Ray worker is up before the clock runs.

On one machine the two should be about equal: the node has one ``latency_slot``, so Ray measures
one point at a time exactly like the local loop, and adds only a task round trip per point
(milliseconds against seconds of measuring). A second node with its own slot doubles the points
measured at once, so a measurement-bound sweep takes about half the wall time, but the figures
then come from two machines: each result records its machine, and they compare only within one.

    python benchmarks/bench_sweep.py [--repeats 3] [--budget 2] [--runtime eager] [--threads 1]
    python benchmarks/bench_sweep.py --budget 0.05 --repeats 1 --resolutions 32,48,64,96   # a quick check

Other jobs on a shared machine make timings noisy: read the medians and the per-repeat ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import fmt, report, summary

from explorer.config import ConfigError
from explorer.store import LatencyStore
from explorer.sweep import MEASURED, SweepJob, check_settings, grid


def timed_sweep(points, backend) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as folder:
        job = SweepJob(points, LatencyStore(Path(folder) / "latency.sqlite3"), backend=backend)
        start = time.perf_counter()
        results = job.run()
        wall = time.perf_counter() - start
    bad = [r for r in results if r.status != MEASURED]
    if len(results) != len(points) or bad:
        raise SystemExit(f"sweep did not measure every point: {bad[0].error if bad else 'stopped early'}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per measurement (the lab's default: 2)")
    parser.add_argument("--runtime", default="eager", help="any runtime the latency lab knows (e.g. onnxruntime)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--widths", default="0.35,0.5,0.75,1.0")
    parser.add_argument("--resolutions", default="96,128,160,224")
    args = parser.parse_args()

    from explorer.sweep_ray import ray_backend

    points = grid(["v2"], [float(w) for w in args.widths.split(",")], [int(r) for r in args.resolutions.split(",")],
                  runtimes=[args.runtime], threads=[args.threads], budget_s=args.budget)
    try:
        check_settings(points)  # an unknown or missing runtime stops here, with the latency lab's message
    except ConfigError as err:
        raise SystemExit(f"error: {err}") from None
    start = time.perf_counter()
    with ray_backend("local") as on_ray:  # one local cluster (a node with one latency slot) for every repeat
        cluster_start = time.perf_counter() - start
        backends = {"local": None, "ray": on_ray}
        for backend in backends.values():  # warm-up, untimed: torch imported, the Ray worker started
            timed_sweep(points[:1], backend)
        walls: dict[str, list[float]] = {"local": [], "ray": []}
        for repeat in range(args.repeats):
            order = ["local", "ray"] if repeat % 2 == 0 else ["ray", "local"]
            for name in order:
                walls[name].append(timed_sweep(points, backends[name]))
    ratios = [r / lo for r, lo in zip(walls["ray"], walls["local"])]
    local, on_ray, ratio = summary(walls["local"]), summary(walls["ray"]), summary(ratios)
    print(f"{len(points)}-point sweep ({args.runtime}, {args.threads} thread(s), budget {args.budget:g} s), fresh store each time")
    print(f"  local (this machine, one at a time): {fmt(local, 's')}")
    print(f"  Ray, local cluster (1 latency slot): {fmt(on_ray, 's')}")
    print(f"  Ray / local per repeat:              {fmt(ratio, '×')}   expected ≈ 1 on one machine")
    print(f"  Ray overhead per point:              {(on_ray['median'] - local['median']) / len(points) * 1e3:+.0f} ms (median walls)")
    print(f"  starting the local Ray cluster:      {cluster_start:.1f} s (once, not in the walls)")
    report("sweep", {"points": len(points), "runtime": args.runtime, "threads": args.threads, "budget_s": args.budget,
                     "local_s": local, "ray_s": on_ray, "ray_over_local": ratio, "ray_cluster_start_s": cluster_start})


if __name__ == "__main__":
    main()
