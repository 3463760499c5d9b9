"""A measured sweep's progress: a snapshot a page or a terminal reads, and durations in words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SweepProgress:
    """A snapshot of a job, safe to read from another thread (a Streamlit page polling it)."""

    state: str
    total: int
    measured: int
    reused: int
    failed: int
    running: tuple[str, ...]  # labels of the points being measured now (on a cluster: sent to it, measuring or queued)
    message: str  # the latest word from the running measurement ("timing the whole model", "waiting ...")
    elapsed_s: float
    eta_s: float | None  # None until one point has been measured
    parallelism: int  # points measured at once (1 locally; the cluster's latency slots on Ray)
    error: str | None = None

    @property
    def done(self) -> int:
        return self.measured + self.reused + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def line(self) -> str:
        """One line for a terminal: ``12/40 done (9 measured, 3 reused), 28 left, about 2 min 20 s left``."""
        parts = [f"{self.measured} measured", f"{self.reused} reused"] + ([f"{self.failed} failed"] if self.failed else [])
        if self.remaining == 0:
            return f"{self.done}/{self.total} done ({', '.join(parts)}) in {format_duration(self.elapsed_s)}"
        eta = "estimating time left" if self.eta_s is None else f"about {format_duration(self.eta_s)} left"
        return f"{self.done}/{self.total} done ({', '.join(parts)}), {self.remaining} to go, {eta}"


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
