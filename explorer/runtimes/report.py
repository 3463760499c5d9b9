"""A runtime measurement as a latency report: the shape the CLI, the store and the pages already read.

:class:`RuntimeLatencyReport` is an :class:`explorer.measurement.LatencyReport` with the runtime's own
fields added (runtime, precision, the output check, thread and per-layer notes). Its per-layer rows
are built by the eager lab's :func:`explorer.latency.layer_rows`, with the runtime's kernels as a
row's leaves, so GMAC/s, arithmetic intensity and shares mean the same on every runtime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import MobileNetConfig
from ..counting import count
from ..latency import layer_io_elements, layer_rows
from ..machine import cpu_model, machine_name, torch_version
from ..measurement import LatencyReport
from .base import INT8, RuntimeResult

# The fields this report adds to LatencyReport (LatencyReport has runtime and output_max_abs_diff).
EXTRA = ("precision", "runtime_version", "output_tolerance", "eager_rounding", "output_sqnr_db", "output_cosine",
         "calibration_inputs", "outside_ms", "per_layer", "threads_note", "artifact_bytes", "export_s")


@dataclass(frozen=True)
class RuntimeLatencyReport(LatencyReport):
    precision: str = "fp32"
    runtime_version: str = ""
    output_tolerance: float | None = None
    eager_rounding: float | None = None
    output_sqnr_db: float | None = None
    output_cosine: float | None = None
    calibration_inputs: int | None = None
    outside_ms: float | None = None
    per_layer: str = ""
    threads_note: str = ""
    artifact_bytes: int | None = None
    export_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        # fp32 runtimes report the max abs diff, int8 ones the similarity: leave out what does not apply.
        out = super().to_dict()
        for key in (*EXTRA, "output_max_abs_diff"):
            if out.get(key) is None:
                out.pop(key, None)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuntimeLatencyReport:
        """Rebuild from :meth:`to_dict` (as a store would keep it)."""
        return super().from_dict({k: v for k, v in data.items() if k not in ("per_image_ms", "throughput_ips", "measured_at")})

    def runtime_lines(self) -> list[str]:
        """What the CLI prints after the eager lab's lines for a runtime measured directly."""
        return runtime_lines(self)


def runtime_report(config: MobileNetConfig, result: RuntimeResult, *, started_at: str = "", finished_at: str = "",
                   quality: str | None = None, reasons: tuple[str, ...] = (), window: Any = None) -> RuntimeLatencyReport:
    """A successful :class:`RuntimeResult` as a :class:`RuntimeLatencyReport` (failed ones have no timing).

    Without a ``quality`` verdict the report is ``unverified``.
    """
    from ..quality import UNVERIFIED

    if not result.ok or result.median_ms is None:
        raise ValueError(f"{result.runtime}: failed results have no timing to report ({result.failure})")
    cost = count(config)
    if result.layers:
        by_row = {layer.name: layer for layer in result.layers}
        kernels = {row.name: [name for name, _ in by_row[row.name].kernels] if row.name in by_row else [] for row in cost.layers}
        per_kernel = {name: ms for layer in result.layers for name, ms in layer.kernels}
        rows = layer_rows(cost, layer_io_elements(config), per_kernel, result.batch, kernels)
    else:
        rows = ()
    layer_sum = sum(row.latency_ms for row in rows)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
    return RuntimeLatencyReport(
        median_ms=result.median_ms,
        iqr_ms=result.iqr_ms or 0.0,
        runs=result.runs,
        samples=result.samples,
        threads=result.threads,
        batch=result.batch,
        device="cpu",
        torch_version=torch_version(),
        cpu=cpu_model(),
        machine=machine_name(),
        started_at=started_at or now,
        finished_at=finished_at or now,
        layers=rows,
        layer_sum_ms=layer_sum,
        coverage=layer_sum / result.median_ms if rows and result.median_ms > 0 else None,
        layer_runs=result.layer_runs,
        budget_s=result.budget_s,
        quality=quality or UNVERIFIED,
        quality_reasons=reasons if quality else ("no quality verdict was made for this measurement",),
        window=window,
        elapsed_s=result.elapsed_s,
        runtime=result.runtime,
        precision="int8" if result.runtime in INT8 else "fp32",
        runtime_version=result.runtime_version,
        output_max_abs_diff=result.output_max_abs_diff,
        output_tolerance=result.output_tolerance,
        eager_rounding=result.eager_rounding,
        output_sqnr_db=result.output_sqnr_db,
        output_cosine=result.output_cosine,
        calibration_inputs=result.calibration_inputs,
        outside_ms=result.outside_ms,
        per_layer=result.per_layer,
        threads_note=result.threads_note,
        artifact_bytes=result.artifact_bytes,
        export_s=result.export_s,
    )


def measure_report(config: MobileNetConfig, runtime: str, settings: Any, model: Any = None) -> RuntimeLatencyReport:
    """Measure with the lab's settings (:class:`explorer.measurement.LatencySettings`) and return the
    report, judged by the lab's quality verdict (its spread, coverage and what the machine did).

    Raises :class:`RuntimeUnavailable` (missing packages, or a device other than the CPU) and
    :class:`RuntimeFailure` (export, load or output check failed: nothing was timed).
    """
    from ..quality import WatchMachine, verdict
    from .base import RuntimeFailure, RuntimeUnavailable
    from .measure import measure_runtime

    if settings.device != "cpu":
        raise RuntimeUnavailable(runtime, f"runs on the CPU only in this app, got device {settings.device!r}")
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
    with WatchMachine() as watch:
        result = measure_runtime(config, runtime, threads=settings.threads, batch=settings.batch, budget_s=settings.budget_s,
                                 model=model)
    if not result.ok:
        raise RuntimeFailure(runtime, f"{result.failure} (nothing was timed)")
    quality, reasons = verdict(median_ms=result.median_ms, iqr_ms=result.iqr_ms or 0.0, samples=result.samples,
                               coverage=result.coverage, window=watch.window)
    finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
    return runtime_report(config, result, started_at=started, finished_at=finished, quality=quality, reasons=reasons,
                          window=watch.window)


def check_text(r: Any) -> str:
    """The output check in words: fp32 max abs diff, or int8 SQNR and cosine."""
    if r.output_sqnr_db is not None:
        return (f"int8 output against eager: SQNR {r.output_sqnr_db:.1f} dB, cosine {r.output_cosine:.3f} "
                f"(static quantization calibrated on {r.calibration_inputs} random inputs; a similarity, not an accuracy)")
    if r.output_max_abs_diff is not None:
        return f"output matches eager: max abs diff {r.output_max_abs_diff:.2g} (tolerance {r.output_tolerance or 0:.2g})"
    return "output not compared"


def runtime_lines(r: RuntimeLatencyReport) -> list[str]:
    """The lines after the latency line of ``python -m explorer profile --latency --runtime ...``."""
    from .base import LABELS

    lines = [f"runtime: {LABELS.get(r.runtime, r.runtime)} ({r.runtime_version}); {r.threads_note}", check_text(r)]
    if r.layers and r.coverage is not None:
        lines.append(f"per-layer sum {r.layer_sum_ms:.2f} ms = {100 * r.coverage:.0f}% of the whole-model median "
                     f"({r.per_layer}; {r.layer_runs} profiled runs; {r.outside_ms or 0:.3f} ms in kernels outside the "
                     "layers: layout reorders, residual adds, input quantization)")
    else:
        lines.append(f"per-layer times: {r.per_layer}")
    if r.export_s is not None:
        lines.append(f"export {r.export_s:.1f} s ({r.artifact_bytes:,} bytes; reused afterwards in this process)")
    return lines
