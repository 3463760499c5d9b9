"""A runtime measurement as a latency report: the shape the CLI, the store and the pages already read.

:class:`RuntimeLatencyReport` is an :class:`explorer.latency.LatencyReport` with the runtime's own
fields added (runtime, precision, the output check, thread and per-layer notes). Its per-layer rows
are built by the eager lab's :func:`explorer.latency.layer_rows`, with the runtime's kernels as a
row's leaves, so GMAC/s, arithmetic intensity and shares mean the same on every runtime.
"""

from __future__ import annotations

import datetime as dt
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
        return {k: v for k, v in super().to_dict().items() if v is not None or k in ("gpu",)}


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
        output_sqnr_db=result.output_sqnr_db,
        output_cosine=result.output_cosine,
        calibration_inputs=result.calibration_inputs,
        outside_ms=result.outside_ms,
        per_layer=result.per_layer,
        threads_note=result.threads_note,
        artifact_bytes=result.artifact_bytes,
        export_s=result.export_s,
    )
