"""The machine's measurement lock: exclusive across threads and processes, visible waiting, crash-safe."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from explorer.lock import LOCK_NAME, LockTimeout, MeasurementLock

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lock(tmp_path):
    return MeasurementLock(tmp_path / "data" / LOCK_NAME)


def test_first_holder_does_not_wait_and_the_lock_is_free_afterwards(lock):
    assert not lock.is_held()
    with lock.hold("job A") as holding:
        assert holding.waited_s == 0.0
        assert lock.is_held()  # another descriptor, even in this thread, finds it taken
        assert lock.holder().what == "job A"
    assert not lock.is_held() and lock.holder() is None  # no stale progress for the next waiter


def test_two_threads_take_turns_and_the_waiter_sees_the_holders_progress(lock):
    intervals, seen, ready, waited_a_while = {}, [], threading.Event(), threading.Event()

    def on_wait(waiting):
        seen.append(waiting)
        if len(seen) >= 3:  # the waiter has reported its wait a few times: time to let it in
            waited_a_while.set()

    def first():
        with lock.hold("mobilenet_v2 α=1 224px, batch 1, 1 thread, cpu, eager") as holding:
            start = time.monotonic()
            holding.report(0.5, "timing every leaf layer")
            ready.set()
            assert waited_a_while.wait(timeout=30)  # a condition, not a fixed sleep: the waiter is waiting
            intervals["first"] = (start, time.monotonic())

    def second():
        ready.wait()
        with lock.hold("job B", on_wait=on_wait, poll_s=0.05) as holding:
            intervals["second"] = (time.monotonic(), None)
            intervals["waited"] = holding.waited_s

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert intervals["second"][0] >= intervals["first"][1]  # it waited for the end
    assert seen[-1].waited_s <= intervals["waited"] < 30 and intervals["waited"] >= 2 * 0.05  # 3 reports, 0.05 s apart
    assert seen and all(w.holder is not None for w in seen)
    assert seen[-1].holder.what.startswith("mobilenet_v2") and seen[-1].holder.fraction == 0.5
    assert seen[-1].holder.message == "timing every leaf layer" and seen[-1].holder.pid == os.getpid()
    assert [w.waited_s for w in seen] == sorted(w.waited_s for w in seen)


def test_waiting_gives_up_after_max_wait(lock):
    with lock.hold("long job"):
        errors = []

        def impatient():
            try:
                with lock.hold("impatient", max_wait_s=0.3, poll_s=0.05):
                    pass
            except LockTimeout as err:
                errors.append(str(err))

        t = threading.Thread(target=impatient)
        t.start()
        t.join()
    assert len(errors) == 1 and "long job" in errors[0] and "0.3 s" in errors[0]


def test_an_exception_in_on_wait_leaves_nothing_held(lock):
    """Streamlit stops a script by raising inside it (here: inside the waiting callback)."""

    class Stop(Exception):
        pass

    def stop(waiting):
        raise Stop

    with lock.hold("holder"):
        result = []

        def waiter():
            try:
                with lock.hold("stopped", on_wait=stop):
                    result.append("held")
            except Stop:
                result.append("stopped")

        t = threading.Thread(target=waiter)
        t.start()
        t.join()
    assert result == ["stopped"]
    assert not lock.is_held()


def test_a_killed_holder_never_leaves_the_lock_held(lock):
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); from explorer.lock import MeasurementLock\n"
            f"with MeasurementLock({str(lock.path)!r}).hold('doomed') as h:\n"
            "    h.report(0.3, 'about to crash'); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        assert lock.is_held() and lock.holder().what == "doomed"
        os.kill(proc.pid, signal.SIGKILL)  # no finally, no atexit: only the kernel cleans up
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert not lock.is_held()
    with lock.hold("next", max_wait_s=2) as holding:  # free at once
        assert holding.waited_s == 0.0
        assert lock.holder().what == "next"  # the stale status was replaced
