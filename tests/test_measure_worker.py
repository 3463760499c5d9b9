"""Eager measurements in a worker process of their own (issue 17, item 8; explorer.measure_worker):
the report and the progress come back, the caller's exceptions keep their type, a caller that gives
up kills the worker (nothing measures once the lock is released), and the app's grid job sends its
eager points there."""

import os

import pytest

from explorer import ConfigError, paper_config
from explorer.measure_worker import MeasuringProcess
from explorer.measurement import LatencySettings

CONFIG = paper_config("v2", width_multiplier=0.35, resolution=32)
QUICK = LatencySettings(threads=1, budget_s=0.1)


@pytest.fixture
def worker():
    process = MeasuringProcess()
    yield process
    process.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_measurement_runs_in_the_worker_and_reports_its_progress(worker):
    said = []
    report = worker.measure(CONFIG, QUICK, progress=lambda fraction, message: said.append((fraction, message)))
    pid = worker.pid()
    assert pid is not None and pid != os.getpid()
    assert report.median_ms > 0 and report.threads == 1 and report.layers and report.quality in ("good", "noisy")
    assert said and said[-1][0] == pytest.approx(1.0) and all(0 <= f <= 1 for f, _ in said)
    # The worker stays for the next request: torch's import is paid once.
    worker.measure(CONFIG, QUICK)
    assert worker.pid() == pid


def test_an_error_in_the_worker_is_raised_here_with_its_type(worker):
    with pytest.raises(TypeError, match="no_such_option"):  # raised by measure_latency in the worker
        worker.measure(CONFIG, QUICK, no_such_option=1)
    assert worker.pid() is not None  # an error is an answer: the worker is still there


def test_errors_cross_with_their_type_and_field_or_as_text():
    from explorer.measure_worker import _portable
    from explorer.runtimes import ArtifactError

    sent = _portable(ConfigError("device", "CUDA is not available"))
    assert isinstance(sent, ConfigError) and sent.field == "device"  # the page catches it by type
    assert isinstance(_portable(ArtifactError("is empty")), ArtifactError)

    class Odd(Exception):
        def __init__(self, a, b):
            super().__init__(f"{a} and {b}")

    odd = _portable(Odd(1, 2))  # does not unpickle: its text crosses instead
    assert type(odd) is RuntimeError and "Odd: 1 and 2" in str(odd)


def test_a_caller_that_gives_up_midway_kills_the_worker(worker):
    class Stopped(BaseException):  # what Streamlit raises in a stopped page's callback
        pass

    worker.measure(CONFIG, QUICK)
    first = worker.pid()

    def stop(fraction, message):
        raise Stopped

    with pytest.raises(Stopped):
        worker.measure(CONFIG, LatencySettings(threads=1, budget_s=5.0), progress=stop)
    assert worker.pid() is None and not alive(first)  # killed and reaped, not measuring on
    worker.measure(CONFIG, QUICK)  # the next request starts a new one
    assert worker.pid() not in (None, first)


def test_a_worker_that_dies_is_a_failed_measurement_and_is_replaced(worker):
    import signal

    from explorer.measure_worker import WorkerFailed

    worker.measure(CONFIG, QUICK)
    first = worker.pid()

    def kill_it(fraction, message):
        os.kill(first, signal.SIGKILL)

    with pytest.raises(WorkerFailed):
        worker.measure(CONFIG, LatencySettings(threads=1, budget_s=5.0), progress=kill_it)
    assert worker.measure(CONFIG, QUICK).median_ms > 0 and worker.pid() not in (None, first)


def test_the_grid_jobs_eager_points_go_to_the_given_measure(tmp_path):
    from test_store import fake_report

    from explorer.store import LatencyStore
    from explorer.sweep import MEASURED, LocalBackend, SweepJob, grid

    points = grid(["v2"], [0.35], [32, 48], threads=[1], budget_s=0.1)
    asked = []

    def eager_measure(config, settings, **kwargs):
        asked.append((config.resolution, settings.runtime))
        return fake_report(config, settings)

    results = SweepJob(points, LatencyStore(tmp_path / "s.sqlite3"), backend=LocalBackend(eager_measure=eager_measure)).run()
    assert sorted(asked) == [(32, "eager"), (48, "eager")] and [r.status for r in results] == [MEASURED, MEASURED]
