"""Server time of a rerun: what every user's click costs the server (issue 18, "a rerun does only
what changed"). Server side only (AppTest runs the same page scripts as the server, without the
browser), so the figures are the server's share of what a user waits for.

- each page's first render in a new session on a warm server (the first session pays imports);
- a V2 width-slider move, and a V2 table-free rerun with nothing changed;
- a Trade-offs budget-finder rerun (latency from "measured") over a store of ``--store-rows`` good
  rows (a temporary store, seeded before the app starts): the store aggregation's cost per rerun;
- with ``--profile``, the project functions that take the most time in a slider move (cProfile,
  cumulative), to find the avoidable costs.

    python benchmarks/bench_rerun.py [--rounds 7] [--profile] [--store-rows 400]

Results: benchmarks/RESULTS.md (before and after issue 18's rerun work).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import threading
import time

from _common import ROOT, fmt, report, summary

PAGES = ["home", "v1", "v2", "tradeoffs", "compare", "separable", "phones"]


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()  # registers st.navigation's pages
    return at


def page_file(page: str) -> str:
    return f"app_pages/{page}.py"


def first_renders(pages: list[str], rounds: int) -> dict[str, dict]:
    _app().switch_page(page_file("v2")).run()  # the server's first session: imports, warm caches
    times: dict[str, list[float]] = {page: [] for page in pages}
    for _ in range(rounds):
        for page in pages:
            at = _app()
            start = time.perf_counter()
            at.switch_page(page_file(page)).run()
            times[page].append(time.perf_counter() - start)
            assert not at.exception, (page, at.exception)
    return {page: summary(samples) for page, samples in times.items()}


def slider_moves(rounds: int, profile: bool = False) -> dict:
    at = _app().switch_page(page_file("v2")).run()
    slider = lambda: at.slider(key="mobilenet_v2.width")  # noqa: E731  (widgets are looked up after each run)
    moves, idle, profiles = [], [], []

    def profile_script_thread(*_):
        # AppTest runs the page in a thread of its own, started per run: profile that thread.
        sys.setprofile(None)
        profiles.append(cProfile.Profile())
        profiles[-1].enable()

    for i in range(rounds):
        start = time.perf_counter()
        threading.setprofile(profile_script_thread if profile else None)
        slider().set_value(0.5 if i % 2 == 0 else 1.0).run()
        threading.setprofile(None)
        moves.append(time.perf_counter() - start)
        assert not at.exception, at.exception
        start = time.perf_counter()
        at.run()
        idle.append(time.perf_counter() - start)
    if profiles:
        stats = pstats.Stats(*profiles).sort_stats("cumulative")
        print("\nslowest project functions in a slider move (cumulative s over all moves):")
        rows = [(key, value) for key, value in stats.stats.items() if str(ROOT) in key[0] and ".venv" not in key[0]]
        for (path, line, name), (_, _, _, cumulative, _) in sorted(rows, key=lambda kv: -kv[1][3])[:20]:
            print(f"  {cumulative:7.3f}  {path.replace(str(ROOT) + '/', '')}:{line} {name}")
    return {"slider_move_s": summary(moves), "rerun_nothing_changed_s": summary(idle)}


def seed_store(rows: int) -> None:
    """A temporary store of ``rows`` good batch-1 measurements of distinct V1/V2 configs on this
    machine (made-up figures: only their number matters here), used by the app from now on."""
    import itertools

    from explorer import paper_config
    from explorer.machine import available_cores, cpu_model, machine_name, torch_version
    from explorer.measurement import LatencyReport, LatencySettings
    from explorer.store import LatencyStore

    os.environ["MOBILENET_EXPLORER_DATA"] = tempfile.mkdtemp(prefix="bench-rerun-store-")
    store, settings = LatencyStore(), LatencySettings(threads=available_cores())
    grid = itertools.product(("v1", "v2"), [round(0.25 + 0.05 * i, 2) for i in range(24)], range(96, 232, 8))
    for arch, alpha, resolution in itertools.islice(grid, rows):
        ms = alpha * resolution / 10
        report = LatencyReport(median_ms=ms, iqr_ms=0.01 * ms, runs=20, samples=20, threads=settings.resolved_threads, batch=1,
                               device="cpu", runtime="eager", torch_version=torch_version(), cpu=cpu_model(),
                               machine=machine_name(), started_at="2026-01-02T03:04:05+00:00",
                               finished_at="2026-01-02T03:04:07+00:00", layers=[], layer_sum_ms=ms, coverage=1.0,
                               layer_runs=7, budget_s=settings.budget_s, quality="good")
        store.put(paper_config(arch, width_multiplier=alpha, resolution=resolution), settings, report)
    from ui.state import latency_store

    latency_store.clear()  # the app's cached store opens the seeded one next


def budget_finder_reruns(rounds: int) -> dict:
    """Reruns of the Trade-offs budget finder with a measured-latency budget, nothing changed."""
    at = _app()
    at.query_params.update({"tab": "budget-finder", "max_latency": "40", "latency_from": "measured"})
    at.switch_page(page_file("tradeoffs")).run()
    assert not at.exception, at.exception
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return summary(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--store-rows", type=int, default=400, help="good rows in the budget finder's store")
    args = parser.parse_args()
    renders = first_renders(args.pages.split(","), args.rounds)
    for page, stats in renders.items():
        print(f"first render /{page:<10} {fmt(stats, 's')}")
    moves = slider_moves(max(args.rounds, 10), args.profile)
    print(f"V2 width slider move:       {fmt(moves['slider_move_s'], 's')}")
    print(f"V2 rerun, nothing changed:  {fmt(moves['rerun_nothing_changed_s'], 's')}")
    seed_store(args.store_rows)  # after the V2 figures, which are taken on the store as it was
    finder = budget_finder_reruns(max(args.rounds, 10))
    print(f"budget finder rerun ({args.store_rows} rows): {fmt(finder, 's')}")
    report("rerun", {"first_render_s": renders, **moves, "budget_finder_rerun_s": finder, "store_rows": args.store_rows})


if __name__ == "__main__":
    main()
