"""The deployment runtimes as measurers of the latency lab (:data:`explorer.latency.MEASURERS`).

The lab dispatches the timing to a measurer by ``settings.runtime`` and does the rest itself
(retries, quality verdict, report, store, lock). Each measurer here takes the lab's
:class:`~explorer.latency.MeasureJob` (a private eager model, the input, threads and budget) and
runs :func:`explorer.runtimes.measure_runtime` on it: export, check against eager, time, and for
ONNX Runtime per-layer kernel times (the kernels are a row's leaves). A runtime whose output does
not match eager raises :class:`~explorer.runtimes.base.RuntimeFailure`: nothing is timed or stored.

Wiring (three lines in the lab's own modules)::

    # explorer/measurement.py
    RUNTIMES = ("eager", "onnxruntime", "onnxruntime-int8", "executorch", "executorch-int8")
    # explorer/latency.py, after MEASURERS = {"eager": measure_eager}
    from .runtimes.measurers import MEASURERS as _RUNTIME_MEASURERS  # torch-free import
    MEASURERS.update(_RUNTIME_MEASURERS)

and, for int8, copy ``output_sqnr_db`` / ``output_cosine`` from the result into the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import RUNTIMES, RuntimeFailure

if TYPE_CHECKING:
    from ..latency import MeasureJob


def _result_type() -> type:
    from ..latency import RuntimeResult

    @dataclass(frozen=True)
    class DeploymentResult(RuntimeResult):
        """The lab's result plus what a deployment runtime adds (int8 similarity, notes)."""

        output_sqnr_db: float | None = None
        output_cosine: float | None = None
        threads_note: str = ""
        per_layer: str = ""

    return DeploymentResult


def measurer(runtime: str) -> Callable[[MeasureJob], Any]:
    """The measurer of one deployment runtime, in the lab's protocol."""

    def measure(job: MeasureJob) -> Any:
        from .measure import measure_runtime

        result = measure_runtime(job.config, runtime, threads=job.threads, batch=job.settings.batch, budget_s=job.budget_s,
                                 model=job.model, progress=job.progress)
        if not result.ok:
            raise RuntimeFailure(runtime, f"{result.failure} (nothing was timed)")
        leaves = {layer.name: [name for name, _ in layer.kernels] for layer in result.layers} or None
        leaf_ms = {name: ms for layer in result.layers for name, ms in layer.kernels} if result.layers else None
        return _result_type()(
            median_ms=result.median_ms, iqr_ms=result.iqr_ms, runs=result.runs, samples=result.samples, leaf_ms=leaf_ms,
            leaves=leaves, layer_runs=result.layer_runs, output_max_abs_diff=result.output_max_abs_diff,
            output_sqnr_db=result.output_sqnr_db, output_cosine=result.output_cosine, threads_note=result.threads_note,
            per_layer=result.per_layer,
        )  # fmt: skip

    measure.__name__ = f"measure_{runtime.replace('-', '_')}"
    return measure


MEASURERS: dict[str, Callable[[MeasureJob], Any]] = {name: measurer(name) for name in RUNTIMES if name != "eager"}
