"""A runtime measurement as a latency report: the shape the CLI, the store and the pages already read.

:class:`RuntimeLatencyReport` is an :class:`explorer.latency.LatencyReport` with the runtime's own
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
from ..latency import LatencyReport, cpu_model, layer_io_elements, layer_rows, machine_name, torch_version
from .base import INT8, RuntimeResult


@dataclass(frozen=True)
class RuntimeLatencyReport(LatencyReport):
    runtime: str = "eager"
    precision: str = "fp32"
    runtime_version: str = ""
    output_max_abs_diff: float | None = None
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
        out = {k: v for k, v in super().to_dict().items() if v is not None or k in ("gpu",)}
        if not self.layers:  # no per-layer times (ExecuTorch): no sum or coverage to report, rather than a 0
            for key in ("layer_sum_ms", "coverage", "layer_runs"):
                out.pop(key, None)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuntimeLatencyReport:
        """Rebuild from :meth:`to_dict` (as the store keeps it), the left-out per-layer totals as 0."""
        return super().from_dict({"layer_sum_ms": 0.0, "coverage": 0.0, "layer_runs": 0, **data})


def runtime_report(config: MobileNetConfig, result: RuntimeResult) -> RuntimeLatencyReport:
    """A successful :class:`RuntimeResult` as a :class:`RuntimeLatencyReport` (failed ones have no timing)."""
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
    return RuntimeLatencyReport(
        median_ms=result.median_ms,
        iqr_ms=result.iqr_ms or 0.0,
        runs=result.runs,
        threads=result.threads,
        batch=result.batch,
        device="cpu",
        torch_version=torch_version(),
        cpu=cpu_model(),
        machine=machine_name(),
        measured_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        layers=rows,
        layer_sum_ms=layer_sum,
        coverage=layer_sum / result.median_ms if rows and result.median_ms > 0 else 0.0,
        layer_runs=result.layer_runs,
        budget_s=result.budget_s,
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
    """Measure with the lab's settings (:class:`explorer.latency.LatencySettings`) and return the report.

    Raises :class:`RuntimeUnavailable` (missing packages, or a device other than the CPU) and
    :class:`RuntimeFailure` (export, load or output check failed: nothing was timed).
    """
    from .base import RuntimeFailure, RuntimeUnavailable
    from .measure import measure_runtime

    if settings.device != "cpu":
        raise RuntimeUnavailable(runtime, f"runs on the CPU only in this app, got device {settings.device!r}")
    result = measure_runtime(config, runtime, threads=settings.threads, batch=settings.batch, budget_s=settings.budget_s, model=model)
    if not result.ok:
        raise RuntimeFailure(runtime, f"{result.failure} (nothing was timed)")
    return runtime_report(config, result)


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
    if r.layers:
        lines.append(f"per-layer sum {r.layer_sum_ms:.2f} ms = {100 * r.coverage:.0f}% of the whole-model median "
                     f"({r.per_layer}; {r.layer_runs} profiled runs; {r.outside_ms or 0:.3f} ms in kernels outside the "
                     "layers: layout reorders, residual adds, input quantization)")
    else:
        lines.append(f"per-layer times: {r.per_layer}")
    export = f", export {r.export_s:.1f} s ({r.artifact_bytes:,} bytes, reused afterwards in this process)" if r.export_s is not None else ""
    lines.append(f"measured in {r.elapsed_s:.1f} s (budget {r.budget_s:g} s{export})")
    return lines
