"""Server time of a rerun: what every user's click costs the server (issue 18, "a rerun does only
what changed"). Server side only (AppTest runs the same page scripts as the server, without the
browser), so the figures are the server's share of what a user waits for.

- each page's first render in a new session on a warm server (the first session pays imports);
- a V2 width-slider move, and a V2 table-free rerun with nothing changed;
- with ``--profile``, the project functions that take the most time in a slider move (cProfile,
  cumulative), to find the avoidable costs.

    python benchmarks/bench_rerun.py [--rounds 7] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args()
    renders = first_renders(args.pages.split(","), args.rounds)
    for page, stats in renders.items():
        print(f"first render /{page:<10} {fmt(stats, 's')}")
    moves = slider_moves(max(args.rounds, 10), args.profile)
    print(f"V2 width slider move:       {fmt(moves['slider_move_s'], 's')}")
    print(f"V2 rerun, nothing changed:  {fmt(moves['rerun_nothing_changed_s'], 's')}")
    report("rerun", {"first_render_s": renders, **moves})


if __name__ == "__main__":
    main()
