"""Measuring one point of a sweep: under the machine's lock, reading the store again after a wait.

Used by the local backend (in the job's thread) and by the Ray backend's tasks (on the workers).
Store-free: the caller passes ``reuse``, a way to ask its store for a good result stored while
the point waited for the lock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import MobileNetConfig
    from .lock import MeasurementLock, Waiting
    from .measurement import LatencyReport, LatencySettings


def measure(config: MobileNetConfig, settings: LatencySettings, *, lock: Any = None,
            progress: Callable[[float, str], None] | None = None, on_wait: Callable[[str], None] | None = None,
            reuse: Callable[[], LatencyReport | None] | None = None) -> LatencyReport:
    """One measurement, under the machine's measurement lock when one is given.

    Never passes a store: the caller (the sweep's driver) decides what is kept. After waiting
    for the lock, ``reuse()`` is asked for a good result stored meanwhile (by the measurement
    waited for, or another sweep): that one comes back (``from_store``) and nothing is measured.
    """
    from .latency import measure_latency
    from .measurement import describe_measurement

    wait = (lambda waiting: on_wait(_describe_wait(waiting))) if on_wait is not None else None
    if lock is None:
        return measure_latency(config, settings, progress=progress)
    with lock.hold(describe_measurement(config, settings), on_wait=wait) as holding:
        if holding.waited_s > 0 and reuse is not None and (stored := reuse()) is not None:
            return dataclasses.replace(stored, waited_s=holding.waited_s)

        def both(fraction: float, message: str) -> None:
            holding.report(fraction, message)
            if progress is not None:
                progress(fraction, message)

        return dataclasses.replace(measure_latency(config, settings, progress=both), waited_s=holding.waited_s)


def _describe_wait(waiting: Waiting) -> str:
    holder = waiting.holder
    what = f" ({holder.what}, pid {holder.pid})" if holder is not None else ""
    return f"waiting for another measurement on this machine{what}, {waiting.waited_s:.0f} s so far"


def machine_lock() -> MeasurementLock:
    """This machine's measurement lock (used on Ray workers, which have no store): the same file the
    app and the CLI take, whatever their store (:func:`explorer.lock.machine_lock_path`)."""
    from .lock import MeasurementLock

    return MeasurementLock.machine()
