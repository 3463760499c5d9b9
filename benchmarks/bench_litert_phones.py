"""Phone / this machine on LiteRT (issue 20, item 3): measure the grid of published TF-Lite CPU
configs on this machine's LiteRT (through the lab: lock, verdict, retries, store), then how steady
``phone ms / this machine's ms`` is per platform, against ``phone ms / GMACs``, and whether a
ratio-based prediction beats the fitted predictor in leave-one-out.

    python benchmarks/bench_litert_phones.py [--budget 2] [--limit N] [--only-stored]

Good stored measurements are reused (the app's store: $MOBILENET_EXPLORER_DATA or .data/), so a
second run only measures what is missing or was noisy. Every config converts to .tflite first
(~10 s each on a 2-core machine): the whole grid (~40 fp32 configs, ~16 int8) takes ~10 minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import report

from explorer.phones.litert_ratio import THREADS, grid, ratios, store_figures, summary_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per lab measurement (as the app)")
    parser.add_argument("--limit", type=int, default=None, help="measure only the first N (config, runtime) pairs (a smoke test)")
    parser.add_argument("--only-stored", action="store_true", help="measure nothing: analyse what the store holds")
    parser.add_argument("--include-noisy", action="store_true",
                        help="analyse noisy stored measurements too (a busy machine; the output says so)")
    args = parser.parse_args()

    from explorer.latency import measure_latency
    from explorer.measurement import LatencySettings
    from explorer.store import LatencyStore

    store = LatencyStore()
    pairs = grid()
    todo = pairs if args.limit is None else pairs[: args.limit]
    noisy = 0
    if not args.only_stored:
        started = time.perf_counter()
        for i, (config, runtime) in enumerate(todo, 1):
            settings = LatencySettings(runtime=runtime, threads=THREADS, batch=1, budget_s=args.budget)
            try:
                result = store.get_or_measure(config, settings, measure=measure_latency)
            except RuntimeError as err:  # a failed check: reported, never timed
                print(f"[{i}/{len(todo)}] {config.arch} {config.width_multiplier:g}/{config.resolution} {runtime}: {err}")
                continue
            noisy += not result.reusable
            print(f"[{i}/{len(todo)}] {config.arch} {config.width_multiplier:g}/{config.resolution} {runtime}: "
                  f"{result.median_ms:.2f} ms (IQR {result.iqr_ms:.2f}) {result.quality}{' (stored)' if result.from_store else ''}",
                  flush=True)
        print(f"grid: {len(todo)} of {len(pairs)} pairs in {time.perf_counter() - started:.0f} s; {noisy} not good (left out below)")
    results = ratios(store_figures(store, include_noisy=args.include_noisy))
    rows = summary_rows(results)
    which = "good and NOISY measurements" if args.include_noisy else "good measurements only"
    print(f"\nphone ms / this machine's LiteRT ms ({THREADS} thread, batch 1, {which}); spreads are the median "
          "absolute deviation of the logs (0% = one constant factor)")
    print(f"{'platform':62} {'fam':3} {'n':>3} {'ratio':>6} {'range':>11} {'spread':>7} {'ms/GMAC':>8} {'LOO ratio':>14} {'LOO fitted':>14}")
    for r in rows:
        def pct(a, b):
            return "—" if r[a] is None else f"{r[a]:.1f}/{r[b]:.1f}%"
        print(f"{r['platform'][:62]:62} {r['family']:3} {r['configs']:3d} {r['median ratio']:6.2f} {r['ratio range']:>11} "
              f"{r['ratio spread %']:6.1f}% {r['ms/GMAC spread %']:7.1f}% {pct('ratio LOO median %', 'ratio LOO worst %'):>14} "
              f"{pct('fitted LOO median %', 'fitted LOO worst %'):>14}")
    steadier = [r for r in results if r.ratio_spread_pct < r.mac_spread_pct]
    helps = [r for r in results if r.helps]
    if results:
        print(f"\nthe ratio is steadier than ms/GMAC on {len(steadier)} of {len(results)} platforms; median spread "
              f"{statistics.median(r.ratio_spread_pct for r in results):.1f}% vs {statistics.median(r.mac_spread_pct for r in results):.1f}%")
        print(f"leave-one-out: the ratio beats the fitted predictor (median and worst) on {len(helps)} of {len(results)} platforms")
    report("litert_phones", {"budget_s": args.budget, "threads": THREADS, "include_noisy": args.include_noisy, "pairs": len(pairs), "measured": len(todo),
                             "platforms": rows})


if __name__ == "__main__":
    main()
