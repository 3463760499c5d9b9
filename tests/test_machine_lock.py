"""One lock per machine (issue 17), across everything that burns CPU: a CLI run and a ``--ray local``
sweep with different stores, two Ray nodes on one machine, and the app's export preparation.

Each test holds the lock itself, or starts enough work that the jobs compete, then checks the
measuring intervals (``started_at``/``finished_at`` of each report, taken inside the lock) are
disjoint. The lock folder is the test run's own ($MOBILENET_EXPLORER_LOCK_DIR, tests/conftest.py);
subprocesses, Ray nodes and their workers inherit it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest

from explorer.lock import MeasurementLock
from explorer.store import LatencyStore
from explorer.sweep import MEASURED, SweepJob, grid

ROOT = Path(__file__).resolve().parent.parent


def when(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def assert_disjoint(intervals):
    intervals = sorted(intervals)
    assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:])), intervals


class Started:
    """A CLI subprocess whose stdout and stderr are read line by line in threads, so a test can wait
    for a line, and wait for the process without hanging on a pipe a grandchild (a Ray daemon the
    sweep started) may still hold open. PYTHONFAULTHANDLER is set so that a process that overruns
    its deadline dumps every thread's stack into its stderr before it is killed: CI then shows
    where it was stuck instead of a bare timeout."""

    def __init__(self, *args: str):
        env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
        self.args = args
        self.proc = subprocess.Popen([sys.executable, "-m", "explorer", *args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, lines: list[str]) -> None:
        for line in stream:
            with self._changed:
                lines.append(line)
                self._changed.notify_all()

    def wait_for(self, text: str, deadline: float) -> bool:
        """Whether ``text`` appeared on stderr before ``deadline`` (time.monotonic())."""
        with self._changed:
            return self._changed.wait_for(lambda: any(text in line for line in self.err), max(deadline - time.monotonic(), 0))

    def finish(self, deadline: float) -> str:
        """Its stdout, once it has exited 0; fails with its stderr (and stacks) if it did not by ``deadline``."""
        try:
            self.proc.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)  # the fault handler prints every thread's stack
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            self.proc.kill()
            pytest.fail(f"{' '.join(self.args[:1])} still ran at its deadline:\n{self.stderr()}")
        assert self.proc.returncode == 0, self.stderr()
        return "".join(self._lines(self.out))

    def stderr(self) -> str:
        return "".join(self._lines(self.err))

    def _lines(self, lines: list[str]) -> list[str]:
        for reader in self._readers:
            reader.join(5)  # the process has exited: what it wrote is in the pipe (a grandchild may keep it open)
        with self._changed:
            return list(lines)


@pytest.mark.timeout(600)  # its own deadline below comes first, with the subprocesses' stacks
def test_a_cli_measurement_and_a_ray_sweep_with_other_stores_never_overlap(tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra (requirements-distributed.txt)")
    deadline = time.monotonic() + 480  # seconds on a quiet 2-core machine, minutes on a loaded one
    with MeasurementLock.machine().hold("the test, holding the machine's lock until both have started"):
        measure = Started("profile", "--arch", "v2", "--width", "0.5", "--resolution", "64", "--latency", "--threads",
                          "1", "--budget", "1.5", "--json", "--store", str(tmp_path / "a.sqlite3"))
        sweep = Started("sweep", "--latency", "--arch", "v2", "--widths", "0.5", "--resolutions", "32,48", "--threads", "1",
                        "--budget", "0.3", "--json", "--ray", "local", "--store", str(tmp_path / "b.sqlite3"))
        # The CLI says it waits for this lock (with its own store beside it, it would not), and the
        # sweep has connected to its cluster and sent its points.
        assert measure.wait_for("waiting for another latency measurement", deadline - 240), measure.stderr()
        assert sweep.wait_for("sweep: 2 points", deadline - 120), sweep.stderr()
    report = json.loads(measure.finish(deadline))["latency"]
    swept = [point["latency"] for point in json.loads(sweep.finish(deadline))]
    assert report["waited_s"] > 0
    assert_disjoint([(when(r["started_at"]), when(r["finished_at"])) for r in [report, *swept]])


def test_two_ray_nodes_on_one_machine_never_measure_at_once(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is an optional extra (requirements-distributed.txt)")
    from ray.cluster_utils import Cluster

    from explorer.sweep_ray import ray_backend

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "resources": {"latency_slot": 1}})
    try:
        cluster.add_node(num_cpus=1, resources={"latency_slot": 1})
        ray.init(address=cluster.address, runtime_env={"py_modules": [str(ROOT / "explorer")]}, log_to_driver=False,
                 logging_level="ERROR")
        points = grid(["v2"], [0.5, 0.75], [32, 48], threads=[1], budget_s=0.3)
        job = SweepJob(points, LatencyStore(tmp_path / "s.sqlite3"), backend=ray_backend("local"))
        results = job.run()
        parallelism = job.progress.parallelism
    finally:
        ray.shutdown()
        cluster.shutdown()
    measured = [r for r in results if r.status == MEASURED]
    assert parallelism == 2 and len(measured) == 4, results
    assert len({r.node for r in measured}) == 2  # both nodes measured: an overlap was possible
    assert_disjoint([(when(r.report.started_at), when(r.report.finished_at)) for r in measured])


def test_the_apps_export_preparation_waits_for_a_running_measurement(open_page, monkeypatch):
    import explorer.runtimes
    import ui.measuring
    from explorer.runtimes.names import RuntimeFailure

    exported_at: list[float] = []

    def checked_export(config, fmt, model=None, batch=1):  # the real one takes seconds: record when it would run
        exported_at.append(time.monotonic())
        raise RuntimeFailure("onnxruntime" if fmt == "onnx" else "executorch", "stand-in export for the test")

    waiting = threading.Event()
    real_text = ui.measuring._waiting_text

    def waiting_text(label, waiting_state):
        waiting.set()
        return real_text(label, waiting_state)

    monkeypatch.setattr(explorer.runtimes, "checked_export", checked_export)
    monkeypatch.setattr(ui.measuring, "_waiting_text", waiting_text)
    at = open_page("v2")
    button = at.button(key="mobilenet_v2.runtimes.prepare")
    with MeasurementLock.machine().hold("a running latency measurement") as holding:
        holding.report(0.5, "timing the whole model")
        clicked = threading.Thread(target=lambda: button.click().run(timeout=120), daemon=True)
        clicked.start()
        assert waiting.wait(60), "the page never waited for the lock"
        released_at = time.monotonic()
    clicked.join(120)
    assert not clicked.is_alive()
    assert exported_at and min(exported_at) >= released_at
    assert any("stand-in export" in e.value for e in at.error)
