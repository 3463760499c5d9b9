"""Is a latency measurement trustworthy? A verdict, ``good`` or ``noisy``, with the reasons.

Two kinds of evidence, both over the measuring window itself:

* **The measurement**: the spread of the whole-model samples (IQR relative to the median), how
  many samples there are, and whether the per-layer times add up to the whole (coverage).
* **The memory**: page faults per timed run. A steady-state forward reuses its buffers and
  faults nothing; one whose allocator hands them back faults them in again every run and is
  slower by a constant factor, with a tight spread (:mod:`explorer.allocator`).
* **The machine** (psutil and the thread's own clock): how much CPU *other* processes used on
  the cores this process may run on (busy time of those cores, minus this process's own CPU
  time, steal time included), and how much of the wall time the measuring thread actually ran
  (a thread that waits for a CPU shows as a share below 1).

"Other processes" means other *processes*: in the app, other sessions' threads share the server
process and count as its own CPU; if they compete with the measuring thread, its CPU share shows it.

The thresholds below were chosen from measurements on a quiet and on loaded machines
(``benchmarks/collect_quality_data.py``; the README's Latency section gives the data). A
measurement is ``good`` only when every check passes. Torch-free.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import psutil

from .allocator import page_faults
from .machine import available_cores

GOOD, NOISY, UNVERIFIED = "good", "noisy", "unverified"
QUALITIES = (GOOD, NOISY, UNVERIFIED)

# --- thresholds -------------------------------------------------------------------------------
# From benchmarks/collect_quality_data.py, V2 1.0/224 batch 1 on 2 cores (README, "Latency": the
# data). "Quiet": an idle 16-core VM restricted to 2 cores (taskset); "loaded": the shared 2-core
# dev machine with other people's work, and both machines with CPU hogs.
#
# Whole-model IQR / median. Quiet: 1.7–30%, median 5% at 1 thread (13% at 2 threads on that VM);
# loaded: 4.6% to over 1000%. The spread alone does not separate them (a hog moved one median
# from 26 to 44 ms at 7% IQR), so it is one check among several, set to flag what is plainly wide.
MAX_RELATIVE_IQR = 0.08
# Fewer whole-model samples than this and the IQR is not an estimate (timing.MIN_SAMPLES gives 5).
MIN_SAMPLES = 5
# Per-layer sum / whole-model median. Quiet: 0.70–1.38; loaded: 0.02 to 19.8, mostly 0.3–0.7 at
# 1 thread (a preempted layer inflates the sum, a preempted whole-model run deflates it).
COVERAGE_RANGE = (0.65, 1.5)
# Cores' worth of CPU that other processes may use during the window, on any of this process's
# cores. Quiet: 0.00–0.05; loaded: 0.42–1.83. A "free" core does not protect a 1-thread
# measurement: a hog on the other core moved V2 from 17.6 to 24.9 ms on the 2-core dev machine
# (the cores share caches and memory bandwidth, and may be hyperthreads of one core).
MAX_OTHERS_CORES = 0.25
# The measuring thread's CPU time / wall time. Quiet: 0.992–1.0 at 1 and 2 threads; loaded:
# 0.09–0.67, and exactly 0.50 with a hog on each core.
MIN_THREAD_CPU_SHARE = 0.9
# Minor + major page faults per timed run (whole-model forward or runtime call), against the pages
# of the model's output activations per run (fp32, the whole batch: what a forward writes).
# benchmarks/collect_quality_data.py, 1 thread, on the busy dev machine (faults do not depend on
# CPU contention):
#   fixed policy (explorer.allocator): V2 1.0/224 0–0.3 per run (0 ‰ of its 6,524 pages); V1
#     0.25/128 0–0.7; V2 batch 8 0–158 (0.3% of 52,192 pages); glibc's adaptive thresholds when
#     they land well: 0–236 (3.6%);
#   forced to hand memory back (M_TRIM_THRESHOLD 0): V2 1.0/224 20,812–21,429 (3.2× its pages),
#     29.5–39 ms against 12–17; V1 0.25/128 517–808 (1.3×); malloc_trim between forwards: V2 5,039
#     (0.77×); unfixed slow processes (FIELD-NOTES) ~4,900.
# So the limit is a quarter of the activation pages: 3× below the mildest give-back mode, 7× above
# the worst steady state; with a floor, so that a tiny model is not judged by a handful of faults
# that another thread of an app server may add.
FAULTS_PER_ACTIVATION_PAGE = 0.25
MIN_PAGE_FAULT_LIMIT = 100
# The limit when the activation size is not known (a caller of verdict() without it).
MAX_PAGE_FAULTS_PER_RUN = 500
PAGE_BYTES = 4096


def page_fault_limit(activation_bytes: float | None) -> float:
    """Page faults per run above which memory is being handed back and faulted in again every run."""
    if not activation_bytes:
        return MAX_PAGE_FAULTS_PER_RUN
    return max(MIN_PAGE_FAULT_LIMIT, FAULTS_PER_ACTIVATION_PAGE * activation_bytes / PAGE_BYTES)


# Two good measurements of one key (same config, settings, runtime, machine) taken at different
# times may differ by this factor at most. The repeatability target is 1.05 (max/min of the
# medians of 10 fresh processes on a quiet machine, benchmarks/bench_repeatability.py); twice
# that margin leaves room for an ordinary busy machine, and is far below the 1.6× of the
# allocator's two modes. Past it, explorer.store measures once more before it stores anything.
MAX_REPEAT_RATIO = 1.10
# Before a noisy attempt is retried, the machine must have been quiet (other processes and this
# process's other threads below MAX_OTHERS_CORES) for QUIET_FOR_S, waiting at most QUIET_MAX_WAIT_S.
QUIET_FOR_S = 0.5
QUIET_MAX_WAIT_S = 10.0
QUIET_STEP_S = 0.25
# A window shorter than this says little about the machine (the kernel counts CPU time in 10 ms
# ticks), so the machine checks are skipped and only the measurement's own evidence counts.
MIN_WINDOW_S = 0.25


@dataclass(frozen=True)
class MachineWindow:
    """What the machine did while a measurement ran."""

    wall_s: float
    cores: int  # cores this process may run on
    others_cores: float  # average cores' worth of CPU other processes used on them (steal included)
    own_cores: float  # average CPU use of this whole process
    thread_cpu_share: float  # measuring thread's CPU time / wall time
    load_1min: float  # the 1-minute load average at the end (for the record; too slow to judge by)
    page_faults: int = 0  # minor + major page faults of this process during the window

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _busy_seconds(cores: set[int] | None) -> float:
    """CPU seconds spent busy on ``cores`` since boot, every process together (steal counts as busy)."""
    per_cpu = psutil.cpu_times(percpu=True)
    total = 0.0
    for index, t in enumerate(per_cpu):
        if cores is not None and index not in cores:
            continue
        busy = t.user + t.system + getattr(t, "nice", 0.0) + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
        total += busy + getattr(t, "steal", 0.0)  # guest time is already inside user
    return total


def _affinity() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:
        return None


class WatchMachine:
    """Context manager: ``with WatchMachine() as watch: ...`` then ``watch.window``.

    Call it from the thread that measures: the thread CPU share is that thread's.
    """

    def __enter__(self) -> WatchMachine:
        self._cores = _affinity()
        self._process = psutil.Process()
        self._busy0 = _busy_seconds(self._cores)
        own = self._process.cpu_times()
        self._own0 = own.user + own.system
        self._faults0 = page_faults()
        self._thread0 = time.thread_time()
        self._wall0 = time.perf_counter()
        self.window: MachineWindow | None = None
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall0
        faults = page_faults() - self._faults0
        thread = time.thread_time() - self._thread0
        own = self._process.cpu_times()
        own_s = own.user + own.system - self._own0
        busy_s = _busy_seconds(self._cores) - self._busy0
        wall = max(wall, 1e-9)
        self.window = MachineWindow(
            wall_s=wall,
            cores=len(self._cores) if self._cores else available_cores(),
            others_cores=max(0.0, busy_s - own_s) / wall,
            own_cores=own_s / wall,
            thread_cpu_share=min(thread / wall, 1.0),
            load_1min=psutil.getloadavg()[0],
            page_faults=faults,
        )


def verdict(*, median_ms: float, iqr_ms: float, samples: int, coverage: float | None, window: MachineWindow | None,
            check_thread_share: bool = True, page_faults_per_run: float | None = None,
            activation_bytes: float | None = None) -> tuple[str, tuple[str, ...]]:
    """``("good", ())`` or ``("noisy", reasons)``; each reason is a sentence with the number and the limit.

    ``activation_bytes``: the output activations of one run (the whole batch), which scale the page-fault limit.
    """
    reasons = []
    fault_limit = page_fault_limit(activation_bytes)
    if page_faults_per_run is not None and page_faults_per_run > fault_limit:
        reasons.append(f"{page_faults_per_run:,.0f} page faults per run (limit {fault_limit:,.0f}): memory is handed back "
                       "to the system and faulted in again every run, so this is not the steady state")
    if samples < MIN_SAMPLES:
        reasons.append(f"only {samples} timed sample{'s' if samples != 1 else ''} of the whole model (at least {MIN_SAMPLES} needed for a spread)")
    relative = iqr_ms / median_ms if median_ms > 0 else float("inf")
    if relative > MAX_RELATIVE_IQR:
        reasons.append(f"wide spread: IQR {iqr_ms:.2f} ms is {relative:.0%} of the median (limit {MAX_RELATIVE_IQR:.0%})")
    if coverage is not None and not COVERAGE_RANGE[0] <= coverage <= COVERAGE_RANGE[1]:
        reasons.append(f"the per-layer times add up to {coverage:.0%} of the whole-model median "
                       f"(expected {COVERAGE_RANGE[0]:.0%}–{COVERAGE_RANGE[1]:.0%})")
    if window is not None and window.wall_s >= MIN_WINDOW_S:
        if window.others_cores > MAX_OTHERS_CORES:
            reasons.append(f"other processes used {window.others_cores:.2f} of the {window.cores} cores during the measurement "
                           f"(limit {MAX_OTHERS_CORES:.2f}: they share caches and memory bandwidth, if not the cores themselves)")
        if check_thread_share and window.thread_cpu_share < MIN_THREAD_CPU_SHARE:
            reasons.append(f"the measuring thread ran only {window.thread_cpu_share:.0%} of the time, waiting for a CPU "
                           f"the rest (limit {MIN_THREAD_CPU_SHARE:.0%})")
    return (NOISY if reasons else GOOD), tuple(reasons)


def wait_for_quiet(*, max_wait_s: float = QUIET_MAX_WAIT_S, quiet_s: float = QUIET_FOR_S, step_s: float = QUIET_STEP_S,
                   on_wait: Callable[[float], None] | None = None) -> tuple[bool, float]:
    """Wait until the machine has been quiet for ``quiet_s`` (or ``max_wait_s`` have passed): ``(quiet, waited_s)``.

    Quiet: the CPU used by other processes *and by this process's other threads* (other sessions
    of an app server) stays below :data:`MAX_OTHERS_CORES`, judged over windows of ``step_s``
    while this thread sleeps. ``on_wait(waited_s)`` is called after every window that was not
    yet enough, so a page can say that the measurement waits for quiet.
    """
    start, quiet_since = time.monotonic(), None
    while True:
        with WatchMachine() as watch:
            time.sleep(step_s)  # the observation window itself, not a pause hoping for the best
        now = time.monotonic()
        window = watch.window
        busy = window.others_cores + window.own_cores if window is not None else 0.0
        if busy <= MAX_OTHERS_CORES:
            quiet_since = quiet_since if quiet_since is not None else now - step_s
            if now - quiet_since >= quiet_s:
                return True, now - start
        else:
            quiet_since = None
        if now - start >= max_wait_s:
            return False, now - start
        if on_wait is not None:
            on_wait(now - start)


@contextmanager
def cpu_hogs(count: int) -> Iterator[list[subprocess.Popen]]:
    """A deliberately loaded machine: ``count`` processes that each spin one core until the block ends.

    For checking the verdict (tests, ``benchmarks/collect_quality_data.py``); the processes are
    ended, and waited for, however the block ends.
    """
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.3)  # interpreter start-up: let them reach their loops
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()
