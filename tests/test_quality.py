"""The quality verdict: each check on its own numbers, and the machine watch against a real CPU hog."""

import time

import pytest

from explorer.machine import available_cores
from explorer.quality import (
    COVERAGE_RANGE,
    GOOD,
    MAX_OTHERS_CORES,
    MAX_RELATIVE_IQR,
    MIN_SAMPLES,
    MIN_THREAD_CPU_SHARE,
    MIN_WINDOW_S,
    NOISY,
    MachineWindow,
    WatchMachine,
    cpu_hogs,
    verdict,
)


def window(**changes) -> MachineWindow:
    values = dict(wall_s=1.0, cores=2, others_cores=0.0, own_cores=1.0, thread_cpu_share=1.0, load_1min=0.5)
    return MachineWindow(**{**values, **changes})


def judge(**changes):
    values = dict(median_ms=10.0, iqr_ms=0.2, samples=40, coverage=0.95, window=window())
    return verdict(**{**values, **changes})


def test_a_clean_measurement_is_good():
    assert judge() == (GOOD, ())
    assert judge(coverage=None, window=None) == (GOOD, ())  # nothing to hold against it


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"iqr_ms": 10.0 * MAX_RELATIVE_IQR * 1.01}, "wide spread: IQR 0.81 ms is 8% of the median"),
        ({"samples": MIN_SAMPLES - 1}, f"only {MIN_SAMPLES - 1} timed samples"),
        ({"samples": 1}, "only 1 timed sample of"),
        ({"coverage": 41.91}, "add up to 4191% of the whole-model median"),
        ({"coverage": 0.26}, "add up to 26% of the whole-model median"),
        ({"window": window(others_cores=MAX_OTHERS_CORES + 0.01)}, f"other processes used {MAX_OTHERS_CORES + 0.01:.2f} of the 2 cores"),
        ({"window": window(thread_cpu_share=MIN_THREAD_CPU_SHARE - 0.01)}, f"the measuring thread ran only {MIN_THREAD_CPU_SHARE - 0.01:.0%} of the time"),
    ],
)
def test_each_check_flags_with_its_number(changes, fragment):
    quality, reasons = judge(**changes)
    assert quality == NOISY
    assert len(reasons) == 1 and fragment in reasons[0], reasons


def test_limits_themselves_pass():
    low, high = COVERAGE_RANGE
    assert judge(iqr_ms=10.0 * MAX_RELATIVE_IQR, coverage=low)[0] == GOOD
    assert judge(coverage=high, samples=MIN_SAMPLES)[0] == GOOD
    assert judge(window=window(others_cores=MAX_OTHERS_CORES, thread_cpu_share=MIN_THREAD_CPU_SHARE))[0] == GOOD


def test_a_busy_other_core_counts_even_for_one_thread():
    # One core's worth of other work next to a 1-thread measurement: not "free", it slows it down.
    quality, reasons = judge(window=window(others_cores=1.0))
    assert quality == NOISY and "other processes used 1.00 of the 2 cores" in reasons[0]


def test_thread_share_is_skipped_when_the_caller_does_not_compute():
    idle_caller = window(thread_cpu_share=0.1)  # e.g. CUDA: the thread waits for the GPU
    assert judge(window=idle_caller)[0] == NOISY
    assert verdict(median_ms=10.0, iqr_ms=0.2, samples=40, coverage=0.95, window=idle_caller,
                   check_thread_share=False) == (GOOD, ())


def test_a_short_window_says_nothing_about_the_machine():
    short = window(wall_s=MIN_WINDOW_S / 2, others_cores=2.0, thread_cpu_share=0.1)
    assert judge(window=short) == (GOOD, ())


def test_all_reasons_are_listed_together():
    quality, reasons = judge(iqr_ms=5.0, samples=1, coverage=3.0, window=window(others_cores=2.0, thread_cpu_share=0.5))
    assert quality == NOISY and len(reasons) == 5


def spin_cpu(cpu_seconds: float) -> None:
    """Run until this thread has had ``cpu_seconds`` of CPU, however long that takes on a busy machine."""
    end = time.thread_time() + cpu_seconds
    while time.thread_time() < end:
        pass


def test_watch_measures_this_threads_share_of_the_wall_time():
    start_cpu, start_wall = time.thread_time(), time.perf_counter()
    with WatchMachine() as watch:
        spin_cpu(0.3)
    cpu, wall = time.thread_time() - start_cpu, time.perf_counter() - start_wall
    w = watch.window
    assert w.cores == available_cores() and 0 < w.wall_s <= wall
    assert w.thread_cpu_share == pytest.approx(min(cpu / wall, 1.0), abs=0.05)
    assert w.own_cores >= w.thread_cpu_share - 0.05  # the process ran at least this thread's work
    with WatchMachine() as idle:
        time.sleep(0.4)
    assert idle.window.thread_cpu_share < 0.1  # sleeping is not running


def test_watch_sees_a_hog_on_every_core():
    cores = available_cores()
    with cpu_hogs(cores) as hogs:
        assert all(p.poll() is None for p in hogs)
        with WatchMachine() as watch:
            time.sleep(0.6)  # this process is idle: whatever is busy is someone else
    assert all(p.poll() is not None for p in hogs)  # ended with the block
    assert watch.window.others_cores > 0.8 * cores
    assert watch.window.own_cores < 0.3
