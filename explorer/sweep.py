"""Measured sweeps: a grid of configs × runtimes × settings, measured one point at a time per machine.

A sweep is a list of :class:`SweepPoint` (a config and how to measure it) run by a
:class:`SweepJob`. The job first asks the latency store which points it already holds as good
measurements (those are *reused*, nothing is measured again), then hands the rest to a backend:

* :class:`LocalBackend` measures on this machine, one point after the other, in the job's
  thread. Every result goes into the store as soon as it is measured, so a sweep that is stopped
  (``job.stop()``, Ctrl-C, SIGTERM, a crash) loses at most the point that was being measured,
  and running the same sweep again measures only what is missing.
* ``explorer.sweep_ray.ray_backend(address)`` (Ray is optional:
  ``pip install mobilenet-explorer[distributed]``) sends the points to a Ray cluster. Each node measures at most one point at a time because every
  task asks for one unit of the node's ``latency_slot`` resource (one unit per node); the driver
  writes each result into *its* store as it arrives.

The job is made for a user interface as much as for the CLI: :meth:`SweepJob.start` runs it in a
background thread, :attr:`SweepJob.progress` is a consistent snapshot (done, remaining, an estimate
of the time left, what is being measured) that a page can poll, and :meth:`SweepJob.stop` ends it
cleanly.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clock import utc_now
from .config import ALIASES, ConfigError, MobileNetConfig, paper_config
from .cross_check import demote_if_disagreeing
from .errors import error_text
from .measure_once import machine_lock, measure_once  # noqa: F401 - machine_lock: for the Ray backend
from .sweep_progress import SweepProgress, format_duration  # noqa: F401 - format_duration: for the page

if TYPE_CHECKING:
    from .lock import Waiting
    from .measurement import LatencyReport, LatencySettings
    from .store import LatencyStore

DEFAULT_RUNTIME = "eager"
DEFAULT_BUDGET_S = 2.0
# Statuses of a point's result.
MEASURED, REUSED, FAILED = "measured", "reused", "failed"
# States of a job.
PENDING, RUNNING, STOPPING, STOPPED, FINISHED, ERROR = "pending", "running", "stopping", "stopped", "finished", "error"


class SweepStopped(Exception):
    """Raised inside a measurement (from its progress callback) when the job is asked to stop."""


# --- measuring one point ------------------------------------------------------------------------


def make_settings(runtime: str, batch: int, threads: int | None, device: str, budget_s: float) -> LatencySettings:
    """The latency settings of one point; raises ``ConfigError`` naming the bad setting."""
    from .measurement import LatencySettings

    return LatencySettings(batch=batch, threads=threads, device=device, budget_s=budget_s, runtime=runtime)


# --- the grid -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepPoint:
    """One measurement to make: a config and the conditions to measure it under."""

    config: MobileNetConfig
    runtime: str = DEFAULT_RUNTIME
    batch: int = 1
    threads: int | None = None  # None: all the measuring machine's cores
    device: str = "cpu"
    budget_s: float = DEFAULT_BUDGET_S
    # Pinned to one cluster node (its Ray node id, and its machine as the store names machines),
    # for sweeps that measure every point on every node; None: any node, or this machine.
    node: str | None = None
    node_machine: str | None = None

    def settings(self) -> LatencySettings:
        return make_settings(self.runtime, self.batch, self.threads, self.device, self.budget_s)

    def on(self, node: str, machine: str) -> SweepPoint:
        return dataclasses.replace(self, node=node, node_machine=machine)

    @property
    def label(self) -> str:
        c = self.config
        threads = "all cores" if self.threads is None else f"{self.threads} thread{'s' if self.threads != 1 else ''}"
        where = f" on {self.node_machine or self.node}" if self.node else ""
        return f"{c.arch} α={c.width_multiplier:g} {c.resolution}px {self.runtime} batch {self.batch} {threads}{where}"


def grid(archs: Iterable[str], widths: Iterable[float], resolutions: Iterable[int], *, runtimes: Iterable[str] = (DEFAULT_RUNTIME,),
         batches: Iterable[int] = (1,), threads: Iterable[int | None] = (None,), num_classes: int = 1000, device: str = "cpu",
         budget_s: float = DEFAULT_BUDGET_S) -> list[SweepPoint]:
    """Every combination, in a stable order (arch, width, resolution, runtime, batch, threads).

    Configs are validated here; a bad one raises :class:`ConfigError` naming the grid point.
    Latency settings are validated when measured (or by :func:`check_settings`).
    """
    points = []
    runtimes, batches, threads = list(dict.fromkeys(runtimes)), list(dict.fromkeys(batches)), list(dict.fromkeys(threads))
    for arch, width, resolution in itertools.product(dict.fromkeys(archs), dict.fromkeys(widths), dict.fromkeys(resolutions)):
        arch = ALIASES.get(arch, arch)
        try:
            config = paper_config(arch, width_multiplier=width, resolution=resolution, num_classes=num_classes)
        except ConfigError as err:
            raise ConfigError("grid", f"{arch} width {width:g}, resolution {resolution}: {err}") from None
        for runtime, batch, n in itertools.product(runtimes, batches, threads):
            points.append(SweepPoint(config, runtime, batch, n, device, budget_s))
    return points


def check_settings(points: Sequence[SweepPoint], *, local: bool = True) -> None:
    """Validate every distinct setting of ``points`` before anything is measured (``ConfigError``).

    ``local=False`` (a cluster): thread counts are checked against the cores of the node that
    measures, not this machine's, so only their type and sign are checked here.
    """
    seen = set()
    for p in points:
        key = (p.runtime, p.batch, p.threads, p.device, p.budget_s)
        if key in seen:
            continue
        seen.add(key)
        if not local and p.threads is not None:
            if isinstance(p.threads, bool) or not isinstance(p.threads, int) or p.threads < 1:
                raise ConfigError("threads", f"must be a positive integer, got {p.threads!r}")
            make_settings(p.runtime, p.batch, None, p.device, p.budget_s)
        else:
            make_settings(p.runtime, p.batch, p.threads, p.device, p.budget_s)


# --- results and progress -------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    """What became of one point: measured now, reused from the store, or failed (with the reason).

    ``started_at``/``finished_at`` bracket the whole task on the machine that measured it (model
    build included, ISO 8601 UTC with microseconds); ``node`` is the Ray node id (None locally).
    """

    index: int  # the point's position in the grid
    point: SweepPoint
    status: str
    report: LatencyReport | None = None
    error: str | None = None
    node: str | None = None
    pid: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None  # the task's wall time, for the estimate of time left

    @property
    def machine(self) -> str | None:
        return self.report.machine if self.report is not None else None


# --- the job --------------------------------------------------------------------------------------


class SweepJob:
    """Measure ``points``, reusing what ``store`` holds as good, writing every new result to it at once.

    ``backend`` defaults to :class:`LocalBackend`. ``on_result(result, progress)`` is called for every
    point as it completes (reused ones first), ``on_message(text)`` when the running measurement
    says something worth showing (waiting for the machine's lock). Both are called from the job's
    thread. Use :meth:`run` to block, or :meth:`start` / :attr:`progress` / :meth:`stop` /
    :meth:`wait` from a user interface.
    """

    def __init__(self, points: Sequence[SweepPoint], store: LatencyStore, *, backend: Any = None,
                 on_result: Callable[[SweepResult, SweepProgress], None] | None = None,
                 on_message: Callable[[str], None] | None = None):
        self.points = list(points)
        self.store = store
        self.backend = backend if backend is not None else LocalBackend()
        self.on_result = on_result
        self.on_message = on_message
        self._lock = threading.Lock()
        self._results: dict[int, SweepResult] = {}
        self._running: dict[int, str] = {}
        self._message = ""
        self._state = PENDING
        self._error: str | None = None
        self._parallelism = 1
        self._started: float | None = None
        self._finished: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- for callers ----------------------------------------------------------------------------

    def run(self) -> list[SweepResult]:
        """Run the sweep in this thread; returns the results so far (all of them unless stopped).

        KeyboardInterrupt (Ctrl-C, or SIGTERM turned into it by the CLI) propagates after the
        backend has cleaned up; everything measured before it is already in the store.
        """
        with self._lock:
            if self._state != PENDING:
                raise RuntimeError("a SweepJob runs once; make a new one to sweep again")
            self._state, self._started = RUNNING, time.monotonic()
        try:
            todo = self._reuse_stored()
            if todo and not self._stop.is_set():
                self.backend.run(self, todo)
        except BaseException as err:
            with self._lock:
                self._state = STOPPED if isinstance(err, (KeyboardInterrupt, SweepStopped)) else ERROR
                self._error = None if self._state == STOPPED else str(err) or type(err).__name__
                self._running.clear()
                self._finished = time.monotonic()
            if isinstance(err, SweepStopped):
                return self.results
            raise
        with self._lock:
            self._state = STOPPED if self._stop.is_set() and len(self._results) < len(self.points) else FINISHED
            self._running.clear()
            self._finished = time.monotonic()
        return self.results

    def start(self) -> SweepJob:
        """Run the sweep in a background (daemon) thread; poll :attr:`progress`, call :meth:`stop` to end it."""

        def target() -> None:
            try:
                self.run()
            except Exception:  # kept in progress.error for the page to show
                pass

        self._thread = threading.Thread(target=target, name="sweep", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the job to stop: the point being measured is abandoned at its next phase, nothing more starts.

        Results already measured are in the store; a new job over the same points picks up from there.
        """
        self._stop.set()
        with self._lock:
            if self._state == RUNNING:
                self._state = STOPPING

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a started job to end; True if it has."""
        if self._thread is None:
            return self._state in (STOPPED, FINISHED, ERROR)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def results(self) -> list[SweepResult]:
        """The points completed so far, in grid order."""
        with self._lock:
            return [self._results[i] for i in sorted(self._results)]

    @property
    def progress(self) -> SweepProgress:
        with self._lock:
            return self._snapshot()

    # --- for backends ---------------------------------------------------------------------------

    def lookup(self, index: int) -> LatencyReport | None:
        """The store's good measurement of point ``index``, if it has one (checked again right before measuring)."""
        point = self.points[index]
        from .machine import machine_name

        if point.node_machine is not None and point.node_machine != machine_name():
            # The store answers for *this* machine (its key includes the host, CPU and torch): a point
            # another cluster node measured is stored under that node and measured again on a resume.
            return None
        try:
            settings = point.settings()
        except ConfigError:
            # Not measurable here as given (more threads than this machine has: only a cluster
            # node can; or a bad setting, which its measurement then reports as the point's failure).
            return None
        return self.store.get(point.config, settings)  # good reports only

    def set_parallelism(self, n: int) -> None:
        with self._lock:
            self._parallelism = max(1, n)

    def measuring(self, index: int, running: bool) -> None:
        with self._lock:
            if running:
                self._running[index] = self.points[index].label
            else:
                self._running.pop(index, None)

    def say(self, message: str, *, announce: bool = False) -> None:
        """Record what the running measurement is doing; ``announce`` also passes it to ``on_message``."""
        with self._lock:
            self._message = message
        if announce and self.on_message is not None:
            self.on_message(message)

    def record(self, result: SweepResult, settings: LatencySettings | None = None, *, stored: bool = False) -> None:
        """Keep a point's result; a new measurement goes into the store first, so it is never lost.

        ``stored``: the measurement was already cross-checked and saved (the local backend: :func:`measure_once`
        with ``put``). Otherwise (a Ray worker's, measured without a store) it is cross-checked here, where it
        cannot be measured again: a good figure far from the stored good one is kept as noisy.
        """
        if result.status == MEASURED and result.report is not None and not stored:
            settings = settings or result.point.settings()
            # A sweep measures only what the store lacks: a disagreement means another process stored the point meanwhile.
            kept = self.store.get(result.point.config, settings)
            result = dataclasses.replace(result, report=demote_if_disagreeing(kept, result.report))
            self.store.put(result.point.config, settings, result.report)
        with self._lock:
            self._results[result.index] = result
            self._running.pop(result.index, None)
            snapshot = self._snapshot()
        if self.on_result is not None:
            self.on_result(result, snapshot)

    # --- internals ------------------------------------------------------------------------------

    def _reuse_stored(self) -> list[int]:
        todo = []
        for i in range(len(self.points)):
            report = self.lookup(i)
            if report is None:
                todo.append(i)
            else:
                self.record(SweepResult(i, self.points[i], REUSED, report=report))
        return todo

    def _snapshot(self) -> SweepProgress:
        counts = {MEASURED: 0, REUSED: 0, FAILED: 0}
        for r in self._results.values():
            counts[r.status] += 1
        durations = [r.duration_s for r in self._results.values() if r.status == MEASURED and r.duration_s is not None]
        left = len(self.points) - len(self._results)
        # Time left: the mean wall time of the points measured so far, times the points still to
        # measure, spread over the slots that measure at once. Reused points cost nothing; a point
        # that turns out to be stored after all makes the estimate a little pessimistic.
        eta = statistics.fmean(durations) * left / self._parallelism if durations else None
        end = self._finished if self._finished is not None else time.monotonic()
        return SweepProgress(
            state=self._state, total=len(self.points), measured=counts[MEASURED], reused=counts[REUSED], failed=counts[FAILED],
            running=tuple(self._running[i] for i in sorted(self._running)), message=self._message,
            elapsed_s=end - self._started if self._started is not None else 0.0,
            eta_s=0.0 if left == 0 else eta, parallelism=self._parallelism, error=self._error,
        )


@dataclass
class LocalBackend:
    """Measure on this machine, one point after the other, in the job's thread.

    ``eager_measure`` replaces :func:`explorer.latency.measure_latency` for eager points: the app
    passes :func:`explorer.measure_worker.measure_in_worker`, so its background grid does not time
    inside the web server's process, whose other threads hold the GIL.
    """

    name: str = field(default="local", init=False)
    eager_measure: Callable[..., Any] | None = None

    def run(self, job: SweepJob, todo: Sequence[int]) -> None:
        for index in todo:
            if job.stop_requested:
                return
            job.record(self._measure_one(job, index), stored=True)

    def _measure_one(self, job: SweepJob, index: int) -> SweepResult:
        """The point through the one path (:func:`measure_once`): the store read again first (another
        process may have measured it meanwhile) and after a wait, then measured, cross-checked, saved."""
        point = job.points[index]
        waiting_said = False

        def progress(fraction: float, message: str) -> None:
            # Stopping abandons the measurement at its next phase; a finished one (1.0) is kept.
            if job.stop_requested and fraction < 1.0:
                raise SweepStopped()
            job.say(message)

        def on_wait(waiting: Waiting) -> None:
            nonlocal waiting_said
            if job.stop_requested:
                raise SweepStopped()
            job.say(waiting.text(), announce=not waiting_said)
            waiting_said = True

        job.measuring(index, True)
        started_at, started = utc_now(), time.monotonic()
        try:
            settings = point.settings()
            measure = self.eager_measure if settings.runtime == "eager" else None
            report = measure_once(point.config, settings, lock=job.store.lock, measure=measure, stored=lambda: job.lookup(index),
                                  put=lambda report: job.store.put(point.config, settings, report), progress=progress,
                                  on_wait=on_wait)
        except (SweepStopped, KeyboardInterrupt, SystemExit, MemoryError):
            job.measuring(index, False)
            raise
        except Exception as err:  # one point's failure (bad settings, a runtime that fails) is reported, the sweep goes on
            return SweepResult(index, point, FAILED, error=error_text(err), pid=os.getpid(), started_at=started_at,
                               finished_at=utc_now(), duration_s=time.monotonic() - started)
        if report.from_store:  # stored by another process, before this point's turn or while it waited for the lock
            job.measuring(index, False)
            return SweepResult(index, point, REUSED, report=report)
        return SweepResult(index, point, MEASURED, report=report, pid=os.getpid(), started_at=started_at, finished_at=utc_now(),
                           duration_s=time.monotonic() - started)
