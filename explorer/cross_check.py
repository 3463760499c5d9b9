"""A verdict across measurements: does a new good figure agree with the stored good one of its key?

Each measurement is judged on its own window (:mod:`explorer.quality`), but a process can be
steady, tight and wrong (the allocator's slow mode was 1.6× off and judged good). So a new good
figure is compared with the stored good figure of the same key (config, settings, runtime,
machine) before it is stored. Within :data:`explorer.quality.MAX_REPEAT_RATIO` they agree. If they
do not, :func:`settle` measures once more and keeps the figure two of the three agree on, writing
the disagreement into the report's ``cross_check``; if none agree, the new figure is kept as noisy
and the stored one stays. A caller that cannot measure again (a sweep's driver, whose
measurements run on workers) uses :func:`demote_if_disagreeing`. Torch-free, store-free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .measurement import LatencyReport
from .quality import MAX_REPEAT_RATIO, NOISY


def agree(a_ms: float, b_ms: float) -> bool:
    """Two figures of one key within the repeatability bound of each other."""
    low, high = sorted((a_ms, b_ms))
    return low > 0 and high / low <= MAX_REPEAT_RATIO


def _disagreement(stored: LatencyReport, report: LatencyReport) -> str:
    return (f"this measurement ({report.median_ms:.2f} ms) disagreed with the stored good one "
            f"({stored.median_ms:.2f} ms, {stored.started_at[:19]}) by more than {MAX_REPEAT_RATIO:g}×")


def _noisy(report: LatencyReport, reason: str) -> LatencyReport:
    return dataclasses.replace(report, quality=NOISY, quality_reasons=(*report.quality_reasons, reason), cross_check=reason)


def settle(stored: LatencyReport | None, report: LatencyReport, again: Callable[[], LatencyReport],
           progress: Callable[[float, str], None]) -> LatencyReport:
    """The report to store once a new good ``report`` has been checked against the ``stored`` good one."""
    if stored is None or not report.reusable or agree(stored.median_ms, report.median_ms):
        return report
    first = _disagreement(stored, report)
    progress(0.0, f"{first}; measuring once more")
    third = again()
    if third.reusable and agree(third.median_ms, report.median_ms):
        return dataclasses.replace(third, cross_check=f"{first}; measured again: {third.median_ms:.2f} ms, "
                                                      "agreeing with this one, which replaces the stored figure")
    if third.reusable and agree(third.median_ms, stored.median_ms):
        # The stored figure is confirmed: the new measurement that agrees with it (fresh conditions) takes its place.
        return dataclasses.replace(third, cross_check=f"{first}; measured again: {third.median_ms:.2f} ms, "
                                                      "agreeing with the stored figure, kept")
    return _noisy(report, f"{first}, and a third measurement ({third.median_ms:.2f} ms, {third.quality}) agreed with "
                          "neither: kept as noisy; the stored good figure stays")


def demote_if_disagreeing(stored: LatencyReport | None, report: LatencyReport) -> LatencyReport:
    """Without a third measurement: a new good figure far from the stored good one is kept as noisy."""
    if stored is None or not report.reusable or agree(stored.median_ms, report.median_ms):
        return report
    return _noisy(report, f"{_disagreement(stored, report)}: kept as noisy, the stored figure stays "
                          "(profile --latency --remeasure settles it with a third measurement)")
