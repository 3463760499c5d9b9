"""Measured latency: the whole model and every layer of the table, next to their MACs, with a verdict.

FLOPs are not speed: depthwise and 1×1 layers are often memory-bound, so this module times a real
model and puts each layer's measured share next to its MAC share.

* **Whole model**: :func:`explorer.timing.time_call` (``torch.utils.benchmark`` with
  ``blocked_autorange``, warm-up first, at least :data:`~explorer.timing.MIN_SAMPLES` samples)
  under ``torch.inference_mode``: median, IQR, runs.
* **Per layer**: forward pre/post hooks with ``time.perf_counter`` on every leaf module (each
  row's conv, bn and activation; ``pool``; ``head``), median over repeated forwards. A row of the
  layer table (``stem``, ``blocks.3.expand``, …) gets the sum of its leaves, and keeps them in
  :attr:`LayerLatency.leaves`. The sum leaves out residual adds, flatten, dropout and Python
  overhead between leaves; on a quiet machine it came to 70–138% of the whole-model median (the
  data behind :data:`explorer.quality.COVERAGE_RANGE`, which allows 65–150%), and
  :attr:`LatencyReport.coverage` reports the ratio as measured.
* **Verdict**: every attempt is judged by :func:`explorer.quality.verdict` (its own spread and
  coverage, and what the machine did meanwhile); a noisy attempt is retried, up to
  :data:`MAX_ATTEMPTS` attempts and no new one after :data:`RETRY_WITHIN_S`, and the report
  says ``good`` or ``noisy`` with the reasons.
* **Runtimes**: the timing itself is a runtime's measurer, looked up by name in
  :data:`MEASURERS` (``settings.runtime``). A measurer gets a :class:`MeasureJob` (a private eager
  model, an input, the thread count and budget) and returns an :class:`explorer.runtimes.results.RuntimeResult`: whole-model
  statistics, optionally per-leaf medians, optionally the largest output difference against
  eager PyTorch. Everything else (retries, verdict, report) is shared.
* **Isolation**: a model passed in is shared (a Streamlit cache); it is deep-copied and only the
  copy is hooked or moved. torch's thread count is per OS thread, so it is set inside the
  measuring code and restored afterwards.

This module measures and returns a report; it knows nothing of the store. One measurement at a
time on a machine is the job of :class:`explorer.lock.MeasurementLock`: pass ``lock=`` here, or
use :meth:`explorer.store.LatencyStore.get_or_measure`, which holds the machine's lock.

torch is imported inside the functions that measure: settings, reports, the store and ``latency
list`` stay torch-free and start fast.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .clock import utc_now
from .config import ConfigError, MobileNetConfig
from .counting import Cost, count

# The machine probes and report types used to live here; they are re-exported for older imports.
from .machine import cpu_model, gpu_name, machine_name, torch_version
from .measurement import LatencyReport, LatencySettings, LayerLatency, describe_measurement
from .plan import make_plan
from .quality import GOOD, QUIET_FOR_S, QUIET_MAX_WAIT_S, WatchMachine, verdict, wait_for_quiet
from .runtimes.results import RuntimeLayer, RuntimeResult
from .schema import FP32_BYTES

if TYPE_CHECKING:  # only for annotations: importing torch costs ~1 s
    import torch

    from .lock import MeasurementLock, Waiting

__all__ = [
    "MAX_ATTEMPTS", "MEASURERS", "LatencyReport", "LatencySettings", "LayerLatency", "MeasureJob",
    "RuntimeResult", "achieved_gmacs_per_s", "arithmetic_intensity", "cpu_model", "gpu_name", "layer_io_elements",
    "layer_rows", "leaf_modules", "machine_name", "measure_eager", "measure_latency", "time_layers", "torch_version",
]

# Share of the time budget for the whole-model timing; the rest goes to the per-layer pass.
WHOLE_MODEL_SHARE = 0.6
# The per-layer pass runs at least MIN_LAYER_RUNS forwards (a median of one forward is one
# sample, not a median), then repeats while its budget lasts; the cap keeps small models from
# collecting thousands of samples that change nothing.
MIN_LAYER_RUNS = 5
MAX_LAYER_RUNS = 500
# A noisy attempt is measured again, at most this many attempts in all, once the machine has
# been quiet for a moment (quality.wait_for_quiet), waiting at most this long before each retry.
MAX_ATTEMPTS = 3
RETRY_PAUSE_S = QUIET_MAX_WAIT_S
# ... and at most this many times the attempt's budget (the default 2 s budget gets the whole 10 s).
QUIET_WAIT_PER_BUDGET = 5.0
# No new attempt once the measurement has run this long: a batch-64 model at ~1 s per forward
# needs ~15 s an attempt, and every other session waits for the lock meanwhile.
RETRY_WITHIN_S = 30.0
# Progress never runs backwards on a retry: the first attempt fills this share of the bar, the
# retries (if any) share the rest, and the wait for quiet before a retry shows at its start.
FIRST_ATTEMPT_SHARE = 0.7

Progress = Callable[[float, str], None]


# --- derived columns (pure functions of counts and timings) ------------------------------------


def achieved_gmacs_per_s(macs: int, batch: int, latency_ms: float) -> float:
    """Achieved throughput: ``macs × batch / latency``, in GMAC/s (0 for layers without MACs)."""
    if latency_ms <= 0:
        return 0.0
    return macs * batch / (latency_ms * 1e-3) / 1e9


def arithmetic_intensity(macs: int, params: int, input_elements: int, output_elements: int, batch: int = 1) -> float:
    """MACs per byte moved, in fp32: ``macs·batch / (4·(params + batch·(input + output)))``.

    Bytes moved are the layer's parameters, read once per forward whatever the batch, plus its
    input and output activations for every image. Low values (a few MACs per byte: depthwise,
    pooling) mean the layer waits on memory; high values (hundreds: wide 1×1 convs) mean it can
    keep the arithmetic units busy. ``macs``, ``input_elements`` and ``output_elements`` are per image.
    """
    moved = FP32_BYTES * (params + batch * (input_elements + output_elements))
    return macs * batch / moved if moved else 0.0


def layer_io_elements(config: MobileNetConfig) -> dict[str, tuple[int, int]]:
    """Input and output elements of every row of the layer table, per image, from the plan."""
    return make_plan(config).io_elements()


def layer_rows(cost: Cost, io: Mapping[str, tuple[int, int]], latencies_ms: Mapping[str, float], batch: int,
               leaves: Mapping[str, Sequence[str]] | None = None) -> tuple[LayerLatency, ...]:
    """Combine analytic counts and measured latencies into the rows of the report.

    ``latencies_ms`` holds a median per timed module. With ``leaves`` (row name → its leaf module
    names) a row's latency is the sum of its leaves' medians; without, each row was timed whole.
    """
    leaves = leaves or {row.name: [row.name] for row in cost.layers}
    row_leaves = {row.name: tuple((leaf, latencies_ms[leaf]) for leaf in leaves[row.name]) for row in cost.layers}
    row_ms = {name: sum(ms for _, ms in timed) for name, timed in row_leaves.items()}
    total_ms = sum(row_ms.values())
    rows = []
    for row in cost.layers:
        ms = row_ms[row.name]
        rows.append(LayerLatency(
            name=row.name,
            kind=row.kind,
            latency_ms=ms,
            macs=row.macs,
            params=row.params,
            latency_share=ms / total_ms if total_ms > 0 else 0.0,
            mac_share=row.macs / cost.macs if cost.macs else 0.0,
            gmacs_per_s=achieved_gmacs_per_s(row.macs, batch, ms),
            arithmetic_intensity=arithmetic_intensity(row.macs, row.params, *io[row.name], batch=batch),
            output_shape=(batch, *row.output_shape[1:]),
            leaves=row_leaves[row.name],
        ))
    return tuple(rows)


def leaf_modules(model: torch.nn.Module, row_names: Sequence[str]) -> dict[str, list[str]]:
    """Each layer-table row's leaf modules (modules without children), by full name.

    A row such as ``blocks.3.expand`` is a conv-BN-activation unit: its leaves are
    ``blocks.3.expand.conv``, ``.bn`` and ``.act``. ``pool`` and ``head`` are leaves themselves.
    """
    out = {}
    for row in row_names:
        module = model.get_submodule(row)
        leaves = [f"{row}.{name}" for name, sub in module.named_modules() if name and not any(sub.children())]
        out[row] = leaves or [row]
    return out


# --- runtimes: one measurer per runtime, dispatched by name --------------------------------------


@dataclass(frozen=True)
class MeasureJob:
    """What a runtime's measurer gets: a private eager model (in eval mode, on the device; the
    measurer may hook it or export it), an input batch, the threads and the time budget."""

    config: MobileNetConfig
    settings: LatencySettings
    threads: int
    model: torch.nn.Module
    example: torch.Tensor
    rows: tuple[str, ...]  # the layer table's row names, in order (submodule names of ``model``)
    budget_s: float
    progress: Progress


def time_layers(model: torch.nn.Module, x: torch.Tensor, names: list[str], *, threads: int, budget_s: float,
                sync_cuda: bool = False, min_runs: int = MIN_LAYER_RUNS) -> tuple[dict[str, float], int]:
    """Median wall time (ms) of each named submodule over repeated forwards, and the forward count.

    Hooks ``model`` itself (forward pre/post hooks + ``perf_counter``), so pass a private copy;
    the hooks are removed before returning. Call it under ``torch.inference_mode``.
    """
    import torch

    from .timing import torch_threads

    samples: dict[str, list[float]] = {name: [] for name in names}
    starts: dict[str, float] = {}

    def pre_hook(name: str):
        def hook(module, args):
            if sync_cuda:
                torch.cuda.synchronize()
            starts[name] = time.perf_counter()

        return hook

    def post_hook(name: str):
        def hook(module, args, output):
            if sync_cuda:
                torch.cuda.synchronize()
            samples[name].append(time.perf_counter() - starts[name])

        return hook

    handles = []
    try:
        for name in names:
            module = model.get_submodule(name)
            handles.append(module.register_forward_pre_hook(pre_hook(name)))
            handles.append(module.register_forward_hook(post_hook(name)))
        # No warm-up here: the whole-model timing has just warmed the model up.
        with torch_threads(threads):
            runs, start = 0, time.perf_counter()
            while runs < min_runs or (runs < MAX_LAYER_RUNS and time.perf_counter() - start < budget_s):
                model(x)
                runs += 1
    finally:
        for handle in handles:
            handle.remove()
    return {name: statistics.median(values) * 1e3 for name, values in samples.items()}, runs


def measure_eager(job: MeasureJob) -> RuntimeResult:
    """PyTorch eager: the whole model with ``time_call``, then every leaf layer with hooks."""
    import torch

    from .timing import MIN_SAMPLES, time_call

    sync = job.settings.device == "cuda"
    with torch.inference_mode():
        job.progress(0.05, "timing the whole model")
        # One warm-up forward (first-call allocations, kernel choice); a second would cost a
        # whole forward of budget for a large model and change nothing measurable.
        whole = time_call(lambda: job.model(job.example), threads=job.threads, budget_s=job.budget_s * WHOLE_MODEL_SHARE,
                          warmup=1, sync_cuda=sync, min_samples=MIN_SAMPLES)
        job.progress(WHOLE_MODEL_SHARE, "timing every leaf layer")
        leaves = leaf_modules(job.model, job.rows)
        per_leaf, layer_runs = time_layers(job.model, job.example, [leaf for row in job.rows for leaf in leaves[row]],
                                           threads=job.threads, budget_s=job.budget_s * (1 - WHOLE_MODEL_SHARE), sync_cuda=sync)
    # A row's "kernels" are its leaf modules (conv, bn, act), each with its median.
    layers = tuple(RuntimeLayer(row, sum(per_leaf[leaf] for leaf in leaves[row]), tuple((leaf, per_leaf[leaf]) for leaf in leaves[row]))
                   for row in job.rows)
    return RuntimeResult(runtime=job.settings.runtime, status="ok", batch=job.settings.batch, threads=job.threads,
                         budget_s=job.budget_s, median_ms=whole.median_ms, iqr_ms=whole.iqr_ms, runs=whole.runs,
                         samples=len(whole.times), layers=layers, layer_runs=layer_runs, page_faults_per_run=whole.page_faults_per_run)


# Every name in measurement.RUNTIMES has its measurer (a test checks both lists agree). Eager is
# here; the deployment runtimes are plugins in explorer.runtimes.measurers, which builds on this
# module's MeasureJob/RuntimeResult protocol. It is loaded by name on first use, so the dependency
# runs one way (runtimes → latency) and onnx/executorch are imported only when asked for.
MEASURERS: dict[str, Callable[[MeasureJob], RuntimeResult]] = {"eager": measure_eager}
PLUGIN_MEASURERS = "explorer.runtimes.measurers"


def measurer_for(runtime: str) -> Callable[[MeasureJob], RuntimeResult]:
    """The measurer of ``runtime`` (a name in ``measurement.RUNTIMES``)."""
    if runtime not in MEASURERS:
        import importlib

        MEASURERS.update(importlib.import_module(PLUGIN_MEASURERS).MEASURERS)
    return MEASURERS[runtime]


# --- measuring ----------------------------------------------------------------------------------


def measure_latency(config: MobileNetConfig, settings: LatencySettings | None = None, *, model: torch.nn.Module | None = None,
                    progress: Progress | None = None, lock: MeasurementLock | None = None,
                    on_wait: Callable[[Waiting], None] | None = None, max_attempts: int = MAX_ATTEMPTS,
                    retry_pause_s: float = RETRY_PAUSE_S) -> LatencyReport:
    """Measure whole-model and per-layer latency of ``config``, within about ``settings.budget_s`` per attempt.

    ``model``, when given, is treated as shared (e.g. a Streamlit cache): it is deep-copied and
    never hooked, moved or switched to training mode. Without it a model is built from ``config``.
    ``progress(fraction, message)`` is called as the phases advance. With ``lock``, the
    measurement first waits for the machine's other measurements (``on_wait`` hears about it)
    and reports ``waited_s``. A noisy attempt is retried, up to ``max_attempts`` in all.
    """
    settings = settings or LatencySettings()
    if max_attempts < 1:
        raise ValueError(f"max_attempts: must be at least 1, got {max_attempts}")
    report_progress = progress or (lambda fraction, message: None)
    if lock is None:
        return _measure(config, settings, model, report_progress, max_attempts, retry_pause_s, waited_s=0.0)
    with lock.hold(describe_measurement(config, settings), on_wait=on_wait) as holding:

        def both(fraction: float, message: str) -> None:
            holding.report(fraction, message)
            report_progress(fraction, message)

        return _measure(config, settings, model, both, max_attempts, retry_pause_s, waited_s=holding.waited_s)


def _measure(config: MobileNetConfig, settings: LatencySettings, model: torch.nn.Module | None, progress: Progress,
             max_attempts: int, retry_pause_s: float, waited_s: float) -> LatencyReport:
    import torch

    from .allocator import fix_allocator

    fix_allocator()  # before the model is built: its buffers come from the fixed policy too
    measurer = measurer_for(settings.runtime)
    started, started_at = time.perf_counter(), utc_now()
    threads = settings.resolved_threads
    cost = count(config)
    progress(0.0, "preparing a private copy of the model")
    if model is None:
        from .models import build_model
        from .timing import torch_threads

        # Building calibrates batch norm with forwards: run them on the measurement's threads, not
        # the process default (all cores here, one in a Ray worker), so every caller does the same work.
        with torch_threads(threads):
            private = build_model(config)
    else:
        private = copy.deepcopy(model)  # the shared model is never hooked, moved or mutated
    private = private.to(settings.device).eval()
    rows = tuple(row.name for row in cost.layers)
    missing = [name for name in rows if not _has_submodule(private, name)]
    if missing:
        raise ConfigError("model", f"does not match the config: no module {missing[0]!r}")

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(settings.batch, 3, config.resolution, config.resolution, generator=generator).to(settings.device)
    io = layer_io_elements(config)
    activation_bytes = FP32_BYTES * settings.batch * sum(out for _, out in io.values())  # what a forward writes
    for attempt in range(1, max_attempts + 1):
        prefix = "" if attempt == 1 else f"attempt {attempt} of {max_attempts}: "
        low, high = attempt_span(attempt, max_attempts)
        job = MeasureJob(config, settings, threads, private, x, rows, settings.budget_s,
                         lambda fraction, message, prefix=prefix, low=low, high=high:
                         progress(low + (high - low) * min(max(fraction, 0.0), 1.0), prefix + message))
        with WatchMachine() as watch:
            result = measurer(job)
        # A measurer that exports and checks first reports the machine during its timing alone: the verdict judges that.
        window = result.timing_window or watch.window
        leaf_ms = {leaf: ms for layer in result.layers for leaf, ms in layer.kernels}
        leaves = {layer.name: [leaf for leaf, _ in layer.kernels] for layer in result.layers}
        layers = layer_rows(cost, io, leaf_ms, settings.batch, leaves) if result.layers else ()
        layer_sum = sum(row.latency_ms for row in layers)
        coverage = layer_sum / result.median_ms if layers and result.median_ms > 0 else None
        quality, reasons = verdict(median_ms=result.median_ms, iqr_ms=result.iqr_ms, samples=result.samples, coverage=coverage,
                                   window=window, page_faults_per_run=result.page_faults_per_run,
                                   activation_bytes=activation_bytes,
                                   check_thread_share=settings.device != "cuda")
        if quality == GOOD or attempt == max_attempts or time.perf_counter() - started > RETRY_WITHIN_S:
            break
        noisy = f"attempt {attempt} was noisy ({reasons[0]})"
        # Wait for quiet in proportion to the attempt: a 0.1 s measurement is not held up 10 s.
        pause = min(retry_pause_s, max(QUIET_WAIT_PER_BUDGET * settings.budget_s, QUIET_FOR_S))
        next_start = attempt_span(attempt + 1, max_attempts)[0]
        progress(next_start, f"{noisy}; waiting for the machine to be quiet (at most {pause:.0f} s)")
        wait_for_quiet(max_wait_s=pause, on_wait=lambda waited, noisy=noisy, pause=pause, next_start=next_start: progress(
            next_start, f"{noisy}; waiting for the machine to be quiet: {waited:.0f} s of at most {pause:.0f} s"))
    report = LatencyReport(
        median_ms=result.median_ms,
        iqr_ms=result.iqr_ms,
        runs=result.runs,
        samples=result.samples,
        threads=threads,
        batch=settings.batch,
        device=settings.device,
        runtime=settings.runtime,
        torch_version=torch_version(),
        cpu=cpu_model(),
        machine=machine_name(),
        started_at=started_at,
        finished_at=utc_now(),
        layers=layers,
        layer_sum_ms=layer_sum,
        coverage=coverage,
        layer_runs=result.layer_runs,
        budget_s=settings.budget_s,
        quality=quality,
        quality_reasons=reasons,
        attempts=attempt,
        waited_s=waited_s,
        gpu=gpu_name(settings.device),
        window=window,
        page_faults_per_run=result.page_faults_per_run,
        output_max_abs_diff=result.output_max_abs_diff,
        output_sqnr_db=result.output_sqnr_db,
        output_cosine=result.output_cosine,
        threads_note=result.threads_note,
        per_layer_note=result.per_layer,
        calibration_inputs=result.calibration_inputs,
        elapsed_s=time.perf_counter() - started,
    )
    progress(1.0, "done")
    return report


def attempt_span(attempt: int, max_attempts: int) -> tuple[float, float]:
    """The part of the progress bar attempt ``attempt`` (from 1) of ``max_attempts`` fills."""
    if max_attempts == 1:
        return 0.0, 1.0
    if attempt == 1:
        return 0.0, FIRST_ATTEMPT_SHARE
    step = (1.0 - FIRST_ATTEMPT_SHARE) / (max_attempts - 1)
    low = FIRST_ATTEMPT_SHARE + (attempt - 2) * step
    return low, low + step


def _has_submodule(model: torch.nn.Module, name: str) -> bool:
    try:
        model.get_submodule(name)
    except AttributeError:
        return False
    return True

