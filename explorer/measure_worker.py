"""Eager measurements in a process of their own, apart from the web server's threads (issue 17, item 8).

Why: a Streamlit server runs every session's script in a thread of one process. Those reruns are
Python (pandas, Plotly, the page scripts) and hold the GIL, which each of an eager forward's ~100
operator calls needs to start. ``benchmarks/bench_worker_process.py`` measured V2 1.0/224, batch
1, 1 thread, on a 2-core VM, with one other session rerunning the V2 page in the same process
(medians of 5 measurements; benchmarks/RESULTS.md):

- in the server's thread: 137 ms (119–171), the measuring thread on the CPU 25% of the time,
  against 16.4 ms (14.6–22.2) with no other session;
- in this worker process: 17.3 ms (16.9–22.5), within 6% of quiet.

Both came out ``noisy`` under load, as they should (the other core was busy), but only the
worker's figure is the model's. So the pages measure eager latency here.

How: :class:`MeasuringProcess` starts ``python -m explorer.measure_worker`` once (torch's import,
a few seconds, is paid once per server) and keeps it. A request is one
:func:`explorer.latency.measure_latency` call: the config and settings go over a socket
(``multiprocessing.connection``: pickled messages), progress comes back as it happens and the
report at the end. The worker builds the model from the config: a model object does not cross
processes, and the built one is the same architecture and initialisation. The caller still takes
the machine's lock around the call (:func:`explorer.measure_once.measure_once`), so the worker
never measures beside another measurement. If the caller gives up midway (a page stopped by its
user: the progress callback raises), the worker is killed, so nothing keeps measuring after the
lock is released; the next request starts a new one.

A subprocess rather than ``multiprocessing``'s spawn: spawn re-imports the parent's ``__main__``,
which in a Streamlit server is the page script being run.
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import MobileNetConfig
    from .measurement import LatencyReport, LatencySettings

POLL_S = 0.1  # how often the caller checks on a worker that has not said anything
START_TIMEOUT_S = 120.0  # importing torch on a loaded 2-core machine


class WorkerFailed(RuntimeError):
    """The measuring process died or could not start (the page shows it as a failed measurement)."""


class MeasuringProcess:
    """One worker process that measures eager latency; requests run one at a time."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._guard = threading.Lock()  # one request at a time through the one worker

    def measure(self, config: MobileNetConfig, settings: LatencySettings, *, progress: Callable[[float, str], None] | None = None,
                model: Any = None, **kwargs: Any) -> LatencyReport:
        """``measure_latency(config, settings, progress=progress, **kwargs)``, run in the worker.

        ``model`` is accepted for the caller's convenience and not sent: the worker builds its own.
        """
        with self._guard:
            conn = self._connection()
            busy = True
            try:
                conn.send((config, settings, kwargs))
                while True:
                    if not conn.poll(POLL_S):
                        if self._proc is not None and self._proc.poll() is not None:
                            raise WorkerFailed(f"the measuring process exited with code {self._proc.returncode}")
                        continue
                    kind, *payload = conn.recv()
                    if kind == "progress":
                        if progress is not None:
                            progress(*payload)
                        continue
                    busy = False
                    if kind == "done":
                        return payload[0]
                    raise payload[0]
            except (EOFError, OSError) as err:
                busy = True  # the connection broke: the worker is in an unknown state
                raise WorkerFailed(f"the measuring process stopped answering ({type(err).__name__})") from None
            finally:
                if busy:  # given up midway (a stopped page) or broken: nothing may keep measuring
                    self.close()

    def pid(self) -> int | None:
        """The worker's process id, while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def close(self) -> None:
        """Stop the worker (the next request starts a new one)."""
        proc, conn, self._proc, self._conn = self._proc, self._conn, None, None
        if conn is not None:
            conn.close()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def _connection(self) -> Connection:
        if self._conn is not None and self._proc is not None and self._proc.poll() is None:
            return self._conn
        self.close()
        ours, theirs = socket.socketpair()
        package_root = str(Path(__file__).resolve().parent.parent)  # where `explorer` imports from, checkout or install
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        try:
            self._proc = subprocess.Popen([sys.executable, "-m", "explorer.measure_worker", str(theirs.fileno())],
                                          pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        if not self._conn.poll(START_TIMEOUT_S) or self._conn.recv() != ("ready",):
            self.close()
            raise WorkerFailed(f"the measuring process did not start within {START_TIMEOUT_S:.0f} s")
        return self._conn


_WORKER = MeasuringProcess()


def measure_in_worker(config: MobileNetConfig, settings: LatencySettings, **kwargs: Any) -> LatencyReport:
    """:func:`explorer.latency.measure_latency`, run in this process's measuring worker (a ``measure`` for
    :func:`explorer.measure_once.measure_once` and ``LatencyStore.get_or_measure``)."""
    return _WORKER.measure(config, settings, **kwargs)


def _serve(conn: Connection) -> None:
    """The worker's loop: one request at a time until the caller closes the connection."""
    from .latency import measure_latency

    conn.send(("ready",))
    while True:
        try:
            config, settings, kwargs = conn.recv()
        except EOFError:
            return
        try:
            report = measure_latency(config, settings, progress=lambda fraction, message: conn.send(("progress", fraction, message)),
                                     **kwargs)
            conn.send(("done", report))
        except Exception as err:  # noqa: BLE001 - handed to the caller, which raises it there
            conn.send(("error", _portable(err)))


def _portable(err: Exception) -> Exception:
    """``err`` if it survives pickling both ways (the caller then catches it by type), else a
    RuntimeError with its text (an exception whose __init__ takes other arguments does not unpickle)."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:  # noqa: BLE001 - any failure means: send the text
        return RuntimeError(f"{type(err).__name__}: {err}")
    return err


if __name__ == "__main__":
    # Anything printed by a library goes to stderr: stdout is not ours to keep clean, the socket is the channel.
    sys.stdout = sys.stderr
    _serve(Connection(int(sys.argv[1])))
