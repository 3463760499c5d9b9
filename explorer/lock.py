"""One latency measurement at a time on a machine, across processes and Streamlit sessions.

Two measurements running together slow each other down and both come out wrong, so every
measurement that the app, the CLI or the benchmarks start takes one exclusive lock first: a
``filelock.FileLock`` (``flock`` on Unix) on ``latency.lock`` next to the store. The kernel drops
an ``flock`` when its process dies, so a crashed measurer never leaves the lock held. Each
acquisition uses its own lock object, hence its own file descriptor: two threads of one process
(two Streamlit sessions) exclude each other exactly as two processes do.

Waiting is visible: the holder writes what it measures and how far it is into a small status
file beside the lock (``latency.lock.json``, replaced atomically), and a waiter polls the lock a
few times a second, passing :class:`Waiting` (seconds waited, the holder's status) to its
``on_wait`` callback: the app draws it as a progress bar, the CLI prints it.

Torch-free.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = "latency.lock"
POLL_S = 0.25  # how often a waiter retries the lock and reports; cheap (a non-blocking flock)
MAX_WAIT_S = 900.0  # 15 minutes: ~5 long measurements queued ahead; past that, something is stuck


class LockTimeout(RuntimeError):
    """The lock stayed held longer than the caller was willing to wait."""


@dataclass(frozen=True)
class HolderStatus:
    """What the measurement holding the lock said about itself, last time it reported."""

    pid: int
    what: str  # describe_measurement(...) of the running measurement
    since: str  # ISO 8601, when it took the lock
    fraction: float  # its progress, 0–1
    message: str


@dataclass(frozen=True)
class Waiting:
    waited_s: float
    holder: HolderStatus | None  # None when the holder has not reported yet (or cannot be read)


@dataclass
class Holding:
    """Handed to the code that holds the lock: ``waited_s``, and :meth:`report` for waiters to read."""

    lock: MeasurementLock
    what: str
    since: str
    waited_s: float

    def report(self, fraction: float, message: str) -> None:
        """Publish progress for waiting sessions and processes (best effort: never raises)."""
        status = {"pid": os.getpid(), "what": self.what, "since": self.since, "fraction": float(fraction), "message": message}
        tmp = self.lock.status_path.with_name(f"{self.lock.status_path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(status), encoding="utf-8")
            os.replace(tmp, self.lock.status_path)  # atomic: a reader sees the old or the new status
        except OSError:
            with suppress(OSError):
                tmp.unlink()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


class MeasurementLock:
    """The machine's measurement lock at ``path`` (a ``latency.lock`` file; its folder is created)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.status_path = self.path.with_name(self.path.name + ".json")

    @classmethod
    def beside(cls, store_path: str | os.PathLike[str]) -> MeasurementLock:
        """The lock next to a store file: everyone using that store shares it."""
        return cls(Path(store_path).with_name(LOCK_NAME))

    def holder(self) -> HolderStatus | None:
        """The current holder's last status, or None (not held, not reported yet, or unreadable)."""
        try:
            data = json.loads(self.status_path.read_text(encoding="utf-8"))
            return HolderStatus(**{k: data[k] for k in ("pid", "what", "since", "fraction", "message")})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def is_held(self) -> bool:
        """Whether some measurement holds the lock right now (a non-blocking try)."""
        probe = FileLock(str(self.path))
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return True
        except OSError:
            return False
        probe.release()
        return False

    @contextmanager
    def hold(self, what: str, *, on_wait: Callable[[Waiting], None] | None = None, max_wait_s: float = MAX_WAIT_S,
             poll_s: float = POLL_S) -> Iterator[Holding]:
        """Hold the lock for the duration of the ``with`` block, waiting (and reporting) while another has it.

        Raises :class:`LockTimeout` after ``max_wait_s`` seconds of waiting. An exception from
        ``on_wait`` (Streamlit stops a script that way) ends the wait with nothing held.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path))  # a fresh object per acquisition: its own descriptor
        start, waited = time.monotonic(), 0.0
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except Timeout:
                waited = time.monotonic() - start
                if waited >= max_wait_s:
                    holder = self.holder()
                    raise LockTimeout(f"another latency measurement has held {self.path} for over {max_wait_s:g} s"
                                      + (f" ({holder.what}, pid {holder.pid})" if holder else "")) from None
                if on_wait is not None:
                    on_wait(Waiting(waited, self.holder()))
                time.sleep(poll_s)
                waited = time.monotonic() - start  # > 0 from the first failed try: this one waited
        holding = Holding(self, what, _now(), waited)
        try:
            holding.report(0.0, "starting")
            yield holding
        finally:
            with suppress(OSError):
                self.status_path.unlink()  # nobody is measuring: waiters must not show stale progress
            lock.release()
