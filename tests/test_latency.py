"""Latency lab: report structure, verdict fields, derived columns, isolation of shared models,
settings, runtimes, module boundaries, CLI (JSON contract, two processes at once).

No timing thresholds here (timings go in benchmarks/): budgets are tiny and resolutions small,
and the checks are about structure, consistency and side effects. On a busy machine a
measurement may come out noisy: tests assert what holds either way.
"""

import copy
import datetime as dt
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import torch

from explorer import build_model, count, paper_config
from explorer.config import ConfigError
from explorer.latency import (
    MEASURERS,
    achieved_gmacs_per_s,
    arithmetic_intensity,
    layer_io_elements,
    layer_rows,
    measure_latency,
    measurer_for,
)
from explorer.locations import ENV_DATA_DIR
from explorer.lock import MeasurementLock
from explorer.machine import available_cores, cpu_model, torch_version
from explorer.measurement import RUNTIMES, LatencyReport, LatencySettings
from explorer.timing import MIN_SAMPLES, time_call

ROOT = Path(__file__).resolve().parent.parent
FAST = LatencySettings(threads=1, budget_s=0.05)


@pytest.fixture(scope="module")
def config():
    return paper_config("v2", resolution=64)


@pytest.fixture(scope="module")
def report(config):
    return measure_latency(config, FAST, max_attempts=1)


def iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# --- the report ---------------------------------------------------------------------------------


def test_every_layer_row_present_in_order(config, report):
    rows = count(config).layers
    assert [r.name for r in report.layers] == [r.name for r in rows]
    assert [r.kind for r in report.layers] == [r.kind for r in rows]
    assert {"stem", "blocks.3.expand", "blocks.3.depthwise", "blocks.3.project", "last_conv", "pool", "head"} <= {r.name for r in report.layers}


def test_every_leaf_layer_is_timed_and_rows_sum_their_leaves(config, report):
    model = build_model(config)
    rows = {row.name for row in report.layers}
    # Every leaf module under a layer-table row (conv, bn, act; pool; head) has its own time.
    expected = {
        name for name, module in model.named_modules()
        if not any(module.children()) and any(name == r or name.startswith(r + ".") for r in rows)
    }
    timed = {leaf for row in report.layers for leaf, _ in row.leaves}
    assert timed == expected
    assert {"blocks.1.expand.conv", "blocks.1.expand.bn", "blocks.1.expand.act", "pool", "head"} <= timed
    for row in report.layers:
        assert all(ms > 0 for _, ms in row.leaves)
        assert row.latency_ms == pytest.approx(sum(ms for _, ms in row.leaves))


def test_report_is_sane(report):
    assert report.median_ms > 0 and report.iqr_ms >= 0
    assert (report.threads, report.batch, report.device, report.runtime) == (1, 1, "cpu", "eager")
    # Read from the package metadata, which may leave out the local tag ("2.11.0" of "2.11.0+cu130").
    assert report.torch_version == torch_version() and torch.__version__.startswith(report.torch_version)
    assert report.cpu == cpu_model() and report.cpu
    assert report.machine and report.gpu is None
    assert report.from_store is False and report.elapsed_s > 0
    assert all(r.latency_ms > 0 for r in report.layers)
    assert report.layer_sum_ms == pytest.approx(sum(r.latency_ms for r in report.layers))
    assert report.coverage == pytest.approx(report.layer_sum_ms / report.median_ms)


def test_enough_samples_for_a_spread_even_on_a_tiny_budget(report):
    # 0.05 s of budget: the timing goes on until it has MIN_SAMPLES samples and per-layer forwards.
    assert report.samples >= MIN_SAMPLES and report.runs >= MIN_SAMPLES and report.layer_runs >= MIN_SAMPLES


def test_report_carries_a_verdict_and_its_window(report):
    assert report.quality in ("good", "noisy")
    assert (report.quality == "good") == (report.quality_reasons == ()) == report.reusable
    assert report.attempts == 1 and report.waited_s == 0.0
    start, end = iso(report.started_at), iso(report.finished_at)
    assert start.tzinfo is not None and start < end
    assert "." in report.started_at and len(report.started_at.split(".")[1].split("+")[0]) == 6  # microseconds
    assert (end - start).total_seconds() <= report.elapsed_s + 0.01
    w = report.window
    assert w is not None and w.cores == available_cores() and 0 < w.wall_s <= report.elapsed_s
    assert 0 <= w.thread_cpu_share <= 1 and w.others_cores >= 0 and w.own_cores > 0


QUIET = dict(wall_s=1.0, cores=2, others_cores=0.0, own_cores=1.0, thread_cpu_share=1.0, load_1min=0.1)


@pytest.mark.parametrize("iqr_ms, layer_sum_ms, others_cores, expected", [
    (0.5, None, 0.0, None),  # 5% spread, no per-layer times, a quiet machine: good
    (1.0, None, 0.0, "wide spread: IQR 1.00 ms is 10% of the median (limit 8%)"),  # README: limit 8%
    (0.5, 5.0, 0.0, "the per-layer times add up to 50% of the whole-model median (expected 65%–150%)"),
    (0.5, 9.0, 0.0, None),  # 90% coverage: inside
    (0.5, None, 0.5, "other processes used 0.50 of the 2 cores during the measurement"),  # limit 0.25 cores
])
def test_the_report_carries_the_verdict_its_figures_call_for(config, monkeypatch, iqr_ms, layer_sum_ms, others_cores, expected):
    """A measurer with chosen figures and machine window (10 ms median): the verdict is the one the
    README's limits give for them, worked out by hand, not recomputed by the code under test."""
    from explorer.quality import MachineWindow
    from explorer.runtimes.results import RuntimeLayer

    def chosen(job):
        layers = ()
        if layer_sum_ms is not None:
            share = layer_sum_ms / len(job.rows)
            layers = tuple(RuntimeLayer(row, share, ((row, share),)) for row in job.rows)
        return timed_result(median_ms=10.0, iqr_ms=iqr_ms, layers=layers,
                            timing_window=MachineWindow(**{**QUIET, "others_cores": others_cores}))

    monkeypatch.setitem(MEASURERS, "eager", chosen)
    report = measure_latency(config, FAST, max_attempts=1)
    if expected is None:
        assert (report.quality, report.quality_reasons) == ("good", ())
    else:
        assert report.quality == "noisy" and len(report.quality_reasons) == 1
        assert report.quality_reasons[0].startswith(expected), report.quality_reasons
    if layer_sum_ms is not None:
        assert report.coverage == pytest.approx(layer_sum_ms / 10.0)


def test_derived_columns_are_consistent(config, report):
    cost = count(config)
    assert sum(r.latency_share for r in report.layers) == pytest.approx(1.0)
    assert sum(r.mac_share for r in report.layers) == pytest.approx(1.0)
    for row, counted in zip(report.layers, cost.layers):
        assert (row.macs, row.params, row.output_shape) == (counted.macs, counted.params, counted.output_shape)
        assert (row.gmacs_per_s > 0) == (row.macs > 0)
        assert (row.arithmetic_intensity > 0) == (row.macs > 0)


def test_report_round_trips_through_json(report):
    data = json.loads(json.dumps(report.to_dict()))
    assert {"median_ms", "iqr_ms", "runs", "threads", "batch", "device", "runtime", "torch_version", "cpu", "machine",
            "measured_at", "from_store", "layers", "layer_sum_ms", "coverage"} <= set(data)
    # Issue 10's contract fields.
    assert {"quality", "quality_reasons", "started_at", "finished_at", "waited_s", "per_image_ms", "throughput_ips", "attempts"} <= set(data)
    assert data["per_image_ms"] == pytest.approx(report.median_ms) and data["throughput_ips"] == pytest.approx(1000 / report.median_ms)
    assert {"name", "kind", "latency_ms", "macs", "params", "latency_share", "mac_share", "gmacs_per_s",
            "arithmetic_intensity", "output_shape"} <= set(data["layers"][0])
    assert LatencyReport.from_dict(data) == report


def test_batch_scales_shapes_and_throughput():
    config = paper_config("v1", width_multiplier=0.25, resolution=32)
    r = measure_latency(config, LatencySettings(batch=3, threads=1, budget_s=0.05), max_attempts=1)
    assert r.batch == 3 and r.samples >= MIN_SAMPLES
    assert r.per_image_ms == pytest.approx(r.median_ms / 3)
    assert r.throughput_ips == pytest.approx(3 / (r.median_ms / 1000))
    assert [row.name for row in r.layers] == [row.name for row in count(config).layers]
    for row in r.layers:
        assert row.output_shape[0] == 3
        assert row.gmacs_per_s == pytest.approx(3 * row.macs / (row.latency_ms * 1e-3) / 1e9)


def test_progress_reports_fractions_in_order(config):
    calls = []
    measure_latency(config, FAST, progress=lambda fraction, message: calls.append((fraction, message)), max_attempts=1)
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


# --- pure derived-column functions --------------------------------------------------------------


def test_arithmetic_intensity_depthwise_closed_form():
    # blocks.1.depthwise of V2 1.0/224: 96 channels, 3×3, stride 2, 112² → 56².
    macs, params = 96 * 9 * 56 * 56, 96 * 9 + 2 * 96
    inputs, outputs = 96 * 112 * 112, 96 * 56 * 56
    assert arithmetic_intensity(macs, params, inputs, outputs) == pytest.approx(2_709_504 / (4 * (1056 + 1_204_224 + 301_056)))
    # Weights are read once per forward, activations once per image.
    assert arithmetic_intensity(macs, params, inputs, outputs, batch=8) == pytest.approx(8 * macs / (4 * (params + 8 * (inputs + outputs))))
    assert arithmetic_intensity(0, 0, 10, 1) == 0.0
    assert arithmetic_intensity(0, 0, 0, 0) == 0.0


def test_pointwise_has_higher_intensity_than_depthwise():
    io = layer_io_elements(paper_config("v2"))
    rows = {r.name: r for r in count(paper_config("v2")).layers}
    ai = {name: arithmetic_intensity(rows[name].macs, rows[name].params, *io[name]) for name in ("blocks.5.depthwise", "blocks.5.expand")}
    assert ai["blocks.5.expand"] > 5 * ai["blocks.5.depthwise"]


def test_achieved_gmacs_per_s():
    assert achieved_gmacs_per_s(10**9, 1, 1000.0) == pytest.approx(1.0)
    assert achieved_gmacs_per_s(10**9, 4, 1000.0) == pytest.approx(4.0)
    assert achieved_gmacs_per_s(10**6, 1, 0.5) == pytest.approx(2.0)
    assert achieved_gmacs_per_s(5, 1, 0.0) == 0.0


def test_layer_io_elements_chain_through_the_network():
    for config in (paper_config("v2", width_multiplier=0.5, resolution=96), paper_config("v1", resolution=128)):
        rows = count(config).layers
        io = layer_io_elements(config)
        assert io["stem"][0] == 3 * config.resolution**2
        for previous, row in zip(rows, rows[1:]):
            assert io[row.name][0] == io[previous.name][1], row.name  # each layer reads what the last wrote
        for row in rows:
            assert io[row.name][1] == math.prod(row.output_shape)


def test_derived_columns_from_hand_computed_values():
    # V1 1.0/224: the stem is a 3×3 conv, 3 → 32 channels, stride 2: 3·3·3·32 MACs at each of 112² outputs.
    config = paper_config("v1")
    cost = count(config)
    ms = {row.name: 2.0 if row.name == "stem" else 1.0 for row in cost.layers}
    rows = layer_rows(cost, layer_io_elements(config), ms, batch=2)
    stem, pool = rows[0], next(r for r in rows if r.name == "pool")
    assert stem.macs == 10_838_016 and stem.output_shape == (2, 32, 112, 112)
    assert stem.gmacs_per_s == pytest.approx(10.838016)  # 2 images × 10,838,016 MACs in 2 ms
    assert stem.latency_share == pytest.approx(2 / (len(rows) + 1))  # 2 ms of (n − 1)·1 ms + 2 ms
    assert pool.macs == 0 and pool.gmacs_per_s == 0.0 and pool.latency_share == pytest.approx(1 / (len(rows) + 1))
    # Intensity: weights once, input (3·224²) and output (32·112²) per image, 4 bytes each.
    assert stem.arithmetic_intensity == pytest.approx(2 * 10_838_016 / (4 * (stem.params + 2 * (150_528 + 401_408))))


def test_layer_rows_from_given_latencies():
    config = paper_config("v2", resolution=64)
    cost = count(config)
    fake = {row.name: float(i + 1) for i, row in enumerate(cost.layers)}
    rows = layer_rows(cost, layer_io_elements(config), fake, batch=2)
    total = sum(fake.values())
    assert [r.latency_share for r in rows] == pytest.approx([v / total for v in fake.values()])
    assert rows[0].output_shape == (2, *cost.layers[0].output_shape[1:])
    assert rows[-1].gmacs_per_s == pytest.approx(2 * cost.layers[-1].macs / (fake["head"] * 1e-3) / 1e9)


# --- isolation ----------------------------------------------------------------------------------


def _hooks(model):
    return [(name, kind) for name, m in model.named_modules() for kind in ("_forward_hooks", "_forward_pre_hooks") if getattr(m, kind)]


def test_shared_model_is_not_hooked_mutated_or_changed(config):
    shared = build_model(config)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        before = shared(x)
    state = copy.deepcopy(shared.state_dict())
    threads_before = torch.get_num_threads()
    # Which model ran? A probe hook travels into the private copy, so it sees every forward and
    # tells the shared head from the copy's.
    ran_shared = []
    probe = shared.head.register_forward_hook(lambda module, args, output: ran_shared.append(module is shared.head))
    measure_latency(config, FAST, model=shared, max_attempts=1)
    probe.remove()
    assert ran_shared and not any(ran_shared)  # only the private copy was run (and hooked)
    assert _hooks(shared) == []
    assert not shared.training
    assert all(p.device.type == "cpu" for p in shared.parameters())
    assert state.keys() == shared.state_dict().keys()
    assert all(torch.equal(state[k], v) for k, v in shared.state_dict().items())
    with torch.inference_mode():
        assert torch.equal(shared(x), before)
    assert torch.get_num_threads() == threads_before


def test_threads_apply_inside_the_measuring_thread_only(config):
    if available_cores() < 2:
        pytest.skip("needs 2 cores to tell thread counts apart")
    # A probe hook on the model passed in: the private copy carries it, so it sees the thread
    # count in effect during both timing phases. (Test-only: real shared models have no hooks.)
    seen, caller_threads = [], []
    probe = build_model(config)
    probe.head.register_forward_hook(lambda module, args, output: seen.append(torch.get_num_threads()))
    previous = torch.get_num_threads()
    torch.set_num_threads(2)

    def measure():
        caller_threads.append(torch.get_num_threads())
        measure_latency(config, LatencySettings(threads=1, budget_s=0.05), model=probe, max_attempts=1)
        caller_threads.append(torch.get_num_threads())

    try:
        worker = threading.Thread(target=measure)
        worker.start()
        worker.join()
        assert seen and set(seen) == {1}
        assert len(caller_threads) == 2 and caller_threads[0] == caller_threads[1]  # restored in the measuring thread
        assert torch.get_num_threads() == 2  # another thread's setting is untouched
    finally:
        torch.set_num_threads(previous)


def test_model_not_matching_config_is_an_error(config):
    other = build_model(paper_config("v1", width_multiplier=0.25, resolution=32))
    with pytest.raises(ConfigError, match="model: does not match the config"):
        measure_latency(config, FAST, model=other)
    assert _hooks(other) == []


# --- settings -----------------------------------------------------------------------------------


def test_default_settings():
    s = LatencySettings()
    assert (s.batch, s.threads, s.device, s.budget_s, s.runtime) == (1, None, "cpu", 2.0, "eager")
    assert s.resolved_threads == available_cores()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"batch": 0}, "batch"), ({"batch": 257}, "batch"), ({"batch": True}, "batch"), ({"batch": "1"}, "batch"),
        ({"threads": 0}, "threads"), ({"threads": available_cores() + 1}, "threads"), ({"threads": 1.5}, "threads"),
        ({"device": "tpu"}, "device"), ({"budget_s": 0}, "budget_s"), ({"budget_s": float("nan")}, "budget_s"),
        ({"budget_s": 1e6}, "budget_s"), ({"runtime": "onnxruntime-someday"}, "runtime"),
    ],
)
def test_invalid_settings_name_the_setting(kwargs, field):
    with pytest.raises(ConfigError) as err:
        LatencySettings(**kwargs)
    assert err.value.field == field and str(err.value).startswith(f"{field}: ")
    assert isinstance(err.value, ValueError)


def test_cuda_without_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="device: CUDA is not available"):
        LatencySettings(device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_measurement():
    config = paper_config("v2", resolution=64)
    r = measure_latency(config, LatencySettings(device="cuda", budget_s=0.1))
    assert r.device == "cuda" and r.gpu and r.median_ms > 0 and r.quality in ("good", "noisy")
    # The calling thread waits for the GPU: its CPU share is not held against the measurement.
    assert not any("measuring thread" in reason for reason in r.quality_reasons)
    assert [row.name for row in r.layers] == [row.name for row in count(config).layers]
    assert all(row.latency_ms > 0 for row in r.layers)


# --- runtimes, retries, the lock ----------------------------------------------------------------


def test_every_runtime_has_a_measurer():
    # The deployment runtimes' measurers are loaded by name on first use (explorer.runtimes.measurers).
    assert "eager" in RUNTIMES
    for runtime in RUNTIMES:
        assert measurer_for(runtime).__name__ == f"measure_{runtime.replace('-', '_')}"
    assert set(MEASURERS) == set(RUNTIMES)


def test_measurer_is_dispatched_by_the_runtime_name(config, monkeypatch):
    calls = []
    eager = MEASURERS["eager"]

    def recording(job):
        calls.append((job.settings.runtime, job.threads, tuple(job.example.shape), job.rows[0], job.model.training))
        return eager(job)

    monkeypatch.setitem(MEASURERS, "eager", recording)
    r = measure_latency(config, FAST, max_attempts=1)
    assert calls == [("eager", 1, (1, 3, 64, 64), "stem", False)]
    assert r.runtime == "eager" and r.layers


def test_noisy_attempts_are_retried_up_to_the_limit(config, monkeypatch):
    """A measurer whose samples spread wide (as under load) is measured again, then reported noisy;
    the progress bar never runs backwards from one attempt to the next."""
    attempts = []

    def spread_out(job):
        attempts.append(job)
        job.progress(0.0, "starting")
        job.progress(0.5, "timing")
        job.progress(1.0, "timed")
        return timed_result(median_ms=10.0, iqr_ms=5.0)

    monkeypatch.setitem(MEASURERS, "eager", spread_out)
    messages, fractions = [], []
    r = measure_latency(config, FAST, max_attempts=3, retry_pause_s=0.0,
                        progress=lambda f, m: (messages.append(m), fractions.append(f)))
    assert len(attempts) == 3 and r.attempts == 3
    assert r.quality == "noisy" and any("wide spread" in reason for reason in r.quality_reasons)
    assert r.layers == () and r.coverage is None  # this measurer gave no per-layer times
    assert any(m.startswith("attempt 1 was noisy (wide spread") for m in messages)
    assert "attempt 3 of 3: timing" in messages
    # Each attempt went from 0 to 1 on its own scale; the bar went forward only, and ended full.
    assert all(later >= earlier for earlier, later in zip(fractions, fractions[1:])), fractions
    assert fractions[-1] == 1.0
    starts = [fractions[i] for i, m in enumerate(messages) if m.endswith("starting")]
    assert len(starts) == 3 and starts[0] < starts[1] < starts[2] < 1.0  # every retry starts further along


def timed_result(median_ms: float, iqr_ms: float, **notes):
    """What a runtime's measurer returns, without per-layer times."""
    from explorer.runtimes.results import RuntimeResult

    return RuntimeResult(runtime="eager", status="ok", batch=1, threads=1, budget_s=0.2, median_ms=median_ms, iqr_ms=iqr_ms,
                         runs=20, samples=20, **notes)


def test_measure_with_the_lock_reports_its_wait(config, tmp_path):
    lock = MeasurementLock(tmp_path / "latency.lock")
    done = threading.Event()

    def hold_briefly():
        with lock.hold("someone else") as holding:
            holding.report(0.4, "busy")
            done.set()
            time.sleep(0.6)

    t = threading.Thread(target=hold_briefly)
    t.start()
    done.wait()
    waits = []
    r = measure_latency(config, FAST, lock=lock, on_wait=waits.append, max_attempts=1)
    t.join()
    assert r.waited_s > 0.3 and waits and waits[-1].holder.what == "someone else"
    assert not lock.is_held()


# --- module boundaries (issue 9) ------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter: what gets imported can only be seen from a clean sys.modules."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_settings_store_and_probes_do_not_import_torch():
    code = ("import sys\n"
            "from explorer.measurement import LatencySettings\n"
            "LatencySettings(threads=1); LatencySettings(batch=4, budget_s=1.0).resolved_threads\n"
            "import explorer.machine as m; m.cpu_model(); m.machine_name(); m.torch_version(); m.available_cores(); m.gpu_name('cpu')\n"
            "import explorer.store, explorer.lock, explorer.quality, explorer.latency\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr


def test_latency_and_store_do_not_import_each_other():
    code = ("import sys\n"
            "import explorer.latency\n"
            "assert 'explorer.store' not in sys.modules, 'latency imported the store'\n"
            "for name in [n for n in sys.modules if n.startswith('explorer')]: del sys.modules[name]\n"
            "import explorer.store\n"
            "assert 'explorer.latency' not in sys.modules, 'the store imported the measuring code'\n")
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr


def test_thread_count_is_set_in_one_place():
    """The set-and-restore-threads code lives in explorer/timing.py only."""
    setters = sorted(p.name for p in (ROOT / "explorer").glob("*.py") if "set_num_threads" in p.read_text())
    assert setters == ["timing.py"]


def test_time_call_takes_min_samples_even_for_a_slow_call():
    t = time_call(lambda: time.sleep(0.03), threads=1, budget_s=0.01, warmup=0, min_samples=MIN_SAMPLES)
    assert len(t.times) >= MIN_SAMPLES and t.runs >= MIN_SAMPLES
    assert 0.025 < t.median < 0.5 and t.iqr >= 0


# --- command line -------------------------------------------------------------------------------


LATENCY_ARGS = ("profile", "--arch", "v2", "--resolution", "64", "--latency", "--threads", "1", "--budget", "0.05")


CONTRACT = {"quality", "quality_reasons", "started_at", "finished_at", "waited_s", "per_image_ms", "throughput_ips", "attempts"}


# "measured <start> to <end> in 0.4 s (budget ...": the line of a fresh measurement (not "measured 20", the year).
MEASURED_LINE = re.compile(r"^measured \S+ to \S+ in \d+\.\d s \(budget ", re.M)


def set_stored_quality(path, quality: str) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        assert conn.execute("UPDATE measurements SET quality = ?", (quality,)).rowcount == 1


def test_cli_profile_latency_json_then_reuse_then_remeasure(cli, tmp_path):
    out = json.loads(cli(*LATENCY_ARGS, "--json", env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout)
    latency = out["latency"]
    assert {"median_ms", "iqr_ms", "runs", "threads", "batch", "device", "runtime"} | CONTRACT <= set(latency)
    assert (latency["threads"], latency["batch"], latency["device"], latency["runtime"], latency["from_store"]) == (1, 1, "cpu", "eager", False)
    assert latency["median_ms"] > 0 and latency["runs"] >= MIN_SAMPLES and 1 <= latency["attempts"] <= 3
    assert latency["quality"] in ("good", "noisy") and (latency["quality"] == "good") == (latency["quality_reasons"] == [])
    assert iso(latency["started_at"]) < iso(latency["finished_at"]) and latency["waited_s"] == 0
    assert [row["name"] for row in out["layers"]] == [row["name"] for row in latency["layers"]]
    assert all(row["latency_ms"] > 0 for row in out["layers"])
    assert (tmp_path / "latency.sqlite3").exists()

    # Whatever its own verdict, the stored row is set good, then noisy: exactly one outcome is right each time.
    set_stored_quality(tmp_path / "latency.sqlite3", "good")
    text = cli(*LATENCY_ARGS, env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout
    assert "GMAC/s" in text and "latency: median" in text and "quality: " in text
    assert "reused the measurement" in text and f"median {latency['median_ms']:.2f} ms" in text
    assert not MEASURED_LINE.search(text)
    set_stored_quality(tmp_path / "latency.sqlite3", "noisy")
    text = cli(*LATENCY_ARGS, env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout
    assert "reused the measurement" not in text and MEASURED_LINE.search(text), text  # a noisy row is never reused

    again = json.loads(cli(*LATENCY_ARGS, "--json", "--remeasure", "--batch", "2", "--store", tmp_path / "other.sqlite3",
                           env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout)
    assert again["latency"]["from_store"] is False and again["latency"]["batch"] == 2
    assert again["latency"]["per_image_ms"] == pytest.approx(again["latency"]["median_ms"] / 2)
    assert (tmp_path / "other.sqlite3").exists()


def test_cli_batch_text_shows_per_image_and_throughput(cli, tmp_path):
    text = cli("profile", "--arch", "v1", "--width", "0.25", "--resolution", "32", "--latency", "--threads", "1", "--batch", "4",
               "--budget", "0.05", env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout
    assert "per image" in text and "images/s" in text


def test_two_processes_measure_one_at_a_time(tmp_path):
    """Started together, two CLI measurements never overlap; the second reports its wait.
    Two real processes: the machine-wide lock is between processes."""
    env = {**os.environ, "MOBILENET_EXPLORER_DATA": str(tmp_path)}
    commands = [[sys.executable, "-m", "explorer", "profile", "--arch", arch, "--resolution", "96", "--latency", "--threads", "1",
                 "--budget", "0.5", "--json"] for arch in ("v1", "v2")]
    procs = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    outputs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    reports = sorted((json.loads(out)["latency"] for out, _ in outputs), key=lambda r: r["started_at"])
    first, second = reports
    assert iso(first["finished_at"]) <= iso(second["started_at"])  # disjoint intervals
    assert first["waited_s"] == 0 and second["waited_s"] > 0
    waiter_stderr = [err for out, err in outputs if json.loads(out)["latency"]["waited_s"] > 0]
    assert len(waiter_stderr) == 1 and "waiting for another latency measurement on this machine" in waiter_stderr[0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cli_cuda_without_cuda(cli, tmp_path):
    proc = cli("profile", "--arch", "v2", "--latency", "--device", "cuda", env={ENV_DATA_DIR: tmp_path}, check_rc=2)
    assert proc.stderr.startswith("error: --device: CUDA is not available") and len(proc.stderr.strip().splitlines()) == 1
    assert not proc.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--latency", "--batch", "0"], "error: --batch: must be an integer between 1 and 256"),
        (["--latency", "--threads", "0"], "error: --threads: must be an integer between 1 and"),
        (["--latency", "--budget", "0"], "error: --budget:"),
        (["--latency", "--device", "tpu"], "invalid choice"),
        (["--latency", "--runtime", "tflite"], "error: --runtime: must be one of eager, onnxruntime, "),  # one line (issue 11)
        (["--runtime", "eager"], "--runtime needs --latency"),
        (["--threads", "1"], "--threads needs --latency"),
        (["--remeasure"], "--remeasure needs --latency"),
    ],
)
def test_cli_latency_flag_errors(cli, tmp_path, args, fragment):
    proc = cli("profile", "--arch", "v2", *args, env={ENV_DATA_DIR: tmp_path}, check_rc=2)
    assert fragment in proc.stderr and not proc.stdout


def test_cli_without_latency_does_not_import_torch(tmp_path):
    # A fresh interpreter: this test process has imported torch long before.
    code = ("import sys, io, contextlib; from explorer.cli import main\n"
            "for argv in (['profile', '--arch', 'v2', '--json'], ['latency', 'list']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()): assert main(argv) == 0\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    env = {**os.environ, "MOBILENET_EXPLORER_DATA": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr


def test_a_threads_note_holding_a_separator_survives_to_the_report_the_json_and_the_comparison(config, monkeypatch, tmp_path):
    """Issue 18: the notes were joined with "; " and split back at the first one, so ExecuTorch's
    "..., read back 2" was cut off. Kept apart, every part arrives whole."""
    from explorer.cli.formatters import latency_text
    from explorer.runtimes.measure import result_from_report
    from explorer.store import LatencyStore

    threads_note = "XNNPACK threadpool resized to 2; read back 2"
    per_layer = "not available: the delegate runs the graph whole"

    def pool_of_two(job):
        return timed_result(median_ms=10.0, iqr_ms=0.1, threads_note=threads_note, per_layer=per_layer, calibration_inputs=16)

    monkeypatch.setitem(MEASURERS, "executorch-int8", pool_of_two)
    settings = LatencySettings(threads=1, budget_s=0.05, runtime="executorch-int8")
    report = measure_latency(config, settings, max_attempts=1)
    assert (report.threads_note, report.per_layer_note, report.calibration_inputs) == (threads_note, per_layer, 16)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["threads_note"] == threads_note and "read back 2" in data["runtime_note"]
    store = LatencyStore(tmp_path / "s.sqlite3")
    store.put(config, settings, report)
    stored = store.lookup(config, settings)  # through the store's JSON and back
    assert stored.threads_note == threads_note and stored.per_layer_note == per_layer
    compared = result_from_report(stored)
    assert compared.threads_note == threads_note and compared.per_layer == per_layer and compared.calibration_inputs == 16
    assert f"executorch-int8: {threads_note}; {per_layer}; int8 calibrated on 16 random inputs" in latency_text(stored)


def test_a_report_stored_with_one_joined_note_reads_back_whole():
    old = {"median_ms": 1.0, "iqr_ms": 0.1, "runs": 5, "threads": 2, "batch": 1, "device": "cpu", "torch_version": "2",
           "cpu": "c", "machine": "m", "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:00:01+00:00",
           "layers": [], "layer_sum_ms": 0.0, "coverage": None, "layer_runs": 0, "budget_s": 1.0, "quality": "good",
           "runtime": "executorch", "runtime_note": "pool of 2; read back 2; not available"}
    report = LatencyReport.from_dict(old)
    assert report.threads_note == "pool of 2; read back 2; not available" and report.runtime_note == old["runtime_note"]
