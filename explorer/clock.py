"""The one wall clock of measurements: UTC, ISO 8601 with microseconds.

Measurement intervals (``started_at``/``finished_at``, a lock's ``since``, a sweep task's times)
are compared across processes and machines, so every one of them comes from here.
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> str:
    """Now, in UTC, as ISO 8601 with microseconds (``2026-12-05T02:31:00.123456+00:00``)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
