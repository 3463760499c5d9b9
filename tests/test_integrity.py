"""Measurement integrity (issue 17): page faults as evidence, one lock per machine, the verdict
across measurements, sweeps that re-read the store, claims from good figures only, clean CLI errors.

The Ray tests (two nodes on one machine, a CLI run and a ``--ray local`` sweep with different
stores) are in tests/test_machine_lock.py: they start clusters of their own.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_store import SETTINGS, fake_report

from explorer import paper_config
from explorer.latency import layer_io_elements
from explorer.lock import ENV_LOCK_DIR, LOCK_NAME, MeasurementLock, machine_lock_path
from explorer.quality import MAX_REPEAT_RATIO, MIN_PAGE_FAULT_LIMIT, page_fault_limit, verdict
from explorer.store import LatencyStore
from explorer.sweep import REUSED, SweepJob, grid

ROOT = Path(__file__).resolve().parent.parent
TINY = paper_config("mobilenet_v2", width_multiplier=0.5, resolution=32)

# --- page faults ------------------------------------------------------------------------------

FAULTS_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from explorer import allocator, paper_config
from explorer.latency import measure_latency
from explorer.measurement import LatencySettings
if {bad}:
    assert allocator.force_bad_allocator()
report = measure_latency(paper_config("mobilenet_v2"), LatencySettings(threads=1, budget_s=0.6), max_attempts=1)
print(json.dumps({{"faults": report.page_faults_per_run, "quality": report.quality, "reasons": report.quality_reasons}}))
"""


def faults_in_fresh_process(bad: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", FAULTS_SCRIPT.format(root=str(ROOT), bad=bad)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_fault_counter_sees_the_give_back_mode_and_the_verdict_flags_it():
    limit = page_fault_limit(4 * sum(out for _, out in layer_io_elements(paper_config("mobilenet_v2")).values()))
    bad = faults_in_fresh_process(bad=True)  # M_TRIM_THRESHOLD 0: every forward faults its buffers in again
    assert bad["faults"] > limit, bad
    assert bad["quality"] == "noisy" and any("page faults per run" in reason for reason in bad["reasons"]), bad
    fixed = faults_in_fresh_process(bad=False)  # the policy every measurement runs under
    assert fixed["faults"] < limit, fixed
    assert not any("page faults" in reason for reason in fixed["reasons"]), fixed


def test_the_fault_limit_scales_with_the_activations():
    small, large = page_fault_limit(400 * 4096), page_fault_limit(52_000 * 4096)
    assert small == MIN_PAGE_FAULT_LIMIT and large == 13_000
    common = dict(median_ms=10.0, iqr_ms=0.1, samples=20, coverage=1.0, window=None)
    assert verdict(**common, page_faults_per_run=1_000, activation_bytes=52_000 * 4096)[0] == "good"
    quality, reasons = verdict(**common, page_faults_per_run=1_000, activation_bytes=400 * 4096)
    assert quality == "noisy" and "page faults per run (limit 100)" in reasons[0]


# --- one lock per machine ---------------------------------------------------------------------


def test_every_store_shares_the_machine_lock(tmp_path, monkeypatch):
    a, b = LatencyStore(tmp_path / "a" / "s.sqlite3"), LatencyStore(tmp_path / "b" / "s.sqlite3")
    assert a.lock.path == b.lock.path == machine_lock_path()
    monkeypatch.delenv(ENV_LOCK_DIR)
    assert machine_lock_path() == Path("/tmp/mobilenet-explorer") / LOCK_NAME  # not beside any store, not $TMPDIR
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert machine_lock_path() == Path("/tmp/mobilenet-explorer") / LOCK_NAME


def test_the_holder_is_read_without_taking_the_lock(tmp_path, monkeypatch):
    import explorer.lock

    lock = MeasurementLock(tmp_path / LOCK_NAME)
    assert not lock.is_held()
    with lock.hold("a running measurement") as holding:
        holding.report(0.4, "timing the whole model")

        def no_taking(*args, **kwargs):
            raise AssertionError("is_held() tried to take the lock")

        with monkeypatch.context() as patch:
            patch.setattr(explorer.lock, "FileLock", no_taking)
            assert lock.is_held()
            assert lock.holder().what == "a running measurement"
            assert "a running measurement" in lock.describe_holder()
    assert not lock.is_held()


# --- the verdict across measurements ----------------------------------------------------------


def scripted(*medians: float):
    """A measure function giving good reports with these medians, in turn."""
    given = iter(medians)

    def measure(config, settings, progress=None, **kwargs):
        return fake_report(config, settings, median_ms=next(given))

    return measure


def test_a_disagreeing_good_figure_is_measured_again_before_it_is_stored(tmp_path):
    store = LatencyStore(tmp_path / "s.sqlite3")
    store.put(TINY, SETTINGS, fake_report(TINY, median_ms=10.0))
    # 16 disagrees with the stored 10; the third measurement (10.2) sides with the stored figure.
    kept = store.get_or_measure(TINY, SETTINGS, measure=scripted(16.0, 10.2), remeasure=True)
    assert kept.median_ms == 10.2 and kept.quality == "good" and "disagreed" in kept.cross_check
    assert store.get(TINY, SETTINGS).median_ms == 10.2
    # 16 then 16.3: the stored figure was the odd one out, and is replaced.
    kept = store.get_or_measure(TINY, SETTINGS, measure=scripted(16.0, 16.3), remeasure=True)
    assert store.get(TINY, SETTINGS).median_ms == 16.3 and "replaces" in kept.cross_check
    # No two of three agree: the new figure is kept as noisy, the stored good one stays.
    kept = store.get_or_measure(TINY, SETTINGS, measure=scripted(26.0, 40.0), remeasure=True)
    assert kept.quality == "noisy" and "agreed with neither" in kept.quality_reasons[-1]
    assert store.get(TINY, SETTINGS).median_ms == 16.3


def test_the_store_never_holds_two_good_figures_far_apart(tmp_path):
    store = LatencyStore(tmp_path / "s.sqlite3")
    for medians in [(10.0,), (16.0, 25.6), (10.4,), (15.9, 15.8), (9.0, 15.0)]:
        before = store.get(TINY, SETTINGS)
        store.get_or_measure(TINY, SETTINGS, measure=scripted(*medians), remeasure=True)
        after = store.get(TINY, SETTINGS)
        if before is not None and after is not None and after.median_ms != before.median_ms:
            # a replacement is backed by a second measurement agreeing with it (the cross check)
            assert after.cross_check or max(after.median_ms, before.median_ms) / min(after.median_ms, before.median_ms) <= MAX_REPEAT_RATIO


# --- a sweep that waited ----------------------------------------------------------------------


def test_a_sweep_that_waited_reuses_the_point_stored_meanwhile(tmp_path):
    store = LatencyStore(tmp_path / "s.sqlite3")
    point = grid(["v2"], [0.5], [32], threads=[1], budget_s=0.05)[0]
    job = SweepJob([point], store)
    waiting = threading.Event()
    job.on_message = lambda message: waiting.set() if "waiting" in message else None
    with store.lock.hold("another measurement of the same point"):
        job.start()
        assert waiting.wait(60), job.progress
        # the measurement being waited for stores the point
        store.put(point.config, point.settings(), fake_report(point.config, point.settings(), median_ms=3.21))
    assert job.wait(120)
    (result,) = job.results
    assert result.status == REUSED and result.report.median_ms == 3.21


# --- claims from good figures only ------------------------------------------------------------


def test_a_speedup_sentence_never_uses_a_noisy_figure():
    from explorer.runtimes.results import RuntimeResult
    from ui.runtimes_view import noisy_words, speedup_words

    def result(runtime, ms):
        return RuntimeResult(runtime=runtime, status="ok", batch=1, threads=2, budget_s=2.0, median_ms=ms, iqr_ms=0.1)

    def report(quality):
        return dataclasses.replace(fake_report(TINY), quality=quality)

    results = {"eager": result("eager", 38.0), "onnxruntime": result("onnxruntime", 16.2),
               "executorch-int8": result("executorch-int8", 3.65)}
    reports = {"eager": report("good"), "onnxruntime": report("noisy"), "executorch-int8": report("good")}
    lines = speedup_words(results, reports)
    assert len(lines) == 1 and "16.2" not in " ".join(lines) and "3.65 vs 38.00" in lines[0]
    assert "ONNX Runtime" in noisy_words(results, reports)
    reports["eager"] = report("noisy")  # every sentence compares with eager: none is left
    assert speedup_words(results, reports) == []
    assert "PyTorch eager" in noisy_words(results, reports) and "no speed-up" in noisy_words(results, reports)


# --- clean CLI errors -------------------------------------------------------------------------


def test_cli_rejects_a_cpu_only_runtime_on_cuda_with_one_line(cli):
    result = cli("profile", "--arch", "v2", "--latency", "--runtime", "onnxruntime", "--device", "cuda")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --device:") and "onnxruntime" in line and "CPU only" in line


def test_cli_lock_timeout_is_one_line_naming_the_holder(cli, tmp_path, monkeypatch):
    import explorer.lock

    monkeypatch.setattr(explorer.lock, "MAX_WAIT_S", 0.5)
    with MeasurementLock.machine().hold("mobilenet_v1 α=1 224px, batch 64, the holder") as holding:
        holding.report(0.5, "timing")
        result = cli("profile", "--arch", "v2", "--width", "0.5", "--resolution", "32", "--latency", "--threads", "1",
                     "--store", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "the holder" in last and "pid" in last and "Traceback" not in result.stderr


def test_cli_ctrl_c_leaves_nothing_stored(cli, tmp_path, monkeypatch):
    import explorer.latency

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(explorer.latency, "measure_latency", interrupted)
    store = tmp_path / "s.sqlite3"
    result = cli("profile", "--arch", "v2", "--width", "0.5", "--resolution", "32", "--latency", "--store", str(store))
    assert result.returncode == 130 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("interrupted:")
    assert LatencyStore(store).list_results() == []


@pytest.mark.parametrize("runtime", ["executorch", "onnxruntime-int8"])
def test_a_deployment_runtime_setting_refuses_cuda(runtime):
    from explorer.config import ConfigError
    from explorer.measurement import LatencySettings

    with pytest.raises(ConfigError) as err:
        LatencySettings(runtime=runtime, device="cuda")
    assert err.value.field == "device"
