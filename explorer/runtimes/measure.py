"""Measure one config on one runtime: export, check against eager, then time (and profile layers).

Correctness comes before speed: each runtime first runs the input the eager lab times, and its
output is compared with eager's. An fp32 runtime outside the tolerance, an int8 runtime whose
output is mostly noise, or one that fails to export or load, is returned as ``status="failed"``
with the reason, and is never timed.

Timing is :func:`explorer.timing.time_call` (the same primitive and statistics as eager: warm-up,
``blocked_autorange``, median, IQR, runs), with the same split of the budget as the eager lab:
:data:`explorer.latency.WHOLE_MODEL_SHARE` for the whole model, the rest for the per-layer pass.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig
from ..errors import first_line
from .comparison import (
    CALIBRATION_INPUTS,
    INT8_MIN_COSINE,
    check_input,
    cosine,
    eager_reference,
    fp32_tolerance,
    max_abs_diff,
    reference_model,
    row_names,
    sqnr_db,
)
from .names import INT8, RuntimeFailure, check_runtime_name, package_version, require
from .results import RuntimeLayer, RuntimeResult

if TYPE_CHECKING:
    import torch

Progress = Callable[[float, str], None]


def measure_runtime(config: MobileNetConfig, runtime: str, *, threads: int | None = None, batch: int = 1, budget_s: float = 2.0,
                    model: torch.nn.Module | None = None, progress: Progress | None = None) -> RuntimeResult:
    """Check ``config`` on ``runtime`` against eager, then time it within about ``budget_s`` seconds.

    ``threads`` (default: all available cores), ``batch`` and ``budget_s`` are validated as the eager
    lab's settings (:class:`explorer.config.ConfigError` names the setting). ``model`` is the eager
    model to compare with and export (a shared model is never mutated); without it a model with
    seeded weights is built. Raises :class:`~explorer.runtimes.names.UnknownRuntime` for a bad name
    and :class:`~explorer.runtimes.names.RuntimeUnavailable` when the runtime's packages are missing;
    everything else that goes wrong is a ``failed`` result.
    """
    from ..latency import LatencySettings

    check_runtime_name(runtime)
    settings = LatencySettings(batch=batch, threads=threads, budget_s=budget_s)
    report = progress or (lambda fraction, message: None)
    if runtime == "eager":
        return _eager(config, settings, model, report)
    require(runtime)
    started = time.perf_counter()
    base = dict(runtime=runtime, batch=settings.batch, threads=settings.resolved_threads, budget_s=settings.budget_s,
                runtime_version=package_version(runtime))

    eager = reference_model(config, model)
    x = check_input(config, settings.batch)
    expected, rounding = eager_reference(eager, x)
    try:
        report(0.0, f"exporting for {runtime} (seconds; reused afterwards)")
        artifact, maps = _artifact(config, runtime, eager, settings.batch)
    except Exception as err:  # noqa: BLE001 - exporter errors come in many types; report, don't crash
        return RuntimeResult(status="failed", failure=f"could not export: {type(err).__name__}: {first_line(err)}",
                             elapsed_s=time.perf_counter() - started, **base)
    base.update(artifact_bytes=len(artifact.data), export_s=artifact.export_s)
    # ExecuTorch's XNNPACK delegate takes the thread pool when a program is loaded, and resizing
    # the pool destroys the old one: so size the pool first, load, check and time inside, and let
    # the program go before the pool is restored. ORT's threads are a session option.
    with _threads(runtime, settings.resolved_threads, artifact.data) as (used_threads, threads_note):
        base.update(threads=used_threads, threads_note=threads_note)
        outcome = _check_and_time(runtime, artifact.data, x, used_threads, expected, rounding, settings.budget_s, report)
    if isinstance(outcome, str):  # could not load
        return RuntimeResult(status="failed", failure=outcome, elapsed_s=time.perf_counter() - started, **base)
    verdict, timing = outcome
    if verdict.failure:
        return RuntimeResult(status="failed", failure=verdict.failure, elapsed_s=time.perf_counter() - started, **base, **verdict.fields)
    layers: tuple[RuntimeLayer, ...] = ()
    layer_fields: dict[str, Any] = {"per_layer": "not available"}
    if runtime.startswith("onnxruntime"):
        from ..latency import WHOLE_MODEL_SHARE

        report(0.35 + 0.6 * WHOLE_MODEL_SHARE, "profiling every kernel (ONNX Runtime profiler)")
        layers, layer_fields = _ort_layers(config, artifact.data, maps, x, used_threads,
                                           settings.budget_s * (1 - WHOLE_MODEL_SHARE), timing.median_ms)
    elif runtime.startswith("executorch"):
        from .executorch_runtime import PER_LAYER_NOTE

        layer_fields = {"per_layer": PER_LAYER_NOTE}
    elif runtime.startswith("litert"):
        from .litert_runtime import PER_LAYER_NOTE as LITERT_PER_LAYER_NOTE

        layer_fields = {"per_layer": LITERT_PER_LAYER_NOTE}
    report(1.0, "done")
    return RuntimeResult(status="ok", median_ms=timing.median_ms, iqr_ms=timing.iqr_ms, runs=timing.runs, samples=len(timing.times), layers=layers,
                         elapsed_s=time.perf_counter() - started, page_faults_per_run=timing.page_faults_per_run,
                         timing_window=timing.window, **base, **verdict.fields, **layer_fields)


def _check_and_time(runtime: str, data: bytes, x: Any, threads: int, expected: Any, rounding: float, budget_s: float,
                    report: Progress) -> str | tuple[Verdict, Any]:
    """Load, compare with eager and, only if the output matches, time. Returns the load error's text
    or ``(verdict, timing)`` (timing None when the verdict failed). The loaded program is local: it
    is gone when this returns, before any thread pool is resized again."""
    from ..latency import WHOLE_MODEL_SHARE
    from ..timing import MIN_SAMPLES, time_call

    report(0.3, "checking the output against eager")
    try:
        output, call = _load(runtime, data, x, threads)
    except Exception as err:  # noqa: BLE001 - runtime errors come in many types; report, don't crash
        return f"could not load: {type(err).__name__}: {first_line(err)}"
    verdict = compare(runtime, expected, output, rounding)
    if verdict.failure:
        return verdict, None
    report(0.35, f"timing the whole model on {runtime}")
    whole_budget = budget_s * WHOLE_MODEL_SHARE if runtime.startswith("onnxruntime") else budget_s
    return verdict, time_call(call, threads=threads, budget_s=whole_budget, warmup=2, min_samples=MIN_SAMPLES)


@contextlib.contextmanager
def _threads(runtime: str, threads: int, data: bytes | None = None) -> Iterator[tuple[int, str]]:
    """The thread count in force for ``runtime`` and how it was set (LiteRT reads it back on ``data``)."""
    if runtime.startswith("litert"):
        from .litert_runtime import threads_set

        with threads_set(data, threads) as used:
            yield used
        return
    if runtime.startswith("onnxruntime"):
        yield threads, f"ONNX Runtime intra_op_num_threads={threads}, inter_op_num_threads=1"
        return
    from . import executorch_runtime as et

    with et.threads_set(threads) as used:
        yield used, (f"ExecuTorch thread pool resized to {threads} with _unsafe_reset_threadpool before loading the "
                     f"program; _threadpool_get_thread_count() read back {used}")


# --- correctness ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    fields: dict[str, Any]
    failure: str | None


def compare(runtime: str, expected: Any, output: Any, rounding: float = 0.0) -> Verdict:
    """fp32: max abs diff within the tolerance; int8: SQNR and cosine, failed below the cosine floor."""
    import numpy as np

    output = np.asarray(output.detach().numpy() if hasattr(output, "detach") else output)
    if output.shape != expected.shape:
        return Verdict({}, f"output shape {tuple(output.shape)} differs from eager's {tuple(expected.shape)}")
    if not np.all(np.isfinite(output)):
        return Verdict({}, "output has NaN or infinite values")
    if runtime in INT8:
        sqnr, cos = sqnr_db(expected, output), cosine(expected, output)
        fields = {"output_sqnr_db": sqnr, "output_cosine": cos, "calibration_inputs": CALIBRATION_INPUTS}
        if not cos >= INT8_MIN_COSINE:
            return Verdict(fields, f"int8 output is barely related to eager's: cosine {cos:.2f} (floor {INT8_MIN_COSINE:g}), "
                                   f"SQNR {sqnr:.1f} dB; not timed")
        return Verdict(fields, None)
    diff, tolerance = max_abs_diff(expected, output), fp32_tolerance(expected, rounding)
    fields = {"output_max_abs_diff": diff, "output_tolerance": tolerance, "eager_rounding": rounding}
    if not diff <= tolerance:
        return Verdict(fields, f"output differs from eager by up to {diff:.3g} (tolerance {tolerance:.3g}); not timed")
    return Verdict(fields, None)


# --- per runtime ------------------------------------------------------------------------------------


def _artifact(config: MobileNetConfig, runtime: str, eager: torch.nn.Module, batch: int) -> tuple[Any, Any]:
    """The runtime's file, and for ONNX the node/value → row maps of the fp32 export."""
    if runtime.startswith("onnxruntime"):
        import onnx

        from .onnx_export import export_onnx, layer_maps
        from .onnx_runtime import quantize_onnx

        fp32 = export_onnx(config, eager, batch)
        maps = layer_maps(onnx.load_model_from_string(fp32.data), row_names(config))
        if runtime == "onnxruntime-int8":
            return quantize_onnx(config, fp32, eager, batch), maps
        return fp32, maps
    if runtime.startswith("litert"):
        from .litert_runtime import export_tflite

        return export_tflite(config, eager, batch, int8=runtime == "litert-int8"), None
    from .executorch_runtime import export_pte

    return export_pte(config, eager, batch, int8=runtime == "executorch-int8"), None


def _load(runtime: str, data: bytes, x: torch.Tensor, threads: int) -> tuple[Any, Callable[[], Any]]:
    """Load the file; return its output on ``x`` and the call to time. For ExecuTorch, call it with
    the thread pool already sized (:func:`_threads`)."""
    if runtime.startswith("onnxruntime"):
        from . import onnx_runtime

        sess = onnx_runtime.session(data, threads)
        feed = {sess.get_inputs()[0].name: onnx_runtime._numpy(x)}
        return sess.run(None, feed)[0], lambda: sess.run(None, feed)
    if runtime.startswith("litert"):
        from . import litert_runtime

        loaded = litert_runtime.load(data, threads)
        return loaded.run(x), loaded.timed(x)
    from . import executorch_runtime as et

    method = et.load(data)
    return et.run(method, x).detach().clone(), et.timed(method, x)  # a copy: the output may live in the program's memory


def _ort_layers(config: MobileNetConfig, data: bytes, maps: Any, x: Any, threads: int, budget_s: float,
                median_ms: float) -> tuple[tuple[RuntimeLayer, ...], dict[str, Any]]:
    from .onnx_runtime import profile_layers

    rows = row_names(config)
    per_row, outside, runs = profile_layers(data, x, threads, budget_s, rows, *maps)
    layers = tuple(RuntimeLayer(row, sum(ms for _, ms in per_row[row]), tuple(per_row[row])) for row in rows)
    layer_sum = sum(layer.latency_ms for layer in layers)
    return layers, {
        "layer_sum_ms": layer_sum,
        "coverage": layer_sum / median_ms if median_ms > 0 else 0.0,
        "outside_ms": outside,
        "layer_runs": runs,
        "per_layer": "ONNX Runtime profiler: median of each kernel over the profiled runs, mapped to rows by module path",
    }


def _eager(config: MobileNetConfig, settings: Any, model: torch.nn.Module | None, progress: Progress) -> RuntimeResult:
    """Eager through the lab's own measurement (the reference: its difference with itself is 0)."""
    from ..latency import measure_latency

    return result_from_report(measure_latency(config, settings, model=model, progress=progress))


def result_from_report(report: Any) -> RuntimeResult:
    """A lab measurement (:class:`explorer.measurement.LatencyReport`, any runtime) as a :class:`RuntimeResult`,
    for the comparisons (charts, per-layer speed-ups) that read results of every runtime alike."""
    eager = report.runtime == "eager"
    return RuntimeResult(
        runtime=report.runtime, status="ok", batch=report.batch, threads=report.threads, budget_s=report.budget_s,
        median_ms=report.median_ms, iqr_ms=report.iqr_ms, runs=report.runs, samples=report.samples or 0,
        output_max_abs_diff=0.0 if eager else report.output_max_abs_diff, output_sqnr_db=report.output_sqnr_db,
        output_cosine=report.output_cosine,
        layers=tuple(RuntimeLayer(row.name, row.latency_ms, row.leaves) for row in report.layers),
        layer_sum_ms=report.layer_sum_ms if report.layers else None, coverage=report.coverage, layer_runs=report.layer_runs,
        outside_ms=None if not report.layers else max(report.median_ms - report.layer_sum_ms, 0.0),
        per_layer="forward hooks on every leaf module (the eager lab)" if eager else report.per_layer_note,
        threads_note=f"torch.set_num_threads({report.threads})" if eager else report.threads_note,
        calibration_inputs=report.calibration_inputs,
        runtime_version=package_version(report.runtime), elapsed_s=report.elapsed_s,
        page_faults_per_run=report.page_faults_per_run, timing_window=report.window,
    )


# --- checked downloads ------------------------------------------------------------------------------

MIME = {"onnx": "application/octet-stream", "pte": "application/octet-stream", "tflite": "application/octet-stream",
        "tflite-int8": "application/octet-stream"}


@dataclass(frozen=True)
class CheckedFile:
    """A model file that was loaded by its runtime and gave eager's output on the check input."""

    fmt: str  # onnx, pte, tflite or tflite-int8
    data: bytes
    max_abs_diff: float | None  # fp32 files; None for int8
    tolerance: float | None
    export_s: float
    sqnr_db: float | None = None  # int8 files: similarity with eager's output
    cosine: float | None = None


def checked_export(config: MobileNetConfig, fmt: str, model: torch.nn.Module | None = None, batch: int = 1) -> CheckedFile:
    """The fp32 model as ``.onnx``, ``.pte`` or ``.tflite`` bytes (or the int8 ``.tflite``,
    ``tflite-int8``), only once it loads in its runtime and matches eager (int8: SQNR and cosine).

    Raises :class:`~explorer.runtimes.names.RuntimeUnavailable` when the runtime is missing and
    :class:`~explorer.runtimes.names.RuntimeFailure` when the file does not load or does not match.
    """
    runtimes = {"onnx": "onnxruntime", "pte": "executorch", "tflite": "litert", "tflite-int8": "litert-int8"}
    if fmt not in runtimes:
        raise ValueError(f"format: must be one of {', '.join(runtimes)}, got {fmt!r}")
    runtime = runtimes[fmt]
    require(runtime)

    eager = reference_model(config, model)
    x = check_input(config, batch)
    expected, rounding = eager_reference(eager, x)
    try:
        artifact, _ = _artifact(config, runtime, eager, batch)
        if fmt == "onnx":
            from .onnx_export import validate_onnx

            validate_onnx(artifact.data)  # the file as a user would upload it again: checksum, checker, ORT load
        elif fmt.startswith("tflite"):
            from .tflite_file import validate_tflite

            validate_tflite(artifact.data)  # identifier, interpreter load, checksum
        with _threads(runtime, 1):
            output, call = _load(runtime, artifact.data, x, 1)
            del call  # the program goes before the thread pool is restored
    except RuntimeFailure:
        raise
    except Exception as err:  # noqa: BLE001
        raise RuntimeFailure(runtime, f"could not export or load the .{fmt.split('-')[0]} file: {type(err).__name__}: {first_line(err)}") from None
    verdict = compare(runtime, expected, output, rounding)
    if verdict.failure:
        raise RuntimeFailure(runtime, f"the .{fmt.split('-')[0]} file is not offered: {verdict.failure}")
    return CheckedFile(fmt, artifact.data, verdict.fields.get("output_max_abs_diff"), verdict.fields.get("output_tolerance"),
                       artifact.export_s, verdict.fields.get("output_sqnr_db"), verdict.fields.get("output_cosine"))
