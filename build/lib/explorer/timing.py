"""One timing primitive for every measurement in the project (models, layers, single convs).

It wraps ``torch.utils.benchmark.Timer.blocked_autorange``: warm-up first, then blocks of runs
until the time budget is spent; that was the most robust method under this machine's noise
(FIELD-NOTES). Threads are set inside the measuring call, since torch's thread count is per OS
thread and Streamlit runs every rerun in a thread of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.utils.benchmark as benchmark


def available_cores() -> int:
    """Cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Timing:
    """Per-call wall time statistics, in seconds."""

    median: float
    iqr: float
    runs: int  # calls timed, all blocks together
    threads: int
    times: tuple[float, ...]  # per-call time of each block

    @property
    def median_ms(self) -> float:
        return self.median * 1e3

    @property
    def iqr_ms(self) -> float:
        return self.iqr * 1e3


def time_call(fn: Callable[[], object], *, threads: int | None = None, budget_s: float = 2.0, warmup: int = 2,
              sync_cuda: bool = False) -> Timing:
    """Median and IQR of ``fn()``'s wall time, within about ``budget_s`` seconds.

    ``threads`` defaults to all available cores. With ``sync_cuda`` each call is followed by
    ``torch.cuda.synchronize()`` so asynchronous GPU work is inside the timing.
    """
    threads = threads or available_cores()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        call = (lambda: (fn(), torch.cuda.synchronize())) if sync_cuda else fn
        for _ in range(warmup):
            call()
        timer = benchmark.Timer(stmt="call()", globals={"call": call}, num_threads=threads)
        m = timer.blocked_autorange(min_run_time=max(budget_s * 0.8, 0.01))
    finally:
        torch.set_num_threads(previous)
    return Timing(median=m.median, iqr=m.iqr, runs=len(m.times) * m.number_per_run, threads=threads, times=tuple(m.times))
