"""The one "check, lock, measure, store" path: every measurement the page, the CLI and the sweeps
(local and on Ray workers) make goes through :func:`measure_once`.

1. *check*: a good result the caller's store holds is returned, nothing is measured;
2. *lock*: the machine's measurement lock is taken (:class:`explorer.lock.MeasurementLock`); after
   a wait the store is read again, since the measurement waited for may have been this one (two
   sessions asking for the same model) and a good result is then reused;
3. *measure*: ``measure(config, settings, progress=..., **measure_kwargs)``, normally
   :func:`explorer.latency.measure_latency`, its progress published for the lock's waiters;
4. *store*: with ``put``, a new good figure is first checked against the stored good one
   (:func:`explorer.cross_check.settle`: measured once more when they disagree), then saved. A Ray
   worker has no store of its own: it passes no ``put`` and its driver stores (and cross-checks
   with :func:`explorer.cross_check.demote_if_disagreeing`, since it cannot measure again).

Store-free: the caller passes ``stored`` (its store's good result, or None) and ``put``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .cross_check import settle

if TYPE_CHECKING:
    from .config import MobileNetConfig
    from .lock import MeasurementLock, Waiting
    from .measurement import LatencyReport, LatencySettings


def measure_once(config: MobileNetConfig, settings: LatencySettings, *, lock: MeasurementLock,
                 measure: Callable[..., LatencyReport] | None = None,
                 stored: Callable[[], LatencyReport | None] | None = None,
                 put: Callable[[LatencyReport], Any] | None = None, remeasure: bool = False,
                 progress: Callable[[float, str], None] | None = None, on_wait: Callable[[Waiting], None] | None = None,
                 **measure_kwargs: Any) -> LatencyReport:
    """A stored good report (``from_store``), or a fresh one measured under ``lock`` (and saved with ``put``).

    ``remeasure`` skips both reads of the store (not the cross check). ``on_wait`` is called a few
    times a second while another measurement holds the lock; an exception from it (a page's stop,
    a sweep's stop) ends the wait with nothing measured.
    """
    from .measurement import describe_measurement

    if measure is None:
        from .latency import measure_latency as measure
    report_progress = progress or (lambda fraction, message: None)
    look = stored if stored is not None and not remeasure else (lambda: None)
    if (found := look()) is not None:
        report_progress(1.0, "reused a stored measurement")
        return found
    with lock.hold(describe_measurement(config, settings), on_wait=on_wait) as holding:
        if holding.waited_s > 0 and (found := look()) is not None:
            report_progress(1.0, "reused the measurement just made by another session")
            return dataclasses.replace(found, waited_s=holding.waited_s)

        shown = 0.0

        def both(fraction: float, message: str) -> None:
            nonlocal shown
            shown = max(shown, fraction)  # a cross-check's second measurement does not move the bar back
            holding.report(shown, message)
            report_progress(shown, message)

        report = measure(config, settings, progress=both, **measure_kwargs)
        if put is not None:
            # A good figure far from the stored good one is measured once more before anything is stored.
            again = lambda: measure(config, settings, progress=both, **measure_kwargs)  # noqa: E731
            report = settle(stored() if stored is not None else None, report, again, both)
        report = dataclasses.replace(report, waited_s=holding.waited_s)
        if put is not None:
            put(report)
    return report


def machine_lock() -> MeasurementLock:
    """This machine's measurement lock (used on Ray workers, which have no store): the same file the
    app and the CLI take, whatever their store (:func:`explorer.lock.machine_lock_path`)."""
    from .lock import MeasurementLock

    return MeasurementLock.machine()
