"""One latency measurement at a time on a machine, across processes and Streamlit sessions.

Two measurements running together slow each other down and both come out wrong, so every
measurement (the one path, :func:`explorer.measure_once.measure_once`: the app, ``profile
--latency``, sweeps, Ray workers), the app's other CPU-heavy jobs and the latency benchmarks take
one exclusive lock first (not the CLI's one-off ``export --format onnx|pte|tflite``, nor a library
call of ``measure_latency`` without ``lock=``): a ``filelock.FileLock`` (``flock`` on Unix) on the machine's lock file,
:func:`machine_lock_path`. It is one file per machine, whatever the store, the checkout or the
installed package: ``/tmp/mobilenet-explorer/latency.lock`` on Linux and macOS (a fixed path,
not ``$TMPDIR``, which differs between a desktop session, a service and a Ray worker; ``/tmp``
is on every such machine and writable by every user; the folder is made world-writable with the
sticky bit, as ``/tmp`` itself). ``$MOBILENET_EXPLORER_LOCK_DIR`` moves it: the test suite sets
it so that its tests never wait for, or hold up, a real measurement on the machine. The kernel drops
an ``flock`` when its process dies, so a crashed measurer never leaves the lock held. Each
acquisition uses its own lock object, hence its own file descriptor: two threads of one process
(two Streamlit sessions) exclude each other exactly as two processes do.

Waiting is visible: the holder writes what it measures and how far it is into a small status
file beside the lock (``latency.lock.json``, replaced atomically), and a waiter polls the lock a
few times a second, passing :class:`Waiting` (seconds waited, the holder's status) to its
``on_wait`` callback: the app draws it as a progress bar, the CLI prints it.

Whether the lock is held, and by whom, is read without taking it (:meth:`MeasurementLock.is_held`
reads the kernel's list of locks, ``/proc/locks``): taking it to look would make a real
measurement starting at that moment wait, and print a spurious "waiting".

Torch-free.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from .clock import utc_now

LOCK_NAME = "latency.lock"
ENV_LOCK_DIR = "MOBILENET_EXPLORER_LOCK_DIR"
MACHINE_LOCK_DIR = "mobilenet-explorer"
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

    def holder_text(self) -> str:
        """The measurement waited for, in words (``what: message, 40%``): the one rendering the CLI,
        the sweeps and the pages share."""
        holder = self.holder
        return f"{holder.what}: {holder.message}, {holder.fraction:.0%}" if holder else "it is starting"

    def text(self) -> str:
        """One line for a terminal or a sweep's progress: who is waited for and for how long."""
        return f"waiting for another latency measurement on this machine ({self.holder_text()}), {self.waited_s:.0f} s so far"


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


def machine_lock_path() -> Path:
    """The machine's one lock file (see the module's docstring for why there)."""
    if os.environ.get(ENV_LOCK_DIR):
        return Path(os.environ[ENV_LOCK_DIR]) / LOCK_NAME
    import tempfile

    root = Path("/tmp") if os.name == "posix" and Path("/tmp").is_dir() else Path(tempfile.gettempdir())
    return root / MACHINE_LOCK_DIR / LOCK_NAME


def _flock_holders(path: Path) -> list[int] | None:
    """PIDs holding an ``flock`` on ``path`` per ``/proc/locks``; None where that cannot be read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return []
    except OSError:
        return None
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    # "1: FLOCK  ADVISORY  WRITE 12345 00:2a:1234567 0 EOF": the device is major:minor in hex.
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    pids = []
    for line in lines:
        parts = line.split()
        if "->" in parts:  # a blocked waiter's line: "1: -> FLOCK ..."
            continue
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == want:
            pids.append(int(parts[4]))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


class MeasurementLock:
    """The machine's measurement lock at ``path`` (a ``latency.lock`` file; its folder is created)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.status_path = self.path.with_name(self.path.name + ".json")

    @classmethod
    def machine(cls) -> MeasurementLock:
        """The machine's lock: the same file for every store, checkout, package and Ray worker."""
        return cls(machine_lock_path())

    def holder(self) -> HolderStatus | None:
        """The current holder's last status, or None (not held, not reported yet, or unreadable)."""
        try:
            data = json.loads(self.status_path.read_text(encoding="utf-8"))
            return HolderStatus(**{k: data[k] for k in ("pid", "what", "since", "fraction", "message")})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def holder_pids(self) -> list[int] | None:
        """The processes holding the lock now (``/proc/locks``), without taking it; None where unknown."""
        return _flock_holders(self.path)

    def describe_holder(self) -> str:
        """Who holds the lock, in words: what it measures and its pid, as far as can be told."""
        holder, pids = self.holder(), self.holder_pids()
        if holder is not None:
            return f"{holder.what}, pid {holder.pid}"
        if pids:
            return f"pid {', '.join(map(str, sorted(set(pids))))}, which has not said what it runs"
        return "a process that has not said what it runs"

    def is_held(self) -> bool:
        """Whether some job holds the lock right now. Read from ``/proc/locks`` without taking the
        lock; only where that list cannot be read, a non-blocking try."""
        pids = self.holder_pids()
        if pids:
            return True
        if pids is not None:
            # /proc/locks names the file system's own inode, which on some (overlay) file systems is
            # not the one stat() shows: then a live holder that has reported is the evidence.
            holder = self.holder()
            return holder is not None and _alive(holder.pid)
        probe = FileLock(str(self.path))
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return True
        except OSError:
            return False
        probe.release()
        return False

    def _make_folder(self) -> None:
        folder = self.path.parent
        if folder.is_dir():
            return
        folder.mkdir(parents=True, exist_ok=True)
        if os.name == "posix" and folder.name == MACHINE_LOCK_DIR:  # every user of the machine shares it, as /tmp
            with suppress(OSError):
                os.chmod(folder, 0o1777)

    @contextmanager
    def hold(self, what: str, *, on_wait: Callable[[Waiting], None] | None = None, max_wait_s: float | None = None,
             poll_s: float = POLL_S) -> Iterator[Holding]:
        """Hold the lock for the duration of the ``with`` block, waiting (and reporting) while another has it.

        Raises :class:`LockTimeout` after ``max_wait_s`` seconds of waiting (default :data:`MAX_WAIT_S`). An exception from
        ``on_wait`` (Streamlit stops a script that way) ends the wait with nothing held.
        """
        max_wait_s = MAX_WAIT_S if max_wait_s is None else max_wait_s
        self._make_folder()
        lock = FileLock(str(self.path), mode=0o666)  # a fresh object per acquisition: its own descriptor
        start, waited = time.monotonic(), 0.0
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except Timeout:
                waited = time.monotonic() - start
                if waited >= max_wait_s:
                    raise LockTimeout(f"another measurement has held the machine's lock {self.path} for over "
                                      f"{max_wait_s:g} s ({self.describe_holder()})") from None
                if on_wait is not None:
                    on_wait(Waiting(waited, self.holder()))
                time.sleep(poll_s)
                waited = time.monotonic() - start  # > 0 from the first failed try: this one waited
        holding = Holding(self, what, utc_now(), waited)
        try:
            holding.report(0.0, "starting")
            yield holding
        finally:
            with suppress(OSError):
                self.status_path.unlink()  # nobody is measuring: waiters must not show stale progress
            lock.release()
