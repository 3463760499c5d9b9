"""Does a measurement in a worker process of its own beat one in the web server's thread (issue 17, item 8)?

The app measures in the thread of the session that pressed "Measure latency", inside the
Streamlit server, beside the threads that rerun the other sessions' scripts. Those reruns are
Python (pandas, Plotly, the page scripts) and hold the GIL; an eager forward of a MobileNet is
~100 small operator calls, each of which needs the GIL to start. This script measures both
placements under the same load:

- ``thread``: ``measure_latency`` in this process's main thread (as the app does);
- ``worker``: the same call in the app's measuring process (``explorer.measure_worker``, what the
  pages use since this benchmark), warmed up first, so only the measurement itself is compared,
  not a process start;

each with no load (``quiet``) and with ``--sessions`` threads of this process rerunning the V2 page
through Streamlit's AppTest in a loop (``loaded``: other users clicking in the same server). The
rounds interleave the four cases, so the machine's drift touches them alike. Every measurement is
V2 1.0/224, batch 1, 1 thread, one attempt (``max_attempts=1``: the raw figure and its verdict,
no retry hiding the difference).

    python benchmarks/bench_worker_process.py [--rounds 5] [--sessions 1] [--budget 2.0]

Only meaningful on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from _common import ROOT, fmt, report, summary


def summarize(r) -> dict:
    return {"median_ms": r.median_ms, "iqr_ms": r.iqr_ms, "quality": r.quality, "reasons": list(r.quality_reasons),
            "thread_cpu_share": r.window.thread_cpu_share, "others_cores": r.window.others_cores,
            "own_cores": r.window.own_cores}


def measure(budget_s: float, worker=None) -> dict:
    """One measurement, in this process's thread or in ``worker`` (a MeasuringProcess), summarized."""
    from explorer import paper_config
    from explorer.latency import measure_latency
    from explorer.measurement import LatencySettings

    settings = LatencySettings(threads=1, budget_s=budget_s)
    how = measure_latency if worker is None else worker.measure
    return summarize(how(paper_config("v2"), settings, max_attempts=1))


class Sessions:
    """``n`` threads, each rerunning the V2 page (a width change, then back) until stopped."""

    def __init__(self, n: int):
        self.n = n
        self.reruns = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _loop(self) -> None:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.run()
        at.switch_page("app_pages/v2.py").run()
        slider = next(s for s in at.slider if "width" in s.label.lower() or "α" in s.label)
        values = [0.75, 1.0]
        i = 0
        while not self._stop.is_set():
            slider.set_value(values[i % 2]).run()
            i += 1
            self.reruns += 1

    def __enter__(self) -> Sessions:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(self.n)]
        for t in self._threads:
            t.start()
        start = self.reruns
        while self.reruns < start + 2 * self.n:  # every session is past its first render: steady reruns
            self._stop.wait(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--budget", type=float, default=2.0)
    args = parser.parse_args()

    # AppTest runs each page script as __main__, so the worker is handed this module by its own name.

    from explorer.allocator import fix_allocator
    from explorer.measure_worker import MeasuringProcess

    fix_allocator()
    results: dict[str, list[dict]] = {f"{load}-{where}": [] for load in ("quiet", "loaded") for where in ("thread", "worker")}
    worker = MeasuringProcess()
    try:
        measure(0.3, worker)  # the worker's imports and first model: not part of the comparison
        measure(0.3)
        sessions = Sessions(args.sessions)
        for round_ in range(args.rounds):
            for load in ("quiet", "loaded"):
                for where in ("thread", "worker"):
                    with sessions if load == "loaded" else contextlib.nullcontext():
                        row = measure(args.budget, worker if where == "worker" else None)
                    results[f"{load}-{where}"].append(row)
                    print(f"round {round_ + 1} {load:6} {where:6}: {row['median_ms']:6.1f} ms {row['quality']:5} "
                          f"thread share {row['thread_cpu_share']:.2f}, others {row['others_cores']:.2f} cores, "
                          f"own {row['own_cores']:.2f} {('; ' + row['reasons'][0]) if row['reasons'] else ''}", flush=True)
    finally:
        worker.close()
    out = {}
    for case, rows in results.items():
        medians = summary([r["median_ms"] for r in rows])
        out[case] = {"median_ms": medians, "good": sum(r["quality"] == "good" for r in rows), "n": len(rows),
                     "thread_cpu_share": summary([r["thread_cpu_share"] for r in rows])}
        print(f"{case:14} {fmt(medians, 'ms')}, {out[case]['good']}/{len(rows)} good")
    report("worker_process", {"sessions": args.sessions, "budget_s": args.budget, **out})


if __name__ == "__main__":
    main()
