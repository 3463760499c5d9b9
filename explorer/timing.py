"""One timing primitive for every measurement in the project (models, layers, single convs).

It wraps ``torch.utils.benchmark.Timer.blocked_autorange``: warm-up first, then blocks of runs
until the time budget is spent; that was the most robust method under this machine's noise
(FIELD-NOTES). A slow call (a large batch) gets fewer blocks than the budget would like, so the
timing goes on until it has ``min_samples`` blocks: an IQR needs several samples, and "1 run,
IQR 0" is not a measurement.

Every timing runs under the fixed allocator policy (:func:`explorer.allocator.fix_allocator`),
and counts the page faults and the machine's activity over the timed runs alone (after the
warm-up): :attr:`Timing.window`, the evidence of the quality verdict.

Threads are set inside the measuring call (:func:`torch_threads`), since torch's thread count is
per OS thread and Streamlit runs every rerun in a thread of its own.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.utils.benchmark as benchmark

from .allocator import fix_allocator
from .machine import available_cores
from .quality import MachineWindow, WatchMachine

# Whole-model samples (blocks) below which a median and IQR say little. 5 samples give
# quartiles from real points; a slow model pays with time, a fast one already has dozens.
MIN_SAMPLES = 5

__all__ = ["MIN_SAMPLES", "Timing", "available_cores", "quartiles", "time_call", "torch_threads"]


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Set torch's intra-op thread count for this OS thread only, and restore it afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def quartiles(samples: list[float] | tuple[float, ...]) -> tuple[float, float, float]:
    """(q1, median, q3) with linear interpolation (numpy's default, as ``torch.utils.benchmark`` uses)."""
    if len(samples) == 1:
        return (samples[0],) * 3
    q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return q1, median, q3


@dataclass(frozen=True)
class Timing:
    """Per-call wall time statistics, in seconds."""

    median: float
    iqr: float
    runs: int  # calls timed, all blocks together
    threads: int
    times: tuple[float, ...]  # per-call time of each block
    window: MachineWindow | None = None  # what the machine (and the allocator) did during the timed runs

    @property
    def page_faults_per_run(self) -> float | None:
        return self.window.page_faults / self.runs if self.window is not None and self.runs else None

    @property
    def median_ms(self) -> float:
        return self.median * 1e3

    @property
    def iqr_ms(self) -> float:
        return self.iqr * 1e3


def time_call(fn: Callable[[], object], *, threads: int | None = None, budget_s: float = 2.0, warmup: int = 2,
              sync_cuda: bool = False, min_samples: int = 1) -> Timing:
    """Median and IQR of ``fn()``'s wall time, within about ``budget_s`` seconds.

    ``threads`` defaults to all available cores. With ``sync_cuda`` each call is followed by
    ``torch.cuda.synchronize()`` so asynchronous GPU work is inside the timing. With
    ``min_samples`` > 1 single calls are added until there are that many samples, whatever the
    budget.
    """
    threads = threads or available_cores()
    fix_allocator()
    with torch_threads(threads):
        call = (lambda: (fn(), torch.cuda.synchronize())) if sync_cuda else fn
        for _ in range(warmup):
            call()
        timer = benchmark.Timer(stmt="call()", globals={"call": call}, num_threads=threads)
        with WatchMachine() as watch:
            m = timer.blocked_autorange(min_run_time=max(budget_s * 0.8, 0.01))
            times, runs = list(m.times), len(m.times) * m.number_per_run
            while len(times) < min_samples:
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
                runs += 1
    q1, median, q3 = quartiles(times)
    return Timing(median=median, iqr=q3 - q1, runs=runs, threads=threads, times=tuple(times), window=watch.window)
