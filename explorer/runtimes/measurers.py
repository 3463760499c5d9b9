"""The deployment runtimes as measurers of the latency lab (loaded by :func:`explorer.latency.measurer_for`).

The lab dispatches the timing to a measurer by ``settings.runtime`` and does the rest itself
(retries, quality verdict, report, store, lock). Each measurer here takes the lab's
:class:`~explorer.latency.MeasureJob` (a private eager model, the input, threads and budget) and
runs :func:`explorer.runtimes.measure_runtime` on it: export, check against eager, time, and for
ONNX Runtime per-layer kernel times (the kernels are a row's leaves). A runtime whose output does
not match eager raises :class:`~explorer.runtimes.base.RuntimeFailure`: nothing is timed or stored.
"""

from __future__ import annotations

from collections.abc import Callable

from ..latency import MeasureJob, RuntimeResult
from .base import RUNTIMES, RuntimeFailure


def measurer(runtime: str) -> Callable[[MeasureJob], RuntimeResult]:
    """The measurer of one deployment runtime, in the lab's protocol."""

    def measure(job: MeasureJob) -> RuntimeResult:
        from .measure import measure_runtime

        result = measure_runtime(job.config, runtime, threads=job.threads, batch=job.settings.batch, budget_s=job.budget_s,
                                 model=job.model, progress=job.progress)
        if not result.ok:
            raise RuntimeFailure(runtime, f"{result.failure} (nothing was timed)")
        calibration = f"int8 calibrated on {result.calibration_inputs} random inputs" if result.calibration_inputs else ""
        leaves = {layer.name: [name for name, _ in layer.kernels] for layer in result.layers} or None
        leaf_ms = {name: ms for layer in result.layers for name, ms in layer.kernels} if result.layers else None
        return RuntimeResult(
            median_ms=result.median_ms, iqr_ms=result.iqr_ms, runs=result.runs, samples=result.samples, leaf_ms=leaf_ms,
            leaves=leaves, layer_runs=result.layer_runs, output_max_abs_diff=result.output_max_abs_diff,
            output_sqnr_db=result.output_sqnr_db, output_cosine=result.output_cosine,
            note="; ".join(text for text in (result.threads_note, result.per_layer, calibration) if text),
            # The verdict judges the timing alone: the export and the eager reference took seconds
            # before it, and the machine checks would be diluted by them.
            page_faults_per_run=result.page_faults_per_run, window=result.timing_window,
        )

    measure.__name__ = f"measure_{runtime.replace('-', '_')}"
    return measure


MEASURERS: dict[str, Callable[[MeasureJob], RuntimeResult]] = {name: measurer(name) for name in RUNTIMES if name != "eager"}
